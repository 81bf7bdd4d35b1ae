#!/bin/bash
# Boot a kernel with an initramfs under QEMU with a fresh software TPM 2.0
# (swtpm) and run guest scenarios.  The guest's TAP (serial port 2) is
# streamed to stdout; the host adds two checks of its own: the guest ran to
# the end, and the kernel console shows no splat.  Exit status: 0 when every
# line is ok, 1 otherwise.  swtpm and qemu are stopped by pid on every path.
#   vm.sh [--name N] [--kernel K] [--initrd I] [--append ARGS] [--timeout S]
#         [--smp N] [--kvm] SCENARIO[,SCENARIO...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
name=vm kernel=$top/build/obj/debug/arch/x86/boot/bzImage
initrd=$top/build/initramfs-debug.cpio.gz append="" timeout=900 accel=tcg smp=2
while [ $# -gt 0 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--kvm) accel=kvm; shift ;;
	--smp) smp=$2; shift 2 ;;
	-*) echo "vm: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
scenarios=${1:?usage: vm.sh [options] SCENARIO[,SCENARIO...]}
for f in "$kernel" "$initrd"; do
	[ -r "$f" ] || { echo "vm: $f missing" >&2; exit 2; }
done

dir=$top/build/vm/$name
rm -rf "$dir" && mkdir -p "$dir/tpm"
console=$dir/console.log tap=$dir/tap.log
: >"$console"; : >"$tap"
swtpm_pid="" qemu_pid="" tail_pid=""
cleanup() {
	for p in $tail_pid $qemu_pid $swtpm_pid; do
		kill "$p" 2>/dev/null && { sleep 0.2; kill -9 "$p" 2>/dev/null; }
		wait "$p" 2>/dev/null
	done
	return 0
}
trap cleanup EXIT
trap 'echo "vm: interrupted" >&2; exit 130' INT TERM

swtpm socket --tpm2 --tpmstate dir="$dir/tpm" \
	--ctrl type=unixio,path="$dir/swtpm.sock" \
	--flags not-need-init,startup-clear --log file="$dir/swtpm.log" &
swtpm_pid=$!
for _ in $(seq 50); do [ -S "$dir/swtpm.sock" ] && break; sleep 0.1; done
[ -S "$dir/swtpm.sock" ] || { echo "vm: swtpm did not start" >&2; exit 1; }

qemu-system-x86_64 -accel "$accel" -cpu max -smp "$smp" -m 1G \
	-display none -monitor none -no-reboot \
	-chardev file,id=con,path="$console" -serial chardev:con \
	-chardev file,id=tap,path="$tap" -serial chardev:tap \
	-chardev socket,id=chrtpm,path="$dir/swtpm.sock" \
	-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0 \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic softlockup_panic=1 imatest=$scenarios $append" \
	</dev/null >"$dir/qemu.log" 2>&1 &
qemu_pid=$!
t0=$SECONDS
echo "# vm $name: $scenarios ($accel, timeout ${timeout}s), console in ${console#$top/}"
tail -n +1 -f "$tap" --pid="$qemu_pid" 2>/dev/null | sed -u '/^# imatest: done/d' |
	while IFS= read -r line; do
		# time stamps on the guest's comments show where a boot spends it
		case $line in "# "*) line="$line  [$((SECONDS - t0))s]" ;; esac
		printf '%s\n' "$line"
	done &
tail_pid=$!

timed_out=0
for _ in $(seq "$timeout"); do
	kill -0 "$qemu_pid" 2>/dev/null || break
	sleep 1
done
if kill -0 "$qemu_pid" 2>/dev/null; then
	timed_out=1
	kill "$qemu_pid"
fi
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=""
wait "$tail_pid" 2>/dev/null || true
tail_pid=""

status=0
if grep -q '^# imatest: done' "$tap"; then
	echo "ok - vm $name: guest ran to the end"
else
	status=1
	why="crashed or hung"; [ "$timed_out" = 1 ] && why="timed out after ${timeout}s"
	echo "not ok - vm $name: guest ran to the end ($why)"
	tail -n 25 "$console" | sed 's/^/#   /'
fi
# WARNING: covers lockdep's and RCU's reports; the rest are the other splats.
splat='WARNING:|BUG:|BUG |Oops|Kernel panic|DEBUG_LOCKS_WARN_ON|lockdep is turned off|list_add corruption|list_del corruption|KASAN|UBSAN|kmemleak: .*new suspected|stack-protector|general protection fault|INFO: task .* blocked|self-detected stall|detected stalls'
if grep -Eq "$splat" "$console"; then
	status=1
	echo "not ok - vm $name: no kernel splat on the console"
	grep -En -m 5 -A 12 "$splat" "$console" | sed 's/^/#   /'
else
	echo "ok - vm $name: no kernel splat on the console"
fi
grep -q '^not ok' "$tap" && status=1
exit $status
