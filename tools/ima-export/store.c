// SPDX-License-Identifier: GPL-2.0
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER STORE_MARKER
#define MARKER_TEXT "ima-export store 1\n"
#define JOURNAL "journal"
#define JOURNAL_MAGIC "ima-export journal 3"
/* version 2: the same lines, each sum over its own line only (read, then
 * rewritten as 3 by the next writer) */
#define JOURNAL_MAGIC_2 "ima-export journal 2"

const char *const chunk_state_name[] = {
	[CH_STORED] = "stored", [CH_CARRIED] = "carried",
	[CH_KEPT] = "kept", [CH_DONE] = "done",
};

int boot_key_valid(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n >= BOOT_KEY_MAX || key[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static int sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned int len = 0;

	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -1;
}

size_t journal_first_unresolved(const struct journal *j)
{
	size_t u = j->n;

	while (u > 0 && j->c[u - 1].state != CH_DONE)
		u--;
	return u;
}

void journal_free(struct journal *j)
{
	free(j->c);
	memset(j, 0, sizeof(*j));
}

struct chunk *journal_add(struct journal *j)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 16;
		struct chunk *c = realloc(j->c, cap * sizeof(*c));

		if (!c)
			return NULL;
		j->c = c;
		j->cap = cap;
	}
	memset(&j->c[j->n], 0, sizeof(j->c[0]));
	return &j->c[j->n++];
}

unsigned int journal_seal_chunks = 1024;

void journal_tail_state(const struct journal *j, struct pcr_state *st)
{
	if (j->n)
		*st = j->c[j->n - 1].pcr;
	else if (j->base_seq)
		*st = j->base_pcr;
	else
		replay_init(st);
}

unsigned int journal_next_seq(const struct journal *j)
{
	return j->n ? j->c[j->n - 1].seq + 1 : j->base_seq + 1;
}

static int bprintf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int bprintf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(tmp))
		return -EINVAL;
	return buf_append(b, tmp, (size_t)n);
}

static int bhex(struct buf *b, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * PCR_MAX + 1];

	hex_encode(p, n, hex);
	return bprintf(b, " %s=%s", key, hex);
}

/* the first 16 hex digits of SHA-256(a ++ b) */
static int sum16(const void *a, size_t alen, const void *b, size_t blen, char out[17])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[32];
	char hex[65];
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, a, alen) == 1 && EVP_DigestUpdate(ctx, b, blen) == 1 &&
		 EVP_DigestFinal_ex(ctx, d, NULL) == 1;

	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	hex_encode(d, 32, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
	return 0;
}

/* where the chain starts: the sum of the two header lines */
static int chain_seed(const char *boot, char out[17])
{
	char head[BOOT_KEY_MAX + 64];
	int n = snprintf(head, sizeof(head), "%s\nboot %s\n", JOURNAL_MAGIC, boot);

	return sum16(head, (size_t)n, "", 0, out);
}

/* a line's text (no sum, no newline) ended with a newline: sealed later */
static int end_line(struct buf *out)
{
	return buf_append(out, "\n", 1);
}

int journal_seal(const char prev[17], struct buf *lines, char last[17])
{
	struct buf o;
	char cur[17];
	size_t off = 0;
	int rc = 0;

	buf_init(&o);
	memcpy(cur, prev, 17);
	while (off < lines->len && !rc) {
		const uint8_t *nl = memchr(lines->p + off, '\n', lines->len - off);
		size_t n = nl ? (size_t)(nl - (lines->p + off)) : lines->len - off;

		/* chained: each sum covers the sum before it, so no line can
		 * be dropped or moved without breaking the next one */
		rc = sum16(cur, 16, lines->p + off, n, cur) ||
		     buf_append(&o, lines->p + off, n) || buf_append(&o, " sum=", 5) ||
		     buf_append(&o, cur, 16) || buf_append(&o, "\n", 1) ? -ENOMEM : 0;
		off += n + 1;
	}
	if (!rc) {
		buf_free(lines);
		*lines = o;
		if (last)
			memcpy(last, cur, 17);
	} else {
		buf_free(&o);
	}
	return rc;
}

static int bpcr(struct buf *out, const struct pcr_state *pcr)
{
	char key[32];
	int rc = 0;

	for (int b = 0; b < NBANKS; b++) {
		snprintf(key, sizeof(key), "pcr-%s", banks[b].name);
		rc |= bhex(out, key, pcr->full[b], banks[b].size);
	}
	for (int b = 1; b < NBANKS; b++) {
		snprintf(key, sizeof(key), "pad-%s", banks[b].name);
		rc |= bhex(out, key, pcr->pad[b], banks[b].size);
	}
	return rc;
}

int journal_line_base(const struct journal *j, struct buf *out)
{
	int rc = 0;

	rc |= bprintf(out, "base %u file=%s", j->base_seq, j->base_file);
	rc |= bhex(out, "sha256", j->base_sha256, 32);
	rc |= bprintf(out, " chunks=%llu records=%llu bytes=%llu last=%lld", j->base_chunks,
		      j->base_records, j->base_bytes, j->base_last);
	rc |= bpcr(out, &j->base_pcr);
	return rc ? -ENOMEM : end_line(out);
}

int journal_line_chunk(const struct chunk *c, struct buf *out)
{
	char key[32];
	int rc = 0;

	rc |= bprintf(out, "chunk %u %s kernel=%s time=%lld records=%lu bytes=%llu",
		      c->seq, chunk_state_name[c->state], c->kernel,
		      c->time, c->records, c->bytes);
	rc |= bhex(out, "first", c->first, IMA_DIGEST_SIZE);
	rc |= bhex(out, "last", c->last, IMA_DIGEST_SIZE);
	rc |= bhex(out, "file-sha256", c->file_sha256, 32);
	for (int b = 0; b < NBANKS; b++) {
		snprintf(key, sizeof(key), "pcr-%s", banks[b].name);
		rc |= bhex(out, key, c->pcr.full[b], banks[b].size);
	}
	for (int b = 1; b < NBANKS; b++) {
		snprintf(key, sizeof(key), "pad-%s", banks[b].name);
		rc |= bhex(out, key, c->pcr.pad[b], banks[b].size);
	}
	if (c->cut_n)
		rc |= bprintf(out, " cut=N");
	return rc ? -ENOMEM : end_line(out);
}

int journal_line_state(unsigned int seq, int state, struct buf *out)
{
	if (bprintf(out, "state %u %s", seq, chunk_state_name[state]))
		return -ENOMEM;
	return end_line(out);
}

int journal_line_intent(unsigned int seq, const char *req, struct buf *out)
{
	if (bprintf(out, "intent %u %s", seq, req))
		return -ENOMEM;
	return end_line(out);
}

int journal_line_resolved(unsigned int seq, struct buf *out)
{
	if (bprintf(out, "resolved %u", seq))
		return -ENOMEM;
	return end_line(out);
}

int journal_serialize(const struct journal *j, struct buf *out)
{
	char seed[17];
	struct buf lines;
	int rc = 0;

	buf_init(&lines);
	buf_reset(out);
	if (j->base_seq)
		rc = journal_line_base(j, &lines);
	for (size_t i = 0; i < j->n && !rc; i++)
		if (j->c[i].seq > j->base_seq)
			rc = journal_line_chunk(&j->c[i], &lines);
	if (!rc && j->intent)
		rc = journal_line_intent(j->intent, j->intent_req, &lines);
	if (!rc)
		rc = chain_seed(j->boot, seed) ? -EIO : journal_seal(seed, &lines, NULL);
	if (!rc)
		rc = bprintf(out, "%s\nboot %s\n", JOURNAL_MAGIC, j->boot);
	if (!rc)
		rc = buf_append(out, lines.p, lines.len);
	buf_free(&lines);
	return rc;
}

#define JFAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

static int parse_hex_field(const char *val, uint8_t *out, size_t n)
{
	return strlen(val) == 2 * n ? hex_decode(val, out, n) : -EINVAL;
}

/*
 * The head every journal line has: its tag (skipped), a chunk number and a
 * chunk state.  The rest of the line is left in *save.
 */
static int parse_line_head(char *line, char **save, unsigned int *seq, int *state)
{
	char *tok, *end;
	int st;

	tok = strtok_r(line, " ", save);	/* "chunk" or "state" */
	tok = strtok_r(NULL, " ", save);
	if (!tok)
		return -1;
	errno = 0;
	*seq = (unsigned int)strtoul(tok, &end, 10);
	if (*end || errno || *seq == 0)
		return -1;
	tok = strtok_r(NULL, " ", save);
	if (!tok)
		return -1;
	for (st = 0; st <= CH_DONE; st++)
		if (!strcmp(tok, chunk_state_name[st]))
			break;
	if (st > CH_DONE)
		return -1;
	*state = st;
	return 0;
}

static int parse_chunk_line(char *line, struct chunk *c)
{
	char *save = NULL, *tok, *end;
	unsigned int seen = 0;
	int st;

	if (parse_line_head(line, &save, &c->seq, &st))
		return -1;
	c->state = st;
	while ((tok = strtok_r(NULL, " ", &save))) {
		char *eq = strchr(tok, '=');
		const char *k, *v;
		int bit = -1;

		if (!eq)
			return -1;
		*eq = '\0';
		k = tok;
		v = eq + 1;
		if (!strcmp(k, "kernel")) {
			if (strlen(v) >= KERNEL_ID_MAX || !*v)
				return -1;
			strcpy(c->kernel, v);
			bit = 0;
		} else if (!strcmp(k, "time")) {
			c->time = strtoll(v, &end, 10);
			bit = *end ? -1 : 1;
		} else if (!strcmp(k, "records")) {
			c->records = strtoul(v, &end, 10);
			bit = *end ? -1 : 2;
		} else if (!strcmp(k, "bytes")) {
			c->bytes = strtoull(v, &end, 10);
			bit = *end ? -1 : 3;
		} else if (!strcmp(k, "first")) {
			bit = parse_hex_field(v, c->first, IMA_DIGEST_SIZE) ? -1 : 4;
		} else if (!strcmp(k, "last")) {
			bit = parse_hex_field(v, c->last, IMA_DIGEST_SIZE) ? -1 : 5;
		} else if (!strcmp(k, "cut")) {
			/* optional: absent on chunks that were staged */
			bit = strcmp(v, "N") || c->cut_n ? -1 : 14;
			c->cut_n = 1;
		} else if (!strcmp(k, "file-sha256")) {
			bit = parse_hex_field(v, c->file_sha256, 32) ? -1 : 6;
		} else {
			for (int b = 0; b < NBANKS; b++) {
				if (!strncmp(k, "pcr-", 4) && !strcmp(k + 4, banks[b].name))
					bit = parse_hex_field(v, c->pcr.full[b], banks[b].size) ? -1 : 7 + b;
				if (b && !strncmp(k, "pad-", 4) && !strcmp(k + 4, banks[b].name))
					bit = parse_hex_field(v, c->pcr.pad[b], banks[b].size) ? -1 : 10 + b;
			}
		}
		if (bit < 0 || (seen & (1u << bit)))
			return -1;
		seen |= 1u << bit;
	}
	if ((seen & ((1u << 14) - 1)) != (1u << 14) - 1)
		return -1;
	memcpy(c->pcr.pad[BANK_SHA1], c->pcr.full[BANK_SHA1], banks[BANK_SHA1].size);
	return 0;
}

/* a pcr-ALG or pad-ALG field into pcr: its bit (7..13), -1 bad, -2 not one */
static int parse_pcr_field(const char *k, const char *v, struct pcr_state *pcr)
{
	for (int b = 0; b < NBANKS; b++) {
		if (!strncmp(k, "pcr-", 4) && !strcmp(k + 4, banks[b].name))
			return parse_hex_field(v, pcr->full[b], banks[b].size) ? -1 : 7 + b;
		if (b && !strncmp(k, "pad-", 4) && !strcmp(k + 4, banks[b].name))
			return parse_hex_field(v, pcr->pad[b], banks[b].size) ? -1 : 10 + b;
	}
	return -2;
}

static int parse_base_line(char *line, struct journal *j)
{
	char *save = NULL, *tok, *end;
	unsigned int seen = 0;

	strtok_r(line, " ", &save);
	tok = strtok_r(NULL, " ", &save);
	if (!tok)
		return -1;
	errno = 0;
	j->base_seq = (unsigned int)strtoul(tok, &end, 10);
	if (*end || errno || !j->base_seq)
		return -1;
	while ((tok = strtok_r(NULL, " ", &save))) {
		char *eq = strchr(tok, '=');
		int bit;

		if (!eq)
			return -1;
		*eq = '\0';
		if (!strcmp(tok, "file")) {
			bit = strncmp(eq + 1, "journal-", 8) || strlen(eq + 1) >= sizeof(j->base_file) ||
			      strchr(eq + 1, '/') ? -1 : 0;
			if (!bit)
				strcpy(j->base_file, eq + 1);
		} else if (!strcmp(tok, "sha256")) {
			bit = parse_hex_field(eq + 1, j->base_sha256, 32) ? -1 : 1;
		} else if (!strcmp(tok, "chunks")) {
			j->base_chunks = strtoull(eq + 1, &end, 10);
			bit = *end ? -1 : 2;
		} else if (!strcmp(tok, "records")) {
			j->base_records = strtoull(eq + 1, &end, 10);
			bit = *end ? -1 : 3;
		} else if (!strcmp(tok, "bytes")) {
			j->base_bytes = strtoull(eq + 1, &end, 10);
			bit = *end ? -1 : 4;
		} else if (!strcmp(tok, "last")) {
			j->base_last = strtoll(eq + 1, &end, 10);
			bit = *end ? -1 : 5;
		} else {
			bit = parse_pcr_field(tok, eq + 1, &j->base_pcr);
		}
		if (bit < 0 || (seen & (1u << bit)))
			return -1;
		seen |= 1u << bit;
	}
	if (seen != (1u << 14) - 1 - (1u << 6))
		return -1;
	memcpy(j->base_pcr.pad[BANK_SHA1], j->base_pcr.full[BANK_SHA1], banks[BANK_SHA1].size);
	return 0;
}

static int parse_state_line(char *line, unsigned int *seq, int *state)
{
	char *save = NULL;

	if (parse_line_head(line, &save, seq, state))
		return -1;
	return strtok_r(NULL, " ", &save) ? -1 : 0;
}

/* line[0..n) ends in " sum=" and 16 lowercase hex digits */
static int has_sum(const char *line, size_t n)
{
	if (n < 21 || memcmp(line + n - 21, " sum=", 5))
		return 0;
	for (size_t i = n - 16; i < n; i++)
		if (!((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * The sum of line[0..n) is right: over the line alone (version 2), or
 * chained to prev, the sum of the line before it (version 3).
 */
static int sum_ok(int version, const char *prev, const char *line, size_t n)
{
	char want[17];

	if (!has_sum(line, n))
		return 0;
	if (version == 2 ? sum16(line, n - 21, "", 0, want) :
	    !prev || sum16(prev, 16, line, n - 21, want))
		return 0;
	return !memcmp(line + n - 16, want, 16);
}

static int parse_intent_line(char *line, unsigned int *seq, char *req, size_t reqlen)
{
	char *save = NULL, *tok, *end;

	strtok_r(line, " ", &save);
	tok = strtok_r(NULL, " ", &save);
	if (!tok)
		return -1;
	errno = 0;
	*seq = (unsigned int)strtoul(tok, &end, 10);
	if (*end || errno || *seq == 0)
		return -1;
	tok = strtok_r(NULL, " ", &save);
	if (!tok || strlen(tok) >= reqlen || strtok_r(NULL, " ", &save))
		return -1;
	strcpy(req, tok);
	return 0;
}

static struct chunk *find_chunk(struct journal *j, unsigned int seq)
{
	for (size_t i = j->n; i-- > 0;)
		if (j->c[i].seq == seq)
			return &j->c[i];
	return NULL;
}

/*
 * One line after the header, its sum checked and stripped (line is
 * NUL-terminated there): 0 good, -1 bad with err.
 */
static int parse_line(char *line, size_t lineno, struct journal *j,
		      char *err, size_t errlen)
{
	if (!strncmp(line, "base ", 5) && lineno == 3 && j->version > 2) {
		if (parse_base_line(line, j)) {
			snprintf(err, errlen, "journal line %zu: corrupt base line", lineno);
			return -1;
		}
		return 0;
	}
	if (!strncmp(line, "chunk ", 6)) {
		struct chunk *c = journal_add(j);

		if (!c) {
			snprintf(err, errlen, "journal: out of memory");
			return -1;
		}
		if (parse_chunk_line(line, c)) {
			j->n--;
			snprintf(err, errlen, "journal line %zu: corrupt chunk line", lineno);
			return -1;
		}
		if (c->seq != (j->n > 1 ? j->c[j->n - 2].seq : j->base_seq) + 1 &&
		    (j->n > 1 || j->base_seq)) {
			snprintf(err, errlen, "journal line %zu: chunk %u out of sequence", lineno, c->seq);
			j->n--;
			return -1;
		}
		return 0;
	}
	if (!strncmp(line, "state ", 6)) {
		unsigned int seq;
		struct chunk *c;
		int st;

		if (parse_state_line(line, &seq, &st)) {
			snprintf(err, errlen, "journal line %zu: corrupt state line", lineno);
			return -1;
		}
		c = find_chunk(j, seq);
		if (!c) {
			snprintf(err, errlen, "journal line %zu: state of unknown chunk %u", lineno, seq);
			return -1;
		}
		c->state = st;
		return 0;
	}
	if (!strncmp(line, "intent ", 7) && j->version > 2) {
		unsigned int seq;
		char req[INTENT_REQ_MAX];

		if (parse_intent_line(line, &seq, req, sizeof(req)) || !find_chunk(j, seq)) {
			snprintf(err, errlen, "journal line %zu: corrupt intent line", lineno);
			return -1;
		}
		j->intent = seq;
		strcpy(j->intent_req, req);
		return 0;
	}
	if (!strncmp(line, "resolved ", 9) && j->version > 2) {
		char *end;
		unsigned long seq = strtoul(line + 9, &end, 10);

		if (*end || !j->intent || seq != j->intent) {
			snprintf(err, errlen, "journal line %zu: resolves no open intent", lineno);
			return -1;
		}
		j->intent = 0;
		j->intent_req[0] = '\0';
		return 0;
	}
	snprintf(err, errlen, "journal line %zu: unknown line", lineno);
	return -1;
}

/* one line of p[off..len): its length (no newline); *whole: newline, no NUL */
static size_t next_line(const uint8_t *p, size_t len, size_t off, int *nl, int *whole)
{
	const uint8_t *e = memchr(p + off, '\n', len - off);
	size_t n = e ? (size_t)(e - (p + off)) : len - off;

	*nl = !!e;
	*whole = e && !memchr(p + off, '\0', n);
	return n;
}

struct sums {
	char (*v)[17];
	size_t n, cap;
};

static int sums_add(struct sums *s, const char *sum)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		char (*v)[17] = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	memcpy(s->v[s->n], sum, 16);
	s->v[s->n++][16] = '\0';
	return 0;
}

/*
 * The torn tail p[off..len), from line lineno on: 0 when no line in it is
 * good after all (its sum chains to a sum written anywhere in the
 * journal, so the damage is not at the end), else -1 with err.
 */
static int check_tail(const struct journal *j, const uint8_t *p, size_t len, size_t off,
		      size_t lineno, struct sums *all, char *err, size_t errlen)
{
	size_t start = off, first = lineno;
	int nl, whole;

	/* the tail's own sums too: two lines swapped at the end */
	while (off < len) {
		size_t n = next_line(p, len, off, &nl, &whole);

		if (whole && has_sum((const char *)p + off, n) &&
		    sums_add(all, (const char *)p + off + n - 16))
			return snprintf(err, errlen, "journal: out of memory"), -1;
		off += n + nl;
	}
	for (off = start; off < len; lineno++) {
		size_t n = next_line(p, len, off, &nl, &whole);
		const char *l = (const char *)p + off;

		if (whole && j->version == 2 && sum_ok(2, NULL, l, n)) {
			snprintf(err, errlen, "journal line %zu is damaged but line %zu is intact: not a torn tail",
				 first, lineno);
			return -1;
		}
		for (size_t i = 0; whole && has_sum(l, n) && i < all->n; i++) {
			if (!memcmp(all->v[i], l + n - 16, 16))
				continue;	/* its own */
			if (sum_ok(j->version, all->v[i], l, n)) {
				snprintf(err, errlen, "journal line %zu is damaged but line %zu is intact: not a torn tail",
					 first, lineno);
				return -1;
			}
		}
		off += n + nl;
	}
	return 0;
}

/*
 * The rule: lines after the last good one that are not good themselves are
 * a torn tail (a crash or power loss in the middle of an append: a partial
 * line, zeros, garbage): ignored here, cut off by the next writer.  A good
 * line anywhere in that tail means the damage is not at the end:
 * corruption.  Version 3 chains the sums, so a dropped or moved line
 * breaks the chain.
 */
int journal_parse(const uint8_t *p, size_t len, struct journal *j,
		  char *err, size_t errlen)
{
	size_t off = 0, lineno = 0;
	struct sums all = { 0 };
	char *line = NULL, prev[17] = "";
	int nl, whole;

	memset(j, 0, sizeof(*j));
	line = malloc(len + 1);
	if (!line)
		JFAIL("journal: out of memory");
	while (off < len) {
		size_t n = next_line(p, len, off, &nl, &whole);

		lineno++;
		memcpy(line, p + off, n);
		line[n] = '\0';
		if (lineno <= 2) {
			if (!nl)
				JFAIL("journal: truncated header");
			if (lineno == 1 && !strcmp(line, JOURNAL_MAGIC))
				j->version = 3;
			else if (lineno == 1 && !strcmp(line, JOURNAL_MAGIC_2))
				j->version = 2;
			else if (lineno == 1)
				JFAIL("journal: not an ima-export journal (version 2 or 3)");
			if (lineno == 2) {
				if (strncmp(line, "boot ", 5) || !boot_key_valid(line + 5))
					JFAIL("journal line 2: bad boot line");
				strcpy(j->boot, line + 5);
				if (chain_seed(j->boot, prev))
					JFAIL("journal: out of memory");
			}
			off += n + 1;
			j->valid_len = off;
			continue;
		}
		if (!whole || !sum_ok(j->version, prev, line, n)) {
			j->torn = 1;
			j->torn_line = lineno;
			if (check_tail(j, p, len, off, lineno, &all, err, errlen))
				goto fail;
			break;
		}
		memcpy(prev, line + n - 16, 17);
		if (j->version > 2 && sums_add(&all, prev))
			JFAIL("journal: out of memory");
		line[n - 21] = '\0';
		if (parse_line(line, lineno, j, err, errlen))
			goto fail;
		off += n + 1;
		j->valid_len = off;
		j->lines = lineno;
	}
	if (lineno < 2)
		JFAIL("journal: truncated header");
	memcpy(j->chain, prev, sizeof(j->chain));
	free(all.v);
	free(line);
	return 0;
fail:
	free(all.v);
	free(line);
	journal_free(j);
	return -1;
}

static int dir_nonempty_foreign(int fd)
{
	int dfd = dup(fd), found = 0;
	DIR *d;
	struct dirent *e;

	if (dfd < 0)
		return -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d)))
		/* lost+found: the store has a file system of its own */
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "lost+found"))
			found = 1;
	closedir(d);
	return found;
}

static void clean_tmp(int dirfd)
{
	int dfd = dup(dirfd);
	DIR *d;
	struct dirent *e;

	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, ".tmp-", 5))
			unlinkat(dirfd, e->d_name, 0);
	closedir(d);
}

/* fsync the directory that holds path */
static void sync_parent(const char *path)
{
	char tmp[4096], *slash;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s", path);
	slash = strrchr(tmp, '/');
	if (slash == tmp)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(tmp, ".");
	fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* mkdir -p, each directory it creates made durable in its parent */
static int mkdir_p(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] == '/' || tmp[i] == '\0') {
			char c = tmp[i];

			tmp[i] = '\0';
			if (mkdir(tmp, 0700) == 0)
				sync_parent(tmp);
			else if (errno != EEXIST)
				return -errno;
			tmp[i] = c;
		}
	}
	return 0;
}

/* the file name a torn tail (or a version 2 journal) is kept under */
static void kept_name(const char *what, size_t off, char *name, size_t n)
{
	snprintf(name, n, "journal.%s-%zu", what, off);
}

/*
 * Before a writer appends: a torn tail is cut off (kept first in
 * journal.torn-OFFSET: nothing is thrown away), a version 2 journal is
 * rewritten as version 3 (kept as journal.v2-0).  raw is the journal's
 * bytes as read.  0 or -errno.
 */
static int journal_mend(struct store *s, const struct buf *raw)
{
	char name[64];
	struct buf b;
	int fd, rc = 0;

	if (s->j.torn) {
		kept_name("torn", s->j.valid_len, name, sizeof(name));
		rc = durable_write(s->bootfd, name, raw->p + s->j.valid_len,
				   raw->len - s->j.valid_len, NULL);
		if (rc)
			return rc;
	}
	if (s->j.version == 2) {
		kept_name("v2", 0, name, sizeof(name));
		buf_init(&b);
		rc = durable_write(s->bootfd, name, raw->p, raw->len, NULL);
		if (!rc)
			rc = journal_serialize(&s->j, &b);
		if (!rc)
			rc = durable_write(s->bootfd, JOURNAL, b.p, b.len, NULL);
		if (!rc) {
			struct journal nj;
			char err[256];

			/* the chain and lengths as the new file has them */
			if (journal_parse(b.p, b.len, &nj, err, sizeof(err)))
				rc = -EIO;
			else {
				journal_free(&s->j);
				s->j = nj;
			}
		}
		buf_free(&b);
		return rc;
	}
	if (!s->j.torn)
		return 0;
	fd = openat(s->bootfd, JOURNAL, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)s->j.valid_len) || fsync(fd))
		rc = -errno;
	close(fd);
	if (!rc)
		s->j.torn = 0;
	return rc;
}

/*
 * Seal the journal (see journal_seal_chunks): link it as journal-NNNNNNNN,
 * then replace it with a journal of one base line naming that file, its
 * SHA-256 and the state after it.  A crash between the two leaves an extra
 * name for the same journal, made again by the next seal.  0 or -errno.
 */
static int seal_journal(struct store *s)
{
	struct journal *j = &s->j, nj;
	char name[32], err[256];
	struct buf b;
	int fd, rc;

	if (j->n < journal_seal_chunks || j->intent || j->torn)
		return 0;
	for (size_t i = 0; i < j->n; i++)
		if (j->c[i].state != CH_DONE)
			return 0;
	snprintf(name, sizeof(name), "journal-%08u", j->c[j->n - 1].seq);
	if (linkat(s->bootfd, JOURNAL, s->bootfd, name, 0) && errno == EEXIST &&
	    !unlinkat(s->bootfd, name, 0))
		linkat(s->bootfd, JOURNAL, s->bootfd, name, 0);
	fd = openat(s->bootfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(s->bootfd)) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	buf_init(&b);
	rc = read_fd_all(fd, &b);
	close(fd);
	memset(&nj, 0, sizeof(nj));
	strcpy(nj.boot, j->boot);
	nj.version = 3;
	nj.base_seq = j->c[j->n - 1].seq;
	strcpy(nj.base_file, name);
	nj.base_pcr = j->c[j->n - 1].pcr;
	nj.base_chunks = j->base_chunks + j->n;
	nj.base_records = j->base_records;
	nj.base_bytes = j->base_bytes;
	nj.base_last = j->base_last;
	for (size_t i = 0; i < j->n; i++) {
		nj.base_records += j->c[i].records;
		nj.base_bytes += j->c[i].bytes;
		if (j->c[i].time > nj.base_last)
			nj.base_last = j->c[i].time;
	}
	if (!rc && (sha256(b.p, b.len, nj.base_sha256) || journal_serialize(&nj, &b)))
		rc = -ENOMEM;
	if (!rc)
		rc = durable_write(s->bootfd, JOURNAL, b.p, b.len, "seal");
	if (!rc) {
		if (journal_parse(b.p, b.len, &nj, err, sizeof(err))) {
			rc = -EIO;
		} else {
			journal_free(j);
			*j = nj;
		}
	}
	buf_free(&b);
	return rc;
}

/*
 * The chunks of the sealed journals, as last read by this process: they
 * do not change, so a long-lived reader (the view) reads them once, and
 * each refresh reads only the journal.
 */
static struct {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint8_t sha256[32];
	struct chunk *c;
	size_t n;
} base_cache;

void store_drop_cache(void)
{
	free(base_cache.c);
	memset(&base_cache, 0, sizeof(base_cache));
}

/* put the chunks of j's base journal (and of its own, and so on) first */
static int load_base(int bootfd, struct journal *j, int depth, char *err, size_t errlen)
{
	struct journal sj;
	struct stat sb;
	struct chunk *all;
	uint8_t sum[32];
	struct buf b;
	int fd, rc = -1;

	if (!j->base_seq)
		return 0;
	memset(&sj, 0, sizeof(sj));
	buf_init(&b);
	fd = openat(bootfd, j->base_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		snprintf(err, errlen, "%s: %s", j->base_file, strerror(errno));
		goto out;
	}
	if (depth == 0 && base_cache.c && base_cache.dev == sb.st_dev &&
	    base_cache.ino == sb.st_ino && base_cache.size == sb.st_size &&
	    !memcmp(&base_cache.mtime, &sb.st_mtim, sizeof(sb.st_mtim)) &&
	    !memcmp(base_cache.sha256, j->base_sha256, 32)) {
		sj.c = malloc(base_cache.n * sizeof(*sj.c) + 1);
		if (!sj.c) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		memcpy(sj.c, base_cache.c, base_cache.n * sizeof(*sj.c));
		sj.n = base_cache.n;
	} else {
		if (read_fd_all(fd, &b) || sha256(b.p, b.len, sum) || memcmp(sum, j->base_sha256, 32)) {
			snprintf(err, errlen, "%s: not the sealed journal the base line names (SHA-256)",
				 j->base_file);
			goto out;
		}
		if (journal_parse(b.p, b.len, &sj, err, errlen))
			goto out;
		if (sj.torn || sj.intent || strcmp(sj.boot, j->boot) ||
		    (sj.n ? sj.c[sj.n - 1].seq : sj.base_seq) != j->base_seq ||
		    load_base(bootfd, &sj, depth + 1, err, errlen)) {
			if (!err[0] || sj.torn || sj.intent)
				snprintf(err, errlen, "%s: does not end where the base line says",
					 j->base_file);
			goto out;
		}
		if (depth == 0) {
			free(base_cache.c);
			base_cache.c = malloc(sj.n * sizeof(*sj.c) + 1);
			if (base_cache.c) {
				memcpy(base_cache.c, sj.c, sj.n * sizeof(*sj.c));
				base_cache.n = sj.n;
				base_cache.dev = sb.st_dev;
				base_cache.ino = sb.st_ino;
				base_cache.size = sb.st_size;
				base_cache.mtime = sb.st_mtim;
				memcpy(base_cache.sha256, j->base_sha256, 32);
			}
		}
	}
	all = realloc(sj.c, (sj.n + j->n) * sizeof(*all) + 1);
	if (!all) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (j->n)
		memcpy(all + sj.n, j->c, j->n * sizeof(*all));
	sj.c = NULL;
	free(j->c);
	j->c = all;
	j->n += sj.n;
	j->cap = j->n;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	journal_free(&sj);
	return rc;
}

#define SFAIL(code, ...) do { snprintf(err, errlen, __VA_ARGS__); rc = code; goto fail; } while (0)

int store_open(struct store *s, const char *root, const char *boot,
	       const char *boot_info, int mode, char *err, size_t errlen)
{
	int writer = mode == STORE_WRITE;
	char jerr[256];
	struct buf b;
	int rc, fd;

	memset(s, 0, sizeof(*s));
	s->rootfd = s->lockfd = s->bootfd = -1;
	buf_init(&b);
	if (!boot_key_valid(boot))
		SFAIL(EX_USAGE, "invalid boot key \"%s\"", boot);
	strcpy(s->boot, boot);
	strcpy(s->j.boot, boot);
	if (writer && (rc = mkdir_p(root)))
		SFAIL(EX_STORE, "cannot create store %s: %s", root, strerror(-rc));
	s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		if (errno == ENOENT && !writer)
			return EX_OK;	/* nothing stored yet */
		SFAIL(errno == EACCES ? EX_PERM : EX_STORE, "cannot open store %s: %s",
		      root, strerror(errno));
	}
	fd = openat(s->rootfd, MARKER, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			SFAIL(EX_STORE, "store %s: %s: %s", root, MARKER, strerror(errno));
		rc = dir_nonempty_foreign(s->rootfd);
		if (rc)
			SFAIL(EX_CORRUPT, "%s is not an ima-export store (no %s marker, not empty)",
			      root, MARKER);
		if (!writer)
			return EX_OK;
		rc = durable_write(s->rootfd, MARKER, MARKER_TEXT, strlen(MARKER_TEXT), NULL);
		if (rc)
			SFAIL(EX_STORE, "store %s: cannot write marker: %s", root, strerror(-rc));
	} else {
		rc = read_fd_all(fd, &b);
		close(fd);
		if (rc || b.len != strlen(MARKER_TEXT) || memcmp(b.p, MARKER_TEXT, b.len))
			SFAIL(EX_CORRUPT, "store %s: foreign or corrupt marker %s", root, MARKER);
	}
	s->lockfd = openat(s->rootfd, "lock", (writer ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0600);
	/* a store restored without its lock file is still read */
	if (s->lockfd < 0 && (errno != ENOENT || writer))
		SFAIL(EX_STORE, "store %s: lock file: %s", root, strerror(errno));
	/*
	 * A kernel without CONFIG_FILE_LOCKING has no flock(): export then
	 * relies on the kernel's single writer, which it holds before it
	 * opens the store; readers need no lock (renames are atomic, torn
	 * journal tails are ignored).
	 */
	if (s->lockfd >= 0 && flock(s->lockfd, writer ? LOCK_EX | LOCK_NB :
		  mode == STORE_TRY_READ ? LOCK_SH | LOCK_NB : LOCK_SH) && errno != ENOSYS) {
		if (errno == EWOULDBLOCK)
			SFAIL(EX_BUSY, "store %s: %s", root, writer ? "another ima-export is running" :
			      "an export is running");
		SFAIL(EX_STORE, "store %s: flock: %s", root, strerror(errno));
	}
	s->bootfd = openat(s->rootfd, boot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->bootfd < 0) {
		if (errno != ENOENT)
			SFAIL(EX_STORE, "store %s/%s: %s", root, boot, strerror(errno));
		if (!writer)
			return EX_OK;
		if (mkdirat(s->rootfd, boot, 0700) || fsync(s->rootfd))
			SFAIL(EX_STORE, "store %s/%s: %s", root, boot, strerror(errno));
		s->bootfd = openat(s->rootfd, boot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->bootfd < 0)
			SFAIL(EX_STORE, "store %s/%s: %s", root, boot, strerror(errno));
		if (boot_info && (rc = durable_write(s->bootfd, "boot-info", boot_info,
						     strlen(boot_info), NULL)))
			SFAIL(EX_STORE, "store %s/%s: boot-info: %s", root, boot, strerror(-rc));
	}
	if (writer)
		clean_tmp(s->bootfd);
	fd = openat(s->bootfd, JOURNAL, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			SFAIL(EX_STORE, "store %s/%s: journal: %s", root, boot, strerror(errno));
		if (writer) {
			journal_serialize(&s->j, &b);
			rc = durable_write(s->bootfd, JOURNAL, b.p, b.len, NULL);
			if (rc)
				SFAIL(EX_STORE, "store %s/%s: cannot create the journal: %s",
				      root, boot, strerror(-rc));
			s->j.version = 3;
			s->j.valid_len = b.len;
			chain_seed(s->j.boot, s->j.chain);
		}
		buf_free(&b);
		return EX_OK;
	}
	buf_reset(&b);
	rc = read_fd_all(fd, &b);
	close(fd);
	if (rc)
		SFAIL(EX_STORE, "store %s/%s: journal: %s", root, boot, strerror(-rc));
	if (journal_parse(b.p, b.len, &s->j, jerr, sizeof(jerr)))
		SFAIL(EX_CORRUPT, "store %s/%s: %s", root, boot, jerr);
	if (strcmp(s->j.boot, boot))
		SFAIL(EX_CORRUPT, "store %s/%s: journal of another boot (%s)", root, boot, s->j.boot);
	if (writer && (rc = journal_mend(s, &b)))
		SFAIL(EX_STORE, "store %s/%s: cannot %s the journal: %s", root, boot,
		      s->j.version == 2 ? "rewrite (version 2 to 3)" : "cut the torn tail off",
		      strerror(-rc));
	if (writer && (rc = seal_journal(s)))
		SFAIL(EX_STORE, "store %s/%s: cannot seal the journal: %s", root, boot, strerror(-rc));
	jerr[0] = '\0';
	if (!writer && load_base(s->bootfd, &s->j, 0, jerr, sizeof(jerr)))
		SFAIL(EX_CORRUPT, "store %s/%s: %s", root, boot, jerr);
	buf_free(&b);
	return EX_OK;
fail:
	buf_free(&b);
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	if (s->bootfd >= 0)
		close(s->bootfd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->rootfd >= 0)
		close(s->rootfd);
	s->bootfd = s->lockfd = s->rootfd = -1;
	journal_free(&s->j);
}

int store_append(struct store *s, const struct buf *lines, const char *fault_tag)
{
	char last[17];
	struct stat st;
	struct buf sealed;
	int fd, rc;

	if (!lines->len)
		return 0;
	buf_init(&sealed);
	if (buf_append(&sealed, lines->p, lines->len) ||
	    journal_seal(s->j.chain, &sealed, last)) {
		buf_free(&sealed);
		return -ENOMEM;
	}
	fd = openat(s->bootfd, JOURNAL, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		close(fd);
		goto out;
	}
	rc = write_all(fd, sealed.p, sealed.len);
	if (!rc && fsync(fd))
		rc = -errno;
	if (rc && ftruncate(fd, st.st_size) == 0)
		fsync(fd);	/* a failed append leaves no torn tail behind */
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc) {
		memcpy(s->j.chain, last, sizeof(last));
		s->j.valid_len = (size_t)st.st_size + sealed.len;
	}
	if (!rc && fault_tag)
		fault_point(fault_tag);
out:
	buf_free(&sealed);
	return rc;
}

static void chunk_name(unsigned int seq, char *name, size_t n)
{
	snprintf(name, n, "%08u.bin", seq);
}

int store_open_chunk(int bootfd, unsigned int seq)
{
	char name[32];
	int fd;

	chunk_name(seq, name, sizeof(name));
	fd = openat(bootfd, name, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int store_write_chunk(struct store *s, unsigned int seq, const uint8_t *p,
		      size_t len)
{
	char name[32];

	chunk_name(seq, name, sizeof(name));
	return durable_write(s->bootfd, name, p, len, "chunk");
}

int store_read_chunk(struct store *s, const struct chunk *c, struct buf *b,
		     char *err, size_t errlen)
{
	char name[32];
	uint8_t sum[32];
	int fd, rc;

	chunk_name(c->seq, name, sizeof(name));
	buf_reset(b);
	if (s->bootfd < 0) {
		snprintf(err, errlen, "chunk %u (%s): boot directory missing", c->seq, name);
		return -1;
	}
	fd = openat(s->bootfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "chunk %u (%s): %s", c->seq, name, strerror(errno));
		return -1;
	}
	rc = read_fd_all(fd, b);
	close(fd);
	if (rc) {
		snprintf(err, errlen, "chunk %u (%s): %s", c->seq, name, strerror(-rc));
		return -1;
	}
	if (b->len != c->bytes) {
		snprintf(err, errlen, "chunk %u (%s): %zu bytes, the journal says %llu",
			 c->seq, name, b->len, c->bytes);
		return -2;
	}
	if (sha256(b->p, b->len, sum) || memcmp(sum, c->file_sha256, 32)) {
		snprintf(err, errlen, "chunk %u (%s): content differs from the journal's SHA-256",
			 c->seq, name);
		return -2;
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names in directory fd that pass keep(), sorted; -errno or count */
static int list_dir(int fd, int (*keep)(const char *name), char ***out)
{
	int dfd = dup(fd), n = 0, cap = 0;
	char **v = NULL;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (!keep(e->d_name))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (size_t)(cap = cap ? 2 * cap : 16) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[n] = strdup(e->d_name);
		if (v[n])
			n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), name_cmp);
	*out = v;
	return n;
}

static void free_names(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int is_boot_name(const char *name)
{
	return boot_key_valid(name);
}

static int is_removing(const char *name)
{
	return !strncmp(name, ".removing-", 10);
}

static int any_name(const char *name)
{
	return strcmp(name, ".") && strcmp(name, "..");
}

int store_each_file(struct store *s, void (*fn)(const char *name, void *arg), void *arg)
{
	char **names;
	int n;

	if (s->bootfd < 0)
		return 0;
	n = list_dir(s->bootfd, any_name, &names);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		fn(names[i], arg);
	free_names(names, n);
	return 0;
}

int store_each_boot(struct store *s,
		    void (*fn)(const char *key, const struct journal *j,
			       const char *why, void *arg), void *arg)
{
	char **names, err[256];
	int n;

	if (s->rootfd < 0)
		return 0;	/* no store yet */
	n = list_dir(s->rootfd, is_boot_name, &names);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct journal j;
		struct buf b;
		int fd, bfd, rc;

		bfd = openat(s->rootfd, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (bfd < 0)
			continue;	/* a file, not a boot */
		buf_init(&b);
		fd = openat(bfd, JOURNAL, O_RDONLY | O_CLOEXEC);
		rc = fd < 0 ? -errno : read_fd_all(fd, &b);
		if (fd >= 0)
			close(fd);
		if (rc) {
			snprintf(err, sizeof(err), "journal: %s", strerror(-rc));
			fn(names[i], NULL, err, arg);
		} else if (journal_parse(b.p, b.len, &j, err, sizeof(err))) {
			fn(names[i], NULL, err, arg);
		} else {
			fn(names[i], &j, NULL, arg);
			journal_free(&j);
		}
		buf_free(&b);
		close(bfd);
	}
	free_names(names, n);
	return 0;
}

/* unlink every entry of directory name (under rootfd), then the directory */
static int remove_dir(int rootfd, const char *name)
{
	char **names;
	int fd, n, rc = 0;

	fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = list_dir(fd, any_name, &names);
	if (n < 0) {
		close(fd);
		return n;
	}
	for (int i = 0; i < n && !rc; i++)
		if (unlinkat(fd, names[i], 0))
			rc = -errno;
	free_names(names, n);
	close(fd);
	if (!rc && unlinkat(rootfd, name, AT_REMOVEDIR))
		rc = -errno;
	if (!rc && fsync(rootfd))
		rc = -errno;
	return rc;
}

int store_remove_boot(struct store *s, const char *key)
{
	char tmp[BOOT_KEY_MAX + 16], **left;
	int n, rc = 0;

	if (!boot_key_valid(key) || !strcmp(key, s->boot))
		return -EINVAL;
	n = list_dir(s->rootfd, is_removing, &left);
	for (int i = 0; i < n && !rc; i++)
		rc = remove_dir(s->rootfd, left[i]);
	if (n > 0)
		free_names(left, n);
	if (rc)
		return rc;
	snprintf(tmp, sizeof(tmp), ".removing-%s", key);
	if (renameat(s->rootfd, key, s->rootfd, tmp) || fsync(s->rootfd))
		return -errno;
	return remove_dir(s->rootfd, tmp);
}
