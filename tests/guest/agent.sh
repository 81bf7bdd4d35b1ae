# An attestation agent as agents behave, across exports and a kexec: it
# reads only the stock paths, which the view covers as the shipped units
# run it, and never learns that records were exported.  It keeps the binary
# list open and reads on from where it stopped; after the kexec it opens it
# again and resumes from its byte offset, and it follows the ascii list by
# entry number.  The verifier's side is the replay of what the agent read
# against PCR 10 of every bank at each quote.  Exports: the timer's command
# (ima-export.service), an N export up to PCR 10 read from the TPM, and the
# final export (ima-export-final.service's stop command) before the kexec.
# It runs first in its boot (nothing exported before it) and resumes in the
# next kernel (imatest.resume=agent).  Every process started here is
# stopped by its pid, on every path (the EXIT trap).

STORE=$WORK/agent-store
AGENT=$WORK/agent		# the agent's state: what it read, where it is
SFS=/run/securityfs		# the kernel's files, under the view
IE="ima-export -q --store $STORE"
export IMA_EXPORT_STORE=$STORE	# for the units' commands
view_pid=

stop_view() {
	[ -n "$view_pid" ] || return 0
	kill $view_pid 2>/dev/null
	for i in $(seq 100); do
		grep -q " $(readlink -f $IMA) fuse.ima-export " /proc/mounts || break
		sleep 0.1
	done
	view_pid=
}

# unit_cmd UNIT KEY: the command of KEY= in the shipped unit, as systemd
# runs it
unit_cmd() {
	cmd=$(sed -n "s/^$2=//p" /lib/systemd/system/$1.service)
	[ -n "$cmd" ] || { echo "no $2= in $1.service" >&2; return 127; }
	$cmd
}

# setup: the kernel's files at $SFS, the view over $IMA by its unit's command
setup() {
	need_policy || return 1
	trap stop_view EXIT
	mkdir -p $SFS $AGENT
	grep -q " $SFS securityfs " /proc/mounts || mount -t securityfs securityfs $SFS
	view_pid=$(unit_cmd ima-export-view ExecStart 2>>$WORK/agent-view.err)
	if [ -z "$view_pid" ] || ! grep -q " $(readlink -f $IMA) fuse.ima-export " /proc/mounts; then
		tap "not ok" "agent: the view unit's command mounts the view over $IMA" "$(tail -n 3 $WORK/agent-view.err)"
		return 1
	fi
}

# agent_read: read on from the kept descriptor 6, and the ascii list from
# the next entry on; remember the byte offset and the entry number
agent_read() {
	cat <&6 >>$AGENT/bin
	tail -n +$(($(cat $AGENT/entries) + 1)) $ASCII >>$AGENT/txt
	wc -c <$AGENT/bin >$AGENT/offset
	wc -l <$AGENT/txt >$AGENT/entries
}

# agent_check WHEN [quote]: what the agent read, binary and ascii, is the
# whole log (the store's chunks ++ the kernel's lists, put together by
# ima-export from the kernel's own files); at a quote, the verifier's
# running PCR 10 over it matches the TPM on every bank
agent_check() {
	check "agent: $1, its reads continue each other exactly (binary = store ++ kernel)" \
		sh -c "$IE --securityfs $SFS/ima cat | cmp - $AGENT/bin"
	check "agent: $1, its ascii reads by entry number continue each other exactly" \
		sh -c "$IE --securityfs $SFS/ima cat --ascii | cmp - $AGENT/txt"
	[ "$2" = quote ] || return 0
	check "agent: $1, its running PCR 10 matches the TPM on every bank" replay_ok $AGENT/bin
}

start() {
	check "agent: nothing was exported before this scenario (it runs first in its boot)" test ! -e $ARCHIVE
	setup || return
	for i in $(seq 20); do measure agent-a$i; done
	exec 6<$BIN
	: >$AGENT/bin; : >$AGENT/txt; echo 0 >$AGENT/entries
	agent_read
	agent_check "first read"

	measure agent-b1
	unit_cmd ima-export ExecStart 2>$WORK/agent-export.err
	expect_eq "agent: the timer's export (ima-export.service's command) under the view exits 0" \
		"$? $(cat $WORK/agent-export.err)" "0 "
	measure agent-b2
	unit_cmd ima-export ExecStart 2>$WORK/agent-export.err
	expect_eq "agent: the timer's export again, with new records" "$? $(cat $WORK/agent-export.err)" "0 "
	check "agent: the kernel's list holds only what came after the export" \
		test "$(cat $SFS/ima/runtime_measurements_count)" -lt 5
	agent_read
	agent_check "after two timer exports"

	measure agent-c1
	$IE export --quote-tpm 2>$WORK/agent-export.err
	expect_eq "agent: an N export up to PCR 10 read from the TPM exits 0" \
		"$? $(cat $WORK/agent-export.err)" "0 "
	agent_read
	agent_check "at the quote of the N export" quote

	measure agent-d1
	unit_cmd ima-export-final ExecStop 2>$WORK/agent-export.err
	expect_eq "agent: the final export (ima-export-final.service's stop command) exits 0" \
		"$? $(cat $WORK/agent-export.err)" "0 "
	agent_read
	agent_check "after the final export"
	exec 6<&-
	stop_view
	trap - EXIT
	# records measured after the load are carried by the kernel at
	# kexec -e, the next kernel adds its boot_aggregate
	kexec_load agent || return
	measure agent-k1
	measure agent-k2
	kexec_exec
}

resume() {
	setup || return
	check "agent: after the kexec the store is the same boot (the TPM was not reset)" \
		test "$($IE boots | wc -l)" -eq 1
	# a new agent process: open again, skip to the byte offset it kept
	exec 6<$BIN
	skipped=$(head -c "$(cat $AGENT/offset)" <&6 | cmp - $AGENT/bin && echo same)
	expect_eq "agent: after the kexec the first $(cat $AGENT/offset) bytes are those it read before" \
		"$skipped" same
	agent_read
	agent_check "after the kexec, resumed by byte offset and entry number" quote
	check "agent: the records measured after the load, carried at kexec -e, each once" \
		sh -c "test \$(grep -c '/files/agent-k[12]\$' $AGENT/txt) -eq 2"
	expect_eq "agent: the next kernel's boot_aggregate follows the carried records" \
		"$(grep -n 'boot_aggregate$' $AGENT/txt | tail -n 1 | cut -d: -f1)" \
		"$(($(grep -n '/files/agent-k2$' $AGENT/txt | cut -d: -f1) + 1))"

	measure agent-e1
	unit_cmd ima-export ExecStart 2>$WORK/agent-export.err
	expect_eq "agent: the timer's export in the next kernel exits 0" \
		"$? $(cat $WORK/agent-export.err)" "0 "
	measure agent-e2
	$IE export --quote-tpm 2>$WORK/agent-export.err
	expect_eq "agent: an N export in the next kernel exits 0" "$? $(cat $WORK/agent-export.err)" "0 "
	agent_read
	agent_check "at the quote in the next kernel" quote
	check "agent: verify passes (store ++ kernel, every bank)" $IE --securityfs $SFS/ima verify
	dup=$(awk '{ print $NF }' $AGENT/txt | grep '/files/agent-' | sort | uniq -d | head -n 3)
	expect_eq "agent: no file record stored twice" "$dup" ""
	exec 6<&-
	stop_view
	trap - EXIT
	# what was exported is deleted from the kernel: later scenarios
	# replay the archive first
	cat $STORE/*/[0-9]*.bin >>$ARCHIVE 2>/dev/null
	unset IMA_EXPORT_STORE
}
