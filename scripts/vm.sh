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
# instead of the initramfs; its test service prints the TAP.  With it,
# vm.powercut=N: after that boot, N power cuts on the same disk and TPM
# state (below, power_cuts); POWERCUT_SEED=S in the environment replays
# the seeds a run printed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
name=vm flavour=debug append="" timeout=1500 accel=tcg smp=2 icount=()
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
disk="" powercut=0
args=""
for w in $append; do
	case $w in
	vm.disk=debian) disk=debian ;;
	vm.disk=*) echo "vm: unknown disk ${w#vm.disk=}" >&2; exit 2 ;;
	vm.powercut=*) powercut=${w#vm.powercut=} ;;
	*) args="$args $w" ;;
	esac
done
append=${args# }
[[ $powercut =~ ^[0-9]+$ ]] || { echo "vm: vm.powercut=$powercut is not a number" >&2; exit 2; }
[ "$powercut" = 0 ] || [ -n "$disk" ] || { echo "vm: vm.powercut needs vm.disk" >&2; exit 2; }
if [ -n "${POWERCUT_SEED:-}" ]; then
	[[ $POWERCUT_SEED =~ ^[0-9]+$ ]] || { echo "vm: POWERCUT_SEED must be a number" >&2; exit 2; }
fi
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
cmdline="console=ttyS0 panic=-1 oops=panic softlockup_panic=1 imatest=$scenarios $append"
# qemu_cmd CONSOLE TAP [EXTRA]: the QEMU command line in the array qemu
qemu_cmd() {
	qemu=(qemu-system-x86_64 -accel "$accel" "${icount[@]}" -cpu max -smp "$smp" -m 1G
		-display none -monitor none -no-reboot
		-chardev file,id=con,path="$1" -serial chardev:con
		-chardev file,id=tap,path="$2" -serial chardev:tap
		-chardev socket,id=chrtpm,path="$dir/swtpm.sock"
		-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0
		"${boot[@]}"
		-append "$cmdline${3:+ $3}")
}
qemu_cmd "$console" "$tap"
{
	echo "# boot $name: swtpm first, on a fresh state dir, then QEMU"
	printf 'rm -rf %q && mkdir -p %q\n' "$dir/tpm" "$dir/tpm"
	printf '%q ' "${swtpm[@]}"; echo '&'
	printf '%q ' "${qemu[@]}"; echo
} >"$dir/qemu-cmd"

# start_swtpm: a TPM on the state in $dir/tpm (its startup is a TPM reset)
start_swtpm() {
	rm -f "$dir/swtpm.sock"
	"${swtpm[@]}" &
	swtpm_pid=$!
	for _ in $(seq 50); do [ -S "$dir/swtpm.sock" ] && return 0; sleep 0.1; done
	echo "not ok - vm $name: swtpm started (see ${dir#$top/}/swtpm.log)"
	exit 1
}
start_swtpm
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
# The TPM's power goes with the VM's.  Killed and reaped with stderr
# closed: bash may print its "Killed" notice of a job before the next
# command's own redirection is in place.
{ kill -9 "$swtpm_pid"; wait "$swtpm_pid"; } 2>/dev/null || true
swtpm_pid=""

# A power cut: the guest (tests/guest/systemd/powercut.sh) exports in a
# loop while files are measured, and says what each export reported
# durable; at a random moment after it armed, QEMU and swtpm are killed
# (SIGKILL: nothing the guest kernel had not written reaches the disk
# image, the TPM is reset at its next start).  The next boot on the same
# disk and TPM state runs fsck on every boot of the store: it must pass
# (a torn tail repaired), and every chunk reported durable before the cut
# must be there, intact, once.  After the N cuts, a last boot exports and
# verifies.  What it does not model: a disk that drops its own volatile
# write cache (the host keeps what QEMU wrote).
# claims TAPFILE / fsck_ok TAPFILE: "KEY SEQ BYTES SHA256" per chunk
claims() {
	tr -d '\r' <"$1" | sed -n 's/^# durable \([^ ]*\) chunk \([0-9]*\) [a-z]* durable bytes=\([0-9]*\) sha256=\([0-9a-f]*\) .*/\1 \2 \3 \4/p' | sort -u
}
fsck_ok() {
	tr -d '\r' <"$1" | sed -n 's/^# fsck \([^ ]*\) chunk \([0-9]*\) [a-z]* durable bytes=\([0-9]*\) sha256=\([0-9a-f]*\) ok$/\1 \2 \3 \4/p' | sort
}
# guest_says TAPFILE NAME: the value of the guest's "# NAME VALUE" lines
guest_says() { tr -d '\r' <"$1" | sed -n "s/^# $2 //p"; }
result() {	# result ok|not ok DESCRIPTION [EVIDENCE]
	echo "$1 - vm $name: $2"
	[ "$1" = ok ] || { status=1; [ -z "${3:-}" ] || printf '%s\n' "$3" | head -n 15 | sed 's/^/#   /'; }
}
power_cuts() {
	local base=${POWERCUT_SEED:-$(( $(date +%s) % 100000 ))} k seed delay mode con tp prev=""
	local i n bad fsck_rc armed ran t1 why
	echo "# vm $name: $powercut power cuts, seeds $((base + 1))..$((base + powercut)) (POWERCUT_SEED=$base replays them)"
	for k in $(seq $((powercut + 1))); do
		mode=cut; [ "$k" -gt "$powercut" ] && mode=last
		con=$dir/console-cut$k.log tp=$dir/tap-cut$k.log
		: >"$con"; : >"$tp"
		qemu_cmd "$con" "$tp" "imatest.powercut=$mode"
		start_swtpm
		"${qemu[@]}" </dev/null >>"$dir/qemu.log" 2>&1 &
		qemu_pid=$!
		t1=$SECONDS
		for _ in $(seq 300); do
			kill -0 "$qemu_pid" 2>/dev/null || break
			[ $mode = cut ] && grep -q '^# imatest: powercut armed' "$tp" && break
			sleep 1
		done
		if [ $mode = cut ]; then
			seed=$((base + k))
			delay=$(powercut_delay "$seed")
			armed=0 ran=0
			if grep -q '^# imatest: powercut armed' "$tp"; then
				armed=1
				sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
			fi
			kill -0 "$qemu_pid" 2>/dev/null && ran=1	# still running: the cut is ours
			{ kill -9 "$qemu_pid" "$swtpm_pid"; wait "$qemu_pid" "$swtpm_pid"; } 2>/dev/null || true
			n=$(grep -c '^# export [0-9]* done' "$tp" || true)
			if [ $armed = 0 ]; then
				why="QEMU ended by itself after $((SECONDS - t1)) s"
				[ $ran = 1 ] && why="not within 300 s"
				result "not ok" "power cut $k: the guest armed ($why)" "$(tail -n 20 "$con")"
			elif [ $ran = 1 ]; then
				echo "# vm $name: power cut $k (seed $seed): QEMU and swtpm killed $delay ms after the guest armed, after $n exports"
			else
				result "not ok" "power cut $k: QEMU ran until the cut (it ended by itself after the guest armed)" \
					"seed $seed: the cut was due $delay ms after the guest armed; $n exports"$'\n'"$(tail -n 20 "$con")"
			fi
		else
			kill "$qemu_pid" 2>/dev/null && result "not ok" "the boot after the last cut powered off within 300 s"
			wait "$qemu_pid" 2>/dev/null || true
			{ kill -9 "$swtpm_pid"; wait "$swtpm_pid"; } 2>/dev/null || true
		fi
		qemu_pid="" swtpm_pid=""
		# this boot's fsck, of what the previous cut left
		fsck_rc=$(guest_says "$tp" fsck-exit)
		if [ -z "$fsck_rc" ]; then
			result "not ok" "boot $k of the power cuts ran fsck" "$(tail -n 20 "$con")"
		elif bad=$(grep -v ' 0$' <<<"$fsck_rc"); then
			result "not ok" "boot $k of the power cuts: fsck of every boot of the store passes" \
				"$bad"$'\n'"$(grep -E '^# fsck' "$tp" | grep -v ' chunk .* ok' | tr -d '\r')"
		else
			i=$(guest_says "$tp" fsck-repair | wc -l)
			result ok "boot $k of the power cuts: fsck of the $(wc -l <<<"$fsck_rc") boots of the store passes ($i lines of repair)"
		fi
		if [ -n "$prev" ]; then
			claims "$prev" >"$dir/claims"
			fsck_ok "$tp" >"$dir/fsck-ok"
			n=$(wc -l <"$dir/claims")
			# missing or altered, and every line of a chunk listed twice
			bad=$(comm -23 "$dir/claims" <(sort -u "$dir/fsck-ok")
				awk 'NR == FNR { n[$1 " " $2]++; next } n[$1 " " $2] > 1' "$dir/fsck-ok" "$dir/fsck-ok")
			if [ -z "$bad" ]; then
				result ok "power cut $((k - 1)): the $n chunks reported durable before it are intact, once"
			else
				result "not ok" "power cut $((k - 1)): the $n chunks reported durable before it are intact, once" \
					"missing, altered or twice (KEY SEQ BYTES SHA256):"$'\n'"$bad"
			fi
		fi
		prev=$tp
	done
	if [ "$(guest_says "$prev" export-exit) $(guest_says "$prev" verify-exit)" = "0 0" ]; then
		result ok "after the power cuts, an export and ima-export verify pass in a new boot"
	else
		result "not ok" "after the power cuts, an export and ima-export verify pass in a new boot" \
			"$(grep -E '^# (export|verify)' "$prev" | tr -d '\r')"
	fi
	if [ "$(cat "$dir"/tap-cut*.log | claims /dev/stdin | wc -l)" -gt 0 ]; then
		result ok "the power cuts came after exports had reported chunks durable"
	else
		result "not ok" "the power cuts came after exports had reported chunks durable" "no export finished before any cut"
	fi
	if grep -Eq "$badness" "$dir"/console-cut*.log; then
		result "not ok" "the power-cut boots: nothing from tests/console-badness on their consoles" \
			"$(grep -EH -m 5 -A 12 "$badness" "$dir"/console-cut*.log)"
	else
		result ok "the power-cut boots: nothing from tests/console-badness on their consoles"
	fi
}
[ "$powercut" = 0 ] || power_cuts
exit $status
