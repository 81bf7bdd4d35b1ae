#!/bin/bash
# Export the commits on top of the base in build/linux to patches/ and
# regenerate patches/series.  Output depends only on the commits, so
# exporting an unchanged stack rewrites identical bytes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] || {
	echo "export: build/linux has uncommitted changes" >&2; exit 1; }
# patches/0000-cover-letter.patch is written by hand: kept, and not in series.
cover=0000-cover-letter.patch
find "$top/patches" -maxdepth 1 -name '*.patch' ! -name "$cover" -delete
git -C "$tree" format-patch -q --no-signature --zero-commit --no-numbered \
	-o "$top/patches" base..HEAD
(cd "$top/patches" && ls -1 -- *.patch 2>/dev/null | grep -vxF "$cover" || true) >"$top/patches/series"
"$top/scripts/tree.sh" --mark
echo "export: $(wc -l <"$top/patches/series") patches in patches/"
