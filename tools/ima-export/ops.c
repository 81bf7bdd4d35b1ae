// SPDX-License-Identifier: GPL-2.0
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imalog.h"
#include "replay.h"
#include "tpm.h"
#include "wholelog.h"

const char *const export_fault_steps[] = {
	"open", "resolve", "after-A", "after-read", "chunk-tmp",
	"chunk-renamed", "after-store", "after-D", "done", NULL,
};

const char *const quote_fault_steps[] = {
	"open", "open-current", "quote-read", "chunk-tmp", "chunk-renamed",
	"after-store", "after-N", "done", NULL,
};

/* the writer's open failed: with EBUSY, say who holds the lists */
static void open_failed(const char *what, int e)
{
	char who[1024] = "";

	if (e == -EBUSY)
		kernel_list_holders(who, sizeof(who));
	msg("cannot open %s for writing: %s%s%s%s", what, strerror(-e), kernel_err_hint(e),
	    who[0] ? "; held open by " : "", who);
}

/* how long an export waits for readers of the store (a view's refresh) */
#define STORE_WAIT_TRIES 100
#define STORE_WAIT_US 50000

/*
 * The kernel's writer open (open_rw or open_rw_current): readers of the
 * lists keep the writer out (EBUSY), and a view serving an agent opens
 * them for a moment at any time; wait for them as long as for the store.
 * A holder that stays (another exporter, a stuck reader) still gets EBUSY.
 */
static int open_writer(struct kernel *k, int (*open_fn)(struct kernel *))
{
	int e, tries = 0;

	while ((e = open_fn(k)) == -EBUSY && ++tries < STORE_WAIT_TRIES)
		usleep(STORE_WAIT_US);
	return e;
}

static int open_store(struct ctx *c, struct store *s, int writer)
{
	char err[512];
	int rc, tries = 0;

	/*
	 * An exporter holds the kernel's writer already, so a busy lock is a
	 * reader's, which lets go soon: wait for it a bounded time.
	 */
	while ((rc = store_open(s, c->store_root, c->boot_key, c->boot_info, writer,
				err, sizeof(err))) == EX_BUSY && writer &&
	       ++tries < STORE_WAIT_TRIES)
		usleep(STORE_WAIT_US);
	if (rc)
		msg("%s", err);
	return rc;
}

/* set chunk i's state, queueing the journal line in pend */
static int set_state(struct store *s, size_t i, int state, struct buf *pend)
{
	if (s->j.c[i].state == state)
		return 0;
	s->j.c[i].state = state;
	return journal_line_state(s->j.c[i].seq, state, pend);
}

static int commit(struct store *s, struct buf *pend, const char *tag)
{
	int rc = store_append(s, pend, NULL);

	if (rc)
		msg("cannot append to the journal: %s; nothing deleted from the kernel by this step",
		    strerror(-rc));
	buf_reset(pend);
	fault_point(tag);
	return rc;
}

/*
 * Queue the intent line: request req (D, or N's count) is about to be
 * written for chunks from index i on.  Committed (fsynced) before the
 * request, so that a crash after it leaves a question the next export
 * decides (resolve_intent), not a guess.
 */
static int note_intent(struct store *s, size_t i, const char *req, struct buf *pend)
{
	s->j.intent = s->j.c[i].seq;
	snprintf(s->j.intent_req, sizeof(s->j.intent_req), "%s", req);
	return journal_line_intent(s->j.intent, req, pend);
}

/* queue the line that closes the open intent: its outcome is recorded */
static int note_resolved(struct store *s, struct buf *pend)
{
	unsigned int seq = s->j.intent;

	if (!seq)
		return 0;
	s->j.intent = 0;
	s->j.intent_req[0] = '\0';
	return journal_line_resolved(seq, pend);
}

/* the request failed, nothing deleted: close the intent (best effort) */
static void request_failed(struct store *s, struct buf *pend)
{
	buf_reset(pend);
	if (!note_resolved(s, pend))
		store_append(s, pend, NULL);
	buf_reset(pend);
}

static int sha256_of(const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned int len = 0;

	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/*
 * Store p[0..len) as the next chunk, durably, and queue its journal line
 * in pend (the caller commits it).  cut_n: it leaves the kernel by N.
 */
static int add_chunk(struct store *s, const char *kinst, const uint8_t *p,
		     size_t len, int cut_n, struct buf *pend)
{
	struct ima_list_info li;
	struct pcr_state st;
	unsigned int seq;
	struct chunk *nc;
	char err[512];
	int e;

	if (ima_list_scan(p, len, 1, &li, err, sizeof(err))) {
		msg("internal error: %s", err);
		return EX_KERNEL;
	}
	journal_tail_state(&s->j, &st);
	if (replay_buf(&st, p, len, err, sizeof(err))) {
		msg("replay: %s", err);
		return EX_KERNEL;
	}
	seq = journal_next_seq(&s->j);
	e = store_write_chunk(s, seq, p, len);
	if (e) {
		msg("cannot store chunk %u: %s; nothing deleted from the kernel",
		    seq, strerror(-e));
		return EX_STORE;
	}
	nc = journal_add(&s->j);
	if (!nc) {
		msg("out of memory");
		return EX_STORE;
	}
	nc->seq = seq;
	nc->state = CH_STORED;
	nc->cut_n = cut_n;
	strcpy(nc->kernel, kinst);
	nc->time = (long long)time(NULL);
	nc->records = li.records;
	nc->bytes = len;
	memcpy(nc->first, li.first, IMA_DIGEST_SIZE);
	memcpy(nc->last, li.last, IMA_DIGEST_SIZE);
	nc->pcr = st;
	if (sha256_of(p, len, nc->file_sha256) || journal_line_chunk(nc, pend)) {
		msg("out of memory");
		return EX_STORE;
	}
	return EX_OK;
}

/* What one transaction did, for the caller to decide whether to go on. */
struct txn {
	int adopted;		/* a staged list was already there (resume) */
	int deleted;		/* D (or N) succeeded */
	int empty;		/* nothing to stage: A said ENOENT */
	unsigned long records;	/* records in the chunk it stored */
};

/*
 * The kernel's answer e to D or N for chunks [from, n): deleted (done),
 * carried to the next kernel (ESTALE) or not carried although captured
 * (ENOSPC).  ENOENT from D: nothing was staged any more.
 */
static int delete_result(struct store *s, size_t from, int e, struct buf *pend,
			 struct txn *t)
{
	int state = e == -ESTALE ? CH_CARRIED : e == -ENOSPC ? CH_KEPT : CH_DONE;

	for (size_t i = from; i < s->j.n; i++)
		if (set_state(s, i, state, pend))
			return -1;
	t->deleted = !e || e == -ENOENT;
	if (e == -ESTALE)
		info("kexec capture in progress: the records go on to the next kernel; chunks marked carried");
	else if (e == -ENOSPC)
		warn("the kexec capture did not fit: nothing is carried; the store keeps the only copy");
	return 0;
}

/*
 * One transaction on the writer descriptor: adopt the staged list or, when
 * stage is set, stage with A; store what the store does not hold yet; D.
 */
static int transaction(struct ctx *c, struct store *s, const char *kinst,
		       int stage, struct txn *t)
{
	struct kernel *k = c->k;
	struct buf S, pend;
	char err[512];
	size_t u, held_from, held, i;
	unsigned int seq = 0;
	int e, ret = EX_OK;

	memset(t, 0, sizeof(*t));
	buf_init(&S);
	buf_init(&pend);
	e = k->ops->read_staged(k, &S);
	if (e) {
		msg("cannot read the staged list: %s", strerror(-e));
		ret = EX_KERNEL;
		goto out;
	}
	if (S.len == 0) {
		/*
		 * Nothing staged: this kernel's staged chunks were deleted by
		 * a D.  Chunks for N are matched against the list below.
		 */
		for (i = journal_first_unresolved(&s->j); i < s->j.n; i++)
			if (!strcmp(s->j.c[i].kernel, kinst) && !s->j.c[i].cut_n &&
			    set_state(s, i, CH_DONE, &pend))
				goto nomem;
		if (pend.len && commit(s, &pend, "resolve")) {
			ret = EX_STORE;
			goto out;
		}
		if (!stage)
			goto out;
		e = k->ops->request(k, "A");
		if (e == -EACCES) {
			info("measurement is suspended for kexec: nothing exported");
			ret = EX_SUSPENDED;
			goto out;
		}
		if (e == -ENOENT) {
			info("the measurement list is empty: nothing to export");
			t->empty = 1;
			goto out;
		}
		if (e) {
			msg("staging (A) failed: %s%s", strerror(-e), kernel_err_hint(e));
			ret = e == -EINVAL ? EX_NOSTAGING : EX_KERNEL;
			goto out;
		}
		fault_point("after-A");
		e = k->ops->read_staged(k, &S);
		if (e || S.len == 0) {
			msg("cannot read the staged list after A: %s",
			    e ? strerror(-e) : "empty");
			ret = EX_KERNEL;
			goto out;
		}
	} else {
		info("adopting a staged list (%zu bytes) that an earlier run left", S.len);
		t->adopted = 1;
	}
	fault_point("after-read");

	{
		struct ima_list_info li;

		if (ima_list_scan(S.p, S.len, 1, &li, err, sizeof(err))) {
			msg("the kernel's staged list is corrupt: %s; nothing deleted", err);
			ret = EX_KERNEL;
			goto out;
		}
	}
	if (match_held(s, kinst, S.p, S.len, 1, &u, &held_from, &held, err, sizeof(err))) {
		msg("store: %s", err);
		ret = EX_CORRUPT;
		goto out;
	}
	for (i = u; i < held_from; i++)
		if (set_state(s, i, CH_DONE, &pend))
			goto nomem;
	if (held < S.len) {
		ret = add_chunk(s, kinst, S.p + held, S.len - held, 0, &pend);
		if (ret)
			goto out;
		seq = s->j.c[s->j.n - 1].seq;
	}
	if (note_intent(s, held_from, "D", &pend))
		goto nomem;
	if (commit(s, &pend, "after-store")) {
		ret = EX_STORE;
		goto out;
	}
	e = k->ops->request(k, "D");
	fault_point("after-D");
	if (e && e != -ESTALE && e != -ENOSPC && e != -ENOENT) {
		msg("deleting the staged records (D) failed: %s; they stay in the kernel and in the store, the next run deletes them",
		    strerror(-e));
		request_failed(s, &pend);
		ret = EX_KERNEL;
		goto out;
	}
	if (delete_result(s, held_from, e, &pend, t) || note_resolved(s, &pend))
		goto nomem;
	if (commit(s, &pend, "done")) {
		ret = EX_STORE;
		goto out;
	}
	if (seq) {
		t->records = s->j.c[s->j.n - 1].records;
		info("stored chunk %u: %lu records, %llu bytes", seq, t->records,
		     (unsigned long long)s->j.c[s->j.n - 1].bytes);
	} else
		info("the staged list was already stored: deleted it from the kernel");
	goto out;
nomem:
	msg("out of memory");
	ret = EX_STORE;
out:
	buf_free(&S);
	buf_free(&pend);
	return ret;
}

/* PCR 10 per bank: from the TPM's sysfs files or from a quote's file. */
struct tpm_pcrs {
	int present[NBANKS];
	uint8_t v[NBANKS][PCR_MAX];
};

static int read_tpm(const char *dir, struct tpm_pcrs *t)
{
	int any = 0;

	memset(t, 0, sizeof(*t));
	for (int b = 0; b < NBANKS; b++) {
		int e = tpm_read_pcr(dir, b, IMA_PCR, t->v[b]);

		t->present[b] = !e;
		if (e && e != -ENOENT) {
			msg("cannot read %s/pcr-%s/%d: %s", dir, banks[b].name, IMA_PCR,
			    strerror(-e));
			return -1;
		}
		any |= !e;
	}
	return any ? 0 : -1;
}

/*
 * read(arg) between two reads of PCR 10, again until both agree (at most
 * 11 times), so that what it read goes with the PCR 10 values in *t.
 * EX_OK, EX_NOTPM, or read's own code.
 */
static int read_at_stable_pcr(struct ctx *c, struct tpm_pcrs *t, int (*read)(void *), void *arg)
{
	struct tpm_pcrs before;
	int rc;

	for (int tries = 0;; tries++) {
		if (read_tpm(c->tpm_dir, &before))
			return EX_NOTPM;
		rc = read(arg);
		if (rc)
			return rc;
		if (read_tpm(c->tpm_dir, t))
			return EX_NOTPM;
		if (!memcmp(&before, t, sizeof(before)) || tries == 10)
			return EX_OK;
	}
}

struct kernel_lists {
	struct ctx *c;
	struct buf *staged, *current;
};

static int read_kernel_lists(void *arg)
{
	struct kernel_lists *kl = arg;

	buf_reset(kl->staged);
	buf_reset(kl->current);
	return wl_read_kernel(kl->c, kl->staged, kl->current);
}

struct whole_load {
	struct ctx *c;
	struct store *s;
	struct wholelog *w;
};

static int load_whole(void *arg)
{
	struct whole_load *l = arg;

	wl_free(l->w);
	return wl_load(l->w, l->c, l->s);
}

/*
 * A quote's PCR 10 values: one "ALG:HEX" per line (sha1, sha256, sha384,
 * sha512), '#' comments and blank lines ignored, at least one bank.
 */
int quote_parse(const char *text, struct tpm_pcrs *q, char *err, size_t errlen)
{
	const char *p = text;
	int line = 0, any = 0;

	memset(q, 0, sizeof(*q));
	while (*p) {
		const char *nl = strchrnul(p, '\n'), *colon;
		size_t n = (size_t)(nl - p);
		char hex[2 * PCR_MAX + 1];
		int b;

		line++;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
			n--;
		if (n == 0 || p[0] == '#')
			goto next;
		colon = memchr(p, ':', n);
		for (b = 0; colon && b < NBANKS; b++)
			if ((size_t)(colon - p) == strlen(banks[b].name) &&
			    !memcmp(p, banks[b].name, (size_t)(colon - p)))
				break;
		if (!colon || b == NBANKS) {
			snprintf(err, errlen, "line %d: not ALG:HEX with ALG sha1, sha256, sha384 or sha512", line);
			return -1;
		}
		n -= (size_t)(colon + 1 - p);
		if (n != 2 * banks[b].size) {
			snprintf(err, errlen, "line %d: %s needs %zu hex digits", line, banks[b].name,
				 2 * banks[b].size);
			return -1;
		}
		memcpy(hex, colon + 1, n);
		hex[n] = '\0';
		if (q->present[b] || hex_decode(hex, q->v[b], banks[b].size)) {
			snprintf(err, errlen, "line %d: %s", line,
				 q->present[b] ? "bank given twice" : "bad hex digits");
			return -1;
		}
		q->present[b] = any = 1;
next:
		p = *nl ? nl + 1 : nl;
	}
	if (!any)
		snprintf(err, errlen, "no PCR 10 value in it");
	return any ? 0 : -1;
}

/* every bank of q is reached by st (the full or the padded chain) */
static int pcrs_reached(const struct pcr_state *st, const struct tpm_pcrs *q)
{
	for (int b = 0; b < NBANKS; b++)
		if (q->present[b] && memcmp(st->full[b], q->v[b], banks[b].size) &&
		    memcmp(st->pad[b], q->v[b], banks[b].size))
			return 0;
	return 1;
}

/*
 * How many records of list (after the first `held` bytes, whose records
 * the store holds) bring the log to the quote: replay from the store's
 * tail.  *nrec is the count, *bytes their length; -1 when no prefix
 * reaches it.
 */
static int quote_prefix(const struct store *s, const uint8_t *list, size_t len,
			size_t held, const struct tpm_pcrs *q, unsigned long *nrec,
			size_t *bytes)
{
	struct pcr_state st;
	struct ima_rec r;
	size_t pos = held;
	char err[256];
	unsigned long i = 0;

	journal_tail_state(&s->j, &st);
	for (;;) {
		if (pcrs_reached(&st, q)) {
			*nrec = i;
			*bytes = pos - held;
			return 0;
		}
		if (ima_parse_next(list, len, &pos, &r, i, err, sizeof(err)) != 1 ||
		    replay_record(&st, &r))
			return -1;
		i++;
	}
}


/* p[0..len) replayed from st reaches every bank of t exactly */
static int replays_to(struct pcr_state st, const uint8_t *p, size_t len,
		      const struct tpm_pcrs *t)
{
	char err[256];

	return !replay_buf(&st, p, len, err, sizeof(err)) && pcrs_reached(&st, t);
}

/*
 * An earlier export fsynced an intent (N or D for chunks from seq on) and
 * died before it recorded the kernel's answer.  Did the records leave the
 * kernel?  Their content cannot tell (identical records are ordinary:
 * the kernel never de-duplicates violations), the TPM can, since the whole
 * log replays to PCR 10.  Gone: the log is the store ++ the kernel's lists.
 * Held: the lists start with those chunks' bytes; the log is the store ++
 * the rest.  PCR 10 is read before the lists (a record is listed before it
 * is extended) and again after them, until it stays the same; exactly one
 * hypothesis must reach it, else nothing is changed.  Runs as a reader of
 * the lists, without the writer.
 */
static int resolve_intent(struct ctx *c, struct store *s)
{
	struct tpm_pcrs t2;
	struct buf S, C, X, b, pend;
	struct pcr_state st;
	unsigned int seq = s->j.intent;
	char req[INTENT_REQ_MAX + 2];
	size_t from;
	char err[512];
	int rc = EX_OK, gone, held;

	buf_init(&S);
	buf_init(&C);
	buf_init(&X);
	buf_init(&b);
	buf_init(&pend);
	snprintf(req, sizeof(req), "\"%s\"", s->j.intent_req);
	for (from = 0; from < s->j.n && s->j.c[from].seq != seq; from++)
		;
	for (size_t i = from; i < s->j.n; i++) {
		if (store_read_chunk(s, &s->j.c[i], &b, err, sizeof(err))) {
			msg("store: %s", err);
			rc = EX_CORRUPT;
			goto out;
		}
		if (buf_append(&X, b.p, b.len))
			goto nomem;
	}
	{
		struct kernel_lists kl = { c, &S, &C };

		rc = read_at_stable_pcr(c, &t2, read_kernel_lists, &kl);
	}
	if (rc == EX_NOTPM)
		msg("an interrupted export wrote %s to the kernel for chunks %u..%u and did not record the answer; deciding it needs PCR 10, and there is none under %s: nothing changed",
		    req, seq, s->j.c[s->j.n - 1].seq, c->tpm_dir);
	if (rc)
		goto out;
	if (buf_append(&S, C.p, C.len))
		goto nomem;
	journal_tail_state(&s->j, &st);
	gone = replays_to(st, S.p, S.len, &t2);
	held = S.len >= X.len && !memcmp(S.p, X.p, X.len) &&
	       replays_to(st, S.p + X.len, S.len - X.len, &t2);
	if (gone == held) {
		msg("an interrupted export wrote %s to the kernel for chunks %u..%u and did not record the answer; %s of the two outcomes replays to the TPM's PCR 10 (store ++ the kernel's lists): nothing changed (see verify)",
		    req, seq, s->j.c[s->j.n - 1].seq, gone ? "each" : "neither");
		rc = EX_MISMATCH;
		goto out;
	}
	for (size_t i = from; gone && i < s->j.n; i++)
		if (set_state(s, i, CH_DONE, &pend))
			goto nomem;
	if (note_resolved(s, &pend))
		goto nomem;
	if (commit(s, &pend, "resolve")) {
		rc = EX_STORE;
		goto out;
	}
	info("an interrupted export's request %s for chunks %u..: PCR 10 says the records %s",
	     req, seq, gone ? "left the kernel (chunks done)" : "are still in the kernel");
	goto out;
nomem:
	msg("out of memory");
	rc = EX_STORE;
out:
	buf_free(&S);
	buf_free(&C);
	buf_free(&X);
	buf_free(&b);
	buf_free(&pend);
	return rc;
}

/*
 * The N flavour, on the writer of binary_runtime_measurements: find the
 * records that bring the log to the quote's PCR 10, store them, write N
 * (the records the store holds at the head of the list, carried by a
 * kexec or stored by an interrupted run, count in N).
 */
static int export_n(struct ctx *c, struct store *s, const char *kinst,
		    struct tpm_pcrs *quote)
{
	struct kernel *k = c->k;
	struct tpm_pcrs q;
	struct buf C, pend;
	size_t u, held_from, held, bytes;
	unsigned long k_new, n;
	char err[512], req[24];
	struct txn t;
	int e, ret = EX_OK;

	buf_init(&C);
	buf_init(&pend);
	e = open_writer(k, k->ops->open_rw_current);
	if (e) {
		open_failed("the measurement list", e);
		return kernel_exit_code(e);
	}
	fault_point("open-current");
	/* the TPM before the list: a record is listed before it is extended */
	if (quote)
		q = *quote;
	else if (read_tpm(c->tpm_dir, &q)) {
		msg("no TPM PCR 10 under %s", c->tpm_dir);
		ret = EX_NOTPM;
		goto out;
	}
	e = k->ops->read_current(k, &C);
	if (e) {
		msg("cannot read the measurement list: %s", strerror(-e));
		ret = EX_KERNEL;
		goto out;
	}
	if (ima_list_scan(C.p, C.len, 1, &(struct ima_list_info){ 0 }, err, sizeof(err))) {
		msg("the kernel's measurement list is corrupt: %s; nothing deleted", err);
		ret = EX_KERNEL;
		goto out;
	}
	fault_point("quote-read");
	if (match_held(s, kinst, C.p, C.len, 0, &u, &held_from, &held, err, sizeof(err))) {
		msg("store: %s", err);
		ret = EX_CORRUPT;
		goto out;
	}
	if (quote_prefix(s, C.p, C.len, held, &q, &k_new, &bytes)) {
		msg("no prefix of the log reaches the quote's PCR 10 values (a quote older than the store's last chunk, of another boot, or from another TPM?): nothing exported");
		ret = EX_MISMATCH;
		goto out;
	}
	for (size_t i = u; i < held_from; i++)
		if (set_state(s, i, CH_DONE, &pend))
			goto nomem;
	if (k_new) {
		ret = add_chunk(s, kinst, C.p + held, bytes, 1, &pend);
		if (ret)
			goto out;
	}
	n = ima_list_count(C.p, held) + k_new;
	snprintf(req, sizeof(req), "%lu", n);
	if (n && note_intent(s, held_from, req, &pend))
		goto nomem;
	if (commit(s, &pend, "after-store")) {
		ret = EX_STORE;
		goto out;
	}
	if (n == 0) {
		info("the store already reaches the quote: nothing to export");
		goto out;
	}
	e = k->ops->request(k, req);
	fault_point("after-N");
	if (e && e != -ESTALE && e != -ENOSPC) {
		msg("deleting the %lu oldest records (N) failed: %s%s; they stay in the kernel and in the store, the next run resolves them",
		    n, strerror(-e),
		    e == -EINVAL ? " (booted with ima_flush_htable? then use export without a quote)" :
		    e == -EEXIST ? " (records were staged meanwhile)" : "");
		request_failed(s, &pend);
		ret = e == -EEXIST ? EX_BUSY : EX_KERNEL;
		goto out;
	}
	if (delete_result(s, held_from, e, &pend, &t) || note_resolved(s, &pend))
		goto nomem;
	if (commit(s, &pend, "done")) {
		ret = EX_STORE;
		goto out;
	}
	info("quote reached after %lu new records: stored them, deleted %lu records with N", k_new, n);
	goto out;
nomem:
	msg("out of memory");
	ret = EX_STORE;
out:
	k->ops->close_rw(k);
	buf_free(&C);
	buf_free(&pend);
	return ret;
}

/* the quote file of --quote; EX_OK or EX_INPUT */
static int load_quote(const char *path, struct tpm_pcrs *q)
{
	char err[256] = "";
	struct buf f;
	int e;

	buf_init(&f);
	e = read_path_all(path, &f);
	if (!e && (buf_append(&f, "", 1) || memchr(f.p, '\0', f.len - 1)))
		e = -EINVAL;
	if (!e && quote_parse((const char *)f.p, q, err, sizeof(err)))
		e = -EINVAL;
	if (e)
		msg("quote %s: %s", path, err[0] ? err : strerror(-e));
	buf_free(&f);
	return e ? EX_INPUT : EX_OK;
}

/* rounds of --final, and a round small enough to stop after */
#define FINAL_ROUNDS 10
#define FINAL_FEW 16

int cmd_export(struct ctx *c)
{
	struct kernel *k = c->k;
	char kinst[KERNEL_ID_MAX];
	int rc, e, round = 0;
	struct tpm_pcrs q;
	struct store s;
	struct txn t;

	if (c->quote && (rc = load_quote(c->quote, &q)))
		return rc;
	/*
	 * The kernel's single writer first: it keeps exporters apart also
	 * where the store cannot be locked (no flock in the kernel).
	 */
	e = open_writer(k, k->ops->open_rw);
	if (e) {
		open_failed("the staged list", e);
		return kernel_exit_code(e);
	}
	rc = open_store(c, &s, 1);
	if (rc) {
		k->ops->close_rw(k);
		return rc;
	}
	e = k->ops->instance(k, kinst, sizeof(kinst));
	if (e) {
		msg("cannot read the kernel instance id: %s", strerror(-e));
		rc = EX_KERNEL;
		goto out;
	}
	fault_point("open");
	if (s.j.intent) {
		/* decided as a reader of the lists: let the writer go meanwhile */
		k->ops->close_rw(k);
		rc = resolve_intent(c, &s);
		if (!rc && (e = open_writer(k, k->ops->open_rw))) {
			open_failed("the staged list", e);
			rc = kernel_exit_code(e);
		}
		if (rc)
			goto out;
	}
	/* first the resume: a staged list left behind */
	rc = transaction(c, &s, kinst, !c->quote && !c->quote_tpm, &t);
	if (c->quote || c->quote_tpm) {
		k->ops->close_rw(k);
		/* staged records are older: N waits until they are gone */
		if (rc == EX_OK && (!t.adopted || t.deleted))
			rc = export_n(c, &s, kinst, c->quote ? &q : NULL);
		goto out;
	}
	/* a resumed list is done: now the export that was asked for */
	if (rc == EX_OK && t.adopted && t.deleted)
		rc = transaction(c, &s, kinst, 1, &t);
	/*
	 * --final: again while records keep coming, so that what is left
	 * for a kexec to carry is what arrives during one short round.
	 */
	while (c->final && rc == EX_OK && t.deleted && !t.empty && t.records > FINAL_FEW &&
	       ++round < FINAL_ROUNDS)
		rc = transaction(c, &s, kinst, 1, &t);
	if (c->final && rc == EX_OK && t.deleted && !t.empty)
		info("final: the last round stored %lu records; what was measured after its A stays in the kernel",
		     t.records);
out:
	k->ops->close_rw(k);
	store_close(&s);
	return rc;
}

/* up to 1 MiB at a time: memory stays bounded whatever the log's size */
#define CAT_BLOCK (1024 * 1024)

int cmd_cat(struct ctx *c)
{
	struct wholelog w;
	uint64_t off = 0;
	struct store s;
	char *b = NULL;
	ssize_t n;
	int rc;

	rc = open_store(c, &s, 0);
	if (rc)
		return rc;
	rc = wl_load(&w, c, &s);
	store_close(&s);
	b = malloc(CAT_BLOCK);
	if (!rc && !b)
		rc = EX_STORE;
	while (!rc) {
		n = c->ascii ? wl_read_ascii(&w, b, CAT_BLOCK, off) :
			       wl_read_bin(&w, b, CAT_BLOCK, off);
		if (n < 0)
			rc = EX_CORRUPT;
		else if (!n)
			break;
		else if (fwrite(b, 1, (size_t)n, c->out) != (size_t)n)
			break;
		off += (uint64_t)(n > 0 ? n : 0);
	}
	if (!rc && (fflush(c->out) || ferror(c->out))) {
		msg("write error on output: %s", strerror(errno));
		rc = EX_STORE;
	}
	free(b);
	wl_free(&w);
	return rc;
}

struct vstate {
	struct pcr_state st;
	const struct tpm_pcrs *t;
	unsigned long total;		/* records replayed */
	unsigned long match_at[NBANKS];	/* records replayed when PCR last matched */
	int matched[NBANKS];
	int bad;
};

static void note_match(struct vstate *v)
{
	for (int b = 0; b < NBANKS; b++) {
		if (!v->t->present[b])
			continue;
		if (!memcmp(v->st.full[b], v->t->v[b], banks[b].size) ||
		    !memcmp(v->st.pad[b], v->t->v[b], banks[b].size)) {
			v->matched[b] = 1;
			v->match_at[b] = v->total;
		}
	}
}

struct replay_arg {
	struct vstate *v;
	const char *what;
	unsigned long i;
};

static int replay_one(const struct ima_rec *r, uint64_t off, void *arg)
{
	struct replay_arg *a = arg;
	struct vstate *v = a->v;

	if (ima_rec_check_digest(r)) {
		char hex[41];

		hex_encode(r->digest, IMA_DIGEST_SIZE, hex);
		msg("%s, record %lu (log offset %llu, log record %lu): template digest %s does not match its data",
		    a->what, a->i, (unsigned long long)off, v->total, hex);
		v->bad = 1;
	}
	if (replay_record(&v->st, r))
		return -2;
	v->total++;
	a->i++;
	note_match(v);
	return 0;
}

/* Replay piece i of the log, naming `what` and its records on trouble. */
static int replay_piece(struct vstate *v, struct wholelog *w, size_t i, const char *what)
{
	struct replay_arg a = { v, what, 0 };
	char err[512];
	int rc = wl_piece_records(w, i, replay_one, &a, err, sizeof(err));

	if (rc == -2)
		return -1;
	if (rc < 0) {
		msg("%s: %s", what, err);
		v->bad = 1;
	}
	return 0;
}

int cmd_verify(struct ctx *c)
{
	struct tpm_pcrs t2;
	struct wholelog w;
	struct store s;
	struct vstate v;
	char err[512], what[128];
	int rc;

	rc = open_store(c, &s, 0);
	if (rc)
		return rc;
	memset(&w, 0, sizeof(w));
	w.bootfd = -1;
	{
		struct whole_load wload = { c, &s, &w };

		rc = read_at_stable_pcr(c, &t2, load_whole, &wload);
	}
	if (rc == EX_NOTPM)
		msg("no TPM PCR 10 under %s", c->tpm_dir);
	if (rc)
		goto out;
	memset(&v, 0, sizeof(v));
	replay_init(&v.st);
	v.t = &t2;
	for (size_t i = 0; i < w.n; i++) {
		const struct chunk *ch = i < s.j.n ? &s.j.c[i] : NULL;

		if (!ch) {
			snprintf(what, sizeof(what), "the kernel's lists");
		} else {
			snprintf(what, sizeof(what), "chunk %u (%08u.bin)", ch->seq, ch->seq);
			if (wl_check_piece(&w, i, err, sizeof(err))) {
				/* replayed all the same: which record is altered? */
				msg("store: %s", err);
				v.bad = 1;
			}
		}
		if (replay_piece(&v, &w, i, what)) {
			rc = EX_KERNEL;
			goto out;
		}
		for (int k = 0; ch && k < NBANKS; k++) {
			if (memcmp(v.st.full[k], ch->pcr.full[k], banks[k].size) ||
			    memcmp(v.st.pad[k], ch->pcr.pad[k], banks[k].size)) {
				msg("%s: replay gives another PCR 10 (%s) than the journal recorded after it",
				    what, banks[k].name);
				v.bad = 1;
				break;
			}
		}
	}
	rc = v.bad ? EX_MISMATCH : EX_OK;
	for (int k = 0; k < NBANKS; k++) {
		char hex[2 * PCR_MAX + 1];

		if (!t2.present[k])
			continue;
		if (!memcmp(v.st.full[k], t2.v[k], banks[k].size)) {
			fprintf(c->out, "%s: ok (%lu records)\n", banks[k].name, v.total);
		} else if (!memcmp(v.st.pad[k], t2.v[k], banks[k].size)) {
			fprintf(c->out, "%s: ok (%lu records; SHA-1 digests padded: the kernel has no %s transform)\n",
				banks[k].name, v.total, banks[k].name);
		} else {
			hex_encode(v.st.full[k], banks[k].size, hex);
			fprintf(c->out, "%s: MISMATCH: replay of %lu records gives %s", banks[k].name,
				v.total, hex);
			hex_encode(t2.v[k], banks[k].size, hex);
			fprintf(c->out, ", the TPM has %s", hex);
			if (v.matched[k])
				fprintf(c->out, "; the TPM value is reached after the first %lu records",
					v.match_at[k]);
			fputc('\n', c->out);
			rc = EX_MISMATCH;
		}
	}
	if (v.bad)
		fprintf(c->out, "the log has altered or corrupt records (see above)\n");
out:
	wl_free(&w);
	store_close(&s);
	return rc;
}

/* a JSON string: quotes, backslashes and control characters escaped */
static void json_str(FILE *f, const char *v)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

#define OUTCOME_FILE "last-export"
#define ERROR_FILE "last-error"

/*
 * The outcome of an export, for status: STORE/last-export ("time=",
 * "exit=") after every run, STORE/last-error ("time=", "message=") after
 * one that failed.  Written, never read here: a read by root would be
 * measured under ima_policy=tcb, a record per export.  Only in a store
 * (its marker there): a wrong --store gets nothing written.
 */
static void record_outcome(struct ctx *c, int rc)
{
	long long now = (long long)time(NULL);
	char text[1024];
	int dfd, e;

	dfd = open(c->store_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	if (faccessat(dfd, STORE_MARKER, F_OK, 0)) {
		close(dfd);
		return;
	}
	snprintf(text, sizeof(text), "time=%lld\nexit=%d\n", now, rc);
	e = durable_write(dfd, OUTCOME_FILE, text, strlen(text), NULL);
	if (!e && rc != EX_OK && rc != EX_SUSPENDED) {
		/* one line: a message is one already */
		snprintf(text, sizeof(text), "time=%lld\nmessage=%s\n", now,
			 last_error[0] ? last_error : exit_name(rc));
		e = durable_write(dfd, ERROR_FILE, text, strlen(text), NULL);
	}
	if (e)
		msg("cannot record the export's outcome in %s: %s", c->store_root, strerror(-e));
	close(dfd);
}

int export_recorded(struct ctx *c)
{
	int rc;

	last_error[0] = '\0';
	rc = cmd_export(c);
	record_outcome(c, rc);
	return rc;
}

/* status --json: the object documented in ima-export(8) */
/* "time=T\n" and the line after it ("exit=N" or "message=TEXT") of file */
static int read_outcome(const char *root, const char *file, long long *t, struct buf *b,
			const char **rest)
{
	char path[4200];
	char *p;

	snprintf(path, sizeof(path), "%s/%s", root, file);
	buf_reset(b);
	if (read_path_all(path, b) || buf_append(b, "", 1))
		return -1;
	p = (char *)b->p;
	if (sscanf(p, "time=%lld\n", t) != 1 || !strchr(p, '\n'))
		return -1;
	p = strchr(p, '\n') + 1;
	p[strcspn(p, "\n")] = '\0';
	*rest = p;
	return 0;
}

/* status --json: the object documented in ima-export(8) */
static void status_json(struct ctx *c, unsigned long long recs, unsigned long long bytes,
			unsigned long long gone, size_t chunks, long long last,
			const struct wholelog *w)
{
	FILE *f = c->out;
	long long t, et;
	const char *ex, *e;
	struct buf b, eb;
	int code;

	buf_init(&b);
	buf_init(&eb);
	fputs("{\"store\":", f);
	json_str(f, c->store_root);
	fputs(",\"boot\":", f);
	json_str(f, c->boot_key);
	fprintf(f, ",\"chunks\":%zu,\"records_stored\":%llu,\"bytes_stored\":%llu,\"records_deleted\":%llu",
		chunks, recs, bytes, gone);
	if (last)
		fprintf(f, ",\"last_chunk_time\":%lld", last);
	else
		fputs(",\"last_chunk_time\":null", f);
	if (!read_outcome(c->store_root, OUTCOME_FILE, &t, &b, &ex) &&
	    sscanf(ex, "exit=%d", &code) == 1) {
		fprintf(f, ",\"last_export\":{\"time\":%lld,\"exit\":%d,\"outcome\":", t, code);
		json_str(f, exit_name(code));
		fputc('}', f);
	} else {
		fputs(",\"last_export\":null", f);
	}
	if (!read_outcome(c->store_root, ERROR_FILE, &et, &eb, &e) && !strncmp(e, "message=", 8)) {
		fprintf(f, ",\"last_error\":{\"time\":%lld,\"message\":", et);
		json_str(f, e + 8);
		fputc('}', f);
	} else {
		fputs(",\"last_error\":null", f);
	}
	if (w)
		fprintf(f, ",\"kernel\":{\"staged_records\":%lu,\"current_records\":%lu}}\n",
			w->staged_records, w->current_records);
	else
		fputs(",\"kernel\":null}\n", f);
	buf_free(&b);
	buf_free(&eb);
}

int cmd_status(struct ctx *c)
{
	unsigned long long bytes = 0, gone = 0, gone_bytes = 0, recs = 0;
	unsigned long by_state[CH_DONE + 1] = { 0 };
	struct wholelog w;
	struct store s;
	long long last = 0;
	int rc;

	rc = open_store(c, &s, 0);
	if (rc)
		return rc;
	for (size_t i = 0; i < s.j.n; i++) {
		const struct chunk *ch = &s.j.c[i];

		by_state[ch->state]++;
		recs += ch->records;
		bytes += ch->bytes;
		if (ch->state == CH_DONE) {
			gone += ch->records;
			gone_bytes += ch->bytes;
		}
		if (ch->time > last)
			last = ch->time;
	}
	if (c->json) {
		rc = wl_load(&w, c, &s);
		status_json(c, recs, bytes, gone, s.j.n, last, rc ? NULL : &w);
		wl_free(&w);
		store_close(&s);
		return rc;
	}
	fprintf(c->out, "store: %s/%s\n", c->store_root, c->boot_key);
	fprintf(c->out, "chunks: %zu (stored %lu, carried %lu, kept %lu, done %lu)\n",
		s.j.n, by_state[CH_STORED], by_state[CH_CARRIED], by_state[CH_KEPT],
		by_state[CH_DONE]);
	fprintf(c->out, "records in the store: %llu (%llu bytes)\n", recs, bytes);
	fprintf(c->out, "records deleted from the kernel: %llu (%llu bytes of binary list)\n",
		gone, gone_bytes);
	if (last) {
		char tbuf[64];
		time_t tt = (time_t)last;

		strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
		fprintf(c->out, "last export: %s\n", tbuf);
	} else {
		fprintf(c->out, "last export: never\n");
	}
	rc = wl_load(&w, c, &s);
	if (!rc) {
		fprintf(c->out, "kernel: staged %lu records, current %lu records",
			w.staged_records, w.current_records);
		if (w.held_bytes)
			fprintf(c->out, " (%zu bytes already in the store)", w.held_bytes);
		fputc('\n', c->out);
	} else {
		fprintf(c->out, "kernel: lists not readable\n");
	}
	wl_free(&w);
	store_close(&s);
	return rc;
}

struct boots_out {
	FILE *out;
	const char *current;
	int n;
};

static void print_boot(const char *key, const struct journal *j, const char *why, void *arg)
{
	struct boots_out *o = arg;
	unsigned long long recs = 0, bytes = 0;
	long long last = 0;

	o->n++;
	if (!j) {
		fprintf(o->out, "%s unreadable (%s)%s\n", key, why,
			strcmp(key, o->current) ? "" : " current");
		return;
	}
	/* the sealed journals' chunks are counted in the base line */
	recs = j->base_records;
	bytes = j->base_bytes;
	last = j->base_last;
	for (size_t i = 0; i < j->n; i++) {
		recs += j->c[i].records;
		bytes += j->c[i].bytes;
		if (j->c[i].time > last)
			last = j->c[i].time;
	}
	fprintf(o->out, "%s chunks=%llu records=%llu bytes=%llu last=%lld%s\n", key,
		j->base_chunks + j->n, recs, bytes, last, strcmp(key, o->current) ? "" : " current");
}

int cmd_boots(struct ctx *c)
{
	struct boots_out o = { c->out, c->boot_key, 0 };
	struct store s;
	int rc, e;

	rc = open_store(c, &s, 0);
	if (rc)
		return rc;
	e = store_each_boot(&s, print_boot, &o);
	if (e) {
		msg("store %s: %s", c->store_root, strerror(-e));
		rc = EX_STORE;
	}
	store_close(&s);
	return rc;
}

int cmd_remove_boot(struct ctx *c)
{
	const char *key = c->remove_key;
	char path[4200];
	struct store s;
	struct stat sb;
	int rc, e;

	if (!boot_key_valid(key)) {
		msg("invalid boot key \"%s\"", key);
		return EX_USAGE;
	}
	if (!strcmp(key, c->boot_key)) {
		msg("%s is the current boot: its chunks are the head of the log; not removed", key);
		return EX_REFUSED;
	}
	/* look first (without the lock), so that a bad key creates nothing */
	snprintf(path, sizeof(path), "%s/%s/journal", c->store_root, key);
	if (stat(path, &sb)) {
		msg("no boot %s in the store %s", key, c->store_root);
		return EX_INPUT;
	}
	rc = open_store(c, &s, 1);
	if (rc)
		return rc;
	e = store_remove_boot(&s, key);
	if (e) {
		msg("cannot remove boot %s: %s", key, strerror(-e));
		rc = EX_STORE;
	} else {
		info("removed boot %s", key);
	}
	store_close(&s);
	return rc;
}

struct prune_boot {
	char key[BOOT_KEY_MAX];
	long long last;		/* the time of its last chunk */
	int readable;
};

struct prune_list {
	struct prune_boot *v;
	size_t n;
	int nomem;
};

static void collect_boot(const char *key, const struct journal *j, const char *why, void *arg)
{
	struct prune_list *l = arg;
	struct prune_boot *b, *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	(void)why;
	if (!v) {
		l->nomem = 1;
		return;
	}
	l->v = v;
	b = &v[l->n++];
	snprintf(b->key, sizeof(b->key), "%s", key);
	b->readable = j != NULL;
	b->last = 0;
	for (size_t i = 0; j && i < j->n; i++)
		if (j->c[i].time > b->last)
			b->last = j->c[i].time;
}

/* latest first */
static int by_last_desc(const void *a, const void *b)
{
	const struct prune_boot *x = a, *y = b;

	return x->last < y->last ? 1 : x->last > y->last ? -1 : strcmp(x->key, y->key);
}

int cmd_prune(struct ctx *c)
{
	long long now = c->now ? c->now : (long long)time(NULL);
	struct prune_list l = { NULL, 0, 0 };
	unsigned int kept = 1, removed = 0;	/* the current boot is kept */
	struct store s;
	int rc, e;

	rc = open_store(c, &s, 1);
	if (rc)
		return rc;
	e = store_each_boot(&s, collect_boot, &l);
	if (e || l.nomem) {
		msg("store %s: %s", c->store_root, strerror(e ? -e : ENOMEM));
		rc = EX_STORE;
		goto out;
	}
	qsort(l.v, l.n, sizeof(*l.v), by_last_desc);
	for (size_t i = 0; i < l.n; i++) {
		const struct prune_boot *b = &l.v[i];
		int too_many = c->keep_boots && kept >= c->keep_boots;
		int too_old = c->keep_days && b->last < now - (long long)c->keep_days * 86400;

		if (!strcmp(b->key, c->boot_key))
			continue;
		if (!b->readable) {
			msg("boot %s: its journal cannot be read; not removed (see fsck)", b->key);
			continue;
		}
		if (!too_many && !too_old) {
			kept++;
			continue;
		}
		e = store_remove_boot(&s, b->key);
		if (e) {
			msg("cannot remove boot %s: %s", b->key, strerror(-e));
			rc = EX_STORE;
			break;
		}
		removed++;
		info("removed boot %s (last chunk %lld, %s)", b->key, b->last,
		     too_old ? "older than --keep-days" : "beyond --keep-boots");
	}
	info("prune: %u boots removed, %u kept", removed, kept);
out:
	free(l.v);
	store_close(&s);
	return rc;
}
