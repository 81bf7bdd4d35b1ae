/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IMA_EXPORT_TPM_H
#define IMA_EXPORT_TPM_H

#include <stddef.h>
#include <stdint.h>

/*
 * PCR `pcr` of bank `bank` (replay.h) from the kernel's sysfs file
 * TPM_DIR/pcr-<alg>/<pcr> (hex text).  0, -ENOENT when the bank is not
 * there, -EINVAL when the file does not hold a digest of the bank's size.
 */
int tpm_read_pcr(const char *tpm_dir, int bank, unsigned int pcr, uint8_t *out);

/*
 * The boot key: "r<resetCount>-<16 hex digits>", where resetCount is the
 * TPM's count of TPM Resets (TPM2_ReadClock through tpm2-tss, TCTI `tcti`,
 * e.g. "device:/dev/tpmrm0") and the digits are the start of the SHA-256
 * of PCRs 0-7 (the SHA-256 bank, else SHA-1) read from sysfs.  Both are
 * unchanged by kexec (the TPM is not reset and nothing extends PCRs 0-7
 * after boot); a real reboot increments resetCount.  info gets a text for
 * the store's boot-info file.  0 or -1 with err.
 */
int boot_key_derive(const char *tpm_dir, const char *tcti, char *key, size_t n,
		    char *info, size_t infolen, char *err, size_t errlen);

#endif
