# The demo: IMA measurement staging on a live system, step by step, with
# the checks that show nothing was lost.  Run by `make demo`.

say() { echo "#"; echo "# $*"; }
run() {	# show a command and its output, as a user would type it
	echo "#   \$ $*"
	sh -c "$*" 2>&1 | sed 's/^/#     /'
}

start() {
	if [ ! -e $BIN"_staged" ]; then
		tap "not ok" "this kernel has CONFIG_IMA_STAGING"
		return
	fi
	need_policy || return
	for i in 1 2 3 4 5 6; do measure "demo-file-$i"; done
	say "A kernel with CONFIG_IMA_STAGING and a TPM; six files were just measured."
	run "ls -l /sys/kernel/security/ima/ | grep measurements"
	run "cat $COUNT"
	run "cut -c1-60,120- $ASCII"

	say "1. Stage everything: the current list moves to the staged list."
	run "echo A > $BIN"_staged
	run "cat $COUNT"
	run "wc -l < $ASCII"_staged
	say "   Save the staged records (binary), as an attestation agent would:"
	run "cat $BIN"_staged" >> $ARCHIVE; ls -l $ARCHIVE"
	say "2. Delete them from the kernel."
	run "echo D > $BIN"_staged
	run "wc -c < $BIN"_staged
	check "D emptied the staged list" test ! -s $BIN"_staged"

	say "3. New measurements go on into the current list."
	for i in 7 8 9 10; do measure "demo-file-$i"; done
	run "cut -c1-60,120- $ASCII"
	say "4. Save the two oldest current records, then delete exactly them with N=2."
	head -n 2 $ASCII >$WORK/two.ascii
	cp $BIN $WORK/before-n.bin
	run "echo 2 > $BIN"
	run "cut -c1-60,120- $ASCII"
	check "N=2 removed the two oldest records" \
		sh -c "! grep -qFf $WORK/two.ascii $ASCII"
	# The first two records of the binary list are what N deleted: keep them.
	size_after=$(wc -c <$BIN)
	size_before=$(wc -c <$WORK/before-n.bin)
	head -c $((size_before - size_after)) $WORK/before-n.bin >>$ARCHIVE

	say "5. Bad requests change nothing and say why:"
	run "echo D > $BIN"
	run "echo 99 > $BIN"
	run "echo x > $BIN"_staged
	run "echo D > $BIN"_staged

	say "6. Saved records ++ the current list replay to PCR 10 on every bank:"
	cat $ARCHIVE $BIN >$WORK/all.bin
	check "saved records ++ current list replay to PCR 10 (evmctl, every bank)" \
		replay_ok $BIN
	run "evmctl ima_measurement $WORK/all.bin 2>&1 | tail -n 3"
}
