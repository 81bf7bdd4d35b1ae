# The guest side of `make bench` (scripts/bench.sh, tests/bench-boots).
# The steps to run come from the kernel command line,
#   imatest.bench=STEP[,STEP...]   each STEP is NAME[:ARG:ARG...]
#   cost:N             N measurements, before anything else touches IMA:
#                      their time in the kernel less the TPM extend
#                      (traced_measurements), and the open() as user space
#                      sees it
#   sweep:S1:S2:...    at each list size: read the list, kexec -s -l and -s -p
#                      loads (3 each), then with the series N of half the
#                      list, grow again, A, read _staged, D; hold times from
#                      /proc/lock_stat
#   busy:N             N measurements timed, as cost, in each of: idle,
#                      while another process spins on /dev/null (a CPU as
#                      busy, no IMA lock), loops A+D, loops N; in 50 rounds
#                      that take the four in turn
#   view:N             N records in the kernel, read raw and through
#                      ima-export's FUSE view (an empty store: same bytes)
#   clear              A and D: an empty list for the steps after it
#   memory:K:R:MODE    R rounds of K records, MODE keep or export (ima-export
#                      after each round); kernel memory after each round
#   capture:S1:S2:...  at each size, kexec -e; the console shows the capture
#                      (trace events of the IMA locks, printed by tp_printk);
#                      the last step, as nothing runs after a kexec
# Figures are "# bench KEY VALUE..." lines; a step that fails is a failed
# TAP line (a figure of a failed step would mean nothing).
BENCH=/usr/bin/ima-bench
FILES=$WORK/bench-files
TRACE=/sys/kernel/debug/tracing
mkdir -p $FILES

# fig KEY VALUE...: a figure (none while $warming: under TCG the first run
# of a code path also pays for translating it)
fig() { [ -n "${warming:-}" ] || echo "# bench $*"; }

start() {
	need_policy || return
	for step in $(cmdline_arg imatest.bench | tr ',' ' '); do
		IFS=: read -r name args <<EOF
$step
EOF
		# shellcheck disable=SC2046	# the arguments, one per word
		"step_$name" $(echo "$args" | tr ':' ' ') || return
	done
}

# grow_to N: add records until the current list holds N.
grow_to() {
	have=$(nr_records)
	[ "$have" -ge "$1" ] && return 0
	out=$($BENCH measure $FILES $(($1 - have)) 2) || {
		tap "not ok" "add $(($1 - have)) records"; return 1; }
	fig rate $out
}

# Kernel memory: meminfo's unreclaimable slab and vmalloc, and the bytes of
# the slab objects in use (slabinfo: active objects x object size).
memory() {
	sync; echo 3 >/proc/sys/vm/drop_caches
	sleep 1		# records are freed after an RCU grace period
	awk '/^Slab:/ { s = $2 } /^SUnreclaim:/ { u = $2 } /^VmallocUsed:/ { v = $2 }
		END { printf "slab_kb %d sunreclaim_kb %d vmalloc_kb %d", s, u, v }' /proc/meminfo
	[ -r /proc/slabinfo ] &&
		awk 'NR > 2 { a += $2 * $4 } END { printf " slab_active_b %d", a }' /proc/slabinfo
	echo
}

# held OP SIZE COMMAND...: run the request COMMAND with /proc/lock_stat
# cleared just before, and give the hold times of the IMA locks.
held() {
	op=$1 size=$2; shift 2
	echo 0 >/proc/lock_stat
	if ! err=$("$@" 2>&1); then
		tap "not ok" "$op at $size records" "$err"
		return 1
	fi
	# class name, con-bounces, contentions, waittime min/max/total/avg,
	# acq-bounces, acquisitions, holdtime min/max/total/avg (us)
	for lock in ima_extend_list_mutex ima_staging_mutex; do
		line=$(awk -v l="$lock:" '$1 == l { print "acq", $9, "max", $11, "mean", $13; exit }' /proc/lock_stat)
		fig hold "$op" "$size" "$lock" "${line:-acq 0 max 0 mean 0}"
	done
}

# slabs: the bytes of the objects in use of each slab cache (for the
# report's "where the kept bytes are")
slabs() {
	awk 'NR > 2 && $2 * $4 > 0 { printf " %s=%d", $1, $2 * $4 }' /proc/slabinfo
}

req() { printf '%s' "$2" >"$1"; }
# busybox date has no %N: /proc/uptime, to the 10 ms
uptime_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# traced_load SIZE KIND KEXEC-ARGS...: a kexec file load with IMA's part of
# it (ima_add_kexec_buffer: on stock the dump of the list) timed by the
# function_graph tracer, and the lock hold times around it.
traced_load() {
	size=$1 kind=$2; shift 2
	echo ima_add_kexec_buffer >$TRACE/set_ftrace_filter
	echo function_graph >$TRACE/current_tracer
	: >$TRACE/trace
	held "load-$kind" "$size" kexec -s "$@" /boot/bzImage --command-line=console=ttyS0 || return
	us=$(sed -n 's/.* \([0-9][0-9]*\.[0-9]*\) us .*ima_add_kexec_buffer.*/\1/p' $TRACE/trace | head -n 1)
	echo nop >$TRACE/current_tracer
	fig dump "$kind" "$size" us "${us:-none}"
	kexec -s "$@" -u
}

# traced_measurements COMMAND...: run COMMAND (an ima-bench latency, on
# CPU 0) with function_graph on process_measurement and tpm_pcr_extend, and
# print "MODE US" for every measurement it made: the time in the kernel
# less the TPM extend (the same swtpm round trip on every kernel, and under
# TCG the largest and noisiest part; a wait for ima_extend_list_mutex is
# outside it, so it counts).  MODE is that of ima-bench's last trace
# marker.  The trace is read before the tracer is switched off (which
# empties it).
traced_measurements() {
	echo 16384 >$TRACE/buffer_size_kb
	echo "process_measurement tpm_pcr_extend" >$TRACE/set_ftrace_filter
	echo function_graph >$TRACE/current_tracer
	: >$TRACE/trace
	out=$("$@") || return
	tr -d '\r' <$TRACE/trace | awk -F'|' '
		$1 !~ /^ *0\)/ { next }
		$2 ~ /ima-bench block/ { mode = $2; sub(/.*block /, "", mode); sub(/ .*/, "", mode); next }
		{ us = ""; if (match($1, /[0-9]+\.[0-9]+ us/)) us = substr($1, RSTART, RLENGTH - 3) }
		$2 ~ /process_measurement\(\) \{/ { open = 1; tpm = ""; next }
		open && $2 ~ /tpm_pcr_extend\(\);/ { tpm = us; next }
		open && $2 ~ /^ *\}/ { if (tpm != "") print mode, us - tpm; open = 0 }'
	echo nop >$TRACE/current_tracer
	echo >$TRACE/set_ftrace_filter
	echo "$out" >$WORK/latency.out
}

# kernel_figures MODE N: p50, p99, max, mean of MODE's times in
# $WORK/traced, if at least 90% of its N measurements are there
kernel_figures() {
	awk -v m="$1" '$1 == m { print $2 }' $WORK/traced | sort -n >$WORK/traced.1
	got=$(wc -l <$WORK/traced.1)
	[ "$got" -ge $(($2 * 9 / 10)) ] || { echo "$got of $2 measurements of $1 found in the trace"; return 1; }
	awk '{ t[NR] = $1; s += $1 } END {
		printf "p50 %.2f p99 %.2f max %.2f mean %.2f n %d", t[int(NR / 2) + 1],
			t[int(NR * 99 / 100) + 1], t[NR], s / NR, NR }' $WORK/traced.1
}

# step_cost N: the in-kernel time of N measurements before anything else
# touches IMA, and their open() as user space sees it.
step_cost() {
	warming=1
	$BENCH measure $FILES 200 >/dev/null || { tap "not ok" "warm up: 200 measurements"; return 1; }
	warming=""
	traced_measurements $BENCH latency $FILES "$1" 1 idle >$WORK/traced ||
		{ tap "not ok" "time $1 measurements"; return 1; }
	k=$(kernel_figures idle "$1") || { tap "not ok" "cost of $1 measurements" "$k"; return 1; }
	fig cost kernel $k
	fig latency cost $(cat $WORK/latency.out)
	tap ok "cost of $1 measurements"
}

step_sweep() {
	warming=1
	sweep_at $(($(nr_records) + 100)) || return
	warming=""
	for size in "$@"; do
		sweep_at "$size" || return
	done
	tap ok "sweep at $* records"
}
sweep_at() {
	grow_to "$1" || return
	size=$(nr_records)
	fig read orig "$size" $($BENCH read $BIN 5)
	for i in 1 2 3; do
		traced_load "$size" l -l || return
		traced_load "$size" p -p || return
	done
	[ -e $BIN"_staged" ] || return 0
	if ! grep -qw ima_flush_htable /proc/cmdline; then
		held N "$size" req $BIN $((size / 2)) || return
		grow_to "$size" || return
	fi
	size=$(nr_records)
	held A "$size" req $BIN"_staged" A || return
	fig read staged "$size" $($BENCH read $BIN"_staged" 5)
	held D "$size" req $BIN"_staged" D || return
	fig mem after-D "$size" "$(memory)"
}

step_clear() {
	req $BIN"_staged" A && req $BIN"_staged" D || { tap "not ok" "clear the list (A, D)"; return 1; }
}

# step_busy N: N measurements in each mode, in the kernel (less the TPM
# extend, as step_cost) and as user space sees them.
step_busy() {
	modes="idle spin AD N"
	echo 0 >/proc/lock_stat
	traced_measurements $BENCH latency $FILES "$1" 50 "$(echo $modes | tr ' ' ,)" >$WORK/traced ||
		{ tap "not ok" "time $1 measurements in each mode"; return 1; }
	# lock_stat's contention points of ima_extend_list_mutex (the code that
	# waited for it; only A, D and N take it besides the measurements):
	# the measurements that waited, and the requests that did
	awk '/^ *ima_extend_list_mutex:/ { on = 1; next }
		on && /-----/ { if (++dash == 2) exit; next }
		on && dash == 1 && $1 == "ima_extend_list_mutex" {
			if ($NF ~ /^ima_add_template_entry/) m += $2; else r += $2 }
		END { printf "measurements %d requests %d\n", m, r }' /proc/lock_stat >$WORK/waits
	fig waits busy $(cat $WORK/waits)
	while read -r line; do fig latency $line; done <$WORK/latency.out
	for m in $modes; do
		k=$(kernel_figures "$m" "$1") || { tap "not ok" "latency in the kernel, $m" "$k"; return 1; }
		fig kernel-latency "$m" $k
	done
	tap ok "latency idle, with a spinning control and with A+D and N"
}

# step_view N: the FUSE view of ima-export over an empty store shows the
# kernel's files byte for byte: read both, same records.
step_view() {
	grow_to "$1" || return
	view=$WORK/view
	mkdir -p $view
	ima-export -q --store $WORK/view-store mount --foreground $view 2>$WORK/view.err &
	pid=$!
	for i in $(seq 600); do
		grep -q " $view fuse.ima-export " /proc/mounts && break
		sleep 0.1
	done
	if cmp -s $view/binary_runtime_measurements $BIN; then
		n=$(nr_records)
		fig read raw-bin "$n" $($BENCH read $BIN 5)
		fig read view-bin "$n" $($BENCH read $view/binary_runtime_measurements 5)
		fig read raw-ascii "$n" $($BENCH read $ASCII 5)
		fig read view-ascii "$n" $($BENCH read $view/ascii_runtime_measurements 5)
		tap ok "view: read $n records raw and through the FUSE view"
	else
		tap "not ok" "view: the FUSE view shows the kernel's list" "$(tail -n 3 $WORK/view.err)"
	fi
	kill $pid && wait $pid
}

step_memory() {
	k=$1 rounds=$2 mode=$3
	fig mem round 0 0 "$(memory)"
	for r in $(seq "$rounds"); do
		$BENCH measure $FILES "$k" >/dev/null || { tap "not ok" "measure round $r"; return 1; }
		if [ "$mode" = export ]; then
			fig mem measured "$r" $((r * k)) "$(memory)"
			t0=$(uptime_ms)
			ima-export --store $WORK/store -q export || { tap "not ok" "ima-export export, round $r"; return 1; }
			fig export "$r" "$k" ms $(($(uptime_ms) - t0))
		fi
		fig mem round "$r" $((r * k)) "$(memory)"
		[ "$r" = 1 ] || [ "$r" = "$rounds" ] && fig slabs "$r" "$(slabs)"
	done
	tap ok "memory: $rounds rounds of $k records ($mode)"
}

# The capture chain: the sizes still to do are kept in $WORK, which kexec
# carries.
step_capture() {
	echo "$*" >$WORK/capture-left
	capture_next
}
capture_next() {
	set -- $(cat $WORK/capture-left)
	[ $# -gt 0 ] || return 0
	size=$1; shift
	echo "$*" >$WORK/capture-left
	grow_to "$size" || return
	n=$(nr_records)
	echo "$n" >$WORK/capture-n
	kexec_load bench || return
	for ev in lock_acquire lock_release; do
		echo 'name == "ima_staging_mutex" || name == "ima_extend_list_mutex"' \
			>$TRACE/events/lock/$ev/filter
		echo 1 >$TRACE/events/lock/$ev/enable
	done
	echo "ima-bench: capture of $n records" >/dev/kmsg
	kexec_exec
}

resume() {
	need_policy || return
	n=$(cat $WORK/capture-n)
	# the new kernel's list: the carried records, then its boot_aggregate
	case $(sed -n "$((n + 1))p" $ASCII) in
	*" boot_aggregate") tap ok "kexec -e carried the $n records captured" ;;
	*) tap "not ok" "kexec -e carried the $n records captured" ;;
	esac
	capture_next
}
