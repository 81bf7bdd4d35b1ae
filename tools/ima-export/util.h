/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by every part of ima-export. */
#ifndef IMA_EXPORT_UTIL_H
#define IMA_EXPORT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes, documented in README.md and ima-export(8). */
enum {
	EX_OK = 0,
	EX_MISMATCH = 1,	/* verify: the log does not replay to PCR 10 */
	EX_USAGE = 2,		/* the command line: syntax, unknown option or command */
	EX_NOSTAGING = 3,	/* kernel without staging (or no IMA) */
	EX_PERM = 4,		/* no CAP_SYS_ADMIN / permission denied */
	EX_BUSY = 5,		/* another writer (EBUSY) or another exporter */
	EX_STORE = 6,		/* store I/O error or full disk: kernel untouched */
	EX_CORRUPT = 7,		/* corrupt or foreign store */
	EX_NOTPM = 8,		/* no TPM: no PCR files or no boot identity */
	EX_SUSPENDED = 9,	/* measurement suspended for kexec: nothing done */
	EX_KERNEL = 10,		/* unexpected kernel error or corrupt kernel list */
	EX_NOIMA = 11,		/* no binary_runtime_measurements under --securityfs */
	EX_INPUT = 12,		/* a file or directory given is missing or unusable */
	EX_REFUSED = 13,	/* refused: remove-boot of the current boot */
	EX_TPMRESET = 14,	/* the TPM was reset under the running kernel */
	EX_TORN = 15,		/* fsck: a torn journal tail, which --repair cuts off */
};

/* the name of an exit code, as status --json reports it */
const char *exit_name(int code);

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

/*
 * Messages: "ima-export: ..." on stderr, one line each, with the syslog
 * priority in front ("<3>") when stderr is journald's stream.  msg is an
 * error (kept in last_error), warn a warning, info is left out by quiet.
 */
void vlog_msg(int prio, const char *fmt, va_list ap);
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int quiet;
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the text of the last msg() */
extern char last_error[512];

/*
 * path made absolute against the current directory (not resolved: it may
 * not exist yet), so that it means the same after a chdir; malloc'd, or
 * NULL when out of memory or the current directory is gone.
 */
char *abs_path(const char *path);

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
 * the process sends itself SIGKILL.  Only in builds with
 * -DIMA_EXPORT_FAULTS (the unit tests and ima-export-faulty); in
 * ima-export it is nothing, and the variable is never read.
 */
#ifdef IMA_EXPORT_FAULTS
void fault_point(const char *step);
#else
static inline void fault_point(const char *step)
{
	(void)step;
}
#endif

#endif
