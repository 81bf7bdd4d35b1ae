// SPDX-License-Identifier: GPL-2.0
/*
 * export, cat, verify and status on the fake kernel: resume after a SIGKILL
 * at every step (and at every pair of steps), kexec with the lists carried
 * (ESTALE) or not (ENOSPC), suspension, busy, write errors; and the
 * command line on a fake securityfs directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "tpm.h"
#include "testlog.h"
#include "fsck.h"
#include "world.h"

static void test_basic(void)
{
	struct world w;
	struct buf out;
	char why[512] = "";
	int rc;

	buf_init(&out);
	w_init(&w);
	w_measure(&w, 9);
	rc = w_export(&w);
	ok(rc == EX_OK && w.st->cur_len == 0 && w.st->staged_len == 0 && w.st->nA == 1 &&
	   w.st->nD == 1 && nchunks(&w, CH_DONE) == 1,
	   "export: A, store, D: the kernel's lists are empty, one chunk done");
	ok(w_consistent(&w, why, sizeof(why)), "export: cat gives back every record, verify passes %s", why);
	w_measure(&w, 5);
	rc = w_export(&w);
	w_measure(&w, 3);
	ok(rc == EX_OK && nchunks(&w, -1) == 2 && w_consistent(&w, why, sizeof(why)),
	   "export: a second chunk; cat = chunks ++ current list; verify passes %s", why);
	w_export(&w);
	{
		struct fake_state *st = w.st;
		size_t before = nchunks(&w, -1);
		unsigned long nA = st->nA;

		rc = w_export(&w);
		ok(rc == EX_OK && nchunks(&w, -1) == before && st->nA == nA && st->cur_len == 0,
		   "export: an empty list exports nothing and exits 0 (A gives ENOENT)");
	}
	w_free(&w);

	/* ascii */
	w_init(&w);
	w_measure(&w, 2);
	w_export(&w);
	{
		struct buf sig;

		buf_init(&sig);
		tl_ima_sig(&sig, "/signed", (const uint8_t *)"\x03\x02\xab", 3);
		tl_ima_sig(&sig, "/unsigned", NULL, 0);
		w_measure_buf(&w, &sig);
		buf_free(&sig);
	}
	rc = w_cat(&w, &out, 1);
	buf_append(&out, "", 1);
	ok(rc == 0 && !strncmp((char *)out.p, "10 ", 3) && strstr((char *)out.p, " ima-ng sha256:") &&
	   strstr((char *)out.p, " boot_aggregate\n10 ") && strstr((char *)out.p, " /f2\n"),
	   "cat --ascii: lines like ascii_runtime_measurements");
	ok(strstr((char *)out.p, " ima-sig sha256:") && strstr((char *)out.p, " /signed 0302ab\n") &&
	   strstr((char *)out.p, " /unsigned \n"),
	   "cat --ascii: ima-sig shows the signature in hex, an empty one as a trailing space");
	w_free(&w);

	/* a holder that lets go within the wait: a view serving an agent */
	w_init(&w);
	w_measure(&w, 4);
	w.st->writer = 1;
	{
		pid_t pid = fork();

		if (pid == 0) {
			usleep(1000000);
			w.st->writer = 0;
			_exit(0);
		}
		rc = w_export(&w);
		waitpid(pid, NULL, 0);
		ok(rc == EX_OK && w.st->cur_len == 0,
		   "export: the lists held open for a second (a reader) make the export wait, not fail (exit %d)", rc);
	}
	w_free(&w);
	/* busy, suspended */
	w_init(&w);
	w_measure(&w, 4);
	w.st->writer = 1;	/* another process holds the writer */
	rc = w_export(&w);
	ok(rc == EX_BUSY && w.st->cur_len == w.truth.len, "export: another writer (EBUSY) exits %d, kernel untouched", EX_BUSY);
	{
		struct buf out;

		buf_init(&out);
		ok(w_cat(&w, &out, 0) == EX_BUSY, "cat: the lists held by another writer for a second: exit %d", EX_BUSY);
		buf_free(&out);
	}
	w.st->writer = 0;
	{
		struct store s;
		char err[256];

		store_open(&s, w.store, w.c.boot_key, NULL, 1, err, sizeof(err));
		rc = w_export(&w);
		store_close(&s);
		ok(rc == EX_BUSY && w.st->nA == 0, "export: a second exporter (store flock) exits %d before touching the kernel", EX_BUSY);
	}
	w.st->open_err = -EPERM;
	rc = w_export(&w);
	ok(rc == EX_PERM, "export: no CAP_SYS_ADMIN (EPERM on open) exits %d", EX_PERM);
	w.st->open_err = -ENOENT;
	rc = w_export(&w);
	ok(rc == EX_NOSTAGING, "export: no staged list file (kernel without staging) exits %d", EX_NOSTAGING);
	w.st->open_err = 0;
	w.st->suspended = 1;
	rc = w_export(&w);
	ok(rc == EX_SUSPENDED && w.st->cur_len == w.truth.len && nchunks(&w, -1) == 0,
	   "export: measurement suspended for kexec (EACCES from A) stops cleanly, exit %d", EX_SUSPENDED);
	w.st->suspended = 0;
	ok(w_export(&w) == EX_OK && w_consistent(&w, why, sizeof(why)), "export: after the suspension it works %s", why);
	w_free(&w);
	buf_free(&out);
}

static void test_verify(void)
{
	struct world w;
	struct buf text;
	char path[256];
	int rc, fd;

	buf_init(&text);
	w_init(&w);
	w_measure(&w, 6);
	w_export(&w);
	w_measure(&w, 6);
	w_export(&w);
	w_measure(&w, 2);
	w_tpm_sync(&w);
	rc = capture(&w, cmd_verify, &text);
	ok(rc == EX_OK && strstr((char *)text.p, "sha256: ok (15 records)") &&
	   strstr((char *)text.p, "sha512: ok"),
	   "verify: two chunks ++ current replay to PCR 10 of all 4 banks");
	/* a bank of a kernel without the sha384 transform: padded SHA-1 */
	{
		struct pcr_state st;
		char hex[2 * PCR_MAX + 1], err[128];
		FILE *f;

		replay_init(&st);
		replay_buf(&st, w.truth.p, w.truth.len, err, sizeof(err));
		hex_encode(st.pad[BANK_SHA384], 48, hex);
		snprintf(path, sizeof(path), "%s/pcr-sha384/10", w.tpm);
		f = fopen(path, "w");
		fprintf(f, "%s\n", hex);
		fclose(f);
		rc = capture(&w, cmd_verify, &text);
		ok(rc == EX_OK && strstr((char *)text.p, "sha384: ok (15 records; SHA-1 digests padded"),
		   "verify: a bank extended with padded SHA-1 digests is recognised");
		w_tpm_sync(&w);
	}
	/* one altered byte in chunk 1: the record is named */
	snprintf(path, sizeof(path), "%s/store/%s/00000001.bin", w.root, w.c.boot_key);
	fd = open(path, O_RDWR);
	{
		uint8_t c;

		/* record 2 of the chunk starts after two records; alter its file name */
		struct stat sb;

		fstat(fd, &sb);
		if (pread(fd, &c, 1, 3 * (sb.st_size / 7) + 60) == 1) {
			c ^= 0x20;
			if (pwrite(fd, &c, 1, 3 * (sb.st_size / 7) + 60) != 1)
				diag("pwrite");
		}
	}
	close(fd);
	rc = capture(&w, cmd_verify, &text);
	ok(rc == EX_MISMATCH && strstr((char *)text.p, "chunk 1 (00000001.bin), record") &&
	   strstr((char *)text.p, "does not match its data"),
	   "verify: one altered byte in chunk 1 fails, naming the chunk and the record");
	if (rc != EX_MISMATCH)
		diag("%s", (char *)text.p);
	{
		const char *m = strstr((char *)text.p, "chunk 1 (00000001.bin), record");

		if (m)
			diag("%.*s", (int)(strchr(m, '\n') ? strchr(m, '\n') - m : 80), m);
	}
	w_free(&w);

	/* a TPM that does not match */
	w_init(&w);
	w_measure(&w, 3);
	w_export(&w);
	w_tpm_sync(&w);
	w_measure(&w, 1);	/* measured but (as if) the TPM missed it */
	{
		/* verify reads the TPM files as they are (the old values) */
		rc = capture(&w, cmd_verify, &text);
		ok(rc == EX_MISMATCH && strstr((char *)text.p, "sha256: MISMATCH") &&
		   strstr((char *)text.p, "reached after the first 4 records"),
		   "verify: a log longer than the TPM's PCR 10 fails, saying where the TPM value is reached");
	}
	rmdir(w.tpm);
	snprintf(path, sizeof(path), "rm -rf '%s'", w.tpm);
	if (system(path))
		diag("rm");
	rc = capture(&w, cmd_verify, &text);
	ok(rc == EX_NOTPM, "verify: no TPM PCR files exits %d", EX_NOTPM);
	rc = capture(&w, cmd_status, &text);
	ok(rc == EX_OK && strstr((char *)text.p, "chunks: 1 (stored 0, carried 0, kept 0, done 1)") &&
	   strstr((char *)text.p, "records in the store: 4") &&
	   strstr((char *)text.p, "kernel: staged 0 records, current 1 records"),
	   "status: chunks, records in the store and in the kernel");
	w_free(&w);
	buf_free(&text);
}

/* SIGKILL at every step of export, then resume: nothing lost or duplicated */
static void test_faults(void)
{
	int n = 0;

	for (n = 0; export_fault_steps[n]; n++)
		;
	for (int i = 0; export_fault_steps[i]; i++) {
		const char *s1 = export_fault_steps[i];
		struct world w;
		char why[512] = "";
		int killed, bad = 0;

		w_init(&w);
		w_measure(&w, 5);
		w_export(&w);
		w_measure(&w, 4);
		killed = w_export_fault(&w, s1);
		ok(w_consistent(&w, why, sizeof(why)),
		   "crash state: after a SIGKILL at %s, cat and verify see the whole log once %s", s1, why);
		w_measure(&w, 2);	/* the kernel goes on measuring */
		if (w_export(&w) != EX_OK || !w_consistent(&w, why, sizeof(why)) || !all_done(&w) ||
		    w.st->staged_len != 0)
			bad = 1;
		ok(!bad, "resume: SIGKILL at %s (%s), then export: nothing lost, nothing duplicated %s",
		   s1, killed ? "killed" : "not reached", why);
		w_free(&w);

		/* and a second SIGKILL at every step of the resuming run */
		bad = 0;
		for (int j = 0; export_fault_steps[j] && !bad; j++) {
			w_init(&w);
			w_measure(&w, 3);
			w_export(&w);
			w_measure(&w, 3);
			w_export_fault(&w, s1);
			w_measure(&w, 1);
			w_export_fault(&w, export_fault_steps[j]);
			w_measure(&w, 1);
			if (w_export(&w) != EX_OK || !w_consistent(&w, why, sizeof(why)) ||
			    !all_done(&w)) {
				bad = 1;
				diag("killed at %s then at %s: %s", s1, export_fault_steps[j], why);
			}
			w_free(&w);
		}
		ok(!bad, "resume: SIGKILL at %s, then at each of the %d steps, then export: log intact", s1, n);
	}
}

/* kexec: ESTALE (carried), ENOSPC (not carried), with a SIGKILL at every step */
static void test_kexec(void)
{
	struct world w;
	char why[512] = "";
	int rc, bad;

	/* exported, more measured, kexec: the carried current list is new */
	w_init(&w);
	w_measure(&w, 4);
	w_export(&w);
	w_measure(&w, 3);
	w_kexec(&w, 1);
	ok(w_consistent(&w, why, sizeof(why)), "kexec: chunks ++ the next kernel's list (carried + its boot_aggregate) %s", why);
	ok(w_export(&w) == EX_OK && w_consistent(&w, why, sizeof(why)) && nchunks(&w, -1) == 2,
	   "kexec: export in the next kernel %s", why);
	w_free(&w);

	/* D gives ESTALE: chunk carried; the records reappear in the next kernel */
	w_init(&w);
	w_measure(&w, 6);
	w.st->suspend_on_A = -ESTALE;
	rc = w_export(&w);
	ok(rc == EX_OK && nchunks(&w, CH_CARRIED) == 1 && w.st->staged_len > 0,
	   "kexec: ESTALE from D marks the chunk carried, exit 0");
	ok(w_consistent(&w, why, sizeof(why)), "kexec: before the kexec, cat and verify skip the carried staged list %s", why);
	w_kexec(&w, 1);
	w_measure(&w, 2);
	ok(w_consistent(&w, why, sizeof(why)), "kexec: after it, the carried records at the head of the list are not shown twice %s", why);
	w_kexec(&w, 1);
	ok(w_consistent(&w, why, sizeof(why)), "kexec: and after a second kexec with no export in between %s", why);
	rc = w_export(&w);
	ok(rc == EX_OK && w_consistent(&w, why, sizeof(why)) && all_done(&w) && nchunks(&w, -1) == 2,
	   "kexec: the next export stores only what the store lacks %s", why);
	w_measure(&w, 3);
	if (system("command -v evmctl >/dev/null 2>&1"))
		ok(1, "# SKIP evmctl not installed");
	else
		ok(evmctl_cat(&w), "kexec: cat of chunks ++ current, across two kexecs, validates with evmctl (sha1, sha256)");
	w_free(&w);

	/* D gives ENOSPC: chunk kept; nothing carried */
	w_init(&w);
	w_measure(&w, 6);
	w.st->suspend_on_A = -ENOSPC;
	rc = w_export(&w);
	ok(rc == EX_OK && nchunks(&w, CH_KEPT) == 1, "kexec: ENOSPC from D keeps the chunk as stored, exit 0");
	w_kexec(&w, 0);
	ok(w_consistent(&w, why, sizeof(why)), "kexec: nothing carried: chunks ++ the new kernel's list %s", why);
	ok(w_export(&w) == EX_OK && w_consistent(&w, why, sizeof(why)) && all_done(&w),
	   "kexec: the next export stores the new kernel's records, the kept chunk is done %s", why);
	w_free(&w);

	/* ENOSPC, then the kexec does not happen: the staged list is deleted */
	w_init(&w);
	w_measure(&w, 6);
	w.st->suspend_on_A = -ENOSPC;
	w_export(&w);
	w.st->suspended = 0;
	w_measure(&w, 1);
	ok(w_export(&w) == EX_OK && w_consistent(&w, why, sizeof(why)) && all_done(&w) &&
	   w.st->staged_len == 0 && nchunks(&w, -1) == 2,
	   "kexec: after ENOSPC without a kexec, the next export deletes the kept list, then exports the new record %s", why);
	w_free(&w);

	/* SIGKILL at every step while the kexec capture says ESTALE */
	bad = 0;
	for (int i = 0; export_fault_steps[i]; i++) {
		w_init(&w);
		w_measure(&w, 3);
		w_export(&w);
		w_measure(&w, 4);
		w.st->suspend_on_A = -ESTALE;
		w_export_fault(&w, export_fault_steps[i]);
		if (!w_kexec_export_ok(&w, 2, why, sizeof(why))) {
			bad++;
			diag("ESTALE, killed at %s: %s", export_fault_steps[i], why);
		}
		w_free(&w);
	}
	ok(!bad, "kexec: SIGKILL at every step of an export that gets ESTALE, kexec, export: log intact");
	bad = 0;
	for (int i = 0; export_fault_steps[i]; i++) {
		w_init(&w);
		w_measure(&w, 3);
		w.st->suspend_on_A = -ENOSPC;
		w_export_fault(&w, export_fault_steps[i]);
		w.st->suspended = 0;	/* the kexec did not happen */
		w.st->suspend_on_A = 0;
		w_measure(&w, 2);
		if (w_export(&w) != EX_OK || !w_consistent(&w, why, sizeof(why)) || !all_done(&w)) {
			bad++;
			diag("ENOSPC, killed at %s: %s", export_fault_steps[i], why);
		}
		w_free(&w);
	}
	ok(!bad, "kexec: SIGKILL at every step of an export that gets ENOSPC, no kexec, export: log intact");
}

/* a write error while storing: nothing is deleted from the kernel */
static void test_write_error(void)
{
	struct world w;
	char why[512] = "";
	pid_t pid;
	int status;

	w_init(&w);
	w_measure(&w, 3);
	w_export(&w);
	w_measure(&w, 200);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 8192, 8192 };

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		quiet = 1;
		_exit(cmd_export(&w.c));
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == EX_STORE && w.st->nD == 1 &&
	   w.st->staged_len + w.st->cur_len > 0 && nchunks(&w, -1) == 1,
	   "write error: export exits %d, no D, the records stay in the kernel", EX_STORE);
	ok(w_consistent(&w, why, sizeof(why)), "write error: cat and verify still see the whole log %s", why);
	ok(w_export(&w) == EX_OK && w_consistent(&w, why, sizeof(why)) && all_done(&w),
	   "write error: the next export adopts the staged list and stores it %s", why);

	/* the chunk fits, the journal append does not: no D either */
	{
		char path[256];
		struct stat jb, ja;
		unsigned long nD = w.st->nD;

		w_measure(&w, 1);
		snprintf(path, sizeof(path), "%s/%s/journal", w.store, w.c.boot_key);
		stat(path, &jb);
		pid = fork();
		if (pid == 0) {
			struct rlimit rl = { (rlim_t)jb.st_size + 200, (rlim_t)jb.st_size + 200 };

			signal(SIGXFSZ, SIG_IGN);
			setrlimit(RLIMIT_FSIZE, &rl);
			quiet = 1;
			_exit(cmd_export(&w.c));
		}
		waitpid(pid, &status, 0);
		stat(path, &ja);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == EX_STORE && w.st->nD == nD &&
		   w.st->staged_len > 0 && ja.st_size == jb.st_size,
		   "write error in the journal append: exit %d, no D, the journal is cut back to its old end", EX_STORE);
		ok(w_export(&w) == EX_OK && w_consistent(&w, why, sizeof(why)) && all_done(&w),
		   "write error in the journal append: the next export stores the list %s", why);
	}
	w_free(&w);
}

static int run_capture(const char *cmd, char *out, size_t n)
{
	FILE *f = popen(cmd, "r");
	size_t len = 0;
	int rc;

	out[0] = '\0';
	if (!f)
		return -1;
	while (len + 1 < n && fgets(out + len, (int)(n - len), f))
		len = strlen(out);
	rc = pclose(f);
	while (len && out[len - 1] == '\n')
		out[--len] = '\0';
	return rc;
}

/*
 * A real full disk: a 256 KiB tmpfs in a private mount namespace (root
 * only; skipped elsewhere).  The child reports its findings as bits.
 */
static void test_full_disk(void)
{
	struct world w;
	char mnt[140], filler[160], why[512] = "";
	pid_t pid;
	int status, bits;

	w_init(&w);
	snprintf(mnt, sizeof(mnt), "%s/small", w.root);
	mkdir(mnt, 0700);
	snprintf(w.store, sizeof(w.store), "%s/store", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	pid = fork();
	if (pid == 0) {
		unsigned long nD;
		int fd, r = 0;

		if (geteuid() != 0 || unshare(CLONE_NEWNS) ||
		    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("ima-export-test", mnt, "tmpfs", 0, "size=256k"))
			_exit(100);
		w_measure(&w, 3);
		if (w_export(&w) == EX_OK)
			r |= 1;
		/* fill the file system, then give the kernel more than fits */
		fd = open(filler, O_CREAT | O_WRONLY, 0600);
		{
			static char zero[4096];

			while (write(fd, zero, sizeof(zero)) > 0)
				;
		}
		close(fd);
		w_measure(&w, 300);
		nD = w.st->nD;
		if (w_export(&w) == EX_STORE && w.st->nD == nD && w.st->staged_len > 0)
			r |= 2;
		if (w_consistent(&w, why, sizeof(why)))
			r |= 4;
		unlink(filler);
		if (w_export(&w) == EX_OK && w_consistent(&w, why, sizeof(why)) && all_done(&w))
			r |= 8;
		_exit(r);
	}
	waitpid(pid, &status, 0);
	bits = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (bits == 100) {
		ok(1, "# SKIP full disk: needs root and a private mount namespace for a small tmpfs");
	} else {
		ok(bits >= 0 && (bits & 2), "full disk (ENOSPC on a full tmpfs): export exits %d, no D, the records stay in the kernel", EX_STORE);
		ok(bits >= 0 && (bits & 4), "full disk: cat and verify still see the whole log");
		ok(bits >= 0 && (bits & 8) && (bits & 1), "full disk: once there is room, the next export stores the list");
	}
	w_free(&w);
}

/* the command line on a directory that looks like securityfs */
static void test_cli(void)
{
	struct world w;
	char cmd[2048], path[256], base[1024];
	struct buf out, l;
	FILE *f;
	int rc;

	buf_init(&out);
	buf_init(&l);
	w_init(&w);
	tl_list(&l, 0, 12);
	snprintf(path, sizeof(path), "%s/sfs", w.root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/sfs/binary_runtime_measurements", w.root);
	f = fopen(path, "w");
	fwrite(l.p, 1, l.len, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/sfs/binary_runtime_measurements_staged", w.root);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "%s/boot_id", w.root);
	f = fopen(path, "w");
	fprintf(f, "0f0e0d0c-1111-2222-3333-444455556666\n");
	fclose(f);
	buf_reset(&w.truth);
	buf_append(&w.truth, l.p, l.len);
	w_tpm_sync(&w);
	snprintf(base, sizeof(base),
		 "%s/../ima-export --store %s/store --securityfs %s/sfs --tpm %s --boot-id %s/boot_id --boot-key r5-cli",
		 TESTS_DIR, w.root, w.root, w.tpm, w.root);
	snprintf(cmd, sizeof(cmd), "%s cat > %s/out", base, w.root);
	rc = system(cmd);
	snprintf(path, sizeof(path), "%s/out", w.root);
	read_path_all(path, &out);
	ok(rc == 0 && out.len == l.len && !memcmp(out.p, l.p, l.len),
	   "cli: cat through the securityfs backend (--securityfs, --boot-key, --boot-id)");
	snprintf(cmd, sizeof(cmd), "%s verify > /dev/null", base);
	rc = system(cmd);
	ok(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "cli: verify exits 0 against --tpm PCR files");
	snprintf(cmd, sizeof(cmd), "IMA_EXPORT_SECURITYFS=%s/nowhere %s/../ima-export -q --store %s/store --boot-key r5-cli export 2>/dev/null",
		 w.root, TESTS_DIR, w.root);
	rc = system(cmd);
	ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_NOSTAGING,
	   "cli: no binary_runtime_measurements_staged (IMA_EXPORT_SECURITYFS) exits %d", EX_NOSTAGING);
	{
		/* only the _staged file may be missing (a stock kernel) */
		static const char *const cmds[] = { "cat", "status", "verify" };
		char where[128], msgs[2048];

		for (int i = 0; i < 3; i++) {
			snprintf(cmd, sizeof(cmd),
				 "%s/../ima-export --store %s/store --securityfs %s/nowhere --tpm %s --boot-id %s/boot_id --boot-key r5-cli %s 2>&1 >%s/out",
				 TESTS_DIR, w.root, w.root, w.tpm, w.root, cmds[i], w.root);
			rc = run_capture(cmd, msgs, sizeof(msgs));
			rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
			snprintf(where, sizeof(where), "binary_runtime_measurements: No such file");
			snprintf(path, sizeof(path), "%s/out", w.root);
			buf_reset(&out);
			read_path_all(path, &out);
			ok(rc == EX_NOIMA && strstr(msgs, where) && strstr(msgs, "--securityfs") &&
			   (i == 1 || out.len == 0),
			   "cli: %s with a wrong --securityfs (no binary_runtime_measurements) exits %d and names the file (%d: %s)",
			   cmds[i], EX_NOIMA, rc, msgs);
		}
		snprintf(path, sizeof(path), "%s/sfs/binary_runtime_measurements_staged", w.root);
		unlink(path);
		snprintf(cmd, sizeof(cmd), "%s cat > %s/out", base, w.root);
		rc = system(cmd);
		snprintf(path, sizeof(path), "%s/out", w.root);
		buf_reset(&out);
		read_path_all(path, &out);
		ok(rc == 0 && out.len == l.len && !memcmp(out.p, l.p, l.len),
		   "cli: without the _staged file (a stock kernel) cat gives the list");
		snprintf(path, sizeof(path), "%s/sfs/binary_runtime_measurements_staged", w.root);
		fclose(fopen(path, "w"));
	}
	snprintf(cmd, sizeof(cmd), "%s frobnicate 2>/dev/null", base);
	rc = system(cmd);
	ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_USAGE, "cli: an unknown command exits %d", EX_USAGE);
	snprintf(cmd, sizeof(cmd), "%s/../ima-export --tpm %s/none --tcti mssim:host=127.0.0.1,port=1 status 2>/dev/null",
		 TESTS_DIR, w.root);
	rc = system(cmd);
	ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_NOTPM,
	   "cli: no TPM for the boot identity (and no --boot-key) exits %d", EX_NOTPM);
	{
		/* options anywhere, --version, --help of a command, exit codes */
		char msgs[2048];

		snprintf(cmd, sizeof(cmd),
			 "%s/../ima-export cat --store %s/store --securityfs %s/sfs --tpm %s --boot-id %s/boot_id --boot-key r5-cli > %s/out",
			 TESTS_DIR, w.root, w.root, w.tpm, w.root, w.root);
		rc = system(cmd);
		snprintf(path, sizeof(path), "%s/out", w.root);
		buf_reset(&out);
		read_path_all(path, &out);
		ok(rc == 0 && out.len == l.len && !memcmp(out.p, l.p, l.len),
		   "cli: the options after the command (cat --store ... --securityfs ...) work as before it");
		snprintf(cmd, sizeof(cmd), "%s/../ima-export --version", TESTS_DIR);
		rc = run_capture(cmd, msgs, sizeof(msgs));
		ok(rc == 0 && !strncmp(msgs, "ima-export ", 11) && strlen(msgs) > 11 && !strchr(msgs, '\n'),
		   "cli: --version prints one line \"%s\" and exits 0", msgs);
		snprintf(cmd, sizeof(cmd), "%s/../ima-export export --help 2>&1", TESTS_DIR);
		rc = run_capture(cmd, msgs, sizeof(msgs));
		ok(rc == 0 && !strncmp(msgs, "usage: ima-export", 17) && strstr(msgs, "12 a file or directory"),
		   "cli: export --help prints the usage with the exit codes and exits 0");
		snprintf(cmd, sizeof(cmd), "%s status --ascii 2>&1", base);
		rc = run_capture(cmd, msgs, sizeof(msgs));
		ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_USAGE && strstr(msgs, "--ascii is an option of cat"),
		   "cli: an option of another command exits %d and says whose it is (%s)", EX_USAGE, msgs);
		snprintf(cmd, sizeof(cmd), "%s export --quote 2>&1", base);
		rc = run_capture(cmd, msgs, sizeof(msgs));
		ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_USAGE && strstr(msgs, "--quote needs an argument"),
		   "cli: --quote without its file exits %d (%s)", EX_USAGE, msgs);
		snprintf(cmd, sizeof(cmd), "%s export --quote %s/nofile 2>&1", base, w.root);
		rc = run_capture(cmd, msgs, sizeof(msgs));
		ok(WIFEXITED(rc) && WEXITSTATUS(rc) == EX_INPUT && strstr(msgs, "nofile: No such file"),
		   "cli: a missing quote file exits %d, not the usage code (%s)", EX_INPUT, msgs);
		/* journald's stream: the syslog priority in front of each line */
		char jcmd[4096];

		snprintf(jcmd, sizeof(jcmd),
			 "cd %s && : >jerr && JOURNAL_STREAM=$(stat -c %%d:%%i jerr) %s remove-boot r5-cli 2>>jerr; "
			 "JOURNAL_STREAM=1:1 %s remove-boot r5-cli 2>>jerr; cat jerr",
			 w.root, base, base);
		rc = run_capture(jcmd, msgs, sizeof(msgs));
		ok(!strncmp(msgs, "<3>ima-export: r5-cli is the current boot", 41) &&
		   strstr(msgs, "\nima-export: r5-cli is the current boot"),
		   "cli: with stderr on journald's stream (JOURNAL_STREAM) an error starts with <3>, elsewhere not (%s)", msgs);
	}
	{
		/* the fault hook is in ima-export-faulty only */
		static const char *const bins[] = { "ima-export", "ima-export-faulty" };
		int rcs[2][2], has[2];

		for (int b = 0; b < 2; b++) {
			struct buf bin;

			buf_init(&bin);
			snprintf(path, sizeof(path), "%s/../%s", TESTS_DIR, bins[b]);
			has[b] = !read_path_all(path, &bin) &&
				 memmem(bin.p, bin.len, "IMA_EXPORT_FAULT", 16) != NULL;
			buf_free(&bin);
			for (int f = 0; f < 2; f++) {
				snprintf(cmd, sizeof(cmd),
					 "cd %s && rm -rf fsfs fstore && mkdir fsfs && : >fsfs/binary_runtime_measurements && "
					 ": >fsfs/binary_runtime_measurements_staged && %s %s/../%s -q --store fstore "
					 "--securityfs fsfs --boot-id boot_id --boot-key r5-cli export 2>/dev/null",
					 w.root, f ? "IMA_EXPORT_FAULT=open" : "", TESTS_DIR, bins[b]);
				rc = system(cmd);
				rcs[b][f] = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
			}
		}
		ok(!has[0] && has[1], "fault hook: the string IMA_EXPORT_FAULT is in ima-export-faulty only");
		ok(rcs[0][1] == rcs[0][0] && rcs[0][0] != 137 && rcs[1][1] == 137,
		   "fault hook: IMA_EXPORT_FAULT=open changes nothing in ima-export (exit %d, %d without it), kills ima-export-faulty (exit %d)",
		   rcs[0][1], rcs[0][0], rcs[1][1]);
	}
	if (system("command -v groff >/dev/null 2>&1") == 0) {
		char msgs[1024];

		snprintf(cmd, sizeof(cmd), "groff -man -Tutf8 -ww -z %s/../ima-export.8 2>&1", TESTS_DIR);
		rc = run_capture(cmd, msgs, sizeof(msgs));
		ok(rc == 0 && msgs[0] == '\0', "man page: groff -man -ww has no warnings %s", msgs);
	} else {
		ok(1, "# SKIP groff not installed");
	}
	w_free(&w);
	buf_free(&out);
	buf_free(&l);
}

/*
 * The key is fixed per kernel instance (boot_id) in the store: PCRs 0-7
 * extended during the boot do not split the log, a kexec'd instance in
 * the same TPM power cycle goes on in the same boot, readers need no TPM,
 * and a TPM reset under the running kernel stops the writers.  dir holds
 * swtpm's sys/pcr-sha256 files; tcti reaches it, port + 1 its control.
 */
static void test_instance_key(const char *dir, const char *tcti, int port)
{
	char cmd[2048], base[1024], ka[128], out[512], info[1024], err[256], rec1[512], rec2[512];
	struct store s;
	int rc;

	snprintf(cmd, sizeof(cmd), "echo 1111-aaaa > %s/bid1 && echo 2222-bbbb > %s/bid2 && "
		 "echo 3333-cccc > %s/bid3", dir, dir, dir);
	rc = system(cmd);
	/* a store with one boot, made as an export makes it */
	snprintf(base, sizeof(base), "%s/st", dir);
	snprintf(cmd, sizeof(cmd), "%s/sys", dir);
	rc |= boot_key_derive(cmd, tcti, ka, sizeof(ka), info, sizeof(info), err, sizeof(err));
	if (!rc && !store_open(&s, base, ka, info, STORE_WRITE, err, sizeof(err)))
		store_close(&s);
	else
		rc = 1;
	snprintf(base, sizeof(base), "%s/../ima-export --store %s/st --tpm %s/sys --tcti %s",
		 TESTS_DIR, dir, dir, tcti);
	snprintf(cmd, sizeof(cmd), "%s --boot-id %s/bid1 boot-key", base, dir);
	run_capture(cmd, out, sizeof(out));
	ok(rc == 0 && !strcmp(out, ka), "instance: the first command of a kernel takes the key of the store's boot (%s)", ka);
	snprintf(cmd, sizeof(cmd), "printf '%%064d\\n' 8 > %s/sys/pcr-sha256/0 && "
		 "%s --boot-id %s/bid1 boot-key", dir, base, dir);
	run_capture(cmd, out, sizeof(out));
	ok(!strcmp(out, ka), "instance: PCR 0 extended during the boot, the same kernel keeps its key (%s)", out);
	snprintf(cmd, sizeof(cmd), "%s/../ima-export --store %s/st --tpm %s/none "
		 "--tcti mssim:host=127.0.0.1,port=1 --boot-id %s/bid1 boots 2>&1; echo \"exit $?\"",
		 TESTS_DIR, dir, dir, dir);
	run_capture(cmd, out, sizeof(out));
	ok(strstr(out, ka) && strstr(out, "current") && strstr(out, "exit 0"),
	   "instance: without the TPM, boots works from the kernel's recorded key: %s", out);
	snprintf(cmd, sizeof(cmd), "%s --boot-id %s/bid2 boot-key", base, dir);
	run_capture(cmd, out, sizeof(out));
	ok(!strcmp(out, ka), "instance: a kexec'd kernel (same TPM power cycle, other PCRs 0-7) goes on in the same boot (%s)", out);
	snprintf(cmd, sizeof(cmd), "%s --boot-id %s/bid2 remove-boot %s 2>&1; echo \"exit $?\"", base, dir, ka);
	run_capture(cmd, out, sizeof(out));
	ok(strstr(out, "is the current boot") && strstr(out, "exit 13"),
	   "instance: remove-boot refuses the boot that holds the running kernel's head: %s", out);
	snprintf(cmd, sizeof(cmd), "cat %s/st/.instances/1111-aaaa", dir);
	run_capture(cmd, rec1, sizeof(rec1));
	snprintf(cmd, sizeof(cmd), "swtpm_ioctl --tcp 127.0.0.1:%d -i && tpm2_startup -c -T %s >/dev/null && "
		 "IMA_EXPORT_SECURITYFS=%s/none %s --boot-id %s/bid1 export 2>&1; echo \"exit $?\"",
		 port + 1, tcti, dir, base, dir);
	run_capture(cmd, out, sizeof(out));
	snprintf(cmd, sizeof(cmd), "cat %s/st/.instances/1111-aaaa", dir);
	run_capture(cmd, rec2, sizeof(rec2));
	ok(strstr(out, "TPM was reset under this kernel") && strstr(out, "exit 14") && !strcmp(rec1, rec2),
	   "instance: the TPM reset under the running kernel, export refuses (exit 14) and changes nothing: %s", out);
	snprintf(cmd, sizeof(cmd), "%s --boot-id %s/bid3 boot-key", base, dir);
	run_capture(cmd, out, sizeof(out));
	ok(out[0] == 'r' && strcmp(out, ka), "instance: a kernel after the reset starts another boot (%s)", out);
}

/*
 * The boot identity from a software TPM (swtpm): the same while the TPM is
 * not reset (kexec), another after a TPM Reset (power cycle + Startup).
 */
static void test_boot_key(void)
{
	char dir[128], cmd[2048], k1[128], k2[128], k3[128], k4[128], tcti[128];
	int port = 20000 + (int)(getpid() % 20000), rc;

	if (scratch_with("swtpm swtpm_ioctl tpm2_startup", "swtpm", dir, sizeof(dir)))
		return;
	snprintf(cmd, sizeof(cmd),
		 "swtpm socket --tpm2 --tpmstate dir=%s --server type=tcp,port=%d,bindaddr=127.0.0.1 "
		 "--ctrl type=tcp,port=%d,bindaddr=127.0.0.1 --flags not-need-init,startup-clear "
		 "--daemon --pid file=%s/pid --log file=%s/log && "
		 "mkdir -p %s/sys/pcr-sha256 && for i in 0 1 2 3 4 5 6 7; do "
		 "printf '%%064d\\n' $i > %s/sys/pcr-sha256/$i; done",
		 dir, port, port + 1, dir, dir, dir, dir);
	rc = system(cmd);
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", port);
	snprintf(cmd, sizeof(cmd), "%s/../ima-export --store %s/none --tpm %s/sys --tcti %s boot-key",
		 TESTS_DIR, dir, dir, tcti);
	for (int i = 0; rc == 0 && i < 20 && run_capture(cmd, k1, sizeof(k1)); i++)
		usleep(100000);	/* swtpm starting */
	run_capture(cmd, k2, sizeof(k2));
	ok(rc == 0 && k1[0] == 'r' && !strcmp(k1, k2),
	   "boot key: from swtpm's resetCount and PCRs 0-7, the same twice (%s)", k1);
	snprintf(cmd, sizeof(cmd), "swtpm_ioctl --tcp 127.0.0.1:%d -i && tpm2_startup -c -T %s", port + 1, tcti);
	rc = system(cmd);
	snprintf(cmd, sizeof(cmd), "%s/../ima-export --store %s/none --tpm %s/sys --tcti %s boot-key",
		 TESTS_DIR, dir, dir, tcti);
	run_capture(cmd, k3, sizeof(k3));
	ok(rc == 0 && k3[0] == 'r' && strcmp(k3, k1) != 0,
	   "boot key: a TPM Reset (power cycle, Startup CLEAR) gives another key (%s)", k3);
	snprintf(cmd, sizeof(cmd), "printf '%%064d\\n' 9 > %s/sys/pcr-sha256/0 && "
		 "%s/../ima-export --store %s/none --tpm %s/sys --tcti %s boot-key",
		 dir, TESTS_DIR, dir, dir, tcti);
	run_capture(cmd, k4, sizeof(k4));
	ok(k4[0] == 'r' && strcmp(k4, k3) != 0 && !strncmp(k4, k3, strchr(k3, '-') ? (size_t)(strchr(k3, '-') - k3) : 0),
	   "boot key: other PCRs 0-7 (another platform) with the same resetCount give another key (%s)", k4);
	test_instance_key(dir, tcti, port);
	/* stopped by the pid it wrote, whatever state it is in */
	snprintf(cmd, sizeof(cmd), "kill $(cat '%s/pid') && rm -rf '%s'", dir, dir);
	if (system(cmd))
		diag("swtpm cleanup");
}

/* what the system measures while --final runs: grow[i] records after A i */
struct final_growth {
	struct world *w;
	unsigned int grow[12], n, suspend_at;
};

static void final_on_A(struct fake_state *st, void *arg)
{
	struct final_growth *g = arg;
	unsigned int i = g->n++;

	if (i < 12 && g->grow[i])
		w_measure(g->w, g->grow[i]);
	if (g->suspend_at && g->n == g->suspend_at)
		st->suspend_on_A = -ESTALE;
}

static int w_final(struct world *w, struct final_growth *g)
{
	int rc;

	g->w = w;
	w->st->on_A = final_on_A;
	w->st->on_A_arg = g;
	w->c.final = 1;
	rc = cmd_export(&w->c);
	w->c.final = 0;
	w->st->on_A = NULL;
	return rc;
}

/* --final: export again while records keep coming */
static void test_final(void)
{
	struct world w;
	char why[512] = "";
	int rc;

	w_init(&w);
	w_measure(&w, 30);
	{
		struct final_growth g = { .grow = { 30, 20, 10, 3 } };

		rc = w_final(&w, &g);
		ok(rc == EX_OK && w.st->nA == 4 && w.st->nD == 4 && w.st->staged_len == 0 &&
		   w.st->cur_len > 0 && w_consistent(&w, why, sizeof(why)) && all_done(&w),
		   "final: rounds while each stores more than a few records (31, 30, 20, then 10): 4 rounds, the 3 records measured during the last stay %s",
		   why);
	}
	{
		struct final_growth g = { .grow = { 0 } };

		w_measure(&w, 25);
		rc = w_final(&w, &g);
		ok(rc == EX_OK && w.st->cur_len == 0 && w.st->nA == 5 && w_consistent(&w, why, sizeof(why)),
		   "final: nothing measured meanwhile: one round, the next A finds the list empty %s", why);
	}
	{
		struct final_growth g = { .grow = { 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50 } };
		unsigned long nA = w.st->nA;

		w_measure(&w, 50);
		rc = w_final(&w, &g);
		ok(rc == EX_OK && w.st->nA - nA == 10 && w.st->cur_len > 0 && w_consistent(&w, why, sizeof(why)),
		   "final: a system that measures faster than it exports: it stops after 10 rounds, exit 0 %s", why);
	}
	{
		struct final_growth g = { .grow = { 40, 40, 40 }, .suspend_at = 2 };

		w_export(&w);
		w_measure(&w, 40);
		rc = w_final(&w, &g);
		ok(rc == EX_OK && nchunks(&w, CH_CARRIED) == 1 && w_consistent(&w, why, sizeof(why)),
		   "final: a kexec capture during the second round (ESTALE): stops, the chunk is carried %s", why);
		w_kexec(&w, 1);
		ok(w_consistent(&w, why, sizeof(why)) && w_export(&w) == EX_OK &&
		   w_consistent(&w, why, sizeof(why)) && all_done(&w),
		   "final: after that kexec the log is whole and the next export stores only the new records %s", why);
	}
	w.st->suspended = 1;
	w_measure(&w, 2);
	ok(w_final(&w, &(struct final_growth){ .n = 0 }) == EX_SUSPENDED,
	   "final: measurement already suspended for kexec (EACCES): exit %d", EX_SUSPENDED);
	w_free(&w);
}

/* out has a line that starts with head, and ends with " current" or not */
static int line_has(const char *out, const char *head, int current)
{
	const char *l = strstr(out, head), *nl;

	if (!l || (l != out && l[-1] != '\n'))
		return 0;
	nl = strchr(l, '\n');
	if (!nl)
		return 0;
	return (nl - l >= 8 && !strncmp(nl - 8, " current", 8)) == current;
}

/* boots lists the boots of the store, remove-boot removes an old one */
static void test_boots(void)
{
	struct world w;
	struct buf out;
	char why[512] = "", path[512], other[64];
	struct stat sb;
	int rc;

	buf_init(&out);
	w_init(&w);
	w_measure(&w, 4);
	w_export(&w);
	snprintf(other, sizeof(other), "%s", w.c.boot_key);
	/* a real reboot: the TPM was reset, a new kernel with a new list */
	w.c.boot_key = "r2-0000000000000000";
	fake_kexec(w.st, "kernel-2", 0);
	buf_reset(&w.truth);
	w_boot_aggregate(&w);
	w_measure(&w, 2);
	w_export(&w);
	w_measure(&w, 1);
	rc = capture(&w, cmd_boots, &out);
	ok(rc == EX_OK && line_has((char *)out.p, "r1-0000000000000000 chunks=1 records=5 bytes=", 0) &&
	   line_has((char *)out.p, "r2-0000000000000000 chunks=1 records=3 bytes=", 1),
	   "boots: both boots with chunks and records, the second one current");
	w.c.remove_key = w.c.boot_key;
	rc = cmd_remove_boot(&w.c);
	snprintf(path, sizeof(path), "%s/%s/journal", w.store, w.c.boot_key);
	ok(rc == EX_REFUSED && stat(path, &sb) == 0, "remove-boot: the current boot is refused (exit %d) and kept", EX_REFUSED);
	w.c.remove_key = "r7-nosuchboot";
	ok(cmd_remove_boot(&w.c) == EX_INPUT, "remove-boot: a boot that is not in the store: exit %d", EX_INPUT);
	w.c.remove_key = "../r1";
	ok(cmd_remove_boot(&w.c) == EX_USAGE, "remove-boot: a key that is not a boot name (../r1): exit %d", EX_USAGE);
	/* leftovers of a removal a crash interrupted */
	snprintf(path, sizeof(path), "mkdir %s/.removing-r0-old && touch %s/.removing-r0-old/00000001.bin",
		 w.store, w.store);
	if (system(path))
		diag("mkdir");
	{
		struct store s;
		char err[256];

		store_open(&s, w.store, w.c.boot_key, NULL, 1, err, sizeof(err));
		w.c.remove_key = other;
		rc = cmd_remove_boot(&w.c);
		store_close(&s);
		ok(rc == EX_BUSY, "remove-boot: while an export holds the store: exit %d", EX_BUSY);
	}
	rc = cmd_remove_boot(&w.c);
	snprintf(path, sizeof(path), "%s/%s", w.store, other);
	ok(rc == EX_OK && stat(path, &sb) != 0, "remove-boot: an old boot is removed with its chunks");
	snprintf(path, sizeof(path), "%s/.removing-r0-old", w.store);
	ok(stat(path, &sb) != 0, "remove-boot: the leftovers of an interrupted removal go too");
	rc = capture(&w, cmd_boots, &out);
	ok(rc == EX_OK && !strstr((char *)out.p, "r1-") && !strstr((char *)out.p, "removing") &&
	   strstr((char *)out.p, "r2-0000000000000000 chunks=1"),
	   "boots: only the current boot is left");
	ok(w_consistent(&w, why, sizeof(why)), "remove-boot: the current boot's log is untouched %s", why);
	w.c.remove_key = NULL;
	w_free(&w);

	/* no store at all: boots prints nothing, remove-boot creates nothing */
	w_init(&w);
	rc = capture(&w, cmd_boots, &out);
	ok(rc == EX_OK && ((char *)out.p)[0] == '\0', "boots: no store yet: nothing listed, exit 0");
	w.c.remove_key = "r9-x";
	rc = cmd_remove_boot(&w.c);
	ok(rc == EX_INPUT && stat(w.store, &sb) != 0, "remove-boot: with no store, exit %d and no store created", EX_INPUT);
	w.c.remove_key = NULL;
	w_free(&w);
	buf_free(&out);
}

/*
 * prune: the boots beyond the latest N, and those whose last chunk is
 * older than D days, go; the current boot and its log never do.
 */
static void test_prune(void)
{
	static const char *const keys[] = { "r1-p", "r2-p", "r3-p", "r4-p" };
	char why[512] = "", cmd[1024];
	struct world w;
	struct buf out;
	int rc;

	buf_init(&out);
	w_init(&w);
	for (int i = 0; i < 4; i++) {
		if (i) {
			sleep(1);	/* chunk times are seconds: one boot a second */
			fake_kexec(w.st, keys[i], 0);
			buf_reset(&w.truth);
			w_boot_aggregate(&w);
		}
		w.c.boot_key = keys[i];
		w_measure(&w, 2);
		w_export(&w);
	}
	w.c.keep_days = 1;
	rc = cmd_prune(&w.c);
	capture(&w, cmd_boots, &out);
	ok(rc == EX_OK && strstr((char *)out.p, "r1-p ") && strstr((char *)out.p, "r3-p "),
	   "prune --keep-days 1: nothing is a day old, every boot kept");
	w.c.keep_days = 0;
	w.c.keep_boots = 2;
	rc = cmd_prune(&w.c);
	capture(&w, cmd_boots, &out);
	ok(rc == EX_OK && !strstr((char *)out.p, "r1-p ") && !strstr((char *)out.p, "r2-p ") &&
	   strstr((char *)out.p, "r3-p ") && strstr((char *)out.p, "r4-p chunks=1 records=3"),
	   "prune --keep-boots 2: the two oldest boots removed, the latest and the current kept:\n%s",
	   (char *)out.p);
	w.c.keep_boots = 0;
	w.c.keep_days = 1;
	w.c.now = time(NULL) + 2 * 86400;
	rc = cmd_prune(&w.c);
	capture(&w, cmd_boots, &out);
	ok(rc == EX_OK && !strstr((char *)out.p, "r3-p ") && strstr((char *)out.p, "r4-p chunks=1"),
	   "prune --keep-days 1, two days later: the old boot removed, the current one kept although as old");
	ok(w_consistent(&w, why, sizeof(why)), "prune: the current boot's log is untouched %s", why);
	snprintf(cmd, sizeof(cmd), "%s/../ima-export --store %s --boot-key r4-p prune 2>&1; echo \"exit $?\"",
		 TESTS_DIR, w.store);
	rc = run_capture(cmd, why, sizeof(why));
	ok(strstr(why, "needs --keep-boots") && strstr(why, "exit 2"), "prune without a policy: exit 2: %s", why);
	snprintf(cmd, sizeof(cmd), "%s/../ima-export --store %s --boot-key r4-p prune --keep-boots 0 2>&1; echo \"exit $?\"",
		 TESTS_DIR, w.store);
	rc = run_capture(cmd, why, sizeof(why));
	ok(strstr(why, "a count of 1") && strstr(why, "exit 2"), "prune --keep-boots 0: exit 2: %s", why);
	w_free(&w);
	buf_free(&out);
}

/*
 * The systemd units pass systemd-analyze verify (with the built program in
 * place of /usr/sbin/ima-export and the man page on MANPATH, which verify
 * checks too), and a broken copy does not: the check can fail.
 */
static void test_units(void)
{
	char dir[128], cmd[2048];
	int rc, rc_bad;

	if (scratch_with("systemd-analyze", "units", dir, sizeof(dir)))
		return;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && mkdir -p man/man8 && cp %s/../ima-export.8 man/man8/ && "
		 "for u in %s/../systemd/*; do sed 's#/usr/sbin/ima-export#%s/../ima-export#' \"$u\" >\"${u##*/}\"; done && "
		 "MANPATH=$PWD/man systemd-analyze verify ./ima-export.service ./ima-export.timer ./ima-export-final.service ./ima-export-view.service >verify.out 2>&1 && "
		 "test ! -s verify.out || { sed 's/^/# /' verify.out; exit 1; }",
		 dir, TESTS_DIR, TESTS_DIR, TESTS_DIR);
	rc = system(cmd);
	ok(rc == 0, "units: ima-export.service, ima-export.timer, ima-export-final.service and ima-export-view.service pass systemd-analyze verify, no message");
	/* a bad value is only a warning: a message fails the check too */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && sed -i 's/^Type=oneshot/Type=oneshoot/' ima-export-final.service && "
		 "MANPATH=$PWD/man systemd-analyze verify ./ima-export-final.service 2>&1 | grep -q oneshoot", dir);
	rc_bad = !system(cmd);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && sed -i 's/^Type=oneshoot/Type=oneshot/; s#^ExecStop=.*#ExecStop=/nonexistent/ima-export#' ima-export-final.service && "
		 "MANPATH=$PWD/man systemd-analyze verify ./ima-export-final.service >/dev/null 2>&1", dir);
	ok(rc_bad != 0 && system(cmd) != 0,
	   "units: systemd-analyze verify warns about a bad Type= and fails on a missing program (the check can fail)");
	/*
	 * systemd-analyze security on the unit files: exposure 1.0 to 4.9
	 * is "OK" in systemd 252 (5.0 and up MEDIUM); what each unit gets.
	 */
	{
		static const char *const svcs[] = {
			"ima-export.service", "ima-export-final.service", "ima-export-view.service",
		};
		char out[4096];

		for (int i = 0; i < 3; i++) {
			const char *lvl;
			double score = 99;

			snprintf(cmd, sizeof(cmd),
				 "cd '%s' && cp %s/../systemd/%s . && systemd-analyze security --offline=yes ./%s 2>&1 | grep 'Overall exposure'",
				 dir, TESTS_DIR, svcs[i], svcs[i]);
			rc = run_capture(cmd, out, sizeof(out));
			lvl = strstr(out, "service: ");
			if (!lvl || sscanf(lvl + 9, "%lf", &score) != 1)
				score = 99;
			ok(rc == 0 && score <= 4.9 && (strstr(out, " OK") || strstr(out, " SAFE")),
			   "units: %s: systemd-analyze security rates it OK or better (%s)", svcs[i], out);
		}
		snprintf(cmd, sizeof(cmd),
			 "cd '%s' && grep -v '^\\(Capability\\|NoNew\\|Protect\\|Private\\|Restrict\\|SystemCall\\|Device\\|Lock\\|Memory\\|UMask\\|IPAddress\\|Supplementary\\)' "
			 "%s/../systemd/ima-export.service >loose.service && "
			 "systemd-analyze security --offline=yes ./loose.service 2>&1 | grep 'Overall exposure'",
			 dir, TESTS_DIR);
		rc = run_capture(cmd, out, sizeof(out));
		ok(rc == 0 && !strstr(out, " OK") && !strstr(out, " SAFE"),
		   "units: the export unit without its sandbox is not OK: the check can fail (%s)",
		   out);
	}
	/* make install: sbin under PREFIX, ExecStart= follows it; uninstall */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && make -s -C %s/.. install uninstall DESTDIR=$PWD/inst PREFIX=/opt/ie UNITDIR=/units >/dev/null 2>&1 && "
		 "test -z \"$(find inst -type f)\" && make -s -C %s/.. install DESTDIR=$PWD/inst PREFIX=/opt/ie UNITDIR=/units >/dev/null 2>&1 && "
		 "test -x inst/opt/ie/sbin/ima-export && test -f inst/opt/ie/share/man/man8/ima-export.8 && "
		 "test \"$(grep -h '^Exec' inst/units/*.service | grep -c '=/opt/ie/sbin/ima-export ')\" = 4 && "
		 "test \"$(grep -c /usr/sbin inst/units/*.service | grep -vc ':0$')\" = 0 && "
		 "test \"$(ls inst/units | wc -l)\" = 4",
		 dir, TESTS_DIR, TESTS_DIR);
	ok(system(cmd) == 0,
	   "install: PREFIX=/opt/ie puts the program in /opt/ie/sbin, the units' Exec lines name it; uninstall removes all");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		diag("cannot remove %s", dir);
}

/* status --json, parsed by python3, against the store and the outcomes */
static int json_check(struct world *w, const char *expr, char *got, size_t n)
{
	char cmd[1024], path[256];
	struct buf out;
	FILE *f;
	int rc;

	buf_init(&out);
	w->c.json = 1;
	rc = capture(w, cmd_status, &out);
	w->c.json = 0;
	snprintf(path, sizeof(path), "%s/status.json", w->root);
	f = fopen(path, "w");
	fputs((char *)out.p, f);
	fclose(f);
	buf_free(&out);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(%s)' %s 2>&1",
		 expr, path);
	return run_capture(cmd, got, n) || rc ? -1 : 0;
}

static void test_status_json(void)
{
	unsigned long long recs = 0, gone = 0;
	char got[1024], want[1024];
	struct store s;
	struct world w;
	char err[256];
	int rc;

	if (system("command -v python3 >/dev/null 2>&1")) {
		ok(1, "# SKIP status --json: no python3");
		return;
	}
	w_init(&w);
	w_measure(&w, 7);	/* after the boot aggregate of w_init: 1 + 7 + 3 */
	rc = export_recorded(&w.c);
	w_measure(&w, 3);
	rc |= export_recorded(&w.c);
	w_measure(&w, 2);
	if (!rc && store_open(&s, w.store, w.c.boot_key, NULL, 0, err, sizeof(err)) == EX_OK) {
		for (size_t i = 0; i < s.j.n; i++) {
			recs += s.j.c[i].records;
			gone += s.j.c[i].state == CH_DONE ? s.j.c[i].records : 0;
		}
		store_close(&s);
	}
	snprintf(want, sizeof(want), "%llu %llu 2 0 ok None 0 2 True", recs, gone);
	rc = json_check(&w, "d[\"records_stored\"], d[\"records_deleted\"], d[\"chunks\"], "
			"d[\"last_export\"][\"exit\"], d[\"last_export\"][\"outcome\"], d[\"last_error\"], "
			"d[\"kernel\"][\"staged_records\"], d[\"kernel\"][\"current_records\"], "
			"d[\"store\"] == sys.argv[1].rsplit(\"/\", 1)[0] + \"/store\"", got, sizeof(got));
	ok(rc == 0 && recs == 11 && !strcmp(got, want),
	   "status --json: records stored and deleted, chunks, last export ok, no error, the kernel's lists: \"%s\" (want \"%s\")",
	   got, want);
	w.c.quote = "/nonexistent/quote";
	rc = export_recorded(&w.c);
	w.c.quote = NULL;
	rc = json_check(&w, "d[\"last_export\"][\"exit\"], d[\"last_export\"][\"outcome\"], "
			"d[\"last_error\"][\"message\"], d[\"last_error\"][\"time\"] == d[\"last_export\"][\"time\"], "
			"d[\"records_stored\"]", got, sizeof(got));
	snprintf(want, sizeof(want), "%d input quote /nonexistent/quote: No such file or directory True %llu",
		 EX_INPUT, recs);
	ok(rc == 0 && !strcmp(got, want),
	   "status --json: a failed export: its exit code, outcome and message: \"%s\"", got);
	rc = export_recorded(&w.c);
	rc = json_check(&w, "d[\"last_export\"][\"outcome\"], d[\"last_error\"][\"message\"], d[\"records_stored\"]",
			got, sizeof(got));
	snprintf(want, sizeof(want), "ok quote /nonexistent/quote: No such file or directory %llu", recs + 2);
	ok(rc == 0 && !strcmp(got, want),
	   "status --json: the next export succeeds, the last error stays: \"%s\"", got);
	w_free(&w);
}

static char **fsck_argv;
static int fsck_argc;

static int run_fsck(struct ctx *c)
{
	return cmd_fsck(c, fsck_argc, fsck_argv);
}

/* fsck (optionally --repair) with its output in out */
static int w_fsck(struct world *w, int repair, struct buf *out)
{
	static char arg[] = "--repair";
	static char *argv[] = { arg, NULL };

	fsck_argv = argv;
	fsck_argc = repair;
	return capture(w, run_fsck, out);
}

static void w_append(struct world *w, const char *name, const void *p, size_t n)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", w->store, w->c.boot_key, name);
	f = fopen(path, "a");
	fwrite(p, 1, n, f);
	fclose(f);
}

static off_t w_size(struct world *w, const char *name)
{
	char path[400];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s/%s", w->store, w->c.boot_key, name);
	return stat(path, &sb) ? -1 : sb.st_size;
}

/* issue 23, items 2 and 3: fsck, and the list of durable chunks */
static void test_fsck(void)
{
	static const uint8_t zeros[900];
	static const char end[] = "99 sum=0123456789abcdef\n";
	char why[512] = "", line1[200], line2[200], path[400];
	struct world w;
	size_t c1;
	struct buf out;
	off_t jsize;
	int rc;

	buf_init(&out);
	w_init(&w);
	w_measure(&w, 3);
	w_export(&w);
	c1 = w.truth.len;
	w_measure(&w, 2);
	w_export(&w);
	rc = w_fsck(&w, 0, &out);
	snprintf(line1, sizeof(line1), "chunk 1 done durable bytes=%zu sha256=", c1);
	snprintf(line2, sizeof(line2), "chunk 2 done durable bytes=%zu sha256=", w.truth.len - c1);
	ok(rc == EX_OK && strstr((char *)out.p, "journal version=3 lines=") &&
	   strstr((char *)out.p, line1) && strstr((char *)out.p, line2) &&
	   strstr((char *)out.p, " ok\n") && !strstr((char *)out.p, "chunk 3 "),
	   "fsck: a clean store exits 0 and lists each durable chunk, checked (%s)", (char *)out.p);

	/* a store restored without its lock file: readers still read it */
	snprintf(path, sizeof(path), "%s/lock", w.store);
	unlink(path);
	rc = w_fsck(&w, 0, &out);
	ok(rc == EX_OK && strstr((char *)out.p, line2) && w_consistent(&w, why, sizeof(why)),
	   "fsck, cat, verify: a store without its lock file is read, not taken as empty %s", why);

	/* power loss in an append: zeros, then the end of a line */
	jsize = w_size(&w, "journal");
	w_append(&w, "journal", zeros, sizeof(zeros));
	w_append(&w, "journal", end, strlen(end));
	rc = w_fsck(&w, 0, &out);
	ok(rc == EX_TORN && strstr((char *)out.p, "torn line=") &&
	   w_size(&w, "journal") == jsize + (off_t)(sizeof(zeros) + strlen(end)),
	   "fsck: a torn journal tail exits %d, nothing changed", EX_TORN);
	w_tpm_sync(&w);
	ok(w_consistent(&w, why, sizeof(why)), "fsck: cat and verify read the store with the torn tail %s", why);
	rc = w_fsck(&w, 1, &out);
	ok(rc == EX_OK && strstr((char *)out.p, "repaired") && w_size(&w, "journal") == jsize &&
	   w_fsck(&w, 0, &out) == EX_OK && strstr((char *)out.p, "kept journal.torn-"),
	   "fsck --repair: the tail is cut off (kept in journal.torn-OFFSET), then fsck exits 0");

	/* --repair cuts the torn tail and nothing else: no seal */
	journal_seal_chunks = 2;
	w_append(&w, "journal", zeros, sizeof(zeros));
	rc = w_fsck(&w, 1, &out);
	ok(rc == EX_OK && strstr((char *)out.p, "repaired") && w_size(&w, "journal") == jsize &&
	   w_size(&w, "journal-00000002") < 0,
	   "fsck --repair: with the journal due for a seal, only the torn tail is cut (no journal-00000002)");
	journal_seal_chunks = 1024;

	/* a chunk file without a journal line (an export killed before it) */
	w_append(&w, "00000003.bin", "x", 1);
	rc = w_fsck(&w, 0, &out);
	ok(rc == EX_OK && strstr((char *)out.p, "orphan 00000003.bin\n"),
	   "fsck: a chunk file without its line is reported as an orphan, exit 0");

	/* damage fsck cannot mend: reported, nothing changed, even with --repair */
	w_append(&w, "00000002.bin", "x", 1);
	w_append(&w, "journal", zeros, sizeof(zeros));
	snprintf(path, sizeof(path), "%s/%s/journal", w.store, w.c.boot_key);
	rc = w_fsck(&w, 1, &out);
	ok(rc == EX_CORRUPT && strstr((char *)out.p, " size\n") &&
	   w_size(&w, "journal") == jsize + (off_t)sizeof(zeros),
	   "fsck --repair: a torn tail with a damaged chunk exits %d and cuts nothing", EX_CORRUPT);
	if (truncate(path, jsize))
		diag("truncate failed");
	rc = w_fsck(&w, 1, &out);
	ok(rc == EX_CORRUPT && strstr((char *)out.p, "chunk 2 done durable") &&
	   strstr((char *)out.p, " size\n") && w_size(&w, "journal") == jsize,
	   "fsck --repair: a chunk longer than its line exits %d, named, nothing changed", EX_CORRUPT);
	snprintf(path, sizeof(path), "%s/%s/00000001.bin", w.store, w.c.boot_key);
	unlink(path);
	rc = w_fsck(&w, 0, &out);
	ok(rc == EX_CORRUPT && strstr((char *)out.p, " missing\n"),
	   "fsck: a missing chunk file exits %d", EX_CORRUPT);
	/* a line in the middle damaged: not a torn tail */
	snprintf(path, sizeof(path), "%s/%s/journal", w.store, w.c.boot_key);
	{
		int fd = open(path, O_WRONLY);

		if (pwrite(fd, "Z", 1, 200) != 1)
			diag("pwrite failed");
		close(fd);
	}
	rc = w_fsck(&w, 1, &out);
	ok(rc == EX_CORRUPT && strstr((char *)out.p, "corrupt ") && w_size(&w, "journal") == jsize,
	   "fsck --repair: a damaged line with good ones after it exits %d, the journal untouched", EX_CORRUPT);
	w.c.boot_key = "r9-nosuchboot";
	ok(w_fsck(&w, 0, &out) == EX_INPUT, "fsck: a boot that is not in the store exits %d", EX_INPUT);
	w.c.boot_key = "r1-0000000000000000";
	w_free(&w);
	buf_free(&out);
}

static int boots_has(struct world *w, const char *what)
{
	struct buf out;
	int has;

	buf_init(&out);
	capture(w, cmd_boots, &out);
	has = strstr((char *)out.p, what) != NULL;
	buf_free(&out);
	return has;
}

/*
 * Issue 23, item 8: an export reads a journal of at most
 * journal_seal_chunks chunks, whatever the store's age; readers read the
 * sealed journals too, checked by their SHA-256.
 */
static void test_seal(void)
{
	char why[512] = "", path[400];
	struct world w;
	struct buf out;
	char was[1];
	off_t small;
	int rc, fd, bad = 0;

	buf_init(&out);
	journal_seal_chunks = 3;
	w_init(&w);
	for (int i = 0; i < 7; i++) {
		w_measure(&w, 2);
		if (w_export(&w) != EX_OK)
			bad++;
	}
	ok(!bad && w_size(&w, "journal-00000003") > 0 && w_size(&w, "journal-00000006") > 0 &&
	   w_size(&w, "journal") < w_size(&w, "journal-00000003"),
	   "seal: every 3 chunks the journal is sealed as journal-NNNNNNNN and starts again from a base line");
	ok(w_consistent(&w, why, sizeof(why)) && nchunks(&w, CH_DONE) == 7,
	   "seal: cat and verify read the sealed journals and the journal: the whole log, 7 chunks %s", why);
	ok(boots_has(&w, " chunks=7 ") && w_fsck(&w, 0, &out) == EX_OK &&
	   strstr((char *)out.p, "chunk 1 done durable") && strstr((char *)out.p, "chunk 7 done durable") &&
	   strstr((char *)out.p, "sealed journal-00000006"),
	   "seal: boots counts 7 chunks, fsck checks all 7 and names the sealed journals");
	/* an export does not read the sealed journals; a reader checks them */
	snprintf(path, sizeof(path), "%s/%s/journal-00000003", w.store, w.c.boot_key);
	fd = open(path, O_RDWR);
	if (pread(fd, was, 1, 100) != 1 || pwrite(fd, "Z", 1, 100) != 1)
		diag("pwrite failed");
	w_measure(&w, 1);
	rc = w_export(&w);
	ok(rc == EX_OK && w_fsck(&w, 0, &out) == EX_CORRUPT && strstr((char *)out.p, "journal-00000003"),
	   "seal: an export reads only the journal (exit 0 with a sealed one damaged); fsck refuses the damage, named");
	if (pwrite(fd, was, 1, 100) != 1)
		diag("pwrite failed");
	close(fd);
	store_drop_cache();
	/* a good line appended to a sealed journal (its chain intact): only
	 * the SHA-256 the base line names tells */
	{
		struct buf j3, extra;
		char prev[17];
		off_t j3size = w_size(&w, "journal-00000003");

		buf_init(&j3);
		buf_init(&extra);
		snprintf(path, sizeof(path), "%s/%s/journal-00000003", w.store, w.c.boot_key);
		read_path_all(path, &j3);
		memcpy(prev, j3.p + j3.len - 17, 16);
		prev[16] = '\0';
		buf_append(&extra, "state 3 done\n", 13);
		if (journal_seal(prev, &extra, NULL))
			diag("journal_seal failed");
		w_append(&w, "journal-00000003", extra.p, extra.len);
		rc = w_fsck(&w, 0, &out);
		ok(rc == EX_CORRUPT && strstr((char *)out.p, "journal-00000003") &&
		   strstr((char *)out.p, "SHA-256"),
		   "seal: a sealed journal with a good line appended (chain intact) is refused by its SHA-256 (%d: %s)",
		   rc, (char *)out.p);
		if (truncate(path, j3size))
			diag("truncate failed");
		store_drop_cache();
		buf_free(&j3);
		buf_free(&extra);
	}
	/* SIGKILL in the middle of a seal (chunks 7, 8, 9), then export */
	small = w_size(&w, "journal");
	w_measure(&w, 1);
	w_export(&w);
	w_measure(&w, 1);
	rc = w_export_fault(&w, "seal-tmp");
	ok(rc && w_size(&w, "journal-00000009") > 0 && w_size(&w, "journal") > small,
	   "seal: killed after the link, before the new journal: the old journal is still there");
	w_measure(&w, 1);
	ok(w_export(&w) == EX_OK && w_consistent(&w, why, sizeof(why)) && all_done(&w),
	   "seal: the next export seals again, nothing lost, nothing twice %s", why);
	journal_seal_chunks = 1024;
	w_free(&w);
	buf_free(&out);
}

void test_export(void)
{
	quiet = 1;
	test_basic();
	test_verify();
	test_write_error();
	test_full_disk();
	test_kexec();
	test_final();
	test_faults();
	test_cli();
	test_boots();
	test_prune();
	test_status_json();
	test_units();
	test_boot_key();
	test_fsck();
	test_seal();
}
