/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands, on a kernel backend and a store. */
#ifndef IMA_EXPORT_OPS_H
#define IMA_EXPORT_OPS_H

#include <stdio.h>

#include "kernel.h"
#include "store.h"

struct ctx {
	const char *store_root;
	const char *boot_key;
	const char *boot_info;		/* text for a new boot's boot-info */
	const char *tpm_dir;		/* /sys/class/tpm/tpm0 */
	struct kernel *k;
	FILE *out;			/* cat, verify and status output */
	int ascii;			/* cat: text like ascii_runtime_measurements */
	const char *quote;		/* export: N up to this quote's PCR 10 file */
	int quote_tpm;			/* export: N up to PCR 10 read from the TPM now */
	int final;			/* export: rounds until the list is small */
	const char *remove_key;		/* remove-boot: the boot to remove */
};

/* Each returns an EX_* exit code (util.h) and prints its own messages. */
int cmd_export(struct ctx *c);
int cmd_cat(struct ctx *c);
int cmd_verify(struct ctx *c);
int cmd_status(struct ctx *c);
int cmd_boots(struct ctx *c);
int cmd_remove_boot(struct ctx *c);

/*
 * The log = every chunk ++ (staged ++ current minus what the store holds):
 * a consistent read of the kernel's lists (waiting out a short EBUSY) and
 * how many bytes at the head of each the store already holds.  The caller
 * holds the store open and frees a with assembled_free() in every case.
 */
struct assembled {
	struct buf S, C;
	size_t s_skip, c_skip;
};
int assemble(struct ctx *c, struct store *s, struct assembled *a);
void assembled_free(struct assembled *a);
/* Records as ascii_runtime_measurements shows them. */
void print_ascii(FILE *out, const uint8_t *p, size_t len);

/* Every fault step of export, in the order they are reached. */
extern const char *const export_fault_steps[];
/* The fault steps of the quote-aligned (N) export. */
extern const char *const quote_fault_steps[];

struct tpm_pcrs;
/* A quote's PCR 10 values, "ALG:HEX" lines; 0 or -1 with err. */
int quote_parse(const char *text, struct tpm_pcrs *q, char *err, size_t errlen);

/*
 * Which chunks does the kernel still hold?  list is the staged list when
 * staged is set, else the current list.  On return chunks [*first_held, n)
 * are at the head of list, covering *held bytes, and chunks
 * [*first_unresolved, *first_held) are no longer in the kernel.  0, or -1
 * with err (an unreadable or altered chunk).
 */
int match_held(struct store *s, const char *kinst, const uint8_t *list,
	       size_t len, int staged, size_t *first_unresolved,
	       size_t *first_held, size_t *held, char *err, size_t errlen);

#endif
