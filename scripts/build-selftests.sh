#!/bin/bash
# Build and install the IMA kselftests of the series the kernel's way
# (make -C tools/testing/selftests TARGETS=ima install) into
# build/kselftest, with the kernel's runner (run_kselftest.sh).  A tree
# without them (no series) installs the runner alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$top/build/kselftest
rm -rf "$out"
make -s -C "$tree/tools/testing/selftests" O="$top/build/obj/kselftest" \
	TARGETS=ima KSFT_INSTALL_PATH="$out" CC="ccache gcc" install >/dev/null
echo "selftests: $(cat "$out/kselftest-list.txt" 2>/dev/null | tr '\n' ' ')"
