#!/bin/sh
# The systemd boot (imatest.service in the Debian 12 image of
# scripts/debian-disk.sh): the units of tools/ima-export/systemd as
# shipped, set up as tools/ima-export/README.md says, under a real systemd.
# First kernel: the view is up before the stand-in agent
# (imatest-agent.service, reading the stock paths by byte offset and entry
# number), the timer (interval shortened by a drop-in) exports three times,
# each export taking the record measured before it out of the kernel, the
# view replays (evmctl, every bank) and the agent keeps up; then
# `systemctl kexec` into the same kernel, the final export running at stop.
# Second kernel: the final export ran, nothing of the first kernel was
# carried or stored twice, the store ++ the kernel's list replays
# (ima-export verify, evmctl on the view), the agent's reads continue, the
# timer exports again; every unit's result and the journals' errors; the
# units' `systemd-analyze security` scores.
# State lives on the disk (/var/lib/imatest), so the TAP counter and the
# first kernel's snapshots reach the second.  TAP goes to ttyS1 as in the
# initramfs boots; a failure that stops the test ends the boot (plan,
# done, poweroff) rather than leaving it to the host's timeout.
WORK=/var/lib/imatest TESTS=/usr/local/lib/imatest
. $TESTS/lib.sh
[ -n "$(cmdline_arg imatest.powercut)" ] && exec $TESTS/powercut.sh
exec >/dev/ttyS1 2>&1 </dev/null
SFS=/run/imatest-sfs		# securityfs again: the kernel's files under the view
AGENT=/var/lib/imatest-agent
SHIPPED="ima-export-view.service ima-export-final.service ima-export.service"
OURS="$SHIPPED ima-export.timer imatest-agent.service"

end_boot() {
	echo "1..$(cat $WORK/n 2>/dev/null || echo 0)"
	echo "# imatest: done"
	sync
	systemctl --no-block poweroff
	exit 0
}
# stop DESCRIPTION REASON: a failure after which the rest cannot run
stop() { tap "not ok" "$1" "$2"; end_boot; }
# wait_for SECONDS COMMAND...: until the command succeeds
wait_for() {
	_w=$1; shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$_w" -le 0 ] && return 1
		sleep 1; _w=$((_w - 1))
	done
}
# whole log from the store and the kernel's files (not through the view);
# an export may hold the store for a moment (exit 5)
whole() {
	for _i in $(seq 50); do
		ima-export -q cat "$@" && return 0
		[ $? = 5 ] || return 1
		sleep 0.2
	done
	return 1
}
# successful runs of ima-export.service in this boot, from systemd's journal
exports_done() {
	journalctl -b -q -o cat UNIT=ima-export.service \
		MESSAGE_ID=39f53479d3a045ac8e11786248231fbf JOB_RESULT=done | wc -l
}
# the kernel's own ascii list; an export holding the writer keeps readers
# out for a moment (EBUSY)
kernel_ascii() {
	for _i in $(seq 50); do
		cat $SFS/ima/ascii_runtime_measurements 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
# in_kernel NAME: 0 listed, 1 not listed, 2 the list could not be read
in_kernel() {
	kernel_ascii >$WORK/kernel.ascii || return 2
	grep -q " $WORK/files/$1\$" $WORK/kernel.ascii
}
# the agent has read up to the end of the whole log, and read it right
agent_caught_up() {
	whole >$WORK/whole.bin && whole --ascii >$WORK/whole.ascii &&
	cmp -s $AGENT/agent.bin $WORK/whole.bin && cmp -s $AGENT/agent.ascii $WORK/whole.ascii
}
agent_check() {
	_t0=$(cut -d. -f1 /proc/uptime)
	wait_for 40 agent_caught_up
	_rc=$?
	echo "# agent: $1, caught up in $(($(cut -d. -f1 /proc/uptime) - _t0)) s"
	if [ $_rc = 0 ]; then
		tap ok "agent: $1, its reads by byte offset and by entry add up to the whole log ($(wc -l <$AGENT/reads.log) reads, $(wc -l <$AGENT/agent.ascii) entries)"
	else
		tap "not ok" "agent: $1, its reads by byte offset and by entry add up to the whole log" \
			"agent has $(wc -c <$AGENT/agent.bin) bytes, $(wc -l <$AGENT/agent.ascii) entries; the whole log $(wc -c <$WORK/whole.bin) bytes, $(wc -l <$WORK/whole.ascii) entries"
		# the reads that added something: boot, byte, entry, +bytes, +entries
		awk '$4 || $5 { print "#   read: " $0 }' $AGENT/reads.log
		diff $WORK/whole.ascii $AGENT/agent.ascii | awk '{ print "#   diff: " $1 " " $NF }'
	fi
}
# the test policy (lib.sh's need_policy), written to the kernel's file under
# the view: measure reads of files owned by $OWNER
load_policy() {
	if out=$(echo "measure func=FILE_CHECK mask=^MAY_READ fowner=$OWNER" 2>&1 >$SFS/ima/policy); then
		tap ok "load the IMA test policy"
	else
		stop "load the IMA test policy" "$out"
	fi
}
unit_prop() { systemctl show -p "$2" --value "$1"; }
# the view is mounted over $IMA and the agent started after it was
units_up() {
	expect_eq "$1: ima-export-view.service is active, the view mounted over $IMA" \
		"$(systemctl is-active ima-export-view.service) $(awk -v m="$(readlink -f $IMA)" '$2 == m { print $3 }' /proc/mounts)" \
		"active fuse.ima-export"
	expect_eq "$1: ima-export-final.service and ima-export.timer are active" \
		"$(systemctl is-active ima-export-final.service ima-export.timer | tr '\n' ' ')" "active active "
	v=$(unit_prop ima-export-view.service ActiveEnterTimestampMonotonic)
	a=$(unit_prop imatest-agent.service ExecMainStartTimestampMonotonic)
	check "$1: the agent started after the view was up (view $v us, agent $a us)" \
		test "$v" -gt 0 -a "$a" -ge "$v"
}
# one periodic export by the timer: RECORD is measured, and an export that
# ends after it takes it out of the kernel, into the view
# (both in one wait: the record leaves the kernel at the export's A, a
# moment before systemd logs that the export finished)
export_took() { in_kernel "$1"; [ $? = 1 ] && [ "$(exports_done)" -gt "$2" ]; }
timer_export() {
	n0=$(exports_done)
	measure "$1"
	if wait_for 90 export_took "$1" "$n0"; then
		tap ok "timer: an export (run $(exports_done) of ima-export.service) took $1 out of the kernel"
	else
		tap "not ok" "timer: an export took $1 out of the kernel within 90 s" \
			"$(systemctl show -p ActiveState,SubState,LastTriggerUSecMonotonic,NextElapseUSecMonotonic,TimersMonotonic,Result ima-export.timer 2>&1;
			systemctl show -p ActiveState,SubState,Result,ConditionResult,InactiveExitTimestampMonotonic ima-export.service 2>&1;
			systemctl list-jobs --no-pager 2>&1 | head -n 8;
			journalctl -b -q -o short-monotonic UNIT=ima-export.timer + UNIT=ima-export.service + _SYSTEMD_UNIT=ima-export.service 2>&1 | tail -n 25)"
	fi
	check "timer: $1 is in the view's ascii list" grep -q " $WORK/files/$1\$" $ASCII
	check "timer: evmctl validates the view's binary list (sha256 bank)" replay_sha256 $BIN
	agent_check "after the export of $1"
}
# evmctl on one bank (each bank takes about 10 s under TCG: every bank
# is checked after the kexec, by evmctl and by ima-export verify)
replay_sha256() {
	evmctl ima_measurement --verify-bank=sha256 "$1" >$WORK/evmctl.out 2>&1 ||
		{ tail -n 8 $WORK/evmctl.out; return 1; }
}
# journalctl -p err of boot $1 (0, -1): nothing of ours, by the journal's
# fields (our units, and what systemd says of them; not the host name,
# which is imatest on every line)
no_errors() {
	_m=""
	for _u in $OURS; do _m="$_m _SYSTEMD_UNIT=$_u + UNIT=$_u +"; done
	journalctl -b "$1" -p err -q --no-pager -o short $_m SYSLOG_IDENTIFIER=ima-export >$WORK/err-ours.log 2>&1
	expect_eq "journal of boot $1: nothing of ours at priority err or above" "$(cat $WORK/err-ours.log)" ""
	journalctl -b "$1" -p err -q --no-pager -o short >$WORK/err.log 2>&1
	[ -s $WORK/err.log ] && sed 's/^/# (err, any) /' $WORK/err.log | head -n 20
	return 0
}

mkdir -p $SFS
grep -q " $SFS " /proc/mounts || mount -t securityfs securityfs $SFS
phase=$(cat $WORK/phase 2>/dev/null)

if [ -z "$phase" ]; then
	echo "TAP version 13"
	echo "# imatest: kernel $(uname -r), cmdline: $(cat /proc/cmdline)"
	echo "# imatest: systemd $(systemctl --version | head -n 1)"
	expect_eq "systemd is PID 1" "$(cat /proc/1/comm)" systemd
	load_policy
	units_up "boot 1"
	# what the view said as it came up (fusermount3, auto_unmount)
	journalctl -b -q -o cat _SYSTEMD_UNIT=ima-export-view.service | sed 's/^/# view: /'
	agent_check "at boot"
	for i in 1 2 3; do timer_export boot1-$i; done
	# right after an export, 15 s before the next: the final one takes it
	measure boot1-last
	check "kexec: boot1-last is in the kernel's list before systemctl kexec" in_kernel boot1-last
	agent_check "before the kexec"
	cp $WORK/whole.bin $WORK/boot1-whole.bin && cp $WORK/whole.ascii $WORK/boot1-whole.ascii
	cat /proc/sys/kernel/random/boot_id >$WORK/boot1-id
	wc -c <$AGENT/agent.bin >$WORK/boot1-agent-bytes
	check "kexec: kexec -s -l loads this kernel with this command line" \
		kexec -s -l /boot/bzImage --command-line="$(cat /proc/cmdline)"
	echo 2 >$WORK/phase
	sync
	# systemd stops this service as soon as the job is queued: whatever
	# this script would print after it is lost, so the next kernel says
	# whether the kexec happened (the first check of phase 2)
	echo "# imatest: systemctl kexec"
	if ! out=$(systemctl --no-block kexec 2>&1); then
		tap "not ok" "kexec: systemctl kexec accepted" "$out"
		end_boot
	fi
	exit 0
fi

echo "# imatest: kernel $(uname -r) after systemctl kexec"
check "kexec: systemd runs the test again in a new kernel (boot id changed)" \
	test "$(cat /proc/sys/kernel/random/boot_id)" != "$(cat $WORK/boot1-id)"
load_policy
units_up "boot 2"
# the final export at stop in the first kernel
journalctl -b -1 -q -o cat UNIT=ima-export-final.service >$WORK/final.log 2>&1
check "final: the previous boot's journal has ima-export-final.service stopped, not failed" \
	sh -c "grep -q '^Stopped ' $WORK/final.log && ! grep -qi 'fail' $WORK/final.log"
sed 's/^/#   final: /' $WORK/final.log
none_carried() { kernel_ascii >$WORK/kernel.ascii && ! grep -q " $WORK/files/boot1-" $WORK/kernel.ascii; }
check "final: no record of the first kernel was carried into this kernel's list" \
	none_carried
# the whole log: the first kernel's, then this kernel's boot_aggregate
whole >$WORK/whole.bin && whole --ascii >$WORK/whole.ascii
check "final: boot1-last, in the kernel at systemctl kexec, is in the store" \
	grep -q " $WORK/files/boot1-last\$" $WORK/whole.ascii
check "whole log: the first kernel's whole log is its beginning, byte for byte" \
	is_prefix $WORK/boot1-whole.bin $WORK/whole.bin
expect_eq "whole log: after it comes this kernel's boot_aggregate, once" \
	"$(tail -n +$(($(wc -l <$WORK/boot1-whole.ascii) + 1)) $WORK/whole.ascii | awk '{ print $NF }' | tr '\n' ' ')" \
	"boot_aggregate "
expect_eq "whole log: no record stored twice (template hashes, boot_aggregate aside)" \
	"$(grep -v ' boot_aggregate$' $WORK/whole.ascii | awk '{ print $2 }' | sort | uniq -d)" ""
check "replay: ima-export verify (the store ++ the kernel's list against PCR 10)" ima-export verify
check "replay: evmctl validates the view's binary list on every bank" replay_ok $BIN
agent_check "after the kexec"
expect_eq "agent: its first read in this kernel resumed at the byte where the first kernel's ended" \
	"$(awk -v b="$(cat /proc/sys/kernel/random/boot_id)" '$1 == b { print $2; exit }' $AGENT/reads.log)" \
	"$(cat $WORK/boot1-agent-bytes)"
timer_export boot2-1
check "replay: ima-export verify after the export in this kernel" ima-export verify

# every unit's result, and the journals of both kernels
for u in $OURS; do
	state=$(systemctl is-active $u) result=$(unit_prop $u Result)
	check "$u: $state, not failed, result $result" \
		sh -c "! systemctl is-failed --quiet $u && test '$result' = success"
done
no_errors -1
no_errors 0

# supervised: the view killed (SIGKILL, as the OOM killer would) is started
# again by systemd (Restart=on-failure; its ExecStopPost takes the dead
# mount away) and serves the whole log again
whole >$WORK/whole.bin
old=$(unit_prop ima-export-view.service MainPID)
systemctl kill -s KILL ima-export-view.service
view_back() {
	_p=$(unit_prop ima-export-view.service MainPID)
	_a=$(systemctl is-active ima-export-view.service)
	_c=$(cmp $BIN $WORK/whole.bin 2>&1)
	echo "$(cut -d' ' -f1 /proc/uptime) $_a pid $_p, cmp: ${_c:-same}" >>$WORK/view-back.log
	[ "$_a" = active ] && [ "$_p" != 0 ] && [ "$_p" != "$old" ] && [ -z "$_c" ]
}
if wait_for 30 view_back; then
	tap ok "view: killed (pid $old), systemd starts it again and it serves the whole log"
else
	tap "not ok" "view: killed (pid $old), systemd starts it again and it serves the whole log" \
		"$(journalctl -b -q -o cat -n 8 UNIT=ima-export-view.service + _SYSTEMD_UNIT=ima-export-view.service 2>&1)"
	echo "# main pid $(unit_prop ima-export-view.service MainPID), $(systemctl is-active ima-export-view.service); the view's list $(wc -c <$BIN) bytes, the whole log before the kill $(wc -c <$WORK/whole.bin), now $(whole | wc -c)"
	cmp $BIN $WORK/whole.bin 2>&1 | sed 's/^/#   /'
	tail -n 12 $WORK/view-back.log | sed 's/^/#   view_back: /'
	grep " $(readlink -f $IMA) " /proc/mounts | sed 's/^/#   mount: /'
fi

# systemd-analyze security: OK (exposure below 5.0) or better
for u in $SHIPPED; do
	score=$(systemd-analyze security --no-pager $u 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
	echo "# systemd-analyze security $u: ${score:-none}"
	case ${score#* } in
	OK|SAFE|PERFECT) tap ok "security: $u exposure $score" ;;
	*) tap "not ok" "security: $u exposure $score, OK or better wanted" \
		"$(systemd-analyze security --no-pager $u 2>&1 | grep '✗' | sort -k2 | tail -n 12)" ;;
	esac
done
end_boot
