# kexec with staging: what reaches the next kernel is staged ++ current as
# it is when kexec is executed.  One case per kexec, the cases of
# imatest.cases chained in one VM (so later cases run after kexecs in a
# row, the TPM kept; tests/boots splits them in short chains).
# Every case runs the same body (run_case: steps, kexec load, steps, kexec
# execute) and the next kernel the same checks: archive ++ its list replays
# to PCR 10 on every bank, it has no staged list, its list starts with what
# was left at the load, the records the case deleted are gone and the
# others are there.  A case is only its data: the steps before and after
# the load, and the records it expects gone.  Steps:
#   m NAME   measure a new file matrix-CASE-NAME
#   A        stage the current list (before the load)
#   D        store the staged records (as an agent would), then delete them
#   N K      store the K oldest current records, then delete them with N
#            (before the load)
# The chain ends with (f): one boot_aggregate per kernel in archive ++ list.
CASES=$(cmdline_arg imatest.cases | tr ',' ' ')
[ -n "$CASES" ] || CASES="a b c d e"
STATE=$WORK/kexec-matrix

case_a() { what="no staging: the whole list is carried"
	before="m 1 m 2" after="" gone=""; }
case_b() { what="staged, not deleted, at execute: staged ++ current carried"
	before="m 1 m 2 A m 3" after="" gone=""; }
case_c() { what="D after the load: the deleted records are not carried"
	before="m 1 m 2 A m 3" after="D" gone="1 2"; }
case_d() { what="records measured between load and execute are carried"
	before="m 1" after="m 2 m 3" gone=""; }
case_e() { what="N before kexec: only the records left by N are carried"
	# A and D first, so that the two oldest records are e-1 and e-2
	before="A D m 1 m 2 m 3 N 2" after="" gone="1 2"; }

start() {
	if [ ! -e $BIN"_staged" ]; then
		tap skip "kexec matrix" "kernel without CONFIG_IMA_STAGING"
		return
	fi
	need_policy || return
	mkdir -p $STATE
	echo 1 >$STATE/boots
	run_case "${CASES%% *}"
}

# run_case C: the shared body.  The next kernel boots an initramfs cut at
# the load, so all it is to check against is noted before the load: the
# list it must start with (staged ++ current, less the staged records when
# D follows the load) and the archive (records D deletes after the load are
# stored before it).  Records measured after the load are checked by name
# and by the replay.  No TAP line may come between kexec_load and
# kexec_exec (the cut holds the counter), so a step that fails after the
# load is reported and the chain ends without the kexec.
run_case() {
	c=$1
	echo $c >$STATE/case
	echo "# kexec matrix case $c"
	case_$c
	do_steps before $c $before || { tap "not ok" "($c) steps before the load: $before"; return; }
	case " $after " in
	*" D "*) cat $BIN"_staged" >>$ARCHIVE; cp $BIN $STATE/expect.bin ;;
	*) cat $BIN"_staged" $BIN >$STATE/expect.bin ;;
	esac
	kexec_load kexec-matrix || return
	do_steps after $c $after || { tap "not ok" "($c) steps after the load: $after"; return; }
	kexec_exec
}

# do_steps before|after CASE STEP...
do_steps() {
	phase=$1 c=$2; shift 2
	while [ $# -gt 0 ]; do
		case $phase:$1 in
		*:m) measure matrix-$c-$2; shift ;;
		before:A) echo A >$BIN"_staged" || return ;;
		before:D) cat $BIN"_staged" >>$ARCHIVE && echo D >$BIN"_staged" || return ;;
		after:D) echo D >$BIN"_staged" || return ;;	# stored by run_case
		before:N) delete_oldest $2 || return; shift ;;
		*) echo "# step $1 is not known $phase the load"; return 1 ;;
		esac
		shift
	done
}

# delete_oldest K: N=K, and the K records it deleted go to the archive.
delete_oldest() {
	cp $BIN $STATE/before.bin
	n=$(nr_records)
	echo $1 >$BIN || return
	[ $((n - $(nr_records))) -eq $1 ] || return
	head -c $(($(wc -c <$STATE/before.bin) - $(wc -c <$BIN))) $STATE/before.bin >>$ARCHIVE
}

resume() {
	need_policy || return
	echo $(($(cat $STATE/boots) + 1)) >$STATE/boots
	c=$(cat $STATE/case)
	case_$c
	cp $BIN $WORK/now.bin
	check "($c) archive ++ new kernel's list replays to PCR 10 on every bank" \
		replay_ok $WORK/now.bin
	check "($c) the next kernel has no staged records" test ! -s $BIN"_staged"
	check "($c) $what (the list starts with what was left at the load)" \
		is_prefix $STATE/expect.bin $WORK/now.bin
	check "($c) records deleted: [$gone] absent; the others present" records_as_expected
	next=$(echo "$CASES" | tr ' ' '\n' | grep -A1 "^$c\$" | sed -n 2p)
	if [ -n "$next" ]; then
		run_case "$next"
	else
		check_chain
	fi
}

# Every file the case measured is in the new list, unless it is in $gone.
records_as_expected() {
	for name in $(measured $before $after); do
		f=$WORK/files/matrix-$c-$name
		if grep -q " $f\$" $ASCII; then
			case " $gone " in *" $name "*) echo "$f was deleted but is carried"; return 1 ;; esac
		else
			case " $gone " in *" $name "*) ;; *) echo "$f is missing"; return 1 ;; esac
		fi
	done
}
# measured STEP...: the names of the "m NAME" steps.
measured() {
	while [ $# -gt 0 ]; do
		case $1 in m) echo "$2"; shift ;; N) shift ;; esac
		shift
	done
}

check_chain() {
	boots=$(cat $STATE/boots)
	cat $ARCHIVE $BIN >$WORK/all.bin 2>/dev/null
	expect_eq "(f) after $((boots - 1)) kexecs in a row: one boot_aggregate per kernel" \
		"$(grep -o boot_aggregate $WORK/all.bin | wc -l)" "$boots"
}
