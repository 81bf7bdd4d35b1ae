# shellcheck shell=bash
# Host-side helpers shared by the scripts (sourced, not run).  One place
# for: the series order, the kernel flavours and boots (tests/flavours,
# tests/boots), the config merge with its survival check, where a
# flavour's images live, and the build environment.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tree=$top/build/linux

# Reproducible kernel builds, and a ccache that a clone in another folder
# (CI's fresh clone) still hits: paths under $top are hashed relative, and
# the kernel's -fmacro-prefix-map=$(srctree)/= (which only makes __FILE__
# relative, the same in every clone) is left out of the hash.
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=ima-staging KBUILD_BUILD_HOST=build
export CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=true
export CCACHE_IGNOREOPTIONS='-fmacro-prefix-map=*'

# The patches of patches/series, in order (blank and '#' lines skipped).
series_patches() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$top/patches/series" | grep -v '^$'
}

# Lines of a data file (tests/flavours, tests/boots) without comments.
data_lines() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$1" | grep -v '^[[:space:]]*$'; }

# flavour_words NAME: the words after NAME on its line; fails if unknown.
flavour_words() {
	data_lines "$top/tests/flavours" | awk -v f="$1" '
		$1 == f { found = 1; for (i = 2; i <= NF; i++) print $i }
		END { if (!found) { print "no flavour \"" f "\" in tests/flavours" > "/dev/stderr"; exit 1 } }'
}
# flavour_overrides NAME: the config lines of flavour NAME.
flavour_overrides() {
	local w
	w=$(flavour_words "$1") || return 1
	grep -v '^tree=' <<<"$w" || true
}
# flavour_tag NAME: the tag of build/linux it is built from (empty: the series).
flavour_tag() { flavour_words "$1" | sed -n 's/^tree=//p'; }
# flavour_src NAME: its source tree, build/linux or build/linux-TAG.
flavour_src() {
	local tag
	tag=$(flavour_tag "$1") || return 1
	if [ -n "$tag" ]; then echo "$tree-$tag"; else echo "$tree"; fi
}
flavour_obj() { echo "$top/build/obj/$1"; }
flavour_kernel() { echo "$top/build/obj/$1/arch/x86/boot/bzImage"; }
flavour_initramfs() { echo "$top/build/initramfs-$1.cpio.gz"; }

# boot_line NAME: "name flavour scenarios [kernel args...]" from tests/boots.
boot_line() { data_lines "$top/tests/boots" | awk -v b="$1" '$1 == b'; }
boot_names() { data_lines "$top/tests/boots" | awk '{ print $1 }'; }

# powercut_delay SEED: how long after the guest armed scripts/vm.sh cuts
# the power of the cut boot with SEED, in ms (2000..17999), spread by a
# hash (bash's RANDOM gives consecutive seeds nearly the same first
# value); here so that the host tests can pick seeds whose cuts come early.
powercut_delay() {
	echo $((2000 + $(cksum <<<"$1" | cut -d' ' -f1) % 16000))
}

# config_fragment OUT OVERRIDE...: Kconfig.fragment with the overrides
# appended (CONFIG_X=n is written as "# CONFIG_X is not set").
config_fragment() {
	local out=$1 o; shift
	{
		cat "$top/Kconfig.fragment"
		for o in "$@"; do
			case $o in
			CONFIG_*=n) echo "# ${o%=n} is not set" ;;
			CONFIG_*=*) echo "$o" ;;
			*) echo "bad config override '$o'" >&2; return 2 ;;
			esac
		done
	} >"$out"
}

# configure SRC OBJ strict|known OVERRIDE...: tinyconfig, then the fragment
# and overrides merged, then olddefconfig.  Every requested line must be in
# the final .config (the last one of a symbol wins); with "known", symbols
# that SRC's Kconfig files do not define yet (an earlier patch of the
# series) are let through.  Names what did not survive, and fails.
configure() {
	local src=$1 obj=$2 mode=$3 bad line sym got
	shift 3
	mkdir -p "$obj"
	config_fragment "$obj/fragment.config" "$@" || return 2
	make -s -C "$src" O="$obj" ARCH=x86_64 tinyconfig >/dev/null 2>&1 &&
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" .config \
		fragment.config >/dev/null 2>&1) &&
	make -s -C "$src" O="$obj" ARCH=x86_64 olddefconfig >/dev/null 2>"$obj/olddefconfig.log" || {
		echo "configure: make tinyconfig/olddefconfig failed in ${obj#$top/}" >&2
		return 1
	}
	bad=$(awk '
		/^CONFIG_[A-Za-z0-9_]+=/ { split($0, kv, "="); want[kv[1]] = $0; next }
		/^# CONFIG_[A-Za-z0-9_]+ is not set/ { want[$2] = $0 }
		END { for (k in want) print want[k] }' "$obj/fragment.config" |
	while IFS= read -r line; do
		sym=${line#\# }; sym=${sym%%[= ]*}
		got=$(grep -E "^$sym=|^# $sym is not set" "$obj/.config" || true)
		case $line in
		"# "*) [[ $got == "$sym="* ]] || continue ;;
		*) [ "$got" = "$line" ] && continue ;;
		esac
		if [ "$mode" = known ] &&
		   ! git -C "$src" grep -qE "^(menu)?config ${sym#CONFIG_}\$" -- '*Kconfig*'; then
			continue
		fi
		echo "  $line  (got: ${got:-absent or unmet dependency})"
	done)
	if [ -n "$bad" ]; then
		echo "configure: these options did not survive olddefconfig in ${obj#$top/}:" >&2
		echo "$bad" >&2
		return 1
	fi
}

# run_step NAME LOG COMMAND...: run a step of the test command, its output
# to stdout and appended to LOG.  A step that exits non-zero without
# printing a failed result, or prints no result at all, gets one failed
# line naming it: a dead step never counts as passed.
run_step() {
	local name=$1 log=$2 mine rc
	shift 2
	mine=$(mktemp "${TMPDIR:-/tmp}/step.XXXXXX")
	"$@" 2>&1 | tee "$mine"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$mine"; then
		echo "not ok - step $name: exited with status $rc and reported no failure" | tee -a "$mine"
	elif ! grep -Eq '^(not )?ok' "$mine"; then
		echo "not ok - step $name: reported no result" | tee -a "$mine"
	fi
	cat "$mine" >>"$log"
	rm -f "$mine"
	return "$rc"
}

# tap_summary LOG: the closing line counted from LOG's TAP lines.
tap_summary() {
	local pass skip fail line
	pass=$(grep -Ec '^ok ' "$1")
	skip=$(grep -Ec '^ok .*# SKIP' "$1")
	fail=$(grep -Ec '^not ok' "$1")
	line="$((pass - skip)) passed, $fail failed"
	[ "$skip" -gt 0 ] && line="$line, $skip skipped"
	echo "$line"
}
