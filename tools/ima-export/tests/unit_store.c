// SPDX-License-Identifier: GPL-2.0
/* The store: journal round trips, durable writes, locking, corruption. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store.h"
#include "tap.h"
#include "testlog.h"

static char *tmpdir(void)
{
	static char dirs[16][64];
	static int n;
	char *d = dirs[n++ % 16];

	strcpy(d, "/tmp/ima-export-store.XXXXXX");
	return mkdtemp(d);
}

static void rmrf(const char *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd))
		diag("cannot remove %s", d);
}

static void fill_journal(struct journal *j, unsigned int n)
{
	struct pcr_state st;
	char err[256];

	memset(j, 0, sizeof(*j));
	strcpy(j->boot, "r7-0123456789abcdef");
	replay_init(&st);
	for (unsigned int i = 0; i < n; i++) {
		struct chunk *c = journal_add(j);
		struct buf l;

		buf_init(&l);
		tl_list(&l, i * 10, 10);
		replay_buf(&st, l.p, l.len, err, sizeof(err));
		c->seq = i + 1;
		c->state = (int)(i % 4);
		snprintf(c->kernel, sizeof(c->kernel), "kernel-%u", i / 2);
		c->time = 1700000000 + i;
		c->records = 10;
		c->bytes = l.len;
		memset(c->first, (int)i, sizeof(c->first));
		memset(c->last, (int)i + 1, sizeof(c->last));
		memset(c->file_sha256, (int)i + 2, sizeof(c->file_sha256));
		c->pcr = st;
		buf_free(&l);
	}
}

static int chunks_equal(const struct chunk *a, const struct chunk *b)
{
	return a->seq == b->seq && a->state == b->state &&
	       !strcmp(a->kernel, b->kernel) && a->time == b->time &&
	       a->records == b->records && a->bytes == b->bytes &&
	       !memcmp(a->first, b->first, sizeof(a->first)) &&
	       !memcmp(a->last, b->last, sizeof(a->last)) &&
	       !memcmp(a->file_sha256, b->file_sha256, sizeof(a->file_sha256)) &&
	       !memcmp(a->pcr.full, b->pcr.full, sizeof(a->pcr.full)) &&
	       !memcmp(a->pcr.pad, b->pcr.pad, sizeof(a->pcr.pad));
}

static int parse_variant(const struct buf *text, void (*edit)(struct buf *),
			 struct journal *out, char *err, size_t errlen)
{
	struct journal j;
	struct buf b;
	int rc;

	buf_init(&b);
	buf_append(&b, text->p, text->len);
	edit(&b);
	rc = journal_parse(b.p, b.len, &j, err, errlen);
	if (!rc && out)
		*out = j;
	else if (!rc)
		journal_free(&j);
	buf_free(&b);
	return rc;
}

/* byte offset of the start of line n (1-based) */
static size_t line_at(const struct buf *b, int n)
{
	size_t off = 0;

	while (--n > 0) {
		const uint8_t *nl = memchr(b->p + off, '\n', b->len - off);

		off = (size_t)(nl - b->p) + 1;
	}
	return off;
}

static void edit_flip_middle(struct buf *b) { b->p[line_at(b, 4) + 40] ^= 0x04; }
static void edit_flip_last(struct buf *b) { b->p[b->len - 30] ^= 0x04; }
static void edit_torn(struct buf *b) { b->len -= 100; }
static void edit_head(struct buf *b) { b->p[0] = 'X'; }
static void edit_state(struct buf *b) { journal_line_state(3, CH_CARRIED, b); journal_line_state(3, CH_DONE, b); journal_line_state(5, CH_KEPT, b); }
static void edit_state_unknown(struct buf *b) { journal_line_state(99, CH_DONE, b); }

static int journal_text(struct journal *j, struct buf *out)
{
	buf_init(out);
	return journal_serialize(j, out);
}

void test_store(void)
{
	struct journal j, k;
	struct buf text;
	char err[512];
	int rc, same;

	fill_journal(&j, 6);
	rc = journal_text(&j, &text);
	ok(rc == 0 && journal_parse(text.p, text.len, &k, err, sizeof(err)) == 0,
	   "journal: serialize then parse six chunks");
	same = k.n == j.n && !strcmp(k.boot, j.boot);
	for (size_t i = 0; same && i < j.n; i++)
		same = chunks_equal(&j.c[i], &k.c[i]);
	ok(same, "journal: the round trip keeps every field (state, counts, digests, PCR 10 of 4 banks + padded)");
	journal_free(&k);
	ok(parse_variant(&text, edit_flip_middle, NULL, err, sizeof(err)) == -1 && strstr(err, "line 4"),
	   "journal: one altered bit in a line is refused (\"%s\")", err);
	ok(parse_variant(&text, edit_flip_last, NULL, err, sizeof(err)) == -1,
	   "journal: an altered last line (with its newline) is corruption, not a torn write (\"%s\")", err);
	ok(parse_variant(&text, edit_torn, &k, err, sizeof(err)) == 0 && k.torn && k.n == 5 &&
	   k.valid_len == line_at(&text, 8),
	   "journal: a torn last line (no newline) is ignored: 5 chunks, valid up to line 8");
	journal_free(&k);
	ok(parse_variant(&text, edit_head, NULL, err, sizeof(err)) == -1 && strstr(err, "not an ima-export journal"),
	   "journal: a foreign file is refused (\"%s\")", err);
	ok(parse_variant(&text, edit_state, &k, err, sizeof(err)) == 0 && k.c[2].state == CH_DONE &&
	   k.c[4].state == CH_KEPT && k.c[0].state == j.c[0].state,
	   "journal: appended state lines change the state of their chunk, the last one counts");
	journal_free(&k);
	ok(parse_variant(&text, edit_state_unknown, NULL, err, sizeof(err)) == -1 && strstr(err, "unknown chunk 99"),
	   "journal: a state line for a chunk that is not there is refused (\"%s\")", err);
	j.c[3].seq = 9;
	buf_free(&text);
	journal_text(&j, &text);
	ok(journal_parse(text.p, text.len, &k, err, sizeof(err)) == -1 && strstr(err, "out of sequence"),
	   "journal: chunks out of sequence are refused (\"%s\")", err);
	buf_free(&text);
	journal_free(&j);

	/* a store on disk */
	{
		char *root = tmpdir(), path[256];
		struct store s, s2;
		struct chunk c0;
		struct buf l, back;
		int fd;

		buf_init(&l);
		buf_init(&back);
		rc = store_open(&s, root, "r1-test", "key r1-test\n", 1, err, sizeof(err));
		snprintf(path, sizeof(path), "%s/ima-export-store", root);
		ok(rc == EX_OK && access(path, F_OK) == 0, "store: created with its marker (%s)", rc ? err : "ok");
		rc = store_open(&s2, root, "r1-test", NULL, 1, err, sizeof(err));
		ok(rc == EX_BUSY && strstr(err, "another ima-export"),
		   "store: a second exporter is refused by the flock (\"%s\")", err);
		tl_list(&l, 0, 7);
		rc = store_write_chunk(&s, 1, l.p, l.len);
		snprintf(path, sizeof(path), "%s/r1-test/.tmp-00000001.bin", root);
		ok(rc == 0 && access(path, F_OK) != 0, "store: a chunk is written durably, no temporary file left");
		memset(&c0, 0, sizeof(c0));
		c0.seq = 1;
		strcpy(c0.kernel, "kernel-1");
		c0.bytes = l.len;
		{
			unsigned int n;

			EVP_Digest(l.p, l.len, c0.file_sha256, &n, EVP_sha256(), NULL);
		}
		ok(store_read_chunk(&s, &c0, &back, err, sizeof(err)) == 0 && back.len == l.len &&
		   !memcmp(back.p, l.p, l.len), "store: the chunk reads back, length and SHA-256 checked");
		snprintf(path, sizeof(path), "%s/r1-test/00000001.bin", root);
		fd = open(path, O_WRONLY);
		if (pwrite(fd, "\x55", 1, 100) != 1)
			diag("pwrite failed");
		close(fd);
		ok(store_read_chunk(&s, &c0, &back, err, sizeof(err)) == -2 && strstr(err, "chunk 1"),
		   "store: an altered chunk is detected and named (\"%s\")", err);
		*journal_add(&s.j) = c0;
		{
			struct buf line;

			buf_init(&line);
			journal_line_chunk(&c0, &line);
			ok(store_append(&s, &line, NULL) == 0, "store: a chunk line appended to the journal");
			buf_free(&line);
		}
		store_close(&s);
		rc = store_open(&s, root, "r1-test", NULL, 0, err, sizeof(err));
		ok(rc == EX_OK && s.j.n == 1 && s.j.c[0].bytes == l.len && !s.j.torn,
		   "store: a reader opens it again and finds the chunk in the journal");
		rc = store_open(&s2, root, "r1-test", NULL, 0, err, sizeof(err));
		ok(rc == EX_OK, "store: two readers share the lock");
		store_close(&s2);
		store_close(&s);

		/* a torn append is cut off by the next writer; corruption is refused */
		snprintf(path, sizeof(path), "%s/r1-test/journal", root);
		{
			struct stat before, after;

			stat(path, &before);
			fd = open(path, O_WRONLY | O_APPEND);
			if (write(fd, "chunk 2 stored kern", 19) != 19)
				diag("write failed");
			close(fd);
			rc = store_open(&s, root, "r1-test", NULL, 0, err, sizeof(err));
			ok(rc == EX_OK && s.j.n == 1 && s.j.torn, "store: a reader ignores a torn journal tail");
			store_close(&s);
			rc = store_open(&s, root, "r1-test", NULL, 1, err, sizeof(err));
			store_close(&s);
			stat(path, &after);
			ok(rc == EX_OK && after.st_size == before.st_size,
			   "store: the next writer cuts the torn tail off");
		}
		fd = open(path, O_WRONLY);
		if (pwrite(fd, "Z", 1, 60) != 1)
			diag("pwrite failed");
		close(fd);
		rc = store_open(&s, root, "r1-test", NULL, 0, err, sizeof(err));
		ok(rc == EX_CORRUPT, "store: a corrupt journal gives exit code %d (\"%s\")", EX_CORRUPT, err);
		{
			char *foreign = tmpdir();

			snprintf(path, sizeof(path), "%s/some-file", foreign);
			fd = open(path, O_CREAT | O_WRONLY, 0600);
			close(fd);
			rc = store_open(&s, foreign, "r1-test", NULL, 1, err, sizeof(err));
			ok(rc == EX_CORRUPT && strstr(err, "not an ima-export store"),
			   "store: a non-empty directory without the marker is refused (\"%s\")", err);
			rmrf(foreign);
		}
		{
			/* a file system of its own: lost+found is there from mkfs */
			char *fsroot = tmpdir(), path[256];
			struct stat sb;

			snprintf(path, sizeof(path), "%s/lost+found", fsroot);
			mkdir(path, 0700);
			rc = store_open(&s, fsroot, "r1-test", NULL, 1, err, sizeof(err));
			snprintf(path, sizeof(path), "%s/r1-test/journal", fsroot);
			ok(rc == EX_OK && !stat(path, &sb),
			   "store: a directory with only lost+found (a file system of its own) becomes a store (%d \"%s\")",
			   rc, rc ? err : "");
			if (rc == EX_OK)
				store_close(&s);
			rmrf(fsroot);
		}
		rc = store_open(&s, "/nonexistent/ima-export", "r1-test", NULL, 0, err, sizeof(err));
		ok(rc == EX_OK && s.j.n == 0, "store: a reader of a missing store sees no chunks");
		store_close(&s);
		ok(store_open(&s, root, "../evil", NULL, 1, err, sizeof(err)) == EX_USAGE,
		   "store: a boot key with a path in it is refused");
		buf_free(&l);
		buf_free(&back);
		rmrf(root);
	}

	/* the durable-write path: SIGKILL at each step, a write error */
	{
		static const char *const steps[] = { "chunk-tmp", "chunk-renamed" };
		char *root = tmpdir(), path[256];

		for (int i = 0; i < 2; i++) {
			struct store s;
			struct buf back;
			pid_t pid;
			int status;

			if (store_open(&s, root, "r2", NULL, 1, err, sizeof(err)))
				break;
			store_write_chunk(&s, 1, (const uint8_t *)"old", 3);
			store_close(&s);
			pid = fork();
			if (pid == 0) {
				setenv("IMA_EXPORT_FAULT", steps[i], 1);
				if (store_open(&s, root, "r2", NULL, 1, err, sizeof(err)))
					_exit(3);
				store_write_chunk(&s, 1, (const uint8_t *)"new content", 11);
				_exit(0);
			}
			waitpid(pid, &status, 0);
			buf_init(&back);
			snprintf(path, sizeof(path), "%s/r2/00000001.bin", root);
			read_path_all(path, &back);
			ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
			   back.len == (i ? 11u : 3u),
			   "durable write: SIGKILL at %s leaves the %s content", steps[i], i ? "new" : "old");
			buf_free(&back);
			if (store_open(&s, root, "r2", NULL, 1, err, sizeof(err)) == EX_OK) {
				snprintf(path, sizeof(path), "%s/r2/.tmp-00000001.bin", root);
				ok(access(path, F_OK) != 0, "durable write: the next exporter removes the temporary file (%s)", steps[i]);
				store_close(&s);
			}
		}
		/* a write error (file size limit: EFBIG, like a full disk) */
		{
			struct buf big, back;
			pid_t pid;
			int status;

			buf_init(&big);
			for (int n = 0; n < 100; n++)
				tl_list(&big, (unsigned int)n * 10, 10);
			pid = fork();
			if (pid == 0) {
				struct rlimit rl = { 4096, 4096 };
				struct store s;

				signal(SIGXFSZ, SIG_IGN);
				setrlimit(RLIMIT_FSIZE, &rl);
				if (store_open(&s, root, "r2", NULL, 1, err, sizeof(err)))
					_exit(3);
				rc = store_write_chunk(&s, 1, big.p, big.len);
				_exit(rc == -EFBIG ? 0 : 1);
			}
			waitpid(pid, &status, 0);
			buf_init(&back);
			snprintf(path, sizeof(path), "%s/r2/00000001.bin", root);
			read_path_all(path, &back);
			snprintf(path, sizeof(path), "%s/r2/.tmp-00000001.bin", root);
			ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && back.len == 11 &&
			   access(path, F_OK) != 0,
			   "durable write: a write error (EFBIG) is reported, the old file stays, no temporary left");
			buf_free(&back);
			buf_free(&big);
		}
		rmrf(root);
	}
}
