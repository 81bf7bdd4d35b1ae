/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IMA_EXPORT_INSTANCE_H
#define IMA_EXPORT_INSTANCE_H

#include <stddef.h>

struct instance_args {
	const char *store_root;
	const char *boot_id_path;	/* /proc/sys/kernel/random/boot_id */
	const char *tpm_dir, *tcti;	/* for boot_key_derive() */
	int writer;			/* export, mount */
};

/*
 * The boot key of this kernel instance: the one recorded in the store for
 * its boot_id (no TPM needed); else derived from the TPM, or, when a boot
 * of the store began earlier in the same TPM power cycle (a kexec: PCR 10
 * goes on), that boot's key; then recorded for the boot_id when the store
 * exists.  A writer is refused (EX_TPMRESET) when the TPM was reset under
 * the running kernel.  info gets the text for the boot's boot-info file.
 * EX_OK, or an EX_* code with err.
 */
int instance_boot_key(const struct instance_args *a, char *key, size_t n,
		      char *info, size_t infolen, char *err, size_t errlen);

#endif
