# kexec with staging: what reaches the next kernel is staged ++ current as
# it is when kexec is executed.  One case per kexec, chained in one VM (so
# the last cases also run after several kexecs in a row, the TPM kept).
# After each, archive ++ the new kernel's list must replay to PCR 10 on
# every bank, with no record lost or duplicated.
#   a: no staging            b: staged, not deleted, at execute
#   c: D after the load      d: records measured after the load
#   e: N before kexec        f: the chain itself, checked at the end
# imatest.cases=... on the kernel command line picks the cases to chain.
CASES=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^imatest.cases=//p' | tr ',' ' ')
[ -n "$CASES" ] || CASES="a b c d e"
STATE=$WORK/kexec-matrix

start() {
	if [ ! -e $BIN"_staged" ]; then
		tap skip "kexec matrix" "kernel without CONFIG_IMA_STAGING"
		return
	fi
	load_policy
	mkdir -p $STATE
	echo 1 >$STATE/boots
	run_case "${CASES%% *}"
}

resume() {
	load_policy
	echo $(($(cat $STATE/boots) + 1)) >$STATE/boots
	c=$(cat $STATE/case)
	cp $BIN $WORK/now.bin
	check "($c) archive ++ new kernel's list replays to PCR 10 on every bank" \
		replay_ok $WORK/now.bin
	check "($c) the next kernel has no staged records" test ! -s $BIN"_staged"
	check_$c
	next=$(echo "$CASES" | tr ' ' '\n' | grep -A1 "^$c\$" | sed -n 2p)
	if [ -n "$next" ]; then
		run_case "$next"
	else
		check_f
	fi
}

run_case() {
	echo $1 >$STATE/case
	echo "# kexec matrix case $1"
	case_$1
}

# Store the staged records as an agent would (before deleting them).
store_staged() { cat $BIN"_staged" >>$ARCHIVE; }

case_a() {
	measure matrix-a-1; measure matrix-a-2
	cp $BIN $STATE/expect.bin
	kexec_load kexec-matrix && kexec_exec
}
check_a() {
	check "(a) no staging: the whole list is carried" \
		is_prefix $STATE/expect.bin $WORK/now.bin
}

case_b() {
	measure matrix-b-1; measure matrix-b-2
	echo A >$BIN"_staged"
	measure matrix-b-3
	cat $BIN"_staged" $BIN >$STATE/expect.bin
	kexec_load kexec-matrix && kexec_exec
}
check_b() {
	check "(b) staged ++ current carried, staged first" \
		is_prefix $STATE/expect.bin $WORK/now.bin
}

case_c() {
	measure matrix-c-1; measure matrix-c-2
	echo A >$BIN"_staged"
	store_staged
	cp $BIN"_staged" $STATE/deleted.bin
	measure matrix-c-3
	kexec_load kexec-matrix || return
	echo D >$BIN"_staged"
	kexec_exec
}
check_c() {
	check "(c) records deleted after the load are not carried" \
		not grep -q 'matrix-c-[12]$' $ASCII
	check "(c) the record measured after them is" \
		grep -q 'matrix-c-3$' $ASCII
}

case_d() {
	measure matrix-d-1
	kexec_load kexec-matrix || return
	measure matrix-d-2; measure matrix-d-3
	kexec_exec
}
check_d() {
	check "(d) records measured between load and execute are carried" \
		sh -c "grep -q 'matrix-d-2\$' $ASCII && grep -q 'matrix-d-3\$' $ASCII"
}

case_e() {
	measure matrix-e-1; measure matrix-e-2; measure matrix-e-3
	# the two oldest current records: store them, then delete them
	lines=$(wc -l <$ASCII)
	cp $BIN $STATE/before.bin
	echo 2 >$BIN
	size=$(($(wc -c <$STATE/before.bin) - $(wc -c <$BIN)))
	head -c $size $STATE/before.bin >>$ARCHIVE
	cp $BIN $STATE/expect.bin
	expect_eq "(e) N=2 before kexec deleted two records" \
		"$(wc -l <$ASCII)" $((lines - 2))
	kexec_load kexec-matrix && kexec_exec
}
check_e() {
	check "(e) the list left by N is carried, not the deleted records" \
		is_prefix $STATE/expect.bin $WORK/now.bin
}

check_f() {
	boots=$(cat $STATE/boots)
	cat $ARCHIVE $BIN >$WORK/all.bin
	expect_eq "(f) after $((boots - 1)) kexecs in a row: one boot_aggregate per kernel" \
		"$(grep -o boot_aggregate $WORK/all.bin | wc -l)" "$boots"
}
