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
	int json;			/* status: one JSON object */
	const char *quote;		/* export: N up to this quote's PCR 10 file */
	int quote_tpm;			/* export: N up to PCR 10 read from the TPM now */
	int final;			/* export: rounds until the list is small */
	const char *remove_key;		/* remove-boot: the boot to remove */
	unsigned int keep_boots, keep_days;	/* prune: 0 when not given */
	long long now;			/* prune: the time to age from (0: now) */
};

/* Each returns an EX_* exit code (util.h) and prints its own messages. */
int cmd_export(struct ctx *c);
/* cmd_export, its outcome recorded in the store for status --json */
int export_recorded(struct ctx *c);
int cmd_cat(struct ctx *c);
int cmd_verify(struct ctx *c);
int cmd_status(struct ctx *c);
int cmd_boots(struct ctx *c);
int cmd_remove_boot(struct ctx *c);
/*
 * Retention: remove the boots beyond the keep_boots latest (the current
 * boot counts as one) and those whose last chunk is older than keep_days;
 * never the current boot, never one whose journal cannot be read.
 */
int cmd_prune(struct ctx *c);

/* Every fault step of export, in the order they are reached. */
extern const char *const export_fault_steps[];
/* The fault steps of the quote-aligned (N) export. */
extern const char *const quote_fault_steps[];

struct tpm_pcrs;
/* A quote's PCR 10 values, "ALG:HEX" lines; 0 or -1 with err. */
int quote_parse(const char *text, struct tpm_pcrs *q, char *err, size_t errlen);

#endif
