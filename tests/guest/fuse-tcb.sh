# ima-export's view under the built-in ima_policy=tcb, which leaves
# securityfs out of measurement but not FUSE: root's reads of the view's
# files must not change the log.  The view primes itself when it mounts
# (it opens each of its files once: one record per path, with the digest
# of empty content, since every file has size 0); after that, reading
# every file of it, again and after an export, adds no record that names
# a file of the view, and evmctl still validates its binary list.
TSTORE=$WORK/tcb-store
TVIEW=$WORK/tcb-view
TSFS=/run/tcb-securityfs	# the kernel's ascii list, unmeasured
IE="ima-export -q --store $TSTORE"
tview_pid=

tcb_stop() {
	[ -n "$tview_pid" ] && kill $tview_pid 2>/dev/null
	for i in $(seq 50); do grep -q " $TVIEW fuse" /proc/mounts || break; sleep 0.1; done
	tview_pid=
	# what was exported is deleted from the kernel: later scenarios replay
	# the archive first
	cat $TSTORE/*/[0-9]*.bin >>$ARCHIVE 2>/dev/null
	grep -q " $TSFS " /proc/mounts && umount $TSFS
}

# records of the kernel's list after line $1 that name a file of the view
view_records() { tail -n +$(($1 + 1)) $TSFS/ima/ascii_runtime_measurements | grep " $TVIEW/"; }
lines() { wc -l <$TSFS/ima/ascii_runtime_measurements; }
# read_all: root reads every file of the view to its end
read_all() { for f in $TVIEW/*; do cat "$f" >/dev/null 2>&1; done; }

start() {
	if ! grep -qw ima_policy=tcb /proc/cmdline; then
		tap skip "fuse-tcb" "needs ima_policy=tcb on the command line"
		return
	fi
	trap tcb_stop EXIT
	mkdir -p $TVIEW $TSFS
	mount -t securityfs securityfs $TSFS
	# the commands used below, once, so that their own measurement is done
	read_all; lines >/dev/null; ls $TSFS/ima >/dev/null
	check "tcb: an export before the view mounts" $IE export
	n0=$(lines)
	tview_pid=$($IE mount $TVIEW 2>$WORK/tcb-view.err)
	if [ -z "$tview_pid" ]; then
		tap "not ok" "tcb: the view mounts and returns once primed" "$(tail -n 3 $WORK/tcb-view.err)"
		return
	fi
	n1=$(lines)
	primed=$(view_records $n0 | wc -l)
	tap ok "tcb: the view mounts and returns once primed ($primed records name its files, each the digest of empty content)"
	view_records $n0 | sed 's/^/#   /'
	other=0
	for d in $(view_records $n0 | awk '{ print $4 }'); do
		[ "${d#*:}" = "$(${d%%:*}sum </dev/null | cut -d' ' -f1)" ] || other=$((other + 1))
	done
	expect_eq "tcb: the priming records all have the digest of empty content" $other 0
	read_all; read_all
	expect_eq "tcb: root reading every file of the primed view, twice, adds no record naming a view file" \
		"$(view_records $n1 | wc -l)" 0
	n2=$(lines)
	check "tcb: an export while the view is mounted" $IE export
	read_all
	expect_eq "tcb: and after an export, reading every file again adds none" \
		"$(view_records $n2 | wc -l)" 0
	check "tcb: evmctl validates the view's binary list on every bank" replay_ok $TVIEW/binary_runtime_measurements
	tcb_stop
	trap - EXIT
	check "tcb: stopped by its pid, the view unmounts" sh -c "! grep -q ' $TVIEW fuse' /proc/mounts"
}
