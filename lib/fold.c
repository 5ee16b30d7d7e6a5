/* SPDX-License-Identifier: MIT */
/* An entity's fold for the trace routes, from its fold checkpoints. */
#include "fold.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "db_checkpoint.h"
#include "db_trace.h"
#include "events.h"
#include "log.h"

/* Snapshots made by one fold are kept in memory up to this many bytes. */
#define FOLD_SNAPSHOT_BYTES_MAX (64u * 1024 * 1024)

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

int
fold_entity(struct db *db, int64_t entity_id, const char *at, size_t every,
    struct events_state *st, struct events_diagnosis *dg, enum db_status *ds)
{
	struct db_checkpoint ck;
	struct ckpt_snapshot snap;
	struct db_trace_rows rows;
	struct made made;
	struct ckpt_plan plan;
	bool have = false, in_tx = false;
	int64_t max_id = 0;
	int rc = -1;

	*ds = DB_OK;
	if (every == 0)
		return fold_all(db, entity_id, at, st, dg, ds);
	memset(&ck, 0, sizeof(ck));
	memset(&snap, 0, sizeof(snap));
	memset(&rows, 0, sizeof(rows));
	memset(&made, 0, sizeof(made));
	if ((*ds = db_checkpoint_begin(db)) != DB_OK)
		goto out;
	in_tx = true;
	if ((*ds = db_checkpoint_latest(db, entity_id, CKPT_VERSION, at,
	         &ck)) != DB_OK)
		goto out;
	/* One that does not decode is ignored, and replaced if we can. */
	if (ck.found && ckpt_decode(ck.data, ck.len, &snap) == 0)
		have = true;
	else if (ck.found)
		log_warnx("%s: entity '%" PRId64 "': snapshot at '%s' does "
		          "not decode: ignored",
		    __func__, entity_id, ck.received_at);
	if ((*ds = db_trace_fold_rows_after(db, entity_id, at,
	         have ? ck.received_at : NULL, have ? ck.event_id : 0,
	         &rows)) != DB_OK)
		goto out;
	if (rows.n >= every && db_checkpoint_writable() &&
	    (*ds = db_checkpoint_max_id(db, &max_id)) != DB_OK)
		goto out;
	in_tx = false;
	/* Not read in one transaction: fold, but make no snapshot. */
	if (db_checkpoint_end(db) != DB_OK)
		max_id = 0;
	made.rows = rows.v;
	made.nrows = have ? ck.nrows : 0;
	plan.every = every;
	plan.max_id = max_id;
	plan.emit = made_add;
	plan.arg = &made;
	if (ckpt_fold(have ? &snap : NULL, rows.v, rows.n,
	        max_id > 0 ? &plan : NULL, st, dg) == -1)
		goto out;
	rc = 0;
	if (made.n > 0)
		(void)db_checkpoint_store(db, entity_id, CKPT_VERSION,
		    have ? ck.received_at : NULL, have ? ck.event_id : 0,
		    max_id, made.v, made.n);
out:
	if (in_tx)
		(void)db_checkpoint_end(db);
	made_release(&made);
	db_trace_rows_release(&rows);
	ckpt_snapshot_release(&snap);
	db_checkpoint_release(&ck);
	return rc;
}
