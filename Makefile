# Front door of the project.  `make demo` and `make check` are the two
# commands of the README; the other targets are their steps.
SHELL := /bin/bash
KERNEL := build/obj/debug/arch/x86/boot/bzImage

.PHONY: help deps tree kernel initramfs demo check lint export clean

help:
	@echo "make demo    build the patched kernel, boot it with a TPM, show staging"
	@echo "make check   run every test (quality gates, kselftests, kexec) and count"
	@echo "make deps | tree | kernel | initramfs | export | lint | clean"

deps:
	@scripts/deps.sh

tree: deps
	@scripts/tree.sh

kernel: tree
	@scripts/build-kernel.sh debug

initramfs: kernel
	@scripts/build-selftests.sh && scripts/initramfs.sh $(KERNEL) build/initramfs-debug.cpio.gz build/selftests

demo:
	@scripts/demo.sh

check:
	@scripts/check.sh

lint:
	@scripts/gates.sh

export:
	@scripts/export.sh

clean:
	rm -rf build/obj build/vm build/logs build/*.cpio.gz
