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
/* append lines to the journal text b, sealed as a writer would */
static void append_sealed(struct buf *b, struct buf *lines)
{
	struct journal j;
	char err[256];

	if (journal_parse(b->p, b->len, &j, err, sizeof(err)) == 0) {
		journal_seal(j.chain, lines, NULL);
		buf_append(b, lines->p, lines->len);
		journal_free(&j);
	}
	buf_free(lines);
}

static void edit_state(struct buf *b)
{
	struct buf l;

	buf_init(&l);
	journal_line_state(3, CH_CARRIED, &l);
	journal_line_state(3, CH_DONE, &l);
	journal_line_state(5, CH_KEPT, &l);
	append_sealed(b, &l);
}

static void edit_state_unknown(struct buf *b)
{
	struct buf l;

	buf_init(&l);
	journal_line_state(99, CH_DONE, &l);
	append_sealed(b, &l);
}

/* power loss on XFS or ext4 data=writeback: the appended size, zeros */
static void edit_zeros(struct buf *b)
{
	static const uint8_t z[700];

	buf_append(b, z, sizeof(z));
}

/* zeros over a whole line, with a newline after */
static void edit_zero_line(struct buf *b)
{
	struct buf l;

	buf_init(&l);
	journal_line_state(3, CH_DONE, &l);
	append_sealed(b, &l);
	memset(b->p + line_at(b, 9), 0, b->len - line_at(b, 9) - 1);
}

/* line 5 (chunk 3) taken out */
static void edit_drop(struct buf *b)
{
	size_t a = line_at(b, 5), e = line_at(b, 6);

	memmove(b->p + a, b->p + e, b->len - e);
	b->len -= e - a;
}

/*
 * four state lines appended, the second of them (not a chunk line: no
 * sequence number tells) taken out: only the chain shows it
 */
static void edit_drop_state(struct buf *b)
{
	struct buf l;
	size_t a, e;

	buf_init(&l);
	journal_line_state(3, CH_CARRIED, &l);
	journal_line_state(3, CH_DONE, &l);
	journal_line_state(5, CH_KEPT, &l);
	journal_line_state(5, CH_DONE, &l);
	append_sealed(b, &l);
	a = line_at(b, 10);
	e = line_at(b, 11);
	memmove(b->p + a, b->p + e, b->len - e);
	b->len -= e - a;
}

/* lines 7 and 8 (the last two) swapped */
static void edit_swap_last(struct buf *b)
{
	size_t a = line_at(b, 7), m = line_at(b, 8);
	struct buf t;

	buf_init(&t);
	buf_append(&t, b->p + m, b->len - m);
	buf_append(&t, b->p + a, m - a);
	memcpy(b->p + a, t.p, t.len);
	buf_free(&t);
}

/* the same journal as version 2 wrote it: each sum over its own line */
static void to_v2(const struct buf *v3, struct buf *out)
{
	size_t off = line_at(v3, 3);

	buf_init(out);
	buf_append(out, "ima-export journal 2\n", 21);
	buf_append(out, v3->p + line_at(v3, 2), off - line_at(v3, 2));
	while (off < v3->len) {
		const uint8_t *nl = memchr(v3->p + off, '\n', v3->len - off);
		size_t n = (size_t)(nl - (v3->p + off)) - 21;
		uint8_t d[32];
		char hex[65];
		unsigned int dl;

		EVP_Digest(v3->p + off, n, d, &dl, EVP_sha256(), NULL);
		hex_encode(d, 32, hex);
		buf_append(out, v3->p + off, n);
		buf_append(out, " sum=", 5);
		buf_append(out, hex, 16);
		buf_append(out, "\n", 1);
		off += n + 22;
	}
}

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
	ok(parse_variant(&text, edit_flip_last, &k, err, sizeof(err)) == 0 && k.torn && k.n == 5 &&
	   k.torn_line == 8,
	   "journal: an altered last line is a torn tail (not good, no good line after it): 5 chunks");
	journal_free(&k);
	ok(parse_variant(&text, edit_zeros, &k, err, sizeof(err)) == 0 && k.torn && k.n == 6 &&
	   k.valid_len == text.len,
	   "journal: a tail of zeros (power loss) is torn: every chunk read, valid up to the zeros");
	journal_free(&k);
	ok(parse_variant(&text, edit_zero_line, &k, err, sizeof(err)) == 0 && k.torn && k.n == 6 &&
	   k.c[2].state == j.c[2].state,
	   "journal: a last line zeroed, its newline kept, is torn: its state change is not applied");
	journal_free(&k);
	ok(parse_variant(&text, edit_drop, NULL, err, sizeof(err)) == -1 && strstr(err, "not a torn tail"),
	   "journal: a dropped line breaks the chain: corruption (\"%s\")", err);
	ok(parse_variant(&text, edit_drop_state, NULL, err, sizeof(err)) == -1 && strstr(err, "not a torn tail"),
	   "journal: a state line dropped in the middle breaks the chain: corruption (\"%s\")", err);
	ok(parse_variant(&text, edit_swap_last, NULL, err, sizeof(err)) == -1 && strstr(err, "not a torn tail"),
	   "journal: the last two lines swapped: corruption, not torn (\"%s\")", err);
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
	{
		struct buf v2;

		to_v2(&text, &v2);
		rc = journal_parse(v2.p, v2.len, &k, err, sizeof(err));
		same = rc == 0 && k.version == 2 && k.n == j.n && !k.torn;
		for (size_t i = 0; same && i < j.n; i++)
			same = chunks_equal(&j.c[i], &k.c[i]);
		ok(same, "journal: a version 2 journal (unchained sums) is read, every field (%s)",
		   rc ? err : "ok");
		journal_free(&k);
		buf_free(&v2);
	}
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
		/*
		 * power loss: the appended size is there, its first page zeros,
		 * the end of the line after them (pages written out of order)
		 */
		{
			static const uint8_t zeros[1200];
			static const char end[] = "a5 pad-sha512=00 sum=0123456789abcdef\n";
			struct stat before, after;
			struct buf kept, l;
			char kpath[300];

			stat(path, &before);
			fd = open(path, O_WRONLY | O_APPEND);
			if (write(fd, zeros, sizeof(zeros)) != (ssize_t)sizeof(zeros) ||
			    write(fd, end, strlen(end)) != (ssize_t)strlen(end))
				diag("write failed");
			close(fd);
			rc = store_open(&s, root, "r1-test", NULL, 0, err, sizeof(err));
			ok(rc == EX_OK && s.j.n == 1 && s.j.torn,
			   "store: a tail of zeros and a line's end is torn: a reader opens the store (%s)", rc ? err : "ok");
			store_close(&s);
			rc = store_open(&s, root, "r1-test", NULL, 1, err, sizeof(err));
			buf_init(&l);
			journal_line_state(1, CH_DONE, &l);
			if (rc == EX_OK)
				rc = store_append(&s, &l, NULL) ? -1 : 0;
			buf_free(&l);
			store_close(&s);
			stat(path, &after);
			buf_init(&kept);
			snprintf(kpath, sizeof(kpath), "%s/r1-test/journal.torn-%lld", root,
				 (long long)before.st_size);
			read_path_all(kpath, &kept);
			ok(rc == EX_OK && after.st_size > before.st_size &&
			   after.st_size < before.st_size + (off_t)sizeof(zeros) &&
			   kept.len == sizeof(zeros) + strlen(end) && !memcmp(kept.p, zeros, sizeof(zeros)),
			   "store: the next writer keeps the zeros in journal.torn-OFFSET, cuts them off, appends");
			rc = store_open(&s, root, "r1-test", NULL, 0, err, sizeof(err));
			ok(rc == EX_OK && s.j.n == 1 && !s.j.torn && s.j.c[0].state == CH_DONE,
			   "store: and the journal reads back whole, the appended line applied (%s)",
			   rc ? err : "ok");
			store_close(&s);
			buf_free(&kept);
		}
		/* a store of the field, version 2: read, then rewritten by a writer */
		{
			struct buf cur, v2, kept, ln;
			char kpath[300];

			buf_init(&cur);
			buf_init(&kept);
			read_path_all(path, &cur);
			to_v2(&cur, &v2);
			fd = open(path, O_WRONLY | O_TRUNC);
			if (write(fd, v2.p, v2.len) != (ssize_t)v2.len)
				diag("write failed");
			close(fd);
			rc = store_open(&s, root, "r1-test", NULL, 0, err, sizeof(err));
			ok(rc == EX_OK && s.j.version == 2 && s.j.n == 1 && s.j.c[0].state == CH_DONE,
			   "store: a reader reads a version 2 journal as it is (%s)", rc ? err : "ok");
			store_close(&s);
			rc = store_open(&s, root, "r1-test", NULL, 1, err, sizeof(err));
			buf_init(&ln);
			journal_line_state(1, CH_KEPT, &ln);
			if (rc == EX_OK)
				rc = store_append(&s, &ln, NULL) ? -1 : 0;
			buf_free(&ln);
			store_close(&s);
			snprintf(kpath, sizeof(kpath), "%s/r1-test/journal.v2-0", root);
			read_path_all(kpath, &kept);
			buf_reset(&cur);
			read_path_all(path, &cur);
			ok(rc == EX_OK && kept.len == v2.len && !memcmp(kept.p, v2.p, v2.len) &&
			   cur.len > 21 && !memcmp(cur.p, "ima-export journal 3\n", 21),
			   "store: a writer keeps it as journal.v2-0 and rewrites it as version 3");
			rc = store_open(&s, root, "r1-test", NULL, 0, err, sizeof(err));
			ok(rc == EX_OK && s.j.version == 3 && s.j.n == 1 && s.j.c[0].state == CH_KEPT &&
			   s.j.c[0].bytes == l.len,
			   "store: the rewritten journal has the chunk and the appended state (%s)",
			   rc ? err : "ok");
			store_close(&s);
			buf_free(&cur);
			buf_free(&v2);
			buf_free(&kept);
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
