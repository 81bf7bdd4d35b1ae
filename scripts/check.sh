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
while read -r name flavour scenarios args; do
	wanted "$name" || continue
	need_flavour "$flavour" </dev/null
	banner "boot $name ($flavour): $scenarios $args"
	run_step "boot $name" "$out" scripts/vm.sh --name "$name" --flavour "$flavour" \
		--append "$args" "$scenarios" </dev/null
done < <(data_lines tests/boots)

finish
