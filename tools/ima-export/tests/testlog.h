/* SPDX-License-Identifier: GPL-2.0 */
/* Build measurement lists record by record, as Linux 6.1 writes them. */
#ifndef IMA_EXPORT_TESTLOG_H
#define IMA_EXPORT_TESTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* ima-ng: d-ng "<algo>:\0<digest>", n-ng "<name>\0"; digest = SHA-1(data) */
void tl_ima_ng(struct buf *b, uint32_t pcr, const char *algo,
	       const uint8_t *fdigest, size_t dlen, const char *fname);
/* ima-ng record of a file whose SHA-256 is that of its name ++ seed */
void tl_file(struct buf *b, const char *fname, unsigned int seed);
/* boot_aggregate record (ima-ng, sha256 of seed) */
void tl_boot_aggregate(struct buf *b, unsigned int seed);
/* violation: zero file digest, zero template digest */
void tl_violation(struct buf *b, const char *fname);
/* legacy "ima" template record */
void tl_legacy(struct buf *b, const uint8_t fdigest[20], const char *fname);
/* ima-sig: ima-ng fields and a signature field (possibly empty) */
void tl_ima_sig(struct buf *b, const char *fname, const uint8_t *sig, size_t siglen);
/* a list of n records: boot_aggregate then files /f<start>...; */
void tl_list(struct buf *b, unsigned int start, unsigned int n);

/*
 * evmctl ima_measurement on the list in file LIST, for bank K, told by a
 * PCRS file (written here) that PCR 10 is PCR10 and PCRs 0-9 are zero;
 * violations extended as 0xff, as the kernel does.  system()'s status.
 */
int tl_evmctl(int k, const uint8_t *pcr10, const char *pcrs, const char *list);

#endif
