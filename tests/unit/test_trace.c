/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/trace: times, query parameters, the JSON writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "events.h"
#include "trace.h"

/* 2026-11-24T10:00:00Z */
#define NOW ((time_t)1795514400)

static void
trace_times(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "2026-11-24T10:00:00Z", "2026-11-24T10:00:00.000000Z" },
		{ "2026-11-24t10:00:00.5z", "2026-11-24T10:00:00.500000Z" },
		{ "2026-11-24T10:00:00.1234567Z", "2026-11-24T10:00:00.123456Z" },
		{ "2026-11-24T12:30:00+02:30", "2026-11-24T10:00:00.000000Z" },
		{ "2026-11-24T12:30:00 02:30", "2026-11-24T10:00:00.000000Z" },
		{ "2026-11-24T08:00:00-02:00", "2026-11-24T10:00:00.000000Z" },
		{ "2026-11-24", "2026-11-24T00:00:00.000000Z" },
		{ "2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000000Z" },
		{ "30s", "2026-11-24T09:59:30.000000Z" },
		{ "30m", "2026-11-24T09:30:00.000000Z" },
		{ "1h", "2026-11-24T09:00:00.000000Z" },
		{ "7d", "2026-11-17T10:00:00.000000Z" },
		{ "2w", "2026-11-10T10:00:00.000000Z" },
		{ "0001-01-01", "0001-01-01T00:00:00.000000Z" },
		{ "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000000Z" },
	};
	static const char *const bad[] = { "", "yesterday", "2026-13-01",
		"2026-11-24T25:00:00Z", "2026-11-24T10:00:00",
		"2026-11-24T10:00Z", "2026-11-24T10:00:00.Z", "-1h", "h", "1y",
		"2026-11-24T10:00:00Zx", "' OR 1=1 --", "0000-01-01",
		"2026-02-29", "2026-04-31", "0001-01-01T00:00:00+00:01",
		"9999-12-31T23:59:59-00:01", "100000000w", "1%27" };
	char out[40];

	(void)state;
	assert_int_equal(NOW % 86400, 36000);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(trace_time_parse(v[i].in, NOW, out,
				     sizeof(out)),
		    0);
		assert_string_equal(out, v[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(trace_time_parse(bad[i], NOW, out,
				     sizeof(out)),
		    -1);
}

static void
trace_params_defaults_and_values(void **state)
{
	struct trace_params p;
	char err[128];

	(void)state;
	assert_int_equal(trace_params_parse("", NOW, &p, err, sizeof(err)), 0);
	assert_int_equal(p.limit, 500);
	assert_false(p.dedupe);
	assert_string_equal(p.since, "");
	assert_int_equal(trace_params_parse("since=1h&until=2026-11-24&"
					    "event=installation&limit=5000&"
					    "dedupe=1&cursor=42&at=2026-11-"
					    "24T10%3A00%3A00%2B01%3A00&x=y",
			     NOW, &p, err, sizeof(err)),
	    0);
	assert_string_equal(p.since, "2026-11-24T09:00:00.000000Z");
	assert_string_equal(p.until, "2026-11-24T00:00:00.000000Z");
	assert_string_equal(p.at, "2026-11-24T09:00:00.000000Z");
	assert_string_equal(p.event, "installation");
	assert_int_equal(p.limit, 5000);
	assert_int_equal(p.cursor, 42);
	assert_true(p.dedupe);
}

static void
trace_params_errors_name_the_parameter(void **state)
{
	static const char *const bad[] = { "since=x", "until=x", "at=x",
		"limit=0", "limit=5001", "limit=1e3", "cursor=0", "cursor=-4",
		"dedupe=yes", "event=", "event=a%20b", "event=%27", "since=%zz" };
	struct trace_params p;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strcspn(bad[i], "=");

		err[0] = '\0';
		assert_int_equal(trace_params_parse(bad[i], NOW, &p, err,
				     sizeof(err)),
		    -1);
		assert_memory_equal(err, bad[i], n);
	}
}

static void
trace_list_json_shape(void **state)
{
	struct trace_event ev[2];
	struct trace_page page;
	struct events_state st;
	struct events_diagnosis dg;
	struct buf out;
	cJSON *root, *events;

	(void)state;
	memset(ev, 0, sizeof(ev));
	ev[0].id = 1;
	ev[0].received_at = (char *)(uintptr_t)"2026-11-24T10:00:00.000000Z";
	ev[0].event = (char *)(uintptr_t)"installation.created";
	ev[0].entity_name = (char *)(uintptr_t)"octo\"cat";
	ev[1].id = 2;
	ev[1].event = (char *)(uintptr_t)"workflow_job.queued";
	ev[1].job_id = 7;
	ev[1].entity_name = ev[0].entity_name;
	page.events = ev;
	page.nevents = 2;
	page.next_cursor = 2;
	events_state_init(&st);
	events_diagnosis_init(&dg);
	buf_init(&out);
	assert_int_equal(trace_write_list(&out, 99, &page, &st, &dg, NULL), 0);
	root = cJSON_Parse(out.buf);
	assert_non_null(root);
	assert_int_equal(cJSON_GetObjectItem(root, "entity_id")->valueint, 99);
	assert_string_equal(cJSON_GetObjectItem(root, "entity_name")->valuestring,
	    "octo\"cat");
	assert_string_equal(cJSON_GetObjectItem(root, "next_cursor")->valuestring,
	    "2");
	events = cJSON_GetObjectItem(root, "events");
	assert_int_equal(cJSON_GetArraySize(events), 2);
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 0),
	    "job_id"));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 1),
			     "job_id")->valueint,
	    7);
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(root, "state")));
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(root, "diagnosis")));
	cJSON_Delete(root);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trace_times),
		cmocka_unit_test(trace_params_defaults_and_values),
		cmocka_unit_test(trace_params_errors_name_the_parameter),
		cmocka_unit_test(trace_list_json_shape),
	};

	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
