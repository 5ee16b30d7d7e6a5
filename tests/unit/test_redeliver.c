/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/redeliver: the delivery list, grouping and the plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/redeliver.h"

#define NOW 1700000000

/* The shape of GitHub's example for "List deliveries for an app webhook". */
static const char github_example[] =
    "[{\"id\":12345678,\"guid\":\"0b989ba4-242f-11e5-81e1-c7b6966d2516\","
    "\"delivered_at\":\"2019-06-03T00:57:16Z\",\"redelivery\":false,"
    "\"duration\":0.27,\"status\":\"OK\",\"status_code\":200,"
    "\"event\":\"issues\",\"action\":\"opened\",\"installation_id\":123,"
    "\"repository_id\":456,\"throttled_at\":\"2019-06-03T00:57:16Z\"},"
    "{\"id\":123456789,\"guid\":\"0b989ba4-242f-11e5-81e1-c7b6966d2516\","
    "\"delivered_at\":\"2019-06-04T00:57:16Z\",\"redelivery\":true,"
    "\"duration\":0.28,\"status\":\"Invalid HTTP Response: 502\","
    "\"status_code\":502,\"event\":\"ping\",\"action\":null,"
    "\"installation_id\":null,\"repository_id\":null}]";

static void
redeliver_page_parse_reads_github_items(void **state)
{
	struct redeliver_list l;
	size_t older = 0, invalid = 0;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(redeliver_page_parse(github_example,
	                     strlen(github_example), 0, &l, &older, &invalid),
	    0);
	assert_int_equal(l.n, 2);
	assert_int_equal(older, 0);
	assert_int_equal(invalid, 0);
	assert_int_equal(l.v[0].id, 12345678);
	assert_string_equal(l.v[0].guid,
	    "0b989ba4-242f-11e5-81e1-c7b6966d2516");
	assert_int_equal(l.v[0].delivered_at, 1559523436);
	assert_int_equal(l.v[0].status_code, 200);
	assert_false(l.v[0].redelivery);
	assert_string_equal(l.v[0].event, "issues.opened");
	assert_int_equal(l.v[1].id, 123456789);
	assert_int_equal(l.v[1].status_code, 502);
	assert_true(l.v[1].redelivery);
	assert_string_equal(l.v[1].event, "ping");

	/* A cutoff between the two: the older one is counted, not kept. */
	assert_int_equal(redeliver_page_parse(github_example,
	                     strlen(github_example), 1559523436 + 1, &l, &older,
	                     &invalid),
	    0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[2].id, 123456789);
	assert_int_equal(older, 1);
	redeliver_list_release(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	redeliver_list_release(NULL);
}

static void
redeliver_page_parse_counts_bad_items(void **state)
{
	static const char *const bad[] = {
		"1",
		"{}",
		"{\"id\":0,\"guid\":\"g\",\"delivered_at\":"
		"\"2019-06-03T00:57:16Z\"}",
		"{\"id\":\"1\",\"guid\":\"g\",\"delivered_at\":"
		"\"2019-06-03T00:57:16Z\"}",
		"{\"id\":1.5,\"guid\":\"g\",\"delivered_at\":"
		"\"2019-06-03T00:57:16Z\"}",
		"{\"id\":1,\"delivered_at\":\"2019-06-03T00:57:16Z\"}",
		"{\"id\":1,\"guid\":\"\",\"delivered_at\":"
		"\"2019-06-03T00:57:16Z\"}",
		"{\"id\":1,\"guid\":\"g'; --\",\"delivered_at\":"
		"\"2019-06-03T00:57:16Z\"}",
		"{\"id\":1,\"guid\":\"0123456789012345678901234567890123456789"
		"01234567890123456789012345\",\"delivered_at\":"
		"\"2019-06-03T00:57:16Z\"}",
		"{\"id\":1,\"guid\":\"g\",\"delivered_at\":\"yesterday\"}",
		"{\"id\":1,\"guid\":\"g\",\"delivered_at\":1559523436}",
		"{\"id\":1,\"guid\":\"g\",\"delivered_at\":"
		"\"2019-06-03T00:57:16Z\",\"status_code\":\"200\"}",
		"{\"id\":1,\"guid\":\"g\",\"delivered_at\":"
		"\"2019-06-03T00:57:16Z\",\"status_code\":1000}",
		"{\"id\":1,\"guid\":\"g\",\"delivered_at\":"
		"\"2019-06-03T00:57:16Z\",\"redelivery\":\"yes\"}",
	};
	static const char good[] =
	    "{\"id\":9,\"guid\":\"g-1\",\"delivered_at\":"
	    "\"2019-06-03T00:57:16Z\",\"status_code\":null,\"event\":7}";
	struct redeliver_list l;
	size_t older = 0, invalid = 0;
	char body[512];

	(void)state;
	memset(&l, 0, sizeof(l));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(body, sizeof(body), "[%s,%s]", bad[i], good);
		assert_int_equal(redeliver_page_parse(body, strlen(body), 0, &l,
		                     &older, &invalid),
		    0);
		if (invalid != i + 1)
			fail_msg("item '%s' was not refused", bad[i]);
	}
	assert_int_equal(l.n, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(l.v[0].id, 9);
	assert_int_equal(l.v[0].status_code, 0);
	assert_string_equal(l.v[0].event, "");
	assert_int_equal(older, 0);

	/* Not a list at all. */
	assert_int_equal(redeliver_page_parse("{}", 2, 0, &l, &older, &invalid),
	    -1);
	assert_int_equal(redeliver_page_parse("[{", 2, 0, &l, &older, &invalid),
	    -1);
	assert_int_equal(redeliver_page_parse("", 0, 0, &l, &older, &invalid),
	    -1);
	assert_int_equal(redeliver_page_parse("[]", 2, 0, &l, &older, &invalid),
	    0);
	redeliver_list_release(&l);
}

/* Append an attempt to 'l'. */
static void
add(struct redeliver_list *l, int64_t id, const char *guid, time_t at,
    int status)
{
	struct redeliver_item *it;

	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		assert_non_null(l->v = realloc(l->v, l->cap * sizeof(*l->v)));
	}
	it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	it->id = id;
	(void)snprintf(it->guid, sizeof(it->guid), "%s", guid);
	it->delivered_at = at;
	it->status_code = status;
	it->redelivery = id > 100;
	(void)snprintf(it->event, sizeof(it->event), "e%lld", (long long)id);
}

static void
redeliver_group_finds_guids_without_a_2xx(void **state)
{
	struct redeliver_list l;
	struct redeliver_failed *f;
	size_t n;

	(void)state;
	memset(&l, 0, sizeof(l));
	/* Newest first, as GitHub lists them. */
	add(&l, 109, "b-redelivered-ok", NOW - 10, 200);
	add(&l, 108, "d-failed-twice", NOW - 20, 500);
	add(&l, 107, "f-ok-then-failed", NOW - 30, 502);
	add(&l, 6, "g-accepted", NOW - 40, 202);
	add(&l, 5, "a-failed", NOW - 50, 502);
	add(&l, 4, "d-failed-twice", NOW - 60, 0);
	add(&l, 3, "f-ok-then-failed", NOW - 70, 200);
	add(&l, 2, "b-redelivered-ok", NOW - 80, 503);
	add(&l, 1, "c-ok", NOW - 90, 200);
	add(&l, 10, "e-same-second", NOW - 50, 404);
	add(&l, 11, "h-redirect", NOW - 100, 302);

	assert_int_equal(redeliver_group(l.v, l.n, &f, &n), 0);
	assert_int_equal(n, 4);
	/* Oldest latest attempt first; the same second by guid. */
	assert_string_equal(f[0].guid, "h-redirect");
	assert_int_equal(f[0].id, 11);
	assert_int_equal(f[0].status_code, 302);
	assert_int_equal(f[0].attempts, 1);
	assert_string_equal(f[1].guid, "a-failed");
	assert_int_equal(f[1].id, 5);
	assert_string_equal(f[1].event, "e5");
	assert_string_equal(f[2].guid, "e-same-second");
	assert_int_equal(f[2].id, 10);
	assert_int_equal(f[2].delivered_at, NOW - 50);
	/* The latest of two failed attempts is the one to redeliver. */
	assert_string_equal(f[3].guid, "d-failed-twice");
	assert_int_equal(f[3].id, 108);
	assert_int_equal(f[3].delivered_at, NOW - 20);
	assert_int_equal(f[3].status_code, 500);
	assert_int_equal(f[3].attempts, 2);
	free(f);

	/* Same delivered_at: the higher id is the latest. */
	l.n = 0;
	add(&l, 20, "x", NOW, 500);
	add(&l, 21, "x", NOW, 500);
	add(&l, 19, "x", NOW, 500);
	assert_int_equal(redeliver_group(l.v, l.n, &f, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].id, 21);
	assert_int_equal(f[0].attempts, 3);
	free(f);

	/* Nothing failed, or nothing listed: no array. */
	l.n = 0;
	add(&l, 1, "ok", NOW, 204);
	assert_int_equal(redeliver_group(l.v, l.n, &f, &n), 0);
	assert_int_equal(n, 0);
	assert_null(f);
	assert_int_equal(redeliver_group(l.v, 0, &f, &n), 0);
	assert_null(f);
	redeliver_list_release(&l);
}

static void
redeliver_plan_verdicts_and_budget(void **state)
{
	static const struct redeliver_state s[] = {
		{ false, 0, 0 },    /* never asked */
		{ true, 0, 0 },     /* our log has it */
		{ true, 3, 10 },    /* in the log wins */
		{ false, 1, 1799 }, /* asked 29:59 ago */
		{ false, 1, 1800 }, /* asked 30:00 ago */
		{ false, 2, 86400 },
		{ false, 3, 86400 },                /* three times in all */
		{ false, 7, 10 }, { false, 1, -5 }, /* a clock that went back */
		{ false, 0, 0 },                    /* over the cap */
		{ false, 2, 5000 },                 /* over the cap */
	};
	static const enum redeliver_verdict want[] = {
		REDELIVER_ASK,
		REDELIVER_IN_LOG,
		REDELIVER_IN_LOG,
		REDELIVER_RECENT,
		REDELIVER_ASK,
		REDELIVER_ASK,
		REDELIVER_EXHAUSTED,
		REDELIVER_EXHAUSTED,
		REDELIVER_RECENT,
		REDELIVER_OVER_CAP,
		REDELIVER_OVER_CAP,
	};
	enum redeliver_verdict got[sizeof(s) / sizeof(s[0])];
	size_t budget = 3;

	(void)state;
	redeliver_plan(s, sizeof(s) / sizeof(s[0]), &budget, got);
	assert_int_equal(budget, 0);
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (got[i] != want[i])
			fail_msg("state %zu: verdict %d, expected %d", i,
			    got[i], want[i]);
	/* A budget left over stays for the next app. */
	budget = 5;
	redeliver_plan(s, 5, &budget, got);
	assert_int_equal(budget, 3);
	budget = 0;
	redeliver_plan(s, 1, &budget, got);
	assert_int_equal(got[0], REDELIVER_OVER_CAP);
	redeliver_plan(s, 0, &budget, got);
}

static void
redeliver_cutoff_overlap_and_window(void **state)
{
	(void)state;
	/* Never swept: GitHub's whole window. */
	assert_int_equal(redeliver_cutoff(NOW, 0), NOW - REDELIVER_WINDOW);
	/* Swept 10 minutes ago: an hour before that. */
	assert_int_equal(redeliver_cutoff(NOW, NOW - 600), NOW - 600 - 3600);
	/* Swept long ago: no further back than GitHub keeps. */
	assert_int_equal(redeliver_cutoff(NOW, NOW - 4 * 86400),
	    NOW - 3 * 86400);
	assert_int_equal(redeliver_cutoff(NOW, NOW - 3 * 86400 + 3600),
	    NOW - 3 * 86400);
	assert_int_equal(redeliver_cutoff(NOW, NOW - 3 * 86400 + 3601),
	    NOW - 3 * 86400 + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redeliver_page_parse_reads_github_items),
		cmocka_unit_test(redeliver_page_parse_counts_bad_items),
		cmocka_unit_test(redeliver_group_finds_guids_without_a_2xx),
		cmocka_unit_test(redeliver_plan_verdicts_and_budget),
		cmocka_unit_test(redeliver_cutoff_overlap_and_window),
	};

	return cmocka_run_group_tests_name("redeliver", tests, NULL, NULL);
}
