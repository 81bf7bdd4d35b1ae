# ima-export mount on the real kernel: the FUSE view shows the whole log
# (store ++ kernel) with stable offsets while records are exported; evmctl
# validates it against the TPM on every bank, also when the view covers
# $IMA itself; an incremental reader (by byte offset and by entry number)
# gets every record once across exports; reads racing exports never fail.
# Prints the view's read throughput against the raw securityfs file.
# Every process started here (the view, the exporting loop) is stopped by
# its pid, on every path (the EXIT trap).

FSTORE=$WORK/fuse-store
VIEW=$WORK/view
SFS=/run/securityfs		# a second mount: the real files under a covering view
IE="ima-export -q --store $FSTORE"
view_pid= loop_pid=

stop_all() {
	for p in $loop_pid $view_pid; do kill $p 2>/dev/null && wait $p; done
	loop_pid= view_pid=
	# what was exported is deleted from the kernel: later scenarios replay
	# the archive first
	cat $FSTORE/*/[0-9]*.bin >>$ARCHIVE 2>/dev/null
	grep -q " $SFS " /proc/mounts && umount $SFS
}

# view_start MOUNTPOINT [OPTIONS]: the view in the foreground of a child
view_start() {
	mnt=$(readlink -f $1); shift	# $IMA is a symlink to integrity/ima
	$IE mount --foreground "$@" $mnt 2>>$WORK/view.err &
	view_pid=$!
	for i in $(seq 600); do
		grep -q " $mnt fuse.ima-export " /proc/mounts && return 0
		kill -0 $view_pid 2>/dev/null || break
		sleep 0.1
	done
	echo "view on $mnt did not come up: $(tail -n 3 $WORK/view.err)"
	[ -d /proc/$view_pid ] && echo "view $view_pid: $(grep State /proc/$view_pid/status);" \
		"waiting in: $(cat /proc/$view_pid/task/*/wchan | tr '\0' ' ')"
	echo "fuse mounts: $(grep fuse /proc/mounts)"
	return 1
}
# view_stop MOUNTPOINT DESCRIPTION: one TAP line; killed by SIGTERM the view
# unmounts and exits 0.  Not under check: wait needs this shell, the parent.
view_stop() {
	kill $view_pid && wait $view_pid
	rc=$?
	view_pid=
	if [ $rc = 0 ] && ! grep -q " $(readlink -f $1) fuse.ima-export " /proc/mounts; then
		tap ok "$2"
	else
		tap "not ok" "$2" "exit status $rc; $(grep " $1 " /proc/mounts); $(tail -n 3 $WORK/view.err)"
	fi
}

# export, again when the view holds the store lock for a moment (exit 5)
export_now() {
	for i in $(seq 200); do
		$IE --securityfs $SFS/ima export 2>>$WORK/export.err
		rc=$?
		[ $rc = 5 ] || return $rc
		sleep 0.05
	done
	return 5
}

# unit_cmd UNIT KEY: run the command line of KEY= (ExecStart, ExecStop) in
# the shipped unit file, as systemd would (a leading "-" or "@" aside)
unit_cmd() {
	cmd=$(sed -n "s/^$2=//p" /lib/systemd/system/$1.service)
	[ -n "$cmd" ] || { echo "no $2= in $1.service" >&2; return 127; }
	$cmd
}

# same_bytes A B: files A and B are identical
same_bytes() { cmp -s "$1" "$2"; }
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# throughput FILE ROUNDS: MB/s of one cat reading FILE ROUNDS times
throughput() {
	files=$(for i in $(seq $2); do echo $1; done)
	t0=$(ms)
	cat $files >/dev/null
	t1=$(ms)
	awk -v b=$(($(wc -c <$1) * $2)) -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", b / 1048576 / (t > 0 ? t : 1) * 1000 }'
}

start() {
	need_policy || return
	trap stop_all EXIT
	mkdir -p $VIEW $SFS
	mount -t securityfs securityfs $SFS
	check "a second securityfs mount shows the same IMA files" same_bytes $SFS/ima/binary_runtime_measurements $BIN
	[ -s $ARCHIVE ] && tap "not ok" "fuse: runs on a kernel that has lost no record" "the archive is not empty"

	out=$($IE mount $WORK/nowhere 2>&1); rc=$?
	expect_eq "mount: a missing mount point exits 12" $rc 12
	out=$($IE --securityfs $WORK mount $VIEW 2>&1); rc=$?
	expect_eq "mount: no IMA staging files under --securityfs exits 3" $rc 3
	# an agent that opened the kernel's list before the view was mounted
	# keeps the exporter out: the message names it
	sleep 60 <$SFS/ima/binary_runtime_measurements &
	holder=$!
	out=$($IE --securityfs $SFS/ima export 2>&1); rc=$?
	kill $holder; wait $holder 2>/dev/null
	case "$rc:$out" in
	5:*"held open by pid $holder (sleep) "*) tap ok "export: EBUSY names the process that holds the kernel's list (exit 5)" ;;
	*) tap "not ok" "export: EBUSY names the process that holds the kernel's list (exit 5)" "exit $rc: $out" ;;
	esac
	for i in $(seq 300); do measure "fuse-$i"; done
	view_start $VIEW || { tap "not ok" "mount: the view comes up"; return; }
	tap ok "mount: the view comes up ($(grep " $VIEW " /proc/mounts | cut -d' ' -f1,3,4))"

	# nothing exported yet: the view shows exactly the kernel's files
	check "view: binary_runtime_measurements equals the kernel's (nothing exported)" \
		same_bytes $VIEW/binary_runtime_measurements $BIN
	check "view: ascii_runtime_measurements equals the kernel's, byte for byte" \
		same_bytes $VIEW/ascii_runtime_measurements $ASCII
	expect_eq "view: runtime_measurements_count equals the kernel's" \
		"$(cat $VIEW/runtime_measurements_count)" "$(cat $COUNT)"
	check "view: policy and violations pass through" \
		sh -c "cmp -s $VIEW/violations $IMA/violations && cmp -s $VIEW/policy $IMA/policy"
	expect_eq "view: modes as securityfs without write bits, size 0" \
		"$(stat -c '%a %s' $VIEW/binary_runtime_measurements $VIEW/runtime_measurements_count | tr '\n' ' ')" "440 0 440 0 "
	out=$(sh -c "echo A >$VIEW/binary_runtime_measurements_staged" 2>&1); rc=$?
	case $rc:$out in
	0:*) tap "not ok" "view: writing a list file fails (read-only file system)" "the write succeeded" ;;
	*Read-only*) tap ok "view: writing a list file fails (read-only file system)" ;;
	*) tap "not ok" "view: writing a list file fails (read-only file system)" "$out" ;;
	esac

	# the figure: the same records through the view and from securityfs
	n=$(cat $COUNT)
	raw=$(throughput $BIN 200)
	view=$(throughput $VIEW/binary_runtime_measurements 200)
	echo "# figure: read throughput, $n records ($(wc -c <$BIN) bytes binary) read 200 times by one cat:"
	echo "# figure:   raw securityfs binary_runtime_measurements: $raw MB/s"
	echo "# figure:   FUSE view binary_runtime_measurements:      $view MB/s (ratio view/raw $(awk -v a=$view -v b=$raw 'BEGIN { printf "%.2f", a / b }'))"
	raw=$(throughput $ASCII 100)
	view=$(throughput $VIEW/ascii_runtime_measurements 100)
	echo "# figure:   raw securityfs ascii_runtime_measurements:  $raw MB/s"
	echo "# figure:   FUSE view ascii_runtime_measurements:       $view MB/s (ratio view/raw $(awk -v a=$view -v b=$raw 'BEGIN { printf "%.2f", a / b }'))"

	# an incremental reader: by byte offset on a kept descriptor, by entry
	# number on a fresh open; four exports, records measured in between
	exec 7<$VIEW/binary_runtime_measurements
	cat <&7 >$WORK/by-offset.bin
	entries=$(wc -l <$VIEW/ascii_runtime_measurements)
	cp $VIEW/ascii_runtime_measurements $WORK/by-entry.txt
	good=0
	for round in 1 2 3 4; do
		export_now || { tap "not ok" "fuse: export $round" "exit $rc: $(tail -n 3 $WORK/export.err)"; break; }
		for i in $(seq 5); do measure "fuse-r$round-$i"; done
		cat <&7 >>$WORK/by-offset.bin
		sed -n "$((entries + 1)),\$p" $VIEW/ascii_runtime_measurements >>$WORK/by-entry.txt
		entries=$(wc -l <$WORK/by-entry.txt)
		$IE --securityfs $SFS/ima cat >$WORK/cat.bin
		$IE --securityfs $SFS/ima cat --ascii >$WORK/cat.txt
		same_bytes $WORK/by-offset.bin $WORK/cat.bin && same_bytes $WORK/by-entry.txt $WORK/cat.txt &&
			good=$((good + 1))
	done
	exec 7<&-
	expect_eq "reader: resuming by byte offset and by entry number across 4 exports, every record once" $good 4
	check "view: after the exports, binary and ascii still equal cat" \
		sh -c "cmp -s $VIEW/binary_runtime_measurements $WORK/cat.bin && cmp -s $VIEW/ascii_runtime_measurements $WORK/cat.txt"
	expect_eq "view: runtime_measurements_count counts the whole log" \
		"$(cat $VIEW/runtime_measurements_count)" "$(wc -l <$WORK/cat.txt)"
	left=$(cat $SFS/ima/runtime_measurements_count)
	check "the kernel now holds only the last records ($left of $(wc -l <$WORK/cat.txt))" test "$left" -lt 30
	check "evmctl validates the view's file against PCR 10 on every bank" \
		replay_ok $VIEW/binary_runtime_measurements

	# reads racing exports: the raw files are EBUSY during an export, the
	# view's reads never fail and each is a prefix of the next
	(for i in $(seq 8); do
		measure "fuse-race-$i"
		export_now || exit 1
	done) &
	loop_pid=$!
	t0=$(ms)
	reads=0 fails=0 unordered=0 busy=0
	cp $VIEW/binary_runtime_measurements $WORK/prev.bin
	while kill -0 $loop_pid 2>/dev/null; do
		if timeout 60 cat $VIEW/binary_runtime_measurements >$WORK/now.bin; then
			is_prefix $WORK/prev.bin $WORK/now.bin || unordered=$((unordered + 1))
			mv $WORK/now.bin $WORK/prev.bin
		else
			fails=$((fails + 1))
		fi
		cat $SFS/ima/binary_runtime_measurements >/dev/null 2>&1 || busy=$((busy + 1))
		reads=$((reads + 1))
	done
	wait $loop_pid
	rc=$?
	loop_pid=
	expect_eq "race: 8 exports while the view is read" $rc 0
	echo "# $reads reads of the view during the exports ($(($(ms) - t0)) ms); the raw file was busy (EBUSY) for $busy of the reads next to them"
	expect_eq "race: no read of the view failed, each extended the one before ($reads reads)" "$fails $unordered" "0 0"
	check "race: the view after the exports is the whole log (evmctl, every bank)" \
		replay_ok $VIEW/binary_runtime_measurements
	view_stop $VIEW "the view stopped by its pid exits 0 and unmounts"

	# over the securityfs directory itself, as the shipped units run it:
	# unmodified tools on the stock paths, exports that reach the kernel's
	# files under the view on their own
	export IMA_EXPORT_STORE=$FSTORE
	view_pid=$(unit_cmd ima-export-view ExecStart 2>>$WORK/view.err)
	if [ -z "$view_pid" ] || ! grep -q " $(readlink -f $IMA) fuse.ima-export " /proc/mounts; then
		tap "not ok" "over: the view unit's command mounts the view over $IMA" "$(tail -n 3 $WORK/view.err)"
		unset IMA_EXPORT_STORE
		return
	fi
	tap ok "over: the view unit's command mounts the view over $IMA and returns (pid $view_pid)"
	expect_eq "over: the pid file of the unit's PIDFile= names that pid" \
		"$(cat /run/ima-export-view.pid 2>&1)" "$view_pid"
	check "over: evmctl on the stock path validates on every bank" replay_ok $BIN
	check "over: the stock path shows the whole log (cat of the store and kernel)" \
		sh -c "$IE --securityfs $SFS/ima cat | cmp -s - $BIN"
	measure fuse-over-1
	before=$(cat $SFS/ima/runtime_measurements_count)
	unit_cmd ima-export ExecStart 2>$WORK/export.err; rc=$?
	expect_eq "over: the periodic export unit's command exits 0 under the view (it uncovers the kernel's files for itself)" \
		"$rc $(cat $WORK/export.err)" "0 "
	check "over: that export deleted records from the kernel" \
		test "$(cat $SFS/ima/runtime_measurements_count)" -lt "$before"
	check "over: the stock ascii path ends with the last record measured" \
		sh -c "tail -n 1 $ASCII | grep -q ' $WORK/files/fuse-over-1\$'"
	measure fuse-over-2
	unit_cmd ima-export-final ExecStop 2>$WORK/export.err; rc=$?
	expect_eq "over: the final export unit's stop command exits 0 under the view" \
		"$rc $(cat $WORK/export.err)" "0 "
	expect_eq "over: after it the kernel holds no record (the view still shows them)" \
		"$(cat $SFS/ima/runtime_measurements_count) $(wc -l <$ASCII)" "0 $($IE --securityfs $SFS/ima cat --ascii | wc -l)"

	# an export holds the store: nothing of the directory waits for it
	measure fuse-over-3
	exec 9<$FSTORE/lock
	flock -x 9		# held on this shell's descriptor, as an export holds it
	for i in $(seq 10); do timeout 20 cat $BIN >/dev/null & done
	t0=$(ms)
	# (a bound only against waiting for the lock, which is held until
	# after the check: two boots side by side took 12 s of the 15 once)
	out=$(timeout 40 sh -c "ls $IMA >/dev/null && cat $IMA/policy >/dev/null &&
		cat $IMA/runtime_measurements_count >/dev/null && head -c 4096 $BIN | wc -c" 2>&1); rc=$?
	expect_eq "blocking: with the store locked and 10 readers at the end, ls, policy, the count and a read inside the log answer ($(($(ms) - t0)) ms)" \
		"$rc $out" "0 4096"
	flock -u 9; exec 9<&-
	wait
	check "blocking: the lock let go, the stock ascii path ends with the record measured meanwhile" \
		sh -c "tail -n 1 $ASCII | grep -q ' $WORK/files/fuse-over-3\$'"

	# a view that dies: its mount goes with it where fusermount3 can do
	# auto_unmount (the host's unit tests check that); this kernel has no
	# AF_UNIX, so the dead mount stays, and the next start takes it away
	kill -9 $view_pid
	view_pid=
	sleep 1
	if ls $IMA >/dev/null 2>&1; then dead="gone (auto_unmount)"; else dead="left dead ($(ls $IMA 2>&1 | tail -n 1))"; fi
	echo "# the killed view's mount: $dead"
	view_pid=$(unit_cmd ima-export-view ExecStart 2>>$WORK/view.err)
	check "supervised: after a SIGKILL, the view unit's command starts it again over $IMA" \
		sh -c "test -n '$view_pid' && grep -q ' $(readlink -f $IMA) fuse.ima-export ' /proc/mounts"
	check "supervised: the view started again validates with evmctl on every bank" replay_ok $BIN
	kill $view_pid
	for i in $(seq 100); do
		grep -q " $(readlink -f $IMA) fuse.ima-export " /proc/mounts || break
		sleep 0.1
	done
	view_pid=
	check "over: stopped by SIGTERM to its pid, the view unmounts; the kernel's files are back" \
		sh -c "cmp -s $BIN $SFS/ima/binary_runtime_measurements && test -e $IMA/binary_runtime_measurements_staged"
	unset IMA_EXPORT_STORE
	stop_all
	trap - EXIT
}
