#!/bin/bash
# The test command: install deps, apply the series, build the debug kernel,
# the kselftests and the initramfs, run the guest scenarios in QEMU with
# swtpm, then print one closing line counted from the TAP lines of all runs:
#   N passed, N failed[, N skipped]
# Exit status is non-zero on any failure.  build/logs/check.tap keeps it all.
# ONLY=gates,main,flush-htable,demo,kexec-matrix,nostaging runs a subset
# (for development; the full run is the test command).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p build/logs
out=build/logs/check.tap
: >"$out"
start=$SECONDS

step() { printf '### %s (at %ds)\n' "$*" $((SECONDS - start)) | tee -a "$out"; }
# A setup step that fails counts as one failed test and ends the run.
setup() {
	desc=$1; shift
	if "$@"; then return 0; fi
	echo "not ok - setup: $desc" | tee -a "$out"
	summary
	exit 1
}
summary() {
	pass=$(grep -Ec '^ok ' "$out" | tr -d ' ')
	skip=$(grep -Ec '^ok .*# SKIP' "$out" | tr -d ' ')
	fail=$(grep -Ec '^not ok ' "$out" | tr -d ' ')
	pass=$((pass - skip))
	echo "# wall time $((SECONDS - start))s, TAP in $out"
	line="$pass passed, $fail failed"
	[ "$skip" -gt 0 ] && line="$line, $skip skipped"
	echo "$line"
}
wanted() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }
# vm NAME SCENARIOS [APPEND]: one boot; its TAP lines go to the log.
vm() {
	wanted "$1" || return 0
	step "boot $1: $2 ${3:-}"
	scripts/vm.sh --name "$1" --append "${3:-}" "$2" | tee -a "$out"
}

step deps
setup "install packages" scripts/deps.sh
step tree
setup "apply patches/series to linux-source-6.1" scripts/tree.sh
if wanted gates; then
	step "quality gates"
	scripts/gates.sh | tee -a "$out"
fi
step "debug kernel"
setup "build the debug kernel" scripts/build-kernel.sh debug
step kselftests
setup "build the IMA kselftests" scripts/build-selftests.sh
step initramfs
setup "build the initramfs" scripts/initramfs.sh \
	build/obj/debug/arch/x86/boot/bzImage build/initramfs-debug.cpio.gz \
	build/selftests

vm main measure,kselftest,kexec-base
vm flush-htable kselftest ima_flush_htable
vm demo demo
vm kexec-matrix kexec-matrix

# The series with CONFIG_IMA_STAGING=n must behave as stock 6.1.
if wanted nostaging; then
	step "kernel with CONFIG_IMA_STAGING=n"
	setup "build the CONFIG_IMA_STAGING=n kernel" \
		scripts/build-kernel.sh nostaging CONFIG_IMA_STAGING=n
	setup "build its initramfs" scripts/initramfs.sh \
		build/obj/nostaging/arch/x86/boot/bzImage build/initramfs-nostaging.cpio.gz
	step "boot nostaging: measure,kexec-base"
	scripts/vm.sh --name nostaging --kernel build/obj/nostaging/arch/x86/boot/bzImage \
		--initrd build/initramfs-nostaging.cpio.gz measure,kexec-base | tee -a "$out"
fi

summary
[ "$fail" -eq 0 ]
