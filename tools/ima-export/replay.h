/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replay of PCR 10 as Linux 6.1 extends it (ima_add_template_entry(),
 * ima_calc_field_array_hash(), ima_init_digests()), for the SHA-1, SHA-256,
 * SHA-384 and SHA-512 banks:
 *
 *  - a record is extended into bank B with the template data hashed with
 *    B's algorithm (the SHA-1 bank gets the template digest of the log);
 *  - when the kernel has no crypto transform for B's algorithm, it extends
 *    the SHA-1 template digest padded with zeros to B's size; both chains
 *    are kept ("full" and "sha1pad") since which one applies depends on the
 *    kernel's configuration, not on the log;
 *  - a violation record (all-zero template digest) is extended as B-sized
 *    0xff bytes in every bank (the algorithms here are all mapped);
 *  - PCR_new = B(PCR_old || digest), PCRs start at zero.
 *
 * Records for other PCRs are not extended into PCR 10.
 */
#ifndef IMA_EXPORT_REPLAY_H
#define IMA_EXPORT_REPLAY_H

#include "imalog.h"

enum { BANK_SHA1, BANK_SHA256, BANK_SHA384, BANK_SHA512, NBANKS };
#define PCR_MAX 64
#define IMA_PCR 10

struct bank {
	const char *name;	/* sysfs pcr-<name>, journal key */
	size_t size;
};
extern const struct bank banks[NBANKS];

struct pcr_state {
	uint8_t full[NBANKS][PCR_MAX];
	uint8_t pad[NBANKS][PCR_MAX];	/* pad[BANK_SHA1] == full[BANK_SHA1] */
	unsigned long records;		/* records extended */
};

void replay_init(struct pcr_state *s);
/* Extend one record if it is for PCR 10; 0 or -1 (crypto failure). */
int replay_record(struct pcr_state *s, const struct ima_rec *r);
/* Replay a whole buffer; 0, or -1 with err. */
int replay_buf(struct pcr_state *s, const uint8_t *buf, size_t len,
	       char *err, size_t errlen);
/* Digest helper: out = H_bank(a || b). */
int bank_hash2(int bank, const void *a, size_t alen, const void *b,
	       size_t blen, uint8_t *out);

#endif
