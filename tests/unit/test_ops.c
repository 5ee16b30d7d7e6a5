/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/ops: steps, their JSON, the summary, abandoned runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/ops.h"

/* 2026-11-24T10:00:00Z in Unix milliseconds. */
#define T0 1795514400000LL

/* Add a step named 'name', failed when 'error' is set, standing for 'n'. */
static void
add(struct ops_run *op, const char *name, const char *error, int64_t n)
{
	struct ops_step s;

	memset(&s, 0, sizeof(s));
	s.name = (char *)(uintptr_t)name;
	s.failed = error != NULL;
	s.error = (char *)(uintptr_t)error;
	s.started_ms = T0 + (int64_t)op->nsteps * 1000;
	s.duration_ms = 12;
	s.count = n;
	assert_int_equal(ops_step_add(op, &s), 0);
}

/* The summary of 'op' must be 'want'. */
static void
summary_is(const struct ops_run *op, const char *want)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(ops_summary(op->steps, op->nsteps, &b), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_string_equal(b.buf, want);
	buf_release(&b);
}

static void
ops_summary_names_failures_and_counts_successes(void **state)
{
	struct ops_run op;

	(void)state;
	ops_init(&op, "auth_check", T0);
	summary_is(&op, "");
	add(&op, "jwt:org", NULL, 1);
	summary_is(&op, "jwt:org ✓");
	add(&op, "957387", "HTTP 404: Not Found", 1);
	add(&op, "installations", NULL, 41);
	summary_is(&op, "jwt:org ✓ → 957387 ✗ → 41 more ✓");
	ops_release(&op);

	/* Successes at the start: the first is named, the rest counted. */
	ops_init(&op, "auth_check", T0);
	add(&op, "jwt:org", NULL, 1);
	add(&op, "jwt:user", NULL, 1);
	add(&op, "installations", NULL, 40);
	summary_is(&op, "jwt:org ✓ → 41 more ✓");
	ops_release(&op);

	/* Every failure keeps its name, even next to each other. */
	ops_init(&op, "auth_check", T0);
	add(&op, "1", "HTTP 404", 1);
	add(&op, "2", "HTTP 500", 1);
	add(&op, "3", NULL, 1);
	add(&op, "4", "HTTP 403", 1);
	summary_is(&op, "1 ✗ → 2 ✗ → 3 ✓ → 4 ✗");
	assert_true(ops_has_failed(&op));
	ops_release(&op);

	/* A count of 0 is one action. */
	ops_init(&op, "spool_replay", T0);
	add(&op, "a.json", NULL, 0);
	summary_is(&op, "a.json ✓");
	assert_false(ops_has_failed(&op));
	ops_release(&op);
}

static void
ops_steps_json_is_design_shape(void **state)
{
	struct ops_run op;
	struct ops_step s;
	struct buf b;
	cJSON *root, *st;

	(void)state;
	ops_init(&op, "auth_check", T0);
	add(&op, "jwt:org", NULL, 1);
	memset(&s, 0, sizeof(s));
	s.name = (char *)(uintptr_t) "957387";
	s.failed = true;
	s.started_ms = T0 + 1500;
	s.duration_ms = 48;
	s.output = (char *)(uintptr_t) "{\"http_status\":404}";
	s.error = (char *)(uintptr_t) "HTTP 404: \"Not Found\"";
	s.error_detail = (char *)(uintptr_t) "{\"message\":\"Not Found\"}";
	assert_int_equal(ops_step_add(&op, &s), 0);
	add(&op, "installations", NULL, 41);
	buf_init(&b);
	assert_int_equal(ops_steps_json(op.steps, op.nsteps, &b), 0);
	root = cJSON_ParseWithLength(b.buf, b.len);
	assert_non_null(root);
	assert_int_equal(cJSON_GetArraySize(root), 3);
	st = cJSON_GetArrayItem(root, 0);
	assert_string_equal(cJSON_GetObjectItem(st, "name")->valuestring,
	    "jwt:org");
	assert_string_equal(cJSON_GetObjectItem(st, "status")->valuestring,
	    "completed");
	assert_string_equal(cJSON_GetObjectItem(st, "started_at")->valuestring,
	    "2026-11-24T10:00:00.000000Z");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(st, "output")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(st, "error")));
	assert_null(cJSON_GetObjectItem(st, "count"));
	st = cJSON_GetArrayItem(root, 1);
	assert_string_equal(cJSON_GetObjectItem(st, "status")->valuestring,
	    "failed");
	assert_string_equal(cJSON_GetObjectItem(st, "started_at")->valuestring,
	    "2026-11-24T10:00:01.500000Z");
	assert_int_equal(cJSON_GetObjectItem(st, "duration_ms")->valueint, 48);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "output"),
	                     "http_status")
	                     ->valueint,
	    404);
	assert_string_equal(cJSON_GetObjectItem(st, "error")->valuestring,
	    "HTTP 404: \"Not Found\"");
	assert_string_equal(cJSON_GetObjectItem(st, "error_detail")
	                        ->valuestring,
	    "{\"message\":\"Not Found\"}");
	st = cJSON_GetArrayItem(root, 2);
	assert_int_equal(cJSON_GetObjectItem(st, "count")->valueint, 41);
	cJSON_Delete(root);
	buf_release(&b);
	ops_release(&op);
}

/*
 * Stored steps keep their bytes but each step's "started_at", which gets
 * microseconds: not a nested one, not one in a string, not null.
 */
static void
ops_steps_retime_shows_microseconds(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "[]", "[]" },
		{ "null", "null" },
		{ "[{\"name\": \"a\", \"started_at\": \"2026-12-06T19:03:05.123Z\", "
		  "\"duration_ms\": 1}]",
		    "[{\"name\": \"a\", \"started_at\": "
		    "\"2026-12-06T19:03:05.123000Z\", \"duration_ms\": 1}]" },
		/* Already microseconds, null, and two steps. */
		{ "[{\"started_at\": \"2026-12-06T19:03:05.123456Z\"}, "
		  "{\"started_at\": null, \"x\": \"2026-12-06T19:03:05.1Z\"}, "
		  "{\"output\": [\"started_at\"], "
		  "\"started_at\":\"2026-12-06T19:03:05Z\"}]",
		    "[{\"started_at\": \"2026-12-06T19:03:05.123456Z\"}, "
		    "{\"started_at\": null, \"x\": \"2026-12-06T19:03:05.1Z\"}, "
		    "{\"output\": [\"started_at\"], "
		    "\"started_at\":\"2026-12-06T19:03:05.000000Z\"}]" },
		/* Nested in the output, or inside a string: kept. */
		{ "[{\"output\": {\"started_at\": \"2026-12-06T19:03:05.123Z\", "
		  "\"k\": [{\"started_at\": \"2026-12-06T19:03:05.123Z\"}]}, "
		  "\"error\": \"\\\"started_at\\\": \\\"2026-12-06T19:03:05.1Z\\\"\", "
		  "\"name\": \"{[\\\\\"\"}]",
		    "[{\"output\": {\"started_at\": \"2026-12-06T19:03:05.123Z\", "
		    "\"k\": [{\"started_at\": \"2026-12-06T19:03:05.123Z\"}]}, "
		    "\"error\": \"\\\"started_at\\\": "
		    "\\\"2026-12-06T19:03:05.1Z\\\"\", "
		    "\"name\": \"{[\\\\\"\"}]" },
		/* Not a time: kept. */
		{ "[{\"started_at\": \"yesterday\"}, {\"started_at\": 5}]",
		    "[{\"started_at\": \"yesterday\"}, {\"started_at\": 5}]" },
		/* Cut short: what is there is kept. */
		{ "[{\"started_at\": \"2026-12-06T19:03:05.123Z",
		    "[{\"started_at\": \"2026-12-06T19:03:05.123Z" },
	};
	struct buf b;

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		assert_int_equal(ops_steps_retime(v[i].in, strlen(v[i].in), &b),
		    0);
		assert_string_equal(b.buf, v[i].out);
	}
	buf_release(&b);
}

static void
ops_error_line_names_first_failed_step(void **state)
{
	struct ops_run op;
	struct buf b;
	const char *detail;

	(void)state;
	ops_init(&op, "auth_check", T0);
	add(&op, "jwt:org", NULL, 1);
	buf_init(&b);
	assert_int_equal(ops_error_line(&op, &b, &detail), 0);
	assert_int_equal(b.len, 0);
	assert_null(detail);
	assert_int_equal(ops_step(&op, "957387", T0, NULL,
	                     "HTTP 404: Not Found", "body", 4),
	    0);
	add(&op, "5003", "HTTP 500", 1);
	assert_int_equal(ops_error_line(&op, &b, &detail), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_string_equal(b.buf, "957387: HTTP 404: Not Found");
	assert_string_equal(detail, "body");
	buf_release(&b);
	ops_release(&op);
}

static void
ops_detail_is_cut_on_a_character_boundary(void **state)
{
	size_t len = OPS_DETAIL_MAX + 100;
	char *big = malloc(len), *d;

	(void)state;
	assert_non_null(big);
	/* 'é' (2 bytes) straddling the limit: cut before it. */
	memset(big, 'a', len);
	big[OPS_DETAIL_MAX - 1] = '\xc3';
	big[OPS_DETAIL_MAX] = '\xa9';
	d = ops_detail_dup(big, len);
	assert_non_null(d);
	assert_int_equal(strlen(d), OPS_DETAIL_MAX - 1);
	free(d);
	/* Ending exactly on the limit keeps the whole character. */
	big[OPS_DETAIL_MAX - 2] = '\xc3';
	big[OPS_DETAIL_MAX - 1] = '\xa9';
	big[OPS_DETAIL_MAX] = 'a';
	d = ops_detail_dup(big, len);
	assert_int_equal(strlen(d), OPS_DETAIL_MAX);
	assert_int_equal((unsigned char)d[OPS_DETAIL_MAX - 1], 0xa9);
	free(d);
	free(big);
	/* Short text is kept whole; NUL and bad bytes become U+FFFD. */
	d = ops_detail_dup("a\0b\xff", 4);
	assert_string_equal(d,
	    "a\xef\xbf\xbd"
	    "b\xef\xbf\xbd");
	free(d);
	assert_int_equal(ops_utf8_cut("abc", 3, 10), 3);
	assert_int_equal(ops_utf8_cut("\xe2\x9c\x93\xe2\x9c\x93", 6, 4), 3);
}

static void
ops_abandoned_rule(void **state)
{
	(void)state;
	/* The lock holder sees another running row of its type: dead. */
	assert_true(ops_is_abandoned("auth_check", "running", 7, "auth_check",
	    true, 9));
	/* Its own row is alive. */
	assert_false(ops_is_abandoned("auth_check", "running", 9, "auth_check",
	    true, 9));
	/* Without the lock another run may be alive. */
	assert_false(ops_is_abandoned("auth_check", "running", 7, "auth_check",
	    false, 9));
	/* Another type's run is none of its business. */
	assert_false(
	    ops_is_abandoned("redeliver", "running", 7, "auth_check", true, 9));
	/* Ended rows are never abandoned. */
	assert_false(
	    ops_is_abandoned("auth_check", "failed", 7, "auth_check", true, 9));
	assert_false(ops_is_abandoned("auth_check", "completed", 7,
	    "auth_check", true, 9));
}

static void
ops_touch_collects_ids(void **state)
{
	struct ops_run op;

	(void)state;
	ops_init(&op, "auth_check", T0);
	for (int64_t i = 1; i <= 5; i++)
		assert_int_equal(ops_touch(&op, 100 + i, i % 2 ? 0 : i), 0);
	assert_int_equal(op.ninstallations, 5);
	assert_int_equal(op.installation_ids[4], 105);
	assert_int_equal(op.nentities, 2);
	assert_int_equal(op.entity_ids[1], 4);
	ops_release(&op);
	ops_release(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    ops_summary_names_failures_and_counts_successes),
		cmocka_unit_test(ops_steps_json_is_design_shape),
		cmocka_unit_test(ops_steps_retime_shows_microseconds),
		cmocka_unit_test(ops_error_line_names_first_failed_step),
		cmocka_unit_test(ops_detail_is_cut_on_a_character_boundary),
		cmocka_unit_test(ops_abandoned_rule),
		cmocka_unit_test(ops_touch_collects_ids),
	};

	return cmocka_run_group_tests_name("ops", tests, NULL, NULL);
}
