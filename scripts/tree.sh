#!/bin/bash
# Unpack Debian's linux-source-6.1 into build/linux, commit it as the base
# and apply patches/series with git am.  Re-running resets the tree to the
# base and re-applies the series when patches/ changed; it refuses when
# build/linux has commits that were not exported (scripts/export.sh), unless
# FORCE=1.  LINUX_TARBALL names another 6.1 tarball.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
base_tag=base

git_k() { git -C "$tree" -c user.name=ima-staging -c user.email=ima-staging@localhost "$@"; }

if [ ! -d "$tree/.git" ]; then
	[ -r "$tarball" ] || { echo "tree: $tarball missing (make deps)" >&2; exit 1; }
	echo "tree: unpacking $(basename "$tarball")"
	rm -rf "$tree.tmp" && mkdir -p "$tree.tmp"
	tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
	git -C "$tree.tmp" init -q
	# Debian's tarball ignores every top-level path in .gitignore: -f.
	git -C "$tree.tmp" add -f -A
	GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' \
		git -C "$tree.tmp" -c user.name=base -c user.email=base@localhost \
		commit -q -m "Linux $(make -s -C "$tree.tmp" kernelversion) from $(basename "$tarball")"
	git -C "$tree.tmp" tag "$base_tag"
	mv "$tree.tmp" "$tree"
fi

# Nothing to do when the tree already holds exactly patches/: no file is
# touched, so the next build stays incremental.
state=$tree/.git/ima-series
sum=$(cd "$top/patches" && cat series $(series_patches) | sha256sum | cut -c1-16)
head=$(git_k rev-parse HEAD)
if [ "${1:-}" = --mark ]; then	# called by export.sh: HEAD is patches/
	echo "$sum $head" >"$state"
	exit 0
fi
if [ -f "$state" ] && [ "$(cat "$state")" = "$sum $head" ]; then
	echo "tree: build/linux is up to date with patches/"
	exit 0
fi
if [ -f "$state" ] && [ "${FORCE:-0}" != 1 ] && [ "${head}" != "$(cut -d' ' -f2 "$state")" ]; then
	echo "tree: build/linux has commits that are not in patches/ (HEAD moved):" >&2
	echo "      export them (scripts/export.sh) or rerun with FORCE=1 to drop them" >&2
	exit 1
fi
git_k am --abort >/dev/null 2>&1 || true
git_k checkout -q -B staging "$base_tag"
git_k reset -q --hard "$base_tag"
n=0
for p in $(series_patches); do
	git_k am -q --keep-cr "$top/patches/$p" || {
		echo "tree: $p does not apply" >&2; git_k am --abort; exit 1; }
	n=$((n + 1))
done
echo "$sum $(git_k rev-parse HEAD)" >"$state"
echo "tree: build/linux at $(git_k describe --always --tags) ($n patches)"
