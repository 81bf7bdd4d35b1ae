# kexec with staging: what reaches the next kernel is staged ++ current as
# it is when kexec is executed.  One case per kexec, chained in one VM (so
# the last cases also run after several kexecs in a row, the TPM kept).
# Every case runs the same body: steps, kexec load, steps, note staged ++
# current, kexec execute; and the next kernel runs the same checks: archive
# ++ its list replays to PCR 10 on every bank, it has no staged list, its
# list starts with what was noted, the records the case deleted are gone
# and the others are there.  A case is only its data: the steps before and
# after the load, and the records it expects gone.  Steps:
#   m NAME   measure a new file matrix-CASE-NAME
#   A        stage the current list
#   D        store the staged records (as an agent would), then delete them
#   N K      store the K oldest current records, then delete them with N
# The chain ends with (f): one boot_aggregate per kernel in archive ++ list.
# imatest.cases=... on the kernel command line picks the cases to chain.
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
	before="m 1 m 2 m 3 N 2" after="" gone="1 2"; }

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

# run_case C: the shared body.  No TAP line may come between kexec_load and
# kexec_exec (the cut taken at load holds the counter), so a step that
# fails after the load is reported and the chain ends without the kexec.
run_case() {
	c=$1
	echo $c >$STATE/case
	echo "# kexec matrix case $c"
	case_$c
	do_steps $c $before || { tap "not ok" "($c) steps before the load: $before"; return; }
	kexec_load kexec-matrix || return
	do_steps $c $after || { tap "not ok" "($c) steps after the load: $after"; return; }
	cat $BIN"_staged" $BIN >$STATE/expect.bin
	kexec_exec
}

do_steps() {
	c=$1; shift
	while [ $# -gt 0 ]; do
		case $1 in
		m) measure matrix-$c-$2; shift ;;
		A) echo A >$BIN"_staged" || return ;;
		D) cat $BIN"_staged" >>$ARCHIVE && echo D >$BIN"_staged" || return ;;
		N) delete_oldest $2 || return; shift ;;
		*) echo "# unknown step $1"; return 1 ;;
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
	check "($c) $what (the list starts with staged ++ current at execute)" \
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
	cat $ARCHIVE $BIN >$WORK/all.bin
	expect_eq "(f) after $((boots - 1)) kexecs in a row: one boot_aggregate per kernel" \
		"$(grep -o boot_aggregate $WORK/all.bin | wc -l)" "$boots"
}
