# ima-export shows the ascii list as the kernel does, for the template of
# the boot (tests/boots runs this with each template of 6.1 and with an
# ima_template_fmt= one): `cat --ascii` of the whole log, store ++ kernel,
# and the FUSE view's ascii_runtime_measurements are byte for byte the
# kernel's ascii_runtime_measurements as read before the export, followed
# by what the kernel shows after it.
STORE=$WORK/ascii-store
IE="ima-export -q --store $STORE"

start() {
	if [ ! -e $BIN"_staged" ]; then
		tap skip "ima-export ascii" "kernel without CONFIG_IMA_STAGING"
		return
	fi
	need_policy || return
	set -- $(head -n 1 $ASCII)
	echo "# template $3"
	for i in 1 2 3; do measure ascii-$i; done
	cat $ASCII >$WORK/ascii.want
	check "export stores the list and deletes it from the kernel" $IE export
	for i in 4 5; do measure ascii-$i; done
	cat $ASCII >>$WORK/ascii.want
	$IE cat --ascii >$WORK/ascii.got
	same_ascii "cat --ascii of store ++ kernel" $3
	view=$WORK/ascii-view
	mkdir -p $view
	$IE mount --foreground $view 2>$WORK/ascii-view.err &
	vpid=$!
	for i in $(seq 300); do
		grep -q " $view fuse.ima-export " /proc/mounts && break
		sleep 0.1
	done
	cat $view/ascii_runtime_measurements >$WORK/ascii.got 2>>$WORK/ascii-view.err
	same_ascii "the view's ascii_runtime_measurements" $3
	kill $vpid && wait $vpid
	expect_eq "the view unmounts and exits 0 on SIGTERM" $? 0
}

# same_ascii WHAT TEMPLATE: ascii.got is ascii.want, byte for byte
same_ascii() {
	if cmp -s $WORK/ascii.want $WORK/ascii.got; then
		tap ok "$1 is the kernel's ascii, byte for byte ($(wc -l <$WORK/ascii.got) lines, template $2)"
	else
		tap "not ok" "$1 is the kernel's ascii, byte for byte (template $2)"
		diff $WORK/ascii.want $WORK/ascii.got | head -n 6 | sed 's/^/#   /'
		tail -n 3 $WORK/ascii-view.err 2>/dev/null | sed 's/^/#   /'
	fi
}
