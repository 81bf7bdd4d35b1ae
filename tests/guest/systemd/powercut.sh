#!/bin/sh
# A power-cut boot of the systemd image (scripts/vm.sh vm.powercut=N runs it
# with imatest.powercut=cut, then once with imatest.powercut=last; the
# test service starts it instead of systemd.sh).  The host kills QEMU and
# swtpm at a random moment of the loop below, then boots the same disk and
# TPM state again: the ext4 store on the virtio disk is what a power loss
# left.  This script only reports, as TAP comments; the host compares the
# reports of consecutive boots and prints the results:
#   # fsck KEY LINE       every line of `ima-export fsck` for each boot
#   # fsck-exit KEY RC    its status (after --repair when it was 15)
#   # durable KEY LINE    the chunk lines of this boot's journal, printed
#                         after each export that exited 0: what an export
#                         reported durable before the cut
#   # imatest: powercut armed   the host may cut from here on (after the
#                         first export that exited 0)
# The last boot exports and verifies instead of looping.
WORK=/var/lib/imatest TESTS=/usr/local/lib/imatest
. $TESTS/lib.sh
exec >/dev/ttyS1 2>&1 </dev/null
mode=$(cmdline_arg imatest.powercut)
echo "# imatest: power-cut boot ($mode), kernel $(uname -r), boot id $(cat /proc/sys/kernel/random/boot_id)"

# what the last cut left, boot by boot (a cut resets the TPM: each boot
# of the TPM is a boot of the store)
for key in $(ima-export boots | awk '{ print $1 }'); do
	ima-export --boot-key "$key" fsck >$WORK/fsck.out 2>&1
	rc=$?
	sed "s/^/# fsck $key /" $WORK/fsck.out
	if [ $rc = 15 ]; then
		ima-export --boot-key "$key" fsck --repair 2>&1 | sed "s/^/# fsck-repair $key /"
		ima-export --boot-key "$key" fsck >/dev/null 2>&1
		rc=$?
	fi
	echo "# fsck-exit $key $rc"
done
key=$(ima-export boot-key)
echo "# imatest: this boot's key $key"

if [ "$mode" = last ]; then
	measure powercut-last
	systemctl start ima-export.service
	echo "# export-exit $?"
	ima-export verify >$WORK/verify.out 2>&1
	echo "# verify-exit $?"
	sed 's/^/#   verify: /' $WORK/verify.out
	echo "# imatest: done"
	sync
	systemctl --no-block poweroff
	exit 0
fi

# Exports as the timer starts them (the shipped unit, in its sandbox),
# back to back, while files are measured; only this loop exports, so
# what fsck lists after an export that exited 0 is what exports reported
# durable.
systemctl stop ima-export.timer
# the test policy, through a securityfs of our own (the view's policy file
# is read-only); fifty files measured again and again with new contents
mkdir -p /run/imatest-sfs
mount -t securityfs securityfs /run/imatest-sfs
echo "measure func=FILE_CHECK mask=^MAY_READ fowner=$OWNER" >/run/imatest-sfs/ima/policy ||
	echo "# the test policy could not be loaded"
(i=0; while :; do i=$((i + 1)); measure "cut-$((i % 50))" >/dev/null 2>&1; done) &
# armed once the first export reported chunks durable: every cut has
# claims to check, however slowly a busy host runs the guest
n=0
while :; do
	n=$((n + 1))
	if systemctl start ima-export.service; then
		ima-export fsck 2>/dev/null | grep '^chunk ' | sed "s/^/# durable $key /"
		echo "# export $n done"
		[ -n "$armed" ] || echo "# imatest: powercut armed"
		armed=1
	else
		echo "# export $n: ima-export.service failed, exit status $(systemctl show -p ExecMainStatus --value ima-export.service)"
		journalctl -q -o cat -n 3 _SYSTEMD_UNIT=ima-export.service | sed 's/^/#   /'
	fi
done
