#!/bin/bash
# Build the guest initramfs of kernel flavour NAME, the one recipe for
# every boot: busybox, the guest tests (tests/guest), the installed
# kselftests with the kernel's runner (build/kselftest), the real tools the
# tests use (kexec, evmctl and the tsspcrread it runs, GNU timeout for the
# runner, this project's ima-export, ima-stress and ima-bench) with their
# shared libraries, and the flavour's kernel for kexec.
# Output is build/initramfs-NAME.cpio.gz, reproducible: sorted names, fixed
# mtimes.  Keep it small: kexec tests carry it, uncompressed, from kernel
# to kernel, and a TCG guest pays for every megabyte at each boot.
#   initramfs.sh FLAVOUR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
flavour=${1:?usage: initramfs.sh FLAVOUR}
kernel=$(flavour_kernel "$flavour")
out=$(flavour_initramfs "$flavour")
selftests=$top/build/kselftest
[ -r "$kernel" ] || { echo "initramfs: $kernel missing (scripts/build-kernel.sh $flavour)" >&2; exit 1; }
[ -x "$selftests/run_kselftest.sh" ] || { echo "initramfs: no kselftests in build/kselftest (scripts/build-selftests.sh)" >&2; exit 1; }
root=$(mktemp -d "${TMPDIR:-/tmp}/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,tmp,var/tmp,run,boot,mnt,etc,selftests}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

# A dynamic program and every library ldd names for it (plus dlopen()ed TCTI).
add_libs() {
	local lib
	for lib in $(ldd "$1" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}
add_prog() {
	install -D -m 0755 "$1" "$root$1"
	add_libs "$1"
}
add_prog /sbin/kexec
add_prog /usr/bin/evmctl
# libfuse mounts with auto_unmount through this helper (ima-export mount).
add_prog /usr/bin/fusermount3
# tests/guest/fuse.sh holds the store lock as an export does (busybox has no flock)
add_prog /usr/bin/flock
add_prog /usr/bin/tsspcrread
# /bin/sh from busybox also resolves evmctl's plain "tsspcrread" through PATH.
# The kselftest runner wants GNU timeout (--foreground); busybox's has not.
rm -f "$root/usr/bin/timeout"
add_prog /usr/bin/timeout

# This project's exporter, and the TPM transport that tpm2-tss dlopen()s.
make -s -C "$top/tools/ima-export" ima-export ima-export-faulty
install -D -m 0755 "$top/tools/ima-export/ima-export" "$root/usr/sbin/ima-export"
add_libs "$root/usr/sbin/ima-export"
# the build with the fault hook, for the crash tests of tests/guest/export.sh
install -D -m 0755 "$top/tools/ima-export/ima-export-faulty" "$root/usr/sbin/ima-export-faulty"
# its units as shipped: the guest runs their command lines (tests/guest/fuse.sh)
install -D -m 0644 -t "$root/lib/systemd/system" "$top"/tools/ima-export/systemd/*.service \
	"$top"/tools/ima-export/systemd/*.timer
add_prog /usr/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0
# glibc dlopen()s libgcc_s for pthread_cancel(), which libfuse's threads use
# when the view stops.
add_prog /usr/lib/x86_64-linux-gnu/libgcc_s.so.1
# The stress driver of tests/guest/stress.sh (it links ima-export's parts).
make -s -C "$top/tests/stress" ima-stress
install -D -m 0755 "$top/tests/stress/ima-stress" "$root/usr/bin/ima-stress"
add_libs "$root/usr/bin/ima-stress"
# The guest half of `make bench` (tests/bench).
gcc -O2 -Wall -Wextra -o "$root/usr/bin/ima-bench" "$top/tests/bench/ima-bench.c"
add_libs "$root/usr/bin/ima-bench"

install -m 0755 "$top/tests/guest/init" "$root/init"
mkdir -p "$root/tests"
cp "$top"/tests/guest/*.sh "$root/tests/"
chmod 0755 "$root"/tests/*.sh
cp -a "$selftests/." "$root/selftests/"
while IFS= read -r p; do
	if file -b "$p" | grep -q 'dynamically linked'; then add_libs "$p"; fi
done < <(find "$root/selftests" -type f -perm -u+x)
cp "$kernel" "$root/boot/bzImage"

find "$root" -exec touch -h -d @0 {} +
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out ($(du -h "$out" | cut -f1))"
