#!/bin/bash
# `make bench`: build the kernels of tests/bench-boots (the bench flavour
# and the stock 6.1.192 reference, tests/flavours), boot each line of
# tests/bench-boots in QEMU with swtpm (scripts/vm.sh), collect the guest's
# "# bench" figures and the capture times the console shows at kexec -e,
# and write build/bench/: results.md (one table, also printed), raw/ (the
# figures of each boot), memory.png (kernel memory against records) and
# logs/ (TAP and console of each boot).  Not part of `make check`: figures,
# not pass/fail (a boot that fails is reported, its rows say so).
#   ONLY=NAME,... runs some boots of tests/bench-boots (the report then
#   reads the raw figures the other boots left)
# The kernels are all built before the first boot, so that no build runs
# beside a boot.  Boots with --icount count instructions, not host time:
# two of them run at once (one host thread each); any other boot runs alone.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$top" || exit 2
out=build/bench
boots=tests/bench-boots
start=$SECONDS
wanted() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }

scripts/deps.sh && scripts/tree.sh && scripts/build-selftests.sh || exit 1
flavours=$(data_lines $boots | while read -r name flavour _; do
	wanted "$name" && echo "$flavour"; done | awk '!seen[$0]++')
for f in $flavours; do
	scripts/build-kernel.sh "$f" && scripts/initramfs.sh "$f" || exit 1
done
mkdir -p $out/raw $out/logs
failed=""
echo "bench: kernels ready after $((SECONDS - start))s"

# ima-export's FUSE view on the host, on generated stores (no kernel needed)
if wanted view; then
	echo "### bench view (host, generated stores)"
	scripts/bench-view.sh >$out/raw/view.txt || failed="$failed view"
	cat $out/raw/view.txt
fi

# what the store's age costs an export and a read of the journal (host)
if wanted journal; then
	echo "### bench journal (host, generated stores)"
	scripts/bench-journal.sh >$out/raw/journal.txt || failed="$failed journal"
	cat $out/raw/journal.txt
fi

# boot NAME FLAVOUR SCENARIOS ARGS: one boot, its TAP in logs/NAME.tap, its
# figures in raw/NAME.txt; exit status that of scripts/vm.sh.
boot() {
	local name=$1 flavour=$2 scenarios=$3 args=$4 opts=() append="" w rc t0=$SECONDS
	for w in $args; do
		if [[ $w == --* ]]; then opts+=("$w"); else append="$append $w"; fi
	done
	# tsc=reliable: without it the TSC is marked unstable under TCG and
	# sched_clock, lock_stat's clock, is clamped to the tick
	scripts/vm.sh --name "bench-$name" --flavour "$flavour" --timeout 2400 "${opts[@]}" \
		--append "tsc=reliable$append" "$scenarios" </dev/null >$out/logs/$name.tap 2>&1
	rc=$?
	cp build/vm/bench-$name/console.log $out/logs/$name.console
	tr -d '\r' <build/vm/bench-$name/tap.log | sed -n 's/^# bench //p' >$out/raw/$name.txt
	# The capture at kexec -e: the IMA lock events that tp_printk put on
	# the console after each "capture of N records" mark, as
	# "capture N LOCK SECONDS-ACQUIRED SECONDS-RELEASED".
	tr -d '\r' <$out/logs/$name.console | awk '
		/ima-bench: capture of [0-9]+ records/ { n = $(NF - 1); next }
		n && /lock_(acquire|release): .* ima_(staging|extend_list)_mutex/ {
			t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
			lock = $NF
			if (/lock_acquire/) at[lock] = t
			else if (lock in at) { print "capture", n, lock, at[lock], t; delete at[lock] }
		}
		/Linux version/ { n = 0 }' >>$out/raw/$name.txt
	echo "bench: boot $name ($flavour: $args) took $((SECONDS - t0))s, exit $rc"
	grep '^not ok' $out/logs/$name.tap
	return $rc
}

declare -A running=()	# pid -> name of the boots in the background
# reap_one: wait for one boot in the background to end
reap_one() {
	local pid
	wait -n -p pid "${!running[@]}" || failed="$failed ${running[$pid]}"
	unset "running[$pid]"
}
# On every path: vm.sh, the child of each background boot, stops its QEMU
# and swtpm on SIGTERM.
trap 'for p in "${!running[@]}"; do pkill -TERM -P $p; done; wait' EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM
while read -r name flavour scenarios args; do
	wanted "$name" || continue
	if [[ " $args " == *" --icount "* ]]; then
		[ ${#running[@]} -lt 2 ] || reap_one
		echo "### bench boot $name (in the background)"
		boot "$name" "$flavour" "$scenarios" "$args" &
		running[$!]=$name
	else
		while [ ${#running[@]} -gt 0 ]; do reap_one; done
		echo "### bench boot $name (alone)"
		boot "$name" "$flavour" "$scenarios" "$args" || failed="$failed $name"
	fi
done < <(data_lines $boots)
while [ ${#running[@]} -gt 0 ]; do reap_one; done

python3 scripts/bench-report.py $out && cat $out/results.md
echo "bench: wall time $((SECONDS - start))s; results in $out/results.md, plot $out/memory.png"
[ -z "$failed" ] || { echo "bench: boots with failures:$failed (see $out/logs)"; exit 1; }
