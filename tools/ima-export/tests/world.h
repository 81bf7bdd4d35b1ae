/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A test world: the fake kernel, a store and a fake TPM in a scratch
 * directory, and the truth (every record measured since boot) to check the
 * whole log against.
 */
#ifndef IMA_EXPORT_WORLD_H
#define IMA_EXPORT_WORLD_H

#include "fake_kernel.h"
#include "ops.h"

struct world {
	struct fake_state *st;
	struct kernel k;
	char root[128], store[160], tpm[160];
	struct buf truth;	/* every record measured since boot, in order */
	unsigned int next, kernels;
	struct ctx c;
};

const char *scratch(void);
void w_measure_buf(struct world *w, const struct buf *b);
void w_measure(struct world *w, unsigned int n);
void w_boot_aggregate(struct world *w);
void w_init(struct world *w);
void w_free(struct world *w);
void w_kexec(struct world *w, int carry);
void w_tpm_sync(struct world *w);
int w_export(struct world *w);
int w_export_fault(struct world *w, const char *step);
int w_cat(struct world *w, struct buf *out, int ascii);
/* run f with stdout and stderr captured into out (NUL-terminated) */
int capture(struct world *w, int (*f)(struct ctx *), struct buf *out);
int w_consistent(struct world *w, char *why, size_t n);
int all_done(struct world *w);
size_t nchunks(struct world *w, int state);
int evmctl_cat(struct world *w);
/* kexec carrying the lists, measure, then the log is whole before and
 * after an export that leaves every chunk done */
int w_kexec_export_ok(struct world *w, unsigned int measured, char *why, size_t n);
/* a scratch directory ima-export-NAME.* in dir when every one of the
 * commands in tools is installed: 0; else a SKIP (or failed) TAP line, -1 */
int scratch_with(const char *tools, const char *name, char *dir, size_t n);

#endif
