// SPDX-License-Identifier: GPL-2.0
/* The test world of the export tests (world.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "testlog.h"
#include "world.h"


const char *scratch(void)
{
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

void w_measure_buf(struct world *w, const struct buf *b)
{
	fake_measure(w->st, b->p, b->len);
	buf_append(&w->truth, b->p, b->len);
}

void w_measure(struct world *w, unsigned int n)
{
	struct buf b;

	buf_init(&b);
	tl_list(&b, w->next, n);
	w->next += n;
	w_measure_buf(w, &b);
	buf_free(&b);
}

void w_boot_aggregate(struct world *w)
{
	struct buf b;

	buf_init(&b);
	tl_boot_aggregate(&b, w->kernels);
	w_measure_buf(w, &b);
	buf_free(&b);
}

void w_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->root, sizeof(w->root), "%s/ima-export-test.XXXXXX", scratch());
	if (!mkdtemp(w->root))
		abort();
	snprintf(w->store, sizeof(w->store), "%s/store", w->root);
	snprintf(w->tpm, sizeof(w->tpm), "%s/tpm", w->root);
	w->kernels = 1;
	w->st = fake_new("kernel-1");
	fake_kernel_init(&w->k, w->st);
	buf_init(&w->truth);
	w->next = 1;
	w_boot_aggregate(w);
	w->c.store_root = w->store;
	w->c.boot_key = "r1-0000000000000000";
	w->c.boot_info = "key r1-0000000000000000\ntest\n";
	w->c.tpm_dir = w->tpm;
	w->c.k = &w->k;
	w->c.out = stdout;
}

void w_free(struct world *w)
{
	char cmd[256];

	fake_kernel_free(&w->k);
	fake_free(w->st);
	buf_free(&w->truth);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->root);
	if (system(cmd))
		diag("cannot remove %s", w->root);
}

void w_kexec(struct world *w, int carry)
{
	char id[40];

	w->kernels++;
	snprintf(id, sizeof(id), "kernel-%u", w->kernels);
	fake_kexec(w->st, id, carry);
	w_boot_aggregate(w);
}

/* the TPM of the fake: PCR 10 of every bank from the truth */
void w_tpm_sync(struct world *w)
{
	struct pcr_state st;
	char err[256], path[256], hex[2 * PCR_MAX + 2];

	replay_init(&st);
	replay_buf(&st, w->truth.p, w->truth.len, err, sizeof(err));
	mkdir(w->tpm, 0700);
	for (int b = 0; b < NBANKS; b++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/pcr-%s", w->tpm, banks[b].name);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/pcr-%s/10", w->tpm, banks[b].name);
		hex_encode(st.full[b], banks[b].size, hex);
		for (char *h = hex; *h; h++)	/* the kernel prints %02X */
			if (*h >= 'a' && *h <= 'f')
				*h = (char)(*h - 'a' + 'A');
		f = fopen(path, "w");
		fprintf(f, "%s\n", hex);
		fclose(f);
	}
}

/* the TPM always has what was measured: an interrupted export asks it */
int w_export(struct world *w)
{
	w_tpm_sync(w);
	return cmd_export(&w->c);
}

/* export in a child with IMA_EXPORT_FAULT=step; 1 if it was killed there */
int w_export_fault(struct world *w, const char *step)
{
	pid_t pid;
	int status;

	w_tpm_sync(w);
	pid = fork();
	if (pid == 0) {
		setenv("IMA_EXPORT_FAULT", step, 1);
		_exit(cmd_export(&w->c));
	}
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

int w_cat(struct world *w, struct buf *out, int ascii)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	int rc;

	w->c.out = f;
	w->c.ascii = ascii;
	rc = cmd_cat(&w->c);
	fclose(f);
	w->c.out = stdout;
	w->c.ascii = 0;
	buf_reset(out);
	buf_append(out, p, n);
	free(p);
	return rc;
}

/* run f with stdout and stderr captured into out */
int capture(struct world *w, int (*f)(struct ctx *), struct buf *out)
{
	char *p = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&p, &n);
	char path[256];
	int saved, fd, rc;

	snprintf(path, sizeof(path), "%s/stderr", w->root);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	dup2(fd, 2);
	w->c.out = mem;
	rc = f(&w->c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	fclose(mem);
	w->c.out = stdout;
	buf_reset(out);
	buf_append(out, p, n);
	free(p);
	read_path_all(path, out);
	buf_append(out, "", 1);
	return rc;
}

/* the whole log as the store and kernel show it is exactly the truth */
int w_consistent(struct world *w, char *why, size_t n)
{
	struct buf out, text;
	int rc;

	buf_init(&out);
	buf_init(&text);
	rc = w_cat(w, &out, 0);
	if (rc) {
		snprintf(why, n, "cat exit %d", rc);
		goto bad;
	}
	if (out.len != w->truth.len || memcmp(out.p, w->truth.p, out.len)) {
		snprintf(why, n, "cat gives %zu bytes, %zu measured", out.len, w->truth.len);
		goto bad;
	}
	w_tpm_sync(w);
	rc = capture(w, cmd_verify, &text);
	if (rc) {
		snprintf(why, n, "verify exit %d: %s", rc, (char *)text.p);
		goto bad;
	}
	buf_free(&out);
	buf_free(&text);
	return 1;
bad:
	buf_free(&out);
	buf_free(&text);
	return 0;
}

/* chunks in state (all when state < 0); (size_t)-1 when the store fails */
size_t nchunks(struct world *w, int state)
{
	struct store s;
	char err[256];
	size_t n = 0;

	if (store_open(&s, w->store, w->c.boot_key, NULL, 0, err, sizeof(err)))
		return (size_t)-1;
	for (size_t i = 0; i < s.j.n; i++)
		n += state < 0 || s.j.c[i].state == state;
	store_close(&s);
	return n;
}

int all_done(struct world *w)
{
	size_t n = nchunks(w, -1);

	return n != (size_t)-1 && nchunks(w, CH_DONE) == n;
}

int w_kexec_export_ok(struct world *w, unsigned int measured, char *why, size_t n)
{
	w_kexec(w, 1);
	w_measure(w, measured);
	return w_consistent(w, why, n) && w_export(w) == EX_OK && w_consistent(w, why, n) &&
	       all_done(w);
}

int scratch_with(const char *tools, const char *name, char *dir, size_t n)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "for t in %s; do command -v $t || exit 1; done >/dev/null 2>&1", tools);
	if (system(cmd)) {
		ok(1, "# SKIP %s: needs %s", name, tools);
		return -1;
	}
	snprintf(dir, n, "%s/ima-export-%s.XXXXXX", scratch(), name);
	if (!mkdtemp(dir)) {
		ok(0, "%s: mkdtemp", name);
		return -1;
	}
	return 0;
}

/* cat piped to evmctl validates against the fake TPM's PCR 10 */
int evmctl_cat(struct world *w)
{
	char path[256], pcrs[256], err[128];
	struct pcr_state st;
	struct buf out;
	int good = 1;
	FILE *f;

	buf_init(&out);
	if (w_cat(w, &out, 0))
		good = 0;
	snprintf(path, sizeof(path), "%s/cat.bin", w->root);
	f = fopen(path, "w");
	fwrite(out.p, 1, out.len, f);
	fclose(f);
	replay_init(&st);
	replay_buf(&st, w->truth.p, w->truth.len, err, sizeof(err));
	for (int k = 0; k < 2 && good; k++) {
		snprintf(pcrs, sizeof(pcrs), "%s/pcrs-%s", w->root, banks[k].name);
		good = tl_evmctl(k, st.full[k], pcrs, path) == 0;
	}
	buf_free(&out);
	return good;
}

