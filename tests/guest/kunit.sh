# The series' KUnit suite (CONFIG_IMA_STAGING_KUNIT_TEST): it runs at boot,
# before init, and prints KTAP to the kernel log.  Each of its cases
# becomes one TAP line of ours, with the suite's plan and verdict checked
# too; a kernel built without the suite is a failure, not a skip.

start() {
	dmesg | kunit_tap ima_staging
}

# ktap_name "N [- ]NAME": NAME (6.1 prints "ok 1 name", KTAP allows "- ")
ktap_name() { n=${1#* }; echo "${n#- }"; }

# kunit_tap SUITE: the kernel log on stdin, our TAP lines on stdout.
kunit_tap() {
	suite=$1 in=0 plan="" seen=0 verdict=""
	sed -E 's/^\[[^]]*\] ?//' | kunit_cases
}

kunit_cases() {
	while IFS= read -r line; do
		case $in:$line in
		0:*"# Subtest: $suite")
			in=1 ;;
		1:"    1.."*)
			plan=${line#    1..} ;;
		1:"    ok "*"# SKIP"*)
			seen=$((seen + 1)) name=$(ktap_name "${line#    ok }")
			tap skip "kunit $suite: ${name%% \#*}" "${line#*\# SKIP }" ;;
		1:"    ok "*)
			seen=$((seen + 1))
			tap ok "kunit $suite: $(ktap_name "${line#    ok }")" ;;
		1:"    not ok "*)
			seen=$((seen + 1))
			tap "not ok" "kunit $suite: $(ktap_name "${line#    not ok }")" ;;
		1:"ok "*" $suite"|1:"not ok "*" $suite")
			verdict=${line%% [0-9]*}
			in=2 ;;
		1:*)
			# the expectations that failed, and the suite's own totals
			echo "#   $line" ;;
		esac
	done
	if [ -z "$verdict" ]; then
		tap "not ok" "kunit $suite: the suite ran at boot and ended" \
			"no verdict for $suite in the kernel log"
	elif [ -z "$plan" ] || [ "$seen" -ne "$plan" ]; then
		tap "not ok" "kunit $suite: every planned case reported" \
			"plan ${plan:-missing}, $seen results"
	else
		expect_eq "kunit $suite: the suite's own verdict" "$verdict" ok
	fi
}
