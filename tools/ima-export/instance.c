// SPDX-License-Identifier: GPL-2.0
/*
 * The boot key of a kernel instance.  The key names the boot directory
 * whose chunks are the head of the log, so it must not change while PCR 10
 * goes on: it is fixed per kernel instance (its boot_id) the first time it
 * is known, in STORE/.instances/<boot_id>, and a kexec'd instance (same TPM
 * power cycle: PCR 10 goes on) takes the key of the boot it continues.
 */
#include "instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "tpm.h"
#include "util.h"

#define INSTANCES ".instances"

/* the value of "name " in a boot-info text, or NULL */
static const char *info_field(const char *text, const char *name, char *out, size_t n)
{
	size_t len = strlen(name);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, name, len) && l[len] == ' ') {
			size_t v = strcspn(l + len + 1, "\n");

			if (v >= n)
				return NULL;
			memcpy(out, l + len + 1, v);
			out[v] = '\0';
			return out;
		}
	}
	return NULL;
}

static int info_u64(const char *text, const char *name, unsigned long long *v)
{
	char s[32], *end;

	if (!info_field(text, name, s, sizeof(s)))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

static int read_at(int dirfd, const char *name, struct buf *b)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = read_fd_all(fd, b);
	close(fd);
	if (!rc)
		rc = buf_append(b, "", 1);	/* a C string */
	return rc;
}

/*
 * The boot of the store that began in the TPM power cycle `reset` at or
 * before `clock`: the latest such, by the clock of its start.  1 and its
 * key in key, 0 when none.
 */
static int boot_of_cycle(int rootfd, unsigned long long reset, unsigned long long clock,
			 char *key, size_t n)
{
	unsigned long long r, c, best = 0;
	int dfd = dup(rootfd), found = 0;
	struct dirent *e;
	struct buf b;
	DIR *d;

	if (dfd < 0)
		return 0;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	buf_init(&b);
	while ((e = readdir(d))) {
		char path[BOOT_KEY_MAX + 16];

		if (!boot_key_valid(e->d_name) || strlen(e->d_name) >= n)
			continue;
		snprintf(path, sizeof(path), "%s/boot-info", e->d_name);
		buf_reset(&b);
		if (read_at(rootfd, path, &b) ||
		    info_u64((char *)b.p, "resetCount", &r) || info_u64((char *)b.p, "clock", &c))
			continue;
		if (r == reset && c <= clock && (!found || c >= best)) {
			snprintf(key, n, "%s", e->d_name);
			best = c;
			found = 1;
		}
	}
	closedir(d);
	buf_free(&b);
	return found;
}

/* boot_id from procfs: hex digits and dashes */
static int read_boot_id(const char *path, char *id, size_t n)
{
	struct buf b;
	size_t len;
	int rc;

	buf_init(&b);
	rc = read_path_line(path, &b, &len);
	if (!rc && (len == 0 || len >= n || strspn((char *)b.p, "0123456789abcdef-") < len))
		rc = -EINVAL;
	if (!rc) {
		memcpy(id, b.p, len);
		id[len] = '\0';
	}
	buf_free(&b);
	return rc;
}

int instance_boot_key(const struct instance_args *a, char *key, size_t n,
		      char *info, size_t infolen, char *err, size_t errlen)
{
	char id[64], rec[sizeof(INSTANCES) + sizeof(id)], fresh[BOOT_KEY_MAX], freshinfo[1024];
	unsigned long long reset, clock, was;
	int rootfd, rc, have_id, stored;
	struct buf b;

	have_id = !read_boot_id(a->boot_id_path, id, sizeof(id));
	rootfd = open(a->store_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	stored = rootfd >= 0 && faccessat(rootfd, STORE_MARKER, F_OK, 0) == 0;
	buf_init(&b);
	snprintf(rec, sizeof(rec), INSTANCES "/%s", have_id ? id : "");
	if (have_id && stored && !read_at(rootfd, rec, &b) &&
	    info_field((char *)b.p, "key", key, n) && boot_key_valid(key)) {
		snprintf(info, infolen, "%s", (char *)b.p);
		rc = EX_OK;
		/*
		 * A writer checks that the TPM was not reset under this
		 * kernel (hibernation, a TPM cleared): PCR 10 no longer
		 * follows the kernel's list, and the log must not go on in
		 * the boot that it no longer replays to.
		 */
		if (a->writer && !info_u64(info, "resetCount", &was) &&
		    !boot_key_derive(a->tpm_dir, a->tcti, fresh, sizeof(fresh), freshinfo,
				     sizeof(freshinfo), err, errlen) &&
		    !info_u64(freshinfo, "resetCount", &reset) && reset != was) {
			snprintf(err, errlen, "the TPM was reset under this kernel (resetCount %llu, "
				 "now %llu): PCR 10 no longer replays the kernel's list; nothing done",
				 was, reset);
			rc = EX_TPMRESET;
		}
		goto out;
	}
	if (boot_key_derive(a->tpm_dir, a->tcti, key, n, info, infolen, err, errlen)) {
		rc = EX_NOTPM;
		goto out;
	}
	rc = EX_OK;
	if (!stored || info_u64(info, "resetCount", &reset) || info_u64(info, "clock", &clock))
		goto out;
	if (boot_of_cycle(rootfd, reset, clock, fresh, sizeof(fresh)) && strcmp(fresh, key)) {
		/* PCRs 0-7 changed since that boot began: its log goes on */
		snprintf(freshinfo, sizeof(freshinfo), "%s", info);
		snprintf(key, n, "%s", fresh);
		snprintf(info, infolen, "key %s\n%s", key, strchr(freshinfo, '\n') + 1);
	}
	/* best effort for readers (the store may be read-only to them) */
	if (have_id && (mkdirat(rootfd, INSTANCES, 0700) == 0 || errno == EEXIST)) {
		int dfd = openat(rootfd, INSTANCES, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e = -errno;

		if (dfd >= 0) {
			e = durable_write(dfd, id, info, strlen(info), NULL);
			close(dfd);
		}
		if (e && a->writer) {
			snprintf(err, errlen, "cannot record the boot key of this kernel in %s/%s: %s",
				 a->store_root, rec, strerror(-e));
			rc = EX_STORE;
		}
	}
out:
	if (rootfd >= 0)
		close(rootfd);
	buf_free(&b);
	return rc;
}
