/* SPDX-License-Identifier: MIT */
/* Unit tests of fold snapshots (lib/core/checkpoint.c, events_keep()). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/checkpoint.h"
#include "core/events.h"
#include "core/events_diagnose.h"
#include "core/events_keep.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAXROWS   48
#define MAXREPOS  4
#define MAXSNAPS  (8 * MAXROWS)

static const char *const logins[] = { "octocat", "OctoCat", "hubot", "newname",
	NULL };
static const char *const repo_names[] = { "octocat/a", "OctoCat/A", "octocat/b",
	"hubot/a", "newname/a", "newname/B", "other/a", NULL };
static const char *const events[] = { "installation.created",
	"installation.deleted", "installation.suspend",
	"installation.unsuspend", "installation_repositories.added",
	"installation_repositories.removed", "installation_target.renamed",
	"auth_attempt.404", "auth_attempt.404", "auth_attempt.other_error",
	"installation.new_permissions_accepted", "workflow_job.queued", NULL };
static const char *const selections[] = { "all", "selected", "selected", NULL };

/* xorshift64*: the same timelines on every run. */
static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t
pick(size_t n)
{
	return (size_t)(rng() % n);
}

#define PICK(a) ((a)[pick(NITEMS(a))])

/* A random timeline: rows in (received_at, id) order, ids shuffled. */
struct timeline {
	struct events_row rows[MAXROWS];
	const char *repos[MAXROWS][MAXREPOS];
	char at[MAXROWS][32];
	size_t n;
};

static void
timeline_make(struct timeline *tl)
{
	int64_t ids[MAXROWS];
	size_t i, j;

	memset(tl, 0, sizeof(*tl));
	tl->n = 1 + pick(MAXROWS);
	for (i = 0; i < tl->n; i++)
		ids[i] = (int64_t)i + 1;
	for (i = tl->n; i > 1; i--) {
		int64_t t;

		j = pick(i);
		t = ids[i - 1];
		ids[i - 1] = ids[j];
		ids[j] = t;
	}
	for (i = 0; i < tl->n; i++) {
		struct events_row *r = &tl->rows[i];

		(void)snprintf(tl->at[i], sizeof(tl->at[i]),
		    "2026-11-20T10:%02zu:%02zu.000123Z", i / 60, i % 60);
		r->id = ids[i] * 10;
		r->received_at = tl->at[i];
		r->event = PICK(events);
		r->app_id = 1 + (int64_t)pick(2);
		r->installation_id = 40 + (int64_t)pick(3);
		r->entity_name = PICK(logins);
		r->repository_selection = PICK(selections);
		r->nrepos = pick(MAXREPOS + 1);
		for (j = 0; j < r->nrepos; j++)
			tl->repos[i][j] = PICK(repo_names);
		r->repos = r->nrepos > 0 ? tl->repos[i] : NULL;
		r->old_login = PICK(logins);
		r->new_login = PICK(logins);
		r->http_status = pick(2) ? 404 : 500;
		r->repo = PICK(repo_names);
	}
}

/* The state (as its encoding) and the diagnosis, as one string. */
static char *
outcome(const struct events_state *st, const struct events_diagnosis *dg)
{
	unsigned char *enc;
	size_t len, off = 0, cap;
	char *s;

	assert_int_equal(ckpt_encode(st, NULL, 0, &enc, &len), 0);
	cap = 2 * len + 4096;
	s = malloc(cap);
	assert_non_null(s);
	for (size_t i = 0; i < len; i++)
		off += (size_t)snprintf(s + off, cap - off, "%02x", enc[i]);
	for (size_t i = 0; i < dg->nfindings; i++) {
		const struct events_finding *f = &dg->findings[i];

		off += (size_t)snprintf(s + off, cap - off, "\n%s: %s [",
		    events_cause_name(f->cause), f->summary);
		for (size_t j = 0; j < f->nevidence; j++)
			off += (size_t)snprintf(s + off, cap - off, " %lld",
			    (long long)f->evidence[j]);
		off += (size_t)snprintf(s + off, cap - off, " ]");
		assert_true(off < cap);
	}
	free(enc);
	return s;
}

/* The outcome of folding and diagnosing the first 'n' rows at once. */
static char *
full_outcome(const struct events_row *rows, size_t n)
{
	struct events_state st;
	struct events_diagnosis dg;
	char *s;

	events_state_init(&st);
	events_diagnosis_init(&dg);
	assert_int_equal(events_fold(rows, n, &st), 0);
	assert_int_equal(events_diagnose(rows, n, &st, &dg), 0);
	s = outcome(&st, &dg);
	events_diagnosis_release(&dg);
	events_state_release(&st);
	return s;
}

/* Snapshots collected by a plan: each covers rows[0..last]. */
struct snaps {
	size_t base; /* tail index 0 is row 'base' */
	size_t last[MAXSNAPS];
	unsigned char *data[MAXSNAPS];
	size_t len[MAXSNAPS];
	size_t n;
};

static int
collect(void *arg, size_t i, const unsigned char *data, size_t len)
{
	struct snaps *sn = arg;

	if (sn->n == MAXSNAPS)
		return -1;
	sn->last[sn->n] = sn->base + i;
	sn->data[sn->n] = malloc(len);
	assert_non_null(sn->data[sn->n]);
	memcpy(sn->data[sn->n], data, len);
	sn->len[sn->n++] = len;
	return 0;
}

static void
snaps_release(struct snaps *sn)
{
	for (size_t i = 0; i < sn->n; i++)
		free(sn->data[i]);
	sn->n = 0;
}

/*
 * Fold rows[from + 1 .. upto) after snapshot 'k' of 'sn' (every row up
 * to 'upto' when k is sn->n), making more snapshots into 'sn' every
 * 'every' rows, and return the outcome.  With 'page' > 0, read the rows
 * in pages of that many, each but the last with ckpt_fold_page().
 */
static char *
resumed_outcome(const struct timeline *tl, struct snaps *sn, size_t k,
    size_t upto, size_t every, int64_t max_id, size_t page)
{
	struct ckpt_snapshot snap;
	struct events_state st;
	struct events_diagnosis dg;
	struct ckpt_plan plan = { every, max_id, collect, sn };
	size_t start = 0;
	bool from = k < sn->n;
	unsigned char *next;
	size_t len;
	char *s;

	events_state_init(&st);
	events_diagnosis_init(&dg);
	if (from) {
		assert_int_equal(ckpt_decode(sn->data[k], sn->len[k], &snap),
		    0);
		start = sn->last[k] + 1;
	}
	for (; page > 0 && upto - start > page; start += page) {
		sn->base = start;
		assert_int_equal(ckpt_fold_page(from ? &snap : NULL,
		                     tl->rows + start, page, &plan, &next,
		                     &len),
		    0);
		if (from)
			ckpt_snapshot_release(&snap);
		assert_int_equal(ckpt_decode(next, len, &snap), 0);
		free(next);
		from = true;
	}
	sn->base = start;
	assert_int_equal(ckpt_fold(from ? &snap : NULL, tl->rows + start,
	                     upto - start, &plan, &st, &dg),
	    0);
	s = outcome(&st, &dg);
	if (from)
		ckpt_snapshot_release(&snap);
	events_diagnosis_release(&dg);
	events_state_release(&st);
	return s;
}

/*
 * For random timelines and random snapshot positions, chained (a
 * snapshot made by a fold that itself started from a snapshot), the rows
 * read whole or in random pages: folding
 * from any snapshot at or before 'at' plus the rows after it gives the
 * state and diagnosis of the full fold, byte for byte, for every 'at'.
 */
static void
checkpoint_fold_equals_full_fold(void **state)
{
	struct timeline tl;
	struct snaps sn;
	size_t compared = 0, resumed = 0;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	memset(&sn, 0, sizeof(sn));
	for (int t = 0; t < 400; t++) {
		timeline_make(&tl);
		/* Snapshots along the whole timeline, none past max_id. */
		free(resumed_outcome(&tl, &sn, sn.n, tl.n, 1 + pick(4),
		    pick(4) == 0 ? (int64_t)(pick(tl.n) + 1) * 10 : INT64_MAX,
		    pick(2) * (1 + pick(8))));
		for (size_t at = 0; at <= tl.n; at++) {
			char *full = full_outcome(tl.rows, at);
			char *got;
			size_t k = sn.n;

			/* A random snapshot at or before 'at' (or none). */
			for (size_t tries = 0; tries < 4 && sn.n > 0; tries++) {
				k = pick(sn.n);
				if (sn.last[k] < at)
					break;
				k = sn.n;
			}
			if (k < sn.n)
				resumed++;
			got = resumed_outcome(&tl, &sn, k, at, 1 + pick(3),
			    INT64_MAX, pick(2) * (1 + pick(6)));
			assert_string_equal(got, full);
			compared++;
			free(got);
			free(full);
		}
		snaps_release(&sn);
	}
	assert_true(compared > 4000);
	assert_true(resumed > compared / 2);
}

/* No snapshot covers a row whose id is above max_id. */
static void
checkpoint_respects_max_id(void **state)
{
	struct timeline tl;
	struct snaps sn;

	(void)state;
	rng_state = 42;
	memset(&sn, 0, sizeof(sn));
	for (int t = 0; t < 100; t++) {
		int64_t max_id;

		timeline_make(&tl);
		max_id = (int64_t)(pick(tl.n) + 1) * 10;
		free(resumed_outcome(&tl, &sn, sn.n, tl.n, 1, max_id, 0));
		for (size_t k = 0; k < sn.n; k++)
			for (size_t i = 0; i <= sn.last[k]; i++)
				assert_true(tl.rows[i].id <= max_id);
		snaps_release(&sn);
	}
}

/* Both NULL, or equal strings. */
static void
assert_same(const char *a, const char *b)
{
	if (a == NULL)
		assert_null(b);
	else
		assert_string_equal(a, b);
}

/* Decoding an encoding gives back the state and rows; so does encoding. */
static void
checkpoint_encode_decode_round_trip(void **state)
{
	struct timeline tl;
	struct events_state st;
	struct ckpt_snapshot snap;
	unsigned char *a, *b;
	size_t alen, blen;

	(void)state;
	rng_state = 7;
	for (int t = 0; t < 50; t++) {
		timeline_make(&tl);
		events_state_init(&st);
		assert_int_equal(events_fold(tl.rows, tl.n, &st), 0);
		assert_int_equal(ckpt_encode(&st, tl.rows, tl.n, &a, &alen), 0);
		assert_int_equal(ckpt_decode(a, alen, &snap), 0);
		assert_int_equal(snap.nrows, tl.n);
		for (size_t i = 0; i < tl.n; i++) {
			const struct events_row *x = &tl.rows[i];
			const struct events_row *y = &snap.rows[i];

			assert_int_equal(x->id, y->id);
			assert_same(x->received_at, y->received_at);
			assert_same(x->event, y->event);
			assert_int_equal(x->app_id, y->app_id);
			assert_int_equal(x->installation_id,
			    y->installation_id);
			assert_same(x->entity_name, y->entity_name);
			assert_same(x->repository_selection,
			    y->repository_selection);
			assert_int_equal(x->nrepos, y->nrepos);
			for (size_t j = 0; j < x->nrepos; j++)
				assert_same(x->repos[j], y->repos[j]);
			assert_same(x->old_login, y->old_login);
			assert_same(x->new_login, y->new_login);
			assert_int_equal(x->http_status, y->http_status);
			assert_same(x->repo, y->repo);
		}
		assert_int_equal(ckpt_encode(&snap.st, snap.rows, snap.nrows,
		                     &b, &blen),
		    0);
		assert_int_equal(alen, blen);
		assert_memory_equal(a, b, alen);
		ckpt_snapshot_release(&snap);
		free(a);
		free(b);
		events_state_release(&st);
	}
}

/* Another version, a truncation or trailing bytes are refused. */
static void
checkpoint_decode_refuses(void **state)
{
	struct timeline tl;
	struct events_state st;
	struct ckpt_snapshot snap;
	unsigned char *a;
	size_t len;

	(void)state;
	rng_state = 11;
	timeline_make(&tl);
	events_state_init(&st);
	assert_int_equal(events_fold(tl.rows, tl.n, &st), 0);
	assert_int_equal(ckpt_encode(&st, tl.rows, tl.n, &a, &len), 0);
	/* The version follows the 4-byte magic, little-endian. */
	assert_int_equal(a[4] | a[5] << 8 | a[6] << 16 | a[7] << 24,
	    CKPT_VERSION);
	a[4]++; /* rules version + 1 */
	assert_int_equal(ckpt_decode(a, len, &snap), -1);
	assert_null(snap.rows);
	a[4]--;
	a[6]++; /* format version + 1 */
	assert_int_equal(ckpt_decode(a, len, &snap), -1);
	a[6]--;
	a[0] = 'X';
	assert_int_equal(ckpt_decode(a, len, &snap), -1);
	a[0] = 'I';
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(ckpt_decode(a, cut, &snap), -1);
	assert_int_equal(ckpt_decode(NULL, 0, &snap), -1);
	assert_int_equal(ckpt_decode(a, len, &snap), 0);
	ckpt_snapshot_release(&snap);
	a = realloc(a, len + 1);
	assert_non_null(a);
	a[len] = 0;
	assert_int_equal(ckpt_decode(a, len + 1, &snap), -1);
	free(a);
	events_state_release(&st);
}

/* What events_keep() keeps of a long timeline stays small. */
static void
checkpoint_keep_is_small(void **state)
{
	struct timeline tl;
	struct events_state st;
	struct events_kept k;

	(void)state;
	rng_state = 5;
	for (int t = 0; t < 50; t++) {
		timeline_make(&tl);
		events_state_init(&st);
		assert_int_equal(events_fold(tl.rows, tl.n, &st), 0);
		assert_int_equal(events_keep(tl.rows, tl.n, &st, &k), 0);
		/* 6 evidence rows, 2 per distinct repository name. */
		assert_true(k.n <= 6 + 2 * (NITEMS(repo_names) - 1));
		for (size_t i = 1; i < k.n; i++)
			assert_true(strcmp(k.rows[i - 1].received_at,
			                k.rows[i].received_at) < 0);
		events_kept_release(&k);
		events_state_release(&st);
	}
	assert_int_equal(events_keep(NULL, 1, &st, &k), -1);
	assert_int_equal(events_keep(NULL, 0, &st, &k), 0);
	events_kept_release(&k);
	events_kept_release(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checkpoint_fold_equals_full_fold),
		cmocka_unit_test(checkpoint_respects_max_id),
		cmocka_unit_test(checkpoint_encode_decode_round_trip),
		cmocka_unit_test(checkpoint_decode_refuses),
		cmocka_unit_test(checkpoint_keep_is_small),
	};

	return cmocka_run_group_tests_name("checkpoint", tests, NULL, NULL);
}
