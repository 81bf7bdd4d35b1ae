#!/bin/bash
# The test command: install deps, apply the series, lint it, run the
# host-side tests, then build each kernel flavour the boots need (with the
# kselftests and the initramfs) and run the boots of tests/boots in QEMU
# with swtpm.  It ends with one line counted from the TAP lines of all
# steps:  N passed, N failed[, N skipped]
# and exits non-zero on any failure.  build/logs/check.tap keeps it all.
#   ONLY=NAME,...  runs a subset: lint, host, and boot names of tests/boots
#                  (for development; the full run is the test command)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$top" || exit 2
mkdir -p build/logs
out=build/logs/check.tap
: >"$out"
start=$SECONDS

known=" lint host $(boot_names | tr '\n' ' ')"
only=${ONLY:-}
for w in ${only//,/ }; do
	[[ $known == *" $w "* ]] || { echo "check: ONLY names '$w'; known:$known" >&2; exit 2; }
done
wanted() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }
banner() { printf '### %s (at %ds)\n' "$*" $((SECONDS - start)) | tee -a "$out"; }
finish() {
	echo "# wall time $((SECONDS - start))s, TAP in $out"
	line=$(tap_summary "$out")
	echo "$line"
	[[ $line == *" 0 failed"* ]]
}
# setup DESC COMMAND...: a build step; its failure is one failed line and
# ends the run (nothing after it could run).
setup() {
	local desc=$1; shift
	"$@" && return 0
	echo "not ok - setup: $desc (exit status $?)" | tee -a "$out"
	finish
	exit 1
}
built=" "
need_flavour() {
	[[ $built == *" $1 "* ]] && return
	if [ "$built" = " " ]; then
		banner "kselftests"
		setup "build and install the IMA kselftests" scripts/build-selftests.sh
	fi
	banner "kernel flavour $1"
	setup "build the $1 kernel" scripts/build-kernel.sh "$1"
	setup "build the $1 initramfs" scripts/initramfs.sh "$1"
	built="$built$1 "
}

banner deps
setup "install packages" scripts/deps.sh
banner tree
setup "apply patches/series to linux-source-6.1" scripts/tree.sh
if wanted lint; then
	banner lint
	run_step lint "$out" scripts/lint.sh
fi
if wanted host; then
	banner "host-side tests"
	run_step host "$out" tests/host/harness.sh
	banner "ima-export unit tests"
	run_step ima-export "$out" make -s -C tools/ima-export WERROR=1 check
fi
# The boots, BOOT_JOBS (2) at a time: each VM is mostly one busy TCG
# thread, so two fill the two cores.  Every kernel first, so that no
# compiler runs beside a boot; each boot's output goes to check.tap and
# to the terminal in one piece when it ends (build/logs/boot-NAME.tap).
jobs=${BOOT_JOBS:-2}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "check: BOOT_JOBS must be a positive number" >&2; exit 2; }
boots=()
while read -r name flavour scenarios args; do
	wanted "$name" || continue
	need_flavour "$flavour" </dev/null
	boots+=("$name|$flavour|$scenarios|$args")
done < <(data_lines tests/boots)
# run_boot NAME FLAVOUR SCENARIOS ARGS
run_boot() {
	local log=build/logs/boot-$1.tap
	{
		printf '### boot %s (%s): %s %s (at %ds)\n' "$1" "$2" "$3" "$4" $((SECONDS - start))
		run_step "boot $1" /dev/null scripts/vm.sh --name "$1" --flavour "$2" \
			--append "$4" "$3" </dev/null
	} >"$log" 2>&1
	printf '### boot %s ended (at %ds)\n' "$1" $((SECONDS - start)) >>"$log"
	flock "$out" tee -a "$out" <"$log"
}
[ ${#boots[@]} -gt 0 ] && banner "${#boots[@]} boots, $jobs at a time"
for b in "${boots[@]}"; do
	IFS='|' read -r name flavour scenarios args <<<"$b"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	run_boot "$name" "$flavour" "$scenarios" "$args" &
done
wait

finish
