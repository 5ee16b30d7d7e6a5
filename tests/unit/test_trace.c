/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/trace: times, query parameters, the JSON documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/events.h"
#include "core/events_diagnose.h"
#include "core/trace.h"

/* 2026-11-24T10:00:00Z */
#define NOW ((time_t)1795514400)

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
		"dedupe=yes", "event=", "event=a%20b", "event=%27",
		"since=%zz" };
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
	ev[0].received_at = (char *)(uintptr_t) "2026-11-24T10:00:00.000000Z";
	ev[0].event = (char *)(uintptr_t) "installation.created";
	ev[0].entity_name = (char *)(uintptr_t) "octo\"cat";
	ev[1].id = 2;
	ev[1].event = (char *)(uintptr_t) "workflow_job.queued";
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
	assert_string_equal(cJSON_GetObjectItem(root, "entity_name")
	                        ->valuestring,
	    "octo\"cat");
	assert_string_equal(cJSON_GetObjectItem(root, "next_cursor")
	                        ->valuestring,
	    "2");
	events = cJSON_GetObjectItem(root, "events");
	assert_int_equal(cJSON_GetArraySize(events), 2);
	assert_null(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(events, 0), "job_id"));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 1),
	                     "job_id")
	                     ->valueint,
	    7);
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(root, "state")));
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(root, "diagnosis")));
	cJSON_Delete(root);
	buf_release(&out);
}

/*
 * The exact bytes of a list document: the routes' JSON is compared byte
 * for byte by clients (instlog-trace --json), so the writer must not
 * change a byte of it.
 */
static void
trace_list_json_bytes(void **state)
{
	static char repo[] = "carol/app", name[] = "carol", at[] = "2026-1";
	static char *repos[] = { repo };
	static char summary[] = "the app was \"uninstalled\"";
	struct trace_event ev;
	struct trace_page page;
	struct events_state st;
	struct events_diagnosis dg;
	struct buf out;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.id = 5;
	ev.received_at = "2026-11-24T10:00:00.000000Z";
	ev.source = "webhook";
	ev.event = "workflow_job.queued";
	ev.outcome = "job_stored";
	ev.app_id = 29310;
	ev.entity_id = 21;
	ev.entity_name = "carol";
	ev.job_id = 7;
	ev.request_id = "0f2a";
	ev.operation_id = 12;
	ev.redelivered_by = 13;
	page.events = &ev;
	page.nevents = 1;
	page.next_cursor = 5;
	events_state_init(&st);
	events_diagnosis_init(&dg);
	st.installed = true;
	st.repos = repos;
	st.nrepos = 1;
	st.last_auth_failure.present = true;
	st.last_auth_failure.is_404 = true;
	st.last_auth_failure.id = 9;
	st.last_auth_failure.at = at;
	st.last_auth_failure.http_status = 404;
	st.last_auth_failure.entity_name = name;
	dg.nfindings = 1;
	dg.findings[0].cause = EVENTS_CAUSE_UNINSTALLED;
	dg.findings[0].summary = summary;
	dg.findings[0].evidence[0] = 3;
	dg.findings[0].evidence[1] = 9;
	dg.findings[0].nevidence = 2;
	buf_init(&out);
	assert_int_equal(trace_write_list(&out, 21, &page, &st, &dg,
	                     "2026-11-24T10:00:00.000000Z"),
	    0);
	assert_string_equal(out.buf,
	    "{\"entity_id\":21,\"entity_name\":\"carol\",\"events\":[{\"id\":5,"
	    "\"received_at\":\"2026-11-24T10:00:00.000000Z\",\"source\":"
	    "\"webhook\",\"event\":\"workflow_job.queued\",\"outcome\":"
	    "\"job_stored\",\"delivery_id\":null,\"app_id\":29310,"
	    "\"installation_id\":null,\"entity_type\":null,\"entity_id\":21,"
	    "\"entity_name\":\"carol\",\"actor\":null,\"request_id\":\"0f2a\","
	    "\"operation_id\":12,\"redelivered_by\":13,\"job_id\":7,"
	    "\"repo_full_name\":null}],\"next_cursor\":\"5\",\"state\":{"
	    "\"installed\":true,\"suspended\":false,\"installation_id\":null,"
	    "\"app_id\":null,\"repository_selection\":null,\"repositories\":"
	    "[\"carol/app\"],\"entity_name\":null,\"previous_names\":[],"
	    "\"as_of\":\"2026-11-24T10:00:00.000000Z\",\"last_auth_failure\":{"
	    "\"event_id\":9,\"at\":\"2026-1\",\"event\":\"auth_attempt.404\","
	    "\"app_id\":null,\"installation_id\":null,\"http_status\":404,"
	    "\"repo\":null,\"entity_name\":\"carol\"}},\"diagnosis\":[{"
	    "\"cause\":\"uninstalled\",\"summary\":\"the app was "
	    "\\\"uninstalled\\\"\",\"evidence\":[3,9]}]}\n");
	buf_release(&out);
}

static void
trace_payload_json_bytes(void **state)
{
	struct trace_payload p;
	struct buf out;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.id = 7;
	p.event = "installation.created";
	p.received_at = "2026-11-24T10:00:00.000000Z";
	p.payload = "{\"a\": [1, \"\\u0000\"]}";
	buf_init(&out);
	assert_int_equal(trace_write_payload(&out, &p), 0);
	assert_string_equal(out.buf,
	    "{\"id\":7,\"event\":\"installation.created\",\"received_at\":"
	    "\"2026-11-24T10:00:00.000000Z\",\"payload\":{\"a\": [1, "
	    "\"\\u0000\"]}}\n");
	buf_reset(&out);
	p.raw_body_base64 = "e30=";
	assert_int_equal(trace_write_payload(&out, &p), 0);
	assert_string_equal(out.buf + out.len - 29,
	    "]},\"raw_body_base64\":\"e30=\"}\n");
	buf_release(&out);
	trace_payload_release(&p);
	trace_payload_release(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trace_params_defaults_and_values),
		cmocka_unit_test(trace_params_errors_name_the_parameter),
		cmocka_unit_test(trace_list_json_shape),
		cmocka_unit_test(trace_list_json_bytes),
		cmocka_unit_test(trace_payload_json_bytes),
	};

	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
