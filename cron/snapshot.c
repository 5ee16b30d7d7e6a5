/* SPDX-License-Identifier: MIT */
/*
 * snapshot, every 5 minutes (docs/decisions.md#30-snapshots-ahead): make
 * the fold snapshots that the trace routes read (lib/db/fold.c) before
 * anyone asks, so that the first trace of a long history is as fast as the
 * second, also for a route that may only read.  It reads the log's
 * non-job rows in id order, a window at a time, from where the last run
 * stopped (fold_checkpoint_scan, sql/014) up to the id below which no row
 * can still come in, and folds ahead each account of a window that has
 * INSTLOG_FOLD_CHECKPOINT_EVERY rows or more after its latest usable
 * snapshot, from that snapshot on.  A run folds at most
 * INSTLOG_SNAPSHOT_ROWS rows and starts nothing after SNAPSHOT_SECONDS;
 * the next run goes on.  Exit status: 0 done (work may be left for the
 * next run), 1 the database failed, 2 bad configuration.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/ops.h"
#include "core/str.h"
#include "db/db_checkpoint.h"
#include "db/db_ops.h"
#include "db/fold.h"
#include "run/cronrun.h"

/*
 * Non-job rows in a window: its accounts are found by one statement of
 * bounded cost (an index range of this many entries, then each account's
 * latest snapshot and at most 'every' entries of its tail).
 */
#define SNAPSHOT_WINDOW_ROWS 10000
/* Accounts asked for at once. */
#define SNAPSHOT_BATCH 64
/* No window or fold is started after this many seconds of a run. */
#define SNAPSHOT_SECONDS 30
/* Accounts with a step of their own; those after share one. */
#define SNAPSHOT_STEPS 32

/* What the run did so far: one account's fold, or many summed. */
struct tally {
	int64_t accounts;
	int64_t rows;
	int64_t snapshots;
};

/* One run. */
struct scan {
	struct cronrun *cr;
	size_t every;
	int64_t left;     /* rows the run may still fold */
	int64_t until_ms; /* clock_wall_ms() after which nothing starts */
	int64_t from;     /* the scan's position at the start */
	int64_t at;       /* and now: every row up to it was read */
	int64_t safe;     /* no row can still come in at or below it */
	int64_t windows;  /* read whole */
	bool more;        /* work is left for the next run */
	struct tally all;
	struct tally rest; /* the accounts past SNAPSHOT_STEPS */
	int64_t rest_ms;   /* when the first of them started */
	/* The accounts folded in the window being read. */
	int64_t *walked;
	size_t nwalked;
	size_t cap;
};

/* Whether the run may start another fold of 'every' rows or more. */
static bool
may_go_on(const struct scan *s)
{
	return s->left >= (int64_t)s->every && clock_wall_ms() < s->until_ms;
}

/*
 * Write {"rows","snapshots","end"} or, for 'end' < 0, {"accounts","rows",
 * "snapshots"} of 't' into 'out', NUL-terminated.  Returns 0 or -1.
 */
static int
tally_json(struct buf *out, const struct tally *t, int end)
{
	struct json_writer w;

	json_writer_init(&w, out);
	json_open_object(&w);
	if (end < 0)
		json_member_int(&w, "accounts", t->accounts);
	json_member_int(&w, "rows", t->rows);
	json_member_int(&w, "snapshots", t->snapshots);
	if (end >= 0)
		json_member_bool(&w, "end", end > 0);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1)
		return -1;
	return buf_append(out, "", 1);
}

/*
 * The step of account 'entity', folded from 't0' as 'done' says (failed
 * with libpq's message when 'failed'), or its share of the step of the
 * accounts past SNAPSHOT_STEPS.
 */
static void
step_account(struct scan *s, int64_t entity, int64_t t0,
    const struct fold_progress *done, bool failed)
{
	struct tally t = { 1, done->rows, (int64_t)done->snapshots };
	const char *msg = db_error_message(s->cr->db);
	struct buf out;
	char name[40];

	s->all.accounts++;
	s->all.rows += t.rows;
	s->all.snapshots += t.snapshots;
	if (ops_touch(&s->cr->op, 0, entity) == -1)
		log_warnx("out of memory");
	if (!failed && s->all.accounts > SNAPSHOT_STEPS) {
		if (s->rest.accounts == 0)
			s->rest_ms = t0;
		s->rest.accounts++;
		s->rest.rows += t.rows;
		s->rest.snapshots += t.snapshots;
		return;
	}
	buf_init(&out);
	(void)snprintf(name, sizeof(name), "entity %" PRId64, entity);
	if (tally_json(&out, &t, done->end ? 1 : 0) == -1 ||
	    ops_step(&s->cr->op, name, t0, out.buf,
	        failed ? "cannot make snapshots" : NULL, failed ? msg : NULL,
	        failed ? strlen(msg) : 0) == -1)
		log_warnx("out of memory");
	buf_release(&out);
}

/* The one step of the accounts past SNAPSHOT_STEPS, if any. */
static void
step_rest(struct scan *s)
{
	struct ops_step st;
	struct buf out;

	if (s->rest.accounts == 0)
		return;
	buf_init(&out);
	memset(&st, 0, sizeof(st));
	st.name = (char *)(uintptr_t) "more accounts";
	st.started_ms = s->rest_ms;
	st.duration_ms = clock_wall_ms() - s->rest_ms;
	st.count = s->rest.accounts;
	if (tally_json(&out, &s->rest, -1) == -1)
		log_warnx("out of memory");
	st.output = out.buf;
	if (ops_step_add(&s->cr->op, &st) == -1)
		log_warnx("out of memory");
	buf_release(&out);
}

/*
 * Fold account 'entity' of the window that ends at id 'hi' ahead with what
 * the run has left.  Returns 0 when each of its rows up to 'hi' is now
 * covered by a snapshot or among fewer than 'every' after the last one, 1
 * when not (the run's rows ran out, or no snapshot may be made now), -1
 * when the database failed or out of memory.
 */
static int
fold_account(struct scan *s, int64_t entity, int64_t hi)
{
	struct fold_progress done;
	enum db_status ds;
	int64_t t0 = clock_wall_ms(), *v;
	size_t cap;
	int rc;

	if (s->nwalked == s->cap) {
		cap = s->cap == 0 ? SNAPSHOT_BATCH : s->cap * 2;
		if ((v = realloc(s->walked, cap * sizeof(*v))) == NULL) {
			log_warnx("out of memory");
			return -1;
		}
		s->walked = v;
		s->cap = cap;
	}
	s->walked[s->nwalked++] = entity;
	rc = fold_snapshot(s->cr->db, entity, s->every, s->left, &done, &ds);
	if (rc == -1 && ds == DB_OK) {
		log_warnx("entity '%" PRId64 "': out of memory", entity);
		db_set_error(s->cr->db, "out of memory");
	}
	step_account(s, entity, t0, &done, rc == -1);
	s->left -= done.rows;
	if (rc == -1)
		return -1;
	/* A row above the snapshots' max id may be one of the window's. */
	return done.end && (!done.above || done.max_id >= hi) ? 0 : 1;
}

/*
 * Fold ahead every account of the window (s->at, 'hi'] with a long tail.
 * Returns 0 when none is left, 1 when the run stops here (out of rows or
 * time, or an account that may not be snapshotted now: the window is read
 * again by the next run), -1 when the database failed.
 */
static int
read_window(struct scan *s, int64_t hi)
{
	int64_t ids[SNAPSHOT_BATCH];
	size_t n;
	bool held = false;
	int r;

	s->nwalked = 0;
	for (;;) {
		if (db_checkpoint_long_tails(s->cr->db, CKPT_VERSION, s->at, hi,
		        s->every, s->walked, s->nwalked, ids, SNAPSHOT_BATCH,
		        &n) != DB_OK)
			return -1;
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			if (!may_go_on(s))
				return 1;
			if ((r = fold_account(s, ids[i], hi)) == -1)
				return -1;
			/* Out of rows: the next run goes on from here. */
			if (r == 1 && s->left < (int64_t)s->every)
				return 1;
			held = held || r == 1;
		}
	}
	return held ? 1 : 0;
}

/*
 * The scan from where the last run stopped (the lock held): the windows
 * up to the safe id, the scan's new position, its step.  Returns the exit
 * status.
 */
static int
scan_log(struct scan *s)
{
	struct db_checkpoint none;
	struct json_writer w;
	struct buf out;
	int64_t t0 = clock_wall_ms(), scanned = 0, hi;
	const char *what = NULL;
	int version = 0, r = 0;

	memset(&none, 0, sizeof(none));
	if (db_checkpoint_scan_get(s->cr->db, &version, &scanned) != DB_OK ||
	    db_checkpoint_max_id(s->cr->db, &none, &s->safe) != DB_OK) {
		what = "cannot read the scan's position";
		goto out;
	}
	/* Snapshots of another version: every account again. */
	s->from = s->at = version == CKPT_VERSION ? scanned : 0;
	/*
	 * Out of rows, it still reads on while it has time: a window whose
	 * accounts need no fold costs a statement or two.
	 */
	while (s->at < s->safe) {
		if (clock_wall_ms() >= s->until_ms) {
			r = 1;
			break;
		}
		if (db_checkpoint_window(s->cr->db, s->at, s->safe,
		        SNAPSHOT_WINDOW_ROWS, &hi) != DB_OK) {
			r = -1;
			break;
		}
		/* No non-job row left up to the safe id. */
		if (hi == 0) {
			s->at = s->safe;
			break;
		}
		if ((r = read_window(s, hi)) != 0)
			break;
		s->at = hi;
		s->windows++;
		(void)db_ops_flush(s->cr->db, &s->cr->op);
	}
	s->more = r == 1;
	if (r == -1)
		what = "cannot find or fold the accounts of a window";
	if ((s->at != scanned || version != CKPT_VERSION) &&
	    db_checkpoint_scan_set(s->cr->db, CKPT_VERSION, s->at) != DB_OK &&
	    what == NULL)
		what = "cannot store the scan's position";
out:
	step_rest(s);
	buf_init(&out);
	json_writer_init(&w, &out);
	json_open_object(&w);
	json_member_int(&w, "version", CKPT_VERSION);
	json_member_int(&w, "from_id", s->from);
	json_member_int(&w, "to_id", s->at);
	json_member_int(&w, "safe_id", s->safe);
	json_member_int(&w, "windows", s->windows);
	json_member_bool(&w, "more", s->more);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_append(&out, "", 1) == -1 ||
	    ops_step(&s->cr->op, "scan", t0, out.buf, what,
	        what != NULL ? db_error_message(s->cr->db) : NULL,
	        what != NULL ? strlen(db_error_message(s->cr->db)) : 0) == -1)
		log_warnx("out of memory");
	buf_release(&out);
	return what == NULL ? CRONRUN_OK : CRONRUN_FAILED;
}

/* The operation's input: the snapshots' spacing and the rows of a run. */
static int
start(struct cronrun *cr, void *arg)
{
	static const char *const knobs[] = { "every", "rows" };
	int64_t vals[2];

	(void)arg;
	vals[0] = (int64_t)cr->cfg.fold_checkpoint_every;
	vals[1] = (int64_t)cr->cfg.snapshot_rows;
	return cronrun_input_ints(cr, knobs, vals, 2);
}

/*
 * The scan (the lock held; nothing with snapshots off), the operation's
 * output and the summary.  Returns the exit status.
 */
static int
run(struct cronrun *cr, void *arg)
{
	struct scan s;
	struct json_writer w;
	int rc = CRONRUN_OK;

	(void)arg;
	memset(&s, 0, sizeof(s));
	s.cr = cr;
	s.every = cr->cfg.fold_checkpoint_every;
	s.left = (int64_t)cr->cfg.snapshot_rows;
	s.until_ms = clock_wall_ms() + SNAPSHOT_SECONDS * 1000;
	if (s.every > 0)
		rc = scan_log(&s);
	json_writer_init(&w, &cr->output);
	json_open_object(&w);
	json_member_int(&w, "accounts", s.all.accounts);
	json_member_int(&w, "rows", s.all.rows);
	json_member_int(&w, "snapshots", s.all.snapshots);
	json_member_int(&w, "from_id", s.from);
	json_member_int(&w, "to_id", s.at);
	json_member_bool(&w, "more", s.more);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 ||
	    buf_append(&cr->output, "", 1) == -1)
		log_warnx("out of memory");
	if (s.every == 0)
		cronrun_summary(cr, "operation=%lld snapshots off",
		    (long long)cr->op.id);
	else
		cronrun_summary(cr,
		    "operation=%lld accounts=%lld rows=%lld snapshots=%lld "
		    "scanned_to=%lld more=%s",
		    (long long)cr->op.id, (long long)s.all.accounts,
		    (long long)s.all.rows, (long long)s.all.snapshots,
		    (long long)s.at, s.more ? "yes" : "no");
	free(s.walked);
	return rc;
}

int
main(void)
{
	static const struct cronrun_def def = { .name = "snapshot",
		.need = CONFIG_USE_SNAPSHOT,
		.key = DB_SNAPSHOT_LOCK_KEY,
		.start = start,
		.run = run };

	return cronrun_main(&def, NULL);
}
