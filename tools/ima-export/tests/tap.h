/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP output for the unit tests. */
#ifndef IMA_EXPORT_TAP_H
#define IMA_EXPORT_TAP_H

#include <stdio.h>

extern int tap_n, tap_failed;

#define ok(cond, ...) do {						\
	int ok_ = !!(cond);						\
	printf("%sok %d - ", ok_ ? "" : "not ", ++tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!ok_) {							\
		tap_failed++;						\
		printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
	fflush(stdout);							\
} while (0)

#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

void test_parse(void);
void test_replay(void);
void test_ascii(void);
void test_store(void);
void test_export(void);
void test_wholelog(void);
void test_fuse(void);
void test_quote(void);

#endif
