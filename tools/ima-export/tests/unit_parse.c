// SPDX-License-Identifier: GPL-2.0
/* The parser on good, truncated and corrupt lists; replay. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imalog.h"
#include "ops.h"
#include "replay.h"
#include "tap.h"
#include "testlog.h"

/* a list of one of each kind: boot_aggregate, file, violation, PCR 11, "ima" */
static void sample(struct buf *b, size_t *bounds, size_t *nb)
{
	uint8_t d20[20];

	memset(d20, 0x5a, sizeof(d20));
	*nb = 0;
	bounds[(*nb)++] = b->len;
	tl_boot_aggregate(b, 7);
	bounds[(*nb)++] = b->len;
	tl_file(b, "/usr/bin/true", 1);
	bounds[(*nb)++] = b->len;
	tl_violation(b, "/tmp/open-writers");
	bounds[(*nb)++] = b->len;
	{
		uint8_t md[32];

		memset(md, 0x11, sizeof(md));
		tl_ima_ng(b, 11, "sha256", md, 32, "/other/pcr");
	}
	bounds[(*nb)++] = b->len;
	tl_legacy(b, d20, "/legacy/file");
	bounds[(*nb)++] = b->len;
}

/* parse a copy of exactly len bytes (so overreads are real overreads) */
static int scan_copy(const uint8_t *p, size_t len, int check, struct ima_list_info *li,
		     char *err, size_t errlen)
{
	uint8_t *c = malloc(len ? len : 1);
	int rc;

	memcpy(c, p, len);
	rc = ima_list_scan(c, len, check, li, err, errlen);
	free(c);
	return rc;
}

static int is_bound(const size_t *bounds, size_t nb, size_t off)
{
	for (size_t i = 0; i < nb; i++)
		if (bounds[i] == off)
			return 1;
	return 0;
}

void test_parse(void)
{
	struct ima_list_info li;
	struct buf b;
	size_t bounds[16], nb;
	char err[512];
	int rc, bad;

	buf_init(&b);
	sample(&b, bounds, &nb);
	rc = ima_list_scan(b.p, b.len, 1, &li, err, sizeof(err));
	ok(rc == 0 && li.records == 5, "parse: a good list of 5 records (%s)", rc ? err : "ok");
	ok(!memcmp(li.first, b.p + 4, 20), "parse: first template digest is the boot_aggregate's");
	{
		struct ima_rec r;
		struct ima_ng ng;
		size_t pos = 0;

		ima_parse_next(b.p, b.len, &pos, &r, 0, err, sizeof(err));
		ok(!strcmp(r.name, "ima-ng") && r.pcr == 10 && !ima_rec_ng_fields(&r, &ng) &&
		   !strcmp(ng.algo, "sha256") && ng.fdigest_len == 32 &&
		   !strcmp(ng.fname, "boot_aggregate"),
		   "parse: ima-ng fields of the boot_aggregate (algo, digest, name)");
		ima_parse_next(b.p, b.len, &pos, &r, 1, err, sizeof(err));
		ima_parse_next(b.p, b.len, &pos, &r, 2, err, sizeof(err));
		ok(ima_rec_is_violation(&r) && ima_rec_check_digest(&r) == 0,
		   "parse: a violation record (zero digest) is recognised and passes the digest check");
		ima_parse_next(b.p, b.len, &pos, &r, 3, err, sizeof(err));
		ima_parse_next(b.p, b.len, &pos, &r, 4, err, sizeof(err));
		ok(r.legacy && !strcmp(r.name, "ima") && ima_rec_check_digest(&r) == 0 &&
		   pos == b.len,
		   "parse: legacy \"ima\" template (no data length, name padded in the digest)");
	}
	ok(scan_copy(b.p, 0, 1, &li, err, sizeof(err)) == 0 && li.records == 0,
	   "parse: the empty list is valid and has no records");

	/* every truncation */
	bad = 0;
	for (size_t cut = 1; cut < b.len; cut++) {
		rc = scan_copy(b.p, cut, 1, &li, err, sizeof(err));
		if (is_bound(bounds, nb, cut) ? rc != 0 : (rc != -1 || !strstr(err, "truncated")))
			bad++;
	}
	ok(bad == 0, "parse: all %zu truncations fail with \"truncated\", except at record boundaries (%d wrong)",
	   b.len - 1, bad);
	rc = scan_copy(b.p, bounds[2] + 10, 1, &li, err, sizeof(err));
	ok(rc == -1 && strstr(err, "record 2 at offset") != NULL,
	   "parse: the message names the record and its offset (\"%s\")", err);

	/* targeted corruption, each on a fresh copy */
	{
		struct { size_t off; uint32_t val; const char *what, *expect; } cases[] = {
			{ 24, 0, "template name length 0", "name length" },
			{ 24, 256, "template name length 256", "name length" },
			{ 24, 0xffffffffu, "template name length 2^32-1", "name length" },
			{ 34, 0xffffffffu, "template data length 2^32-1", "truncated template data" },
			{ 34, 0x7ffffff0u, "template data length past the end", "truncated template data" },
			{ 38, 0xfffffff0u, "field length inside the template data", "corrupt template data" },
			{ 0, 0xffffffffu, "PCR index 2^32-1", "PCR index" },
			{ 0, 64, "PCR index 64 (policy pcr= stops at 63)", "PCR index" },
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct buf c;

			buf_init(&c);
			buf_append(&c, b.p, b.len);
			put_le32(c.p + cases[i].off, cases[i].val);
			rc = scan_copy(c.p, c.len, 0, &li, err, sizeof(err));
			ok(rc == -1 && strstr(err, cases[i].expect),
			   "parse: corrupt %s is refused (\"%s\")", cases[i].what, err);
			buf_free(&c);
		}
	}
	{
		struct buf c;

		buf_init(&c);
		tl_ima_ng(&c, 63, "sha1", (const uint8_t *)"01234567890123456789", 20, "/pcr63");
		ok(scan_copy(c.p, c.len, 1, &li, err, sizeof(err)) == 0,
		   "parse: a record for PCR 63 (the highest a policy allows) is accepted");
		buf_free(&c);
	}
	{
		struct buf c;

		buf_init(&c);
		buf_append(&c, b.p, b.len);
		c.p[28] = 0x01;	/* template name byte */
		rc = scan_copy(c.p, c.len, 0, &li, err, sizeof(err));
		ok(rc == -1 && strstr(err, "template name"), "parse: a non-printable template name is refused");
		memcpy(c.p, b.p, b.len);
		c.p[bounds[1] + 50] ^= 1;	/* a byte of the file digest */
		ok(scan_copy(c.p, c.len, 0, &li, err, sizeof(err)) == 0 &&
		   scan_copy(c.p, c.len, 1, &li, err, sizeof(err)) == -1 &&
		   strstr(err, "record 1") && strstr(err, "does not match"),
		   "parse: an altered data byte fails the template digest check of record 1");
		buf_free(&c);
	}
	/* random damage never crashes nor reads out of bounds (run under ASan) */
	{
		unsigned int seed = 12345, refused = 0, accepted = 0;

		for (int i = 0; i < 3000; i++) {
			struct buf c;
			int flips = 1 + (int)(rand_r(&seed) % 4);
			size_t len = b.len - (rand_r(&seed) % 2 ? rand_r(&seed) % b.len : 0);

			buf_init(&c);
			buf_append(&c, b.p, len);
			for (int f = 0; f < flips && len; f++)
				c.p[rand_r(&seed) % len] = (uint8_t)rand_r(&seed);
			if (scan_copy(c.p, c.len, 1, &li, err, sizeof(err)))
				refused++;
			else
				accepted++;
			buf_free(&c);
		}
		ok(refused > 2500, "parse: 3000 randomly damaged lists: %u refused, %u accepted, no crash",
		   refused, accepted);
	}
	buf_free(&b);
}

/* independent fold: PCR = H(PCR || d) over given digests */
static void fold(const EVP_MD *md, uint8_t *pcr, size_t sz, const uint8_t *d)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n;

	EVP_DigestInit_ex(ctx, md, NULL);
	EVP_DigestUpdate(ctx, pcr, sz);
	EVP_DigestUpdate(ctx, d, sz);
	EVP_DigestFinal_ex(ctx, pcr, &n);
	EVP_MD_CTX_free(ctx);
}

static int write_tmp(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fwrite(p, 1, n, f);
	return fclose(f);
}

/* 1 when evmctl (or its absence: skip) accepts our PCR 10 and refuses another */
static int evmctl_agrees(const struct buf *l, int k)
{
	char dir[] = "/tmp/ima-export-test.XXXXXX", list[64], pcrs[64], cmd[512];
	char err[256];
	struct pcr_state st;
	int rc[2] = { -1, -1 };

	if (!mkdtemp(dir))
		return 0;
	snprintf(list, sizeof(list), "%s/list", dir);
	snprintf(pcrs, sizeof(pcrs), "%s/pcrs", dir);
	write_tmp(list, l->p, l->len);
	replay_init(&st);
	replay_buf(&st, l->p, l->len, err, sizeof(err));
	for (int wrong = 0; wrong < 2; wrong++) {
		uint8_t pcr10[PCR_MAX];

		memcpy(pcr10, st.full[k], banks[k].size);
		if (wrong)
			pcr10[0] ^= 0x10;	/* another first hex digit */
		rc[wrong] = tl_evmctl(k, pcr10, pcrs, list);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		diag("cannot remove %s", dir);
	return rc[0] == 0 && rc[1] != 0;
}

static int python_agrees(const struct buf *l)
{
	char dir[] = "/tmp/ima-export-test.XXXXXX", list[64], cmd[512], line[256];
	char bankname[16], hex[2 * PCR_MAX + 1], mine[2 * PCR_MAX + 1], err[256];
	struct pcr_state st;
	int agree = 0;
	FILE *f;

	if (!mkdtemp(dir))
		return 0;
	snprintf(list, sizeof(list), "%s/list", dir);
	write_tmp(list, l->p, l->len);
	replay_init(&st);
	replay_buf(&st, l->p, l->len, err, sizeof(err));
	snprintf(cmd, sizeof(cmd), "python3 %s/replay.py %s", TESTS_DIR, list);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %128s", bankname, hex) != 2)
			continue;
		for (int k = 0; k < NBANKS; k++) {
			hex_encode(st.full[k], banks[k].size, mine);
			if (!strcmp(bankname, banks[k].name) && !strcmp(hex, mine))
				agree++;
		}
	}
	if (f)
		pclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		diag("cannot remove %s", dir);
	return agree == NBANKS;
}

void test_replay(void)
{
	static const EVP_MD *(*const mds[NBANKS])(void) = {
		EVP_sha1, EVP_sha256, EVP_sha384, EVP_sha512,
	};
	uint8_t want[NBANKS][PCR_MAX], wantpad[NBANKS][PCR_MAX], d[PCR_MAX];
	struct pcr_state st;
	struct buf b;
	size_t bounds[16], nb;
	char err[512];
	int rc, good, goodpad;

	replay_init(&st);
	ok(replay_buf(&st, NULL, 0, err, sizeof(err)) == 0 && st.records == 0 &&
	   !memcmp(st.full[BANK_SHA512], (uint8_t[64]){ 0 }, 64),
	   "replay: the empty list leaves PCR 10 zero");

	/* a known value: SHA-1 of 20 zero bytes then 20 0xff bytes */
	buf_init(&b);
	tl_violation(&b, "/v");
	replay_init(&st);
	replay_buf(&st, b.p, b.len, err, sizeof(err));
	{
		/* python3 -c "import hashlib; print(hashlib.sha1(b'\\0' * 20 + b'\\xff' * 20).hexdigest())" */
		static const uint8_t known[20] = {
			0xba, 0xc3, 0x7b, 0x84, 0xf0, 0x07, 0xd0, 0x23, 0x8a, 0xf9,
			0x5a, 0xf7, 0x07, 0xca, 0xc8, 0xd6, 0x12, 0x54, 0x87, 0x0e,
		};
		char hex[41];

		hex_encode(st.full[BANK_SHA1], 20, hex);
		ok(!memcmp(st.full[BANK_SHA1], known, 20),
		   "replay: one violation gives the known SHA-1 PCR 10 bac37b84...870e (got %s)", hex);
	}
	buf_reset(&b);

	/* the sample list against an independent computation */
	sample(&b, bounds, &nb);
	memset(want, 0, sizeof(want));
	memset(wantpad, 0, sizeof(wantpad));
	for (size_t i = 0; i + 1 < nb; i++) {
		const uint8_t *r = b.p + bounds[i];
		uint32_t pcr = get_le32(r);
		int violation = (i == 2), legacy = (i == 4);

		if (pcr != 10)
			continue;
		for (int k = 0; k < NBANKS; k++) {
			size_t sz = banks[k].size;
			unsigned int n;

			if (violation) {
				memset(d, 0xff, sz);
				fold(mds[k](), want[k], sz, d);
				fold(mds[k](), wantpad[k], sz, d);
				continue;
			}
			if (legacy) {
				uint8_t in[20 + 256] = { 0 };

				memcpy(in, r + 4 + 20 + 4 + 3, 20);
				memcpy(in + 20, "/legacy/file", 12);
				EVP_Digest(in, sizeof(in), d, &n, mds[k](), NULL);
			} else {
				/* the template data follows pcr, digest, len, "ima-ng", len */
				EVP_Digest(r + 4 + 20 + 4 + 6 + 4, get_le32(r + 4 + 20 + 4 + 6),
					   d, &n, mds[k](), NULL);
			}
			fold(mds[k](), want[k], sz, d);
			memset(d, 0, sz);
			memcpy(d, r + 4, 20);
			fold(mds[k](), wantpad[k], sz, d);
		}
	}
	replay_init(&st);
	rc = replay_buf(&st, b.p, b.len, err, sizeof(err));
	good = goodpad = 0;
	for (int k = 0; k < NBANKS; k++) {
		good += !memcmp(st.full[k], want[k], banks[k].size);
		goodpad += !memcmp(st.pad[k], wantpad[k], banks[k].size);
	}
	ok(rc == 0 && st.records == 4, "replay: 4 of the 5 records go to PCR 10 (one is for PCR 11)");
	ok(good == NBANKS, "replay: PCR 10 of all 4 banks as computed independently (template data hashed per bank)");
	ok(goodpad == NBANKS, "replay: the SHA-1-padded chains (kernel without a bank's transform)");
	ok(memcmp(st.full[BANK_SHA256], st.pad[BANK_SHA256], 32) != 0,
	   "replay: full and padded SHA-256 chains differ");

	/* cross-checks with independent implementations */
	{
		struct buf ng, legacy, mixed;
		uint8_t d20[20];

		buf_init(&ng);
		buf_init(&legacy);
		buf_init(&mixed);
		tl_list(&ng, 0, 20);
		tl_violation(&ng, "/v2");
		tl_list(&ng, 100, 5);
		for (int i = 0; i < 4; i++) {
			memset(d20, 0x33 + i, sizeof(d20));
			tl_legacy(&legacy, d20, i ? "/legacy" : "boot_aggregate");
		}
		buf_append(&mixed, ng.p, ng.len);
		buf_append(&mixed, legacy.p, legacy.len);
		/* evmctl 1.4 knows the sha1 and sha256 banks, and no mixed lists */
		for (int k = 0; k < 2; k++) {
			if (system("command -v evmctl >/dev/null 2>&1")) {
				ok(1, "# SKIP evmctl not installed (%s)", banks[k].name);
				ok(1, "# SKIP evmctl not installed (%s, \"ima\")", banks[k].name);
				continue;
			}
			ok(evmctl_agrees(&ng, k), "replay: evmctl agrees with PCR 10 %s of 26 ima-ng records with a violation (and refuses a wrong value)",
			   banks[k].name);
			ok(evmctl_agrees(&legacy, k), "replay: evmctl agrees with PCR 10 %s of 4 \"ima\" template records",
			   banks[k].name);
		}
		if (system("command -v python3 >/dev/null 2>&1"))
			ok(1, "# SKIP python3 not installed");
		else
			ok(python_agrees(&mixed), "replay: Python hashlib replay agrees on all 4 banks (ima-ng, violation, \"ima\")");
		buf_free(&ng);
		buf_free(&legacy);
		buf_free(&mixed);
	}
	buf_free(&b);
}

/* a record of template NAME holding the n fields f[i] of fl[i] bytes */
static void rec(struct buf *b, const char *name, int n, const char *const *f,
		const uint32_t *fl)
{
	uint8_t le[4], digest[20];
	uint32_t dlen = 0;
	int i;

	for (i = 0; i < n; i++)
		dlen += 4 + fl[i];
	memset(digest, 0xab, sizeof(digest));
	put_le32(le, 10);
	buf_append(b, le, 4);
	buf_append(b, digest, sizeof(digest));
	put_le32(le, strlen(name));
	buf_append(b, le, 4);
	buf_append(b, name, strlen(name));
	put_le32(le, dlen);
	buf_append(b, le, 4);
	for (i = 0; i < n; i++) {
		put_le32(le, fl[i]);
		buf_append(b, le, 4);
		buf_append(b, f[i], fl[i]);
	}
}

static char *ascii_of(const struct buf *b)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	ima_list_print_ascii(out, b->p, b->len);
	fclose(out);
	return text;
}

#define AB20 "abababababababababababababababababababab"
#define DG2 "\x01\x02"

/*
 * Each template of 6.1 as ascii_runtime_measurements shows it: the text
 * below follows ima_show_template_data_ascii() field by field (algo and
 * type prefixes, strings to their NUL, numbers in decimal, the rest hex,
 * an empty field as nothing after its space).
 */
void test_ascii(void)
{
	static const struct {
		const char *what, *name;
		int n;
		const char *f[9];
		uint32_t fl[9];
		const char *want;
	} cases[] = {
		{ "ima-ng", "ima-ng", 2, { "sha256:\0" DG2, "/bin/true" },
		  { 10, 10 }, "10 " AB20 " ima-ng sha256:0102 /bin/true\n" },
		{ "ima-sig, empty sig", "ima-sig", 3, { "sha1:\0" DG2, "/f", "" },
		  { 8, 3, 0 }, "10 " AB20 " ima-sig sha1:0102 /f \n" },
		{ "ima-sig, a sig", "ima-sig", 3, { "sha256:\0" DG2, "/f", "\x03\xff" },
		  { 10, 3, 2 }, "10 " AB20 " ima-sig sha256:0102 /f 03ff\n" },
		{ "ima-ngv2", "ima-ngv2", 2, { "ima:sha256:\0" DG2, "/f" },
		  { 14, 3 }, "10 " AB20 " ima-ngv2 ima:sha256:0102 /f\n" },
		{ "ima-sigv2, verity", "ima-sigv2", 3, { "verity:sha256:\0" DG2, "/f", "\x07" },
		  { 17, 3, 1 }, "10 " AB20 " ima-sigv2 verity:sha256:0102 /f 07\n" },
		{ "ima-buf", "ima-buf", 3, { "sha256:\0" DG2, "kexec-cmdline", "ro q" },
		  { 10, 14, 4 }, "10 " AB20 " ima-buf sha256:0102 kexec-cmdline 726f2071\n" },
		{ "ima-modsig", "ima-modsig", 5,
		  { "sha256:\0" DG2, "/m.ko", "", "sha512:\0" "\x0a", "\x0b\x0c" },
		  { 10, 6, 0, 9, 2 },
		  "10 " AB20 " ima-modsig sha256:0102 /m.ko  sha512:0a 0b0c\n" },
		{ "evm-sig", "evm-sig", 9,
		  { "sha256:\0" DG2, "/e", "\x05", "security.ima|security.evm", "\x02\x00",
		    "\x09", "\xe8\x03\x00\x00", "\x00\x00\x00\x00", "\xa4\x81" },
		  { 10, 3, 1, 26, 2, 1, 4, 4, 2 },
		  "10 " AB20 " evm-sig sha256:0102 /e 05 security.ima|security.evm 0200 09 1000 0 33188\n" },
		{ "ima_template_fmt=", "d-ng|n-ng|iuid|buf", 4,
		  { "md5:\0" DG2, "/c", "\x2a\x00\x00\x00\x00\x00\x00\x00", "\xfe" },
		  { 7, 3, 8, 1 },
		  "10 " AB20 " d-ng|n-ng|iuid|buf md5:0102 /c 42 fe\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		char *got;

		buf_init(&b);
		rec(&b, cases[i].name, cases[i].n, cases[i].f, cases[i].fl);
		got = ascii_of(&b);
		ok(got && !strcmp(got, cases[i].want), "ascii: %s as the kernel shows it", cases[i].what);
		if (got && strcmp(got, cases[i].want))
			printf("#   got  %s#   want %s", got, cases[i].want);
		free(got);
		buf_free(&b);
	}
	{
		struct buf b;
		uint8_t d20[20];
		char *got;

		memset(d20, 0x5a, sizeof(d20));
		buf_init(&b);
		tl_legacy(&b, d20, "/legacy/file");
		got = ascii_of(&b);
		ok(got && !strncmp(got, "10 ", 3) &&
		   strstr(got, " ima 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a /legacy/file\n"),
		   "ascii: the legacy ima template as the kernel shows it");
		free(got);
		buf_free(&b);
	}
}
