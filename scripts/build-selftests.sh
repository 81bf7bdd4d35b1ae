#!/bin/bash
# Build the IMA kselftests of the series into build/selftests.  A tree
# without them (no series) leaves the directory empty.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/linux/tools/testing/selftests/ima
out=$top/build/selftests
rm -rf "$out" && mkdir -p "$out"
if [ ! -f "$src/Makefile" ]; then
	echo "selftests: none in this tree"
	exit 0
fi
make -s -C "$src" OUTPUT="$out" CC="ccache gcc"
echo "selftests: $(cd "$out" && echo *)"
