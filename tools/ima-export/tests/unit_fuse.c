// SPDX-License-Identifier: GPL-2.0
/*
 * mount: the FUSE view, mounted for real (root and /dev/fuse), over a
 * directory of regular files that mirror the fake kernel after every
 * change.  Exports run in this process on the fake (under the store lock,
 * as a real export holds it), the view is ./ima-export in a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_kernel.h"
#include "imalog.h"
#include "ops.h"
#include "tap.h"
#include "testlog.h"

#define FUSE_MAGIC 0x65735546
#define KEY "r7-fuse"

static struct {
	struct fake_state *st;
	struct kernel k;
	struct kernel_ops ops;		/* the fake's, mirrored to files */
	const struct kernel_ops *fake;
	char root[128], sfs[160], mnt[160], store[160];
	char cli[1024];			/* ima-export with the options */
	int sfsfd;
	unsigned int next;		/* the next record's number */
	struct ctx c;
} T;

static void mirror(void)
{
	struct ima_list_info li;
	char err[128], count[32];

	if (ima_list_scan(T.st->cur, T.st->cur_len, 0, &li, err, sizeof(err)))
		abort();
	snprintf(count, sizeof(count), "%lu\n", li.records);
	/* the kernel adds a record to the list, then counts it */
	if (durable_write(T.sfsfd, "binary_runtime_measurements", T.st->cur,
			  T.st->cur_len, NULL) ||
	    durable_write(T.sfsfd, "binary_runtime_measurements_staged", T.st->staged,
			  T.st->staged_len, NULL) ||
	    fchmodat(T.sfsfd, "binary_runtime_measurements", 0660, 0) ||
	    fchmodat(T.sfsfd, "binary_runtime_measurements_staged", 0660, 0) ||
	    durable_write(T.sfsfd, "runtime_measurements_count", count, strlen(count), NULL) ||
	    fchmodat(T.sfsfd, "runtime_measurements_count", 0440, 0))
		abort();
}

static int mirrored_request(struct kernel *k, const char *req)
{
	int rc = T.fake->request(k, req);

	mirror();
	return rc;
}

/* records next.. as the kernel measures them; the expected log in truth */
static void measure(unsigned int n, struct buf *truth)
{
	struct buf b;

	buf_init(&b);
	tl_list(&b, T.next, n);
	T.next += n;
	fake_measure(T.st, b.p, b.len);
	if (truth)
		buf_append(truth, b.p, b.len);
	buf_free(&b);
	mirror();
}

/* export, again while the view holds the store lock for a refresh */
static int export_retrying(unsigned int *busy)
{
	int rc;

	while ((rc = cmd_export(&T.c)) == EX_BUSY && ++*busy < 100000)
		usleep(1000);
	return rc;
}

static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, mode);
	if (fd < 0 || write_all(fd, text, strlen(text)) || close(fd) || chmod(p, mode))
		abort();
}

static int setup(void)
{
	char p[256];

	memset(&T, 0, sizeof(T));
	snprintf(T.root, sizeof(T.root), "/tmp/ima-export-fuse.XXXXXX");
	if (!mkdtemp(T.root))
		return -1;
	snprintf(T.sfs, sizeof(T.sfs), "%s/ima", T.root);
	snprintf(T.mnt, sizeof(T.mnt), "%s/view", T.root);
	snprintf(T.store, sizeof(T.store), "%s/store", T.root);
	if (mkdir(T.sfs, 0755) || mkdir(T.mnt, 0755))
		return -1;
	T.sfsfd = open(T.sfs, O_RDONLY | O_DIRECTORY);
	put(T.sfs, "policy", "measure func=FILE_CHECK mask=^MAY_READ fowner=4242\n", 0600);
	put(T.sfs, "violations", "0\n", 0440);
	put(T.sfs, "ascii_runtime_measurements", "", 0660);
	put(T.sfs, "ascii_runtime_measurements_staged", "", 0660);
	put(T.root, "boot_id", "fuse-kernel\n", 0644);
	snprintf(p, sizeof(p), "%s/boot_id", T.root);
	T.st = fake_new("fuse-kernel");
	fake_kernel_init(&T.k, T.st);
	T.fake = T.k.ops;
	T.ops = *T.fake;
	T.ops.request = mirrored_request;
	T.k.ops = &T.ops;
	T.c.store_root = T.store;
	T.c.boot_key = KEY;
	T.c.boot_info = "key " KEY "\ntest\n";
	T.c.k = &T.k;
	T.c.out = stdout;
	snprintf(T.cli, sizeof(T.cli), "%s/../ima-export -q --store %s --securityfs %s --boot-key " KEY " --boot-id %s",
		 TESTS_DIR, T.store, T.sfs, p);
	return 0;
}

static int is_fuse(const char *dir)
{
	struct statfs sf;

	return !statfs(dir, &sf) && sf.f_type == FUSE_MAGIC;
}

/* ima-export mount --foreground at mnt: its pid once mounted, or -1 */
static pid_t view_start(const char *mnt, const char *extra)
{
	char cmd[2048];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "exec %s mount --foreground %s %s 2>>%s/view.err",
		 T.cli, extra, mnt, T.root);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);	/* never outlives the tests */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; pid > 0 && i < 500; i++) {
		if (is_fuse(mnt))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* stop the view by its pid: 1 when it exited and took its mount along */
static int view_stop(pid_t pid, const char *mnt)
{
	int status = -1, i;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	for (i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (is_fuse(mnt)) {
		umount2(mnt, MNT_DETACH);
		return 0;
	}
	return i < 500 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int run_out(const char *args, struct buf *out)
{
	char cmd[2048];
	FILE *p;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s %s", T.cli, args);
	buf_reset(out);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	read_fd_all(fileno(p), out);
	rc = pclose(p);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int file_is(const char *path, const struct buf *want)
{
	struct buf got;
	int same;

	buf_init(&got);
	same = !read_path_all(path, &got) && got.len == want->len &&
	       (!got.len || !memcmp(got.p, want->p, got.len));
	buf_free(&got);
	return same;
}

static int cat_is(const char *file, const char *args)
{
	char p[256];
	struct buf want;
	int same;

	buf_init(&want);
	snprintf(p, sizeof(p), "%s/%s", T.mnt, file);
	same = run_out(args, &want) == 0 && file_is(p, &want);
	buf_free(&want);
	return same;
}

/* read from fd at *off to its end, appending to got; -errno or bytes */
static long read_on(int fd, off_t *off, struct buf *got)
{
	char b[65536];
	long total = 0;
	ssize_t n;

	while ((n = pread(fd, b, sizeof(b), *off)) > 0) {
		buf_append(got, b, (size_t)n);
		*off += n;
		total += n;
	}
	return n < 0 ? -errno : total;
}

static unsigned long count_of(const char *dir)
{
	char p[256];
	struct buf b;
	unsigned long n;

	buf_init(&b);
	snprintf(p, sizeof(p), "%s/runtime_measurements_count", dir);
	n = read_path_all(p, &b) || buf_append(&b, "", 1) ? 0 : strtoul((char *)b.p, NULL, 10);
	buf_free(&b);
	return n;
}

static int lines_of(const struct buf *b)
{
	int n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->p[i] == '\n';
	return n;
}

/* a reader that keeps its descriptors and resumes at its offsets */
struct reader {
	int bfd, afd;
	off_t boff, aoff;
	struct buf bin, ascii;
};

static void test_view(pid_t pid, struct buf *truth)
{
	char p[512];
	struct reader r;
	struct buf want;
	unsigned int busy = 0;
	int good = 1, fd;
	struct stat st;

	buf_init(&want);
	buf_init(&r.bin);
	buf_init(&r.ascii);
	ok(cat_is("binary_runtime_measurements", "cat"), "view: binary_runtime_measurements has the bytes of cat");
	ok(cat_is("ascii_runtime_measurements", "cat --ascii"), "view: ascii_runtime_measurements has the text of cat --ascii");
	ok(count_of(T.mnt) == T.next, "view: runtime_measurements_count is %u", T.next);
	snprintf(p, sizeof(p), "%s/binary_runtime_measurements", T.mnt);
	r.bfd = open(p, O_RDONLY);
	snprintf(p, sizeof(p), "%s/ascii_runtime_measurements", T.mnt);
	r.afd = open(p, O_RDONLY);
	r.boff = r.aoff = 0;
	good = read_on(r.bfd, &r.boff, &r.bin) > 0 && read_on(r.afd, &r.aoff, &r.ascii) > 0;
	for (int round = 0; round < 4 && good; round++) {
		int rc = export_retrying(&busy);

		measure(3 + (unsigned int)round, truth);
		good = rc == EX_OK && read_on(r.bfd, &r.boff, &r.bin) > 0 &&
		       read_on(r.afd, &r.aoff, &r.ascii) > 0 &&
		       r.bin.len == truth->len && !memcmp(r.bin.p, truth->p, truth->len) &&
		       lines_of(&r.ascii) == (int)T.next && count_of(T.mnt) == T.next;
		if (!good)
			diag("round %d: export %d, %zu bytes read by offset, %zu measured", round, rc,
			     r.bin.len, truth->len);
	}
	ok(good, "view: a reader resuming at its byte offset after each of 4 exports gets exactly the new records (binary and ascii, %u records)",
	   T.next);
	{
		const char *d;
		unsigned long gone = 0;

		buf_append(&want, "", run_out("status", &want) ? 0 : 1);
		d = want.len ? strstr((char *)want.p, "records deleted from the kernel: ") : NULL;
		if (d)
			gone = strtoul(d + 33, NULL, 10);
		ok(gone >= 21, "view: the exports deleted %lu records from the (fake) kernel", gone);
	}
	ok(cat_is("binary_runtime_measurements", "cat") && cat_is("ascii_runtime_measurements", "cat --ascii"),
	   "view: after the exports the files still equal cat and cat --ascii");
	/* entry E of the ascii file is line E, whatever was exported since */
	{
		struct buf all;
		char *line5;

		buf_init(&all);
		snprintf(p, sizeof(p), "%s/ascii_runtime_measurements", T.mnt);
		read_path_all(p, &all);
		buf_append(&all, "", 1);
		line5 = (char *)all.p;
		for (int i = 0; i < 5 && line5; i++)
			line5 = strchr(line5, '\n') ? strchr(line5, '\n') + 1 : NULL;
		ok(line5 && !strncmp(line5, "10 ", 3) && strstr(line5, " /f5\n") == strchr(line5, '\n') - 4,
		   "view: entry 5 (line 6 of the ascii file) is still /f5 after the exports");
		buf_free(&all);
	}
	snprintf(p, sizeof(p), "%s/policy", T.sfs);
	buf_reset(&want);
	read_path_all(p, &want);
	snprintf(p, sizeof(p), "%s/policy", T.mnt);
	ok(file_is(p, &want), "view: policy passes through from the real directory");
	ok(!stat(p, &st) && (st.st_mode & 07777) == 0400, "view: policy keeps its mode without write bits (%o)",
	   st.st_mode & 07777);
	snprintf(p, sizeof(p), "%s/binary_runtime_measurements", T.mnt);
	ok(!stat(p, &st) && (st.st_mode & 07777) == 0440 && st.st_size == 0,
	   "view: binary_runtime_measurements is 0440, size 0 as on securityfs (%o)", st.st_mode & 07777);
	fd = open(p, O_WRONLY);
	ok(fd < 0 && errno == EROFS, "view: opening a list file for writing fails with EROFS");
	if (fd >= 0)
		close(fd);
	snprintf(p, sizeof(p), "%s/policy", T.mnt);
	fd = open(p, O_WRONLY);
	ok(fd < 0 && errno == EROFS, "view: opening a passed-through file for writing fails with EROFS");
	if (fd >= 0)
		close(fd);
	snprintf(p, sizeof(p), "%s/new", T.mnt);
	ok(mkdir(p, 0700) && errno == EROFS && creat(p, 0600) < 0 && errno == EROFS,
	   "view: no file or directory can be created (EROFS)");
	snprintf(p, sizeof(p), "%s/binary_runtime_measurements_staged", T.mnt);
	ok(!access(p, R_OK), "view: the _staged files pass through");
	diag("the view held the store lock %u times when an export wanted it (retried)", busy);
	(void)pid;
	close(r.bfd);
	close(r.afd);
	buf_free(&r.bin);
	buf_free(&r.ascii);
	buf_free(&want);
}

/*
 * A child measures and exports 12 times; meanwhile a reader reads to the
 * end again and again, by a fresh open and by its offset.  No read fails,
 * every full read is a prefix of the final log, the offset reader ends
 * with exactly the final log.
 */
static void test_race(struct buf *truth)
{
	struct buf final, got, whole;
	unsigned long reads = 0, fails = 0, bad = 0;
	char p[256];
	off_t off = 0;
	pid_t child;
	int fd, status;
	unsigned int next0 = T.next;

	buf_init(&final);
	buf_init(&got);
	buf_init(&whole);
	buf_append(&final, truth->p, truth->len);
	tl_list(&final, next0, 12 * 4);
	child = fork();
	if (child == 0) {
		unsigned int busy = 0;

		freopen("/dev/null", "w", stderr);	/* "another ima-export is running" */
		for (int i = 0; i < 12; i++) {
			measure(4, NULL);
			if (export_retrying(&busy) != EX_OK)
				_exit(1);
		}
		_exit(0);
	}
	snprintf(p, sizeof(p), "%s/binary_runtime_measurements", T.mnt);
	fd = open(p, O_RDONLY);
	while (waitpid(child, &status, WNOHANG) == 0) {
		long n = read_on(fd, &off, &got);

		buf_reset(&whole);
		reads++;
		if (n < 0 || read_path_all(p, &whole))
			fails++;
		else if (whole.len > final.len || memcmp(whole.p, final.p, whole.len) ||
			 whole.len < got.len)
			bad++;
	}
	read_on(fd, &off, &got);
	close(fd);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "race: 12 exports while the view is read");
	ok(fails == 0 && bad == 0 && reads > 0,
	   "race: %lu reads to the end during the exports: %lu failed, %lu not a prefix of the log", reads, fails, bad);
	ok(got.len == final.len && !memcmp(got.p, final.p, final.len),
	   "race: the reader resuming at its offset got every record once (%zu bytes)", got.len);
	T.next = next0 + 48;
	buf_reset(truth);
	buf_append(truth, final.p, final.len);
	buf_free(&final);
	buf_free(&got);
	buf_free(&whole);
}

/*
 * An export holds the store's lock (here the test holds it): stat, readdir,
 * the files passed through, the count and every read of the list files
 * still answer, from what the view knew, within the refresh wait; once the
 * lock is free, a read at the end shows the records measured meanwhile.
 */
static void test_never_blocks(struct buf *truth)
{
	char p[512], b[4096];
	struct buf before, got;
	struct timespec t0, t1;
	int lock, status = -1;
	pid_t child;

	buf_init(&before);
	buf_init(&got);
	buf_append(&before, truth->p, truth->len);
	snprintf(p, sizeof(p), "%s/lock", T.store);
	lock = open(p, O_RDONLY);
	ok(lock >= 0 && !flock(lock, LOCK_EX), "blocking: the test holds the store's lock as an export does");
	measure(3, truth);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child = fork();
	if (child == 0) {
		struct stat st;
		DIR *d;
		int fd;

		close(lock);	/* the lock stays the parent's to let go */

		snprintf(p, sizeof(p), "%s/policy", T.mnt);
		if (stat(p, &st) || read_path_all(p, &got))
			_exit(1);
		d = opendir(T.mnt);
		if (!d || !readdir(d))
			_exit(2);
		closedir(d);
		if (count_of(T.mnt) != T.next - 3)
			_exit(3);
		buf_reset(&got);
		snprintf(p, sizeof(p), "%s/binary_runtime_measurements", T.mnt);
		if (read_path_all(p, &got) || got.len != before.len || memcmp(got.p, before.p, got.len))
			_exit(4);
		snprintf(p, sizeof(p), "%s/ascii_runtime_measurements", T.mnt);
		fd = open(p, O_RDONLY);
		if (fd < 0 || pread(fd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
			_exit(5);
		_exit(0);
	}
	/* a view that waits for the lock keeps the child in the kernel, out of
	 * reach of signals: after 30 s the lock is let go, and it fails */
	for (int i = 0; i < 300 && waitpid(child, &status, WNOHANG) == 0; i++)
		usleep(100000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (status == -1) {
		flock(lock, LOCK_UN);
		waitpid(child, NULL, 0);
	}
	ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "blocking: while the lock is held, stat, readdir, policy, the count and whole reads of the lists answer with the log known before (%.1f s, %s %d)",
	   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	   status == -1 ? "no answer in 30 s," : "exit", status == -1 ? 0 : WEXITSTATUS(status));
	flock(lock, LOCK_UN);
	close(lock);
	snprintf(p, sizeof(p), "%s/binary_runtime_measurements", T.mnt);
	ok(file_is(p, truth), "blocking: the lock let go, a read shows the 3 records measured meanwhile");
	buf_free(&before);
	buf_free(&got);
}

/*
 * The store replaced under the view: descriptors opened before fail with
 * EIO (not another log at the same offsets), new ones read the new log,
 * and the view says so.  Then the store comes back.
 */
static void test_reset(const struct buf *truth)
{
	char p[512], q[512], b[256];
	struct buf want, err;
	int fd, eio;

	buf_init(&want);
	buf_init(&err);
	snprintf(p, sizeof(p), "%s/binary_runtime_measurements", T.mnt);
	fd = open(p, O_RDONLY);
	ok(fd >= 0 && pread(fd, b, sizeof(b), 0) == (ssize_t)sizeof(b),
	   "reset: a reader opens the binary list and reads its head");
	snprintf(q, sizeof(q), "%s.away", T.store);
	if (rename(T.store, q))
		abort();
	eio = pread(fd, b, sizeof(b), (off_t)truth->len) < 0 && errno == EIO;
	ok(eio && pread(fd, b, sizeof(b), 0) < 0 && errno == EIO,
	   "reset: the store replaced, that descriptor's reads fail with EIO, at its end and at 0");
	close(fd);
	ok(file_is(p, &(struct buf){ .p = T.st->cur, .len = T.st->cur_len }),
	   "reset: a new descriptor reads the new log (the kernel's list alone, %zu bytes)", T.st->cur_len);
	snprintf(q, sizeof(q), "%s/view.err", T.root);
	read_path_all(q, &err);
	buf_append(&err, "", 1);
	ok(strstr((char *)err.p, "no longer extends what the view showed") != NULL,
	   "reset: the view says the log no longer extends what it showed");
	snprintf(q, sizeof(q), "%s.away", T.store);
	if (rename(q, T.store))
		abort();
	ok(file_is(p, truth), "reset: the store back, a new descriptor reads the whole log again");
	buf_free(&want);
	buf_free(&err);
}

/* the view mounted over the directory it shows */
static void test_over(const struct buf *truth)
{
	struct buf out, want;
	char p[256];
	pid_t pid;
	int rc;

	buf_init(&out);
	buf_init(&want);
	run_out("cat", &want);
	pid = view_start(T.sfs, "");
	ok(pid > 0, "over: the view mounts over the directory it reads");
	snprintf(p, sizeof(p), "%s/binary_runtime_measurements", T.sfs);
	ok(pid > 0 && file_is(p, &want) && want.len == truth->len,
	   "over: its binary_runtime_measurements is the whole log (%zu bytes)", want.len);
	snprintf(p, sizeof(p), "%s/policy", T.sfs);
	read_path_all(p, &out);
	ok(pid > 0 && out.len > 0 && !memcmp(out.p, "measure ", 8), "over: policy still passes through");
	rc = run_out("cat 2>/dev/null", &out);
	ok(rc == EX_INPUT, "over: cat on the view instead of the kernel's directory is refused (exit %d)", rc);
	ok(view_stop(pid, T.sfs), "over: stopped by its pid, the view exits 0 and unmounts");
	buf_free(&out);
	buf_free(&want);
}

/*
 * A dead view over the directory (its daemon gone, no auto_unmount: every
 * access is ENOTCONN): readers and exports look under it as under a live
 * one, instead of failing on the dead mount.
 */
static void test_dead_over(void)
{
	char opts[128];
	struct buf out;
	struct stat st;
	int fd, rc = -1;

	buf_init(&out);
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
		rc = mount("imatest-dead", T.sfs, "fuse", MS_RDONLY, opts);
		close(fd);	/* nobody serves it: the mount is dead */
	}
	ok(rc == 0 && stat(T.sfs, &st) && errno == ENOTCONN,
	   "dead view: a FUSE mount without its daemon covers the directory (ENOTCONN)");
	rc = run_out("cat 2>&1", &out);
	buf_append(&out, "", 1);
	ok(rc == EX_INPUT && strstr((char *)out.p, "there is no securityfs"),
	   "dead view: cat unmounts it in a namespace of its own and looks under it, as for a live view (exit %d)", rc);
	umount2(T.sfs, MNT_DETACH);
	buf_free(&out);
}

static void test_errors(void)
{
	char cmd[2048];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s mount %s/nowhere 2>/dev/null", T.cli, T.root);
	rc = system(cmd);
	ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_INPUT, "mount: a missing mount point exits %d", EX_INPUT);
	snprintf(cmd, sizeof(cmd), "%s mount 2>/dev/null", T.cli);
	rc = system(cmd);
	ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_USAGE, "mount: no mount point exits %d", EX_USAGE);
	snprintf(cmd, sizeof(cmd), "%s --securityfs %s mount %s 2>/dev/null", T.cli, T.root, T.mnt);
	rc = system(cmd);
	ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_NOSTAGING && !is_fuse(T.mnt),
	   "mount: a directory without binary_runtime_measurements_staged exits %d, nothing mounted", EX_NOSTAGING);
	snprintf(cmd, sizeof(cmd), "setpriv --reuid=65534 --regid=65534 --clear-groups %s mount %s 2>/dev/null",
		 T.cli, T.mnt);
	rc = system(cmd);
	ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_PERM && !is_fuse(T.mnt), "mount: not root exits %d", EX_PERM);
}

/* a view killed by SIGKILL takes its mount along (auto_unmount) */
static void test_killed(void)
{
	pid_t pid = view_start(T.mnt, "");
	int i;

	ok(pid > 0, "supervised: the view mounts");
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (i = 0; i < 500 && is_fuse(T.mnt); i++)
		usleep(10000);
	ok(!is_fuse(T.mnt), "supervised: killed by SIGKILL, the view leaves no mount behind (auto_unmount)");
	if (is_fuse(T.mnt))
		umount2(T.mnt, MNT_DETACH);
}

/* without --foreground: mounted when it returns, the pid on stdout */
static void test_daemon(void)
{
	struct buf out;
	pid_t pid;

	buf_init(&out);
	ok(run_out("mount --export-every 3600 2>/dev/null", &out) == EX_USAGE,
	   "mount: --export-every without a mount point exits %d", EX_USAGE);
	{
		char args[256];

		snprintf(args, sizeof(args), "mount %s", T.mnt);
		buf_reset(&out);
		pid = run_out(args, &out) == 0 ? (pid_t)strtol((char *)out.p, NULL, 10) : -1;
	}
	ok(pid > 0 && is_fuse(T.mnt) && kill(pid, 0) == 0,
	   "mount: without --foreground it returns once mounted and prints the pid of the view (%d)", (int)pid);
	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 500 && is_fuse(T.mnt); i++)
			usleep(10000);
	}
	ok(!is_fuse(T.mnt), "mount: SIGTERM to that pid unmounts the view");
	if (is_fuse(T.mnt))
		umount2(T.mnt, MNT_DETACH);
	{
		/* relative paths, then the daemon changes to / */
		char cmd[2048];
		FILE *p;

		snprintf(cmd, sizeof(cmd),
			 "cd %s && %s/../ima-export -q --store store --securityfs ima --boot-key " KEY " --boot-id boot_id mount view 2>>view.err",
			 T.root, TESTS_DIR);
		buf_reset(&out);
		p = popen(cmd, "r");
		if (p) {
			read_fd_all(fileno(p), &out);
			pid = pclose(p) == 0 ? (pid_t)strtol((char *)out.p, NULL, 10) : -1;
		} else {
			pid = -1;
		}
		measure(5, NULL);
		ok(pid > 0 && is_fuse(T.mnt) && cat_is("binary_runtime_measurements", "cat") &&
		   access("/store", F_OK) && access("/boot_id", F_OK),
		   "mount: relative --store and --boot-id, daemonised: the view serves the whole log after new measurements (%d)",
		   (int)pid);
		if (pid > 0)
			kill(pid, SIGTERM);
		for (int i = 0; i < 500 && is_fuse(T.mnt); i++)
			usleep(10000);
		if (is_fuse(T.mnt))
			umount2(T.mnt, MNT_DETACH);
	}
	buf_free(&out);
}

void test_fuse(void)
{
	struct buf truth;
	char cmd[512];
	pid_t pid;

	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK)) {
		ok(1, "# SKIP FUSE view: needs root and /dev/fuse (%s)",
		   geteuid() ? "not root" : strerror(errno));
		return;
	}
	if (setup()) {
		ok(0, "FUSE view: scratch directories");
		return;
	}
	quiet = 1;
	buf_init(&truth);
	measure(21, &truth);
	test_errors();
	pid = view_start(T.mnt, "");
	ok(pid > 0, "view: ima-export mount --foreground mounts a FUSE file system");
	if (pid > 0) {
		test_view(pid, &truth);
		test_race(&truth);
		ok(cat_is("binary_runtime_measurements", "cat"), "view: after the race it still equals cat");
		test_never_blocks(&truth);
		test_reset(&truth);
	}
	ok(view_stop(pid, T.mnt), "view: stopped by its pid, it exits 0 and unmounts");
	test_over(&truth);
	test_dead_over();
	test_killed();
	test_daemon();
	snprintf(cmd, sizeof(cmd), "%s/view.err", T.root);
	{
		struct buf err;

		buf_init(&err);
		read_path_all(cmd, &err);
		if (err.len)
			diag("view stderr: %.*s", (int)(err.len > 600 ? 600 : err.len), (char *)err.p);
		buf_free(&err);
	}
	fake_kernel_free(&T.k);
	fake_free(T.st);
	close(T.sfsfd);
	buf_free(&truth);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T.root);
	if (system(cmd))
		diag("cannot remove %s", T.root);
}
