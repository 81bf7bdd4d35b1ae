# A list that outgrows its kexec segment.  With staging, `kexec -s -l`
# sizes the segment from the list then (+ half a page, rounded up to a
# page) and the list is written into it at `kexec -e`.  Grown far past
# that after the load, the list must be reported once when it outgrows the
# segment, and not carried at execute (no partial list): the next kernel
# boots, says so and starts a list of its own, and the archive ++ that
# list replays to PCR 10 on every bank: nothing of the old kernel was
# carried, and the TPM lost nothing.
#
# The next kernel boots an initramfs cut at the load, so the records
# measured after it cannot be stored for it then: they are computed before
# the load (fixed names and contents) and put into the archive, and just
# before kexec -e the first kernel checks that its list is what the
# archive says.
NR=200		# records of ~115 bytes, far beyond the spare room (4 KiB at most)
# The checks after the load print TAP lines that the counter in the cut
# does not hold: resume() adds them.
AFTER_LOAD=2
EXPECT=$WORK/saved/nofit-expect.bin

start() {
	if [ ! -e $BIN"_staged" ]; then
		tap skip "kexec with a list that outgrew its segment" \
			"kernel without CONFIG_IMA_STAGING (the list is copied at load)"
		return
	fi
	# record() knows the boots' defaults only: ima-ng, sha256.
	set -- $(head -n 1 $ASCII)
	case $3:$4 in
	ima-ng:sha256:*) ;;
	*) tap skip "kexec with a list that outgrew its segment" "template $3, digest ${4%%:*}"
		return ;;
	esac
	need_policy || return
	cat $BIN"_staged" $BIN >$EXPECT
	i=0
	while [ $i -lt $NR ]; do
		i=$((i + 1))
		record $WORK/files/nofit-$i "nofit $i" >>$EXPECT
	done
	cat $EXPECT >>$ARCHIVE
	kexec_load kexec-nofit || return
	echo "# measuring $NR files after the load"
	i=0
	while [ $i -lt $NR ]; do
		i=$((i + 1))
		measure nofit-$i "nofit $i"
	done
	# $AFTER_LOAD lines, whatever happens: resume() counts them.
	expect_eq "the kernel warned once that the list outgrew the kexec segment" \
		"$(dmesg | grep -c 'outgrew the kexec segment')" 1
	check "the list at kexec -e is the archive's (the records computed before the load)" \
		sh -c "cat $BIN'_staged' $BIN | cmp - $EXPECT"
	kexec_exec
}

resume() {
	echo $(($(cat $WORK/n) + AFTER_LOAD)) >$WORK/n
	# The KUnit suite of the debug kernel prints the first line too; only
	# the restore at boot prints the second.
	check "the next kernel says the previous list did not fit: not carried" \
		sh -c "dmesg | grep -q 'measurement list of the previous kernel did not fit in the kexec segment: not carried' &&
			dmesg | grep -q 'Failed to restore the measurement list: -28'"
	# One record, not just a first one: the boot_aggregate of both kernels
	# is the same record (PCRs 0-9 are the same), so a carried list starts
	# with one too; and evmctl stops at the first match (a replay passes
	# with records to spare at the end), so only this makes the replay
	# below prove that nothing was carried.
	first=$(head -n 1 $ASCII)
	case $(nr_records):$first in
	1:*" boot_aggregate") tap ok "its list is one record, its own boot_aggregate" ;;
	*) tap "not ok" "its list is one record, its own boot_aggregate" \
		"$(nr_records) records, the first: $first" ;;
	esac
	check "no record of the previous kernel's files is in its list" \
		not grep -q ' /run/imatest/files/nofit-' $ASCII
	check "archive ++ its list replays to PCR 10 on every bank" replay_ok $BIN
	need_policy || return
	n=$(nr_records)
	measure nofit-next
	expect_eq "a file measured in this kernel adds a record" $(($(nr_records) - n)) 1
	check "archive ++ the grown list replays to PCR 10 on every bank" replay_ok $BIN
}

# record PATH CONTENT: the binary record (ima-ng, sha256, PCR 10) that
# measure adds for file PATH holding the line CONTENT, as
# binary_runtime_measurements has it: PCR, SHA-1 of the template data,
# template name, template data (d-ng: "sha256:\0" and the file's digest,
# n-ng: the name and its \0, each after its length).  Few forks: each one
# is slow in a TCG guest.
record() {
	h=$(printf '%s\n' "$2" | sha256sum)
	{ u32 40; printf 'sha256:\0'; bytes ${h%% *}
	  u32 $((${#1} + 1)); printf '%s\0' "$1"; } >$WORK/td
	h=$(sha1sum <$WORK/td)
	u32 10; bytes ${h%% *}; u32 6; printf ima-ng
	u32 $((4 + 40 + 4 + ${#1} + 1)); cat $WORK/td
}
u32() {	# u32 N: 4 bytes, little endian
	for s in 0 8 16 24; do
		b=$(($1 >> s & 255))
		printf "\\$((b / 64))$((b / 8 % 8))$((b % 8))"
	done
}
bytes() {	# bytes HEX: the bytes it spells
	x=$1
	while [ -n "$x" ]; do
		printf "\\x${x%"${x#??}"}"
		x=${x#??}
	done
}
