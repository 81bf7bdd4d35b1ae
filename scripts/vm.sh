#!/bin/bash
# Boot a kernel flavour with its initramfs under QEMU with a fresh software
# TPM 2.0 (swtpm) and run guest scenarios.  The guest's TAP (serial port 2)
# is streamed to stdout; the host adds checks of its own: the guest ran to
# the end, printed as many results as its plan says, and the kernel console
# shows nothing that tests/console-badness names.  Exit status: 0 when
# every line is ok, 1 otherwise.  swtpm and qemu are stopped by pid on
# every path.  build/vm/NAME keeps console.log, tap.log, swtpm.log and
# qemu-cmd (the exact swtpm and QEMU command lines, to rerun by hand).
#   vm.sh [--name N] [--flavour F] [--append ARGS] [--timeout S] [--smp N]
#         [--kvm | --icount] SCENARIO[,SCENARIO...]
# --icount: the guest clock counts instructions (QEMU -icount shift=0, one
# ns each), so that a time the guest measures is the work done, whatever
# else the host runs (make bench); one vCPU (with two, the second one never
# came up under icount here).
# The stress scenario's long run: STRESS_SECONDS=S (and STRESS_SEED=N to
# replay a seed) in the environment go to the guest's command line
# (imatest.stress_seconds, imatest.stress_seed); the timeout grows by S.
# A word vm.disk=debian among the ARGS (tests/boots) is for this script, not
# the kernel: the guest boots Debian 12 with systemd as PID 1 from a virtio
# disk made for this run (scripts/debian-disk.sh, build/vm/NAME/disk.img)
# instead of the initramfs; its test service prints the TAP.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
name=vm flavour=debug append="" timeout=900 accel=tcg smp=2 icount=()
while [ $# -gt 0 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--flavour) flavour=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--kvm) accel=kvm; shift ;;
	--icount) icount=(-icount shift=0,sleep=on) smp=1; shift ;;
	--smp) smp=$2; shift 2 ;;
	-*) echo "vm: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
scenarios=${1:?usage: vm.sh [options] SCENARIO[,SCENARIO...]}
if [ -n "${STRESS_SECONDS:-}" ]; then
	[[ $STRESS_SECONDS =~ ^[1-9][0-9]*$ ]] || { echo "vm: STRESS_SECONDS must be a number of seconds" >&2; exit 2; }
	append="$append imatest.stress_seconds=$STRESS_SECONDS"
	timeout=$((timeout + STRESS_SECONDS))
fi
if [ -n "${STRESS_SEED:-}" ]; then
	[[ $STRESS_SEED =~ ^[0-9]+$ ]] || { echo "vm: STRESS_SEED must be a number" >&2; exit 2; }
	append="$append imatest.stress_seed=$STRESS_SEED"
fi
disk=""
args=""
for w in $append; do
	case $w in
	vm.disk=debian) disk=debian ;;
	vm.disk=*) echo "vm: unknown disk ${w#vm.disk=}" >&2; exit 2 ;;
	*) args="$args $w" ;;
	esac
done
append=${args# }
kernel=$(flavour_kernel "$flavour") initrd=$(flavour_initramfs "$flavour")
[ -n "$disk" ] && initrd=$kernel	# no initramfs
for f in "$kernel" "$initrd"; do
	[ -r "$f" ] || { echo "vm: ${f#$top/} missing (scripts/check.sh builds it)" >&2; exit 2; }
done

dir=$top/build/vm/$name
rm -rf "$dir" && mkdir -p "$dir/tpm"
console=$dir/console.log tap=$dir/tap.log
: >"$console"; : >"$tap"
swtpm_pid="" qemu_pid="" tail_pid=""
# Under set -e a kill -9 of a pid that the TERM already ended would end
# the script here, leaving the next pids running: each step may fail.  No
# wait: run from a signal's trap, bash's wait for a child can hang, and
# the script exits right after.
cleanup() {
	for p in $tail_pid $qemu_pid $swtpm_pid; do
		if kill "$p" 2>/dev/null; then
			sleep 0.2
			kill -9 "$p" 2>/dev/null || true
		fi
	done
	return 0
}
trap cleanup EXIT
trap 'echo "vm: interrupted" >&2; exit 130' INT TERM HUP
trap 'exit 141' PIPE	# the reader of its output is gone: no message

boot=(-kernel "$kernel" -initrd "$initrd")
if [ -n "$disk" ]; then
	"$top/scripts/debian-disk.sh" "$flavour" "$dir/disk.img" ||
		{ echo "not ok - vm $name: the disk image is made (scripts/debian-disk.sh)"; exit 1; }
	boot=(-kernel "$kernel" -drive file="$dir/disk.img",if=virtio,format=raw)
	append="root=/dev/vda rw $append"
fi

swtpm=(swtpm socket --tpm2 --tpmstate dir="$dir/tpm"
	--ctrl type=unixio,path="$dir/swtpm.sock"
	--flags not-need-init,startup-clear --log file="$dir/swtpm.log")
qemu=(qemu-system-x86_64 -accel "$accel" "${icount[@]}" -cpu max -smp "$smp" -m 1G
	-display none -monitor none -no-reboot
	-chardev file,id=con,path="$console" -serial chardev:con
	-chardev file,id=tap,path="$tap" -serial chardev:tap
	-chardev socket,id=chrtpm,path="$dir/swtpm.sock"
	-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0
	"${boot[@]}"
	-append "console=ttyS0 panic=-1 oops=panic softlockup_panic=1 imatest=$scenarios $append")
{
	echo "# boot $name: swtpm first, on a fresh state dir, then QEMU"
	printf 'rm -rf %q && mkdir -p %q\n' "$dir/tpm" "$dir/tpm"
	printf '%q ' "${swtpm[@]}"; echo '&'
	printf '%q ' "${qemu[@]}"; echo
} >"$dir/qemu-cmd"

"${swtpm[@]}" &
swtpm_pid=$!
for _ in $(seq 50); do [ -S "$dir/swtpm.sock" ] && break; sleep 0.1; done
[ -S "$dir/swtpm.sock" ] || { echo "not ok - vm $name: swtpm started (see ${dir#$top/}/swtpm.log)"; exit 1; }

"${qemu[@]}" </dev/null >"$dir/qemu.log" 2>&1 &
qemu_pid=$!
t0=$SECONDS
echo "# vm $name: $scenarios ($flavour, $accel, timeout ${timeout}s), console in ${console#$top/}"
# The serial port ends lines with \r\n.
tail -n +1 -f "$tap" --pid="$qemu_pid" 2>/dev/null | sed -u 's/\r$//; /^# imatest: done/d' |
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
# The guest's plan (its last 1..N) against the results it printed.
plan=$(tr -d '\r' <"$tap" | sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' | tail -n 1)
seen=$(grep -Ec '^(not )?ok [0-9]+ ' "$tap" || true)
if [ -n "$plan" ] && [ "$plan" -eq "$seen" ]; then
	echo "ok - vm $name: guest printed the $plan results of its plan"
else
	status=1
	echo "not ok - vm $name: guest printed the $seen results of its plan (plan: ${plan:-none})"
fi
badness=$(data_lines "$top/tests/console-badness")
if grep -Eq "$badness" "$console"; then
	status=1
	echo "not ok - vm $name: nothing from tests/console-badness on the console"
	grep -En -m 5 -A 12 "$badness" "$console" | sed 's/^/#   /'
else
	echo "ok - vm $name: nothing from tests/console-badness on the console"
fi
grep -q '^not ok' "$tap" && status=1
exit $status
