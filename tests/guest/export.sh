# ima-export (tools/ima-export) against the real kernel and TPM: the boot
# identity through tpm2-tss's device TCTI on /dev/tpmrm0; exports while
# another process measures; a SIGKILL at every step of export and of the
# quote-aligned (N) export, each followed by a resume; cat piped to evmctl
# on every bank; verify naming an altered chunk; figures; then a kexec
# chain (the store lives in $WORK, which the initramfs cut at each load
# carries): records deleted after kexec -l are not carried, records
# measured after it are, a staged list that was stored but not deleted at
# kexec -e is carried and not stored twice (the chain is a boot of its
# own, with imatest.export=kexec).  It must run first in its boot
# (records another scenario deletes are not in the store).
STORE=$WORK/store
STAGE=$WORK/export-stage
IE="ima-export -q --store $STORE"
# the build with the fault hook (IMA_EXPORT_FAULT=STEP: SIGKILL at STEP);
# ima-export itself has none
IEF="ima-export-faulty -q --store $STORE"

# evm_ok FILE: FILE alone replays to PCR 10 on every bank (evmctl).
evm_ok() { (ARCHIVE=/nonexistent; replay_ok "$1"); }
# verify_ok: ima-export verify passes (every bank, from sysfs).
verify_ok() { $IE verify >$WORK/verify.out 2>&1 || { cat $WORK/verify.out; return 1; }; }
# whole_log_ok: verify passes, and cat validates with evmctl on every bank
# (slow: evmctl runs tsspcrread for every PCR of every bank).
whole_log_ok() { verify_ok && $IE cat >$WORK/cat.bin && evm_ok $WORK/cat.bin; }
# once PATTERN COUNT: the whole log names COUNT files matching PATTERN,
# each once.  (A new kernel measures again a file it reads for the first
# time, as the initramfs cut at kexec_load does: count within one kernel.)
once() {
	$IE cat --ascii >$WORK/cat.txt || return 1
	got=$(grep -c " $WORK/files/$1\$" $WORK/cat.txt)
	[ "$got" -eq "$2" ] || { echo "$got records of $1, want $2"; return 1; }
	dup=$(awk '{ print $NF }' $WORK/cat.txt | grep "/files/$1\$" | sort | uniq -d | head -n 3)
	[ -z "$dup" ] || { echo "twice in the log: $dup"; return 1; }
}
# securityfs files show size 0 to stat: count the bytes a read gives
staged_bytes() { wc -c <$BIN"_staged"; }
# busybox's date has no %N: milliseconds since boot (10 ms steps)
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

start() {
	if [ ! -e $BIN"_staged" ]; then
		tap skip "ima-export scenarios" "kernel without CONFIG_IMA_STAGING"
		return
	fi
	check "no records deleted before this scenario (it runs first in its boot)" test ! -e $ARCHIVE
	need_policy || return
	tpm_transport
	# two boots: under TCG the kexec'd kernels boot slowly
	if [ "$(cmdline_arg imatest.export)" = kexec ]; then
		kexec_chain
		return
	fi
	concurrent
	faults
	quote
	tamper
	figures
}

# The boot identity needs TPM2_ReadClock through libtss2-tcti-device.
tpm_transport() {
	key=$(ima-export --tcti device:/dev/tpmrm0 boot-key 2>&1)
	case $key in
	r[0-9]*-[0-9a-f]*) tap ok "boot-key through the device TCTI on /dev/tpmrm0 ($key)" ;;
	*) tap "not ok" "boot-key through the device TCTI on /dev/tpmrm0" "$key" ;;
	esac
	echo "$key" >$WORK/export-key
	ima-export --tcti device:/dev/nonexistent boot-key >/dev/null 2>&1
	expect_eq "boot-key without the TPM device: exit 8 (so the key above came from the TPM)" $? 8
	check "first export" $IE export
	check "after it the kernel holds no record and nothing staged" \
		test "$(nr_records)" -eq 0 -a "$(staged_bytes)" -eq 0
	check "verify: the whole log replays on every bank" verify_ok
}

concurrent() {
	rm -f $WORK/bg-done
	(i=0; while [ $i -lt 100 ]; do measure export-bg-$i; i=$((i + 1)); done
	 : >$WORK/bg-done) &
	bg=$!
	n=0 fails=0
	while [ ! -e $WORK/bg-done ]; do
		$IE export || fails=$((fails + 1))
		n=$((n + 1))
	done
	wait $bg
	$IE export --final || fails=$((fails + 1))
	expect_eq "$n exports while another process measured 100 files, then export --final: all exit 0" $fails 0
	expect_eq "after export --final with nothing measured meanwhile, the kernel holds no record" "$(nr_records)" 0
	check "the exports stored several chunks" test "$(grep -c '^chunk ' $STORE/$(cat $WORK/export-key)/journal)" -gt 2
	check "every file measured meanwhile is in the whole log once" once 'export-bg-[0-9]*' 100
	check "verify after concurrent exports" verify_ok
}

# fault_round TAG STEP [ARGS]: measure two files, export killed at STEP,
# check the crash state, resume, check again.
fault_round() {
	tag=$1 step=$2; shift 2
	measure export-fault-$tag-$step-1
	measure export-fault-$tag-$step-2
	IMA_EXPORT_FAULT=$step $IEF export "$@" 2>/dev/null
	rc=$?
	crash=ok; verify_ok >$WORK/fault.out 2>&1 || crash=bad
	$IE export "$@" >>$WORK/fault.out 2>&1; rc2=$?
	verify_ok >>$WORK/fault.out 2>&1; after=$?
	if [ $rc = 137 ] && [ $crash = ok ] && [ $rc2 = 0 ] && [ $after = 0 ]; then
		tap ok "$tag: SIGKILL at $step, the crash state verifies, the resume exports, verify passes"
	else
		tap "not ok" "$tag: SIGKILL at $step, the crash state verifies, the resume exports, verify passes" \
			"killed: exit $rc (want 137), crash state $crash, resume exit $rc2, verify after $after"
		tail -n 8 $WORK/fault.out | sed 's/^/#   /'
	fi
}

faults() {
	for step in open after-A after-read chunk-tmp chunk-renamed after-store after-D done; do
		fault_round export $step
	done
	# resolve is only reached when a kill after D left a chunk unresolved
	measure export-fault-export-resolve-0
	IMA_EXPORT_FAULT=after-D $IEF export 2>/dev/null
	fault_round export resolve
	for step in open-current quote-read chunk-tmp chunk-renamed after-store after-N done; do
		fault_round quote $step --quote-tpm
	done
	check "after the kills and resumes: every file measured is in the whole log once" \
		once 'export-fault-.*' "$(ls $WORK/files | grep -c '^export-fault-')"
	check "after the kills and resumes: verify and evmctl over cat" whole_log_ok
}

# A quote's PCR 10 read from sysfs, more records, then N up to the quote.
quote() {
	$IE export
	measure export-q1
	measure export-q2
	for b in $(tpm_banks); do
		echo "$b:$(cat /sys/class/tpm/tpm0/pcr-$b/10)"
	done >$WORK/quote
	measure export-q3
	measure export-q4
	check "export --quote FILE (PCR 10 of every bank, read before q3)" $IE export --quote $WORK/quote
	check "the kernel's list now starts with q3: N cut exactly the quoted records" \
		sh -c "head -n 1 $ASCII | grep -q 'export-q3\$' && test $(nr_records) -eq 2"
	check "the chunk is marked cut=N in the journal" \
		sh -c "grep '^chunk ' $STORE/$(cat $WORK/export-key)/journal | tail -n 1 | grep -q ' cut=N '"
	for b in $(tpm_banks); do echo "$b:$(cat /sys/class/tpm/tpm0/pcr-$b/10 | tr 0-9A-F 1-9A-F0)"; done >$WORK/badquote
	n=$(nr_records)
	$IE export --quote $WORK/badquote 2>/dev/null
	expect_eq "a quote no prefix reaches: exit 1 and nothing deleted" "$? $(nr_records)" "1 $n"
	check "verify after the N exports" verify_ok
}

# One altered byte in a copy of the store: verify fails and names the chunk.
tamper() {
	rm -rf $WORK/tampered
	cp -a $STORE $WORK/tampered
	chunk=$WORK/tampered/$(cat $WORK/export-key)/00000002.bin
	size=$(stat -c %s $chunk)
	byte=$(dd if=$chunk bs=1 skip=$((size - 3)) count=1 2>/dev/null)
	[ "$byte" = X ] && new=Y || new=X
	printf $new | dd of=$chunk bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
	ima-export -q --store $WORK/tampered verify >$WORK/tamper.out 2>&1
	rc=$?
	if [ $rc = 1 ] && grep -q '00000002.bin), record' $WORK/tamper.out; then
		tap ok "verify catches one altered byte in a chunk and names it ($(grep -m 1 -o 'chunk 2 (00000002.bin), record [0-9]*' $WORK/tamper.out))"
	else
		tap "not ok" "verify catches one altered byte in a chunk and names it" "exit $rc"
		sed 's/^/#   /' $WORK/tamper.out | head -n 8
	fi
	rm -rf $WORK/tampered
}

# Figures (comments, not pass/fail): export speed, and kernel memory given
# back, as the difference in unreclaimable slab growth per round between
# rounds that measure M records and export them and rounds that only
# measure (freed objects are reused first, so the first round is left out).
sunreclaim() { awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo; }
figures() {
	M=100 R=3
	$IE export
	for r in $(seq $M); do measure export-speed-$r; done
	t0=$(now_ms)
	$IE export
	t1=$(now_ms)
	echo "# export: $((M * 1000 / (t1 - t0 + 1))) records/s ($M records in $((t1 - t0)) ms)"
	for phase in export keep; do
		s1="" sN=""
		for r in $(seq $R); do
			for i in $(seq $M); do measure export-mem-$phase-$r-$i; done
			[ $phase = export ] && $IE export
			s=$(sunreclaim)
			[ $r = 1 ] && s1=$s
			sN=$s
		done
		eval growth_$phase=$(((sN - s1) / (R - 1)))
	done
	echo "# export: unreclaimable slab growth per round of $M records: $growth_keep kB kept in the kernel, $growth_export kB with an export per round"
	echo "# export: kernel memory given back per export of $M records: $((growth_keep - growth_export)) kB ($(((growth_keep - growth_export) * 1024 / M)) bytes per record)"
	check "verify after the figure rounds" verify_ok
}

# kexec 1: a stored staged list is deleted after kexec -l (not carried),
# a record measured after the load is carried.
kexec_chain() {
	$IE export
	measure export-x1
	measure export-x2
	IMA_EXPORT_FAULT=after-store $IEF export 2>/dev/null
	expect_eq "before the load: export killed after storing, the list still staged" \
		"$?:$(test "$(staged_bytes)" -gt 0 && echo staged)" "137:staged"
	echo 2 >$STAGE
	kexec_load export || return
	# no TAP line until kexec -e: the cut at the load holds the counter
	$IE export
	echo "# export after kexec -l: exit $? (its D deletes the staged records)"
	measure export-y1
	kexec_exec
}

resume() {
	need_policy || return
	stage=$(cat $STAGE)
	expect_eq "kexec $((stage - 1)): the boot key is the same (the TPM was not reset)" \
		"$(ima-export boot-key 2>&1)" "$(cat $WORK/export-key)"
	case $stage in
	2)
		check "kexec 1: the records deleted after kexec -l are not carried" \
			not grep -q 'export-x[12]$' $ASCII
		check "kexec 1: the record measured after the load is carried" \
			grep -q 'export-y1$' $ASCII
		check "kexec 1: verify (store as at the load ++ new list)" verify_ok
		check "kexec 1: x1, x2, y1 each once in the whole log" once 'export-[xy][12]' 3
		# kexec 2: stored and staged, not deleted, at kexec -e
		measure export-z1
		measure export-z2
		IMA_EXPORT_FAULT=after-store $IEF export 2>/dev/null
		expect_eq "kexec 2: before the load, z1 and z2 stored and still staged" \
			"$?:$(test "$(staged_bytes)" -gt 0 && echo staged)" "137:staged"
		echo 3 >$STAGE
		kexec_load export || return
		measure export-z3
		kexec_exec
		;;
	3)
		check "kexec 2: the staged records and the one measured after the load are carried" \
			sh -c "grep -q 'export-z1\$' $ASCII && grep -q 'export-z2\$' $ASCII && grep -q 'export-z3\$' $ASCII"
		check "kexec 2: verify and evmctl over cat: the carried chunk is not shown twice" whole_log_ok
		check "kexec 2: z1, z2, z3 each once in the whole log" once 'export-z[123]' 3
		check "kexec 2: export in the next kernel" $IE export
		check "kexec 2: after it, z1-z3 still once" once 'export-z[123]' 3
		check "kexec 2: verify at the end" verify_ok
		expect_eq "boots: one boot in the store, the current one" \
			"$($IE boots | awk '{ print $1, $NF }')" "$(cat $WORK/export-key) current"
		;;
	esac
}
