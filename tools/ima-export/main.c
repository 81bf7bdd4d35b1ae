// SPDX-License-Identifier: GPL-2.0
/* ima-export: export IMA measurements out of the kernel, crash-safely. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsck.h"
#include "instance.h"
#include "kernel.h"
#include "ops.h"
#include "util.h"
#include "view.h"

static void usage(FILE *f)
{
	fputs("usage: ima-export [options] COMMAND\n"
	      "  export [--final | --quote FILE | --quote-tpm]\n"
	      "  cat [--ascii] | verify | status | boot-key | boots | remove-boot KEY\n"
	      "  fsck [--repair]\n"
	      "  mount [--foreground] [--export-every SECONDS] [--pid-file FILE] MOUNTPOINT\n"
	      "  --store DIR       store root (IMA_EXPORT_STORE, default /var/lib/ima-export)\n"
	      "  --securityfs DIR  IMA securityfs directory (IMA_EXPORT_SECURITYFS,\n"
	      "                    default /sys/kernel/security/ima)\n"
	      "  --tpm DIR         TPM sysfs directory (IMA_EXPORT_TPM, default /sys/class/tpm/tpm0)\n"
	      "  --tcti CONF       tpm2-tss TCTI for TPM2_ReadClock (IMA_EXPORT_TCTI,\n"
	      "                    default device:/dev/tpmrm0)\n"
	      "  --boot-key KEY    use KEY as the boot identity instead of the TPM's\n"
	      "                    (IMA_EXPORT_BOOT_KEY)\n"
	      "  --boot-id FILE    kernel instance id (IMA_EXPORT_BOOT_ID,\n"
	      "                    default /proc/sys/kernel/random/boot_id)\n"
	      "  -q, --quiet       only errors\n"
	      "exit codes: 0 ok, 1 verify mismatch or quote not reached, 2 usage, 3 no staging in the kernel,\n"
	      "  4 permission, 5 busy, 6 store I/O error or full disk, 7 corrupt or foreign\n"
	      "  store, 8 no TPM, 9 measurement suspended for kexec, 10 kernel error,\n"
	      "  11 the TPM was reset under the running kernel,\n"
	      "  12 fsck: a torn journal tail (fsck --repair cuts it off)\n", f);
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "securityfs", required_argument, NULL, 'f' },
		{ "tpm", required_argument, NULL, 't' },
		{ "tcti", required_argument, NULL, 'T' },
		{ "boot-key", required_argument, NULL, 'b' },
		{ "boot-id", required_argument, NULL, 'i' },
		{ "ascii", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *securityfs = env_or("IMA_EXPORT_SECURITYFS", "/sys/kernel/security/ima");
	const char *tcti = env_or("IMA_EXPORT_TCTI", "device:/dev/tpmrm0");
	const char *boot_id = env_or("IMA_EXPORT_BOOT_ID", "/proc/sys/kernel/random/boot_id");
	const char *cmd;
	char key[BOOT_KEY_MAX], binfo[1024], err[512];
	struct kernel k;
	struct ctx c;
	int opt, rc;

	memset(&c, 0, sizeof(c));
	c.store_root = env_or("IMA_EXPORT_STORE", "/var/lib/ima-export");
	c.tpm_dir = env_or("IMA_EXPORT_TPM", "/sys/class/tpm/tpm0");
	c.boot_key = env_or("IMA_EXPORT_BOOT_KEY", NULL);
	c.out = stdout;
	while ((opt = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (opt) {
		case 's': c.store_root = optarg; break;
		case 'f': securityfs = optarg; break;
		case 't': c.tpm_dir = optarg; break;
		case 'T': tcti = optarg; break;
		case 'b': c.boot_key = optarg; break;
		case 'i': boot_id = optarg; break;
		case 'a': c.ascii = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return EX_OK;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[optind++];
	while (optind < argc && strcmp(cmd, "mount") && strcmp(cmd, "fsck")) {
		const char *a = argv[optind++];

		if (!strcmp(a, "--ascii") && !strcmp(cmd, "cat"))
			c.ascii = 1;
		else if (!strcmp(a, "--final") && !strcmp(cmd, "export"))
			c.final = 1;
		else if (!strcmp(a, "--quote-tpm") && !strcmp(cmd, "export"))
			c.quote_tpm = 1;
		else if (!strcmp(a, "--quote") && !strcmp(cmd, "export") && optind < argc)
			c.quote = argv[optind++];
		else if (!strcmp(cmd, "remove-boot") && !c.remove_key)
			c.remove_key = a;
		else {
			msg("unexpected argument \"%s\"", a);
			return EX_USAGE;
		}
	}
	if (c.final + c.quote_tpm + !!c.quote > 1) {
		msg("export: --final, --quote and --quote-tpm exclude each other");
		return EX_USAGE;
	}
	if (strcmp(cmd, "export") && strcmp(cmd, "cat") && strcmp(cmd, "verify") &&
	    strcmp(cmd, "status") && strcmp(cmd, "boot-key") && strcmp(cmd, "boots") &&
	    strcmp(cmd, "remove-boot") && strcmp(cmd, "mount") && strcmp(cmd, "fsck")) {
		msg("unknown command \"%s\"", cmd);
		usage(stderr);
		return EX_USAGE;
	}
	if (!strcmp(cmd, "remove-boot") && !c.remove_key) {
		msg("remove-boot needs the key of the boot to remove (see boots)");
		return EX_USAGE;
	}
	if (c.ascii && strcmp(cmd, "cat")) {
		msg("--ascii is an option of cat");
		return EX_USAGE;
	}
	if (c.boot_key) {
		snprintf(binfo, sizeof(binfo), "key %s\ngiven by the operator\n", c.boot_key);
	} else {
		struct instance_args ia = {
			c.store_root, boot_id, c.tpm_dir, tcti,
			!strcmp(cmd, "export") || !strcmp(cmd, "mount"),
		};

		rc = instance_boot_key(&ia, key, sizeof(key), binfo, sizeof(binfo),
				       err, sizeof(err));
		if (rc == EX_NOTPM)
			msg("cannot derive the boot identity: %s (--boot-key overrides)", err);
		else if (rc)
			msg("%s", err);
		if (rc)
			return rc;
		c.boot_key = key;
	}
	c.boot_info = binfo;
	if (!boot_key_valid(c.boot_key)) {
		msg("invalid boot key \"%s\" (letters, digits, - _ . only)", c.boot_key);
		return EX_USAGE;
	}
	if (!strcmp(cmd, "boot-key")) {
		printf("%s\n", c.boot_key);
		return EX_OK;
	}
	if (!strcmp(cmd, "mount"))
		return cmd_mount(&c, securityfs, boot_id, argc - optind, argv + optind);
	if (!strcmp(cmd, "fsck"))
		return cmd_fsck(&c, argc - optind, argv + optind);
	if (securityfs_uncover(securityfs))
		return EX_USAGE;
	if (!strcmp(cmd, "boots"))
		return cmd_boots(&c);
	if (!strcmp(cmd, "remove-boot"))
		return cmd_remove_boot(&c);
	if (kernel_sysfs_init(&k, securityfs, boot_id)) {
		msg("out of memory");
		return EX_KERNEL;
	}
	c.k = &k;
	if (!strcmp(cmd, "export"))
		rc = cmd_export(&c);
	else if (!strcmp(cmd, "cat"))
		rc = cmd_cat(&c);
	else if (!strcmp(cmd, "verify"))
		rc = cmd_verify(&c);
	else
		rc = cmd_status(&c);
	kernel_sysfs_free(&k);
	return rc;
}
