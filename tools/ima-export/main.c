// SPDX-License-Identifier: GPL-2.0
/* ima-export: export IMA measurements out of the kernel, crash-safely. */
#include <errno.h>
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

#ifndef IMA_EXPORT_VERSION
#define IMA_EXPORT_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fputs("usage: ima-export [options] COMMAND [command options]\n"
	      "  export [--final | --quote FILE | --quote-tpm]\n"
	      "  cat [--ascii] | verify | status [--json] | boot-key | boots | remove-boot KEY\n"
	      "  prune [--keep-boots N] [--keep-days DAYS]\n"
	      "  fsck [--repair]\n"
	      "  mount [--foreground] [--export-every SECONDS] [--pid-file FILE] MOUNTPOINT\n"
	      "options (before or after the command):\n"
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
	      "  -h, --help        this text;  -V, --version  the version\n"
	      "exit codes: 0 ok, 1 verify mismatch or quote not reached, 2 usage (command line),\n"
	      "  3 no staging in the kernel, 4 permission, 5 busy, 6 store I/O error or full disk,\n"
	      "  7 corrupt or foreign store, 8 no TPM, 9 measurement suspended for kexec,\n"
	      "  10 kernel error, 11 no IMA measurement list under --securityfs,\n"
	      "  12 a file or directory given is missing or unusable, 13 refused (current boot),\n"
	      "  14 the TPM was reset under the running kernel,\n"
	      "  15 fsck: a torn journal tail (fsck --repair cuts it off)\n", f);
}

/* a count for --keep-boots and --keep-days: 1 or more */
static int parse_count(const char *s, unsigned int *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || n < 1 || n > 1000000) {
		msg("\"%s\": a count of 1 to 1000000 is needed", s);
		return -1;
	}
	*v = (unsigned int)n;
	return 0;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* the options of one command: a bit each, and the command they belong to */
enum { O_ASCII = 1, O_JSON = 2, O_FINAL = 4, O_QUOTE = 8, O_QUOTE_TPM = 16,
       O_FOREGROUND = 32, O_EVERY = 64, O_PID_FILE = 128, O_KEEP_BOOTS = 256,
       O_KEEP_DAYS = 512, O_REPAIR = 1024 };

static const struct {
	int bit;
	const char *name, *cmd;
} cmd_opts[] = {
	{ O_ASCII, "--ascii", "cat" },
	{ O_JSON, "--json", "status" },
	{ O_FINAL, "--final", "export" },
	{ O_QUOTE, "--quote", "export" },
	{ O_QUOTE_TPM, "--quote-tpm", "export" },
	{ O_FOREGROUND, "--foreground", "mount" },
	{ O_EVERY, "--export-every", "mount" },
	{ O_PID_FILE, "--pid-file", "mount" },
	{ O_KEEP_BOOTS, "--keep-boots", "prune" },
	{ O_KEEP_DAYS, "--keep-days", "prune" },
	{ O_REPAIR, "--repair", "fsck" },
};

static const char *const commands[] = {
	"export", "cat", "verify", "status", "boot-key", "boots", "remove-boot", "mount", "prune", "fsck", NULL,
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "securityfs", required_argument, NULL, 'f' },
		{ "tpm", required_argument, NULL, 't' },
		{ "tcti", required_argument, NULL, 'T' },
		{ "boot-key", required_argument, NULL, 'b' },
		{ "boot-id", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "ascii", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "final", no_argument, NULL, 'F' },
		{ "quote", required_argument, NULL, 'Q' },
		{ "quote-tpm", no_argument, NULL, 'P' },
		{ "foreground", no_argument, NULL, 'g' },
		{ "export-every", required_argument, NULL, 'e' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "keep-boots", required_argument, NULL, 'K' },
		{ "keep-days", required_argument, NULL, 'D' },
		{ "repair", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	const char *securityfs = env_or("IMA_EXPORT_SECURITYFS", "/sys/kernel/security/ima");
	const char *tcti = env_or("IMA_EXPORT_TCTI", "device:/dev/tpmrm0");
	const char *boot_id = env_or("IMA_EXPORT_BOOT_ID", "/proc/sys/kernel/random/boot_id");
	const char *cmd = NULL, *every = NULL, *pid_file = NULL, *mnt = NULL;
	char key[BOOT_KEY_MAX], binfo[1024], err[512];
	char *margv[8], *repair_argv[] = { "--repair", NULL };
	int margc = 0, given = 0, help = 0, version = 0;
	struct kernel k;
	struct ctx c;
	int opt, rc;

	memset(&c, 0, sizeof(c));
	c.store_root = env_or("IMA_EXPORT_STORE", "/var/lib/ima-export");
	c.tpm_dir = env_or("IMA_EXPORT_TPM", "/sys/class/tpm/tpm0");
	c.boot_key = env_or("IMA_EXPORT_BOOT_KEY", NULL);
	c.out = stdout;
	/*
	 * One pass over all the arguments, options anywhere ("-": the others
	 * come in order as 1, also under POSIXLY_CORRECT); "--" ends them.
	 */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "-:qhV", opts, NULL)) != -1) {
		switch (opt) {
		case 1:
			if (!cmd) {
				cmd = optarg;
			} else if (!strcmp(cmd, "remove-boot") && !c.remove_key) {
				c.remove_key = optarg;
			} else if (!strcmp(cmd, "mount") && !mnt) {
				mnt = optarg;
			} else {
				msg("unexpected argument \"%s\"", optarg);
				return EX_USAGE;
			}
			break;
		case 's': c.store_root = optarg; break;
		case 'f': securityfs = optarg; break;
		case 't': c.tpm_dir = optarg; break;
		case 'T': tcti = optarg; break;
		case 'b': c.boot_key = optarg; break;
		case 'i': boot_id = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': help = 1; break;
		case 'V': version = 1; break;
		case 'a': given |= O_ASCII; c.ascii = 1; break;
		case 'j': given |= O_JSON; c.json = 1; break;
		case 'F': given |= O_FINAL; c.final = 1; break;
		case 'Q': given |= O_QUOTE; c.quote = optarg; break;
		case 'P': given |= O_QUOTE_TPM; c.quote_tpm = 1; break;
		case 'g': given |= O_FOREGROUND; break;
		case 'e': given |= O_EVERY; every = optarg; break;
		case 'p': given |= O_PID_FILE; pid_file = optarg; break;
		case 'R': given |= O_REPAIR; break;
		case 'K':
			given |= O_KEEP_BOOTS;
			if (parse_count(optarg, &c.keep_boots))
				return EX_USAGE;
			break;
		case 'D':
			given |= O_KEEP_DAYS;
			if (parse_count(optarg, &c.keep_days))
				return EX_USAGE;
			break;
		case ':':
			msg("option %s needs an argument", argv[optind - 1]);
			return EX_USAGE;
		default:
			msg("unknown option \"%s\"", argv[optind - 1]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	/* the rest after "--": the command and its arguments */
	while (optind < argc) {
		const char *a = argv[optind++];

		if (!cmd) {
			cmd = a;
		} else if (cmd && !strcmp(cmd, "remove-boot") && !c.remove_key) {
			c.remove_key = a;
		} else if (cmd && !strcmp(cmd, "mount") && !mnt) {
			mnt = a;
		} else {
			msg("unexpected argument \"%s\"", a);
			return EX_USAGE;
		}
	}
	if (help) {
		usage(stdout);
		return EX_OK;
	}
	if (version) {
		printf("ima-export %s\n", IMA_EXPORT_VERSION);
		return EX_OK;
	}
	if (!cmd) {
		usage(stderr);
		return EX_USAGE;
	}
	for (rc = 0; commands[rc] && strcmp(commands[rc], cmd); rc++)
		;
	if (!commands[rc]) {
		msg("unknown command \"%s\"", cmd);
		usage(stderr);
		return EX_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmd_opts) / sizeof(cmd_opts[0]); i++) {
		if ((given & cmd_opts[i].bit) && strcmp(cmd, cmd_opts[i].cmd)) {
			msg("%s is an option of %s, not of %s", cmd_opts[i].name, cmd_opts[i].cmd, cmd);
			return EX_USAGE;
		}
	}
	if (c.final + c.quote_tpm + !!c.quote > 1) {
		msg("export: --final, --quote and --quote-tpm exclude each other");
		return EX_USAGE;
	}
	if (!strcmp(cmd, "prune") && !(given & (O_KEEP_BOOTS | O_KEEP_DAYS))) {
		msg("prune needs --keep-boots N or --keep-days DAYS (or both)");
		return EX_USAGE;
	}
	if (!strcmp(cmd, "remove-boot") && !c.remove_key) {
		msg("remove-boot needs the key of the boot to remove (see boots)");
		return EX_USAGE;
	}
	/*
	 * The paths mean the same after the view's daemon changes to /
	 * (they are never freed: they live as long as the process).
	 */
	{
		const char **paths[] = { &c.store_root, &c.tpm_dir, &securityfs, &boot_id, &pid_file };

		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			char *p;

			if (!*paths[i])
				continue;
			p = abs_path(*paths[i]);
			if (!p) {
				msg("cannot make %s an absolute path: %s", *paths[i], strerror(errno));
				return EX_INPUT;
			}
			*paths[i] = p;
		}
	}
	/* mount's own options, for cmd_mount */
	if (given & O_FOREGROUND)
		margv[margc++] = "--foreground";
	if (every) {
		margv[margc++] = "--export-every";
		margv[margc++] = (char *)every;
	}
	if (pid_file) {
		margv[margc++] = "--pid-file";
		margv[margc++] = (char *)pid_file;
	}
	if (mnt)
		margv[margc++] = (char *)mnt;
	margv[margc] = NULL;
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
		return cmd_mount(&c, securityfs, boot_id, margc, margv);
	if (!strcmp(cmd, "fsck"))
		return cmd_fsck(&c, (given & O_REPAIR) ? 1 : 0, repair_argv);
	if (securityfs_uncover(securityfs))
		return EX_INPUT;
	if (!strcmp(cmd, "boots"))
		return cmd_boots(&c);
	if (!strcmp(cmd, "remove-boot"))
		return cmd_remove_boot(&c);
	if (!strcmp(cmd, "prune"))
		return cmd_prune(&c);
	if (kernel_sysfs_init(&k, securityfs, boot_id)) {
		msg("out of memory");
		return EX_KERNEL;
	}
	c.k = &k;
	if (!strcmp(cmd, "export"))
		rc = export_recorded(&c);
	else if (!strcmp(cmd, "cat"))
		rc = cmd_cat(&c);
	else if (!strcmp(cmd, "verify"))
		rc = cmd_verify(&c);
	else
		rc = cmd_status(&c);
	kernel_sysfs_free(&k);
	return rc;
}
