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
 * digits of SHA-256(S ++ line), S the sum of the line before it, and for
 * the first line the 16 hex digits of SHA-256 of the two header lines;
 * chained, so a line cannot be dropped or moved without breaking the next):
 *
 *   ima-export journal 3
 *   boot BOOT
 *   chunk SEQ STATE kernel=ID time=T records=N bytes=B first=HEX last=HEX
 *         file-sha256=HEX pcr-sha1=HEX pcr-sha256=HEX pcr-sha384=HEX
 *         pcr-sha512=HEX pad-sha256=HEX pad-sha384=HEX pad-sha512=HEX [cut=N]
 *         sum=S
 *   state SEQ STATE sum=S
 *   intent SEQ REQ sum=S
 *   resolved SEQ sum=S
 *   base SEQ file=journal-SEQ sha256=HEX chunks=N records=N bytes=B last=T
 *        pcr-*=HEX pad-*=HEX sum=S        (only as line 3: see below)
 *
 * (a chunk line is one line).  A chunk line is appended, and fsynced, once
 * the chunk file is durable (written, fsynced, renamed, the directory
 * fsynced): every chunk line is a chunk the export reported durable.  A
 * state line records a later change of state.  An intent line is fsynced
 * before a request that deletes records (REQ "D", or N's count) for chunks
 * SEQ.. on; the resolved line after it says its outcome is recorded (in the
 * state lines before it).  An intent left open is decided by the TPM on the
 * next export (ops.c).  Appends are one write() each, so a crash or a power
 * loss can only leave a torn tail: lines after the last good one that are
 * not good themselves (partial, zeros).  Readers ignore a torn tail, the
 * next writer keeps it in journal.torn-OFFSET and cuts it off; a good line
 * after a bad one is corruption.  Version 2 (unchained sums, no intent
 * lines) is read; a writer keeps it as journal.v2-0 and rewrites it as 3.
 * A base line says that chunks 1..SEQ are in the sealed journal
 * ROOT/BOOT/journal-SEQ (whose SHA-256 it gives, with the totals and PCR 10
 * after it): see journal_seal_chunks.
 * STATE: stored (durable, D not confirmed), carried (D said
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

#define INTENT_REQ_MAX 24

struct journal {
	char boot[BOOT_KEY_MAX];
	int version;		/* 3; 2 is read, and rewritten by a writer */
	struct chunk *c;
	size_t n, cap;
	size_t valid_len;	/* bytes up to the end of the last good line */
	size_t lines;		/* the last good line's number */
	int torn;		/* a torn tail follows valid_len */
	size_t torn_line;	/* its first line */
	char chain[17];		/* the last good line's sum: the next chains to it */
	/* an N or D was asked for chunks from `intent` on; outcome not recorded */
	unsigned int intent;
	char intent_req[INTENT_REQ_MAX];
	/*
	 * The chunks up to base_seq are in the sealed journal base_file (the
	 * base line): a writer does not read it, a reader puts them first.
	 */
	unsigned int base_seq;
	char base_file[32];
	uint8_t base_sha256[32];
	struct pcr_state base_pcr;	/* PCR 10 after chunk base_seq */
	unsigned long long base_chunks, base_records, base_bytes;
	long long base_last;		/* time of its last chunk */
};

/*
 * A writer's open seals the journal once it holds this many chunks, all
 * done, no intent open: it becomes journal-NNNNNNNN (NNNNNNNN its last
 * chunk) and the journal starts again from a base line naming it, so that
 * an export reads a journal of at most this many chunks whatever the age
 * of the store.  Tests lower it.
 */
extern unsigned int journal_seal_chunks;
/*
 * A reader's open keeps the chunks of the sealed journals it read (they do
 * not change): the next open in the same process (a refresh of the view)
 * reads only the journal.  This forgets them, so that the next open reads
 * and checks every sealed journal again (fsck).
 */
void store_drop_cache(void);

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

/* The whole journal as text (header, one chunk line per chunk, an open
 * intent), sealed. */
int journal_serialize(const struct journal *j, struct buf *out);
/*
 * Append one line to out, not sealed yet (no sum): a chunk line, a state
 * line, an intent (request req, "D" or N's count, about to be written for
 * chunks from seq on) or the line that resolves it.
 */
int journal_line_chunk(const struct chunk *c, struct buf *out);
int journal_line_state(unsigned int seq, int state, struct buf *out);
int journal_line_intent(unsigned int seq, const char *req, struct buf *out);
int journal_line_resolved(unsigned int seq, struct buf *out);
/* the base line of j (base_* set) */
int journal_line_base(const struct journal *j, struct buf *out);
/*
 * Give each line of lines its sum, chained from prev (the sum of the line
 * before them); the last one's in last (may be NULL).  0 or -ENOMEM.
 */
int journal_seal(const char prev[17], struct buf *lines, char last[17]);
int journal_parse(const uint8_t *p, size_t len, struct journal *j,
		  char *err, size_t errlen);
void journal_free(struct journal *j);
struct chunk *journal_add(struct journal *j);

/*
 * Append lines (whole lines from journal_line_*, not sealed: this seals
 * them) to the journal with one write() and fsync it, and apply them to
 * s->j's chain; then fault step fault_tag.  0 or -errno.
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
/* Every file of the boot directory, in name order.  0 or -errno. */
int store_each_file(struct store *s, void (*fn)(const char *name, void *arg), void *arg);
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
