#!/bin/bash
# The disk of a systemd boot (scripts/vm.sh --disk): an ext4 image made for
# each run from the cached Debian 12 root file system (scripts/debian-root.sh)
# by mke2fs -d, with
#   - ima-export installed by its own `make install` (PREFIX=/usr), its
#     units enabled as tools/ima-export/README.md sets them up, and a
#     drop-in that shortens the timer's interval (the units are not edited);
#   - the flavour's kernel in /boot/bzImage, for `systemctl kexec`;
#   - the guest test (tests/guest/systemd/: lib.sh, the scenario and its
#     units: the test service and a stand-in agent ordered after the view).
#   debian-disk.sh FLAVOUR OUT.img
set -euo pipefail
. "$(dirname "$0")/lib.sh"
flavour=${1:?usage: debian-disk.sh FLAVOUR OUT.img}
out=${2:?usage: debian-disk.sh FLAVOUR OUT.img}
kernel=$(flavour_kernel "$flavour")
[ -r "$kernel" ] || { echo "disk: $kernel missing (scripts/build-kernel.sh $flavour)" >&2; exit 1; }
tarball=$("$top/scripts/debian-root.sh")
root=$(mktemp -d "${TMPDIR:-/tmp}/debian-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
t0=$SECONDS

tar --numeric-owner --xattrs -C "$root" -xf "$tarball"
make -s -C "$top/tools/ima-export" ima-export
make -s -C "$top/tools/ima-export" install DESTDIR="$root" PREFIX=/usr
install -D -m 0644 "$kernel" "$root/boot/bzImage"

g=$top/tests/guest
install -D -m 0644 "$g/lib.sh" "$root/usr/local/lib/imatest/lib.sh"
install -m 0755 "$g/systemd/systemd.sh" "$g/systemd/agent.sh" \
	"$g/systemd/powercut.sh" "$root/usr/local/lib/imatest/"
install -m 0644 -t "$root/etc/systemd/system" "$g/systemd/imatest.service" \
	"$g/systemd/imatest-agent.service"
install -D -m 0644 "$g/systemd/agent-dropin.conf" \
	"$root/etc/systemd/system/imatest-agent.service.d/after-view.conf"
install -D -m 0644 "$g/systemd/timer-dropin.conf" \
	"$root/etc/systemd/system/ima-export.timer.d/imatest.conf"
install -D -m 0644 "$g/systemd/emergency-dropin.conf" \
	"$root/etc/systemd/system/emergency.service.d/imatest.conf"

# IMA_STAGING_SYSTEMD_DEBUG=1: systemd logs at debug level (for a failing
# boot; slower under TCG)
if [ -n "${IMA_STAGING_SYSTEMD_DEBUG:-}" ]; then
	mkdir -p "$root/etc/systemd/system.conf.d"
	printf '[Manager]\nLogLevel=debug\n' >"$root/etc/systemd/system.conf.d/debug.conf"
fi
echo imatest >"$root/etc/hostname"
echo "/dev/vda / ext4 rw,errors=panic 0 1" >"$root/etc/fstab"
# a persistent journal: the next kernel reads the previous boot's
mkdir -p "$root/var/log/journal"
# the tiny kernel's pid_max limit is below the 4194304 systemd sets
ln -s /dev/null "$root/etc/sysctl.d/50-pid-max.conf"
# apt's daily timers would only fail offline and take a TCG guest's time
systemctl --root="$root" --quiet mask apt-daily.timer apt-daily-upgrade.timer
# what the README sets up, then the test's own units
systemctl --root="$root" --quiet enable ima-export-view.service ima-export.timer \
	ima-export-final.service imatest.service imatest-agent.service

rm -f "$out"
mke2fs -q -t ext4 -L root -d "$root" "$out" 1G
echo "disk: ${out#$top/} from $(basename "$tarball") in $((SECONDS - t0))s"
