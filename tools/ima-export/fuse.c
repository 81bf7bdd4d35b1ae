// SPDX-License-Identifier: GPL-2.0
/*
 * mount: a read-only FUSE file system laid out like the IMA securityfs
 * directory.  binary_runtime_measurements, ascii_runtime_measurements and
 * runtime_measurements_count show the whole log, as cat prints it; every
 * other file passes through, read-only, from the real directory, which is
 * opened before mounting so that the view can cover it.
 *
 * Reads are served from a snapshot of the whole log kept in memory.  The
 * log only grows at its end (a chunk holds records the kernel gave up, in
 * order), so each snapshot is a prefix of every later one: byte offsets
 * and entry numbers stay valid across exports.  A read that reaches the
 * end of the snapshot refreshes it first, under the store's shared lock.
 * An export holds that lock exclusively for its whole transaction, so a
 * refresh waits for the export to end instead of meeting the kernel's
 * EBUSY, and reads inside the snapshot go on meanwhile.  A refresh that
 * fails (another writer keeps the lists, an unreadable store) leaves the
 * snapshot as it was: the reader sees the log as of the last refresh, not
 * an error.  The view can also export itself (--export-every, SIGUSR1),
 * through the directory it covers.
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
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "imalog.h"
#include "kernel.h"

#define FUSE_SUPER_MAGIC 0x65735546

enum { V_BIN, V_ASCII, V_COUNT, NVIRT };
static const char *const virt_name[NVIRT] = {
	"binary_runtime_measurements", "ascii_runtime_measurements",
	"runtime_measurements_count",
};
/* fi->fh of a view file (kind, and for the count its value at open) */
#define VIRT_FH (1ULL << 63)

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
	pthread_mutex_t lock;		/* bin, ascii, records, gen */
	pthread_mutex_t refresh_lock;	/* one refresh or export at a time */
	struct buf bin, ascii;
	unsigned long records;
	size_t chunk_bytes;		/* head of bin read from chunk files */
	size_t nchunks;			/* chunks in it */
	unsigned int last_seq;		/* the last of them */
	unsigned long gen;		/* refreshes done */
	struct probe seen;		/* as of the last refresh */
	int probed;
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

/* Chunks [from, n), then what the kernel holds beyond the store, into out. */
static int collect(struct view *v, struct store *s, size_t from,
		   struct buf *out, size_t *chunk_bytes)
{
	struct assembled a;
	struct buf b;
	char err[512];
	int rc = EX_OK;

	buf_init(&b);
	for (size_t i = from; i < s->j.n && !rc; i++) {
		if (store_read_chunk(s, &s->j.c[i], &b, err, sizeof(err))) {
			msg("store: %s", err);
			rc = EX_CORRUPT;
		} else if (buf_append(out, b.p, b.len)) {
			rc = EX_STORE;
		}
	}
	buf_free(&b);
	*chunk_bytes = out->len;
	if (rc)
		return rc;
	rc = assemble(&v->c, s, &a);
	if (!rc && (buf_append(out, a.S.p + a.s_skip, a.S.len - a.s_skip) ||
		    buf_append(out, a.C.p + a.c_skip, a.C.len - a.c_skip)))
		rc = EX_STORE;
	assembled_free(&a);
	return rc;
}

/*
 * Append the records of add past what the snapshot already shows (or
 * replace the snapshot by add when reset), with their text and count.
 */
static int install(struct view *v, int reset, const struct buf *add,
		   size_t cb, size_t nch, unsigned int last)
{
	size_t skip = reset ? 0 : v->bin.len - v->chunk_bytes;
	const uint8_t *p = add->p + skip;
	size_t len = add->len - skip, tlen = 0;
	struct ima_list_info li;
	char err[256], *text = NULL;
	FILE *f;
	int rc = EX_OK;

	if (ima_list_scan(p, len, 0, &li, err, sizeof(err))) {
		msg("the whole log does not parse: %s; the view keeps what it showed", err);
		return EX_KERNEL;
	}
	f = open_memstream(&text, &tlen);
	if (!f)
		return EX_STORE;
	print_ascii(f, p, len);
	if (fclose(f)) {
		free(text);
		return EX_STORE;
	}
	pthread_mutex_lock(&v->lock);
	if (reset) {
		buf_reset(&v->bin);
		buf_reset(&v->ascii);
		v->records = 0;
		v->chunk_bytes = 0;
	}
	if (buf_append(&v->bin, p, len) || buf_append(&v->ascii, text, tlen)) {
		rc = EX_STORE;
	} else {
		v->records += li.records;
		v->chunk_bytes += cb;
		v->nchunks = nch;
		v->last_seq = last;
		v->gen++;
	}
	pthread_mutex_unlock(&v->lock);
	free(text);
	return rc;
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
 * Bring the snapshot up to date, unless another refresh completed since
 * the caller saw generation seen, or neither the kernel's count nor the
 * journal changed since the last one (then nothing was measured, staged or
 * exported: reading the lists again would give the same log).  EX_OK or
 * the code of what failed.
 */
static int refresh(struct view *v, unsigned long seen)
{
	size_t from, cb = 0, nch;
	unsigned int last;
	struct store s;
	struct buf add;
	char err[512];
	struct probe now;
	int rc, reset, probed;

	pthread_mutex_lock(&v->refresh_lock);
	probed = v->gen == seen && !probe(v, &now);
	if (v->gen != seen || (probed && v->probed && probe_same(&now, &v->seen))) {
		pthread_mutex_unlock(&v->refresh_lock);
		return EX_OK;
	}
	rc = store_open(&s, v->c.store_root, v->c.boot_key, NULL, 0, err, sizeof(err));
	if (rc) {
		msg("%s", err);
		pthread_mutex_unlock(&v->refresh_lock);
		return rc;
	}
	buf_init(&add);
	from = v->nchunks;
	reset = from > s.j.n || (from && s.j.c[from - 1].seq != v->last_seq);
	if (!reset) {
		size_t shown = v->bin.len - v->chunk_bytes;

		rc = collect(v, &s, from, &add, &cb);
		reset = !rc && (add.len < shown ||
				(shown && memcmp(add.p, v->bin.p + v->chunk_bytes, shown)));
	}
	if (reset) {
		msg("the log no longer extends what the view showed (records deleted without being stored, or another store): the view starts again; offsets read before do not hold");
		buf_reset(&add);
		rc = collect(v, &s, 0, &add, &cb);
	}
	nch = s.j.n;
	last = nch ? s.j.c[nch - 1].seq : 0;
	store_close(&s);
	if (!rc)
		rc = install(v, reset, &add, cb, nch, last);
	if (!rc) {
		v->seen = now;
		v->probed = probed;
	}
	buf_free(&add);
	pthread_mutex_unlock(&v->refresh_lock);
	return rc;
}

static unsigned long current_gen(struct view *v)
{
	unsigned long g;

	pthread_mutex_lock(&v->lock);
	g = v->gen;
	pthread_mutex_unlock(&v->lock);
	return g;
}

static int serve_bytes(const void *src, size_t len, char *out, size_t size, off_t off)
{
	size_t n = (size_t)off < len ? len - (size_t)off : 0;

	if (n > size)
		n = size;
	memcpy(out, (const char *)src + off, n);
	return (int)n;
}

static int virt_read(int kind, uint64_t fh, char *out, size_t size, off_t off)
{
	struct buf *b = kind == V_BIN ? &V.bin : &V.ascii;
	unsigned long gen;
	int n;

	if (kind == V_COUNT) {
		char t[32];

		n = snprintf(t, sizeof(t), "%llu\n", (unsigned long long)((fh & ~VIRT_FH) >> 2));
		return serve_bytes(t, (size_t)n, out, size, off);
	}
	pthread_mutex_lock(&V.lock);
	if ((size_t)off + size > b->len) {
		/* the reader wants what comes after the snapshot */
		gen = V.gen;
		pthread_mutex_unlock(&V.lock);
		refresh(&V, gen);
		pthread_mutex_lock(&V.lock);
	}
	n = serve_bytes(b->p, b->len, out, size, off);
	pthread_mutex_unlock(&V.lock);
	return n;
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
		st->st_size = 0;	/* as securityfs: read to the end */
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

	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	fi->direct_io = 1;	/* every read reaches the view, no page cache */
	if (kind == V_COUNT) {
		refresh(&V, current_gen(&V));
		pthread_mutex_lock(&V.lock);
		fi->fh = VIRT_FH | (uint64_t)V.records << 2 | V_COUNT;
		pthread_mutex_unlock(&V.lock);
	} else if (kind >= 0) {
		fi->fh = VIRT_FH | (uint64_t)kind;
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
		return virt_read((int)(fi->fh & 3), fi->fh, out, size, off);
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
		pthread_mutex_lock(&v->refresh_lock);
		rc = cmd_export(&v->c);
		pthread_mutex_unlock(&v->refresh_lock);
		if (rc)
			msg("view: export failed (exit code %d); the view goes on", rc);
	}
	return NULL;
}

static int serve(const char *mnt, int foreground)
{
	char *av[] = { "ima-export", "-o",
		"ro,allow_other,default_permissions,fsname=ima-export,subtype=ima-export",
		NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, av);
	struct sigaction sa;
	struct fuse *f;
	pthread_t th;
	int rc;

	f = fuse_new(&args, &v_ops, sizeof(v_ops), NULL);
	if (!f) {
		msg("cannot set up FUSE");
		return EX_KERNEL;
	}
	if (fuse_mount(f, mnt)) {
		msg("cannot mount the view on %s (no /dev/fuse? modprobe fuse)", mnt);
		fuse_destroy(f);
		return EX_KERNEL;
	}
	if (!foreground) {
		pid_t pid = fork();

		if (pid < 0) {
			msg("fork: %s", strerror(errno));
			fuse_unmount(f);
			fuse_destroy(f);
			return EX_KERNEL;
		}
		if (pid > 0) {
			/* mounted: the caller stops the view by this pid */
			printf("%d\n", (int)pid);
			fflush(stdout);
			_exit(EX_OK);
		}
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
	    pthread_create(&th, NULL, exporter, &V)) {
		msg("cannot set up signal handlers or the export thread");
		fuse_unmount(f);
		fuse_destroy(f);
		return EX_KERNEL;
	}
	info("view of the whole log mounted on %s (pid %d)", mnt, (int)getpid());
	rc = fuse_loop_mt(f, 0);
	/* unmounted or signalled: let an export in progress end first */
	pthread_mutex_lock(&V.refresh_lock);
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

int cmd_mount(struct ctx *c, const char *securityfs, const char *boot_id,
	      int argc, char **argv)
{
	const char *mnt = NULL;
	int foreground = 0, rc;
	struct stat st;
	char *end;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--foreground")) {
			foreground = 1;
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
		msg("usage: ima-export [options] mount [--foreground] [--export-every SECONDS] MOUNTPOINT");
		return EX_USAGE;
	}
	if (geteuid()) {
		msg("mount needs root: it mounts a FUSE file system for every user (allow_other) and reads the measurement lists");
		return EX_PERM;
	}
	if (stat(mnt, &st)) {
		msg("mount point %s: %s", mnt, strerror(errno));
		return EX_USAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		msg("mount point %s: not a directory", mnt);
		return EX_USAGE;
	}
	if (securityfs_is_view(securityfs))
		return EX_USAGE;
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
	pthread_mutex_init(&V.refresh_lock, NULL);
	sem_init(&V.export_now, 0, 0);
	buf_init(&V.bin);
	buf_init(&V.ascii);
	rc = refresh(&V, 0);
	if (rc)
		msg("cannot read the whole log: nothing mounted");
	else
		rc = serve(mnt, foreground);
	kernel_sysfs_free(&V.k);
	close(V.dirfd);
	buf_free(&V.bin);
	buf_free(&V.ascii);
	return rc;
}
