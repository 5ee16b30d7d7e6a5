/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/db/fold.c: fold_snapshot() within its rows, the
 * traces that fold from what it stored, and fold_entities() against the
 * full fold.  The seam is the link: this file
 * defines the db_checkpoint and db_trace functions fold.c calls, over one
 * timeline in memory, so those objects of the library are never linked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/checkpoint.h"
#include "core/events.h"
#include "db/db_checkpoint.h"
#include "db/db_trace.h"
#include "db/fold.h"

#define MAXROWS  50000
#define MAXSNAPS 1024
#define ENTITY   42

static const char *const repo_names[] = { "o/a", "o/b", "o/c", "o/d", "o/e" };

/* The one timeline, in (received_at, id) order. */
static struct events_row rows[MAXROWS];
static const char *row_repos[MAXROWS][1];
static char row_at[MAXROWS][32];
static size_t nrows;

/* A stored snapshot. */
struct snap {
	size_t pos; /* index of the last row covered */
	int64_t max_id;
	int64_t nrows;
	unsigned char *data;
	size_t len;
};

/* The stored snapshots, in timeline order. */
static struct snap snaps[MAXSNAPS];
static size_t nsnaps;

/* What db_checkpoint_max_id() tells, and what the fakes saw. */
static int64_t fake_max_id;
static int64_t page_limits[64];
static size_t npages;
static size_t nstores;
static size_t nmany; /* calls of the two *_many fakes */

/* Fill the timeline with 'n' rows: created, then repositories and suspends. */
static void
timeline(size_t n)
{
	static const char *const kinds[] = { "installation_repositories.added",
		"installation_repositories.removed", "installation.suspend",
		"installation.unsuspend" };
	time_t t0 = 1780000000;

	assert_true(n <= MAXROWS);
	memset(rows, 0, sizeof(rows));
	for (size_t i = 0; i < n; i++) {
		time_t t = t0 + (time_t)i;
		struct tm tm;

		(void)gmtime_r(&t, &tm);
		(void)strftime(row_at[i], sizeof(row_at[i]),
		    "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
		rows[i].id = (int64_t)i + 1;
		rows[i].received_at = row_at[i];
		rows[i].event = i == 0 ? "installation.created" : kinds[i % 4];
		rows[i].app_id = 29310;
		rows[i].installation_id = 7;
		rows[i].entity_name = "o";
		rows[i].repository_selection = "selected";
		row_repos[i][0] = repo_names[i % 5];
		rows[i].repos = row_repos[i];
		rows[i].nrepos = 1;
	}
	nrows = n;
}

/* Index of the row with id 'id' (the fakes' positions). */
static size_t
pos_of(int64_t id)
{
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].id == id)
			return i;
	fail_msg("no row %lld", (long long)id);
	return 0;
}

/* Whether snapshot 's' is whole: no row above its max id at or before it. */
static bool
is_whole(size_t s)
{
	for (size_t i = 0; i <= snaps[s].pos; i++)
		if (rows[i].id > snaps[s].max_id)
			return false;
	return true;
}

static int
setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < nsnaps; i++)
		free(snaps[i].data);
	nsnaps = 0;
	npages = 0;
	nstores = 0;
	nmany = 0;
	fake_max_id = 1000000;
	return 0;
}

static int
teardown(void **state)
{
	return setup(state);
}

enum db_status
db_checkpoint_latest(struct db *db, int64_t entity_id, int version,
    const char *at, struct db_checkpoint *out)
{
	(void)db;
	(void)version;
	assert_null(at);
	memset(out, 0, sizeof(*out));
	out->entity_id = entity_id;
	for (size_t s = nsnaps; s-- > 0;) {
		if (!is_whole(s))
			continue;
		out->found = true;
		(void)snprintf(out->received_at, sizeof(out->received_at), "%s",
		    rows[snaps[s].pos].received_at);
		out->event_id = rows[snaps[s].pos].id;
		out->nrows = snaps[s].nrows;
		out->max_id = snaps[s].max_id;
		out->data = malloc(snaps[s].len);
		assert_non_null(out->data);
		memcpy(out->data, snaps[s].data, snaps[s].len);
		out->len = snaps[s].len;
		break;
	}
	return DB_OK;
}

/* The latest of each, whole or not, and whether it is whole. */
enum db_status
db_checkpoint_latest_many(struct db *db, const int64_t *ids, size_t n,
    int version, struct db_checkpoint *out, bool *whole)
{
	(void)db;
	(void)version;
	nmany++;
	for (size_t k = 0; k < n; k++) {
		size_t s = nsnaps - 1;

		assert_int_equal(ids[k], ENTITY);
		memset(&out[k], 0, sizeof(out[k]));
		out[k].entity_id = ids[k];
		whole[k] = false;
		if (nsnaps == 0)
			continue;
		out[k].found = true;
		(void)snprintf(out[k].received_at, sizeof(out[k].received_at),
		    "%s", rows[snaps[s].pos].received_at);
		out[k].event_id = rows[snaps[s].pos].id;
		out[k].nrows = snaps[s].nrows;
		out[k].max_id = snaps[s].max_id;
		out[k].data = malloc(snaps[s].len);
		assert_non_null(out[k].data);
		memcpy(out[k].data, snaps[s].data, snaps[s].len);
		out[k].len = snaps[s].len;
		whole[k] = is_whole(s);
	}
	return DB_OK;
}

void
db_checkpoint_release(struct db_checkpoint *c)
{
	if (c == NULL)
		return;
	free(c->data);
	memset(c, 0, sizeof(*c));
}

enum db_status
db_checkpoint_max_id(struct db *db, const struct db_checkpoint *from,
    int64_t *max_id)
{
	(void)db;
	(void)from;
	*max_id = fake_max_id;
	return DB_OK;
}

/* As SQL_STORE: replace those after 'from' up to the last new one. */
enum db_status
db_checkpoint_store(struct db *db, int64_t entity_id, int version,
    const char *from_at, int64_t from_id, int64_t max_id,
    const struct db_checkpoint_new *v, size_t n)
{
	size_t from = 0, last, k = 0;
	bool any = from_at != NULL && *from_at != '\0';

	(void)db;
	(void)version;
	assert_int_equal(entity_id, ENTITY);
	if (any)
		from = pos_of(from_id);
	last = pos_of(v[n - 1].event_id);
	nstores++;
	for (size_t s = 0; s < nsnaps; s++) {
		if ((!any || snaps[s].pos > from) && snaps[s].pos <= last)
			free(snaps[s].data);
		else
			snaps[k++] = snaps[s];
	}
	nsnaps = k;
	for (size_t i = 0; i < n; i++) {
		assert_true(nsnaps < MAXSNAPS);
		snaps[nsnaps].pos = pos_of(v[i].event_id);
		assert_string_equal(v[i].received_at,
		    rows[snaps[nsnaps].pos].received_at);
		snaps[nsnaps].max_id = max_id;
		snaps[nsnaps].nrows = v[i].nrows;
		snaps[nsnaps].data = malloc(v[i].len);
		assert_non_null(snaps[nsnaps].data);
		memcpy(snaps[nsnaps].data, v[i].data, v[i].len);
		snaps[nsnaps].len = v[i].len;
		nsnaps++;
	}
	/* Kept in timeline order, as the primary key reads them. */
	for (size_t i = 1; i < nsnaps; i++)
		for (size_t j = i; j > 0 && snaps[j - 1].pos > snaps[j].pos;
		     j--) {
			struct snap t = snaps[j];

			snaps[j] = snaps[j - 1];
			snaps[j - 1] = t;
		}
	return DB_OK;
}

bool
db_checkpoint_writable(void)
{
	return true;
}

enum db_status
db_trace_fold_rows_after(struct db *db, int64_t entity_id, const char *at,
    const char *after_at, int64_t after_id, int64_t limit,
    struct db_trace_rows *out)
{
	size_t start = 0, n;

	(void)db;
	assert_int_equal(entity_id, ENTITY);
	assert_null(at);
	memset(out, 0, sizeof(*out));
	if (after_at != NULL && *after_at != '\0')
		start = pos_of(after_id) + 1;
	if (npages < sizeof(page_limits) / sizeof(page_limits[0]))
		page_limits[npages] = limit;
	npages++;
	n = nrows - start;
	if (limit > 0 && (int64_t)n > limit)
		n = (size_t)limit;
	if (n > 0) {
		out->v = malloc(n * sizeof(*out->v));
		assert_non_null(out->v);
		memcpy(out->v, rows + start, n * sizeof(*out->v));
	}
	out->n = n;
	return DB_OK;
}

enum db_status
db_trace_fold_rows_many(struct db *db, const struct db_fold_from *from,
    size_t n, int64_t limit, struct db_trace_rows *out)
{
	size_t before = npages;

	nmany++;
	for (size_t k = 0; k < n; k++)
		assert_int_equal(db_trace_fold_rows_after(db, from[k].entity_id,
		                     NULL, from[k].after_at, from[k].after_id,
		                     limit, &out[k]),
		    DB_OK);
	npages = before;
	return DB_OK;
}

enum db_status
db_trace_fold_rows(struct db *db, int64_t entity_id, const char *at,
    struct db_trace_rows *out)
{
	return db_trace_fold_rows_after(db, entity_id, at, NULL, 0, 0, out);
}

void
db_trace_rows_release(struct db_trace_rows *r)
{
	if (r == NULL)
		return;
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The encoded state and the causes of a fold, to compare two of them. */
static void
answer(bool full, size_t every, unsigned char **enc, size_t *len,
    size_t *ncauses)
{
	struct events_state st;
	struct events_diagnosis dg;
	enum db_status ds;

	events_state_init(&st);
	memset(&dg, 0, sizeof(dg));
	if (full) {
		assert_int_equal(events_fold(rows, nrows, &st), 0);
		assert_int_equal(events_diagnose(rows, nrows, &st, &dg), 0);
	} else {
		assert_int_equal(fold_entity(NULL, ENTITY, NULL, every, &st,
		                     &dg, &ds),
		    0);
	}
	assert_int_equal(ckpt_encode(&st, NULL, 0, enc, len), 0);
	*ncauses = dg.nfindings;
	events_state_release(&st);
	events_diagnosis_release(&dg);
}

/* A trace from the stored snapshots answers as the full fold. */
static void
assert_trace_is_full_fold(size_t every)
{
	unsigned char *a, *b;
	size_t alen, blen, an, bn, before = nstores;

	answer(true, every, &a, &alen, &an);
	answer(false, every, &b, &blen, &bn);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_int_equal(an, bn);
	free(a);
	free(b);
	/* And it had nothing to store: the tail was short. */
	assert_int_equal(nstores, before);
}

/* Pages of at most the rows left; the next call goes on from the last. */
static void
fold_snapshot_within_its_rows(void **state)
{
	struct fold_progress done;
	enum db_status ds;
	int64_t last;

	(void)state;
	timeline(50000);
	assert_int_equal(fold_snapshot(NULL, ENTITY, 256, 30000, &done, &ds),
	    0);
	assert_int_equal(done.rows, 30000);
	assert_false(done.end);
	assert_false(done.above);
	assert_int_equal(done.max_id, fake_max_id);
	/* The page is read again once the max id is known; then one row
	 * more tells whether the rows ran out at the end. */
	assert_int_equal(npages, 4);
	assert_int_equal(page_limits[0], 20000);
	assert_int_equal(page_limits[1], 20000);
	assert_int_equal(page_limits[2], 10000);
	assert_int_equal(page_limits[3], 1);
	assert_int_equal(done.snapshots, nsnaps);
	last = snaps[nsnaps - 1].nrows;
	assert_true(last <= 30000);
	assert_true(last > 30000 - 256);
	/* The rest, from the last snapshot. */
	npages = 0;
	assert_int_equal(fold_snapshot(NULL, ENTITY, 256, 30000, &done, &ds),
	    0);
	assert_int_equal(done.rows, 50000 - last);
	assert_true(done.end);
	assert_int_equal(npages, 3);
	assert_true(snaps[nsnaps - 1].nrows > 50000 - 256);
	assert_trace_is_full_fold(256);
	/* Nothing left: a short tail, read once, nothing stored. */
	npages = 0;
	assert_int_equal(fold_snapshot(NULL, ENTITY, 256, 30000, &done, &ds),
	    0);
	assert_true(done.end);
	assert_int_equal(done.rows, 0);
	assert_int_equal(npages, 1);
	/* Rows that run out with the history: ended all the same. */
	setup(NULL);
	timeline(1000);
	assert_int_equal(fold_snapshot(NULL, ENTITY, 256, 1000, &done, &ds), 0);
	assert_int_equal(done.rows, 1000);
	assert_true(done.end);
	assert_int_equal(npages, 3);
}

/* No max id can be told now: nothing folded, not ended. */
static void
fold_snapshot_waits_for_a_max_id(void **state)
{
	struct fold_progress done;
	enum db_status ds;

	(void)state;
	timeline(1000);
	fake_max_id = 0;
	assert_int_equal(fold_snapshot(NULL, ENTITY, 100, 1000000, &done, &ds),
	    0);
	assert_false(done.end);
	assert_int_equal(done.rows, 0);
	assert_int_equal(nsnaps, 0);
	/* A history shorter than the spacing is done at once. */
	timeline(99);
	assert_int_equal(fold_snapshot(NULL, ENTITY, 100, 1000000, &done, &ds),
	    0);
	assert_true(done.end);
	assert_int_equal(nsnaps, 0);
}

/*
 * Rows above the max id (inserted after it was told): no snapshot covers
 * them, and the fold says so; a row placed before the snapshots later
 * makes them stale, and the next fold starts from the one still whole.
 */
static void
fold_snapshot_rows_above_max_id_and_late(void **state)
{
	struct fold_progress done;
	struct events_row late;
	enum db_status ds;

	(void)state;
	timeline(1000);
	fake_max_id = 700;
	assert_int_equal(fold_snapshot(NULL, ENTITY, 100, 1000000, &done, &ds),
	    0);
	assert_true(done.end);
	assert_true(done.above);
	assert_int_equal(done.max_id, 700);
	assert_int_equal(nsnaps, 7);
	assert_int_equal(snaps[6].nrows, 700);
	/* Later, with every id told. */
	fake_max_id = 5000;
	assert_int_equal(fold_snapshot(NULL, ENTITY, 100, 1000000, &done, &ds),
	    0);
	assert_true(done.end);
	assert_false(done.above);
	assert_int_equal(done.rows, 300);
	assert_int_equal(nsnaps, 10);
	assert_trace_is_full_fold(100);
	/* A deletion replayed between rows 450 and 451, with a new id. */
	late = rows[450];
	late.id = 6000;
	late.event = "installation.deleted";
	memmove(rows + 451, rows + 450, (nrows - 450) * sizeof(rows[0]));
	rows[450] = late;
	rows[450].received_at = rows[449].received_at;
	nrows++;
	fake_max_id = 10000;
	assert_int_equal(fold_snapshot(NULL, ENTITY, 100, 1000000, &done, &ds),
	    0);
	assert_true(done.end);
	/* From the snapshot at row 400, the last one still whole. */
	assert_int_equal(done.rows, 601);
	assert_int_equal(done.snapshots, 6);
	for (size_t s = 0; s < nsnaps; s++)
		if (snaps[s].pos < 1000)
			assert_true(is_whole(s));
	assert_trace_is_full_fold(100);
}

/* fold_entities() of 'n' ids (all ENTITY) answers as the full fold each. */
static void
assert_many_is_full_fold(size_t n, size_t every)
{
	struct events_state st[3], full;
	struct events_diagnosis dg[3], fdg;
	int64_t ids[3] = { ENTITY, ENTITY, ENTITY };
	unsigned char *a, *b;
	size_t alen, blen;
	enum db_status ds;

	assert_true(n <= 3);
	events_state_init(&full);
	memset(&fdg, 0, sizeof(fdg));
	assert_int_equal(events_fold(rows, nrows, &full), 0);
	assert_int_equal(events_diagnose(rows, nrows, &full, &fdg), 0);
	assert_int_equal(ckpt_encode(&full, NULL, 0, &a, &alen), 0);
	for (size_t i = 0; i < n; i++) {
		events_state_init(&st[i]);
		memset(&dg[i], 0, sizeof(dg[i]));
	}
	assert_int_equal(fold_entities(NULL, ids, n, every, st, dg, &ds), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ckpt_encode(&st[i], NULL, 0, &b, &blen), 0);
		assert_int_equal(alen, blen);
		assert_memory_equal(a, b, alen);
		assert_int_equal(dg[i].nfindings, fdg.nfindings);
		free(b);
		events_state_release(&st[i]);
		events_diagnosis_release(&dg[i]);
	}
	free(a);
	events_state_release(&full);
	events_diagnosis_release(&fdg);
}

/*
 * Many entities folded with two statements: the same answers as the full
 * fold; a long tail or a snapshot no longer whole folded alone.
 */
static void
fold_entities_as_each_alone(void **state)
{
	struct events_row late;

	(void)state;
	/* Short histories, no snapshot: both statements, nothing stored. */
	timeline(40);
	assert_many_is_full_fold(3, 100);
	assert_int_equal(nmany, 2);
	assert_int_equal(nstores, 0);
	/* Long tails: each folded alone, which stores snapshots. */
	timeline(1000);
	fake_max_id = 5000;
	nmany = 0;
	assert_many_is_full_fold(3, 100);
	assert_int_equal(nmany, 2);
	assert_true(nstores > 0);
	assert_int_equal(snaps[nsnaps - 1].nrows, 1000);
	/* Now short tails after a whole snapshot: nothing more stored. */
	nstores = 0;
	nmany = 0;
	assert_many_is_full_fold(2, 100);
	assert_int_equal(nmany, 2);
	assert_int_equal(nstores, 0);
	/*
	 * A row placed late before the last snapshot with an id above its
	 * max id: that snapshot is not whole, the entity folded alone.
	 */
	late = rows[950];
	late.id = 6000;
	late.event = "installation.deleted";
	memmove(rows + 951, rows + 950, (nrows - 950) * sizeof(rows[0]));
	rows[950] = late;
	rows[950].received_at = rows[949].received_at;
	nrows++;
	assert_many_is_full_fold(3, 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fold_snapshot_within_its_rows,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    fold_snapshot_waits_for_a_max_id, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    fold_snapshot_rows_above_max_id_and_late, setup, teardown),
		cmocka_unit_test_setup_teardown(fold_entities_as_each_alone,
		    setup, teardown),
	};

	return cmocka_run_group_tests_name("fold", tests, NULL, NULL);
}
