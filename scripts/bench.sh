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
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$top" || exit 2
out=build/bench
boots=tests/bench-boots
start=$SECONDS
wanted() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }

scripts/deps.sh && scripts/tree.sh && scripts/build-selftests.sh || exit 1
mkdir -p $out/raw $out/logs
rm -f $out/logs/ready-* $out/logs/failed-*
# The kernels are built in the background, in the order the boots first
# need them, so that a boot runs while the next kernel builds (or waits
# for the machine's build lock); each boot waits for its own.
flavours=$(data_lines $boots | while read -r name flavour _; do
	wanted "$name" && echo "$flavour"; done | awk '!seen[$0]++' | tr '\n' ' ')
build_all() {
	for f in "$@"; do
		if scripts/build-kernel.sh "$f" && scripts/initramfs.sh "$f"; then
			touch "$out/logs/ready-$f"
		else
			touch "$out/logs/failed-$f"
		fi
	done
}
# Its own process group, so that every path stops the builds it started.
# shellcheck disable=SC2086	# one flavour per word
setsid bash -c "$(declare -f build_all); out=$out; build_all $flavours" \
	>$out/logs/builds.log 2>&1 </dev/null &
builder=$!
trap 'kill -- -$builder 2>/dev/null; wait $builder 2>/dev/null' EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM
echo "bench: building $(echo $flavours) in the background, log in $out/logs/builds.log"
failed=""
while read -r name flavour scenarios args; do
	wanted "$name" || continue
	while [ ! -e $out/logs/ready-$flavour ] && [ ! -e $out/logs/failed-$flavour ]; do sleep 5; done
	if [ -e $out/logs/failed-$flavour ]; then
		echo "bench: kernel $flavour did not build (see $out/logs/builds.log); boot $name skipped"
		tail -n 20 $out/logs/builds.log
		failed="$failed $name"
		continue
	fi
	t0=$SECONDS
	echo "### bench boot $name ($flavour, kernel ready at $((SECONDS - start))s): $args"
	scripts/vm.sh --name "bench-$name" --flavour "$flavour" --timeout 1800 \
		--append "$args" "$scenarios" </dev/null >$out/logs/$name.tap 2>&1 ||
		failed="$failed $name"
	grep '^not ok' $out/logs/$name.tap
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
	echo "bench: boot $name took $((SECONDS - t0))s"
done < <(data_lines $boots)

python3 scripts/bench-report.py $out && cat $out/results.md
echo "bench: wall time $((SECONDS - start))s; results in $out/results.md, plot $out/memory.png"
[ -z "$failed" ] || { echo "bench: boots with failures:$failed (see $out/logs)"; exit 1; }
