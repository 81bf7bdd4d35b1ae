#!/bin/bash
# Host-side tests of the test harness itself (TAP): a dead step is counted
# as failed, the guest's kselftest filter turns crashes, short plans and
# binaries that cannot start into failed lines, the console patterns catch
# the splats the configs can produce and nothing of a clean boot, and the
# config merge names an option that does not survive, vm.sh stops its
# QEMU and swtpm when it is signalled, and its power cuts (with a fake
# QEMU that plays the guest) fail what the guest's reports show lost.
# Run by scripts/check.sh as the step "host".
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/harness.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
t() {	# t DESCRIPTION COMMAND...: one TAP line from the command's status
	local desc=$1 out; shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - host: $desc"
	else
		failed=1
		echo "not ok $n - host: $desc"
		echo "$out" | tail -n 10 | sed 's/^/#   /'
	fi
}
has() { grep -qE -- "$2" "$1" || { echo "no line matching '$2' in:"; cat "$1"; return 1; }; }
hasnt() { ! grep -qE -- "$2" "$1" || { echo "a line matches '$2' in:"; cat "$1"; return 1; }; }

# --- run_step: a step's exit status counts --------------------------------
step_result() {	# step_result COMMAND: run_step's lines for COMMAND in $tmp/step
	: >"$tmp/log"
	run_step fake "$tmp/log" "$@" >/dev/null
	cp "$tmp/log" "$tmp/step"
}
step_result sh -c 'echo "ok 1 - fine"; exit 3'
t "a step exiting 3 after 'ok' lines gets a failed line naming it" \
	has "$tmp/step" '^not ok - step fake: exited with status 3'
step_result sh -c 'echo "not ok 1 - broken"; exit 1'
t "a step that reported its failure gets no second line" \
	eval '[ "$(grep -c "^not ok" "$tmp/step")" -eq 1 ]'
step_result true
t "a step that prints no result is a failed line" has "$tmp/step" '^not ok - step fake: reported no result'
step_result sh -c 'echo "ok 1 - fine"'
t "a step that passes adds nothing" hasnt "$tmp/step" '^not ok'
printf 'ok 1 - a\nnot ok 2 - b\nok 3 - c # SKIP why\n' >"$tmp/sum"
t "the closing line counts passed, failed and skipped" \
	eval '[ "$(tap_summary "$tmp/sum")" = "1 passed, 1 failed, 1 skipped" ]'

# --- the guest's kselftest filter (busybox sh in the guest, sh here) -------
ksft() {	# ksft TRANSCRIPT: the filter's TAP for a runner transcript
	rm -rf "$tmp/work"
	WORK=$tmp/work sh -c '. "$1"/lib.sh; . "$1"/kselftest.sh; ksft_tap' sh \
		"$top/tests/guest" <"$1" >"$1.tap"
}
head='TAP version 13
1..1
# selftests: ima: staging_test
# TAP version 13'
printf '%s\n' "$head" '# 1..2' '# ok 1 staging.a' \
	'# #  RUN           staging.b ...' '# #      SKIP      no N' '# ok 2 # SKIP no N' \
	'ok 1 selftests: ima: staging_test' >"$tmp/pass"
ksft "$tmp/pass"
t "kselftest: a clean run is 1 ok, 1 skip and the binary's ok" \
	eval '[ "$(tap_summary "$tmp/pass.tap")" = "2 passed, 0 failed, 1 skipped" ]'
t "kselftest: a skip is named by its RUN line and gives its reason" \
	has "$tmp/pass.tap" '^ok 2 - kselftest staging.b # SKIP no N$'
printf '%s\n' "$head" '# 1..3' '# ok 1 staging.a' \
	'not ok 1 selftests: ima: staging_test # exit=139' >"$tmp/crash"
ksft "$tmp/crash"
t "kselftest: a binary that crashes half way is a failed line" \
	eval 'has "$tmp/crash.tap" "^not ok .*staging_test" && has "$tmp/crash.tap" "^# runner: exit=139; 1 results printed"'
printf '%s\n' "$head" '# 1..3' '# ok 1 staging.a' '# ok 2 staging.b' \
	'ok 1 selftests: ima: staging_test' >"$tmp/short"
ksft "$tmp/short"
t "kselftest: fewer results than the plan, exit 0, is a failed line" \
	eval 'has "$tmp/short.tap" "^not ok .*staging_test" && has "$tmp/short.tap" "^# 2 results printed"'
printf '%s\n' 'TAP version 13' '1..1' '# selftests: ima: staging_test' \
	'# ./staging_test: not found' 'not ok 1 selftests: ima: staging_test # exit=127' >"$tmp/nostart"
ksft "$tmp/nostart"
t "kselftest: a binary that cannot start is a failed line" \
	eval 'has "$tmp/nostart.tap" "^not ok .*staging_test" && has "$tmp/nostart.tap" "^# runner: exit=127; no plan printed"'
printf '%s\n' "$head" '# 1..1' '# ok 1 staging.a' >"$tmp/cut"
ksft "$tmp/cut"
t "kselftest: a runner cut short (no verdict) is a failed line" \
	has "$tmp/cut.tap" '^not ok .*runner ran every binary of its plan'
printf '%s\n' "$head" '# 1..1' '# not ok 1 staging.a' \
	'not ok 1 selftests: ima: staging_test # TIMEOUT 45 seconds' >"$tmp/timeout"
ksft "$tmp/timeout"
t "kselftest: a failed test and a timeout are two failed lines" \
	eval '[ "$(grep -c "^not ok" "$tmp/timeout.tap")" -eq 2 ] && grep -q "TIMEOUT 45" "$tmp/timeout.tap"'

# --- the guest's KUnit filter: the kernel log of a boot --------------------
kunit() {	# kunit LOG: the filter's TAP for a kernel log
	rm -rf "$tmp/work"
	WORK=$tmp/work sh -c '. "$1"/lib.sh; . "$1"/kunit.sh; kunit_tap ima_staging' sh \
		"$top/tests/guest" <"$1" >"$1.tap"
}
ktap() {	# ktap CASE-LINES... : a boot log around the suite's KTAP
	printf '[    0.9] tpm_tis 00:05: 2.0 TPM\n[    1.0] KTAP version 1\n[    1.0] 1..1\n'
	printf '[    1.0]     KTAP version 1\n[    1.0]     # Subtest: ima_staging\n'
	printf '[    1.1] %s\n' "$@"
	printf '[    1.5] Run /init as init process\n'
}
ktap '    1..2' '    ok 1 capture_carried' '    ok 2 delete_waits # SKIP no thread' \
	'# ima_staging: pass:1 fail:0 skip:1 total:2' 'ok 1 ima_staging' >"$tmp/kpass"
kunit "$tmp/kpass"
t "kunit: a clean suite (6.1's KTAP) is its cases, a skip with its reason, and its verdict" \
	eval '[ "$(tap_summary "$tmp/kpass.tap")" = "2 passed, 0 failed, 1 skipped" ] &&
		grep -q "^ok 2 - kunit ima_staging: delete_waits # SKIP no thread$" "$tmp/kpass.tap"'
ktap '    1..2' '    # capture_carried: EXPECTATION FAILED at ima_staging_kunit.c:60' \
	'    not ok 1 - capture_carried' '    ok 2 - delete_waits' 'not ok 1 - ima_staging' >"$tmp/kfail"
kunit "$tmp/kfail"
t "kunit: a failed case and the suite's verdict (KTAP with dashes) are failed lines, with the expectation" \
	eval '[ "$(grep -c "^not ok" "$tmp/kfail.tap")" -eq 2 ] && grep -q "EXPECTATION FAILED" "$tmp/kfail.tap"'
printf '[    1.0] Linux version 6.1.192\n[    1.5] Run /init as init process\n' >"$tmp/knone"
kunit "$tmp/knone"
t "kunit: a kernel without the suite is a failed line" \
	has "$tmp/knone.tap" '^not ok .*the suite ran at boot and ended'
ktap '    1..3' '    ok 1 capture_carried' 'ok 1 ima_staging' >"$tmp/kshort"
kunit "$tmp/kshort"
t "kunit: fewer cases than the plan is a failed line" \
	has "$tmp/kshort.tap" '^not ok .*every planned case reported'

# --- the guest's scenario runner: a scenario that dies is a failed line ----
scenario() {	# scenario NAME BODY: run_scenario's TAP for a scenario file
	mkdir -p "$tmp/scn"
	printf '%s\n' "$2" >"$tmp/scn/$1.sh"
	rm -rf "$tmp/work"
	WORK=$tmp/work TESTS=$tmp/scn sh -c '. "$1"/lib.sh; run_scenario "$2" start' sh \
		"$top/tests/guest" "$1" >"$tmp/scn/$1.tap" 2>&1
}
scenario dies 'exit 5'
t "scenario: one that dies before its first line is a failed line" \
	has "$tmp/scn/dies.tap" '^not ok 1 - scenario dies \(start\) ran to its end'
scenario broken 'start() { tap ok "first"; }; if then'
t "scenario: one with a shell syntax error is a failed line" \
	has "$tmp/scn/broken.tap" '^not ok .*scenario broken'
scenario fine 'start() { tap ok "first"; false; }'
t "scenario: one that ends (whatever its last status) adds nothing" \
	eval 'has "$tmp/scn/fine.tap" "^ok 1 - first" && hasnt "$tmp/scn/fine.tap" "^not ok"'
t "scenario: a missing one is a failed line" \
	eval 'WORK=$tmp/work TESTS=$tmp/scn sh -c ". $top/tests/guest/lib.sh; run_scenario nope start" | grep -q "^not ok .*scenario nope exists"'

# --- console badness ------------------------------------------------------
badness=$(data_lines "$top/tests/console-badness")
for splat in \
	'[    3.1] WARNING: possible circular locking dependency detected' \
	'[    3.1] WARNING: suspicious RCU usage' \
	'[    3.1] BUG: sleeping function called from invalid context at mm/slab.h:1' \
	'[    3.1] list_add corruption. prev->next should be next (ffff), but was 0000.' \
	'[    3.1] kernel BUG at lib/list_debug.c:30!' \
	'[    3.1] general protection fault, probably for non-canonical address' \
	'[    3.1] rcu: INFO: rcu_preempt self-detected stall on CPU' \
	'[   30.2] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)' \
	'unreferenced object 0xffff888004c1a000 (size 96):' \
	'[    0.9] kmemleak: Memory pool empty, consider increasing CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE' \
	'[    0.9] kmemleak: Kernel memory leak detector disabled' \
	'[   41.7] BUG: KASAN: use-after-free in ima_measurements_show+0x3c/0x2a0' \
	'[   41.7] Memory state around the buggy address:' \
	'[   41.7] ODEBUG: free active (active state 1) object type: rcu_head hint: 0x0'; do
	t "console-badness catches: ${splat#* }" grep -qE "$badness" <<<"$splat"
done
clean='[    0.0] Linux version 6.1.0 (ima-staging@build) #1 SMP PREEMPT_DYNAMIC
[    0.4] ima: Allocated hash algorithm: sha256
[    0.5] kmemleak: Kernel memory leak detector initialized (mem pool available: 15676)
[    0.0] kasan: KernelAddressSanitizer initialized
[    9.8] kmemleak: Automatic memory scanning thread ended
[    1.2] Run /init as init process
[    2.0] tpm_tis 00:05: 2.0 TPM (device-id 0x1, rev-id 1)
[    9.9] reboot: Power down'
t "console-badness: a clean boot's lines match nothing" \
	eval '! grep -E "$badness" <<<"$clean"'

# --- tests/flavours: tree=TAG picks the source, it is no config line ------
t "flavours: tree=base builds stock from build/linux-base" \
	eval '[ "$(flavour_src stock)" = "$tree-base" ]'
t "flavours: ... and tree= is not passed on as a config line" \
	eval '! flavour_overrides stock | grep -q tree='
t "flavours: a flavour without tree= builds the series" \
	eval '[ "$(flavour_src debug)" = "$tree" ] && [ -z "$(flavour_tag debug)" ]'
t "flavours: an unknown flavour fails" eval '! flavour_overrides no-such-flavour'

# --- vm.sh: swtpm and QEMU are stopped by pid however vm.sh ends ---------
# A copy of the scripts in a scratch tree with fake kernel files, and fake
# swtpm and QEMU on PATH that record their pids and wait.
vmtop=$tmp/vmtop
mkdir -p "$vmtop/scripts" "$vmtop/build/obj/f/arch/x86/boot" "$vmtop/bin"
cp "$top/scripts/vm.sh" "$top/scripts/lib.sh" "$vmtop/scripts/"
: >"$vmtop/build/obj/f/arch/x86/boot/bzImage"; : >"$vmtop/build/initramfs-f.cpio.gz"
cat >"$vmtop/bin/swtpm" <<'FAKE'
#!/bin/bash
# the socket vm.sh waits for, then wait to be stopped
for a; do case $a in type=unixio,path=*) sock=${a#type=unixio,path=} ;; esac; done
echo $$ >"$VMTEST/swtpm.pid"; echo $$ >>"$VMTEST/swtpm.pids"
exec python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); time.sleep(600)' "$sock"
FAKE
printf '#!/bin/sh\necho $$ >"$VMTEST/qemu.pid"\nexec sleep 600\n' >"$vmtop/bin/qemu-system-x86_64"
chmod +x "$vmtop/bin/"*
# vm_ends SIGNAL: start vm.sh, send it SIGNAL once QEMU runs; then nothing
# it started may be left
vm_ends() {
	local vm
	export VMTEST=$tmp/vm-$1
	mkdir -p "$VMTEST"
	PATH=$vmtop/bin:$PATH "$vmtop/scripts/vm.sh" --name t --flavour f x >"$VMTEST/out" 2>&1 &
	vm=$!
	for _ in $(seq 100); do [ -s "$VMTEST/qemu.pid" ] && break; sleep 0.1; done
	[ -s "$VMTEST/qemu.pid" ] || { echo "the fake QEMU did not start"; kill "$vm"; return 1; }
	sleep 0.5
	kill -"$1" "$vm"
	wait "$vm" 2>/dev/null
	sleep 0.5
	for p in "$(cat "$VMTEST/qemu.pid")" "$(cat "$VMTEST/swtpm.pid")"; do
		if kill -0 "$p" 2>/dev/null; then
			echo "pid $p left running"; kill "$p"; return 1
		fi
	done
}
t "vm.sh: stopped by SIGTERM, it stops its QEMU and swtpm" vm_ends TERM
t "vm.sh: hung up (SIGHUP), it stops its QEMU and swtpm" vm_ends HUP

# --- vm.sh: the power cuts (vm.disk=debian vm.powercut=N) -----------------
# A fake QEMU that is the guest of the power-cut protocol
# (tests/guest/systemd/powercut.sh): it writes to the TAP port the lines
# of a scenario file ($PCSCENARIO) for its boot, "boot" (the first one),
# "cutK" (the K-th with imatest.powercut=cut) or "last", then powers off;
# a cut boot waits to be killed, unless its lines have "!exit"; it notes
# when it armed and when it was killed.  A fake scripts/debian-disk.sh
# only makes the disk file.
mkdir -p "$vmtop/pcbin" "$vmtop/tests"
cp "$top/tests/console-badness" "$vmtop/tests/"
printf '#!/bin/sh\n: >"$2"\n' >"$vmtop/scripts/debian-disk.sh"
cat >"$vmtop/pcbin/qemu-system-x86_64" <<'FAKE'
#!/bin/bash
echo $$ >>"$VMTEST/qemu.pids"
tap="" append=""
while [ $# -gt 0 ]; do
	case $1 in
	-append) append=$2; shift ;;
	file,id=tap,path=*) tap=${1#file,id=tap,path=} ;;
	esac
	shift
done
case " $append " in
*" imatest.powercut=cut "*) echo >>"$VMTEST/cuts"; boot=cut$(wc -l <"$VMTEST/cuts") ;;
*" imatest.powercut=last "*) boot=last ;;
*) boot=boot ;;
esac
echo "$boot $append" >>"$VMTEST/boots"
end=wait
while read -r b line; do
	[ "$b" = "$boot" ] || continue
	case $line in *"powercut armed"*) date +%s.%N >"$VMTEST/$boot.armed" ;; esac
	if [ "$line" = '!exit' ]; then end=exit; else printf '%s\r\n' "$line" >>"$tap"; fi
done <"$PCSCENARIO"
case $boot in cut*)
	[ $end = exit ] && exit 0
	# when the power went: a watcher that outlives the SIGKILL
	pid=$$
	(tail -s 0.05 -f --pid=$pid /dev/null; date +%s.%N >"$VMTEST/$boot.cut") &
	exec sleep 600 ;;
esac
FAKE
chmod +x "$vmtop/scripts/debian-disk.sh" "$vmtop/pcbin/"*
# The N cuts of a run have the seeds BASE+1..BASE+N: their delays must
# not follow each other (bash's first number after RANDOM=SEED does).
pc_delays_apart() {
	local s near=0 prev d
	prev=$(powercut_delay 1)
	for s in $(seq 2 100); do
		d=$(powercut_delay "$s")
		[ $((d > prev ? d - prev : prev - d)) -lt 200 ] && near=$((near + 1))
		prev=$d
	done
	# 2.5 % of 99 by chance
	[ "$near" -le 10 ] || { echo "$near of 99 consecutive seeds' delays within 200 ms"; return 1; }
}
t "power cuts: the delays of consecutive seeds are not alike" pc_delays_apart
# Seeds whose cuts come early (vm.sh waits 2 to 18 s after the guest
# armed): the first base whose two cuts wait less than 3 s each.
pc_seed=$(s=0; while [ $s -lt 3000 ]; do s=$((s + 1)); powercut_delay $s; done 2>/dev/null |
	awk 'NR > 1 && prev < 3000 && $1 < 3000 { print NR - 2; exit } { prev = $1 }')
pc_seed=${pc_seed:-0}	# none: slower, still right
# The good run: the store's boots are b0 (the first boot), b1, b2 (the
# cuts) and b3 (the last boot); chunk K of boot B has B-K's SHA-256.
sha() { printf %s "$1" | sha256sum | cut -c1-64; }
chunk() { echo "chunk $2 $3 durable bytes=$(($2 * 100)) sha256=$(sha "$1-$2") ok"; }
{
	printf 'boot %s\n' '1..1' 'ok 1 - systemd: the test service ran' '# imatest: done'
	printf 'cut1 # %s\n' 'imatest: power-cut boot (cut)' 'fsck b0 journal version=2 lines=2 bytes=180' \
		"fsck b0 $(chunk b0 1 'done')" 'fsck-exit b0 0' "imatest: this boot's key b1" \
		'imatest: powercut armed' "durable b1 $(chunk b1 1 stored)" 'export 1 done' \
		"durable b1 $(chunk b1 1 'done')" "durable b1 $(chunk b1 2 stored)" 'export 2 done'
	# the cut came after a third export stored chunk 3 and before it said so
	printf 'cut2 # %s\n' 'imatest: power-cut boot (cut)' "fsck b0 $(chunk b0 1 'done')" 'fsck-exit b0 0' \
		'fsck b1 journal version=2 lines=5 bytes=400' 'fsck b1 torn line=5 offset=360' \
		"fsck b1 $(chunk b1 1 'done')" "fsck b1 $(chunk b1 2 stored)" "fsck b1 $(chunk b1 3 stored)" \
		'fsck-repair b1 torn journal line 5 cut off' 'fsck-exit b1 0' "imatest: this boot's key b2" \
		'imatest: powercut armed' "durable b2 $(chunk b2 1 stored)" 'export 1 done'
	printf 'last # %s\n' 'imatest: power-cut boot (last)' "fsck b0 $(chunk b0 1 'done')" 'fsck-exit b0 0' \
		"fsck b1 $(chunk b1 1 'done')" "fsck b1 $(chunk b1 2 'done')" "fsck b1 $(chunk b1 3 'done')" 'fsck-exit b1 0' \
		"fsck b2 $(chunk b2 1 stored)" 'fsck-exit b2 0' "imatest: this boot's key b3" \
		'export-exit 0' 'verify-exit 0' '  verify: ok' 'imatest: done'
} >"$tmp/pc-scenario"
# pc_run CASE CUTS [SED]: vm.sh with N power cuts on the good run edited
# by the sed script SED; its output in $tmp/pc-CASE/out, its status in rc,
# its time in secs.  Stopped (SIGTERM, a failure) after 100 s.
pc_run() {
	local t0 rc
	export VMTEST=$tmp/pc-$1 PCSCENARIO=$tmp/pc-$1/scenario
	mkdir -p "$VMTEST"
	sed -e "${3:-}" "$tmp/pc-scenario" >"$PCSCENARIO"
	t0=$SECONDS
	PATH=$vmtop/pcbin:$vmtop/bin:$PATH POWERCUT_SEED=$pc_seed timeout 100 "$vmtop/scripts/vm.sh" \
		--name "$1" --flavour f --append "vm.disk=debian vm.powercut=$2" x >"$VMTEST/out" 2>&1
	rc=$?
	[ $rc = 124 ] && echo "# pc_run: vm.sh stopped after 100 s" >>"$VMTEST/out"
	echo $rc >"$VMTEST/rc"
	echo $((SECONDS - t0)) >"$VMTEST/secs"
}
# pc_left CASE BOOTS: BOOTS fake QEMUs and swtpms ran, and none is left
# (those left are stopped)
pc_left() {
	local f p left=""
	sleep 0.3
	for f in qemu swtpm; do
		for p in $(cat "$tmp/pc-$1/$f.pids"); do
			kill -0 "$p" 2>/dev/null && left="$left $f:$p"
		done
	done
	if [ -n "$left" ]; then
		echo "left running:$left"
		for p in $left; do kill "${p#*:}" 2>/dev/null; done
		return 1
	fi
	for f in qemu swtpm; do
		[ "$(wc -l <"$tmp/pc-$1/$f.pids")" -eq "$2" ] ||
			{ echo "$f ran $(wc -l <"$tmp/pc-$1/$f.pids") times, not $2"; return 1; }
	done
}
# pc_cut CASE K SEED: cut K came the delay of SEED after the guest armed
# (vm.sh looks for it every second; 4 s of slack for a busy host)
pc_cut() {
	local ms
	ms=$(cat "$tmp/pc-$1/cut$2.armed" "$tmp/pc-$1/cut$2.cut" | awk 'NR == 1 { a = $1 } END { printf "%d", ($1 - a) * 1000 }')
	[ "$ms" -ge "$(powercut_delay "$3")" ] && [ "$ms" -le $(($(powercut_delay "$3") + 4000)) ] ||
		{ echo "cut $2 came $ms ms after the guest armed, the delay of seed $3 is $(powercut_delay "$3") ms"; return 1; }
}
# pc_rc CASE 0|1: vm.sh exited 0, or not
pc_rc() {
	local rc
	rc=$(cat "$tmp/pc-$1/rc")
	[ "$rc" -eq 0 ] && [ "$2" = 0 ] && return 0
	[ "$rc" -ne 0 ] && [ "$2" = 1 ] && return 0
	echo "vm.sh exited $rc"; cat "$tmp/pc-$1/out"; return 1
}

# The cases run side by side, each with its own name (build/vm/CASE)
# and scratch directory.
pc_pids=()
pc_case() { pc_run "$@" & pc_pids+=($!); }
pc_case good 2
pc_case missing 2 '/^cut2 # fsck b1 chunk 2 /d'
pc_case twice 1 '/^last # fsck b1 chunk 2 /p'
pc_case twice2 1 "/^last # fsck b1 chunk 2 /{p;s/bytes=200 sha256=[0-9a-f]*/bytes=250 sha256=$(sha other)/}"
pc_case altered 1 "/^last # fsck b1 chunk 2 /s/sha256=[0-9a-f]*/sha256=$(sha altered)/"
pc_case fsck7 1 's/^last # fsck-exit b1 0$/last # fsck-exit b1 7/'
pc_case unarmed 1 '/^cut1 # imatest: powercut armed/s/.*/cut1 !exit/'
pc_case ended 1 '$a cut1 !exit'
wait "${pc_pids[@]}"
for c in good missing twice twice2 altered fsck7 unarmed ended; do
	echo "# power cuts, $c: vm.sh ran $(cat "$tmp/pc-$c/secs") s"
done

t "power cuts, all good: the boots are the first, two cuts and the last, on the disk" \
	eval 'hasnt "$tmp/pc-good/boots" " vm\." && [ "$(grep -c " root=/dev/vda rw " "$tmp/pc-good/boots")" -eq 4 ] &&
		[ "$(awk "{ print \$1, \$NF }" "$tmp/pc-good/boots" | tr "\n" ,)" = "boot rw,cut1 imatest.powercut=cut,cut2 imatest.powercut=cut,last imatest.powercut=last," ]'
t "power cuts, all good: the seeds are named, and each cut comes its seed's delay after the guest armed" \
	eval 'pc_cut good 1 $((pc_seed + 1)) && pc_cut good 2 $((pc_seed + 2)) &&
		has "$tmp/pc-good/out" "^# vm good: 2 power cuts, seeds $((pc_seed + 1))\.\.$((pc_seed + 2)) \(POWERCUT_SEED=$pc_seed replays them\)" &&
		has "$tmp/pc-good/out" "^# vm good: power cut 1 \(seed $((pc_seed + 1))\): QEMU and swtpm killed $(powercut_delay $((pc_seed + 1))) ms after the guest armed, after 2 exports" &&
		has "$tmp/pc-good/out" "^# vm good: power cut 2 \(seed $((pc_seed + 2))\): .* after 1 exports"'
t "power cuts, all good: every result is ok, no 'Killed' notice from bash, and vm.sh exits 0" \
	eval 'pc_rc good 0 && hasnt "$tmp/pc-good/out" "^not ok" && hasnt "$tmp/pc-good/out" "Killed" &&
		[ "$(grep -c "^ok - vm good: " "$tmp/pc-good/out")" -eq 11 ]'
t "power cuts, all good: the chunks reported durable before each cut are checked" \
	eval 'has "$tmp/pc-good/out" "^ok - vm good: power cut 1: the 2 chunks reported durable before it are intact, once" &&
		has "$tmp/pc-good/out" "^ok - vm good: power cut 2: the 1 chunks reported durable before it" &&
		has "$tmp/pc-good/out" "^ok - vm good: boot 2 of the power cuts: fsck of the 2 boots of the store passes \(1 lines of repair\)" &&
		has "$tmp/pc-good/out" "^ok - vm good: after the power cuts, an export and ima-export verify pass"'
t "power cuts, all good: no fake QEMU or swtpm left running" pc_left good 4

t "power cuts: a chunk reported durable, missing after the cut, fails that cut, naming the chunk" \
	eval 'pc_rc missing 1 &&
		has "$tmp/pc-missing/out" "^not ok - vm missing: power cut 1: the 2 chunks reported durable before it are intact, once" &&
		has "$tmp/pc-missing/out" "^#   b1 2 200 $(sha b1-2)$" &&
		has "$tmp/pc-missing/out" "^ok - vm missing: power cut 2: "'
t "power cuts, missing chunk: no fake QEMU or swtpm left running" pc_left missing 4

t "power cuts: a chunk that fsck lists twice fails the cut" \
	eval 'pc_rc twice 1 && has "$tmp/pc-twice/out" "^not ok - vm twice: power cut 1: the 2 chunks reported durable before it are intact, once"'
t "power cuts, chunk twice: no fake QEMU or swtpm left running" pc_left twice 3

t "power cuts: a chunk that fsck lists twice, once as reported and once not, fails the cut" \
	eval 'pc_rc twice2 1 && has "$tmp/pc-twice2/out" "^not ok - vm twice2: power cut 1: the 2 chunks reported durable before it are intact, once" &&
		has "$tmp/pc-twice2/out" "^#   b1 2 250 $(sha other)$"'
t "power cuts, chunk twice, two ways: no fake QEMU or swtpm left running" pc_left twice2 3

t "power cuts: a chunk whose SHA-256 differs from the one reported durable fails the cut" \
	eval 'pc_rc altered 1 && has "$tmp/pc-altered/out" "^not ok - vm altered: power cut 1: the 2 chunks" &&
		has "$tmp/pc-altered/out" "^#   b1 2 200 $(sha b1-2)$"'
t "power cuts, altered chunk: no fake QEMU or swtpm left running" pc_left altered 3

t "power cuts: fsck exiting 7 for a boot of the store fails that boot, naming it" \
	eval 'pc_rc fsck7 1 && has "$tmp/pc-fsck7/out" "^not ok - vm fsck7: boot 2 of the power cuts: fsck of every boot of the store passes" &&
		has "$tmp/pc-fsck7/out" "^#   b1 7$" && has "$tmp/pc-fsck7/out" "^ok - vm fsck7: boot 1 of the power cuts: fsck"'
t "power cuts, fsck exits 7: no fake QEMU or swtpm left running" pc_left fsck7 3

t "power cuts: a guest that powers off without arming fails the cut, and is not said to be cut" \
	eval 'pc_rc unarmed 1 && has "$tmp/pc-unarmed/out" "^not ok - vm unarmed: power cut 1: the guest armed \(QEMU ended by itself after [0-9]+ s\)" &&
		hasnt "$tmp/pc-unarmed/out" "power cut 1 \(seed [0-9]+\): QEMU and swtpm killed"'
t "power cuts, never armed: vm.sh does not wait 300 s for it (done within 60 s)" \
	eval '[ "$(cat "$tmp/pc-unarmed/secs")" -le 60 ] || { echo "took $(cat "$tmp/pc-unarmed/secs") s"; cat "$tmp/pc-unarmed/out"; false; }'
t "power cuts, never armed: no fake QEMU or swtpm left running" pc_left unarmed 3

t "power cuts: a guest that powers off after arming, before the cut, fails the cut" \
	eval 'pc_rc ended 1 && has "$tmp/pc-ended/out" "^not ok - vm ended: power cut 1: QEMU ran until the cut" &&
		hasnt "$tmp/pc-ended/out" "power cut 1 \(seed [0-9]+\): QEMU and swtpm killed"'
t "power cuts, ended before the cut: no fake QEMU or swtpm left running" pc_left ended 3

# --- configure: options that do not survive are named ---------------------
if [ -f "$tree/Makefile" ]; then
	configure "$tree" "$tmp/obj" strict CONFIG_KEXEC_FILE=n 2>"$tmp/cfg1"
	t "configure: an override whose dependant is kept fails" eval "[ $? -ne 0 ]"
	t "configure: ... and names the option that did not survive" \
		has "$tmp/cfg1" 'CONFIG_IMA_KEXEC=y'
	configure "$tree" "$tmp/obj" strict CONFIG_IMA_NOT_A_SYMBOL=y 2>"$tmp/cfg2"
	t "configure strict: an unknown symbol fails" eval "[ $? -ne 0 ]"
	configure "$tree" "$tmp/obj" known CONFIG_IMA_NOT_A_SYMBOL=y 2>"$tmp/cfg3"
	t "configure known: a symbol this tree does not define yet is let through" eval "[ $? -eq 0 ]"
fi
echo "1..$n"
exit $failed
