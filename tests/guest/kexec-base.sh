# kexec soft reboot with kexec-tools (kexec -s -l, kexec -e), the TPM kept:
# the archive ++ the carried list ++ the new kernel's records replay to
# PCR 10.  Stock 6.1 copies the list when the image is loaded, so a record
# measured between load and execute is lost; the staging series captures
# the list at execute instead.  Which of the two this kernel does is told
# by its having the series (the _staged files).

start() {
	need_policy || return
	for i in 1 2 3; do measure "kexec-base-$i"; done
	cp $BIN $WORK/saved/at-load.bin
	nr_records >$WORK/saved/at-load.count
	kexec_load kexec-base || return
	measure kexec-base-after-load
	kexec_exec
}

resume() {
	cp $BIN $WORK/now.bin
	n=$(cat $WORK/saved/at-load.count)
	check "next kernel starts with the list as it was at load" \
		is_prefix $WORK/saved/at-load.bin $WORK/now.bin
	if [ -e $BIN"_staged" ]; then
		check "record measured after load is carried (captured at execute)" \
			grep -q ' /run/imatest/files/kexec-base-after-load$' $ASCII
		check "archive ++ carried list ++ new records replay to PCR 10 on every bank" \
			replay_ok $WORK/now.bin
		n=$((n + 1))
	else
		check "stock 6.1: record measured after load is not carried" \
			not grep -q kexec-base-after-load $ASCII
		check "stock 6.1: so the new list no longer replays to PCR 10" \
			not replay_ok $WORK/now.bin
	fi
	after=$(sed -n "$((n + 1))p" $ASCII)
	case $after in
	*" boot_aggregate") tap ok "the new kernel's boot_aggregate follows the carried records" ;;
	*) tap "not ok" "the new kernel's boot_aggregate follows the carried records" \
		"line $((n + 1)) of $(wc -l <$ASCII): '$after'" ;;
	esac
}
