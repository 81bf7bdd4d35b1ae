// SPDX-License-Identifier: GPL-2.0
/*
 * fsck: check the current boot's journal and chunk files; --repair cuts a
 * torn journal tail off (what the next export would do), nothing else.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsck.h"

struct fsck {
	FILE *out;
	const struct journal *j;
	int bad;
};

/* a chunk file's sequence number, 0 when name is not NNNNNNNN.bin */
static unsigned int chunk_seq(const char *name)
{
	unsigned int seq;
	int end = 0;

	if (strspn(name, "0123456789") != 8 ||
	    sscanf(name, "%8u.bin%n", &seq, &end) != 1 || end != 12 || name[end])
		return 0;
	return seq;
}

static void one_file(const char *name, void *arg)
{
	struct fsck *f = arg;
	unsigned int seq = chunk_seq(name);
	const struct journal *j = f->j;

	if (!strcmp(name, "journal") || !strcmp(name, "boot-info"))
		return;
	if (seq) {
		/* a chunk file without its line: an export stopped before the
		 * line was durable; the next export writes that chunk again */
		if (!j->n || seq < j->c[0].seq || seq > j->c[j->n - 1].seq)
			fprintf(f->out, "orphan %s\n", name);
		return;
	}
	if (!strncmp(name, "journal-", 8))
		fprintf(f->out, "sealed %s\n", name);	/* checked by the reader's open */
	else if (!strncmp(name, "journal.torn-", 13) || !strncmp(name, "journal.v2-", 11))
		fprintf(f->out, "kept %s\n", name);
	else
		fprintf(f->out, "other %s\n", name);
}

/* check every chunk against its journal line, and list the directory */
static int check(struct ctx *c, struct store *s)
{
	struct fsck f = { c->out, &s->j, 0 };
	struct buf b;
	char err[512], hex[65];
	int rc;

	buf_init(&b);
	fprintf(c->out, "journal version=%d lines=%zu bytes=%zu\n", s->j.version, s->j.lines,
		s->j.valid_len);
	if (s->j.torn)
		fprintf(c->out, "torn line=%zu offset=%zu\n", s->j.torn_line, s->j.valid_len);
	if (s->j.intent)
		fprintf(c->out, "intent %u %s\n", s->j.intent, s->j.intent_req);
	for (size_t i = 0; i < s->j.n; i++) {
		const struct chunk *ch = &s->j.c[i];
		const char *res = "ok";

		rc = store_read_chunk(s, ch, &b, err, sizeof(err));
		if (rc == -1)
			res = "missing";
		else if (rc == -2)
			res = b.len != ch->bytes ? "size" : "sha256";
		if (rc) {
			msg("%s", err);
			f.bad = 1;
		}
		hex_encode(ch->file_sha256, 32, hex);
		/* a chunk line is written once its file is durable */
		fprintf(c->out, "chunk %u %s durable bytes=%llu sha256=%s %s\n", ch->seq,
			chunk_state_name[ch->state], ch->bytes, hex, res);
	}
	buf_free(&b);
	rc = store_each_file(s, one_file, &f);
	if (rc) {
		msg("store %s/%s: %s", c->store_root, c->boot_key, strerror(-rc));
		return EX_STORE;
	}
	return f.bad ? EX_CORRUPT : EX_OK;
}

int cmd_fsck(struct ctx *c, int argc, char **argv)
{
	char err[512], path[4200];
	struct store s;
	struct stat sb;
	size_t torn_line, torn_at;
	int repair = 0, rc, torn;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--repair")) {
			msg("fsck: unexpected argument \"%s\"", argv[i]);
			return EX_USAGE;
		}
		repair = 1;
	}
	/* look first, so that a missing boot is not created */
	snprintf(path, sizeof(path), "%s/%s/journal", c->store_root, c->boot_key);
	if (stat(path, &sb)) {
		msg("no boot %s in the store %s", c->boot_key, c->store_root);
		return EX_INPUT;
	}
	store_drop_cache();	/* every sealed journal read and checked */
	rc = store_open(&s, c->store_root, c->boot_key, NULL, STORE_READ, err, sizeof(err));
	if (rc) {
		/* damage that is not a torn tail: nothing here mends it */
		msg("%s", err);
		if (rc == EX_CORRUPT)
			fprintf(c->out, "corrupt %s\n", err);
		return rc;
	}
	rc = check(c, &s);
	torn = s.j.torn;
	torn_line = s.j.torn_line;	/* store_close() clears the journal */
	torn_at = s.j.valid_len;	/* where the writer's open cuts it */
	store_close(&s);
	if (!torn || rc)
		return rc;
	if (!repair) {
		msg("the journal has a torn tail (line %zu on): fsck --repair cuts it off", torn_line);
		return EX_TORN;
	}
	/* the writer's open cuts it (kept in journal.torn-OFFSET); not a seal */
	journal_seal_chunks = UINT_MAX;
	rc = store_open(&s, c->store_root, c->boot_key, NULL, STORE_WRITE, err, sizeof(err));
	if (rc) {
		msg("%s", err);
		return rc;
	}
	fprintf(c->out, "repaired: torn tail cut off, kept in journal.torn-%zu\n", torn_at);
	store_close(&s);
	return EX_OK;
}
