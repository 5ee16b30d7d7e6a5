/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/core/fleet.c: GET /trace/failing's query and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/events.h"
#include "core/events_diagnose.h"
#include "core/fleet.h"
#include "core/str.h"

/* 2026-11-24T10:00:00Z */
#define NOW 1795514400

static void
fleet_params_defaults(void **state)
{
	struct fleet_params p;
	char err[160];

	(void)state;
	assert_int_equal(fleet_params_parse(NULL, NOW, &p, err, sizeof(err)),
	    0);
	assert_string_equal(p.since, "2026-11-23T10:00:00.000000Z");
	assert_string_equal(p.cause, "");
	assert_int_equal(p.limit, FLEET_LIMIT_DEFAULT);
	assert_int_equal(p.cursor, 0);
}

static void
fleet_params_every_filter(void **state)
{
	struct fleet_params p;
	char err[160];

	(void)state;
	assert_int_equal(fleet_params_parse("since=30m&cause=rate_limited&"
	                                    "limit=7&cursor=42",
	                     NOW, &p, err, sizeof(err)),
	    0);
	assert_string_equal(p.since, "2026-11-24T09:30:00.000000Z");
	assert_string_equal(p.cause, "rate_limited");
	assert_int_equal(p.limit, 7);
	assert_int_equal(p.cursor, 42);
	assert_int_equal(fleet_params_parse("cause=unknown", NOW, &p, err,
	                     sizeof(err)),
	    0);
	assert_string_equal(p.cause, "unknown");
}

static void
fleet_params_bad_values_named(void **state)
{
	static const struct {
		const char *q, *name;
	} cases[] = {
		{ "since=yesterday", "since:" },
		{ "cause=bogus", "cause:" },
		{ "cause=recovered", "cause:" },
		{ "cause=", "cause:" },
		{ "limit=0", "limit:" },
		{ "limit=1001", "limit:" },
		{ "limit=x", "limit:" },
		{ "cursor=0", "cursor:" },
		{ "cursor=-3", "cursor:" },
		{ "cause=%zz", "cause:" },
	};
	struct fleet_params p;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(fleet_params_parse(cases[i].q, NOW, &p, err,
		                     sizeof(err)),
		    -1);
		assert_true(
		    strncmp(err, cases[i].name, strlen(cases[i].name)) == 0);
	}
}

static void
fleet_item_first_finding_or_unknown(void **state)
{
	struct events_state st;
	struct events_diagnosis dg;
	struct fleet_item it;
	char msg[] = "Service Unavailable";

	(void)state;
	events_state_init(&st);
	events_diagnosis_init(&dg);
	st.last_auth_failure.present = true;
	st.last_auth_failure.id = 9;
	st.last_auth_failure.http_status = 403;
	st.last_auth_failure.message = msg;
	memset(&it, 0, sizeof(it));
	assert_int_equal(fleet_item_diagnose(&it, &st, &dg), 0);
	assert_string_equal(it.cause, "unknown");
	assert_string_equal(it.summary,
	    "auth fails with HTTP 403 ('Service Unavailable')");
	assert_int_equal(it.nevidence, 1);
	assert_int_equal(it.evidence[0], 9);
	fleet_item_release(&it);

	dg.nfindings = 1;
	dg.findings[0].cause = EVENTS_CAUSE_SUSPENDED;
	dg.findings[0].summary = msg;
	dg.findings[0].evidence[0] = 2;
	dg.findings[0].evidence[1] = 9;
	dg.findings[0].nevidence = 2;
	assert_int_equal(fleet_item_diagnose(&it, &st, &dg), 0);
	assert_string_equal(it.cause, "suspended");
	assert_string_equal(it.summary, msg);
	assert_int_equal(it.nevidence, 2);
	fleet_item_release(&it);
	fleet_item_release(NULL);
}

static void
fleet_write_page(void **state)
{
	struct fleet_item it = { .entity_id = 5,
		.entity_name = "octocat",
		.entity_type = "User",
		.installation_id = 42,
		.cause = "bad_credentials",
		.summary = (char *)(uintptr_t) "s",
		.first_failure_at = "a",
		.last_failure_at = "b",
		.failures = 3,
		.evidence = { 7 },
		.nevidence = 1 };
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(fleet_write(&b, &it, 1, 7), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_string_equal(b.buf,
	    "{\"data\":[{\"entity_id\":5,\"entity_name\":\"octocat\","
	    "\"entity_type\":\"User\",\"installation_id\":42,"
	    "\"cause\":\"bad_credentials\",\"summary\":\"s\","
	    "\"first_failure_at\":\"a\",\"last_failure_at\":\"b\","
	    "\"failures\":3,\"evidence\":[7]}],\"next_cursor\":7}");
	buf_reset(&b);
	assert_int_equal(fleet_write(&b, NULL, 0, 0), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_string_equal(b.buf, "{\"data\":[],\"next_cursor\":null}");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fleet_params_defaults),
		cmocka_unit_test(fleet_params_every_filter),
		cmocka_unit_test(fleet_params_bad_values_named),
		cmocka_unit_test(fleet_item_first_finding_or_unknown),
		cmocka_unit_test(fleet_write_page),
	};

	return cmocka_run_group_tests_name("fleet", tests, NULL, NULL);
}
