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
for f in $(data_lines $boots | awk '{ print $2 }' | sort -u); do
	scripts/build-kernel.sh "$f" && scripts/initramfs.sh "$f" || exit 1
done
echo "bench: kernels ready at $((SECONDS - start))s"

mkdir -p $out/raw $out/logs
failed=""
while read -r name flavour scenarios args; do
	wanted "$name" || continue
	t0=$SECONDS
	echo "### bench boot $name ($flavour): $args"
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
