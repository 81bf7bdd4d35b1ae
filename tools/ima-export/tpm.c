// SPDX-License-Identifier: GPL-2.0
#include "tpm.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "replay.h"
#include "util.h"

int tpm_read_pcr(const char *tpm_dir, int bank, unsigned int pcr, uint8_t *out)
{
	char path[4200];
	struct buf b;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/pcr-%s/%u", tpm_dir, banks[bank].name, pcr);
	buf_init(&b);
	rc = read_path_line(path, &b, &len);
	if (rc)
		goto out;
	rc = -EINVAL;
	if (len != 2 * banks[bank].size)
		goto out;
	if (buf_append(&b, "", 1))
		goto out;
	b.p[len] = '\0';
	rc = hex_decode((const char *)b.p, out, banks[bank].size);
out:
	buf_free(&b);
	return rc;
}

static int read_clock(const char *tcti_conf, TPMS_CLOCK_INFO *ci, char *err, size_t errlen)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *ctx = NULL;
	TPMS_TIME_INFO *t = NULL;
	TSS2_RC rc;

	setenv("TSS2_LOG", "all+NONE", 0);	/* our own messages suffice */
	rc = Tss2_TctiLdr_Initialize(tcti_conf, &tcti);
	if (rc != TSS2_RC_SUCCESS) {
		snprintf(err, errlen, "no TPM: cannot open TCTI %s (0x%x)", tcti_conf, rc);
		return -1;
	}
	rc = Esys_Initialize(&ctx, tcti, NULL);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_ReadClock(ctx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &t);
	if (rc == TSS2_RC_SUCCESS)
		*ci = t->clockInfo;
	else
		snprintf(err, errlen, "TPM2_ReadClock through %s failed (0x%x)", tcti_conf, rc);
	Esys_Free(t);
	if (ctx)
		Esys_Finalize(&ctx);
	Tss2_TctiLdr_Finalize(&tcti);
	return rc == TSS2_RC_SUCCESS ? 0 : -1;
}

int boot_key_derive(const char *tpm_dir, const char *tcti, char *key, size_t n,
		    char *info, size_t infolen, char *err, size_t errlen)
{
	uint8_t pcrs[8 * PCR_MAX], sum[32];
	char hex[65];
	unsigned int len = 0;
	TPMS_CLOCK_INFO ci;
	int bank = BANK_SHA256, rc = 0;

	for (unsigned int i = 0; i < 8; i++) {
		rc = tpm_read_pcr(tpm_dir, bank, i, pcrs + i * banks[bank].size);
		if (rc == -ENOENT && bank == BANK_SHA256 && i == 0) {
			bank = BANK_SHA1;
			i = -1u;	/* restart with the SHA-1 bank */
			continue;
		}
		if (rc) {
			snprintf(err, errlen, "no TPM: cannot read %s/pcr-%s/%u: %s",
				 tpm_dir, banks[bank].name, i, strerror(-rc));
			return -1;
		}
	}
	if (EVP_Digest(pcrs, 8 * banks[bank].size, sum, &len, EVP_sha256(), NULL) != 1)
		return -1;
	hex_encode(sum, 32, hex);
	if (read_clock(tcti, &ci, err, errlen))
		return -1;
	snprintf(key, n, "r%u-%.16s", ci.resetCount, hex);
	snprintf(info, infolen,
		 "key %s\nresetCount %u\nrestartCount %u\nclock %llu\n"
		 "pcr0-7 %s sha256 %s\nderived %lld\n",
		 key, ci.resetCount, ci.restartCount, (unsigned long long)ci.clock,
		 banks[bank].name, hex, (long long)time(NULL));
	return 0;
}
