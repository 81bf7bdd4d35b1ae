#!/bin/bash
# The host half of `make bench` for ima-export's FUSE view: a store of N
# generated records (tools/ima-export/tests/gen-store: the real export on
# the fake kernel) in N/10000 chunks on /var/tmp, the view mounted on it as
# root, and its figures, one line per size on stdout:
#   view N mount_ms M remount_ms R rss_kib A hwm_kib B ...
# (see the keys below).  Memory is the view's VmRSS and VmHWM
# (/proc/PID/status); the chunk files it reads stay in the page cache, which
# the kernel can reclaim.  Every process it starts (the view) is stopped by
# its pid, on every path.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
ie=$top/tools/ima-export
make -s -C "$ie" ima-export tests/gen-store || exit 1
[ "$(id -u)" = 0 ] && [ -w /dev/fuse ] || { echo "bench-view: needs root and /dev/fuse" >&2; exit 1; }
work=$(mktemp -d /var/tmp/ima-export-view-bench.XXXXXX)
view_pid=
stop_view() {
	if [ -n "$view_pid" ]; then kill "$view_pid" 2>/dev/null; wait "$view_pid" 2>/dev/null; fi
	view_pid=
}
trap 'stop_view; rm -rf "$work"' EXIT
ms() { date +%s%3N; }
kib() { awk -v k="$2:" '$1 == k { print $2 }' /proc/$1/status; }

# start_view DIR: mount; took_ms is how long until the mount was there
start_view() {
	local t0
	t0=$(ms)
	"$ie/ima-export" -q --store $1/store --securityfs $1/sfs --boot-key r1-bench \
		--boot-id $1/boot_id mount --foreground $1/view </dev/null >/dev/null 2>>$work/view.err &
	view_pid=$!
	for _ in $(seq 3000); do
		grep -q " $1/view fuse.ima-export " /proc/mounts && { took_ms=$(($(ms) - t0)); return 0; }
		kill -0 $view_pid 2>/dev/null || break
		sleep 0.01
	done
	echo "bench-view: the view did not come up: $(tail -n 2 $work/view.err)" >&2
	return 1
}

# mb_s FILE...: MB/s of one cat of the files
mb_s() {
	local t0 t1 b
	b=$(cat "$@" | wc -c)
	t0=$(ms); cat "$@" >/dev/null; t1=$(ms)
	awk -v b=$b -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", b / 1048576 / (t > 0 ? t : 1) * 1000 }'
}

# latency FILE SIZE: p50 and p99 in microseconds of 2000 preads of 4 KiB
# at random offsets below SIZE
latency() {
	python3 - "$1" "$2" <<'PY'
import os, random, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
size = int(sys.argv[2])
random.seed(1)
ts = []
for _ in range(2000):
    off = random.randrange(0, max(1, size - 4096))
    t = time.perf_counter_ns()
    os.pread(fd, 4096, off)
    ts.append((time.perf_counter_ns() - t) / 1000)
ts.sort()
print(f"{ts[len(ts) // 2]:.0f} {ts[int(len(ts) * 0.99)]:.0f}")
PY
}

for n in ${VIEW_SIZES:-100000 1000000}; do
	d=$work/s$n
	"$ie/tests/gen-store" $d $n $(( (n + 9999) / 10000 )) >/dev/null || exit 1
	mkdir -p $d/view
	sync; echo 3 >/proc/sys/vm/drop_caches
	start_view $d || exit 1
	mount_ms=$took_ms
	rss0=$(kib $view_pid VmRSS)
	bin=$(wc -c <$d/view/binary_runtime_measurements)
	raw=$(mb_s $d/store/r1-bench/*.bin $d/sfs/binary_runtime_measurements)
	vbin=$(mb_s $d/view/binary_runtime_measurements)
	asc=$(wc -c <$d/view/ascii_runtime_measurements)
	vasc=$(mb_s $d/view/ascii_runtime_measurements)
	read -r pb50 pb99 <<<"$(latency $d/view/binary_runtime_measurements $bin)"
	read -r pa50 pa99 <<<"$(latency $d/view/ascii_runtime_measurements $asc)"
	rss1=$(kib $view_pid VmRSS) hwm1=$(kib $view_pid VmHWM)
	stop_view
	start_view $d || exit 1
	remount_ms=$took_ms
	rss2=$(kib $view_pid VmRSS)
	cat $d/view/ascii_runtime_measurements >/dev/null
	hwm2=$(kib $view_pid VmHWM)
	stop_view
	echo "view $n chunks $(( (n + 9999) / 10000 )) bin_bytes $bin ascii_bytes $asc mount_ms $mount_ms" \
		"remount_ms $remount_ms rss_mount_kib $rss0 rss_kib $rss1 hwm_kib $hwm1" \
		"rss_remount_kib $rss2 hwm_remount_kib $hwm2 raw_mb_s $raw bin_mb_s $vbin" \
		"ascii_mb_s $vasc pread_bin_p50_us $pb50 pread_bin_p99_us $pb99" \
		"pread_ascii_p50_us $pa50 pread_ascii_p99_us $pa99"
	rm -rf $d
done
