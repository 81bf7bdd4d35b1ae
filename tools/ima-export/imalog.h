/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IMA binary measurement list of Linux 6.1 (ima_measurements_show()),
 * little-endian (x86, or any host booted with ima_canonical_fmt).  Per
 * record:
 *
 *   u32 pcr
 *   u8  template digest[20]          SHA-1; all zero for a violation
 *   u32 template name length         1..255
 *   char template name[length]       no NUL
 *   u32 template data length         absent for the legacy "ima" template
 *   u8  template data[length]        for every field: u32 length, bytes
 *
 * The legacy "ima" template has instead a fixed 20-byte SHA-1 file digest,
 * then u32 length and the file name (no NUL).
 */
#ifndef IMA_EXPORT_IMALOG_H
#define IMA_EXPORT_IMALOG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define IMA_DIGEST_SIZE 20
#define IMA_NAME_MAX 255		/* TCG_EVENT_NAME_LEN_MAX */
#define IMA_EVENT_NAME_LEN_MAX 255	/* "ima" template: name padded to 256 */

struct ima_rec {
	uint32_t pcr;
	uint8_t digest[IMA_DIGEST_SIZE];
	char name[IMA_NAME_MAX + 1];	/* template name, NUL-terminated */
	int legacy;			/* the "ima" template */
	const uint8_t *data;		/* template data as in the log */
	uint32_t data_len;
	size_t off, len;		/* the whole record in the buffer */
};

/*
 * Parse the record at *pos of buf[0..len).  Returns 1 with *r filled and
 * *pos advanced, 0 at a clean end (*pos == len), -1 on truncated or corrupt
 * input with a message in err.  Never reads outside buf.  index is the
 * record's number (0-based), only for the message.
 */
int ima_parse_next(const uint8_t *buf, size_t len, size_t *pos,
		   struct ima_rec *r, unsigned long index,
		   char *err, size_t errlen);

/* 1 when the template digest is all zero (a violation record). */
int ima_rec_is_violation(const struct ima_rec *r);

/*
 * Check the template digest against the template data (SHA-1 as
 * ima_calc_field_array_hash() computes it).  Violations pass.  0 or -1.
 */
int ima_rec_check_digest(const struct ima_rec *r);

/*
 * Feed the bytes the kernel hashes for this record's template digest to
 * update(ctx, p, n): the template data, or for "ima" the file digest and
 * the name padded with zeros to 256 bytes.
 */
int ima_rec_hash_input(const struct ima_rec *r,
		       int (*update)(void *ctx, const void *p, size_t n),
		       void *ctx);

/*
 * Fields of an ima-ng / ima-sig / ima-buf style record: the d-ng field
 * "<algo>:\0<digest>" and the n-ng file name.  0, or -1 when the template
 * data does not hold them.
 */
struct ima_ng {
	char algo[32];
	const uint8_t *fdigest;
	size_t fdigest_len;
	const char *fname;	/* points into the record, NUL-terminated */
	size_t fname_len;
};
int ima_rec_ng_fields(const struct ima_rec *r, struct ima_ng *ng);

/*
 * Write the record as a line of ascii_runtime_measurements, byte for byte
 * what 6.1 shows for every template it has and for a template of
 * ima_template_fmt= (named by its format).
 */
void ima_rec_print_ascii(FILE *out, const struct ima_rec *r);
/* Every record of a list so, up to the first that does not parse. */
void ima_list_print_ascii(FILE *out, const uint8_t *p, size_t len);

/*
 * Parse a whole list: count records, first and last template digests.
 * Returns 0, or -1 with err set.  Digest checking when check_digests.
 */
struct ima_list_info {
	unsigned long records;
	uint8_t first[IMA_DIGEST_SIZE], last[IMA_DIGEST_SIZE];
};
int ima_list_scan(const uint8_t *buf, size_t len, int check_digests,
		  struct ima_list_info *info, char *err, size_t errlen);
/* How many records a list holds; 0 when it does not parse. */
unsigned long ima_list_count(const uint8_t *p, size_t len);

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif
