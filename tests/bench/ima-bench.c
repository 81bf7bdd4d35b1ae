// SPDX-License-Identifier: GPL-2.0
/*
 * ima-bench: the guest side of `make bench` (tests/guest/bench.sh runs it).
 * It adds IMA measurements fast, times them one by one (optionally while
 * another process keeps staging and deleting), and times reads of a list
 * file.  Results are "KEY VALUE..." lines on stdout; the scenario prefixes
 * them for scripts/bench.sh.
 *
 *   ima-bench measure DIR N [JOBS]     add N records (JOBS processes)
 *   ima-bench latency DIR N ROUNDS MODE[,MODE...]
 *                                      time N measurements in each MODE:
 *                                      idle, spin, AD or N (see busy())
 *   ima-bench read FILE REPEAT         read FILE REPEAT times, best time
 *
 * latency marks each block of measurements in the ftrace buffer (when
 * debugfs is mounted) for the in-kernel times of tests/guest/bench.sh.
 *
 * A record is added by reading a new file owned by the uid the test policy
 * measures (tests/guest/lib.sh: OWNER); the file is unlinked at once so
 * that the dentries and inodes do not count as the records' memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OWNER 4242
#define IMA "/sys/kernel/security/ima/"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/*
 * Add one record; return the time the measuring open() took, in seconds.
 * Every file has content of its own (this process's salt and a counter):
 * the same content under the same name would be found in IMA's hash table
 * and add no record, nor extend the TPM.
 */
static double measure_one(const char *dir)
{
	static unsigned long salt, i;
	char path[256], content[64];
	double t0, t;
	int fd, n;

	if (!salt)
		salt = (unsigned long)now() ^ (unsigned long)getpid() << 20;
	i++;
	snprintf(path, sizeof(path), "%s/m%lu", dir, i);
	n = snprintf(content, sizeof(content), "%lx %lu\n", salt, i);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, content, n) != n || fchown(fd, OWNER, 0) || close(fd))
		die(path);
	t0 = now();
	fd = open(path, O_RDONLY);	/* FILE_CHECK: the measurement */
	t = now() - t0;
	if (fd < 0)
		die(path);
	close(fd);
	unlink(path);
	return t;
}

/* write_req FILE REQ: one request; 0 or the errno (all are expected). */
static int write_req(const char *file, const char *req)
{
	int fd = open(file, O_WRONLY), ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, req, strlen(req)) < 0)
		ret = errno;
	close(fd);
	return ret;
}

static unsigned long count_records(void)
{
	FILE *f = fopen(IMA "runtime_measurements_count", "r");
	unsigned long n = 0;

	if (!f || fscanf(f, "%lu", &n) != 1)
		die("runtime_measurements_count");
	fclose(f);
	return n;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Run the caller on one CPU (when the machine has it), so that the busy
 * process and the measuring one do not take turns on the same CPU. */
static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu >= sysconf(_SC_NPROCESSORS_ONLN))
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/*
 * The busy process, until SIGTERM, which it takes only between two rounds
 * (so that nothing is left staged); then it reports how many rounds
 * succeeded.  AD: stage and delete; N: delete the older half of the
 * current list; spin: the same open/write/close calls on /dev/null, the
 * control that uses a CPU as much without taking any IMA lock.
 */
static void busy(const char *mode, int report)
{
	unsigned long ok = 0;
	int err = 0;
	char req[32];

	signal(SIGTERM, on_term);
	pin(1);
	while (!stop) {
		if (!strcmp(mode, "AD")) {
			err = write_req(IMA "binary_runtime_measurements_staged", "A");
			if (!err)
				err = write_req(IMA "binary_runtime_measurements_staged", "D");
		} else if (!strcmp(mode, "N")) {
			unsigned long n = count_records() / 2;

			snprintf(req, sizeof(req), "%lu", n ? n : 1);
			err = write_req(IMA "binary_runtime_measurements", req);
		} else {
			err = write_req("/dev/null", "A");
			if (!err)
				err = write_req("/dev/null", "D");
		}
		if (!err)
			ok++;
	}
	if (err)
		fprintf(stderr, "busy %s: %lu rounds done, the last failed: %s\n",
			mode, ok, strerror(err));
	if (write(report, &ok, sizeof(ok)) != sizeof(ok))
		exit(1);
	exit(0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define MAX_MODES 4
static const char *const mode_names[MAX_MODES] = { "idle", "spin", "AD", "N" };

struct samples {
	double *t;
	unsigned long n, busy_ok;
	int wanted;
};

/*
 * Write "ima-bench block MODE" into the ftrace buffer (where the caller
 * has a tracer on), so that the measurements traced after it can be told
 * apart by mode.
 */
static void mark(const char *mode)
{
	static int fd = -2;

	if (fd == -2)
		fd = open("/sys/kernel/debug/tracing/trace_marker", O_WRONLY);
	if (fd >= 0 && dprintf(fd, "ima-bench block %s\n", mode) < 0)
		die("trace_marker");
}

/* Time @n measurements while the busy process of @mode (or none) runs. */
static void timed_block(const char *dir, const char *mode, struct samples *s,
			unsigned long n)
{
	unsigned long i, done = 0;
	int pipefd[2];
	pid_t child = 0;

	if (strcmp(mode, "idle")) {
		if (pipe(pipefd))
			die("pipe");
		child = fork();
		if (child < 0)
			die("fork");
		if (!child) {
			close(pipefd[0]);
			busy(mode, pipefd[1]);
		}
		close(pipefd[1]);
		usleep(100000);	/* let it start */
	}
	mark(mode);
	for (i = 0; i < n; i++, s->n++)
		s->t[s->n] = measure_one(dir);
	if (child) {
		kill(child, SIGTERM);
		if (read(pipefd[0], &done, sizeof(done)) != sizeof(done))
			die("busy process");
		close(pipefd[0]);
		waitpid(child, NULL, 0);
		s->busy_ok += done;
	}
}

/*
 * latency DIR N ROUNDS MODES: N measurements per mode, in ROUNDS rounds
 * that take the modes in turn (so that a slower or faster spell of the
 * machine falls on every mode alike), one line per mode.
 */
static int cmd_latency(const char *dir, unsigned long n, unsigned long rounds,
		       const char *modes)
{
	struct samples s[MAX_MODES] = { 0 };
	unsigned long r, per;
	int m;

	for (m = 0; m < MAX_MODES; m++) {
		const char *p = strstr(modes, mode_names[m]);
		size_t len = strlen(mode_names[m]);

		s[m].wanted = p && (p == modes || p[-1] == ',') &&
			      (p[len] == ',' || !p[len]);
		if (s[m].wanted && !(s[m].t = calloc(n, sizeof(double))))
			die("calloc");
	}
	if (!n || !rounds || n % rounds) {
		fprintf(stderr, "latency: N must be a multiple of ROUNDS\n");
		return 2;
	}
	pin(0);
	per = n / rounds;
	for (r = 0; r < rounds; r++)
		for (m = 0; m < MAX_MODES; m++)
			if (s[m].wanted)
				timed_block(dir, mode_names[m], &s[m], per);
	for (m = 0; m < MAX_MODES; m++) {
		double sum = 0, *t = s[m].t;
		unsigned long i;

		if (!s[m].wanted)
			continue;
		for (i = 0; i < n; i++)
			sum += t[i];
		qsort(t, n, sizeof(*t), cmp_double);
		/* microseconds: p50 p99 max mean, then the busy requests done */
		printf("%s p50 %.1f p99 %.1f max %.1f mean %.1f n %lu busy_ok %lu\n",
		       mode_names[m], t[n / 2] * 1e6, t[(n * 99) / 100] * 1e6,
		       t[n - 1] * 1e6, sum / n * 1e6, n, s[m].busy_ok);
		free(t);
	}
	return 0;
}

/* measure DIR N JOBS: N records added by JOBS processes at once (in
 * subdirectories of DIR), as fast as the kernel takes them. */
static int cmd_measure(const char *dir, unsigned long n, unsigned long jobs)
{
	double t0 = now(), dt;
	unsigned long i, j;
	int failed = 0, status;
	char sub[256];

	if (!jobs)
		jobs = 1;
	for (j = 0; j < jobs; j++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid)
			continue;
		snprintf(sub, sizeof(sub), "%s/j%lu", dir, j);
		if (mkdir(sub, 0755) && errno != EEXIST)
			die(sub);
		for (i = j; i < n; i += jobs)
			measure_one(sub);
		exit(0);
	}
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status);
	dt = now() - t0;
	if (failed)
		return 1;
	printf("records %lu seconds %.3f per_s %.0f\n", n, dt, dt > 0 ? n / dt : 0);
	return 0;
}

static int cmd_read(const char *file, int repeat)
{
	static char buf[1 << 16];
	double best = 0;
	long long bytes = 0;
	int r;

	for (r = 0; r < repeat; r++) {
		double t0 = now(), dt;
		int fd = open(file, O_RDONLY);
		ssize_t got;

		if (fd < 0)
			die(file);
		bytes = 0;
		while ((got = read(fd, buf, sizeof(buf))) > 0)
			bytes += got;
		if (got < 0)
			die(file);
		close(fd);
		dt = now() - t0;
		if (!r || dt < best)
			best = dt;
	}
	printf("bytes %lld seconds %.6f mb_s %.2f\n", bytes, best,
	       best > 0 ? bytes / best / 1e6 : 0);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "measure"))
		return cmd_measure(argv[2], strtoul(argv[3], NULL, 10),
				   argc == 5 ? strtoul(argv[4], NULL, 10) : 1);
	if (argc == 6 && !strcmp(argv[1], "latency"))
		return cmd_latency(argv[2], strtoul(argv[3], NULL, 10),
				   strtoul(argv[4], NULL, 10), argv[5]);
	if (argc == 4 && !strcmp(argv[1], "read"))
		return cmd_read(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: ima-bench measure DIR N [JOBS] | latency DIR N ROUNDS MODE[,MODE...] | read FILE REPEAT\n");
	return 2;
}
