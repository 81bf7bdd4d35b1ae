// SPDX-License-Identifier: GPL-2.0
#include "kernel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ksys {
	int dirfd;		/* names are opened relative to it */
	char dir[4096];		/* "DIR/" prefixed to names, or "" */
	char boot_id[4096];
	int rw;
	const char *rw_name;	/* the file rw is open on */
};

static const char STAGED[] = "binary_runtime_measurements_staged";
static const char CURRENT[] = "binary_runtime_measurements";

static int open_name(struct ksys *ks, const char *name, int flags)
{
	char p[4200];

	if (snprintf(p, sizeof(p), "%s%s", ks->dir, name) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return openat(ks->dirfd, p, flags | O_CLOEXEC);
}

/* One writer at a time, on the staged or the current list file. */
static int open_writer(struct ksys *ks, const char *name)
{
	if (ks->rw >= 0)
		return ks->rw_name == name ? 0 : -EBUSY;
	ks->rw = open_name(ks, name, O_RDWR);
	if (ks->rw < 0)
		return -errno;
	ks->rw_name = name;
	return 0;
}

static int sys_open_rw(struct kernel *k)
{
	return open_writer(k->priv, STAGED);
}

static int sys_open_rw_current(struct kernel *k)
{
	return open_writer(k->priv, CURRENT);
}

static int sys_request(struct kernel *k, const char *req)
{
	struct ksys *ks = k->priv;
	size_t n = strlen(req);
	ssize_t w;

	if (ks->rw < 0)
		return -EBADF;
	if (lseek(ks->rw, 0, SEEK_SET) < 0)
		return -errno;
	do
		w = write(ks->rw, req, n);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}

static int read_from(int fd, struct buf *b)
{
	buf_reset(b);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return read_fd_all(fd, b);
}

static int read_named(struct ksys *ks, const char *name, struct buf *b)
{
	int fd, rc;

	fd = open_name(ks, name, O_RDONLY);
	if (fd < 0)
		return -errno;
	rc = read_from(fd, b);
	close(fd);
	return rc;
}

static int sys_read_staged(struct kernel *k, struct buf *b)
{
	struct ksys *ks = k->priv;

	if (ks->rw >= 0 && ks->rw_name == STAGED)
		return read_from(ks->rw, b);
	return read_named(ks, STAGED, b);
}

static int sys_read_current(struct kernel *k, struct buf *b)
{
	struct ksys *ks = k->priv;

	if (ks->rw >= 0 && ks->rw_name == CURRENT)
		return read_from(ks->rw, b);
	return read_named(ks, CURRENT, b);
}

static void sys_close_rw(struct kernel *k)
{
	struct ksys *ks = k->priv;

	if (ks->rw >= 0)
		close(ks->rw);
	ks->rw = -1;
}

static int sys_instance(struct kernel *k, char *id, size_t n)
{
	struct ksys *ks = k->priv;
	struct buf b;
	size_t len;
	int rc;

	buf_init(&b);
	rc = read_path_line(ks->boot_id, &b, &len);
	if (rc)
		goto out;
	rc = -EINVAL;
	if (len == 0 || len >= n)
		goto out;
	for (size_t i = 0; i < len; i++)
		if (b.p[i] <= ' ' || b.p[i] > '~' || b.p[i] == '=')
			goto out;
	memcpy(id, b.p, len);
	id[len] = '\0';
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

static const struct kernel_ops sys_ops = {
	.open_rw = sys_open_rw,
	.request = sys_request,
	.read_staged = sys_read_staged,
	.read_current = sys_read_current,
	.close_rw = sys_close_rw,
	.open_rw_current = sys_open_rw_current,
	.instance = sys_instance,
};

static int init(struct kernel *k, int dirfd, const char *dir, const char *boot_id_path)
{
	struct ksys *ks = calloc(1, sizeof(*ks));

	if (!ks)
		return -ENOMEM;
	ks->dirfd = dirfd;
	if (snprintf(ks->dir, sizeof(ks->dir), "%s%s", dir, *dir ? "/" : "") >= (int)sizeof(ks->dir) ||
	    snprintf(ks->boot_id, sizeof(ks->boot_id), "%s", boot_id_path) >= (int)sizeof(ks->boot_id)) {
		free(ks);
		return -ENAMETOOLONG;
	}
	ks->rw = -1;
	k->ops = &sys_ops;
	k->priv = ks;
	return 0;
}

int kernel_sysfs_init(struct kernel *k, const char *dir, const char *boot_id_path)
{
	return init(k, AT_FDCWD, dir, boot_id_path);
}

int kernel_sysfs_init_at(struct kernel *k, int dirfd, const char *boot_id_path)
{
	return init(k, dirfd, "", boot_id_path);
}

void kernel_sysfs_free(struct kernel *k)
{
	if (k->priv)
		sys_close_rw(k);
	free(k->priv);
	k->priv = NULL;
}

/* 1 when a descriptor's target is one of the kernel's list files */
static int is_list_file(const char *target)
{
	static const char *const names[] = {
		"/binary_runtime_measurements", "/binary_runtime_measurements_staged",
		"/ascii_runtime_measurements", "/ascii_runtime_measurements_staged",
	};
	size_t tl = strlen(target);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t nl = strlen(names[i]);

		if (tl > nl && !strcmp(target + tl - nl, names[i]) && strstr(target, "/ima/"))
			return 1;
	}
	return 0;
}

void kernel_list_holders(char *out, size_t n)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	size_t used = 0;

	out[0] = '\0';
	if (!proc)
		return;
	while ((p = readdir(proc)) && used + 1 < n) {
		char path[300], target[4096], comm[64] = "?";
		struct dirent *f;
		DIR *fds;
		FILE *cf;
		int pid = atoi(p->d_name);

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds)) && used + 1 < n) {
			ssize_t l;

			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, f->d_name);
			l = readlink(path, target, sizeof(target) - 1);
			if (l <= 0)
				continue;
			target[l] = '\0';
			if (!is_list_file(target))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/comm", pid);
			cf = fopen(path, "r");
			if (cf) {
				if (fgets(comm, sizeof(comm), cf))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(cf);
			}
			used += (size_t)snprintf(out + used, n - used, "%spid %d (%s) %s",
						 used ? ", " : "", pid, comm, target);
			if (used >= n)
				used = n - 1;
		}
		closedir(fds);
	}
	closedir(proc);
}
