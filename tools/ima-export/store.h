/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The store: one directory per TPM boot under the store root.
 *
 *   ROOT/ima-export-store       marker "ima-export store 1"
 *   ROOT/lock                   flock: exclusive for export, shared to read
 *                               (skipped where the kernel has no flock)
 *   ROOT/BOOT/boot-info         how the boot key was derived (text)
 *   ROOT/BOOT/journal           the chunks, in log order (text, below)
 *   ROOT/BOOT/NNNNNNNN.bin      chunk NNNNNNNN: records exactly as the
 *                               kernel's binary list showed them
 *
 * Journal (append-only; every line ends with " sum=" and the first 16 hex
 * digits of the SHA-256 of the line before it):
 *
 *   ima-export journal 2
 *   boot BOOT
 *   chunk SEQ STATE kernel=ID time=T records=N bytes=B first=HEX last=HEX
 *         file-sha256=HEX pcr-sha1=HEX pcr-sha256=HEX pcr-sha384=HEX
 *         pcr-sha512=HEX pad-sha256=HEX pad-sha384=HEX pad-sha512=HEX [cut=N]
 *         sum=S
 *   state SEQ STATE sum=S
 *
 * (a chunk line is one line).  A chunk line is appended, and fsynced, once
 * the chunk file is durable; a state line records a later change of state.
 * Appends are one write() each, so a crash can only leave a torn tail: lines
 * after the last good one that are not good themselves.  Readers ignore a
 * torn tail, the next writer cuts it off; a bad line followed by a good one
 * is corruption.  STATE: stored (durable, D not confirmed), carried (D said
 * ESTALE: the records go on to the next kernel), kept (D said ENOSPC:
 * nothing is carried, the chunk is the only copy), done (the kernel no
 * longer holds them).  pcr-* is PCR 10 per bank after the chunk, pad-* the
 * same with SHA-1 digests padded (see replay.h).  cut=N marks a chunk that
 * leaves the kernel by an N request on the current list instead of A and D.
 */
#ifndef IMA_EXPORT_STORE_H
#define IMA_EXPORT_STORE_H

#include <stdint.h>
#include <time.h>

#include "replay.h"
#include "util.h"

#define BOOT_KEY_MAX 80
#define KERNEL_ID_MAX 40

enum chunk_state { CH_STORED, CH_CARRIED, CH_KEPT, CH_DONE };
extern const char *const chunk_state_name[];

struct chunk {
	unsigned int seq;
	int state;
	char kernel[KERNEL_ID_MAX];	/* kernel instance that exported it */
	long long time;
	unsigned long records;
	unsigned long long bytes;
	uint8_t first[IMA_DIGEST_SIZE], last[IMA_DIGEST_SIZE];
	uint8_t file_sha256[32];
	struct pcr_state pcr;		/* running PCR 10 after this chunk */
	int cut_n;			/* deleted with N, not staged (cut=N) */
};

struct journal {
	char boot[BOOT_KEY_MAX];
	struct chunk *c;
	size_t n, cap;
	size_t valid_len;	/* bytes up to the end of the last good line */
	int torn;		/* a torn tail follows valid_len */
};

struct store {
	int rootfd, lockfd, bootfd;	/* bootfd -1 when the boot is absent */
	char boot[BOOT_KEY_MAX];
	struct journal j;
};

/* the file that makes a directory a store (store_open writes it) */
#define STORE_MARKER "ima-export-store"

int boot_key_valid(const char *key);

/*
 * Open ROOT for boot key BOOT.  STORE_WRITE: take the lock exclusively
 * (fails with EX_BUSY when another exporter holds it) and create what is
 * missing; STORE_READ: wait for a shared lock, STORE_TRY_READ: fail with
 * EX_BUSY instead of waiting, and treat a missing store or boot as empty.
 * Returns EX_OK or an EX_* code with err set.
 */
enum { STORE_READ, STORE_WRITE, STORE_TRY_READ };
int store_open(struct store *s, const char *root, const char *boot,
	       const char *boot_info, int mode, char *err, size_t errlen);
void store_close(struct store *s);

/* The whole journal as text (header and one chunk line per chunk). */
int journal_serialize(const struct journal *j, struct buf *out);
/* Append one chunk line, or one state line, to out. */
int journal_line_chunk(const struct chunk *c, struct buf *out);
int journal_line_state(unsigned int seq, int state, struct buf *out);
int journal_parse(const uint8_t *p, size_t len, struct journal *j,
		  char *err, size_t errlen);
void journal_free(struct journal *j);
struct chunk *journal_add(struct journal *j);

/*
 * Append lines (whole lines, from journal_line_*) to the journal with one
 * write() and fsync it; then fault step fault_tag.  0 or -errno.
 */
int store_append(struct store *s, const struct buf *lines, const char *fault_tag);
/* Durably write chunk seq; 0 or -errno.  fault steps chunk-*. */
int store_write_chunk(struct store *s, unsigned int seq, const uint8_t *p,
		      size_t len);
/* Open chunk seq of the boot directory bootfd read-only: an fd or -errno. */
int store_open_chunk(int bootfd, unsigned int seq);
/*
 * Read chunk c, checking its length and SHA-256: 0; -1 with err when it
 * cannot be read; -2 with err and b filled when it differs from the journal.
 */
int store_read_chunk(struct store *s, const struct chunk *c, struct buf *b,
		     char *err, size_t errlen);
/*
 * Every boot directory under the store root, in name order: fn gets its
 * key and journal, or a NULL journal and why it could not be read.  Dot
 * names (temporary, being removed) are not boots.  0 or -errno.
 */
int store_each_boot(struct store *s,
		    void (*fn)(const char *key, const struct journal *j,
			       const char *why, void *arg), void *arg);
/*
 * Remove boot directory key (not s's own boot) with every file in it:
 * renamed to .removing-KEY first, so that a crash leaves no half boot;
 * leftovers of an earlier crash are removed too.  0 or -errno.
 */
int store_remove_boot(struct store *s, const char *key);

/* Running PCR state after the last chunk (zero when none). */
void journal_tail_state(const struct journal *j, struct pcr_state *st);
unsigned int journal_next_seq(const struct journal *j);
/* The first chunk after the last one in state done (n when none is left). */
size_t journal_first_unresolved(const struct journal *j);

#endif
