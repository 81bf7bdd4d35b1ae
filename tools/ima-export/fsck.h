/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IMA_EXPORT_FSCK_H
#define IMA_EXPORT_FSCK_H

#include "ops.h"

/*
 * ima-export fsck [--repair] (argv: the words after "fsck"): the current
 * boot's journal (sums, chain, torn tail, open intent) and each chunk file
 * against its line (length, SHA-256), files without a line; one line per
 * finding on c->out.  EX_OK clean (or repaired), EX_TORN a torn tail that
 * --repair cuts off, EX_CORRUPT damage it does not mend, EX_USAGE no such
 * boot, EX_BUSY an export holds the store (--repair), EX_STORE I/O error.
 */
int cmd_fsck(struct ctx *c, int argc, char **argv);

#endif
