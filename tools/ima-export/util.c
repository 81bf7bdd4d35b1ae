// SPDX-License-Identifier: GPL-2.0
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

int quiet;

const char *exit_name(int code)
{
	static const char *const names[] = {
		"ok", "mismatch", "usage", "no-staging", "permission", "busy", "store-io",
		"corrupt-store", "no-tpm", "suspended", "kernel", "no-ima", "input", "refused",
		"tpm-reset",
	};

	return code >= 0 && code < (int)(sizeof(names) / sizeof(names[0])) ? names[code] : "other";
}

void buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
}

int buf_reserve(struct buf *b, size_t more)
{
	size_t need, cap;
	uint8_t *p;

	if (more > SIZE_MAX - b->len)
		return -ENOMEM;
	need = b->len + more;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	int rc = buf_reserve(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

/*
 * Is stderr journald's stream?  systemd puts "DEV:INO" of the stream it
 * connects to stderr in JOURNAL_STREAM (systemd.exec(5)); a child that
 * redirected stderr elsewhere inherits the variable but not the match.
 */
static int stderr_is_journal(void)
{
	static int known = -1;
	unsigned long long dev, ino;
	const char *e;
	struct stat st;

	if (known < 0) {
		e = getenv("JOURNAL_STREAM");
		known = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && !fstat(2, &st) &&
			(unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	}
	return known;
}

char last_error[512];

void vlog_msg(int prio, const char *fmt, va_list ap)
{
	va_list aq;

	if (prio == LOG_ERR) {
		va_copy(aq, ap);
		vsnprintf(last_error, sizeof(last_error), fmt, aq);
		va_end(aq);
	}
	flockfile(stderr);
	if (stderr_is_journal())
		fprintf(stderr, "<%d>", prio);
	fputs(prio == LOG_WARNING ? "ima-export: warning: " : "ima-export: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg(LOG_ERR, fmt, ap);
	va_end(ap);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vlog_msg(LOG_INFO, fmt, ap);
	va_end(ap);
}

char *abs_path(const char *path)
{
	char *cwd, *p;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&p, "%s/%s", strcmp(cwd, "/") ? cwd : "", path) < 0)
		p = NULL;
	free(cwd);
	return p;
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 2*len hex digits; 0 or -EINVAL. */
int hex_decode(const char *in, uint8_t *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int hi = hexval(in[2 * i]), lo;

		if (hi < 0)
			return -EINVAL;
		lo = hexval(in[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hexval(in[2 * len]) < 0 ? 0 : -EINVAL;
}

int read_fd_all(int fd, struct buf *b)
{
	for (;;) {
		ssize_t n;
		int rc = buf_reserve(b, 65536);

		if (rc)
			return rc;
		n = read(fd, b->p + b->len, b->cap - b->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		b->len += (size_t)n;
	}
}

int read_path_all(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = read_fd_all(fd, b);
	close(fd);
	return rc;
}

int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int durable_write(int dirfd, const char *name, const void *data, size_t len,
		  const char *fault_tag)
{
	char tmp[256], step[64];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), ".tmp-%s", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, data, len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (rc)
		goto fail;
	if (fault_tag) {
		snprintf(step, sizeof(step), "%s-tmp", fault_tag);
		fault_point(step);
	}
	if (renameat(dirfd, tmp, dirfd, name)) {
		rc = -errno;
		goto fail;
	}
	if (fsync(dirfd))
		return -errno;	/* renamed but maybe not durable: caller stops */
	if (fault_tag) {
		snprintf(step, sizeof(step), "%s-renamed", fault_tag);
		fault_point(step);
	}
	return 0;
fail:
	unlinkat(dirfd, tmp, 0);
	return rc;
}

#ifdef IMA_EXPORT_FAULTS
void fault_point(const char *step)
{
	const char *f = getenv("IMA_EXPORT_FAULT");

	if (f && !strcmp(f, step)) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
		pause();
	}
}
#endif

int read_path_line(const char *path, struct buf *b, size_t *len)
{
	int rc = read_path_all(path, b);

	if (rc)
		return rc;
	*len = b->len;
	while (*len && (b->p[*len - 1] == '\n' || b->p[*len - 1] == ' '))
		(*len)--;
	return 0;
}
