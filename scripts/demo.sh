#!/bin/bash
# The demo command: build the patched kernel, boot it under QEMU with a
# software TPM, and show staging on the live system (tests/guest/demo.sh):
# A, cat, D and N, bad requests refused, and the saved records plus the
# current list replayed against PCR 10 with evmctl.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
scripts/tree.sh
scripts/build-kernel.sh debug
scripts/initramfs.sh build/obj/debug/arch/x86/boot/bzImage build/initramfs-debug.cpio.gz
scripts/vm.sh --name demo demo
