# kexec soft reboot with kexec-tools (kexec -s -l, kexec -e), the TPM kept:
# the carried list ++ the new kernel's records replay to PCR 10.
# Stock 6.1 copies the list when the image is loaded, so a record measured
# between load and execute is lost; the staging series captures the list at
# execute instead.  Which of the two this kernel does is checked by its
# having the series (the _staged files).

start() {
	load_policy
	for i in 1 2 3; do measure "kexec-base-$i"; done
	cp $BIN $WORK/saved/at-load.bin
	kexec_load kexec-base || return
	measure kexec-base-after-load
	cp $BIN $WORK/saved/at-exec.bin
	kexec_exec
}

resume() {
	cp $BIN $WORK/now.bin
	check "next kernel starts with the list as it was at load" \
		is_prefix $WORK/saved/at-load.bin $WORK/now.bin
	if [ -e $BIN"_staged" ]; then
		check "record measured after load is carried (captured at execute)" \
			is_prefix $WORK/saved/at-exec.bin $WORK/now.bin
		check "carried list ++ new records replay to PCR 10 on every bank" replay_ok $WORK/now.bin
	else
		check "stock 6.1: record measured after load is not carried" \
			not grep -q kexec-base-after-load $ASCII
		check "stock 6.1: so the new list no longer replays to PCR 10" \
			not replay_ok $WORK/now.bin
	fi
	n_boot=$(grep -c ' boot_aggregate$' $ASCII)
	expect_eq "the new kernel added its own boot_aggregate" "$n_boot" 2
}
