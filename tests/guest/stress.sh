# Randomized concurrent stress of staging (tests/stress/ima-stress.c):
# measurers, readers, an agent that stages, stores and deletes and is
# SIGKILLed and resumed, racing writers, two threads on one descriptor, all
# at once, the invariant checked after every agent step.  Its options come
# from the kernel command line (tests/guest/init lists them); the records
# deleted before it (ARCHIVE) start its store, and its store becomes
# ARCHIVE.  The kmemleak scan of finish (tests/guest/lib.sh) follows.
start() {
	if [ ! -e $BIN"_staged" ]; then
		tap skip "stress" "kernel without CONFIG_IMA_STAGING"
		return
	fi
	need_policy || return
	secs=$(cmdline_arg imatest.stress_seconds)
	seed=$(cmdline_arg imatest.stress_seed)
	mode=default flush=""
	if grep -qw ima_flush_htable /proc/cmdline; then mode=ima_flush_htable flush=-f; fi
	# The check can fail: a run whose checks leave out what the agent
	# stored, from its first delete on, must end with a replay break.
	# What it deletes it stores right: that starts the main run's store.
	ima-stress -t 120 -L ${seed:+-s "$seed"} $flush -d $WORK/stress-fault -a $ARCHIVE >$WORK/stress-fault.out 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q "^fault: the checks now leave out" $WORK/stress-fault.out &&
	   grep -q "does not replay to PCR 10" $WORK/stress-fault.out; then
		tap ok "stress: a run whose checks forget the store fails its replay check"
	else
		tap "not ok" "stress: a run whose checks forget the store fails its replay check" \
			"exit status $rc"
		sed 's/^/#   /' $WORK/stress-fault.out | tail -n 50
	fi
	cp $WORK/stress-fault/store.bin $ARCHIVE

	echo "# stress: ${secs:-120}s, $mode${seed:+, seed $seed}"
	ima-stress -t "${secs:-120}" ${seed:+-s "$seed"} $flush -a $ARCHIVE >$WORK/stress.out 2>&1
	rc=$?
	# what it deleted is stored there, after what was deleted before it
	cp /run/ima-stress/store.bin $ARCHIVE
	sed 's/^/# /' $WORK/stress.out
	seed=$(sed -n 's/^seed //p' $WORK/stress.out)
	checks=$(sed -n 's/^checks //p' $WORK/stress.out)
	breaks=$(sed -n 's/^breaks //p' $WORK/stress.out)
	if [ "$rc" -eq 0 ]; then
		tap ok "stress ($mode, seed $seed): $checks invariant checks, no break"
	else
		tap "not ok" "stress ($mode, seed $seed): $checks invariant checks, no break" \
			"exit status $rc, ${breaks:-?} breaks (BREAK lines above)"
	fi
	# A run that skipped a kind of step proved nothing about it.
	want="measure_new measure_reread read_bin read_ascii read_bin_staged
		read_ascii_staged read_count A D shared_fd_tx shared_fd_einval
		agent_killed agent_resumed racer_request noncap_eperm"
	if [ $mode = default ]; then want="$want N"; else want="$want N_einval_flush"; fi
	missing=""
	for op in $want; do
		n=$(sed -n "s/^op $op //p" $WORK/stress.out)
		[ "${n:-0}" -gt 0 ] || missing="$missing $op"
	done
	if [ -z "$missing" ]; then
		tap ok "stress: every kind of step ran"
	else
		tap "not ok" "stress: every kind of step ran" "never ran:$missing"
	fi

}
