#!/bin/bash
# Configure and build kernel flavour NAME (tests/flavours) from build/linux
# (or, for a flavour with tree=TAG, from a worktree of its tag TAG in
# build/linux-TAG) into build/obj/NAME: tinyconfig + Kconfig.fragment + the flavour's lines,
# each of which must survive olddefconfig (the build fails naming any that
# does not).
#   build-kernel.sh FLAVOUR [make targets]     (default target: bzImage)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
flavour=${1:?usage: build-kernel.sh FLAVOUR [targets]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bzImage)
overrides=$(flavour_overrides "$flavour")
src=$(flavour_src "$flavour")
tag=$(flavour_tag "$flavour")
obj=$(flavour_obj "$flavour")
log=$top/build/logs/kernel-$flavour.log
mkdir -p "$obj" "$(dirname "$log")"
[ -f "$tree/Makefile" ] || { echo "kernel: no tree in build/linux (make tree)" >&2; exit 1; }
if [ -n "$tag" ] && [ ! -f "$src/Makefile" ]; then
	git -C "$tree" worktree prune
	git -C "$tree" worktree add -q --detach "$src" "$tag"
fi

# shellcheck disable=SC2086	# one override per word
configure "$src" "$obj" strict $overrides
mk=(make -C "$src" O="$obj" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" -j"$(nproc)")
echo "kernel: building ${targets[*]} ($flavour) in build/obj/$flavour, log in ${log#$top/}"
# One kernel build at a time on this machine: clones of the project built
# side by side share its cores and its ccache.
exec 9>"${TMPDIR:-/tmp}/ima-staging-kernel-build.lock"
flock 9
start=$SECONDS
set +e
"${mk[@]}" "${targets[@]}" 2>&1 | tee "$log" | awk '
	/ error|error:|warning:/ { print "  " $0; fflush(); next }
	/^  (CC|AS|LD|AR)/ { n++; if (n % 500 == 0) { printf "  ... %d objects\n", n; fflush() } }'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
	echo "kernel: build failed (exit $rc); last lines of ${log#$top/}:" >&2
	tail -n 30 "$log" >&2
	exit "$rc"
fi
echo "kernel: ${targets[*]} ($flavour) built in $((SECONDS - start))s"
