// SPDX-License-Identifier: GPL-2.0
/* Host-side unit tests of ima-export, TAP output. */
#include <stdlib.h>

#include "tap.h"

int tap_n, tap_failed;

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_parse();
	test_replay();
	test_ascii();
	test_store();
	test_export();
	test_wholelog();
	test_fuse();
	test_quote();
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}
