// SPDX-License-Identifier: GPL-2.0
/*
 * bench-journal DIR CHUNKS: what the store's age costs (issue 23, item 8).
 * Writes a store of CHUNKS exported chunks of one record each (the journal
 * written at once, as CHUNKS exports would have left it without sealing:
 * about 1 KB a chunk line whatever the chunk's size), then times, on the
 * fake kernel: a reader's first open of the store (every journal parsed:
 * status, cat), an export of 100 new records (open, A, store, D, with its
 * fsyncs: this one seals a long journal), a reader's next open in the same
 * process (the view's refresh) and the next export.  One line on stdout:
 *   journal CHUNKS journal_bytes B parse_first_ms P1 first_export_ms E1
 *           parse_ms P export_ms E
 * Opens are the best of 5 (page cache warm).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fake_kernel.h"
#include "imalog.h"
#include "ops.h"
#include "testlog.h"

#define KEY "r1-bench"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void put(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write_all(fd, p, len) || close(fd)) {
		fprintf(stderr, "bench-journal: cannot write %s\n", path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	char path[4096], err[512], name[64];
	unsigned long chunks;
	struct fake_state *st;
	struct pcr_state ps;
	struct journal j;
	struct kernel k;
	struct store s;
	struct buf rec, text;
	struct ctx c;
	double best = 1e18, t0, export_ms, seal_ms, first;
	int rc;

	if (argc != 3 || !(chunks = strtoul(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: bench-journal DIR CHUNKS\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/store", argv[1]);
	if (mkdir(argv[1], 0700) ||
	    store_open(&s, path, KEY, "key " KEY "\n", STORE_WRITE, err, sizeof(err))) {
		fprintf(stderr, "bench-journal: %s\n", err);
		return 1;
	}
	store_close(&s);
	memset(&j, 0, sizeof(j));
	strcpy(j.boot, KEY);
	replay_init(&ps);
	buf_init(&rec);
	buf_init(&text);
	for (unsigned long i = 0; i < chunks; i++) {
		struct chunk *ch = journal_add(&j);
		struct ima_list_info li;
		unsigned int dl;

		buf_reset(&rec);
		if (!i)
			tl_boot_aggregate(&rec, 1);
		else
			tl_file(&rec, "/usr/lib/x86_64-linux-gnu/bench/lib000000000000000000.so",
				(unsigned int)i);
		if (!ch || ima_list_scan(rec.p, rec.len, 1, &li, err, sizeof(err)) ||
		    replay_buf(&ps, rec.p, rec.len, err, sizeof(err)))
			return 1;
		ch->seq = (unsigned int)i + 1;
		ch->state = CH_DONE;
		strcpy(ch->kernel, "bench-kernel");
		ch->time = 1700000000 + (long long)i * 900;
		ch->records = li.records;
		ch->bytes = rec.len;
		memcpy(ch->first, li.first, IMA_DIGEST_SIZE);
		memcpy(ch->last, li.last, IMA_DIGEST_SIZE);
		EVP_Digest(rec.p, rec.len, ch->file_sha256, &dl, EVP_sha256(), NULL);
		ch->pcr = ps;
		snprintf(name, sizeof(name), "%08lu.bin", i + 1);
		snprintf(path, sizeof(path), "%s/store/%s/%s", argv[1], KEY, name);
		put(path, rec.p, rec.len);
	}
	if (journal_serialize(&j, &text))
		return 1;
	snprintf(path, sizeof(path), "%s/store/%s/journal", argv[1], KEY);
	put(path, text.p, text.len);
	sync();

	snprintf(path, sizeof(path), "%s/store", argv[1]);
	for (int r = 0; r < 5; r++) {
		t0 = now_ms();
		rc = store_open(&s, path, KEY, NULL, STORE_READ, err, sizeof(err));
		if (rc || s.j.n != chunks) {
			fprintf(stderr, "bench-journal: %s\n", rc ? err : "chunks missing");
			return 1;
		}
		store_close(&s);
		if (now_ms() - t0 < best)
			best = now_ms() - t0;
	}

	first = best;
	st = fake_new("bench-kernel");
	fake_kernel_init(&k, st);
	buf_reset(&rec);
	for (unsigned int i = 0; i < 100; i++)
		tl_file(&rec, "/usr/lib/x86_64-linux-gnu/bench/lib000000000000000001.so", 1000000 + i);
	fake_measure(st, rec.p, rec.len);
	memset(&c, 0, sizeof(c));
	c.store_root = path;
	c.boot_key = KEY;
	c.k = &k;
	c.out = stdout;
	quiet = 1;
	/* the first export seals a long journal (once per 1024 chunks) */
	t0 = now_ms();
	rc = cmd_export(&c);
	seal_ms = now_ms() - t0;
	fake_measure(st, rec.p, rec.len);
	t0 = now_ms();
	rc |= cmd_export(&c);
	export_ms = now_ms() - t0;
	if (rc || st->cur_len || st->nD != 2) {
		fprintf(stderr, "bench-journal: export exit %d\n", rc);
		return 1;
	}
	/* a reader that opened the store before (the view's refresh) */
	best = 1e18;
	for (int r = 0; r < 5; r++) {
		t0 = now_ms();
		rc = store_open(&s, path, KEY, NULL, STORE_READ, err, sizeof(err));
		if (rc || s.j.n != chunks + 2) {
			fprintf(stderr, "bench-journal: %s\n", rc ? err : "chunks missing");
			return 1;
		}
		store_close(&s);
		if (now_ms() - t0 < best)
			best = now_ms() - t0;
	}
	printf("journal %lu journal_bytes %zu parse_first_ms %.1f first_export_ms %.1f "
	       "parse_ms %.1f export_ms %.1f\n", chunks, text.len, first, seal_ms, best, export_ms);
	fake_kernel_free(&k);
	fake_free(st);
	journal_free(&j);
	buf_free(&rec);
	buf_free(&text);
	return 0;
}
