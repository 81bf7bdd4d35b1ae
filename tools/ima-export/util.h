/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every part of ima-export. */
#ifndef IMA_EXPORT_UTIL_H
#define IMA_EXPORT_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes, documented in README.md and ima-export(8). */
enum {
	EX_OK = 0,
	EX_MISMATCH = 1,	/* verify: the log does not replay to PCR 10 */
	EX_USAGE = 2,
	EX_NOSTAGING = 3,	/* kernel without staging (or no IMA) */
	EX_PERM = 4,		/* no CAP_SYS_ADMIN / permission denied */
	EX_BUSY = 5,		/* another writer (EBUSY) or another exporter */
	EX_STORE = 6,		/* store I/O error or full disk: kernel untouched */
	EX_CORRUPT = 7,		/* corrupt or foreign store */
	EX_NOTPM = 8,		/* no TPM: no PCR files or no boot identity */
	EX_SUSPENDED = 9,	/* measurement suspended for kexec: nothing done */
	EX_KERNEL = 10,		/* unexpected kernel error or corrupt kernel list */
	EX_TPMRESET = 11,	/* the TPM was reset under the running kernel */
	EX_TORN = 12,		/* fsck: a torn journal tail, which --repair cuts off */
};

struct buf {
	uint8_t *p;
	size_t len, cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
/* Room for `more` bytes after b->len; 0 or -ENOMEM. */
int buf_reserve(struct buf *b, size_t more);

/* Message helpers: "ima-export: ..." on stderr. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int quiet;
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void hex_encode(const uint8_t *in, size_t len, char *out);
int hex_decode(const char *in, uint8_t *out, size_t len);

/* Read a whole file or fd into b (appending); 0 or -errno. */
int read_fd_all(int fd, struct buf *b);
int read_path_all(const char *path, struct buf *b);
/* A one-line file (sysfs, procfs): its bytes in b, *len of them without
 * the trailing newline and spaces. */
int read_path_line(const char *path, struct buf *b, size_t *len);
/* Write all of data, retrying short writes and EINTR; 0 or -errno. */
int write_all(int fd, const void *data, size_t len);

/*
 * Durable replace of dir/name with data: write dir/.tmp-name, fsync, rename
 * over name, fsync the directory.  0 or -errno; on error nothing replaced.
 * fault_tag, when not NULL, names the fault steps "<tag>-tmp" (temporary
 * file written and synced, not renamed) and "<tag>-renamed" (renamed, the
 * directory synced).
 */
int durable_write(int dirfd, const char *name, const void *data, size_t len,
		  const char *fault_tag);

/*
 * Fault hook for crash-safety tests: when IMA_EXPORT_FAULT equals step,
 * the process sends itself SIGKILL.
 */
void fault_point(const char *step);

#endif
