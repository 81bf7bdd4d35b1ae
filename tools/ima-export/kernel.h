/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Access to the kernel's measurement lists (shared/SPEC.md), behind a small
 * interface: the real securityfs files, or an in-process fake for tests.
 * Every call returns 0 or -errno as the kernel would.
 */
#ifndef IMA_EXPORT_KERNEL_H
#define IMA_EXPORT_KERNEL_H

#include <stddef.h>

#include "util.h"

struct kernel;

struct kernel_ops {
	/* open binary_runtime_measurements_staged O_RDWR (the writer) */
	int (*open_rw)(struct kernel *k);
	/* one request ("A", "D", "N") on the writer descriptor */
	int (*request)(struct kernel *k, const char *req);
	/* the staged list: through the writer if open, else a reader */
	int (*read_staged)(struct kernel *k, struct buf *b);
	/*
	 * the current list: through the writer if open_rw_current opened it,
	 * else a reader of binary_runtime_measurements
	 */
	int (*read_current)(struct kernel *k, struct buf *b);
	void (*close_rw)(struct kernel *k);
	/* open binary_runtime_measurements O_RDWR instead (the writer for N) */
	int (*open_rw_current)(struct kernel *k);
	/* an id of this kernel instance: changes on every boot and kexec */
	int (*instance)(struct kernel *k, char *id, size_t n);
};

struct kernel {
	const struct kernel_ops *ops;
	void *priv;
};

/* The real securityfs directory (e.g. /sys/kernel/security/ima). */
int kernel_sysfs_init(struct kernel *k, const char *dir, const char *boot_id_path);
/*
 * The same, names opened relative to dirfd (kept open by the caller): the
 * FUSE view opens the directory before it mounts itself over it.
 */
int kernel_sysfs_init_at(struct kernel *k, int dirfd, const char *boot_id_path);
void kernel_sysfs_free(struct kernel *k);
/*
 * Which processes (other than this one) hold one of the kernel's list files
 * open, from /proc: "pid N (COMM) PATH, ..." in out, empty when none.  For
 * the message of an EBUSY: readers keep the writer out.
 */
void kernel_list_holders(char *out, size_t n);

#endif
