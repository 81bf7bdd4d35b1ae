# The IMA kselftests of the series (tools/testing/selftests/ima), installed
# the kernel's way and run by the kernel's runner (run_kselftest.sh, which
# reports each binary's exit status and timeout).  Each test result becomes
# one TAP line of ours, and each binary one more: it exited 0 (or skipped)
# and printed every result its plan announced.  The archive of deleted
# records is $WORK/saved/archive.bin.  This VM is a test machine: it opts in
# to the tests that delete records (IMA_STAGING_DESTRUCTIVE=1).

start() {
	if [ ! -x /selftests/run_kselftest.sh ]; then
		tap "not ok" "the kselftests are in the initramfs"
		return
	fi
	need_policy || return
	without_consent
	(cd /selftests && IMA_STAGING_DESTRUCTIVE=1 IMA_STAGING_ARCHIVE=$ARCHIVE \
		./run_kselftest.sh -c ima) 2>&1 | ksft_tap
}

# Without IMA_STAGING_DESTRUCTIVE=1 (a plain `make kselftest` on a machine
# whose agent needs the records and the files) only the test of the file
# modes runs: the others skip with the reason (holding the files open, or
# deleting records), and both lists are left as they were.
without_consent() {
	lists() { cat $BIN ${BIN}_staged | sha256sum; }
	before=$(lists)
	out=$(cd /selftests/ima && env -u IMA_STAGING_DESTRUCTIVE ./staging_test 2>&1)
	rc=$?
	expect_eq "kselftest without consent: the lists are untouched" "$(lists)" "$before"
	expect_eq "kselftest without consent: exit status" "$rc" 0
	expect_eq "kselftest without consent: no test failed" \
		"$(echo "$out" | grep -c '^not ok')" 0
	ran=$(echo "$out" | grep -c '^ok [0-9]* global\.modes$')
	held=$(echo "$out" | grep -c '^ok [0-9]* # SKIP holds the list files')
	skipped=$(echo "$out" | grep -c '^ok [0-9]* # SKIP deletes IMA measurement records')
	if [ "$ran" = 1 ] && [ "$held" -gt 0 ] && [ "$skipped" -gt 0 ]; then
		tap ok "kselftest without consent: the modes test ran, $held skipped for holding the files, $skipped for deleting records"
	else
		tap "not ok" "kselftest without consent: the modes test runs, the others skip" \
			"$ran ran, $held and $skipped skipped with the reasons"
		echo "$out" | tail -n 20 | sed 's/^/#   /'
	fi
}

# ksft_tap: the runner's nested TAP on stdin, ours on stdout.
ksft_tap() {
	binaries=0 nbin="" plan="" seen=0 prog="" run=""
	while IFS= read -r line; do
		case $line in
		"# selftests: "*)
			prog=${line#\# selftests: } plan="" seen=0 ;;
		"# 1.."*)
			plan=${line#\# 1..} ;;
		"# #  RUN "*)
			run=${line#\# \#  RUN } run=${run%% ...} ;;
		"# ok "*"# SKIP"*)
			# the harness prints "ok N # SKIP reason", without the name
			seen=$((seen + 1))
			tap skip "kselftest $(echo $run)" "${line#*\# SKIP }" ;;
		"# ok "*)
			seen=$((seen + 1))
			tap ok "kselftest ${line#\# ok [0-9]* }" ;;
		"# not ok "*)
			seen=$((seen + 1))
			tap "not ok" "kselftest ${line#\# not ok [0-9]* }" ;;
		"ok "*|"not ok "*)
			binaries=$((binaries + 1))
			ksft_binary "$line" ;;
		"1.."*)
			nbin=${line#1..} ;;
		"# "*)
			echo "#   ${line#\# }" ;;
		*)
			echo "#   $line" ;;
		esac
	done
	if [ -z "${nbin:-}" ] || [ "$binaries" -ne "$nbin" ]; then
		tap "not ok" "kselftest runner ran every binary of its plan" \
			"ran $binaries, plan ${nbin:-missing}"
	fi
}

# ksft_binary RUNNER_LINE: one line for a binary, from the runner's verdict
# (exit status, timeout) and the binary's own plan against what it printed.
ksft_binary() {
	desc="kselftest $prog: exit status and all ${plan:-?} planned results"
	case $1 in
	"ok "*"# SKIP"*)
		tap skip "$desc" "the binary skipped (exit 4)"
		return ;;
	"not ok "*)
		why="runner: ${1##*\# }" ;;
	*)
		why="" ;;
	esac
	[ -n "$plan" ] || why="${why:+$why; }no plan printed"
	[ -n "$plan" ] && [ "$seen" -ne "$plan" ] && why="${why:+$why; }$seen results printed"
	if [ -z "$why" ]; then tap ok "$desc"; else tap "not ok" "$desc" "$why"; fi
}
