# The guest side of `make bench` (scripts/bench.sh, tests/bench-boots).
# The steps to run come from the kernel command line,
#   imatest.bench=STEP[,STEP...]   each STEP is NAME[:ARG:ARG...]
#   cost:N             N measurements timed, before anything else touches IMA
#   sweep:S1:S2:...    at each list size: read the list, kexec -s -l and -s -p
#                      loads, then A, read _staged, D, grow again, N (with the
#                      series); hold times from /proc/lock_stat
#   busy:N             N measurements timed idle, then while another process
#                      loops A+D, then N
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
	out=$($BENCH measure $FILES $(($1 - have))) || {
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

step_cost() {
	out=$($BENCH latency $FILES "$1") || { tap "not ok" "time $1 measurements"; return 1; }
	fig latency cost $out
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
	traced_load "$size" l -l || return
	traced_load "$size" p -p || return
	[ -e $BIN"_staged" ] || return 0
	held A "$size" req $BIN"_staged" A || return
	fig read staged "$size" $($BENCH read $BIN"_staged" 5)
	held D "$size" req $BIN"_staged" D || return
	fig mem after-D "$size" "$(memory)"
	grep -qw ima_flush_htable /proc/cmdline && return
	grow_to "$size" || return
	n=$(nr_records)
	held N "$n" req $BIN "$n"
}

step_clear() {
	req $BIN"_staged" A && req $BIN"_staged" D || { tap "not ok" "clear the list (A, D)"; return 1; }
}

step_busy() {
	for mode in idle AD N; do
		arg=$mode; [ $mode = idle ] && arg=""
		out=$($BENCH latency $FILES "$1" $arg) || { tap "not ok" "time $1 measurements ($mode)"; return 1; }
		fig latency "$mode" $out
	done
	tap ok "latency idle and busy"
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
