#!/bin/sh
# A stand-in attestation agent (imatest-agent.service): every 2 seconds it
# reads on from where it stopped, as Keylime's agent does, in the stock
# files: the binary list from its byte offset, the ascii list from its
# entry number.  What it has read is kept in /var/lib/imatest-agent (the
# offsets are the sizes of agent.bin and agent.ascii), so it resumes there
# when started again, in the next kernel too; reads.log has one line per
# read: boot id, byte offset, entry number, and the bytes and entries it
# added.  SIGTERM (to this shell alone: KillMode=mixed) ends it between
# reads; offsets it cannot read end it with an error.
IMA=/sys/kernel/security/ima
D=/var/lib/imatest-agent
mkdir -p $D
touch $D/agent.bin $D/agent.ascii
stop=
trap 'stop=1' TERM
boot=$(cat /proc/sys/kernel/random/boot_id)
while [ -z "$stop" ]; do
	off=$(stat -c %s $D/agent.bin) && entry=$(wc -l <$D/agent.ascii) &&
		[ -n "$off" ] && [ -n "$entry" ] || { echo "agent: cannot read its offsets" >&2; exit 1; }
	if dd if=$IMA/binary_runtime_measurements iflag=skip_bytes skip="$off" bs=1M \
		status=none >$D/new.bin &&
	   tail -n +$((entry + 1)) $IMA/ascii_runtime_measurements >$D/new.ascii; then
		cat $D/new.bin >>$D/agent.bin
		cat $D/new.ascii >>$D/agent.ascii
		echo "$boot $off $entry $(wc -c <$D/new.bin) $(wc -l <$D/new.ascii)" >>$D/reads.log
		sync $D/agent.bin $D/agent.ascii $D/reads.log
	else
		echo "agent: a read at byte $off / entry $entry failed" >&2
	fi
	sleep 2 &
	wait $!
done
