// SPDX-License-Identifier: GPL-2.0
#include "replay.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

const struct bank banks[NBANKS] = {
	[BANK_SHA1] = { "sha1", 20 },
	[BANK_SHA256] = { "sha256", 32 },
	[BANK_SHA384] = { "sha384", 48 },
	[BANK_SHA512] = { "sha512", 64 },
};

static const EVP_MD *bank_md(int bank)
{
	switch (bank) {
	case BANK_SHA1: return EVP_sha1();
	case BANK_SHA256: return EVP_sha256();
	case BANK_SHA384: return EVP_sha384();
	default: return EVP_sha512();
	}
}

static int evp_update(void *ctx, const void *p, size_t n)
{
	return EVP_DigestUpdate(ctx, p, n) == 1 ? 0 : -1;
}

/* The bank's digest of what feed() passes to the update callback. */
static int bank_digest(int bank, int (*feed)(int (*)(void *, const void *, size_t),
					    void *, const void *), const void *arg,
		       uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	if (!ctx)
		return -1;
	ok = EVP_DigestInit_ex(ctx, bank_md(bank), NULL) == 1 &&
	     feed(evp_update, ctx, arg) == 0 &&
	     EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == banks[bank].size;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

struct two_parts {
	const void *a, *b;
	size_t alen, blen;
};

static int feed_two(int (*update)(void *, const void *, size_t), void *ctx,
		    const void *arg)
{
	const struct two_parts *t = arg;

	if (update(ctx, t->a, t->alen))
		return -1;
	return t->blen ? update(ctx, t->b, t->blen) : 0;
}

int bank_hash2(int bank, const void *a, size_t alen, const void *b,
	       size_t blen, uint8_t *out)
{
	const struct two_parts t = { a, b, alen, blen };

	return bank_digest(bank, feed_two, &t, out);
}

void replay_init(struct pcr_state *s)
{
	memset(s, 0, sizeof(*s));
}

static int feed_template(int (*update)(void *, const void *, size_t), void *ctx,
			 const void *arg)
{
	return ima_rec_hash_input(arg, update, ctx);
}

static int template_hash(int bank, const struct ima_rec *r, uint8_t *out)
{
	return bank_digest(bank, feed_template, r, out);
}

static int extend(int bank, uint8_t *pcr, const uint8_t *digest)
{
	uint8_t out[PCR_MAX];

	if (bank_hash2(bank, pcr, banks[bank].size, digest, banks[bank].size, out))
		return -1;
	memcpy(pcr, out, banks[bank].size);
	return 0;
}

int replay_record(struct pcr_state *s, const struct ima_rec *r)
{
	uint8_t d[PCR_MAX];
	int violation = ima_rec_is_violation(r);

	if (r->pcr != IMA_PCR)
		return 0;
	for (int b = 0; b < NBANKS; b++) {
		size_t sz = banks[b].size;

		if (violation) {
			memset(d, 0xff, sz);
			if (extend(b, s->full[b], d) || (b && extend(b, s->pad[b], d)))
				return -1;
			continue;
		}
		if (b == BANK_SHA1) {
			if (extend(b, s->full[b], r->digest))
				return -1;
			continue;
		}
		if (template_hash(b, r, d) || extend(b, s->full[b], d))
			return -1;
		memset(d, 0, sz);
		memcpy(d, r->digest, IMA_DIGEST_SIZE);
		if (extend(b, s->pad[b], d))
			return -1;
	}
	memcpy(s->pad[BANK_SHA1], s->full[BANK_SHA1], banks[BANK_SHA1].size);
	s->records++;
	return 0;
}

int replay_buf(struct pcr_state *s, const uint8_t *buf, size_t len,
	       char *err, size_t errlen)
{
	struct ima_rec r;
	size_t pos = 0;
	unsigned long i = 0;
	int rc;

	while ((rc = ima_parse_next(buf, len, &pos, &r, i, err, errlen)) == 1) {
		if (replay_record(s, &r)) {
			snprintf(err, errlen, "record %lu: hash failure", i);
			return -1;
		}
		i++;
	}
	return rc;
}
