# Front door of the project.  `make demo` and `make check` are the two
# commands of the README; the other targets are their steps.
SHELL := /bin/bash

.PHONY: help deps tree kernel initramfs demo check bench lint export clean

help:
	@echo "make demo    build the patched kernel, boot it with a TPM, show staging"
	@echo "make check   run every test (lint, host, kselftests, kexec) and count"
	@echo "make bench   boot the bench kernels, print the table of figures (~25 min)"
	@echo "make deps | tree | kernel | initramfs | lint | export | clean"

deps:
	@scripts/deps.sh

tree: deps
	@scripts/tree.sh

kernel: tree
	@scripts/build-kernel.sh debug

initramfs: kernel
	@scripts/build-selftests.sh && scripts/initramfs.sh debug

# The demo is the boot "demo" of tests/boots, run by the test command's
# own steps (deps, tree, kernel, initramfs, boot).
demo:
	@ONLY=demo scripts/check.sh

check:
	@scripts/check.sh

# Figures, not tests: not part of `make check` (scripts/bench.sh).
bench:
	@scripts/bench.sh

lint: tree
	@scripts/lint.sh

export:
	@scripts/export.sh

clean:
	rm -rf build/obj build/vm build/logs build/kselftest build/*.cpio.gz
