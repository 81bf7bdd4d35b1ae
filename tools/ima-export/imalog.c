// SPDX-License-Identifier: GPL-2.0
#include "imalog.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int ima_parse_next(const uint8_t *buf, size_t len, size_t *pos,
		   struct ima_rec *r, unsigned long index,
		   char *err, size_t errlen)
{
	size_t p = *pos, left;
	uint32_t nlen, dlen;

	if (p == len)
		return 0;
	if (p > len)
		FAIL("record %lu: position %zu past the end (%zu)", index, p, len);
	memset(r, 0, sizeof(*r));
	r->off = p;
	left = len - p;
	if (left < 4 + IMA_DIGEST_SIZE + 4)
		FAIL("record %lu at offset %zu: truncated header (%zu bytes left, need %d)",
		     index, p, left, 4 + IMA_DIGEST_SIZE + 4);
	r->pcr = get_le32(buf + p);
	memcpy(r->digest, buf + p + 4, IMA_DIGEST_SIZE);
	nlen = get_le32(buf + p + 4 + IMA_DIGEST_SIZE);
	p += 4 + IMA_DIGEST_SIZE + 4;
	left = len - p;
	if (nlen == 0 || nlen > IMA_NAME_MAX)
		FAIL("record %lu at offset %zu: corrupt template name length %u",
		     index, r->off, nlen);
	if (left < nlen)
		FAIL("record %lu at offset %zu: truncated template name (%zu bytes left, need %u)",
		     index, r->off, left, nlen);
	for (uint32_t i = 0; i < nlen; i++) {
		uint8_t c = buf[p + i];

		if (c < 0x21 || c > 0x7e)
			FAIL("record %lu at offset %zu: corrupt template name (byte 0x%02x)",
			     index, r->off, c);
	}
	memcpy(r->name, buf + p, nlen);
	r->name[nlen] = '\0';
	p += nlen;
	left = len - p;
	/* policy pcr= takes 0..63 (INVALID_PCR(), measured_pcrs is a long) */
	if (r->pcr > 63)
		FAIL("record %lu at offset %zu: corrupt PCR index %u",
		     index, r->off, r->pcr);

	if (!strcmp(r->name, "ima")) {
		r->legacy = 1;
		if (left < IMA_DIGEST_SIZE + 4)
			FAIL("record %lu at offset %zu: truncated \"ima\" template data",
			     index, r->off);
		nlen = get_le32(buf + p + IMA_DIGEST_SIZE);
		if (nlen > IMA_EVENT_NAME_LEN_MAX)
			FAIL("record %lu at offset %zu: corrupt \"ima\" file name length %u",
			     index, r->off, nlen);
		if (left - IMA_DIGEST_SIZE - 4 < nlen)
			FAIL("record %lu at offset %zu: truncated \"ima\" file name",
			     index, r->off);
		r->data = buf + p;
		r->data_len = IMA_DIGEST_SIZE + 4 + nlen;
		p += r->data_len;
	} else {
		if (left < 4)
			FAIL("record %lu at offset %zu: truncated template data length",
			     index, r->off);
		dlen = get_le32(buf + p);
		p += 4;
		left -= 4;
		if (dlen > left)
			FAIL("record %lu at offset %zu: truncated template data (%zu bytes left, need %u)",
			     index, r->off, left, dlen);
		r->data = buf + p;
		r->data_len = dlen;
		/* the data is a sequence of (u32 length, bytes) fields */
		for (size_t q = 0; q < dlen;) {
			uint32_t flen;

			if (dlen - q < 4)
				FAIL("record %lu at offset %zu: corrupt template data (field header cut at byte %zu of %u)",
				     index, r->off, q, dlen);
			flen = get_le32(r->data + q);
			q += 4;
			if (flen > dlen - q)
				FAIL("record %lu at offset %zu: corrupt template data (field of %u bytes, %zu left)",
				     index, r->off, flen, dlen - q);
			q += flen;
		}
		p += dlen;
	}
	r->len = p - r->off;
	*pos = p;
	return 1;
}

int ima_rec_is_violation(const struct ima_rec *r)
{
	for (int i = 0; i < IMA_DIGEST_SIZE; i++)
		if (r->digest[i])
			return 0;
	return 1;
}

int ima_rec_hash_input(const struct ima_rec *r,
		       int (*update)(void *ctx, const void *p, size_t n),
		       void *ctx)
{
	uint8_t name[IMA_EVENT_NAME_LEN_MAX + 1];
	uint32_t nlen;

	if (!r->legacy)
		return update(ctx, r->data, r->data_len);
	/* ima_calc_field_array_hash_tfm(): "d" as is, "n" padded to 256 */
	nlen = get_le32(r->data + IMA_DIGEST_SIZE);
	memset(name, 0, sizeof(name));
	memcpy(name, r->data + IMA_DIGEST_SIZE + 4, nlen);
	if (update(ctx, r->data, IMA_DIGEST_SIZE))
		return -1;
	return update(ctx, name, sizeof(name));
}

static int evp_update(void *ctx, const void *p, size_t n)
{
	return EVP_DigestUpdate(ctx, p, n) == 1 ? 0 : -1;
}

int ima_rec_check_digest(const struct ima_rec *r)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int ok;

	if (ima_rec_is_violation(r))
		return 0;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	     ima_rec_hash_input(r, evp_update, ctx) == 0 &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	     mdlen == IMA_DIGEST_SIZE &&
	     !memcmp(md, r->digest, IMA_DIGEST_SIZE);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int ima_rec_ng_fields(const struct ima_rec *r, struct ima_ng *ng)
{
	const uint8_t *d = r->data;
	uint32_t l1, l2;
	size_t a;

	if (r->legacy || r->data_len < 8)
		return -1;
	l1 = get_le32(d);
	if (l1 > r->data_len - 4)
		return -1;
	/* "<algo>:\0<digest>" */
	for (a = 0; a < l1 && d[4 + a] != ':'; a++)
		;
	if (a == 0 || a >= sizeof(ng->algo) || a + 2 > l1 || d[4 + a + 1] != '\0')
		return -1;
	memcpy(ng->algo, d + 4, a);
	ng->algo[a] = '\0';
	ng->fdigest = d + 4 + a + 2;
	ng->fdigest_len = l1 - a - 2;
	if (r->data_len - 4 - l1 < 4)
		return -1;
	l2 = get_le32(d + 4 + l1);
	if (l2 == 0 || l2 > r->data_len - 8 - l1 || d[8 + l1 + l2 - 1] != '\0')
		return -1;
	ng->fname = (const char *)d + 8 + l1;
	ng->fname_len = l2 - 1;
	return 0;
}

int ima_list_scan(const uint8_t *buf, size_t len, int check_digests,
		  struct ima_list_info *info, char *err, size_t errlen)
{
	struct ima_rec r;
	size_t pos = 0;
	int rc;

	memset(info, 0, sizeof(*info));
	while ((rc = ima_parse_next(buf, len, &pos, &r, info->records, err, errlen)) == 1) {
		if (check_digests && ima_rec_check_digest(&r))
			FAIL("record %lu at offset %zu: template digest does not match its data",
			     info->records, r.off);
		if (!info->records)
			memcpy(info->first, r.digest, IMA_DIGEST_SIZE);
		memcpy(info->last, r.digest, IMA_DIGEST_SIZE);
		info->records++;
	}
	return rc;
}

/*
 * The ascii list of 6.1 (ima_ascii_measurements_show()): the template
 * name, then each field as the kernel shows its field id.
 */
static const struct {
	const char *name, *fmt;
} builtin_templates[] = {	/* security/integrity/ima/ima_template.c */
	{ "ima-ng", "d-ng|n-ng" },
	{ "ima-sig", "d-ng|n-ng|sig" },
	{ "ima-ngv2", "d-ngv2|n-ng" },
	{ "ima-sigv2", "d-ngv2|n-ng|sig" },
	{ "ima-buf", "d-ng|n-ng|buf" },
	{ "ima-modsig", "d-ng|n-ng|sig|d-modsig|modsig" },
	{ "evm-sig", "d-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode" },
};

enum field_fmt { FMT_HEX, FMT_DIGEST_WITH_ALGO, FMT_STRING, FMT_UINT };

/* the kernel's data format of a field id (ima_template.c, supported_fields) */
static enum field_fmt field_fmt(const char *id, size_t len)
{
	static const struct {
		const char *id;
		enum field_fmt fmt;
	} fields[] = {
		{ "d-ng", FMT_DIGEST_WITH_ALGO }, { "d-ngv2", FMT_DIGEST_WITH_ALGO },
		{ "d-modsig", FMT_DIGEST_WITH_ALGO },
		{ "n", FMT_STRING }, { "n-ng", FMT_STRING }, { "xattrnames", FMT_STRING },
		{ "iuid", FMT_UINT }, { "igid", FMT_UINT }, { "imode", FMT_UINT },
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strlen(fields[i].id) == len && !memcmp(fields[i].id, id, len))
			return fields[i].fmt;
	return FMT_HEX;	/* d, sig, buf, modsig, evmsig, xattrlengths/values */
}

static void put_hex(FILE *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char b[256];

	/* a block at a time: one fprintf() a byte made the view's ascii slow */
	while (n) {
		size_t k = n < sizeof(b) / 2 ? n : sizeof(b) / 2;

		for (size_t i = 0; i < k; i++) {
			b[2 * i] = digits[p[i] >> 4];
			b[2 * i + 1] = digits[p[i] & 15];
		}
		fwrite(b, 1, 2 * k, out);
		p += k;
		n -= k;
	}
}

/* one field's data, as ima_show_template_data_ascii() shows it */
static void put_field(FILE *out, enum field_fmt fmt, const uint8_t *p, uint32_t n)
{
	const uint8_t *colon = NULL;
	uint32_t i;

	switch (fmt) {
	case FMT_DIGEST_WITH_ALGO:
		/* "<type:>algo:\0digest": the text up to its last ':', the digest */
		for (i = 0; i < n && p[i]; i++)
			if (p[i] == ':')
				colon = p + i;
		if (!colon || i == n) {
			put_hex(out, p, n);	/* not what the kernel writes */
			return;
		}
		if (colon != p)
			fprintf(out, "%.*s", (int)i, (const char *)p);
		put_hex(out, colon + 2, n - (uint32_t)(colon + 2 - p));
		return;
	case FMT_STRING:
		for (i = 0; i < n && p[i]; i++)
			;
		fprintf(out, "%.*s", (int)i, (const char *)p);
		return;
	case FMT_UINT:
		if (n == 1)
			fprintf(out, "%u", p[0]);
		else if (n == 2)
			fprintf(out, "%u", (unsigned int)(p[0] | p[1] << 8));
		else if (n == 4)
			fprintf(out, "%u", get_le32(p));
		else if (n == 8)
			fprintf(out, "%llu", (unsigned long long)get_le32(p) |
					     (unsigned long long)get_le32(p + 4) << 32);
		return;
	case FMT_HEX:
		put_hex(out, p, n);
		return;
	}
}

void ima_rec_print_ascii(FILE *out, const struct ima_rec *r)
{
	const char *fmt = r->name, *id;
	size_t i, q = 0;

	fprintf(out, "%2u ", r->pcr);
	put_hex(out, r->digest, IMA_DIGEST_SIZE);
	fprintf(out, " %s", r->name);
	if (r->legacy) {
		/* the "ima" template: d (the SHA-1 file digest) and n */
		fputc(' ', out);
		put_hex(out, r->data, IMA_DIGEST_SIZE);
		fprintf(out, " %.*s\n", (int)get_le32(r->data + IMA_DIGEST_SIZE),
			(const char *)r->data + IMA_DIGEST_SIZE + 4);
		return;
	}
	/* a built-in template's fields; a custom one is named by its format */
	for (i = 0; i < sizeof(builtin_templates) / sizeof(builtin_templates[0]); i++)
		if (!strcmp(r->name, builtin_templates[i].name))
			fmt = builtin_templates[i].fmt;
	for (id = fmt; q + 4 <= r->data_len; ) {
		uint32_t n = get_le32(r->data + q);
		size_t idlen = strcspn(id, "|");

		q += 4;
		if (n > r->data_len - q)
			break;	/* ima_parse_next() checked the whole */
		fputc(' ', out);
		if (n)
			put_field(out, field_fmt(id, idlen), r->data + q, n);
		q += n;
		id += idlen + (id[idlen] == '|');
	}
	fputc('\n', out);
}

void ima_list_print_ascii(FILE *out, const uint8_t *p, size_t len)
{
	char err[256];
	struct ima_rec r;
	size_t pos = 0;
	unsigned long i = 0;

	while (ima_parse_next(p, len, &pos, &r, i++, err, sizeof(err)) == 1)
		ima_rec_print_ascii(out, &r);
}

unsigned long ima_list_count(const uint8_t *p, size_t len)
{
	struct ima_list_info li;
	char err[256];

	if (ima_list_scan(p, len, 0, &li, err, sizeof(err)))
		return 0;
	return li.records;
}
