/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/table: cells, the golden table, the payload view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/json.h"
#include "table.h"

/* The README's uninstalled timeline, as the server sends it. */
static const char uninstalled[] =
    "{\"entity_id\":21031067,\"entity_name\":\"Codertocat\",\"events\":["
    "{\"id\":1,\"received_at\":\"2026-11-24T10:48:46.450248Z\","
    "\"source\":\"webhook\",\"event\":\"installation.created\","
    "\"outcome\":\"ok\",\"delivery_id\":\"5d6b6d60-0001\",\"app_id\":29310,"
    "\"installation_id\":957387,\"entity_type\":\"User\","
    "\"entity_id\":21031067,\"entity_name\":\"Codertocat\","
    "\"actor\":\"Codertocat\"},"
    "{\"id\":2,\"received_at\":\"2026-11-24T10:48:46.487290Z\","
    "\"source\":\"webhook\",\"event\":\"workflow_job.queued\","
    "\"outcome\":\"job_stored\",\"delivery_id\":\"5d6b6d60-0002\","
    "\"app_id\":29310,\"installation_id\":957387,\"entity_type\":\"User\","
    "\"entity_id\":21031067,\"entity_name\":\"Codertocat\","
    "\"actor\":\"Codertocat\",\"job_id\":289782451,"
    "\"repo_full_name\":\"Codertocat/Hello-World\"},"
    "{\"id\":3,\"received_at\":\"2026-11-24T10:48:46.517235Z\","
    "\"source\":\"webhook\",\"event\":\"installation.deleted\","
    "\"outcome\":\"ok\",\"delivery_id\":\"5d6b6d60-0003\",\"app_id\":29310,"
    "\"installation_id\":957387,\"entity_type\":\"User\","
    "\"entity_id\":21031067,\"entity_name\":\"Codertocat\","
    "\"actor\":\"octocat\"},"
    "{\"id\":4,\"received_at\":\"2026-11-24T10:48:46.541869Z\","
    "\"source\":\"scheduler\",\"event\":\"auth_attempt.404\","
    "\"outcome\":\"auth_404\",\"delivery_id\":null,\"app_id\":29310,"
    "\"installation_id\":957387,\"entity_type\":\"User\","
    "\"entity_id\":21031067,\"entity_name\":\"Codertocat\",\"actor\":null}"
    "],\"next_cursor\":null,\"state\":{\"installed\":false,"
    "\"suspended\":false,\"installation_id\":957387,\"app_id\":29310,"
    "\"repository_selection\":\"selected\",\"repositories\":[],"
    "\"entity_name\":\"Codertocat\",\"previous_names\":[],\"as_of\":null,"
    "\"last_auth_failure\":{\"event_id\":4,"
    "\"at\":\"2026-11-24T10:48:46.541869Z\",\"event\":\"auth_attempt.404\","
    "\"app_id\":29310,\"installation_id\":957387,\"http_status\":404,"
    "\"repo\":\"Codertocat/Hello-World\",\"entity_name\":\"Codertocat\"}},"
    "\"diagnosis\":[{\"cause\":\"uninstalled\",\"summary\":\"the app was "
    "uninstalled from 'Codertocat' on 2026-11-24T10:48:46Z; jobs fail with "
    "404 since 2026-11-24T10:48:46Z\",\"evidence\":[3,4]}]}\n";

static const char uninstalled_text[] =
    "entity 21031067 Codertocat: 4 events\n"
    "\n"
    "ID TIME (UTC)          EVENT                OUTCOME    ENTITY   ACTOR   "
    " REPO                    JOB\n"
    " 1 2026-11-24 10:48:46 installation.created ok         Coderto\xe2\x80"
    "\xa6 Coderto\xe2\x80\xa6\n"
    " 2 2026-11-24 10:48:46 workflow_job.queued  job_stored Coderto\xe2\x80"
    "\xa6 Coderto\xe2\x80\xa6 Codertocat/Hello\xe2\x80\xa6 289782451\n"
    " 3 2026-11-24 10:48:46 installation.deleted ok         Coderto\xe2\x80"
    "\xa6 octocat\n"
    " 4 2026-11-24 10:48:46 auth_attempt.404     auth_404   Coderto\xe2\x80"
    "\xa6 -\n"
    "\n"
    "STATE\n"
    "  installed          no\n"
    "  suspended          no\n"
    "  installation       957387\n"
    "  app                29310\n"
    "  selection          selected\n"
    "  repos              none\n"
    "  name               Codertocat\n"
    "  previous names     none\n"
    "  last auth failure  auth_attempt.404 (id 4) at 2026-11-24 10:48:46: HTT"
    "P 404, app 29310,\n"
    "                     installation 957387, repo Codertocat/Hello-World, l"
    "ogin Codertocat\n"
    "\n"
    "DIAGNOSIS\n"
    "  uninstalled        the app was uninstalled from 'Codertocat' on 2026-1"
    "1-24T10:48:46Z; jobs fail\n"
    "                     with 404 since 2026-11-24T10:48:46Z\n"
    "                     evidence: 3, 4\n";

/*
 * Cells too wide for 100 columns, a control character, a next page, a
 * healthy diagnosis and a state as of some time.
 */
static const char crowded[] =
    "{\"entity_id\":9007199254740991,\"entity_name\":\"ops\\u001b[2J\","
    "\"events\":["
    "{\"id\":1234567,\"received_at\":\"2026-01-02T03:04:05.000001Z\","
    "\"source\":\"webhook\",\"event\":\"installation_repositories.removed\","
    "\"outcome\":\"ok\",\"entity_name\":\"a-very-long-organization-login-"
    "of-39c\",\"actor\":\"dependabot[bot]\"},"
    "{\"id\":1234568,\"received_at\":\"2026-01-02T03:04:06.5Z\","
    "\"source\":\"webhook\",\"event\":\"workflow_job.completed\","
    "\"outcome\":\"job_marked_completed\",\"entity_name\":\"a-very-long-"
    "organization-login-of-39c\",\"actor\":\"someone\\nelse\","
    "\"job_id\":29010000001,\"repo_full_name\":\"a-very-long-organization-"
    "login-of-39c/an-even-longer-repository-name\"},"
    "{\"id\":1234569,\"received_at\":\"not a time\",\"source\":\"webhook\","
    "\"event\":\"ping\",\"outcome\":\"ok\",\"entity_name\":null,"
    "\"actor\":\"\\u00e9t\\u00e9\"}"
    "],\"next_cursor\":\"1234569\",\"state\":{\"installed\":true,"
    "\"suspended\":false,\"installation_id\":null,\"app_id\":null,"
    "\"repository_selection\":null,\"repositories\":[\"o/one\",\"o/two\"],"
    "\"entity_name\":\"ops\",\"previous_names\":[\"old\"],"
    "\"as_of\":\"2026-01-03T00:00:00.000000Z\",\"last_auth_failure\":null},"
    "\"diagnosis\":[]}";

static const char crowded_text[] =
    "entity 9007199254740991 ops?[2J: 3 events\n"
    "\n"
    "     ID TIME (UTC)          EVENT                    OUTCOME       ENTIT"
    "Y ACTOR REPO             JOB\n"
    "1234567 2026-01-02 03:04:05 installation_repositori\xe2\x80\xa6 ok      "
    "      a-ver\xe2\x80\xa6 depe\xe2\x80\xa6\n"
    "1234568 2026-01-02 03:04:06 workflow_job.completed   job_marked_c\xe2"
    "\x80\xa6 a-ver\xe2\x80\xa6 some\xe2\x80\xa6 a-very-\xe2\x80\xa6 29010000"
    "001\n"
    "1234569 not a time          ping                     ok            -    "
    "  \xc3\xa9t\xc3\xa9\n"
    "more events follow: use --all, or a larger --limit\n"
    "\n"
    "STATE as of 2026-01-03 00:00:00\n"
    "  installed          yes\n"
    "  suspended          no\n"
    "  installation       -\n"
    "  app                -\n"
    "  selection          -\n"
    "  repos              o/one, o/two\n"
    "  name               ops\n"
    "  previous names     old\n"
    "  last auth failure  none\n"
    "\n"
    "DIAGNOSIS\n"
    "  no problem found\n";

/* Render 'json' with 'flags'; the caller releases *out. */
static void
render(const char *json, unsigned flags, struct buf *out)
{
	cJSON *doc = json_parse(json, strlen(json));

	assert_non_null(doc);
	buf_init(out);
	assert_int_equal(table_render(out, doc, flags), 0);
	cJSON_Delete(doc);
}

/* Fail unless every line of 's' is at most TABLE_WIDTH code points. */
static void
assert_narrow(const char *s)
{
	size_t cols = 0, line = 1;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		if (*p == '\n') {
			cols = 0;
			line++;
			continue;
		}
		if ((*p & 0xc0) != 0x80 && ++cols > TABLE_WIDTH)
			fail_msg("line %zu is wider than %d columns", line,
			    TABLE_WIDTH);
	}
}

static void
table_fit_cuts_and_cleans(void **state)
{
	static const struct {
		const char *in;
		size_t width;
		const char *out;
		int cols;
	} v[] = {
		{ "octocat", 10, "octocat", 7 },
		{ "octocat", 7, "octocat", 7 },
		{ "octocat", 6, "octoc\xe2\x80\xa6", 6 },
		{ "octocat", 1, "\xe2\x80\xa6", 1 },
		{ "octocat", 0, "", 0 },
		{ "", 5, "", 0 },
		{ "a\tb\nc\x7f", 10, "a?b?c?", 6 },
		{ "\x1b[31mred", 20, "?[31mred", 8 },
		{ "\xc2\x9b"
		  "2J",
		    10, "?2J", 3 },
		{ "\xc3\xa9t\xc3\xa9", 3, "\xc3\xa9t\xc3\xa9", 3 },
		{ "\xc3\xa9t\xc3\xa9s", 3, "\xc3\xa9t\xe2\x80\xa6", 3 },
		{ "\xff\xfe", 5, "??", 2 },
		{ "\xe2\x82", 5, "??", 2 },
		{ "\xed\xa0\x80", 5, "???", 3 },
		{ "\xf0\x9f\x90\x99!", 5, "\xf0\x9f\x90\x99!", 2 },
	};
	struct buf b;

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		assert_int_equal(table_fit(&b, v[i].in, v[i].width), v[i].cols);
		assert_int_equal(buf_append(&b, "", 0), 0);
		if (strcmp(b.buf, v[i].out) != 0)
			fail_msg("case %zu: got '%s'", i, b.buf);
	}
	buf_release(&b);
}

static void
table_golden_uninstalled(void **state)
{
	struct buf out;

	(void)state;
	render(uninstalled, 0, &out);
	assert_string_equal(out.buf, uninstalled_text);
	assert_narrow(out.buf);
	assert_null(strchr(out.buf, '\033'));
	buf_release(&out);
}

static void
table_golden_crowded_truncates(void **state)
{
	struct buf out;

	(void)state;
	render(crowded, 0, &out);
	assert_string_equal(out.buf, crowded_text);
	assert_narrow(out.buf);
	buf_release(&out);
}

static void
table_many_long_rows_fit(void **state)
{
	cJSON *doc = cJSON_CreateObject(), *events;
	char name[200];
	struct buf out;

	(void)state;
	assert_non_null(doc);
	events = cJSON_AddArrayToObject(doc, "events");
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (int i = 0; i < 50; i++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddItemToArray(events, e);
		cJSON_AddNumberToObject(e, "id", 4503599627370496.0 + i);
		cJSON_AddStringToObject(e, "received_at",
		    "2026-11-24T10:48:46.450248Z");
		cJSON_AddStringToObject(e, "event", name);
		cJSON_AddStringToObject(e, "outcome", name);
		cJSON_AddStringToObject(e, "entity_name", name);
		cJSON_AddStringToObject(e, "actor", name);
		cJSON_AddStringToObject(e, "repo_full_name", name);
		cJSON_AddNumberToObject(e, "job_id", 4503599627370496.0);
	}
	buf_init(&out);
	assert_int_equal(table_render(&out, doc, 0), 0);
	assert_narrow(out.buf);
	buf_reset(&out);
	assert_int_equal(table_render(&out, doc, TABLE_COLOR), 0);
	buf_release(&out);
	cJSON_Delete(doc);
}

static void
table_colour_only_when_asked(void **state)
{
	struct buf out;

	(void)state;
	render(uninstalled, TABLE_COLOR, &out);
	assert_non_null(strstr(out.buf, "\033[1mID"));
	assert_non_null(strstr(out.buf, "\033[1mSTATE\033[0m"));
	assert_non_null(strstr(out.buf, "\033[31muninstalled\033[0m"));
	assert_non_null(strstr(out.buf, "\033[31mauth_404\033[0m"));
	buf_release(&out);
	render(crowded, TABLE_COLOR, &out);
	assert_non_null(strstr(out.buf, "\033[32mno problem found\033[0m"));
	buf_release(&out);
}

static void
table_refuses_non_lists(void **state)
{
	static const char *const bad[] = { "{}", "[]", "{\"events\":{}}",
		"{\"error\":\"entity not found\"}", "42" };
	struct buf out;

	(void)state;
	buf_init(&out);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *doc = json_parse(bad[i], strlen(bad[i]));

		assert_int_equal(table_render(&out, doc, 0), -1);
		cJSON_Delete(doc);
	}
	assert_int_equal(table_render(&out, NULL, 0), -1);
	buf_release(&out);
}

static void
table_empty_and_mistyped(void **state)
{
	static const char doc[] =
	    "{\"entity_id\":\"x\",\"events\":[1,{\"id\":\"2\",\"event\":7}],"
	    "\"state\":[],\"diagnosis\":[{\"cause\":1,\"evidence\":"
	    "[\"3\",0,1.5,4]}]}";
	struct buf out;

	(void)state;
	render("{\"entity_id\":7,\"entity_name\":null,\"events\":[],"
	       "\"next_cursor\":null}",
	    0, &out);
	assert_string_equal(out.buf, "entity 7: 0 events\n\nno events\n");
	buf_release(&out);
	render(doc, 0, &out);
	assert_string_equal(out.buf,
	    "entity -: 1 event\n"
	    "\n"
	    "ID  TIME (UTC)  EVENT  OUTCOME  ENTITY  ACTOR  REPO  JOB\n"
	    "    -           -      -        -       -\n"
	    "\n"
	    "DIAGNOSIS\n"
	    "  -                  -\n"
	    "                     evidence: 4\n");
	buf_release(&out);
}

static void
table_payload_lines(void **state)
{
	static const char doc[] =
	    "{\"id\":4,\"event\":\"auth_attempt.404\","
	    "\"received_at\":\"2026-11-24T10:48:46.541869Z\",\"payload\":{"
	    "\"installation_id\":957387,\"app_id\":29310,"
	    "\"repository\":{\"full_name\":\"Codertocat/Hello-World\"},"
	    "\"workflow_job\":{\"id\":289782451},\"http_status\":404,"
	    "\"message\":\"Not Found\\r\\n\",\"labels\":[\"self-hosted\",1.5],"
	    "\"empty\":{},\"none\":[],\"ok\":false,\"nil\":null}}";
	cJSON *p = json_parse(doc, strlen(doc));
	struct buf out;

	(void)state;
	buf_init(&out);
	assert_int_equal(table_render_payload(&out, p, 0), 0);
	assert_string_equal(out.buf,
	    "\n"
	    "PAYLOAD of event 4 (auth_attempt.404) at 2026-11-24 10:48:46\n"
	    "  installation_id             957387\n"
	    "  app_id                      29310\n"
	    "  repository.full_name        Codertocat/Hello-World\n"
	    "  workflow_job.id             289782451\n"
	    "  http_status                 404\n"
	    "  message                     Not Found??\n"
	    "  labels[0]                   self-hosted\n"
	    "  labels[1]                   1.5\n"
	    "  empty                       {}\n"
	    "  none                        []\n"
	    "  ok                          false\n"
	    "  nil                         null\n");
	cJSON_Delete(p);
	assert_int_equal(table_render_payload(&out, NULL, 0), -1);
	buf_release(&out);
}

static void
table_payload_is_capped(void **state)
{
	cJSON *doc = cJSON_CreateObject(), *p;
	struct buf out;
	char key[16];

	(void)state;
	p = cJSON_AddObjectToObject(doc, "payload");
	for (int i = 0; i < 250; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		cJSON_AddNumberToObject(p, key, i);
	}
	buf_init(&out);
	assert_int_equal(table_render_payload(&out, doc, 0), 0);
	assert_non_null(strstr(out.buf, "  k199 "));
	assert_null(strstr(out.buf, "  k200 "));
	assert_non_null(strstr(out.buf, "  \xe2\x80\xa6 50 more\n"));
	assert_narrow(out.buf);
	buf_release(&out);
	cJSON_Delete(doc);
}

/*
 * Issue 12, finding 10: every string from the server goes through the
 * same cleaning, as_of in the STATE title included, coloured or not.
 */
static void
table_server_strings_are_cleaned(void **state)
{
	static const char doc[] =
	    "{\"entity_id\":7,\"events\":[],\"state\":{\"installed\":true,"
	    "\"as_of\":\"\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\","
	    "\"entity_name\":\"\\u001b[5mx\",\"repositories\":[\"a\\u0007\"],"
	    "\"last_auth_failure\":{\"event\":\"\\u001b[8m\",\"repo\":"
	    "\"r\\u001b\"}},\"diagnosis\":[{\"cause\":\"\\u001bc\","
	    "\"summary\":\"s\\u001b[0m\",\"evidence\":[1]}]}";
	static const char payload[] =
	    "{\"id\":1,\"event\":\"\\u001b[1m\",\"received_at\":"
	    "\"\\u001b[3J\",\"payload\":{\"k\\u001b\":\"v\\u009b\"}}";
	cJSON *p;
	struct buf out;

	(void)state;
	for (unsigned flags = 0; flags <= TABLE_COLOR; flags += TABLE_COLOR) {
		render(doc, flags, &out);
		assert_non_null(
		    strstr(out.buf, "STATE as of ?]0;pwned??[2J?31m"));
		/* Only our own colour codes may carry ESC. */
		for (const char *e = strchr(out.buf, '\033'); e != NULL;
		     e = strchr(e + 1, '\033'))
			if (strncmp(e, "\033[1m", 4) != 0 &&
			    strncmp(e, "\033[0m", 4) != 0 &&
			    strncmp(e, "\033[31m", 5) != 0 &&
			    strncmp(e, "\033[32m", 5) != 0)
				fail_msg("server escape in: %s", e);
		assert_null(strchr(out.buf, '\a'));
		assert_null(strstr(out.buf, "\xc2\x9b"));
		buf_release(&out);
	}
	p = json_parse(payload, strlen(payload));
	assert_non_null(p);
	buf_init(&out);
	assert_int_equal(table_render_payload(&out, p, 0), 0);
	assert_null(strchr(out.buf, '\033'));
	assert_null(strstr(out.buf, "\xc2\x9b"));
	buf_release(&out);
	cJSON_Delete(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_fit_cuts_and_cleans),
		cmocka_unit_test(table_golden_uninstalled),
		cmocka_unit_test(table_golden_crowded_truncates),
		cmocka_unit_test(table_many_long_rows_fit),
		cmocka_unit_test(table_colour_only_when_asked),
		cmocka_unit_test(table_refuses_non_lists),
		cmocka_unit_test(table_empty_and_mistyped),
		cmocka_unit_test(table_payload_lines),
		cmocka_unit_test(table_payload_is_capped),
		cmocka_unit_test(table_server_strings_are_cleaned),
	};

	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
