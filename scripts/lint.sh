#!/bin/bash
# The lint: the checks a kernel maintainer runs on the series before
# reading it.  One TAP line per check, with its figure; non-zero exit if
# any fails.
#   - git am on a fresh extraction of the pristine tarball
#   - checkpatch.pl --strict on every patch (exceptions: scripts/checkpatch.exceptions)
#   - every patch builds on its own (touched objects, W=1, sparse), with the
#     test config, CONFIG_IMA_STAGING=n and CONFIG_IMA_KEXEC=n; no sparse or
#     W=1 warning the base tree does not already have
#   - scripts/kernel-doc -none on every touched C file: nothing new
#   - the new rst parses without warnings (docutils)
#   - get_maintainer.pl names the IMA maintainers and list, and covers
#     every new file
# It works in build/lint-tree, a git worktree of build/linux, so build/linux
# and its objects are left alone.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
wt=$top/build/lint-tree
logs=$top/build/logs/lint
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
mkdir -p "$logs"
status=0

result() {	# result ok|fail NAME FIGURE
	if [ "$1" = ok ]; then
		echo "ok - lint: $2: $3"
	else
		echo "not ok - lint: $2: $3"
		status=1
	fi
}
show() { sed -n "1,${2:-20}p" "$1" | sed 's/^/#   /'; }

commits=$(git -C "$tree" rev-list --reverse base..HEAD)
npatch=$(echo "$commits" | grep -c .)

# --- git am on a fresh extraction -------------------------------------------
t=$SECONDS
fresh=$(mktemp -d "${TMPDIR:-/tmp}/lint-am.XXXXXX")
files=$(git -C "$tree" diff --name-only --diff-filter=MD base HEAD | sed 's|^|*/|')
if tar -xJf "$tarball" -C "$fresh" --strip-components=1 --wildcards $files 2>"$logs/am.log" &&
   git -C "$fresh" init -q && git -C "$fresh" add -f -A &&
   git -C "$fresh" -c user.name=g -c user.email=g@g commit -qm base &&
   git -C "$fresh" -c user.name=g -c user.email=g@g am -q \
	$(series_patches | sed "s|^|$top/patches/|") >>"$logs/am.log" 2>&1; then
	result ok "git am on a fresh extraction of $(basename "$tarball")" \
		"$npatch patches applied ($((SECONDS - t))s)"
else
	result fail "git am on a fresh extraction of $(basename "$tarball")" "see $logs/am.log"
	show "$logs/am.log"
fi
rm -rf "$fresh"

# --- checkpatch --strict ----------------------------------------------------
t=$SECONDS
exceptions=$top/scripts/checkpatch.exceptions
: >"$logs/checkpatch.log"
found=0 excused=0
for p in $(series_patches); do
	(cd "$tree" && scripts/checkpatch.pl --strict --no-summary --terse \
		--ignore SPDX_LICENSE_TAG "$top/patches/$p" 2>/dev/null) |
		grep -E ': (ERROR|WARNING|CHECK):' | while IFS= read -r finding; do
		msg=${finding#*: }
		if grep -v '^#' "$exceptions" | cut -d'|' -f1 | grep -qxF -- "$msg"; then
			echo "excused $p: $finding"
		else
			echo "finding $p: $finding"
		fi
	done >>"$logs/checkpatch.log"
done
found=$(grep -c '^finding' "$logs/checkpatch.log")
excused=$(grep -c '^excused' "$logs/checkpatch.log")
if [ "$found" -eq 0 ]; then
	result ok "checkpatch --strict" "$npatch patches, 0 findings, $excused excused by scripts/checkpatch.exceptions ($((SECONDS - t))s)"
else
	result fail "checkpatch --strict" "$found findings"
	grep '^finding' "$logs/checkpatch.log" | show /dev/stdin 30
fi

# --- per-patch builds with W=1 and sparse -------------------------------------
if [ ! -d "$wt" ]; then
	git -C "$tree" worktree prune
	git -C "$tree" worktree add -q --detach "$wt" base >"$logs/worktree.log" 2>&1 || {
		result fail "per-patch builds" "no worktree in ${wt#$top/} (see $logs/worktree.log)"
		exit 1
	}
fi
kernel_objs="security/integrity/ima/ kernel/kexec_core.o kernel/kexec_file.o"

# build OBJ LOG: the kernel objects the series touches, W=1, sparse on
# what is recompiled; warnings (less line numbers) are appended to LOG.
build() {
	make -C "$wt" O="$1" CC="ccache gcc" -j"$(nproc)" W=1 C=1 $kernel_objs >"$1/build.log" 2>&1
	local rc=$?
	grep -E 'warning:|error:' "$1/build.log" | sed -E "s|$wt/||; s|:[0-9]+(:[0-9]+)?:|:|" >>"$2"
	return $rc
}

t=$SECONDS
git -C "$wt" checkout -q --detach base
base_obj=$top/build/obj/lint-base
configure "$wt" "$base_obj" known >/dev/null 2>&1 && make -s -C "$wt" O="$base_obj" CC="ccache gcc" -j"$(nproc)" \
	W=1 C=2 $kernel_objs >"$base_obj/build.log" 2>&1
grep -E 'warning:|error:' "$base_obj/build.log" | sed -E "s|$wt/||; s|:[0-9]+(:[0-9]+)?:|:|" |
	sort -u >"$logs/base-warnings"
# kernel-doc of the base versions of the touched C files
touched_c=$(git -C "$tree" diff --name-only base HEAD -- '*.c' | grep -v '^tools/')
(cd "$wt" && for f in $touched_c; do [ -f "$f" ] && scripts/kernel-doc -none "$f"; done) 2>&1 |
	sed -E 's|:[0-9]+:|:|' | sort -u >"$logs/base-kerneldoc"

# the test kernel's config (flavour debug), then staging and kexec off
configs=("test:CONFIG_IMA_STAGING=y $(flavour_overrides debug | tr '\n' ' ')"
	staging-off:CONFIG_IMA_STAGING=n kexec-off:CONFIG_IMA_KEXEC=n)
for cfg in "${configs[@]}"; do
	name=${cfg%%:*} opt=${cfg#*:} opt=${opt% }
	obj=$top/build/obj/lint-$name
	warn=$logs/warnings-$name
	: >"$warn"
	failed=""
	n=0
	git -C "$wt" checkout -q --detach base
	configure "$wt" "$obj" known $opt 2>"$obj.configure.log" || failed="configure"
	for c in $commits; do
		[ -n "$failed" ] && break
		n=$((n + 1))
		git -C "$wt" checkout -q --detach "$c"
		# only patches that touch kernel sources need a build
		git -C "$wt" diff --name-only "$c^" "$c" | grep -qvE '^(Documentation|tools|MAINTAINERS)' || continue
		if git -C "$wt" diff --name-only "$c^" "$c" | grep -q 'Kconfig'; then
			configure "$wt" "$obj" known $opt 2>"$obj.configure.log" ||
				{ failed="configure at patch $n"; break; }
		fi
		build "$obj" "$warn" || failed="patch $n ($(git -C "$wt" log -1 --format=%s "$c"))"
	done
	sort -u "$warn" | comm -23 - "$logs/base-warnings" >"$warn.new"
	if [ -n "$failed" ]; then
		result fail "every patch builds ($name, $opt)" "$failed does not build"
		case $failed in
		configure*) show "$obj.configure.log" 15 ;;
		*) grep -E 'error' "$obj/build.log" | show /dev/stdin 15 ;;
		esac
	elif [ -s "$warn.new" ]; then
		result fail "every patch builds ($name, $opt)" "$(wc -l <"$warn.new") new W=1/sparse warnings"
		show "$warn.new" 15
	else
		result ok "every patch builds ($name, $opt)" "$npatch patches, no new W=1 or sparse warning"
	fi
done
echo "# per-patch builds took $((SECONDS - t))s"

# --- kernel-doc -----------------------------------------------------------------
git -C "$wt" checkout -q --detach "$(git -C "$tree" rev-parse HEAD)"
(cd "$wt" && for f in $touched_c; do scripts/kernel-doc -none "$f"; done) 2>&1 |
	sed -E 's|:[0-9]+:|:|' | sort -u | comm -23 - "$logs/base-kerneldoc" >"$logs/kerneldoc.new"
if [ -s "$logs/kerneldoc.new" ]; then
	result fail "kernel-doc -none" "$(wc -l <"$logs/kerneldoc.new") new findings"
	show "$logs/kerneldoc.new"
else
	result ok "kernel-doc -none" "$(echo $touched_c | wc -w) touched C files, no new finding"
fi

# --- documentation ----------------------------------------------------------------
rst=$(git -C "$tree" diff --name-only --diff-filter=A base HEAD -- '*.rst')
if python3 - "$wt" $rst >"$logs/rst.log" 2>&1 <<'EOF'
import sys, docutils.core
top = sys.argv[1]
bad = 0
for f in sys.argv[2:]:
    src = open(f"{top}/{f}").read()
    out = docutils.core.publish_doctree(src, settings_overrides={
        "report_level": 2, "halt_level": 5, "warning_stream": sys.stdout})
    bad += sum(1 for m in out.traverse() if m.tagname == "system_message"
               and m["level"] >= 2)
sys.exit(1 if bad else 0)
EOF
then
	result ok "rst parses without warnings" "$(echo $rst | wc -w) new document(s)"
else
	result fail "rst parses without warnings" "see $logs/rst.log"
	show "$logs/rst.log"
fi

# --- get_maintainer -------------------------------------------------------------
(cd "$wt" && scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
	$(series_patches | sed "s|^|$top/patches/|")) >"$logs/maintainers" 2>&1
uncovered=""
for f in $(git -C "$tree" diff --name-only --diff-filter=A base HEAD); do
	(cd "$wt" && scripts/get_maintainer.pl --no-git --no-git-fallback -f "$f" 2>/dev/null) |
		grep -q 'linux-integrity@vger.kernel.org' || uncovered="$uncovered $f"
done
if grep -q 'zohar@linux.ibm.com' "$logs/maintainers" &&
   grep -q 'linux-integrity@vger.kernel.org' "$logs/maintainers" && [ -z "$uncovered" ]; then
	result ok "get_maintainer.pl" "names $(grep -c @ "$logs/maintainers") addresses incl. the IMA maintainers and linux-integrity; new files covered"
else
	result fail "get_maintainer.pl" "IMA maintainers/list missing or new files not covered:$uncovered"
	show "$logs/maintainers"
fi

exit $status
