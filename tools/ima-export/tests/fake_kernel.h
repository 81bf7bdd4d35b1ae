/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An in-process fake of the kernel side (shared/SPEC.md) for the tests:
 * the current and staged lists, A and D with their errnos, one writer
 * xor readers (EBUSY), measurement suspended for a kexec capture, and
 * kexec itself.  The state lives in shared memory so that a forked
 * exporter killed with SIGKILL leaves it as the kernel would: its writer
 * descriptor is closed by its death.
 */
#ifndef IMA_EXPORT_FAKE_KERNEL_H
#define IMA_EXPORT_FAKE_KERNEL_H

#include <stdint.h>
#include <sys/types.h>

#include "kernel.h"

#define FAKE_CAP (4u << 20)

struct fake_state {
	size_t cur_len, staged_len;
	pid_t writer;			/* the process holding the writer, 0 */
	int suspended;			/* kexec capture: A fails with EACCES */
	int capture_result;		/* then D fails with this (-ESTALE, -ENOSPC) */
	int suspend_on_A;		/* a kexec starts right after the next A */
	int open_err;			/* opening the writer fails with this */
	int flush_htable;		/* booted with ima_flush_htable: N is EINVAL */
	char instance[40];
	unsigned long nA, nD, nN;	/* successful requests */
	/* called after every A: the system goes on measuring meanwhile */
	void (*on_A)(struct fake_state *st, void *arg);
	void *on_A_arg;
	uint8_t cur[FAKE_CAP], staged[FAKE_CAP];
};

struct fake_state *fake_new(const char *instance);
void fake_free(struct fake_state *st);
void fake_kernel_init(struct kernel *k, struct fake_state *st);
void fake_kernel_free(struct kernel *k);
/* the kernel measures: append records to the current list */
void fake_measure(struct fake_state *st, const void *p, size_t len);
/*
 * kexec into a new instance: with carry, the next kernel's current list is
 * staged ++ current (not re-extended); otherwise it starts empty.
 */
void fake_kexec(struct fake_state *st, const char *instance, int carry);

#endif
