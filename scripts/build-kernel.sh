#!/bin/bash
# Configure and build a kernel from build/linux into build/obj/FLAVOUR.
#   build-kernel.sh FLAVOUR [CONFIG_FOO=y ...] [-- make targets]
# FLAVOUR debug: tinyconfig + Kconfig.fragment (lockdep, kmemleak, ...);
# FLAVOUR bench: the same without the fragment's debugging section.
# Extra CONFIG_ arguments override the fragment.  Any requested option that
# does not survive olddefconfig fails the build, by name.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
flavour=${1:?usage: build-kernel.sh FLAVOUR [CONFIG_X=v ...] [-- targets]}
shift
extra=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do extra+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bzImage)

src=$top/build/linux
obj=$top/build/obj/$flavour
log=$top/build/logs/kernel-$flavour.log
mkdir -p "$obj" "$(dirname "$log")"
[ -f "$src/Makefile" ] || { echo "kernel: no tree in build/linux (make tree)" >&2; exit 1; }

frag=$obj/fragment.config
case $flavour in
bench) sed '/^# -- debugging/,$d' "$top/Kconfig.fragment" > "$frag" ;;
*)     cp "$top/Kconfig.fragment" "$frag" ;;
esac
for o in "${extra[@]}"; do
	case $o in
	CONFIG_*=n) echo "# ${o%=n} is not set" ;;
	CONFIG_*=*) echo "$o" ;;
	*) echo "kernel: bad option '$o'" >&2; exit 2 ;;
	esac
done >> "$frag"

export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=ima-staging KBUILD_BUILD_HOST=build
mk=(make -C "$src" O="$obj" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" -j"$(nproc)")

"${mk[@]}" -s tinyconfig >/dev/null
(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" .config "$frag" >/dev/null 2>&1)
"${mk[@]}" -s olddefconfig >/dev/null 2>"$obj/olddefconfig.log"

# Every requested line must be in the final .config (last one wins).
bad=$(awk '
	/^CONFIG_[A-Za-z0-9_]+=/ { split($0, kv, "="); want[kv[1]] = $0; next }
	/^# CONFIG_[A-Za-z0-9_]+ is not set/ { want[$2] = $0 }
	END { for (k in want) print want[k] }' "$frag" | while IFS= read -r line; do
	if [[ $line == "# "* ]]; then
		sym=${line#\# }; sym=${sym%% *}
		grep -q "^$sym=" "$obj/.config" && echo "  $line  (got $(grep "^$sym=" "$obj/.config"))"
	else
		grep -qxF "$line" "$obj/.config" || {
			sym=${line%%=*}
			echo "  $line  (got: $(grep -E "^$sym=|^# $sym is not set" "$obj/.config" || echo absent/unmet dependency))"
		}
	fi
done || true)
if [ -n "$bad" ]; then
	echo "kernel: these options did not survive olddefconfig:" >&2
	echo "$bad" >&2
	exit 1
fi

echo "kernel: building ${targets[*]} ($flavour) in build/obj/$flavour, log in build/logs/$(basename "$log")"
start=$SECONDS
set +e
"${mk[@]}" "${targets[@]}" 2>&1 | tee "$log" | awk '
	/ error|error:|warning:/ { print "  " $0; fflush(); next }
	/^  (CC|AS|LD|AR)/ { n++; if (n % 500 == 0) { printf "  ... %d objects\n", n; fflush() } }'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
	echo "kernel: build failed (exit $rc); last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit "$rc"
fi
echo "kernel: ${targets[*]} ($flavour) built in $((SECONDS - start))s"
