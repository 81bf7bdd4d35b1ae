// SPDX-License-Identifier: GPL-2.0
/*
 * The whole log read by offset: every read, at any offset and size, in the
 * binary list and in its ascii form, equals the same bytes of the log;
 * across many chunks, the kernel's part and a record larger than the read
 * window; a chunk that is not what the journal says fails its reads; and
 * a later log extends an earlier one unless the store was replaced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testlog.h"
#include "wholelog.h"
#include "world.h"

static int load(struct world *w, struct wholelog *wl)
{
	char err[512];
	struct store s;
	int rc = store_open(&s, w->store, w->c.boot_key, NULL, STORE_READ, err, sizeof(err));

	if (!rc)
		rc = wl_load(wl, &w->c, &s);
	store_close(&s);
	return rc;
}

/* n random reads; how many differ from want */
static unsigned int random_reads(struct wholelog *wl, int ascii, const struct buf *want,
				 unsigned int n, size_t maxsize)
{
	char *b = malloc(maxsize);
	unsigned int bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t off = (uint64_t)rand() % (want->len + 16);
		size_t size = 1 + (size_t)rand() % maxsize;
		size_t exp = off >= want->len ? 0 : want->len - off < size ? want->len - off : size;
		ssize_t got = ascii ? wl_read_ascii(wl, b, size, off) : wl_read_bin(wl, b, size, off);

		if (got != (ssize_t)exp || (exp && memcmp(b, want->p + off, exp))) {
			if (!bad)
				diag("%s read of %zu at %llu: %zd bytes, %zu wanted", ascii ? "ascii" : "binary",
				     size, (unsigned long long)off, got, exp);
			bad++;
		}
	}
	free(b);
	return bad;
}

static void ascii_of(const struct buf *bin, struct buf *out)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	ima_list_print_ascii(f, bin->p, bin->len);
	fclose(f);
	buf_reset(out);
	buf_append(out, p, n);
	free(p);
}

void test_wholelog(void)
{
	struct wholelog wl, later;
	struct buf asc, big, seq;
	unsigned int bad = 0;
	size_t marks = 0, pieces;
	uint8_t *sig;
	struct world w;
	char path[512], c;
	int fd, rc;

	buf_init(&asc);
	buf_init(&big);
	buf_init(&seq);
	w_init(&w);
	srand(1234);
	/* 25 chunks of 1 to 400 records; chunk 6 holds a 300 KB record */
	for (unsigned int i = 0; i < 25; i++) {
		w_measure(&w, 1 + (i * 97) % 400);
		if (i == 6) {
			sig = calloc(1, 300000);
			memset(sig, 0x5a, 300000);
			tl_ima_sig(&big, "/big-signature", sig, 300000);
			w_measure_buf(&w, &big);
			free(sig);
		}
		w_export(&w);
	}
	w_measure(&w, 77);	/* the kernel's part */
	ascii_of(&w.truth, &asc);
	rc = load(&w, &wl);
	pieces = wl.n;
	ok(rc == EX_OK && wl.n == 26 && wl.bin_len == w.truth.len && wl.p[25].kernel &&
	   wl.p[25].records == 77,
	   "whole log: 25 chunks and the kernel's part, %llu bytes (%zu measured)",
	   (unsigned long long)wl.bin_len, w.truth.len);
	ok(random_reads(&wl, 0, &w.truth, 3000, 70000) == 0,
	   "whole log: 3000 binary reads at random offsets and sizes equal the log");
	ok(random_reads(&wl, 1, &asc, 3000, 70000) == 0,
	   "whole log: 3000 ascii reads at random offsets and sizes equal the log's ascii (%zu bytes), a 300 KB record among them",
	   asc.len);
	/* a reader in 4 KiB steps, as cat through FUSE */
	{
		char b[4096];
		uint64_t off = 0;
		ssize_t n;

		while ((n = wl_read_ascii(&wl, b, sizeof(b), off)) > 0) {
			buf_append(&seq, b, (size_t)n);
			off += (uint64_t)n;
		}
	}
	ok(seq.len == asc.len && !memcmp(seq.p, asc.p, asc.len),
	   "whole log: read in 4 KiB steps from 0, the ascii form is the log's, byte for byte");
	for (size_t i = 0; i < wl.n; i++) {
		marks += wl.p[i].nmarks;
		if (wl.p[i].nmarks != (wl.p[i].records + WL_MARK_EVERY - 1) / WL_MARK_EVERY)
			bad++;
	}
	ok(bad == 0, "whole log: one mark every %d records of each piece (%zu marks, %llu records)",
	   WL_MARK_EVERY, marks, (unsigned long long)wl.records);

	/* a later log extends this one, and takes its marks over */
	w_measure(&w, 5);
	w_export(&w);
	rc = load(&w, &later);
	ok(rc == EX_OK && wl_extends(&later, &wl) == 1 && (wl_adopt(&later, &wl), 1) &&
	   later.n == pieces + 1 && later.p[3].ascii_known && !wl.p[3].marks,
	   "whole log: after another export the log extends the one before (its marks moved over)");
	wl_free(&later);

	/* one byte of chunk 4 changed: reads that reach it fail with EIO */
	snprintf(path, sizeof(path), "%s/%s/%08u.bin", w.store, w.c.boot_key, wl.p[4].seq);
	fd = open(path, O_RDWR);
	if (fd >= 0 && pread(fd, &c, 1, 100) == 1) {
		c ^= 1;
		if (pwrite(fd, &c, 1, 100) != 1)
			c = 0;
	}
	if (fd >= 0)
		close(fd);
	wl_free(&wl);
	rc = load(&w, &wl);
	{
		char b[64];
		ssize_t before = wl_read_bin(&wl, b, sizeof(b), wl.p[4].bin_off - sizeof(b));
		ssize_t in = wl_read_bin(&wl, b, sizeof(b), wl.p[4].bin_off + 10);
		ssize_t text = wl_read_ascii(&wl, b, sizeof(b), asc.len - 1);

		ok(rc == EX_OK && before == (ssize_t)sizeof(b) && in == -EIO && text == -EIO,
		   "whole log: a chunk altered on disk fails the reads that reach it (EIO), not those before it");
	}
	wl_free(&wl);

	/* the store replaced by an empty one: the log no longer extends */
	rc = load(&w, &wl);
	{
		struct world w2;

		w_init(&w2);
		w_measure(&w2, 3);
		rc = load(&w2, &later);
		ok(rc == EX_OK && wl_extends(&later, &wl) == 0,
		   "whole log: another store's log does not extend this one");
		wl_free(&later);
		w_free(&w2);
	}
	wl_free(&wl);
	w_free(&w);
	buf_free(&asc);
	buf_free(&big);
	buf_free(&seq);
}
