#!/bin/bash
# The Debian 12 root file system of the systemd boots (tests/boots, flavour
# word disk=debian), built from Debian's own packages by mmdebstrap and
# cached OUTSIDE the clone, keyed by a hash of its package list and
# mmdebstrap options, so that only the first run downloads it:
#   ${IMA_STAGING_CACHE:-/var/cache/ima-staging}/debian12-HASH.tar
# Prints the path of the tarball.  Nothing of this project is in it: the
# disk of each boot is made from it (scripts/debian-disk.sh).
#   debian-root.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# What the guest runs: systemd as PID 1, kexec for `systemctl kexec`,
# evmctl and the tsspcrread it calls, the TPM libraries ima-export links
# (with the device TCTI that tpm2-tss dlopen()s), libfuse and fusermount3
# for the view.
pkgs=(systemd systemd-sysv udev kexec-tools ima-evm-utils tss2
      libtss2-esys-3.0.2-0 libtss2-tctildr0 libtss2-tcti-device0
      libfuse3-3 fuse3 libssl3)
opts=(--variant=minbase --include="$(IFS=,; echo "${pkgs[*]}")"
      --aptopt='Acquire::Retries "3"' --dpkgopt=path-exclude=/usr/share/doc/*
      --dpkgopt=path-exclude=/usr/share/man/* --dpkgopt=path-exclude=/usr/share/locale/*
      bookworm)
mirror=http://deb.debian.org/debian
key=$(printf '%s\n' "${opts[@]}" "$mirror" | sha256sum | cut -c1-16)
cache=${IMA_STAGING_CACHE:-/var/cache/ima-staging}
out=$cache/debian12-$key.tar
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
echo "debian-root: building $out (mmdebstrap, downloads about 55 MB, 145 packages; minutes)" >&2
t0=$SECONDS
rm -f "$out.tmp"
if ! mmdebstrap --quiet --format=tar "${opts[@]}" "$out.tmp" "$mirror" >&2; then
	rm -f "$out.tmp"
	echo "debian-root: mmdebstrap failed" >&2
	exit 1
fi
mv "$out.tmp" "$out"
echo "debian-root: done in $((SECONDS - t0))s ($(du -h "$out" | cut -f1))" >&2
echo "$out"
