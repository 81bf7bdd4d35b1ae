// SPDX-License-Identifier: GPL-2.0
/*
 * mount: a read-only FUSE file system laid out like the IMA securityfs
 * directory.  binary_runtime_measurements, ascii_runtime_measurements and
 * runtime_measurements_count show the whole log (wholelog.h), as cat
 * prints it; every other file passes through, read-only, from the real
 * directory, which is opened before mounting so that the view can cover it.
 *
 * Reads are served from the chunk files and a copy of the kernel's lists,
 * through the whole log's index.  The log only grows at its end (a chunk
 * holds records the kernel gave up, in order), so byte offsets and entry
 * numbers stay valid across exports.  A read that reaches the end of what
 * is known asks the refresh thread for news and waits for it a bounded
 * time (REFRESH_WAIT_MS); the thread never waits for an export (it tries
 * the store's lock and tries again later), and nothing else ever waits for
 * it: getattr, readdir, the files passed through and reads inside the
 * known log go on during exports and refreshes.  If the store stops
 * extending what the view showed (a store replaced, records deleted
 * without being stored), the view says so at error priority and starts
 * again, and descriptors opened before fail their reads with EIO instead
 * of showing another log at the same offsets.  The view can also export
 * itself (--export-every, SIGUSR1), through the directory it covers.
 */
#define FUSE_USE_VERSION 31
#include <fuse.h>

#include "view.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "imalog.h"
#include "kernel.h"
#include "wholelog.h"

#define FUSE_SUPER_MAGIC 0x65735546
#define SECURITYFS_MAGIC 0x73636673

enum { V_BIN, V_ASCII, V_COUNT, NVIRT };
static const char *const virt_name[NVIRT] = {
	"binary_runtime_measurements", "ascii_runtime_measurements",
	"runtime_measurements_count",
};
/* fi->fh of a view file (kind, and for the count its value at open) */
#define VIRT_FH (1ULL << 63)

/* how long a read at the end of the known log waits for a refresh */
#define REFRESH_WAIT_MS 2000

/*
 * What tells that the whole log may have grown: the kernel's record count
 * (the current list) and the journal's identity, size and time.
 */
struct probe {
	char count[32];
	struct stat j;
};

struct view {
	struct ctx c;
	struct kernel k;
	int dirfd;			/* the real IMA directory */
	pthread_mutex_t lock;		/* log, epoch */
	struct wholelog log;
	unsigned long epoch;		/* times the log was replaced */
	/* the refresh thread: asked, done and the probe */
	pthread_mutex_t rlock;
	pthread_cond_t asked_cv, done_cv;
	unsigned long asked, done;
	struct probe seen;		/* as of the last refresh */
	int probed;
	char mnt[4096];			/* where it is mounted */
	int ready_fd;			/* told once primed (without --foreground) */
	sem_t prime_now;
	pthread_mutex_t export_lock;	/* the view's own exports */
	unsigned int export_every;	/* seconds; 0: on SIGUSR1 only */
	sem_t export_now;
};

static struct view V;

static int virt_index(const char *name)
{
	for (int i = 0; i < NVIRT; i++)
		if (!strcmp(name, virt_name[i]))
			return i;
	return -1;
}

/* a FUSE path as a name relative to the real directory */
static const char *rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

static int virt_of(const char *path)
{
	return virt_index(path + 1);
}

static int probe(struct view *v, struct probe *p)
{
	char path[4200];
	ssize_t n;
	int fd;

	memset(p, 0, sizeof(*p));
	fd = openat(v->dirfd, "runtime_measurements_count", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, p->count, sizeof(p->count) - 1);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s/journal", v->c.store_root, v->c.boot_key);
	if (n <= 0 || (stat(path, &p->j) && errno != ENOENT))
		return -1;
	return 0;
}

static int probe_same(const struct probe *a, const struct probe *b)
{
	return !strcmp(a->count, b->count) && a->j.st_ino == b->j.st_ino &&
	       a->j.st_size == b->j.st_size && a->j.st_mtim.tv_sec == b->j.st_mtim.tv_sec &&
	       a->j.st_mtim.tv_nsec == b->j.st_mtim.tv_nsec;
}

/*
 * Bring the log up to date, unless neither the kernel's count nor the
 * journal changed since the last time (then nothing was measured, staged
 * or exported: reading the lists again would give the same log).  Only
 * the refresh thread (and the mount, before it starts) calls this.
 * EX_OK, EX_BUSY while an export holds the store, or what failed.
 */
static int refresh(struct view *v)
{
	struct wholelog now, old;
	struct probe pr;
	struct store s;
	char err[512];
	int rc, probed, ext;

	probed = !probe(v, &pr);
	if (probed && v->probed && probe_same(&pr, &v->seen))
		return EX_OK;
	rc = store_open(&s, v->c.store_root, v->c.boot_key, NULL, STORE_TRY_READ,
			err, sizeof(err));
	if (rc) {
		if (rc != EX_BUSY)
			msg("%s", err);
		return rc;
	}
	rc = wl_load(&now, &v->c, &s);
	store_close(&s);
	if (rc) {
		wl_free(&now);
		return rc;
	}
	/*
	 * Outside the lock: only this thread replaces v->log, and the check
	 * reads what readers leave alone (it may read new chunk files).
	 */
	ext = v->log.n ? wl_extends(&now, &v->log) : 1;
	if (ext < 0) {
		wl_free(&now);
		return EX_CORRUPT;
	}
	pthread_mutex_lock(&v->lock);
	if (ext) {
		wl_adopt(&now, &v->log);
	} else {
		v->epoch++;
		msg("the whole log no longer extends what the view showed (another store, or records deleted without being stored): the view starts again, and descriptors opened before fail with EIO");
	}
	old = v->log;
	v->log = now;
	pthread_mutex_unlock(&v->lock);
	if (old.n && now.n > old.n)
		sem_post(&v->prime_now);	/* an export: ima_flush_htable forgets */
	wl_free(&old);
	v->seen = pr;
	v->probed = probed;
	return EX_OK;
}

/* serves refreshes that reads ask for, one at a time, retrying while busy */
static void *refresher(void *arg)
{
	struct view *v = arg;
	unsigned long target;
	int rc, tries;

	for (;;) {
		pthread_mutex_lock(&v->rlock);
		while (v->asked == v->done)
			pthread_cond_wait(&v->asked_cv, &v->rlock);
		target = v->asked;
		pthread_mutex_unlock(&v->rlock);
		for (tries = 0; (rc = refresh(v)) == EX_BUSY && tries < 600; tries++)
			usleep(50000);
		if (rc)
			msg("view: the log could not be brought up to date (exit code %d); it shows what it knew",
			    rc);
		pthread_mutex_lock(&v->rlock);
		v->done = target;
		pthread_cond_broadcast(&v->done_cv);
		pthread_mutex_unlock(&v->rlock);
	}
	return NULL;
}

/*
 * Open every file of the view once, as root.  A policy that measures what
 * root reads on FUSE (the built-in tcb: it leaves securityfs out, not
 * FUSE) adds one record for each file's path, with the digest of empty
 * content (every file has size 0, as on securityfs, so nothing is read to
 * hash it).  The kernel adds a record only once for the same path and
 * content, so after this the reads of agents add none; with
 * ima_flush_htable the kernel forgets at every export, and this runs again.
 */
static void prime(struct view *v)
{
	DIR *d = opendir(v->mnt);
	struct dirent *e;
	char p[4400];
	int fd;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type == DT_DIR)
			continue;
		snprintf(p, sizeof(p), "%s/%s", v->mnt, e->d_name);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
}

/*
 * The opens are made by a child process: a thread of the view blocked on a
 * request to its own mount would keep a killed view from ever exiting (the
 * kernel aborts the requests only once the view's last thread is gone).
 */
static void *primer(void *arg)
{
	struct view *v = arg;
	char one = 1;
	pid_t pid;

	for (;;) {
		pid = fork();
		if (pid == 0) {
			/* not /dev/fuse: the connection must end with the view */
			close_range(3, ~0U, 0);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			prime(v);
			_exit(0);
		}
		if (pid > 0)
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		if (v->ready_fd >= 0) {
			if (write(v->ready_fd, &one, 1) != 1)
				msg("cannot tell that the view is ready: %s", strerror(errno));
			close(v->ready_fd);
			v->ready_fd = -1;
		}
		while (sem_wait(&v->prime_now) && errno == EINTR)
			;
	}
	return NULL;
}

/* ask for a refresh; wait for it at most wait_ms */
static void want_fresh(struct view *v, int wait_ms)
{
	struct timespec t;
	unsigned long mine;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += wait_ms / 1000;
	t.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&v->rlock);
	mine = ++v->asked;
	pthread_cond_signal(&v->asked_cv);
	while (wait_ms && v->done < mine &&
	       pthread_cond_timedwait(&v->done_cv, &v->rlock, &t) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&v->rlock);
}

static int serve_bytes(const void *src, size_t len, char *out, size_t size, off_t off)
{
	size_t n = (size_t)off < len ? len - (size_t)off : 0;

	if (n > size)
		n = size;
	memcpy(out, (const char *)src + off, n);
	return (int)n;
}

/* fi->fh of a view file: VIRT_FH, its kind, and the count or the epoch */
static uint64_t fh_value(uint64_t fh)
{
	return (fh & ~VIRT_FH) >> 2;
}

static int virt_read(struct view *v, int kind, uint64_t fh, char *out, size_t size,
		     off_t off)
{
	ssize_t n;

	if (kind == V_COUNT) {
		char t[32];

		n = snprintf(t, sizeof(t), "%llu\n", (unsigned long long)fh_value(fh));
		return serve_bytes(t, (size_t)n, out, size, off);
	}
	for (int waited = 0;; waited = 1) {
		pthread_mutex_lock(&v->lock);
		if (fh_value(fh) != v->epoch)
			n = -EIO;	/* opened on a log that was replaced */
		else if (kind == V_BIN)
			n = wl_read_bin(&v->log, out, size, (uint64_t)off);
		else
			n = wl_read_ascii(&v->log, out, size, (uint64_t)off);
		pthread_mutex_unlock(&v->lock);
		if (n < 0 || (size_t)n == size || waited)
			return (int)n;
		/* the reader wants what comes after the known log */
		want_fresh(v, REFRESH_WAIT_MS);
	}
}

static int v_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int kind = virt_of(path);

	(void)fi;
	if (fstatat(V.dirfd, rel(path), st, AT_SYMLINK_NOFOLLOW)) {
		if (kind < 0)
			return -errno;
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFREG | 0440;
		st->st_nlink = 1;
	}
	st->st_mode &= ~(mode_t)0222;
	if (kind >= 0)
		st->st_size = 0;	/* as securityfs: read to the end (and IMA hashes nothing) */
	return 0;
}

static int v_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		     struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	int fd = openat(V.dirfd, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned int seen = 0;
	struct dirent *e;
	DIR *d;

	(void)off, (void)fi, (void)flags;
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		int err = errno;

		close(fd);
		return -err;
	}
	while ((e = readdir(d))) {
		int kind = path[1] ? -1 : virt_index(e->d_name);

		if (kind >= 0)
			seen |= 1u << kind;
		fill(buf, e->d_name, NULL, 0, 0);
	}
	closedir(d);
	for (int k = 0; k < NVIRT && !path[1]; k++)
		if (!(seen & 1u << k))
			fill(buf, virt_name[k], NULL, 0, 0);
	return 0;
}

static int v_open(const char *path, struct fuse_file_info *fi)
{
	int kind = virt_of(path), fd;
	uint64_t val;

	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	fi->direct_io = 1;	/* every read reaches the view, no page cache */
	if (kind >= 0) {
		/* a descriptor starts on the log as of now */
		want_fresh(&V, REFRESH_WAIT_MS);
		pthread_mutex_lock(&V.lock);
		val = kind == V_COUNT ? V.log.records : V.epoch;
		pthread_mutex_unlock(&V.lock);
		fi->fh = VIRT_FH | val << 2 | (uint64_t)kind;
	} else {
		fd = openat(V.dirfd, rel(path), O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		fi->fh = (uint64_t)fd;
	}
	return 0;
}

static int v_read(const char *path, char *out, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	ssize_t n;

	(void)path;
	if (fi->fh & VIRT_FH)
		return virt_read(&V, (int)(fi->fh & 3), fi->fh, out, size, off);
	n = pread((int)fi->fh, out, size, off);
	return n < 0 ? -errno : (int)n;
}

static int v_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	if (!(fi->fh & VIRT_FH))
		close((int)fi->fh);
	return 0;
}

static const struct fuse_operations v_ops = {
	.getattr = v_getattr,
	.readdir = v_readdir,
	/* nothing that writes: the mount is read-only (EROFS) */
	.open = v_open,
	.read = v_read,
	.release = v_release,
};

static void on_usr1(int sig)
{
	(void)sig;
	sem_post(&V.export_now);
}

/* exports on SIGUSR1 and every export_every seconds */
static void *exporter(void *arg)
{
	struct view *v = arg;
	struct timespec t;
	int rc;

	for (;;) {
		if (v->export_every) {
			clock_gettime(CLOCK_REALTIME, &t);
			t.tv_sec += v->export_every;
			while (sem_timedwait(&v->export_now, &t) && errno == EINTR)
				;
		} else {
			while (sem_wait(&v->export_now) && errno == EINTR)
				;
		}
		pthread_mutex_lock(&v->export_lock);
		rc = export_recorded(&v->c);
		pthread_mutex_unlock(&v->export_lock);
		if (rc)
			msg("view: export failed (exit code %d); the view goes on", rc);
		want_fresh(v, 0);
	}
	return NULL;
}

#define MOUNT_OPTS "ro,allow_other,default_permissions,fsname=ima-export,subtype=ima-export"

/*
 * Mounted with auto_unmount, through fusermount3, which unmounts when the
 * view dies; where that cannot work (no fusermount3, a kernel without
 * AF_UNIX sockets) without it, saying so: a dead mount is then unmounted
 * by the next start (cmd_mount).
 */
static struct fuse *mount_view(const char *mnt)
{
	static const char *const opts[] = { MOUNT_OPTS ",auto_unmount", MOUNT_OPTS };

	for (int i = 0; i < 2; i++) {
		char *av[] = { "ima-export", "-o", (char *)opts[i], NULL };
		struct fuse_args args = FUSE_ARGS_INIT(3, av);
		struct fuse *f = fuse_new(&args, &v_ops, sizeof(v_ops), NULL);

		if (!f) {
			msg("cannot set up FUSE");
			return NULL;
		}
		if (!fuse_mount(f, mnt)) {
			if (i)
				warn("mounted without auto_unmount (fusermount3 could not do it): if the view dies, its mount stays until the next start");
			return f;
		}
		fuse_destroy(f);
	}
	msg("cannot mount the view on %s (no /dev/fuse? modprobe fuse)", mnt);
	return NULL;
}

static int serve(const char *mnt, int foreground, const char *pid_file)
{
	struct sigaction sa;
	struct fuse *f;
	pthread_t th, rth, pth;
	int rc;

	f = mount_view(mnt);
	if (!f)
		return EX_KERNEL;
	V.ready_fd = -1;
	if (!foreground) {
		int ready[2];
		pid_t pid = pipe2(ready, O_CLOEXEC) ? -1 : fork();

		if (pid < 0) {
			msg("fork: %s", strerror(errno));
			fuse_unmount(f);
			fuse_destroy(f);
			return EX_KERNEL;
		}
		if (pid > 0) {
			char c;
			ssize_t n;

			/* mounted and primed: the caller stops the view by this pid */
			close(ready[1]);
			while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
				;
			if (n != 1) {
				msg("the view ended before it was ready");
				_exit(EX_KERNEL);
			}
			if (pid_file) {
				char t[32];
				int fd = open(pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

				snprintf(t, sizeof(t), "%d\n", (int)pid);
				if (fd < 0 || write_all(fd, t, strlen(t)) || close(fd))
					msg("cannot write the pid file %s: %s", pid_file, strerror(errno));
			}
			printf("%d\n", (int)pid);
			fflush(stdout);
			_exit(EX_OK);
		}
		close(ready[0]);
		V.ready_fd = ready[1];
		setsid();
		if (chdir("/"))
			msg("chdir /: %s", strerror(errno));
		rc = open("/dev/null", O_RDWR);
		if (rc >= 0) {
			dup2(rc, 0);
			dup2(rc, 1);
			if (rc > 2)
				close(rc);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	if (fuse_set_signal_handlers(fuse_get_session(f)) ||
	    pthread_create(&th, NULL, exporter, &V) ||
	    pthread_create(&rth, NULL, refresher, &V) ||
	    pthread_create(&pth, NULL, primer, &V)) {
		msg("cannot set up signal handlers or the export thread");
		fuse_unmount(f);
		fuse_destroy(f);
		return EX_KERNEL;
	}
	info("view of the whole log mounted on %s (pid %d)", mnt, (int)getpid());
	rc = fuse_loop_mt(f, 0);
	/* unmounted or signalled: let an export in progress end first */
	pthread_mutex_lock(&V.export_lock);
	fuse_remove_signal_handlers(fuse_get_session(f));
	fuse_unmount(f);
	fuse_destroy(f);
	if (rc < 0)
		msg("FUSE: %s", strerror(-rc));
	return rc < 0 ? EX_KERNEL : EX_OK;
}

int securityfs_is_view(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf) || sf.f_type != FUSE_SUPER_MAGIC)
		return 0;
	msg("%s is a FUSE file system (the ima-export view?), not the kernel's IMA directory: give the real one with --securityfs (mount -t securityfs securityfs DIR gives another path to it)",
	    dir);
	return 1;
}

/* a FUSE file system on dir, alive or dead (its daemon gone: ENOTCONN) */
static int fuse_covered(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf))
		return errno == ENOTCONN;
	return sf.f_type == FUSE_SUPER_MAGIC;
}

int securityfs_uncover(const char *dir)
{
	struct statfs sf;

	if (!fuse_covered(dir))
		return 0;
	/*
	 * In a mount namespace of our own, the view is unmounted for this
	 * process only: the kernel's directory under it is back, and every
	 * other process still sees the view.
	 */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		msg("%s is covered by a FUSE file system (the ima-export view?) and no private mount namespace could uncover it: %s; give the kernel's directory with --securityfs",
		    dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < 8 && fuse_covered(dir); i++) {
		if (umount2(dir, MNT_DETACH)) {
			msg("cannot uncover %s in a private mount namespace: %s", dir, strerror(errno));
			return -1;
		}
	}
	if (statfs(dir, &sf) || sf.f_type != SECURITYFS_MAGIC) {
		msg("under the view on %s there is no securityfs: give the kernel's directory with --securityfs",
		    dir);
		return -1;
	}
	return 0;
}

int cmd_mount(struct ctx *c, const char *securityfs, const char *boot_id,
	      int argc, char **argv)
{
	const char *mnt = NULL;
	const char *pid_file = NULL;
	int foreground = 0, rc;
	struct stat st;
	char *end;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--foreground")) {
			foreground = 1;
		} else if (!strcmp(argv[i], "--pid-file") && i + 1 < argc) {
			pid_file = argv[++i];
		} else if (!strcmp(argv[i], "--export-every") && i + 1 < argc) {
			unsigned long n = strtoul(argv[++i], &end, 10);

			if (*end || !*argv[i] || !n || n > 86400 * 366) {
				msg("--export-every: seconds, 1 or more: \"%s\"", argv[i]);
				return EX_USAGE;
			}
			V.export_every = (unsigned int)n;
		} else if (argv[i][0] == '-' || mnt) {
			msg("mount: unexpected argument \"%s\"", argv[i]);
			return EX_USAGE;
		} else {
			mnt = argv[i];
		}
	}
	if (!mnt) {
		msg("usage: ima-export [options] mount [--foreground] [--export-every SECONDS] [--pid-file FILE] MOUNTPOINT");
		return EX_USAGE;
	}
	if (geteuid()) {
		msg("mount needs root: it mounts a FUSE file system for every user (allow_other) and reads the measurement lists");
		return EX_PERM;
	}
	if (stat(mnt, &st) && errno == ENOTCONN) {
		/* a view that died without auto_unmount's helper */
		if (umount2(mnt, MNT_DETACH))
			msg("%s: a dead FUSE mount that cannot be unmounted: %s", mnt, strerror(errno));
		else
			info("%s: unmounted a dead FUSE mount left there", mnt);
	}
	if (stat(mnt, &st)) {
		msg("mount point %s: %s", mnt, strerror(errno));
		return EX_INPUT;
	}
	if (!S_ISDIR(st.st_mode)) {
		msg("mount point %s: not a directory", mnt);
		return EX_INPUT;
	}
	if (securityfs_is_view(securityfs))
		return EX_INPUT;
	V.dirfd = open(securityfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (V.dirfd < 0) {
		msg("cannot open the IMA directory %s: %s (securityfs not mounted, or no IMA in the kernel?)",
		    securityfs, strerror(errno));
		return EX_NOSTAGING;
	}
	if (faccessat(V.dirfd, "binary_runtime_measurements_staged", F_OK, 0)) {
		msg("%s has no binary_runtime_measurements_staged: a kernel without IMA measurement staging deletes no record, its own files show the whole log",
		    securityfs);
		close(V.dirfd);
		return EX_NOSTAGING;
	}
	if (kernel_sysfs_init_at(&V.k, V.dirfd, boot_id)) {
		msg("out of memory");
		close(V.dirfd);
		return EX_KERNEL;
	}
	V.c = *c;
	V.c.k = &V.k;
	pthread_mutex_init(&V.lock, NULL);
	pthread_mutex_init(&V.rlock, NULL);
	pthread_mutex_init(&V.export_lock, NULL);
	pthread_cond_init(&V.asked_cv, NULL);
	pthread_cond_init(&V.done_cv, NULL);
	sem_init(&V.export_now, 0, 0);
	sem_init(&V.prime_now, 0, 0);
	if (!realpath(mnt, V.mnt))
		snprintf(V.mnt, sizeof(V.mnt), "%s", mnt);
	V.log.bootfd = -1;
	for (int tries = 0; (rc = refresh(&V)) == EX_BUSY && tries < 600; tries++)
		usleep(50000);
	if (rc)
		msg("cannot read the whole log: nothing mounted");
	else
		rc = serve(mnt, foreground, pid_file);
	kernel_sysfs_free(&V.k);
	close(V.dirfd);
	wl_free(&V.log);
	return rc;
}
