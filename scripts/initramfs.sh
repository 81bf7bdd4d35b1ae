#!/bin/bash
# Build the guest initramfs: busybox, the guest tests (tests/guest), the IMA
# kselftests when the tree has them, the real tools the tests use (kexec,
# evmctl and the tsspcrread it runs) with their shared libraries, and the
# kernel itself for kexec.  Output is reproducible: sorted names, fixed
# mtimes.  Keep it small: kexec tests carry it, uncompressed, from kernel
# to kernel, and a TCG guest pays for every megabyte at each boot.
#   initramfs.sh KERNEL_IMAGE OUTPUT [SELFTEST_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=${1:?usage: initramfs.sh KERNEL OUTPUT [SELFTEST_DIR]}
out=${2:?usage: initramfs.sh KERNEL OUTPUT [SELFTEST_DIR]}
selftests=${3:-}
root=$(mktemp -d "${TMPDIR:-/tmp}/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,tmp,run,boot,mnt,etc,selftests}
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
add_prog /usr/bin/tsspcrread
# /bin/sh from busybox also resolves evmctl's plain "tsspcrread" through PATH.

install -m 0755 "$top/tests/guest/init" "$root/init"
mkdir -p "$root/tests"
cp "$top"/tests/guest/*.sh "$root/tests/"
chmod 0755 "$root"/tests/*.sh
if [ -n "$selftests" ] && [ -d "$selftests" ]; then
	cp -a "$selftests/." "$root/selftests/"
	for p in "$root"/selftests/*; do
		if [ -f "$p" ] && file -b "$p" | grep -q 'dynamically linked'; then
			add_libs "$p"
		fi
	done
fi
cp "$kernel" "$root/boot/bzImage"

find "$root" -exec touch -h -d @0 {} +
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out ($(du -h "$out" | cut -f1))"
