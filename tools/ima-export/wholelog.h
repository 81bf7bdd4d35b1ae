/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The whole log of one boot: the store's chunks in order, then what the
 * kernel holds beyond them (its staged list, then its current list, less
 * the records at their head that chunks already hold).  The one place that
 * reads it: by byte offset in the binary list or in its ascii form, or
 * record by record.  cat, verify, status and the FUSE view read it here.
 *
 * Chunks stay on disk and are read when asked for (pread), so what grows
 * with the log is one entry per chunk and, once a chunk has been shown as
 * ascii, one mark every WL_MARK_EVERY records; the page cache, which the
 * kernel can reclaim, does the caching.  The kernel's part is the only one
 * kept in memory: it is a copy of what the kernel itself holds.
 */
#ifndef IMA_EXPORT_WHOLELOG_H
#define IMA_EXPORT_WHOLELOG_H

#include <stdint.h>
#include <sys/types.h>

#include "imalog.h"
#include "kernel.h"
#include "store.h"

#define WL_MARK_EVERY 128

struct ctx;

/* Where every WL_MARK_EVERY-th record of a piece starts, in both forms. */
struct wl_mark {
	uint64_t bin, ascii;		/* from the start of the piece */
};

/* A chunk file, or (the last piece) the kernel's part. */
struct wl_piece {
	unsigned int seq;		/* the chunk's */
	int kernel;			/* the kernel's part, in memory */
	uint64_t bin_off, bytes;	/* in the binary list */
	uint64_t entry, records;	/* first record's number, how many */
	uint8_t sha256[32];		/* the journal's, for a chunk */
	int checked;			/* 1: content as the journal says; -1: not */
	int ascii_known;		/* ascii_off, ascii_bytes and marks set */
	uint64_t ascii_off, ascii_bytes;
	struct wl_mark *marks;
	size_t nmarks;
};

struct wholelog {
	int bootfd;			/* the boot directory, -1 without one */
	int cfd;			/* chunk file cfd_piece - 1, when cfd_piece */
	size_t cfd_piece;
	struct wl_piece *p;		/* chunks, then the kernel's part */
	size_t n;
	struct buf kern;		/* the kernel's part */
	uint64_t bin_len, records;
	size_t ascii_upto;		/* pieces [0, ascii_upto) have ascii_known */
	/* for status: the kernel's lists and what the store holds of them */
	unsigned long staged_records, current_records;
	size_t held_bytes;
};

/* Exit code (util.h) and a hint for an errno of the kernel's list files. */
int kernel_exit_code(int e);
const char *kernel_err_hint(int e);

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

/*
 * A consistent read of the kernel's staged and current lists as a reader
 * (no staged file reads as empty), waiting out a short EBUSY: EX_OK, or an
 * EX_* code with a message.
 */
int wl_read_kernel(struct ctx *c, struct buf *S, struct buf *C);

/*
 * The whole log as of now, from the open store s (its lock held) and a
 * consistent read of the kernel's lists (waiting out a short EBUSY).  The
 * journal is read, not the chunks.  Returns an EX_* code, with a message;
 * w is to be freed with wl_free() in every case.
 */
int wl_load(struct wholelog *w, struct ctx *c, struct store *s);
void wl_free(struct wholelog *w);

/*
 * 1 when now's log starts with the whole of was's (the same chunks, and
 * the bytes was had from the kernel are now's at the same offsets): an
 * offset or entry number read from was still means the same in now.  0
 * otherwise, -errno when now cannot be read.  It reads only what wl_load()
 * set in was, so was may be read meanwhile.
 */
int wl_extends(struct wholelog *now, const struct wholelog *was);
/* Move what now shares with was (chunk checks, ascii marks) over to now. */
void wl_adopt(struct wholelog *now, struct wholelog *was);

/*
 * Up to size bytes of the binary list, or of its ascii form, from offset
 * off: how many (0 at the end), or -EIO when a chunk cannot be read or is
 * not what the journal says (with a message).
 */
ssize_t wl_read_bin(struct wholelog *w, void *out, size_t size, uint64_t off);
ssize_t wl_read_ascii(struct wholelog *w, void *out, size_t size, uint64_t off);

/*
 * Check chunk i against the journal (length and SHA-256), once: 0, or -1
 * with err.  The kernel's part always passes.
 */
int wl_check_piece(struct wholelog *w, size_t i, char *err, size_t errlen);

/*
 * Call fn on each record of piece i, in order, with its offset in the
 * binary list, until it returns non-zero (then that value).  0 at the end,
 * -1 with err when the piece cannot be read or does not parse.  The chunk
 * is read as it is: wl_check_piece() tells whether to trust it.
 */
int wl_piece_records(struct wholelog *w, size_t i,
		     int (*fn)(const struct ima_rec *r, uint64_t off, void *arg),
		     void *arg, char *err, size_t errlen);

#endif
