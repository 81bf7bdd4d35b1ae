// SPDX-License-Identifier: GPL-2.0
/* The whole log: chunks ++ the kernel's lists (wholelog.h). */
#include "wholelog.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops.h"

/* how much of a chunk file one pread brings in */
#define WL_WINDOW (256 * 1024)

int kernel_exit_code(int e)
{
	switch (e) {
	case -ENOENT: return EX_NOSTAGING;
	case -EPERM: case -EACCES: return EX_PERM;
	case -EBUSY: return EX_BUSY;
	default: return EX_KERNEL;
	}
}

const char *kernel_err_hint(int e)
{
	switch (e) {
	case -ENOENT: return " (kernel without IMA measurement staging, or wrong --securityfs?)";
	case -EPERM: return " (writing the lists needs CAP_SYS_ADMIN)";
	case -EACCES: return " (permission denied: run as root)";
	case -EBUSY: return " (another process has the measurement lists open for writing, or a reader blocks the writer)";
	default: return "";
	}
}

int match_held(struct store *s, const char *kinst, const uint8_t *list,
	       size_t len, int staged, size_t *first_unres,
	       size_t *first_held, size_t *held, char *err, size_t errlen)
{
	struct journal *j = &s->j;
	size_t u = journal_first_unresolved(j), best = j->n, best_bytes = 0;
	struct buf *bufs = NULL;
	int rc = 0;

	*first_unres = u;
	if (u < j->n) {
		bufs = calloc(j->n - u, sizeof(*bufs));
		if (!bufs) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	for (size_t i = u; i < j->n; i++) {
		if (store_read_chunk(s, &j->c[i], &bufs[i - u], err, errlen)) {
			rc = -1;
			goto out;
		}
	}
	/* the longest run of trailing unresolved chunks at the head of list */
	for (size_t cand = u; cand < j->n; cand++) {
		size_t off = 0, i;
		int ok = 1;

		for (i = cand; i < j->n && ok; i++) {
			const struct chunk *c = &j->c[i];
			const struct buf *b = &bufs[i - u];
			int same = !strcmp(c->kernel, kinst);

			/* ENOSPC: nothing was carried out of that kernel */
			if (c->state == CH_KEPT && !same)
				ok = 0;
			/*
			 * With nothing staged, staged chunks of this kernel
			 * are gone (only D takes a staged list away); what a
			 * kexec carried in, and what an N has not cut yet,
			 * starts the current list.
			 */
			if (!staged && same && !c->cut_n)
				ok = 0;
			if (ok && (b->len > len - off || memcmp(list + off, b->p, b->len)))
				ok = 0;
			off += b->len;
		}
		if (ok) {
			best = cand;
			best_bytes = off;
			break;
		}
	}
	*first_held = best;
	*held = best_bytes;
out:
	if (bufs)
		for (size_t i = u; i < j->n; i++)
			buf_free(&bufs[i - u]);
	free(bufs);
	return rc;
}

/*
 * A consistent snapshot of the kernel lists: staged, current, staged again
 * until the staged list did not change in between.  Missing staged file
 * (stock kernel) reads as empty; a missing binary_runtime_measurements is
 * an error (no IMA, or a wrong --securityfs).
 */
int wl_read_kernel(struct ctx *c, struct buf *S, struct buf *C)
{
	struct buf S2;
	int e = 0;

	buf_init(&S2);
	for (int tries = 0; tries < 20; tries++) {
		/*
		 * An export holds the writer: it is short.  Wait less than the
		 * export waits for the store lock (ops.c), which a view holds
		 * while it reads here: the export takes the writer first.
		 */
		if (e == -EBUSY)
			usleep(50000);
		e = c->k->ops->read_staged(c->k, S);
		if (e == -ENOENT) {
			buf_reset(S);
			e = 0;
		}
		if (!e) {
			e = c->k->ops->read_current(c->k, C);
			if (e == -ENOENT) {
				/* no list at all: no IMA, or not its directory */
				msg("cannot read binary_runtime_measurements: %s (no IMA in this kernel, securityfs not mounted, or a wrong --securityfs?)",
				    strerror(-e));
				buf_free(&S2);
				return EX_NOIMA;
			}
		}
		if (!e) {
			e = c->k->ops->read_staged(c->k, &S2);
			if (e == -ENOENT) {
				buf_reset(&S2);
				e = 0;
			}
		}
		if (e == -EBUSY)
			continue;
		if (e)
			break;
		if (S2.len == S->len && (!S->len || !memcmp(S2.p, S->p, S->len)))
			break;
	}
	buf_free(&S2);
	if (e)
		msg("cannot read the kernel's measurement lists: %s%s", strerror(-e),
		    kernel_err_hint(e));
	return e ? kernel_exit_code(e) : 0;
}

int wl_load(struct wholelog *w, struct ctx *c, struct store *s)
{
	char kinst[KERNEL_ID_MAX], err[512];
	size_t u, fh, held, skip_s = 0, skip_c = 0;
	struct ima_list_info li;
	struct wl_piece *p;
	struct buf S, C;
	int rc, e;

	memset(w, 0, sizeof(*w));
	w->bootfd = -1;
	buf_init(&w->kern);
	buf_init(&S);
	buf_init(&C);
	rc = wl_read_kernel(c, &S, &C);
	if (rc)
		goto out;
	e = c->k->ops->instance(c->k, kinst, sizeof(kinst));
	if (e) {
		msg("cannot read the kernel instance id: %s", strerror(-e));
		rc = EX_KERNEL;
		goto out;
	}
	if (match_held(s, kinst, S.len ? S.p : C.p, S.len ? S.len : C.len, !!S.len,
		       &u, &fh, &held, err, sizeof(err))) {
		msg("store: %s", err);
		rc = EX_CORRUPT;
		goto out;
	}
	*(S.len ? &skip_s : &skip_c) = held;
	if (buf_append(&w->kern, S.p + skip_s, S.len - skip_s) ||
	    buf_append(&w->kern, C.p + skip_c, C.len - skip_c)) {
		rc = EX_STORE;
		goto out;
	}
	if (ima_list_scan(w->kern.p, w->kern.len, 0, &li, err, sizeof(err))) {
		msg("the kernel's list does not parse: %s", err);
		rc = EX_KERNEL;
		goto out;
	}
	w->staged_records = ima_list_count(S.p, S.len);
	w->current_records = ima_list_count(C.p, C.len);
	w->held_bytes = held;
	w->p = calloc(s->j.n + 1, sizeof(*w->p));
	if (!w->p || (s->bootfd >= 0 &&
		      (w->bootfd = fcntl(s->bootfd, F_DUPFD_CLOEXEC, 0)) < 0)) {
		rc = EX_STORE;
		goto out;
	}
	for (size_t i = 0; i <= s->j.n; i++) {
		p = &w->p[w->n++];
		p->bin_off = w->bin_len;
		p->entry = w->records;
		if (i < s->j.n) {
			p->seq = s->j.c[i].seq;
			p->bytes = s->j.c[i].bytes;
			p->records = s->j.c[i].records;
			memcpy(p->sha256, s->j.c[i].file_sha256, 32);
		} else {
			p->kernel = 1;
			p->checked = 1;
			p->bytes = w->kern.len;
			p->records = li.records;
		}
		w->bin_len += p->bytes;
		w->records += p->records;
	}
out:
	buf_free(&S);
	buf_free(&C);
	return rc;
}

void wl_free(struct wholelog *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->p[i].marks);
	free(w->p);
	buf_free(&w->kern);
	if (w->bootfd >= 0)
		close(w->bootfd);
	if (w->cfd_piece)
		close(w->cfd);
	memset(w, 0, sizeof(*w));
	w->bootfd = -1;
}

/* the piece holding binary offset off (off < bin_len) */
static size_t piece_at(const struct wholelog *w, uint64_t off)
{
	size_t lo = 0, hi = w->n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->p[mid].bin_off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Chunk i's file, kept open until another chunk is asked for (the view
 * reads a chunk in many reads); the caller does not close it.
 */
static int open_piece(struct wholelog *w, size_t i, char *err, size_t errlen)
{
	int fd;

	if (w->cfd_piece == i + 1)
		return w->cfd;
	fd = w->bootfd < 0 ? -ENOENT : store_open_chunk(w->bootfd, w->p[i].seq);
	if (fd < 0) {
		snprintf(err, errlen, "chunk %u (%08u.bin): %s", w->p[i].seq, w->p[i].seq,
			 strerror(-fd));
		return fd;
	}
	if (w->cfd_piece)
		close(w->cfd);
	w->cfd = fd;
	w->cfd_piece = i + 1;
	return fd;
}

/* n bytes of piece i from rel; 0, or -1 with err */
static int piece_pread(struct wholelog *w, size_t i, int fd, void *out, size_t n,
		       uint64_t rel, char *err, size_t errlen)
{
	const struct wl_piece *p = &w->p[i];

	if (p->kernel) {
		memcpy(out, w->kern.p + rel, n);
		return 0;
	}
	while (n) {
		ssize_t r = pread(fd, out, n, (off_t)rel);

		if (r <= 0) {
			snprintf(err, errlen, "chunk %u (%08u.bin): %s", p->seq, p->seq,
				 r ? strerror(errno) : "shorter than the journal says");
			return -1;
		}
		out = (uint8_t *)out + r;
		n -= (size_t)r;
		rel += (uint64_t)r;
	}
	return 0;
}

int wl_check_piece(struct wholelog *w, size_t i, char *err, size_t errlen)
{
	struct wl_piece *p = &w->p[i];
	uint8_t *b = NULL, sum[32];
	unsigned int slen = 0;
	EVP_MD_CTX *md = NULL;
	uint64_t at = 0;
	struct stat st;
	int fd, ok = 0;

	if (p->checked) {
		if (p->checked < 0)
			snprintf(err, errlen, "chunk %u (%08u.bin): not what the journal says",
				 p->seq, p->seq);
		return p->checked > 0 ? 0 : -1;
	}
	fd = open_piece(w, i, err, errlen);
	if (fd < 0)
		return -1;	/* not marked: the file may come back */
	if (fstat(fd, &st) || (uint64_t)st.st_size != p->bytes) {
		snprintf(err, errlen, "chunk %u (%08u.bin): %lld bytes, the journal says %llu",
			 p->seq, p->seq, (long long)st.st_size, (unsigned long long)p->bytes);
		goto out;
	}
	b = malloc(WL_WINDOW);
	md = EVP_MD_CTX_new();
	if (!b || !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "out of memory");
		free(b);
		EVP_MD_CTX_free(md);
		return -1;
	}
	while (at < p->bytes) {
		size_t n = p->bytes - at < WL_WINDOW ? (size_t)(p->bytes - at) : WL_WINDOW;

		if (piece_pread(w, i, fd, b, n, at, err, errlen) ||
		    EVP_DigestUpdate(md, b, n) != 1)
			goto out;
		at += n;
	}
	if (EVP_DigestFinal_ex(md, sum, &slen) != 1 || slen != 32 || memcmp(sum, p->sha256, 32))
		snprintf(err, errlen, "chunk %u (%08u.bin): content differs from the journal's SHA-256",
			 p->seq, p->seq);
	else
		ok = 1;
out:
	p->checked = ok ? 1 : -1;
	free(b);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/*
 * fn(record, its offset in the piece) for each record of piece i from rel
 * (a record boundary), through a window that grows to hold a record larger
 * than it.  Returns what fn returned when non-zero, 0 at the end, -1 with err.
 */
static int walk(struct wholelog *w, size_t i, uint64_t rel, int checked,
		int (*fn)(const struct ima_rec *r, uint64_t at, void *arg), void *arg,
		char *err, size_t errlen)
{
	const struct wl_piece *p = &w->p[i];
	size_t cap = WL_WINDOW, alloc = 0, have, pos;
	uint8_t *win = NULL;
	struct ima_rec r;
	int fd = -1, rc = 0;

	if (p->kernel) {
		pos = (size_t)rel;
		while ((rc = ima_parse_next(w->kern.p, w->kern.len, &pos, &r, 0, err, errlen)) == 1)
			if ((rc = fn(&r, r.off, arg)))
				return rc;
		return rc;
	}
	if (checked && wl_check_piece(w, i, err, errlen))
		return -1;
	fd = open_piece(w, i, err, errlen);
	if (fd < 0)
		return -1;
	while (rel < p->bytes) {
		size_t want = p->bytes - rel < cap ? (size_t)(p->bytes - rel) : cap;
		uint8_t *nw;

		if (want > alloc) {
			nw = realloc(win, want);
			if (!nw) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				break;
			}
			win = nw;
			alloc = want;
		}
		if (piece_pread(w, i, fd, win, want, rel, err, errlen)) {
			rc = -1;
			break;
		}
		have = want;
		pos = 0;
		while ((rc = ima_parse_next(win, have, &pos, &r, 0, err, errlen)) == 1) {
			if ((rc = fn(&r, rel + r.off, arg)))
				goto out;
		}
		if (rc < 0 && rel + have == p->bytes)
			break;		/* the chunk itself does not parse */
		rc = 0;
		if (!pos)
			cap *= 2;	/* a record larger than the window */
		rel += pos;
	}
out:
	free(win);
	return rc;
}

struct each_arg {
	int (*fn)(const struct ima_rec *r, uint64_t off, void *arg);
	void *arg;
	uint64_t base;
};

static int each_one(const struct ima_rec *r, uint64_t at, void *arg)
{
	struct each_arg *a = arg;

	return a->fn(r, a->base + at, a->arg);
}

int wl_piece_records(struct wholelog *w, size_t i,
		     int (*fn)(const struct ima_rec *r, uint64_t off, void *arg),
		     void *arg, char *err, size_t errlen)
{
	struct each_arg a = { fn, arg, w->p[i].bin_off };

	return walk(w, i, 0, 0, each_one, &a, err, errlen);
}

ssize_t wl_read_bin(struct wholelog *w, void *out, size_t size, uint64_t off)
{
	size_t done = 0;
	char err[512];

	while (done < size && off < w->bin_len) {
		size_t i = piece_at(w, off);
		const struct wl_piece *p = &w->p[i];
		uint64_t rel = off - p->bin_off;
		size_t n = p->bytes - rel < size - done ? (size_t)(p->bytes - rel) : size - done;
		int fd = -1;

		if (!p->kernel && (wl_check_piece(w, i, err, sizeof(err)) ||
				   (fd = open_piece(w, i, err, sizeof(err))) < 0)) {
			msg("%s", err);
			return -EIO;
		}
		if (piece_pread(w, i, fd, (uint8_t *)out + done, n, rel, err, sizeof(err))) {
			msg("%s", err);
			return -EIO;
		}
		done += n;
		off += n;
	}
	return (ssize_t)done;
}

/*
 * The ascii form is written through a FILE whose bytes land in a window
 * [skip, skip + size) of what is rendered (or are only counted).
 */
struct sink {
	uint64_t pos, skip;
	char *out;
	size_t size;
};

static ssize_t sink_write(void *cookie, const char *b, size_t n)
{
	struct sink *s = cookie;
	uint64_t end = s->pos + n, lo = s->skip, hi = s->skip + s->size;

	if (s->out && end > lo && s->pos < hi) {
		uint64_t from = s->pos > lo ? s->pos : lo, to = end < hi ? end : hi;

		memcpy(s->out + (from - lo), b + (from - s->pos), (size_t)(to - from));
	}
	s->pos = end;
	return (ssize_t)n;
}

static FILE *sink_open(struct sink *s)
{
	cookie_io_functions_t io = { .write = sink_write };
	FILE *f = fopencookie(s, "w", io);

	if (f)
		setvbuf(f, NULL, _IOFBF, 65536);
	return f;
}

struct marking {
	struct wl_piece *p;
	FILE *f;
	struct sink *s;
	uint64_t n;
	size_t cap;
	int nomem;
};

/* bytes rendered so far: written to the sink, and still in the buffer */
static uint64_t rendered(struct marking *m)
{
	return m->s->pos + __fpending(m->f);
}

static int mark_one(const struct ima_rec *r, uint64_t at, void *arg)
{
	struct marking *m = arg;
	struct wl_piece *p = m->p;

	if (m->n++ % WL_MARK_EVERY == 0) {
		if (p->nmarks == m->cap) {
			size_t cap = m->cap ? 2 * m->cap : 16;
			struct wl_mark *nm = realloc(p->marks, cap * sizeof(*nm));

			if (!nm) {
				m->nomem = 1;
				return -1;
			}
			p->marks = nm;
			m->cap = cap;
		}
		p->marks[p->nmarks].bin = at;
		p->marks[p->nmarks++].ascii = rendered(m);
	}
	ima_rec_print_ascii(m->f, r);
	return 0;
}

/* ascii offsets and marks of pieces [0, upto], rendering what is not known */
static int ascii_known(struct wholelog *w, size_t upto, char *err, size_t errlen)
{
	for (; w->ascii_upto <= upto && w->ascii_upto < w->n; w->ascii_upto++) {
		struct wl_piece *p = &w->p[w->ascii_upto];
		struct sink s = { 0 };
		struct marking m = { .p = p, .s = &s };
		int rc;

		if (!p->ascii_known) {
			free(p->marks);
			p->marks = NULL;
			p->nmarks = 0;
			m.f = sink_open(&s);
			if (!m.f) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			rc = walk(w, w->ascii_upto, 0, 1, mark_one, &m, err, errlen);
			fclose(m.f);
			if (rc) {
				if (m.nomem)
					snprintf(err, errlen, "out of memory");
				return -1;
			}
			p->ascii_bytes = s.pos;
			p->ascii_known = 1;
		}
		p->ascii_off = w->ascii_upto ?
			p[-1].ascii_off + p[-1].ascii_bytes : 0;
	}
	return 0;
}

static int fill_one(const struct ima_rec *r, uint64_t at, void *arg)
{
	struct marking *m = arg;

	(void)at;
	ima_rec_print_ascii(m->f, r);
	return rendered(m) >= m->s->skip + m->s->size;
}

ssize_t wl_read_ascii(struct wholelog *w, void *out, size_t size, uint64_t off)
{
	size_t done = 0, i = 0;
	char err[512];

	while (done < size) {
		struct wl_piece *p;
		struct sink s;
		struct marking m = { .s = &s };
		size_t lo, hi;
		uint64_t rel;
		int rc;

		/* the piece holding off, rendering the ones before it once */
		for (;; i++) {
			if (i >= w->n)
				return (ssize_t)done;
			if (ascii_known(w, i, err, sizeof(err))) {
				msg("%s", err);
				return -EIO;
			}
			if (off < w->p[i].ascii_off + w->p[i].ascii_bytes)
				break;
		}
		p = &w->p[i];
		rel = off - p->ascii_off;
		for (lo = 0, hi = p->nmarks; hi - lo > 1;) {
			size_t mid = lo + (hi - lo) / 2;

			if (p->marks[mid].ascii <= rel)
				lo = mid;
			else
				hi = mid;
		}
		s = (struct sink){ .pos = 0, .skip = rel - p->marks[lo].ascii,
				   .out = (char *)out + done, .size = size - done };
		m.f = sink_open(&s);
		if (!m.f)
			return -ENOMEM;
		rc = walk(w, i, p->marks[lo].bin, 1, fill_one, &m, err, sizeof(err));
		fclose(m.f);
		if (rc < 0) {
			msg("%s", err);
			return -EIO;
		}
		rel = (s.pos < s.skip + s.size ? s.pos : s.skip + s.size) - s.skip;
		done += (size_t)rel;
		off += rel;
		i++;
	}
	return (ssize_t)done;
}

int wl_extends(struct wholelog *now, const struct wholelog *was)
{
	size_t chunks = was->n ? was->n - 1 : 0;
	uint64_t at;
	uint8_t b[4096];

	if (now->n < was->n || now->bin_len < was->bin_len)
		return 0;
	for (size_t i = 0; i < chunks; i++) {
		const struct wl_piece *a = &was->p[i], *n = &now->p[i];

		if (n->kernel || a->seq != n->seq || a->bytes != n->bytes ||
		    memcmp(a->sha256, n->sha256, 32))
			return 0;
	}
	/* what was read from the kernel is now in chunks or still there */
	for (at = 0; at < was->kern.len;) {
		size_t len = was->kern.len - at < sizeof(b) ? was->kern.len - at : sizeof(b);
		ssize_t got = wl_read_bin(now, b, len, was->bin_len - was->kern.len + at);

		if (got < 0)
			return (int)got;
		if ((size_t)got != len || memcmp(b, was->kern.p + at, len))
			return 0;
		at += len;
	}
	return 1;
}

void wl_adopt(struct wholelog *now, struct wholelog *was)
{
	size_t chunks = was->n ? was->n - 1 : 0;

	for (size_t i = 0; i < chunks; i++) {
		struct wl_piece *a = &was->p[i], *n = &now->p[i];

		if (!n->checked)
			n->checked = a->checked;
		if (a->ascii_known && !n->ascii_known) {
			n->ascii_known = 1;
			n->ascii_bytes = a->ascii_bytes;
			n->marks = a->marks;
			n->nmarks = a->nmarks;
			a->marks = NULL;
			a->nmarks = 0;
		}
	}
}
