# The measurement list of the running kernel against the TPM, on any 6.1
# kernel: boot with a TPM, load a policy, add records, replay to PCR 10 of
# every bank with evmctl, and see a tampered log rejected.

start() {
	check "TPM character devices present" test -c /dev/tpm0 -a -c /dev/tpmrm0
	banks=$(tpm_banks | tr '\n' ' ')
	check "TPM exports PCR banks in sysfs ($banks)" test -n "$banks"
	first=$(head -n 1 $ASCII)
	case $first in
	*" boot_aggregate") tap ok "first record is boot_aggregate" ;;
	*) tap "not ok" "first record is boot_aggregate" "got: $first" ;;
	esac
	case $first in
	*":0000000000000000000000000000000000000000000000000000000000000000 "*)
		tap "not ok" "boot_aggregate is not zero (the TPM was read)" ;;
	*) tap ok "boot_aggregate is not zero (the TPM was read)" ;;
	esac

	if [ -e $BIN"_staged" ]; then
		modes="$(stat -c %a $BIN $ASCII $BIN"_staged" $ASCII"_staged" $COUNT | tr '\n' ' ')"
		expect_eq "CONFIG_IMA_STAGING: list files 0660, count 0440" "$modes" "660 660 660 660 440 "
	else
		modes="$(stat -c %a $BIN $ASCII $COUNT | tr '\n' ' ')"
		expect_eq "no CONFIG_IMA_STAGING: the stock files and modes (0440)" "$modes" "440 440 440 "
		check "no CONFIG_IMA_STAGING: no _staged files" \
			not ls $IMA/binary_runtime_measurements_staged $IMA/ascii_runtime_measurements_staged
		check "no CONFIG_IMA_STAGING: the list cannot be written" \
			not sh -c "echo A >$BIN"
	fi
	need_policy || return
	before=$(nr_records)
	for i in 1 2 3 4 5; do measure "measure-$i"; done
	expect_eq "five new files add five records" $(($(nr_records) - before)) 5
	measure measure-1 "$(cat $WORK/files/measure-1)"
	expect_eq "same name and content again adds no record" $(($(nr_records) - before)) 5
	lines=$(wc -l <$ASCII)
	expect_eq "ascii list has runtime_measurements_count lines" "$lines" "$(nr_records)"

	cp $BIN $WORK/list.bin
	check "binary list replays to PCR 10 on every bank (evmctl)" replay_ok $WORK/list.bin
	# Flip one byte in the last record's file name: evmctl must refuse it.
	size=$(stat -c %s $WORK/list.bin)
	printf 'X' | dd of=$WORK/list.bin bs=1 seek=$((size - 2)) conv=notrunc 2>/dev/null
	check "a log with one altered record does not replay" not replay_ok $WORK/list.bin
}
