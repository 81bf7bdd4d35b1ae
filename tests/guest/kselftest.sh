# The IMA kselftests of the series (tools/testing/selftests/ima), run in
# the guest; each of their results becomes one TAP line of ours.  Their
# archive of deleted records is $WORK/saved/archive.bin.

start() {
	t=/selftests/staging_test
	if [ ! -x $t ]; then
		tap "not ok" "kselftest $t is in the initramfs"
		return
	fi
	load_policy
	name=""
	IMA_STAGING_ARCHIVE=$WORK/saved/archive.bin $t 2>&1 | while IFS= read -r line; do
		case $line in
		"#  RUN "*)
			name=$(echo "$line" | sed 's/^#  RUN *//; s/ [.][.][.]$//') ;;
		"ok "*"# SKIP"*)
			tap skip "kselftest $name" "${line#*# SKIP }" ;;
		"ok "*)
			tap ok "kselftest ${line#ok [0-9]* }" ;;
		"not ok "*)
			tap "not ok" "kselftest ${line#not ok [0-9]* }" ;;
		"# Totals"*|"# PASSED"*|"# FAILED"*)
			echo "$line" ;;
		"#"*)
			echo "#   ${line#\#}" ;;
		*)
			echo "#   $line" ;;
		esac
	done
}
