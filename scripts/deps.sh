#!/bin/bash
# Install the Debian packages the project needs; quiet and quick when all
# are there (apt-get update only when something is missing).
set -euo pipefail
pkgs=(linux-source-6.1 qemu-system-x86 swtpm swtpm-tools tpm2-tools tss2
      ima-evm-utils kexec-tools busybox-static sparse flex bison bc
      libelf-dev libssl-dev libtss2-dev cpio ccache gcc make git file python3-docutils
      rsync groff-base pkg-config gnuplot-nox libfuse3-dev fuse3 systemd
      debhelper dpkg-dev lintian mmdebstrap e2fsprogs)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
