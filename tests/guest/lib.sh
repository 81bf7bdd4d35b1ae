# Shared helpers of the guest scenarios (sourced by /init).  TAP out, one
# line per check; the counter lives in /run so it survives kexec (the next
# kernel boots an initramfs cut from this root, see kexec_load).  WORK may
# be set before sourcing (the host-side tests of these helpers do).
IMA=/sys/kernel/security/ima
BIN=$IMA/binary_runtime_measurements
ASCII=$IMA/ascii_runtime_measurements
COUNT=$IMA/runtime_measurements_count
OWNER=4242		# the IMA policy measures files owned by this uid
WORK=${WORK:-/run/imatest}
TESTS=${TESTS:-/tests}	# the scenarios
export TPM_INTERFACE_TYPE=dev TPM_DEVICE=/dev/tpmrm0
mkdir -p $WORK/files $WORK/saved

tap() {	# tap ok|not ok|skip DESCRIPTION [REASON]
	_tap_n=$(($(cat $WORK/n 2>/dev/null || echo 0) + 1))
	echo $_tap_n >$WORK/n
	case $1 in
	ok) echo "ok $_tap_n - $2" ;;
	skip) echo "ok $_tap_n - $2 # SKIP $3" ;;
	*) echo "not ok $_tap_n - $2"; [ -n "$3" ] && echo "# $3" ;;
	esac
	return 0
}
# check DESCRIPTION COMMAND...: one TAP line from the command's exit status;
# its output is shown as TAP comments when it fails.
check() {
	desc=$1; shift
	if out=$("$@" 2>&1); then
		tap ok "$desc"
	else
		tap "not ok" "$desc"
		echo "$out" | tail -n 15 | sed 's/^/#   /'
	fi
}
not() { ! "$@"; }
# is_prefix A B: file A is the beginning of file B.
is_prefix() { head -c "$(stat -c %s "$1")" "$2" | cmp -s - "$1"; }
# expect_eq DESCRIPTION GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then tap ok "$1"; else tap "not ok" "$1" "got '$2', want '$3'"; fi
}

# cmdline_arg NAME: the value of the last NAME=value on the kernel
# command line (empty when absent).
cmdline_arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }

# run_scenario NAME start|resume: a scenario that dies on the way (a shell
# error ends its subshell) is one failed line; one that kexecs never returns.
run_scenario() {
	if [ ! -f $TESTS/$1.sh ]; then
		tap "not ok" "scenario $1 exists"
		return
	fi
	echo "# --- scenario $1 ($2)"
	rm -f $WORK/scenario-ended
	(. $TESTS/$1.sh; "$2"; : >$WORK/scenario-ended)
	rc=$?
	[ -f $WORK/scenario-ended ] ||
		tap "not ok" "scenario $1 ($2) ran to its end" "its shell exited with status $rc"
}

finish() {
	kmemleak=/sys/kernel/debug/kmemleak
	if [ -w $kmemleak ]; then
		# Objects must be unreferenced across two scans to be reported.
		echo scan >$kmemleak; sleep 6; echo scan >$kmemleak
		leaks=$(cat $kmemleak)
		if [ -z "$leaks" ]; then
			tap ok "kmemleak: no leak reported"
		else
			tap "not ok" "kmemleak: no leak reported"
			echo "$leaks" | head -n 40 | sed 's/^/#   /'
		fi
	fi
	echo "1..$(cat $WORK/n 2>/dev/null || echo 0)"
	echo "# imatest: done"
	sync
	reboot -f
}

nr_records() { cat $COUNT; }

# need_policy: load the test policy once per kernel (the mark is in /tmp,
# which kexec does not carry): measure reads of files owned by $OWNER.  The
# load is a TAP line of its own; callers stop when it fails.
need_policy() {
	[ -f /tmp/policy-loaded ] && return 0
	if out=$(echo "measure func=FILE_CHECK mask=^MAY_READ fowner=$OWNER" 2>&1 >$IMA/policy); then
		touch /tmp/policy-loaded
		tap ok "load the IMA test policy"
	else
		tap "not ok" "load the IMA test policy" "$out"
		return 1
	fi
}

# measure NAME [CONTENT]: create a file owned by $OWNER and read it, which
# adds one record (unless the same name and content were measured before).
measure() {
	f=$WORK/files/$1
	printf '%s\n' "${2:-content of $1 $(date +%s%N)}" >"$f"
	chown $OWNER "$f"
	cat "$f" >/dev/null
}

# PCR banks the TPM has, as the kernel exports them (sha1 sha256 ...).
tpm_banks() {
	for d in /sys/class/tpm/tpm0/pcr-*; do
		[ -d "$d" ] && echo "${d##*/pcr-}"
	done
}

# Every record a test deletes is first appended here (the kselftests too),
# as an attestation agent would store it.
ARCHIVE=$WORK/saved/archive.bin

# replay_ok [LOG...]: the archive followed by the binary logs replays to
# PCR 10 of every TPM bank (evmctl, one run per bank so every bank counts).
replay_ok() {
	cat $ARCHIVE "$@" >$WORK/replay.bin 2>/dev/null
	banks=$(tpm_banks)
	[ -n "$banks" ] || { echo "no PCR banks in sysfs"; return 1; }
	for b in $banks; do
		evmctl ima_measurement --verify-bank="$b" $WORK/replay.bin >$WORK/evmctl.out 2>&1 || {
			echo "bank $b does not replay:"; tail -n 8 $WORK/evmctl.out; return 1; }
	done
}

# kexec_load SCENARIO [EXTRA_CMDLINE]: load this kernel with an initramfs cut
# from the running root, so that $WORK travels along; /init resumes SCENARIO
# in the next kernel.  It prints its own TAP line first (the cut must hold
# the counter), so no TAP line may come between kexec_load and kexec_exec.
kexec_load() {
	_tap_n=$(($(cat $WORK/n 2>/dev/null || echo 0) + 1))
	echo $_tap_n >$WORK/n
	# -xdev keeps the mount points (proc, sys, dev) but not their contents.
	(cd / && find . -xdev ! -path './tmp/*' | cpio -o -H newc 2>/dev/null) >/tmp/next.cpio
	cmdline=$(tr ' ' '\n' </proc/cmdline | grep -v '^imatest.resume=' | tr '\n' ' ')
	if out=$(kexec -s -l /boot/bzImage --initrd=/tmp/next.cpio \
		--command-line="$cmdline imatest.resume=$1 $2" 2>&1); then
		echo "ok $_tap_n - kexec -s -l loads the next kernel"
	else
		echo "not ok $_tap_n - kexec -s -l loads the next kernel"
		echo "$out" | sed 's/^/#   /'
		return 1
	fi
}
kexec_exec() {
	echo "# imatest: kexec -e"
	sync
	kexec -e
	tap "not ok" "kexec -e returned"
}
