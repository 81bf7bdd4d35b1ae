// SPDX-License-Identifier: GPL-2.0
#include "fake_kernel.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "imalog.h"

/* which file the writer is open on */
enum { RW_NONE, RW_STAGED, RW_CURRENT };

struct fake_k {
	struct fake_state *st;
	int rw;
};

struct fake_state *fake_new(const char *instance)
{
	struct fake_state *st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (st == MAP_FAILED)
		abort();
	/* anonymous memory is zero: pages the lists never reach stay unused */
	strcpy(st->instance, instance);
	return st;
}

void fake_free(struct fake_state *st)
{
	munmap(st, sizeof(*st));
}

static int writer_alive(struct fake_state *st)
{
	if (!st->writer)
		return 0;
	if (kill(st->writer, 0) == 0 || errno == EPERM)
		return 1;
	st->writer = 0;		/* it died: the kernel closed its descriptor */
	return 0;
}

static int open_writer(struct kernel *k, int which)
{
	struct fake_k *f = k->priv;

	if (f->rw)
		return f->rw == which ? 0 : -EBUSY;
	if (f->st->open_err)
		return f->st->open_err;
	if (writer_alive(f->st))
		return -EBUSY;
	f->st->writer = getpid();
	f->rw = which;
	return 0;
}

static int f_open_rw(struct kernel *k)
{
	return open_writer(k, RW_STAGED);
}

static int f_open_rw_current(struct kernel *k)
{
	return open_writer(k, RW_CURRENT);
}

/* N as ima_delete_oldest() does it, with its errnos in its order */
static int delete_oldest(struct fake_state *st, const char *req, size_t n)
{
	unsigned long want, i;
	struct ima_rec r;
	size_t pos = 0;
	char err[128];

	if (req[0] == '0' || n > 20)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (req[i] < '0' || req[i] > '9')
			return -EINVAL;
	want = strtoul(req, NULL, 10);
	if (st->flush_htable)
		return -EINVAL;
	if (st->suspended)
		return st->capture_result;
	if (st->staged_len)
		return -EEXIST;
	for (i = 0; i < want; i++)
		if (ima_parse_next(st->cur, st->cur_len, &pos, &r, i, err, sizeof(err)) != 1)
			return -ENOENT;
	memmove(st->cur, st->cur + pos, st->cur_len - pos);
	st->cur_len -= pos;
	st->nN++;
	return 0;
}

static int f_request(struct kernel *k, const char *req)
{
	struct fake_k *f = k->priv;
	struct fake_state *st = f->st;
	size_t n = strlen(req);

	if (!f->rw)
		return -EBADF;
	if (n && req[n - 1] == '\n')
		n--;
	if (n == 1 && req[0] == 'A') {
		if (st->suspended)
			return -EACCES;
		if (st->staged_len)
			return -EEXIST;
		if (!st->cur_len)
			return -ENOENT;
		memcpy(st->staged, st->cur, st->cur_len);
		st->staged_len = st->cur_len;
		st->cur_len = 0;
		st->nA++;
		if (st->on_A)
			st->on_A(st, st->on_A_arg);
		if (st->suspend_on_A) {
			st->suspended = 1;
			st->capture_result = st->suspend_on_A;
			st->suspend_on_A = 0;
		}
		return 0;
	}
	if (f->rw == RW_CURRENT)
		return n == 1 && req[0] == 'D' ? -EINVAL : delete_oldest(st, req, n);
	if (n == 1 && req[0] == 'D') {
		if (!st->staged_len)
			return -ENOENT;
		if (st->suspended)
			return st->capture_result;
		st->staged_len = 0;
		st->nD++;
		return 0;
	}
	return -EINVAL;		/* N is for the current list's files */
}

static int copy_out(const uint8_t *p, size_t n, struct buf *b)
{
	buf_reset(b);
	return buf_append(b, p, n);
}

static int f_read_staged(struct kernel *k, struct buf *b)
{
	struct fake_k *f = k->priv;

	if (f->rw != RW_STAGED && writer_alive(f->st))
		return -EBUSY;
	return copy_out(f->st->staged, f->st->staged_len, b);
}

static int f_read_current(struct kernel *k, struct buf *b)
{
	struct fake_k *f = k->priv;

	if (f->rw != RW_CURRENT && writer_alive(f->st))
		return -EBUSY;
	return copy_out(f->st->cur, f->st->cur_len, b);
}

static void f_close_rw(struct kernel *k)
{
	struct fake_k *f = k->priv;

	if (f->rw && f->st->writer == getpid())
		f->st->writer = 0;
	f->rw = 0;
}

static int f_instance(struct kernel *k, char *id, size_t n)
{
	struct fake_k *f = k->priv;

	if (strlen(f->st->instance) >= n)
		return -EINVAL;
	strcpy(id, f->st->instance);
	return 0;
}

static const struct kernel_ops fake_ops = {
	.open_rw = f_open_rw,
	.request = f_request,
	.read_staged = f_read_staged,
	.read_current = f_read_current,
	.close_rw = f_close_rw,
	.open_rw_current = f_open_rw_current,
	.instance = f_instance,
};

void fake_kernel_init(struct kernel *k, struct fake_state *st)
{
	struct fake_k *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->st = st;
	k->ops = &fake_ops;
	k->priv = f;
}

void fake_kernel_free(struct kernel *k)
{
	free(k->priv);
	k->priv = NULL;
}

void fake_measure(struct fake_state *st, const void *p, size_t len)
{
	if (st->cur_len + len > FAKE_CAP)
		abort();
	memcpy(st->cur + st->cur_len, p, len);
	st->cur_len += len;
}

void fake_kexec(struct fake_state *st, const char *instance, int carry)
{
	if (carry) {
		memmove(st->cur + st->staged_len, st->cur, st->cur_len);
		memcpy(st->cur, st->staged, st->staged_len);
		st->cur_len += st->staged_len;
	} else {
		st->cur_len = 0;
	}
	st->staged_len = 0;
	st->suspended = 0;
	st->capture_result = 0;
	st->suspend_on_A = 0;
	st->writer = 0;
	strcpy(st->instance, instance);
}
