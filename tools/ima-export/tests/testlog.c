// SPDX-License-Identifier: GPL-2.0
#include "testlog.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "imalog.h"
#include "replay.h"
#include "util.h"

static void le32(struct buf *b, uint32_t v)
{
	uint8_t p[4];

	put_le32(p, v);
	buf_append(b, p, 4);
}

static void record(struct buf *b, uint32_t pcr, const uint8_t *digest,
		   const char *tname, const struct buf *data, int legacy)
{
	le32(b, pcr);
	buf_append(b, digest, IMA_DIGEST_SIZE);
	le32(b, (uint32_t)strlen(tname));
	buf_append(b, tname, strlen(tname));
	if (!legacy)
		le32(b, (uint32_t)data->len);
	buf_append(b, data->p, data->len);
}

void tl_ima_ng(struct buf *b, uint32_t pcr, const char *algo,
	       const uint8_t *fdigest, size_t dlen, const char *fname)
{
	struct buf d;
	uint8_t td[IMA_DIGEST_SIZE];
	unsigned int n;

	buf_init(&d);
	le32(&d, (uint32_t)(strlen(algo) + 2 + dlen));
	buf_append(&d, algo, strlen(algo));
	buf_append(&d, ":", 2);		/* ':' and NUL */
	buf_append(&d, fdigest, dlen);
	le32(&d, (uint32_t)strlen(fname) + 1);
	buf_append(&d, fname, strlen(fname) + 1);
	EVP_Digest(d.p, d.len, td, &n, EVP_sha1(), NULL);
	record(b, pcr, td, "ima-ng", &d, 0);
	buf_free(&d);
}

void tl_ima_sig(struct buf *b, const char *fname, const uint8_t *sig, size_t siglen)
{
	uint8_t md[32], td[IMA_DIGEST_SIZE];
	struct buf d;
	unsigned int n;

	EVP_Digest(fname, strlen(fname), md, &n, EVP_sha256(), NULL);
	buf_init(&d);
	le32(&d, 6 + 2 + 32);
	buf_append(&d, "sha256:", 8);	/* with its NUL */
	buf_append(&d, md, 32);
	le32(&d, (uint32_t)strlen(fname) + 1);
	buf_append(&d, fname, strlen(fname) + 1);
	le32(&d, (uint32_t)siglen);
	buf_append(&d, sig, siglen);
	EVP_Digest(d.p, d.len, td, &n, EVP_sha1(), NULL);
	record(b, 10, td, "ima-sig", &d, 0);
	buf_free(&d);
}

void tl_file(struct buf *b, const char *fname, unsigned int seed)
{
	char tmp[512];
	uint8_t md[32];
	unsigned int n;

	snprintf(tmp, sizeof(tmp), "%s#%u", fname, seed);
	EVP_Digest(tmp, strlen(tmp), md, &n, EVP_sha256(), NULL);
	tl_ima_ng(b, 10, "sha256", md, 32, fname);
}

void tl_boot_aggregate(struct buf *b, unsigned int seed)
{
	uint8_t md[32];
	unsigned int n;

	EVP_Digest(&seed, sizeof(seed), md, &n, EVP_sha256(), NULL);
	tl_ima_ng(b, 10, "sha256", md, 32, "boot_aggregate");
}

void tl_violation(struct buf *b, const char *fname)
{
	uint8_t zero[32] = { 0 };
	size_t start = b->len;

	tl_ima_ng(b, 10, "sha256", zero, 32, fname);
	memset(b->p + start + 4, 0, IMA_DIGEST_SIZE);
}

void tl_legacy(struct buf *b, const uint8_t fdigest[20], const char *fname)
{
	uint8_t name[256] = { 0 }, td[IMA_DIGEST_SIZE];
	struct buf d;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n;

	buf_init(&d);
	buf_append(&d, fdigest, 20);
	le32(&d, (uint32_t)strlen(fname));
	buf_append(&d, fname, strlen(fname));
	memcpy(name, fname, strlen(fname));
	EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
	EVP_DigestUpdate(ctx, fdigest, 20);
	EVP_DigestUpdate(ctx, name, sizeof(name));
	EVP_DigestFinal_ex(ctx, td, &n);
	EVP_MD_CTX_free(ctx);
	record(b, 10, td, "ima", &d, 1);
	buf_free(&d);
}

void tl_list(struct buf *b, unsigned int start, unsigned int n)
{
	char name[64];

	for (unsigned int i = 0; i < n; i++) {
		if (start + i == 0) {
			tl_boot_aggregate(b, 1);
			continue;
		}
		snprintf(name, sizeof(name), "/f%u", start + i);
		tl_file(b, name, start + i);
	}
}

int tl_evmctl(int k, const uint8_t *pcr10, const char *pcrs, const char *list)
{
	char hex[2 * PCR_MAX + 1], zero[2 * PCR_MAX + 1], cmd[1024];
	FILE *f = fopen(pcrs, "w");

	if (!f)
		return -1;
	memset(zero, '0', 2 * banks[k].size);
	zero[2 * banks[k].size] = '\0';
	hex_encode(pcr10, banks[k].size, hex);
	for (int i = 0; i < 10; i++)
		fprintf(f, "PCR-%02d: %s\n", i, zero);
	fprintf(f, "PCR-10: %s\n", hex);
	if (fclose(f))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "evmctl ima_measurement --ignore-violations --pcrs %s,%s --verify-bank=%s %s >/dev/null 2>&1",
		 banks[k].name, pcrs, banks[k].name, list);
	return system(cmd);
}
