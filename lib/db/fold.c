/* SPDX-License-Identifier: MIT */
/* An entity's fold for the trace routes, from its fold checkpoints. */
#include "db/fold.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/events.h"
#include "core/events_diagnose.h"
#include "core/log.h"
#include "db/db_checkpoint.h"
#include "db/db_trace.h"

/* Rows read per statement: well within its time limit (5 s). */
#define FOLD_PAGE_ROWS 20000

/*
 * One page stores at most this many bytes of snapshots (about 1,000 of a
 * few hundred repositories), so that storing them takes a second or two of
 * the request's database time; the next fold goes on from the last one.
 */
#define FOLD_SNAPSHOT_BYTES_MAX (16u * 1024 * 1024)

/* The snapshots ckpt_fold() made, to store once the fold is done. */
struct made {
	struct db_checkpoint_new *v;
	unsigned char **own; /* the bytes of v[i], ours */
	size_t n;
	size_t cap;
	size_t bytes;
	const struct events_row *rows; /* the tail, for positions */
	int64_t nrows;                 /* rows before the tail */
};

static int
made_add(void *arg, size_t i, const unsigned char *data, size_t len)
{
	struct made *m = arg;
	struct db_checkpoint_new *v;
	unsigned char **own, *copy;
	size_t cap;

	if (len > FOLD_SNAPSHOT_BYTES_MAX - m->bytes)
		return -1;
	if (m->n == m->cap) {
		cap = m->cap == 0 ? 16 : m->cap * 2;
		if ((v = realloc(m->v, cap * sizeof(*v))) == NULL)
			return -1;
		m->v = v;
		if ((own = realloc(m->own, cap * sizeof(*own))) == NULL)
			return -1;
		m->own = own;
		m->cap = cap;
	}
	if ((copy = malloc(len)) == NULL)
		return -1;
	memcpy(copy, data, len);
	m->own[m->n] = copy;
	v = &m->v[m->n++];
	v->received_at = m->rows[i].received_at;
	v->event_id = m->rows[i].id;
	v->nrows = m->nrows + (int64_t)i + 1;
	v->data = copy;
	v->len = len;
	m->bytes += len;
	return 0;
}

static void
made_release(struct made *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->own[i]);
	free(m->own);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Every row, no snapshot: the fold as it was before checkpoints. */
static int
fold_all(struct db *db, int64_t entity_id, const char *at,
    struct events_state *st, struct events_diagnosis *dg, enum db_status *ds)
{
	struct db_trace_rows rows;
	int rc = -1;

	if ((*ds = db_trace_fold_rows(db, entity_id, at, &rows)) != DB_OK)
		goto out;
	if (events_fold(rows.v, rows.n, st) == -1 ||
	    events_diagnose(rows.v, rows.n, st, dg) == -1)
		goto out;
	rc = 0;
out:
	db_trace_rows_release(&rows);
	return rc;
}

/*
 * Store what 'm' holds, folded from ('from_at', 'from_id'), and empty it.
 * Adds the snapshots stored to *stored.  Returns DB_OK or the error.
 */
static enum db_status
made_store(struct made *m, struct db *db, int64_t entity_id,
    const char *from_at, int64_t from_id, int64_t max_id, size_t *stored)
{
	enum db_status st = DB_OK;

	if (m->n > 0)
		st = db_checkpoint_store(db, entity_id, CKPT_VERSION, from_at,
		    from_id, max_id, m->v, m->n);
	if (st == DB_OK && db_checkpoint_writable())
		*stored += m->n;
	made_release(m);
	return st;
}

/* True when a row of 'rows' has an id above 'max_id'. */
static bool
has_id_above(const struct db_trace_rows *rows, int64_t max_id)
{
	for (size_t i = 0; i < rows->n; i++)
		if (rows->v[i].id > max_id)
			return true;
	return false;
}

/*
 * Set *end to whether no row of 'entity_id' follows the last of 'page'
 * (a whole page: a fold that ran out of rows right there reached the end
 * all the same).  Returns DB_OK or the error.
 */
static enum db_status
after_page(struct db *db, int64_t entity_id, const struct db_trace_rows *page,
    bool *end)
{
	struct db_trace_rows next;
	enum db_status st;

	st = db_trace_fold_rows_after(db, entity_id, NULL,
	    page->v[page->n - 1].received_at, page->v[page->n - 1].id, 1,
	    &next);
	*end = st == DB_OK && next.n == 0;
	db_trace_rows_release(&next);
	return st;
}

/* One fold of an entity from its latest usable snapshot. */
struct walk {
	const char *at; /* NULL: the whole timeline */
	size_t every;
	int64_t budget; /* rows to fold at most; 0: every row */
	/* The result, with fold_entity(); NULL with fold_snapshot(). */
	struct events_state *st;
	struct events_diagnosis *dg;
	struct fold_progress done;
};

/*
 * Fold as 'w' says: from the latest usable snapshot at or before w->at
 * plus the rows after it, storing snapshots every w->every rows.  With
 * w->st, the state and diagnosis of the whole timeline; without, only the
 * snapshots, ending early when none can be made.  Returns 0 or -1 (*ds as
 * for fold_entity()).
 */
static int
walk(struct db *db, int64_t entity_id, struct walk *w, enum db_status *ds)
{
	struct db_checkpoint ck;
	struct ckpt_snapshot snap;
	struct db_trace_rows rows;
	struct made made;
	struct ckpt_plan plan;
	char pos_at[40] = "";
	int64_t pos_id = 0, nrows = 0, limit;
	unsigned char *next = NULL;
	size_t len;
	bool have = false, checked = false, last;
	enum db_status stored;
	int rc = -1;

	memset(&snap, 0, sizeof(snap));
	memset(&rows, 0, sizeof(rows));
	memset(&made, 0, sizeof(made));
	/*
	 * The snapshots cannot be read (sql/008 not applied yet, say): the
	 * fold of every row, as before them.
	 */
	if ((*ds = db_checkpoint_latest(db, entity_id, CKPT_VERSION, w->at,
	         &ck)) == DB_ERROR) {
		db_checkpoint_release(&ck);
		if (w->st == NULL)
			return -1;
		return fold_all(db, entity_id, w->at, w->st, w->dg, ds);
	}
	if (*ds != DB_OK)
		goto out;
	/* One that does not decode is ignored, and replaced if we can. */
	if (ck.found && ckpt_decode(ck.data, ck.len, &snap) == 0) {
		have = true;
		memcpy(pos_at, ck.received_at, sizeof(pos_at));
		pos_id = ck.event_id;
		nrows = ck.nrows;
	} else if (ck.found) {
		log_warnx("%s: entity '%" PRId64 "': snapshot at '%s' does "
		          "not decode: ignored",
		    __func__, entity_id, ck.received_at);
		ck.found = false;
	}
	plan.every = w->every;
	plan.max_id = 0;
	plan.emit = made_add;
	plan.arg = &made;
	/*
	 * The rows after the snapshot, a page at a time: each page in a
	 * statement of bounded time and memory, and its snapshots stored
	 * before the next, so a long history the request has no time to fold
	 * whole is folded further by each request.
	 */
	for (;;) {
		limit = FOLD_PAGE_ROWS;
		if (w->budget > 0 && w->budget - w->done.rows < limit)
			limit = w->budget - w->done.rows;
		if ((*ds = db_trace_fold_rows_after(db, entity_id, w->at,
		         have ? pos_at : NULL, pos_id, limit, &rows)) != DB_OK)
			goto out;
		/*
		 * Enough rows for a snapshot: the max id it may cover, then
		 * the page again, as rows with ids up to it may have come in
		 * since it was read.  Later pages are read after it.
		 */
		if (!checked && rows.n >= w->every &&
		    db_checkpoint_writable()) {
			checked = true;
			if (db_checkpoint_max_id(db, &ck, &plan.max_id) ==
			        DB_OK &&
			    plan.max_id > 0) {
				w->done.max_id = plan.max_id;
				db_trace_rows_release(&rows);
				continue;
			}
			plan.max_id = 0;
		}
		last = (int64_t)rows.n < limit;
		/*
		 * Only snapshots, and none to make from here: the tail is
		 * short (then this first page is the last and holds fewer
		 * than 'every' rows), or none may be made now.
		 */
		if (w->st == NULL && plan.max_id == 0) {
			w->done.end = !checked && last && rows.n < w->every;
			rc = 0;
			goto out;
		}
		made.rows = rows.v;
		made.nrows = nrows;
		if (last && w->st != NULL)
			break;
		if (ckpt_fold_page(have ? &snap : NULL, rows.v, rows.n,
		        plan.max_id > 0 ? &plan : NULL, &next, &len) == -1)
			goto out;
		stored = made_store(&made, db, entity_id, have ? pos_at : NULL,
		    pos_id, plan.max_id, &w->done.snapshots);
		w->done.rows += (int64_t)rows.n;
		/* Only snapshots: they are the work, and a failure ends it. */
		if (w->st == NULL && stored != DB_OK) {
			*ds = stored;
			goto out;
		}
		/* No snapshot covers a row the last one may not know. */
		if (has_id_above(&rows, plan.max_id)) {
			w->done.above = plan.max_id > 0;
			plan.max_id = 0;
		}
		if (last || (w->budget > 0 && w->done.rows >= w->budget)) {
			if (!last && rows.n > 0 &&
			    (*ds = after_page(db, entity_id, &rows, &last)) !=
			        DB_OK)
				goto out;
			w->done.end = last;
			rc = 0;
			goto out;
		}
		ckpt_snapshot_release(&snap);
		have = ckpt_decode(next, len, &snap) == 0;
		free(next);
		next = NULL;
		if (!have)
			goto out;
		(void)snprintf(pos_at, sizeof(pos_at), "%s",
		    rows.v[rows.n - 1].received_at);
		pos_id = rows.v[rows.n - 1].id;
		nrows += (int64_t)rows.n;
		db_trace_rows_release(&rows);
	}
	if (ckpt_fold(have ? &snap : NULL, rows.v, rows.n,
	        plan.max_id > 0 ? &plan : NULL, w->st, w->dg) == -1)
		goto out;
	(void)made_store(&made, db, entity_id, have ? pos_at : NULL, pos_id,
	    plan.max_id, &w->done.snapshots);
	w->done.rows += (int64_t)rows.n;
	w->done.end = true;
	rc = 0;
out:
	free(next);
	made_release(&made);
	db_trace_rows_release(&rows);
	ckpt_snapshot_release(&snap);
	db_checkpoint_release(&ck);
	return rc;
}

int
fold_entity(struct db *db, int64_t entity_id, const char *at, size_t every,
    struct events_state *st, struct events_diagnosis *dg, enum db_status *ds)
{
	struct walk w;

	*ds = DB_OK;
	if (every == 0)
		return fold_all(db, entity_id, at, st, dg, ds);
	memset(&w, 0, sizeof(w));
	w.at = at;
	w.every = every;
	w.st = st;
	w.dg = dg;
	return walk(db, entity_id, &w, ds);
}

/* What fold_entities() reads for its entities, by index. */
struct many {
	struct db_checkpoint *ck;
	bool *whole;
	bool *alone; /* folded by fold_entity() */
	struct ckpt_snapshot *snap;
	bool *have; /* snap[i] decoded */
	struct db_fold_from *from;
	size_t *which; /* from[j] is entity which[j] */
	struct db_trace_rows *rows;
};

static void
many_release(struct many *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (m->ck != NULL)
			db_checkpoint_release(&m->ck[i]);
		if (m->snap != NULL)
			ckpt_snapshot_release(&m->snap[i]);
		if (m->rows != NULL)
			db_trace_rows_release(&m->rows[i]);
	}
	free(m->ck);
	free(m->whole);
	free(m->alone);
	free(m->snap);
	free(m->have);
	free(m->from);
	free(m->which);
	free(m->rows);
}

int
fold_entities(struct db *db, const int64_t *ids, size_t n, size_t every,
    struct events_state *st, struct events_diagnosis *dg, enum db_status *ds)
{
	struct many m = { 0 };
	size_t nfrom = 0;
	bool each = false; /* every one alone */
	int64_t limit;
	int rc = -1;

	*ds = DB_OK;
	if (n == 0)
		return 0;
	if ((m.ck = calloc(n, sizeof(*m.ck))) == NULL ||
	    (m.whole = calloc(n, sizeof(*m.whole))) == NULL ||
	    (m.alone = calloc(n, sizeof(*m.alone))) == NULL ||
	    (m.snap = calloc(n, sizeof(*m.snap))) == NULL ||
	    (m.have = calloc(n, sizeof(*m.have))) == NULL ||
	    (m.from = calloc(n, sizeof(*m.from))) == NULL ||
	    (m.which = calloc(n, sizeof(*m.which))) == NULL ||
	    (m.rows = calloc(n, sizeof(*m.rows))) == NULL)
		goto out;
	/*
	 * No snapshots (every 0), or they cannot be read (sql/008 not
	 * applied yet, say): each alone, as fold_entity() falls back.
	 */
	if (every == 0 ||
	    (*ds = db_checkpoint_latest_many(db, ids, n, CKPT_VERSION, m.ck,
	         m.whole)) == DB_ERROR) {
		each = true;
		for (size_t i = 0; i < n; i++)
			m.alone[i] = true;
	} else if (*ds != DB_OK) {
		goto out;
	}
	for (size_t i = 0; i < n && !each; i++) {
		if (m.ck[i].found &&
		    (!m.whole[i] ||
		        ckpt_decode(m.ck[i].data, m.ck[i].len, &m.snap[i]) !=
		            0)) {
			m.alone[i] = true;
			continue;
		}
		m.have[i] = m.ck[i].found;
		m.from[nfrom].entity_id = ids[i];
		m.from[nfrom].after_at = m.have[i] ? m.ck[i].received_at : NULL;
		m.from[nfrom].after_id = m.have[i] ? m.ck[i].event_id : 0;
		m.which[nfrom++] = i;
	}
	/*
	 * The tails, all in one statement; one of 'every' rows or more is
	 * folded alone, which stores its snapshots as a trace does.
	 */
	limit = every < FOLD_PAGE_ROWS ? (int64_t)every : FOLD_PAGE_ROWS;
	if (nfrom > 0 &&
	    (*ds = db_trace_fold_rows_many(db, m.from, nfrom, limit, m.rows)) !=
	        DB_OK)
		goto out;
	for (size_t j = 0; j < nfrom; j++) {
		size_t i = m.which[j];

		if ((int64_t)m.rows[j].n >= limit) {
			m.alone[i] = true;
			continue;
		}
		if (ckpt_fold(m.have[i] ? &m.snap[i] : NULL, m.rows[j].v,
		        m.rows[j].n, NULL, &st[i], &dg[i]) == -1)
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (m.alone[i] &&
		    fold_entity(db, ids[i], NULL, every, &st[i], &dg[i], ds) ==
		        -1)
			goto out;
	rc = 0;
out:
	many_release(&m, n);
	return rc;
}

int
fold_snapshot(struct db *db, int64_t entity_id, size_t every, int64_t budget,
    struct fold_progress *done, enum db_status *ds)
{
	struct walk w;
	int rc;

	*ds = DB_OK;
	memset(done, 0, sizeof(*done));
	if (every == 0 || budget <= 0)
		return 0;
	memset(&w, 0, sizeof(w));
	w.every = every;
	w.budget = budget;
	rc = walk(db, entity_id, &w, ds);
	*done = w.done;
	return rc;
}
