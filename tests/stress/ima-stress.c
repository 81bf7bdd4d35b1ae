// SPDX-License-Identifier: GPL-2.0
/*
 * ima-stress: a seeded random concurrent stress of IMA measurement staging
 * (shared/SPEC.md), run in the test guest as root with the test policy
 * loaded (files owned by uid 4242 are measured when read).
 *
 *   ima-stress [-s SEED] [-t SECONDS] [-f] [-d DIR] [-a ARCHIVE]
 *     -f   the kernel was booted with ima_flush_htable (N is refused)
 *     -d   work directory, on tmpfs (default /run/ima-stress)
 *     -a   records deleted before this run (binary), which start the store
 *     -L   fault: after the agent's first delete its checks leave the
 *          store out of the replay (they must then fail); the run ends
 *          after that check.  The store itself stays right.
 *
 * For the given time, at once:
 *   - measurers create files, re-read old ones (the hash table is hit)
 *     and rewrite some;
 *   - readers read the four list files and the count, and parse what they
 *     read: a whole, valid list every time;
 *   - one agent stages, reads, stores and deletes (A/D on one descriptor or
 *     on several, N computed from what it read, two threads racing on one
 *     O_RDWR descriptor), dies by SIGKILL at chosen points and is resumed;
 *   - a writer and a reader without CAP_SYS_ADMIN race for the files.
 * Every open is checked against the one-writer rule both ways (EBUSY
 * exactly when a conflicting descriptor may exist, success never while
 * one surely exists), every request against the errors SPEC.md allows in
 * that state.  After every agent step the measurers are paused and the
 * invariant is checked: stored ++ staged ++ current replays to PCR 10 of
 * every TPM bank, and the count, ascii and binary files agree.
 *
 * The seed is printed first; each process draws its operations from its
 * own generator seeded from it, so the same seed gives the same schedule
 * of operations (their interleaving is the scheduler's).  Exit 0 when no
 * invariant broke, 1 otherwise, 2 on usage or setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "imalog.h"
#include "replay.h"
#include "tpm.h"
#include "util.h"

#define IMA "/sys/kernel/security/ima/"
#define TPM_DIR "/sys/class/tpm/tpm0"
#define OWNER 4242		/* the guest's test policy measures these */
#define NMEASURERS 3
#define NREADERS 2

enum { F_BIN, F_ASCII, F_BIN_STAGED, F_ASCII_STAGED, F_COUNT, NFILES };
static const char *const files[NFILES] = {
	IMA "binary_runtime_measurements",
	IMA "ascii_runtime_measurements",
	IMA "binary_runtime_measurements_staged",
	IMA "ascii_runtime_measurements_staged",
	IMA "runtime_measurements_count",
};
static int is_staged(int f) { return f == F_BIN_STAGED || f == F_ASCII_STAGED; }
static int is_ascii(int f) { return f == F_ASCII || f == F_ASCII_STAGED; }

/* Operations counted, by kind. */
#define OPS(X) \
	X(measure_new) X(measure_reread) X(measure_rewrite) \
	X(read_bin) X(read_ascii) X(read_bin_staged) X(read_ascii_staged) \
	X(read_count) X(reader_ebusy) \
	X(A) X(A_eexist) X(A_enoent) X(D) X(D_enoent) X(N) X(N_eexist) \
	X(N_einval_flush) X(N_enoent) X(shared_fd_tx) X(shared_fd_einval) \
	X(agent_ebusy) X(agent_killed) X(agent_resumed) \
	X(racer_open) X(racer_ebusy) X(racer_request) X(racer_read) \
	X(noncap_eperm) X(noncap_read)
#define OP_ENUM(n) OP_##n,
#define OP_NAME(n) #n,
enum { OPS(OP_ENUM) NOPS };
static const char *const op_names[NOPS] = { OPS(OP_NAME) };

/*
 * Open bookkeeping for the one-writer rule: a slot per descriptor role.
 * seq is odd from just before an open is tried until just after the
 * descriptor is closed (or the open failed); holding is 1 while the
 * descriptor is surely open.
 */
enum { S_AGENT_W, S_AGENT_R, S_RACER_W, S_NONCAP_R, S_READER0, NSLOTS = S_READER0 + NREADERS };
static const int slot_writer[NSLOTS] = { [S_AGENT_W] = 1, [S_RACER_W] = 1 };
struct slot {
	atomic_ulong seq;
	atomic_int holding;
};

enum { P_NONE, P_D, P_N };
struct shared {
	atomic_int stop;
	atomic_ulong ops[NOPS];
	atomic_ulong checks, breaks;
	pthread_mutex_t pause[NMEASURERS];	/* robust: held while measuring */
	struct slot slots[NSLOTS];
	/* the agent's state, which outlives a killed agent */
	uint64_t agent_rng;
	atomic_int staged;		/* -1 unknown, 0 nothing staged, 1 staged */
	uint64_t committed;		/* bytes of the store that are final */
	/* the replay of the first stored_len bytes of the store: a resumed agent
	 * takes it when stored_len == committed instead of replaying it all */
	struct pcr_state stored_pcr;
	uint64_t stored_len;
	struct { int kind; uint64_t off, len; unsigned long k; } pending;
};

static struct shared *sh;
static int flush_mode;
static int lose_chunk;	/* -L: checks forget the store after the first delete */
static int lost;
static const char *workdir = "/run/ima-stress";
static char store_path[4096];
static const char *role = "main";

/* splitmix64: small, and its whole state fits in the shared page */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static uint64_t rng;
static unsigned int rnd(unsigned int n) { return n ? (unsigned int)(next_rand(&rng) % n) : 0; }

static void count_op(int op) { atomic_fetch_add(&sh->ops[op], 1); }

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(1, line, (size_t)n) < 0)
		return;
}

/* An invariant broke: say what, count it. */
static void broke(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void broke(const char *fmt, ...)
{
	char what[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (atomic_fetch_add(&sh->breaks, 1) < 50)
		say("BREAK [%s]: %s", role, what);
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *err_name(int e)
{
	static __thread char other[16];

	switch (e) {
	case 0: return "success";
	case EBUSY: return "EBUSY";
	case EPERM: return "EPERM";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case ESPIPE: return "ESPIPE";
	case EACCES: return "EACCES";
	case ESTALE: return "ESTALE";
	case ENOSPC: return "ENOSPC";
	}
	snprintf(other, sizeof(other), "errno %d", e);
	return other;
}

/* ---- opens checked against the one-writer rule ---- */

struct snap {
	unsigned long seq[NSLOTS];
	int holding[NSLOTS];
};

/* Does slot j conflict with an open of kind `writer`? */
static int conflicts(int j, int writer) { return writer || slot_writer[j]; }

/*
 * open() the list file f for slot `self` (its kind says how); returns the
 * descriptor or -errno.  An EBUSY with no conflicting open around, or a
 * success while a conflicting descriptor was open all along, is a break.
 */
static int guarded_open(int self, int f, int flags)
{
	struct slot *me = &sh->slots[self];
	int writer = (flags & O_ACCMODE) != O_RDONLY, fd, e = 0;
	struct snap before, after;
	int possible = 0;

	atomic_fetch_add(&me->seq, 1);
	for (int j = 0; j < NSLOTS; j++) {
		before.seq[j] = atomic_load(&sh->slots[j].seq);
		before.holding[j] = atomic_load(&sh->slots[j].holding);
	}
	fd = open(files[f], flags | O_CLOEXEC);
	if (fd < 0)
		e = errno;
	for (int j = 0; j < NSLOTS; j++) {
		after.holding[j] = atomic_load(&sh->slots[j].holding);
		after.seq[j] = atomic_load(&sh->slots[j].seq);
	}
	for (int j = 0; j < NSLOTS; j++) {
		if (j == self || !conflicts(j, writer))
			continue;
		if ((before.seq[j] & 1) || after.seq[j] != before.seq[j])
			possible = 1;
		if (fd >= 0 && before.holding[j] && after.holding[j] &&
		    before.seq[j] == after.seq[j])
			broke("open(%s, %s) succeeded while slot %d held a conflicting descriptor",
			      files[f], writer ? "write" : "read", j);
	}
	if (e == EBUSY && !possible)
		broke("open(%s, %s): EBUSY with no conflicting descriptor open",
		      files[f], writer ? "write" : "read");
	if (fd >= 0) {
		atomic_store(&me->holding, 1);
		return fd;
	}
	atomic_fetch_add(&me->seq, 1);
	return -e;
}

static void guarded_close(int self, int fd)
{
	atomic_store(&sh->slots[self].holding, 0);
	close(fd);
	atomic_fetch_add(&sh->slots[self].seq, 1);
}

/* Open for `self`, waiting out EBUSY (up to about `tries` attempts). */
static int open_retry(int self, int f, int flags, int tries, int busy_op)
{
	int fd;

	while ((fd = guarded_open(self, f, flags)) == -EBUSY && tries-- > 0) {
		count_op(busy_op);
		pause_ms(1 + rnd(4));
	}
	if (fd < 0 && fd != -EBUSY)
		broke("open(%s): %s", files[f], err_name(-fd));
	return fd;
}

/* ---- reading and parsing the lists ---- */

/* Read fd to its end in chunks of random sizes; 0 or -errno. */
static int read_chunks(int fd, struct buf *b, uint64_t *r)
{
	static const size_t sizes[] = { 1, 7, 64, 333, 4096, 65536 };

	for (;;) {
		size_t want = sizes[next_rand(r) % 6];
		ssize_t n;

		if (buf_reserve(b, want))
			return -ENOMEM;
		n = read(fd, b->p + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		b->len += (size_t)n;
	}
}

/* A whole binary list with good template digests: its record count, or -1. */
static long parse_bin(const struct buf *b, const char *what)
{
	struct ima_list_info info;
	char err[256];

	if (ima_list_scan(b->p, b->len, 1, &info, err, sizeof(err))) {
		broke("%s: not a whole valid binary list (%zu bytes): %s", what, b->len, err);
		return -1;
	}
	return (long)info.records;
}

/*
 * A whole ascii list: lines "PP <40 hex> <template> ...".  Its line count,
 * or -1.  digests, when not NULL, gets the template digests in order.
 */
static long parse_ascii(const struct buf *b, const char *what, uint8_t (*digests)[IMA_DIGEST_SIZE],
			long max)
{
	const char *p = (const char *)b->p, *end = p + b->len;
	long lines = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char hex[2 * IMA_DIGEST_SIZE + 1];

		if (!nl || nl - p < 46 || p[2] != ' ' || p[43] != ' ' || p[44] == ' ' ||
		    (p[0] != ' ' && (p[0] < '0' || p[0] > '9')) || p[1] < '0' || p[1] > '9')
			goto bad;
		memcpy(hex, p + 3, 2 * IMA_DIGEST_SIZE);
		hex[2 * IMA_DIGEST_SIZE] = '\0';
		if (digests && lines < max) {
			if (hex_decode(hex, digests[lines], IMA_DIGEST_SIZE))
				goto bad;
		} else {
			uint8_t d[IMA_DIGEST_SIZE];

			if (hex_decode(hex, d, IMA_DIGEST_SIZE))
				goto bad;
		}
		lines++;
		p = nl + 1;
	}
	return lines;
bad:
	broke("%s: line %ld is not an ascii measurement line", what, lines + 1);
	return -1;
}

static long parse_count(const struct buf *b, const char *what)
{
	char s[32];
	char *e;
	long v;

	if (b->len == 0 || b->len >= sizeof(s) || b->p[b->len - 1] != '\n')
		goto bad;
	memcpy(s, b->p, b->len);
	s[b->len - 1] = '\0';
	errno = 0;
	v = strtol(s, &e, 10);
	if (errno || *e || e == s || v < 0)
		goto bad;
	return v;
bad:
	broke("%s: not a count: \"%.*s\"", what, (int)(b->len < 30 ? b->len : 30), (const char *)b->p);
	return -1;
}

/*
 * The count in one read(): the file formats the current value at every
 * read() (simple_read_from_buffer, as in stock 6.1), so reading on past
 * the first read can append bytes of a later, longer value.
 */
static int read_count_fd(int fd, struct buf *b)
{
	ssize_t n;

	if (buf_reserve(b, 64))
		return -ENOMEM;
	n = read(fd, b->p + b->len, 64);
	if (n < 0)
		return -errno;
	b->len += (size_t)n;
	return 0;
}

static long read_count(void)
{
	int fd = open(files[F_COUNT], O_RDONLY | O_CLOEXEC), rc;
	struct buf b;
	long v;

	if (fd < 0) {
		broke("open %s: %s", files[F_COUNT], err_name(errno));
		return -1;
	}
	buf_init(&b);
	rc = read_count_fd(fd, &b);
	close(fd);
	v = rc ? -1 : parse_count(&b, files[F_COUNT]);
	if (rc)
		broke("read %s: %s", files[F_COUNT], err_name(-rc));
	buf_free(&b);
	return v;
}

/* ---- measurers ---- */

static void lock_robust(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) == EOWNERDEAD)
		pthread_mutex_consistent(m);	/* a killed agent held it */
}

static int write_file(const char *path, int flags, const char *text)
{
	int fd = open(path, O_WRONLY | flags | O_CLOEXEC, 0644), rc;

	if (fd < 0)
		return -errno;
	rc = write_all(fd, text, strlen(text));
	if (!rc && fchown(fd, OWNER, (gid_t)-1))
		rc = -errno;
	close(fd);
	return rc;
}

static int read_file(const char *path)
{
	char tmp[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (read(fd, tmp, sizeof(tmp)) > 0)
		;
	close(fd);
	return 0;
}

static void measurer(int i)
{
	char dir[4200], path[4300], text[128];
	unsigned long made = 0;

	snprintf(dir, sizeof(dir), "%s/m%d", workdir, i);
	mkdir(dir, 0755);
	while (!atomic_load(&sh->stop)) {
		unsigned int what = made ? rnd(10) : 0;
		unsigned long n = what < 5 ? made : rnd((unsigned int)made);
		int rc = 0;

		snprintf(path, sizeof(path), "%s/f%lu", dir, n);
		snprintf(text, sizeof(text), "measurer %d file %lu draw %" PRIu64 "\n", i, n,
			 next_rand(&rng));
		lock_robust(&sh->pause[i]);
		if (what < 5 || what >= 8)
			rc = write_file(path, O_CREAT | O_TRUNC, text);
		if (!rc)
			rc = read_file(path);
		pthread_mutex_unlock(&sh->pause[i]);
		if (rc) {
			broke("measurer %d: %s: %s", i, path, strerror(-rc));
			return;
		}
		if (what < 5)
			made++;
		count_op(what < 5 ? OP_measure_new : what < 8 ? OP_measure_reread : OP_measure_rewrite);
		pause_ms(rnd(4));
	}
}

/* ---- readers ---- */

/*
 * Read list file f once as a reader, and check it: a whole valid list; for
 * the current list, no fewer records than the count before the read and
 * no more than the count after it (nobody can delete while we read).
 */
static void read_list_once(int self, int f, int op)
{
	long before, after, n;
	struct buf b;
	int fd, rc;

	/* the count is not one of the list files of the one-writer rule */
	fd = f == F_COUNT ? open(files[f], O_RDONLY | O_CLOEXEC) : guarded_open(self, f, O_RDONLY);
	if (fd < 0 && f == F_COUNT)
		fd = -errno;
	if (fd == -EBUSY) {
		count_op(OP_reader_ebusy);
		return;
	}
	if (fd < 0) {
		broke("open(%s) for reading: %s", files[f], err_name(-fd));
		return;
	}
	buf_init(&b);
	before = f == F_BIN || f == F_ASCII ? read_count() : 0;
	rc = f == F_COUNT ? read_count_fd(fd, &b) : read_chunks(fd, &b, &rng);
	after = f == F_BIN || f == F_ASCII ? read_count() : 0;
	if (f == F_COUNT)
		close(fd);
	else
		guarded_close(self, fd);
	if (rc) {
		broke("read(%s): %s", files[f], err_name(-rc));
	} else if (f == F_COUNT) {
		parse_count(&b, files[f]);
	} else {
		n = is_ascii(f) ? parse_ascii(&b, files[f], NULL, 0) : parse_bin(&b, files[f]);
		if (n >= 0 && !is_staged(f) && (n < before || n > after))
			broke("%s: %ld records, the count said %ld before and %ld after",
			      files[f], n, before, after);
	}
	count_op(op);
	buf_free(&b);
}

static void reader(int i)
{
	static const int ops[NFILES] = { OP_read_bin, OP_read_ascii, OP_read_bin_staged,
					 OP_read_ascii_staged, OP_read_count };

	while (!atomic_load(&sh->stop)) {
		int f = (int)rnd(NFILES);

		read_list_once(S_READER0 + i, f, ops[f]);
		pause_ms(rnd(20));
	}
}

/* ---- writers racing for the files ---- */

/* A request that must fail and change nothing, with the error it must get. */
struct bad_req { const char *text; size_t len; int err; int on_staged; int on_current; };
static const struct bad_req bad_reqs[] = {
	{ "0", 1, EINVAL, 1, 1 }, { "+1", 2, EINVAL, 1, 1 }, { " 1", 2, EINVAL, 1, 1 },
	{ "1 ", 2, EINVAL, 1, 1 }, { "0x10", 4, EINVAL, 1, 1 }, { "12a", 3, EINVAL, 1, 1 },
	{ "A\n\n", 3, EINVAL, 1, 1 }, { "AA", 2, EINVAL, 1, 1 }, { "a", 1, EINVAL, 1, 1 },
	{ "1\0", 2, EINVAL, 1, 1 }, { "-1", 2, EINVAL, 1, 1 }, { "01", 2, EINVAL, 1, 1 },
	{ "1111111111111111111111", 22, EINVAL, 1, 1 },
	{ "D\n", 2, EINVAL, 0, 1 }, { "1", 1, EINVAL, 1, 0 },
	{ "18446744073709551616", 20, ERANGE, 0, 1 }, { "99999999999999999999\n", 21, ERANGE, 0, 1 },
};
#define NBAD (sizeof(bad_reqs) / sizeof(bad_reqs[0]))

static int request(int fd, const char *text, size_t len)
{
	ssize_t n = write(fd, text, len);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? errno : EIO;
}

/* With the writer held by someone else than the agent, the staged state is stable. */
static int state_req(int fd, int f, const char **what)
{
	int staged = atomic_load(&sh->staged), e, want;

	if (is_staged(f)) {
		/* only when it must fail: D with nothing staged, A with records staged */
		if (staged == 0) {
			*what = "D";
			e = request(fd, "D", 1);
			want = ENOENT;
		} else if (staged == 1) {
			*what = "A";
			e = request(fd, "A\n", 2);
			want = EEXIST;
		} else {
			return -1;
		}
	} else {
		*what = "ULONG_MAX";
		e = request(fd, "18446744073709551615", 20);
		want = flush_mode ? EINVAL : staged == 1 ? EEXIST : ENOENT;
		if (staged < 0 && !flush_mode && (e == EEXIST || e == ENOENT))
			want = e;
	}
	return e == want ? 0 : e;
}

static void racer(void)
{
	while (!atomic_load(&sh->stop)) {
		int f = (int)rnd(4), fd, e;
		int flags = rnd(2) ? O_RDWR : O_WRONLY;
		const char *what = "";

		pause_ms(rnd(30));
		fd = guarded_open(S_RACER_W, f, flags);
		count_op(OP_racer_open);
		if (fd == -EBUSY) {
			count_op(OP_racer_ebusy);
			continue;
		}
		if (fd < 0) {
			broke("racer open(%s): %s", files[f], err_name(-fd));
			continue;
		}
		for (int k = 1 + (int)rnd(4); k > 0; k--) {
			unsigned int pick = rnd((unsigned int)NBAD + 3);
			const struct bad_req *r = &bad_reqs[pick % NBAD];

			if (pick == NBAD) {
				e = pwrite(fd, "A", 1, 0) < 0 ? errno : 0;
				what = "pwrite";
				if (e != ESPIPE)
					broke("racer %s on %s: %s, want ESPIPE", what, files[f], err_name(e));
			} else if (pick == NBAD + 1) {
				e = state_req(fd, f, &what);
				if (e > 0)
					broke("racer %s on %s: %s (staged state %d%s)", what, files[f],
					      err_name(e), atomic_load(&sh->staged),
					      flush_mode ? ", ima_flush_htable" : "");
			} else if (pick == NBAD + 2 && flags == O_RDWR) {
				struct buf b;

				buf_init(&b);
				if (read_chunks(fd, &b, &rng) < 0)
					broke("racer read(%s) on its writer descriptor failed", files[f]);
				else if (is_ascii(f))
					parse_ascii(&b, files[f], NULL, 0);
				else
					parse_bin(&b, files[f]);
				buf_free(&b);
				count_op(OP_racer_read);
				continue;
			} else if ((is_staged(f) && r->on_staged) || (!is_staged(f) && r->on_current)) {
				e = request(fd, r->text, r->len);
				if (e != r->err)
					broke("racer request \"%.*s\" on %s: %s, want %s", (int)r->len,
					      r->text, files[f], err_name(e), err_name(r->err));
			}
			count_op(OP_racer_request);
		}
		pause_ms(rnd(3));
		guarded_close(S_RACER_W, fd);
	}
}

/* uid 0 without CAP_SYS_ADMIN: every open for writing is EPERM. */
static void noncap(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data)) {
		broke("capget: %s", strerror(errno));
		return;
	}
	data[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	data[CAP_SYS_ADMIN / 32].permitted &= ~(1U << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &hdr, data)) {
		broke("capset: %s", strerror(errno));
		return;
	}
	while (!atomic_load(&sh->stop)) {
		int f = (int)rnd(4), fd;

		if (rnd(2)) {
			fd = open(files[f], (rnd(2) ? O_RDWR : O_WRONLY) | O_CLOEXEC);
			if (fd >= 0 || errno != EPERM)
				broke("open(%s) for writing without CAP_SYS_ADMIN: %s, want EPERM",
				      files[f], fd >= 0 ? "success" : err_name(errno));
			if (fd >= 0)
				close(fd);
			count_op(OP_noncap_eperm);
		} else {
			read_list_once(S_NONCAP_R, f, OP_noncap_read);
		}
		pause_ms(rnd(25));
	}
}

/* ---- the agent ---- */

static int store_fd = -1;
static struct pcr_state stored_pcr;	/* replay of the committed store */

/* Draw from the agent's generator, which a resumed agent continues. */
static unsigned int agent_rnd(unsigned int n)
{
	uint64_t s = sh->agent_rng;
	unsigned int v = n ? (unsigned int)(next_rand(&s) % n) : 0;

	sh->agent_rng = s;
	return v;
}

/* Die here if this transaction was drawn to die at `point`. */
static int kill_at;
static void kill_point(int point)
{
	if (point != kill_at)
		return;
	count_op(OP_agent_killed);
	/* our descriptors stay open until the kernel closes them: no longer sure */
	atomic_store(&sh->slots[S_AGENT_W].holding, 0);
	atomic_store(&sh->slots[S_AGENT_R].holding, 0);
	raise(SIGKILL);
}

static int store_at(uint64_t off, const struct buf *b)
{
	if (ftruncate(store_fd, (off_t)off) ||
	    (b->len && pwrite(store_fd, b->p, b->len, (off_t)off) != (ssize_t)b->len) ||
	    fdatasync(store_fd))
		return -errno;
	return 0;
}

static void set_pending(int kind, uint64_t len, unsigned long k)
{
	sh->pending.off = sh->committed;
	sh->pending.len = len;
	sh->pending.k = k;
	atomic_thread_fence(memory_order_seq_cst);
	sh->pending.kind = kind;
}

/* The pending chunk is deleted from the kernel: it is part of the store. */
static void commit_pending(void)
{
	uint64_t off = sh->pending.off, len = sh->pending.len;
	struct buf b;
	char err[256];

	buf_init(&b);
	if (buf_reserve(&b, len) == 0 &&
	    pread(store_fd, b.p, len, (off_t)off) == (ssize_t)len) {
		b.len = len;
		if (replay_buf(&stored_pcr, b.p, b.len, err, sizeof(err)))
			broke("stored chunk at %" PRIu64 " does not parse: %s", off, err);
	} else {
		broke("cannot read back the stored chunk at %" PRIu64, off);
	}
	buf_free(&b);
	if (lose_chunk && len && !lost) {
		lost = 1;
		say("fault: the checks now leave out the %" PRIu64 " stored bytes", off + len);
	}
	sh->stored_len = UINT64_MAX;
	atomic_thread_fence(memory_order_seq_cst);
	sh->stored_pcr = stored_pcr;
	if (sh->committed == off)
		sh->committed = off + len;
	atomic_thread_fence(memory_order_seq_cst);
	sh->stored_len = sh->committed;
	sh->pending.kind = P_NONE;
}

static void cancel_pending(void)
{
	sh->pending.kind = P_NONE;
	if (ftruncate(store_fd, (off_t)sh->committed))
		broke("truncate the store: %s", strerror(errno));
}

/* Take the list of file f as a reader (waiting out writers). */
static int snapshot(int f, struct buf *b)
{
	int fd = open_retry(S_AGENT_R, f, O_RDONLY, 1000, OP_agent_ebusy), rc;

	if (fd < 0)
		return fd;
	rc = read_chunks(fd, b, &rng);
	guarded_close(S_AGENT_R, fd);
	if (rc)
		broke("read(%s): %s", files[f], err_name(-rc));
	return rc;
}

/*
 * The invariant, with the measurers paused: stored ++ staged ++ current
 * replays to PCR 10 of every bank; count == records == ascii lines; the
 * ascii lists show the binary lists' digests; the staged state is known.
 */
static void check(const char *after)
{
	int fds[4] = { -1, -1, -1, -1 }, banks_seen = 0;
	struct buf b[4];
	long n[4], count;
	struct pcr_state st = stored_pcr;
	char err[256];

	if (lost)
		replay_init(&st);	/* the fault of -L */

	for (int i = 0; i < NMEASURERS; i++)
		lock_robust(&sh->pause[i]);
	for (int f = 0; f < 4; f++)
		buf_init(&b[f]);
	/* all four open at once: one view, nobody can stage or delete meanwhile */
	fds[F_BIN] = open_retry(S_AGENT_R, F_BIN, O_RDONLY, 5000, OP_agent_ebusy);
	for (int f = 1; f < 4 && fds[F_BIN] >= 0; f++) {
		/* the slot stays "holding" through fds[F_BIN] */
		fds[f] = open(files[f], O_RDONLY | O_CLOEXEC);
		if (fds[f] < 0)
			broke("open(%s) while holding a reader: %s", files[f], err_name(errno));
	}
	if (fds[F_BIN] < 0 || fds[1] < 0 || fds[2] < 0 || fds[3] < 0)
		goto out;
	count = read_count();
	for (int f = 0; f < 4; f++)
		if (read_chunks(fds[f], &b[f], &rng))
			broke("read(%s): %s", files[f], strerror(errno));
	n[F_BIN] = parse_bin(&b[F_BIN], files[F_BIN]);
	n[F_BIN_STAGED] = parse_bin(&b[F_BIN_STAGED], files[F_BIN_STAGED]);
	for (int f = F_ASCII; f <= F_ASCII_STAGED; f += 2) {
		int bf = f == F_ASCII ? F_BIN : F_BIN_STAGED;
		long nb = n[bf] > 0 ? n[bf] : 0;
		uint8_t (*dig)[IMA_DIGEST_SIZE] = calloc((size_t)nb + 1, IMA_DIGEST_SIZE);
		struct ima_rec r;
		size_t pos = 0;

		n[f] = parse_ascii(&b[f], files[f], dig, nb);
		if (n[f] != n[bf])
			broke("after %s: %s has %ld lines, %s %ld records", after, files[f], n[f],
			      files[bf], n[bf]);
		for (long i = 0; n[f] == n[bf] && i < nb &&
		     ima_parse_next(b[bf].p, b[bf].len, &pos, &r, (unsigned long)i, err, sizeof(err)) == 1; i++)
			if (memcmp(r.digest, dig[i], IMA_DIGEST_SIZE)) {
				broke("after %s: record %ld of %s differs from line %ld of %s",
				      after, i, files[bf], i + 1, files[f]);
				break;
			}
		free(dig);
	}
	if (count != n[F_BIN])
		broke("after %s: runtime_measurements_count %ld, the list has %ld records",
		      after, count, n[F_BIN]);
	if (atomic_load(&sh->staged) >= 0 && atomic_load(&sh->staged) != (n[F_BIN_STAGED] > 0))
		broke("after %s: the agent thinks %s staged, the staged list has %ld records",
		      after, sh->staged ? "records are" : "nothing is", n[F_BIN_STAGED]);
	if (replay_buf(&st, b[F_BIN_STAGED].p, b[F_BIN_STAGED].len, err, sizeof(err)) ||
	    replay_buf(&st, b[F_BIN].p, b[F_BIN].len, err, sizeof(err)))
		broke("after %s: replay: %s", after, err);
	for (int k = 0; k < NBANKS; k++) {
		uint8_t pcr[PCR_MAX];
		int rc = tpm_read_pcr(TPM_DIR, k, IMA_PCR, pcr);

		if (rc == -ENOENT)
			continue;
		banks_seen++;
		if (rc) {
			broke("read PCR 10 of bank %s: %s", banks[k].name, strerror(-rc));
		} else if (memcmp(pcr, st.full[k], banks[k].size) &&
			   memcmp(pcr, st.pad[k], banks[k].size)) {
			char hex[2 * PCR_MAX + 1];

			hex_encode(pcr, banks[k].size, hex);
			broke("after %s: stored (%" PRIu64 " bytes) ++ staged (%ld) ++ current (%ld) "
			      "does not replay to PCR 10 of bank %s (%s)", after, sh->committed,
			      n[F_BIN_STAGED], n[F_BIN], banks[k].name, hex);
		}
	}
	if (!banks_seen)
		broke("no PCR banks under %s", TPM_DIR);
	atomic_fetch_add(&sh->checks, 1);
out:
	for (int f = 3; f >= 1; f--)
		if (fds[f] >= 0)
			close(fds[f]);
	if (fds[F_BIN] >= 0)
		guarded_close(S_AGENT_R, fds[F_BIN]);
	for (int f = 0; f < 4; f++)
		buf_free(&b[f]);
	for (int i = NMEASURERS - 1; i >= 0; i--)
		pthread_mutex_unlock(&sh->pause[i]);
}

/* A request of the agent's: the staged state is unknown until it is checked. */
static int agent_req(int fd, const char *text)
{
	int e;

	atomic_store(&sh->staged, -1);
	e = request(fd, text, strlen(text));
	return e;
}

/* "A" with c0 records counted before: sets the staged state; 0 if staged now. */
static int agent_stage(int fd, const char *file, long c0, int was_staged)
{
	int e = agent_req(fd, rnd(2) ? "A" : "A\n");

	if (e == 0 && !was_staged) {
		count_op(OP_A);
	} else if (e == EEXIST && was_staged) {
		count_op(OP_A_eexist);
	} else if (e == ENOENT && !was_staged && c0 == 0) {
		count_op(OP_A_enoent);
	} else {
		broke("A on %s: %s with %s staged and %ld records counted before", file,
		      err_name(e), was_staged ? "records" : "nothing", c0);
		atomic_store(&sh->staged, -1);
		return -1;
	}
	atomic_store(&sh->staged, e != ENOENT);
	return e == ENOENT ? -1 : 0;
}

/* Resume after a kill: settle the chunk stored for a request in flight. */
static void agent_settle(int resumed)
{
	struct buf staged, cur, chunk;

	if (resumed)
		count_op(OP_agent_resumed);
	buf_init(&staged);
	buf_init(&cur);
	buf_init(&chunk);
	/* a pending chunk must be settled: wait out any run of EBUSY */
	for (int rc = -EBUSY; rc == -EBUSY;) {
		buf_reset(&staged);
		buf_reset(&cur);
		rc = snapshot(F_BIN_STAGED, &staged);
		if (!rc)
			rc = snapshot(F_BIN, &cur);
		if (rc && rc != -EBUSY)
			goto out;
	}
	if (sh->pending.kind != P_NONE && sh->committed == sh->pending.off + sh->pending.len) {
		sh->pending.kind = P_NONE;	/* killed between the two commit steps */
	} else if (sh->pending.kind != P_NONE) {
		uint64_t len = sh->pending.len;

		if (buf_reserve(&chunk, len) ||
		    pread(store_fd, chunk.p, len, (off_t)sh->pending.off) != (ssize_t)len) {
			broke("resume: cannot read the pending chunk");
			goto out;
		}
		chunk.len = len;
		if (sh->pending.kind == P_D) {
			if (staged.len == 0) {
				commit_pending();	/* D was done */
			} else {
				if (staged.len != len || memcmp(staged.p, chunk.p, len))
					broke("resume: the staged list (%zu bytes) is not the chunk stored for D (%zu bytes)",
					      staged.len, (size_t)len);
				cancel_pending();	/* D to do again */
			}
		} else {
			/* N: not done if the current list still starts with the chunk */
			if (cur.len >= len && !memcmp(cur.p, chunk.p, len))
				cancel_pending();
			else
				commit_pending();
		}
	}
	atomic_store(&sh->staged, staged.len > 0);
out:
	buf_free(&staged);
	buf_free(&cur);
	buf_free(&chunk);
}

/* A, read, store, D on one O_RDWR descriptor of a _staged file. */
static void tx_one_fd(void)
{
	int f = rnd(2) ? F_BIN_STAGED : F_ASCII_STAGED;
	int fd = open_retry(S_AGENT_W, f, O_RDWR, 1000, OP_agent_ebusy), e;
	struct buf b;
	long c0;

	if (fd < 0)
		return;
	buf_init(&b);
	kill_point(1);
	c0 = read_count();
	if (agent_stage(fd, files[f], c0, atomic_load(&sh->staged) == 1))
		goto out;
	kill_point(2);
	if (f == F_ASCII_STAGED) {
		/* the binary list to store: this descriptor shows the ascii one */
		guarded_close(S_AGENT_W, fd);
		fd = -1;
		if (snapshot(F_BIN_STAGED, &b))
			goto out;
	} else {
		if (read_chunks(fd, &b, &rng))
			broke("read(%s) on the writer: %s", files[f], strerror(errno));
	}
	if (parse_bin(&b, "the staged list") <= 0) {
		broke("the staged list is empty after a successful A");
		goto out;
	}
	if (store_at(sh->committed, &b)) {
		broke("store: %s", strerror(errno));
		goto out;
	}
	kill_point(3);
	set_pending(P_D, b.len, 0);
	kill_point(4);
	if (fd < 0) {
		fd = open_retry(S_AGENT_W, f, rnd(2) ? O_WRONLY : O_RDWR, 1000, OP_agent_ebusy);
		if (fd < 0) {
			cancel_pending();
			goto out;
		}
	}
	e = agent_req(fd, rnd(2) ? "D" : "D\n");
	if (e) {
		broke("D on %s with records staged: %s", files[f], err_name(e));
		goto out;
	}
	atomic_store(&sh->staged, 0);
	count_op(OP_D);
	kill_point(5);
	commit_pending();
out:
	if (fd >= 0)
		guarded_close(S_AGENT_W, fd);
	buf_free(&b);
}

/* A on any list file and its own descriptor, then D with nothing staged (ENOENT). */
static void tx_stage_elsewhere(void)
{
	int f = (int)rnd(4);
	int fd = open_retry(S_AGENT_W, f, O_WRONLY, 1000, OP_agent_ebusy), e;

	if (fd < 0)
		return;
	if (atomic_load(&sh->staged) == 0 && is_staged(f) && rnd(2)) {
		e = agent_req(fd, "D");
		if (e != ENOENT)
			broke("D on %s with nothing staged: %s", files[f], err_name(e));
		else
			count_op(OP_D_enoent);
		atomic_store(&sh->staged, e == ENOENT ? 0 : -1);
	} else {
		agent_stage(fd, files[f], read_count(), atomic_load(&sh->staged) == 1);
	}
	kill_point(1);
	guarded_close(S_AGENT_W, fd);
}

/* Read the current list, store the k oldest records, delete them with N. */
static void tx_n(void)
{
	int f = rnd(4) ? F_BIN : F_ASCII, fd, e, want;
	int staged = atomic_load(&sh->staged), huge = !rnd(6);
	struct buf cur, chunk;
	struct ima_rec r;
	unsigned long k = 0, n = 0;
	size_t pos = 0;
	char req[32], err[256];

	fd = open_retry(S_AGENT_W, f, O_RDWR, 1000, OP_agent_ebusy);
	if (fd < 0)
		return;
	buf_init(&cur);
	buf_init(&chunk);
	if (f == F_BIN) {
		long got;

		if (read_chunks(fd, &cur, &rng))
			broke("read(%s) on the writer: %s", files[f], strerror(errno));
		got = parse_bin(&cur, files[f]);
		n = got > 0 ? (unsigned long)got : 0;
	} else {
		/* the binary records to store cannot be read through the ascii
		 * writer: only an N that must fail */
		huge = 1;
		n = (unsigned long)read_count();
	}
	if (!huge && n) {
		k = 1 + agent_rnd((unsigned int)n);
		for (unsigned long i = 0; i < k; i++)
			ima_parse_next(cur.p, cur.len, &pos, &r, i, err, sizeof(err));
		buf_append(&chunk, cur.p, pos);
		if (store_at(sh->committed, &chunk)) {
			broke("store: %s", strerror(errno));
			goto out;
		}
		set_pending(P_N, chunk.len, k);
		kill_point(1);
		snprintf(req, sizeof(req), rnd(2) ? "%lu" : "%lu\n", k);
	} else {
		/* more records than there can be */
		snprintf(req, sizeof(req), "%lu", n + 1000000000UL);
	}
	want = flush_mode ? EINVAL : staged == 1 ? EEXIST : (k ? 0 : ENOENT);
	e = request(fd, req, strlen(req));
	if (e != want && !(staged < 0 && (e == EEXIST || e == want)))
		broke("N=%s on %s with %lu records read, %s staged%s: %s, want %s", req, files[f], n,
		      staged == 1 ? "records" : staged ? "maybe records" : "nothing",
		      flush_mode ? ", ima_flush_htable" : "", err_name(e), err_name(want));
	count_op(e == 0 ? OP_N : e == EEXIST ? OP_N_eexist : e == EINVAL ? OP_N_einval_flush : OP_N_enoent);
	if (k) {
		kill_point(2);
		if (e == 0)
			commit_pending();
		else
			cancel_pending();
	}
out:
	guarded_close(S_AGENT_W, fd);
	buf_free(&cur);
	buf_free(&chunk);
}

/* Two threads on one O_RDWR descriptor. */
struct duo {
	int fd;
	const char *req;
	int err[2];
	pthread_barrier_t go;
	atomic_int reading;
	unsigned long einval;
	uint64_t rng;
};

static void *duo_req(void *arg)
{
	struct duo *d = arg;

	pthread_barrier_wait(&d->go);
	d->err[1] = request(d->fd, d->req, strlen(d->req));
	return NULL;
}

/* Both threads send req at once: their results in d->err. */
static void duo_race(struct duo *d, const char *req)
{
	pthread_t t;

	d->req = req;
	pthread_barrier_init(&d->go, NULL, 2);
	if (pthread_create(&t, NULL, duo_req, d)) {
		broke("pthread_create: %s", strerror(errno));
		exit(1);
	}
	pthread_barrier_wait(&d->go);
	d->err[0] = request(d->fd, d->req, strlen(d->req));
	pthread_join(t, NULL);
	pthread_barrier_destroy(&d->go);
}

/* Invalid requests on the shared descriptor while the other thread reads it. */
static void *duo_spoil(void *arg)
{
	struct duo *d = arg;

	while (atomic_load(&d->reading)) {
		const struct bad_req *r = &bad_reqs[next_rand(&d->rng) % NBAD];
		int e;

		if (!r->on_staged)
			continue;
		e = request(d->fd, r->text, r->len);
		if (e != r->err)
			broke("shared descriptor: \"%.*s\" during a read: %s, want %s",
			      (int)r->len, r->text, err_name(e), err_name(r->err));
		d->einval++;
	}
	return NULL;
}

static void tx_shared_fd(void)
{
	struct duo d = { .rng = next_rand(&rng) };
	int was = atomic_load(&sh->staged) == 1, ok;
	struct buf b;
	pthread_t t;
	long c0;

	d.fd = open_retry(S_AGENT_W, F_BIN_STAGED, O_RDWR, 1000, OP_agent_ebusy);
	if (d.fd < 0)
		return;
	buf_init(&b);
	count_op(OP_shared_fd_tx);
	c0 = read_count();
	atomic_store(&sh->staged, -1);
	duo_race(&d, "A");
	ok = (d.err[0] == 0) + (d.err[1] == 0);
	for (int i = 0; i < 2; i++)
		if (d.err[i] && d.err[i] != EEXIST && !(d.err[i] == ENOENT && !was && c0 == 0))
			broke("shared descriptor: A: %s", err_name(d.err[i]));
	if (ok > 1 || (was && ok) || (!was && c0 > 0 && ok != 1))
		broke("shared descriptor: two A at once from %s staged (%ld counted): %s and %s",
		      was ? "records" : "nothing", c0, err_name(d.err[0]), err_name(d.err[1]));
	atomic_store(&sh->staged, was || ok);
	if (!was && !ok)
		goto out;
	kill_point(1);
	/* the position only moves with our reads: a failed request leaves it */
	if (lseek(d.fd, 0, SEEK_SET) != 0)
		broke("lseek on the shared descriptor: %s", strerror(errno));
	atomic_store(&d.reading, 1);
	pthread_create(&t, NULL, duo_spoil, &d);
	if (read_chunks(d.fd, &b, &rng))
		broke("read on the shared descriptor: %s", strerror(errno));
	atomic_store(&d.reading, 0);
	pthread_join(t, NULL);
	sh->ops[OP_shared_fd_einval] += d.einval;
	if (parse_bin(&b, "the staged list read while requests failed") <= 0)
		goto out;
	if (store_at(sh->committed, &b)) {
		broke("store: %s", strerror(errno));
		goto out;
	}
	set_pending(P_D, b.len, 0);
	kill_point(2);
	atomic_store(&sh->staged, -1);
	duo_race(&d, "D");
	ok = (d.err[0] == 0) + (d.err[1] == 0);
	if (ok != 1 || (d.err[0] && d.err[0] != ENOENT) || (d.err[1] && d.err[1] != ENOENT)) {
		broke("shared descriptor: two D at once with records staged: %s and %s",
		      err_name(d.err[0]), err_name(d.err[1]));
		goto out;
	}
	atomic_store(&sh->staged, 0);
	count_op(OP_D);
	commit_pending();
out:
	guarded_close(S_AGENT_W, d.fd);
	buf_free(&b);
}

static void agent(int resumed)
{
	static const char *const names[] = { "A/read/D on one descriptor", "A or D on its own",
					     "N", "two threads on one descriptor" };

	role = "agent";
	rng = sh->agent_rng ^ 0x5eedULL;	/* a resumed agent draws on */
	store_fd = open(store_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (store_fd < 0) {
		broke("open the store %s: %s", store_path, strerror(errno));
		return;
	}
	replay_init(&stored_pcr);
	if (sh->stored_len == sh->committed) {
		stored_pcr = sh->stored_pcr;
	} else if (sh->committed) {
		struct buf b;
		char err[256];

		buf_init(&b);
		if (buf_reserve(&b, sh->committed) ||
		    pread(store_fd, b.p, sh->committed, 0) != (ssize_t)sh->committed ||
		    replay_buf(&stored_pcr, b.p, sh->committed, err, sizeof(err)))
			broke("resume: the store does not read back");
		buf_free(&b);
	}
	if (sh->pending.kind == P_NONE && ftruncate(store_fd, (off_t)sh->committed))
		broke("truncate the store: %s", strerror(errno));
	/* what a killed agent left: settle it, and learn the staged state */
	agent_settle(resumed);
	check(resumed ? "resume" : "start");
	while (!atomic_load(&sh->stop)) {
		unsigned int tx = agent_rnd(10);

		/* one transaction in eight dies at one of its points */
		kill_at = agent_rnd(8) ? 0 : 1 + (int)agent_rnd(5);
		tx = tx < 4 ? 0 : tx < 5 ? 1 : tx < 8 ? 2 : 3;
		switch (tx) {
		case 0: tx_one_fd(); break;
		case 1: tx_stage_elsewhere(); break;
		case 2: tx_n(); break;
		default: tx_shared_fd(); break;
		}
		check(names[tx]);
		if (lost)
			atomic_store(&sh->stop, 1);	/* the fault run has its answer */
		pause_ms(agent_rnd(50));
	}
	kill_at = 0;
	if (sh->pending.kind != P_NONE)
		broke("the agent ends with a chunk pending");
	check("the end");
	/* the store is then exactly the records deleted since boot */
	if (ftruncate(store_fd, (off_t)sh->committed))
		broke("truncate the store: %s", strerror(errno));
}

/* ---- the supervisor ---- */

static pid_t spawn(const char *name, int idx, uint64_t seed, void (*fn)(int), int arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		static char r[32];

		snprintf(r, sizeof(r), "%s%d", name, idx);
		role = r;
		/* one stream per process: the role's letters and its index */
		rng = seed;
		for (const char *c = name; *c; c++)
			rng = next_rand(&rng) ^ (uint64_t)*c;
		rng = next_rand(&rng) ^ (uint64_t)idx;
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void run_measurer(int i) { measurer(i); }
static void run_reader(int i) { reader(i); }
static void run_racer(int i) { (void)i; racer(); }
static void run_noncap(int i) { (void)i; noncap(); }
static void run_agent(int resumed) { agent(resumed); }

static void usage(void)
{
	fprintf(stderr, "usage: ima-stress [-s SEED] [-t SECONDS] [-f] [-d DIR] [-a ARCHIVE] [-L]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	long seconds = 120;
	pid_t kids[NMEASURERS + NREADERS + 2], agent_pid;
	int nkids = 0, opt, bad_exit = 0;
	const char *archive = NULL;
	char err[256];
	pthread_mutexattr_t ma;
	time_t end;

	while ((opt = getopt(argc, argv, "s:t:fd:a:L")) != -1) {
		switch (opt) {
		case 'L': lose_chunk = 1; break;
		case 'a': archive = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': seconds = strtol(optarg, NULL, 10); break;
		case 'f': flush_mode = 1; break;
		case 'd': workdir = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || seconds <= 0)
		usage();
	setvbuf(stdout, NULL, _IONBF, 0);
	say("seed %" PRIu64, seed);
	say("duration %lds, %s", seconds, flush_mode ? "ima_flush_htable" : "default hash table");

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	for (int i = 0; i < NMEASURERS; i++)
		pthread_mutex_init(&sh->pause[i], &ma);
	sh->agent_rng = seed ^ 0xa6e47ULL;
	if (mkdir(workdir, 0755) && errno != EEXIST) {
		perror(workdir);
		return 2;
	}
	snprintf(store_path, sizeof(store_path), "%s/store.bin", workdir);
	unlink(store_path);
	if (archive) {
		/* records deleted before this run start the store */
		struct buf b;
		int rc;

		buf_init(&b);
		rc = read_path_all(archive, &b);
		if (rc && rc != -ENOENT) {
			fprintf(stderr, "ima-stress: %s: %s\n", archive, strerror(-rc));
			return 2;
		}
		store_fd = open(store_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (store_fd < 0 || store_at(0, &b)) {
			perror(store_path);
			return 2;
		}
		close(store_fd);
		store_fd = -1;
		sh->committed = b.len;
		replay_init(&sh->stored_pcr);
		if (replay_buf(&sh->stored_pcr, b.p, b.len, err, sizeof(err))) {
			fprintf(stderr, "ima-stress: %s: %s\n", archive, err);
			return 2;
		}
		sh->stored_len = b.len;
		buf_free(&b);
	}

	/* the first check sees what was there before: nothing stored yet */
	atomic_store(&sh->staged, -1);
	for (int i = 0; i < NMEASURERS; i++)
		kids[nkids++] = spawn("measurer", i, seed, run_measurer, i);
	for (int i = 0; i < NREADERS; i++)
		kids[nkids++] = spawn("reader", i, seed, run_reader, i);
	kids[nkids++] = spawn("racer", 0, seed, run_racer, 0);
	kids[nkids++] = spawn("noncap", 0, seed, run_noncap, 0);
	agent_pid = spawn("agent", 0, seed, run_agent, 0);

	end = time(NULL) + seconds;
	for (;;) {
		int status;
		pid_t p;

		if (time(NULL) >= end && !atomic_load(&sh->stop))
			atomic_store(&sh->stop, 1);
		p = waitpid(agent_pid, &status, atomic_load(&sh->stop) ? 0 : WNOHANG);
		if (p == 0) {
			pause_ms(100);
			continue;
		}
		if (p < 0)
			break;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			/* its descriptors are closed now: its slots are free */
			for (int s = S_AGENT_W; s <= S_AGENT_R; s++) {
				atomic_store(&sh->slots[s].holding, 0);
				if (atomic_load(&sh->slots[s].seq) & 1)
					atomic_fetch_add(&sh->slots[s].seq, 1);
			}
			agent_pid = spawn("agent", 0, seed, run_agent, 1);
			continue;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			say("agent ended with status 0x%x", status);
			bad_exit = 1;
		}
		break;
	}
	atomic_store(&sh->stop, 1);
	for (int i = 0; i < nkids; i++) {
		int status;

		if (waitpid(kids[i], &status, 0) == kids[i] &&
		    (!WIFEXITED(status) || WEXITSTATUS(status))) {
			say("process %d ended with status 0x%x", i, status);
			bad_exit = 1;
		}
	}
	for (int op = 0; op < NOPS; op++)
		say("op %s %lu", op_names[op], atomic_load(&sh->ops[op]));
	say("stored %" PRIu64 " bytes", sh->committed);
	say("checks %lu", atomic_load(&sh->checks));
	say("breaks %lu", atomic_load(&sh->breaks));
	if (atomic_load(&sh->checks) == 0) {
		say("no invariant check ran");
		return 1;
	}
	return atomic_load(&sh->breaks) || bad_exit ? 1 : 0;
}
