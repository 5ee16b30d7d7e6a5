/* SPDX-License-Identifier: MIT */
/* Unit tests of the filters of GET /operations (lib/run/route_ops.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "db/db_ops.h"
#include "run/route.h"

/* 2026-12-06T12:00:00Z */
#define NOW ((time_t)1796558400)

static int
parse(const char *q, struct db_ops_filter *f, char *err)
{
	err[0] = '\0';
	return route_ops_filter_parse(q, NOW, f, err, 128);
}

/* No query: every filter off, the default page size. */
static void
filter_defaults(void **state)
{
	struct db_ops_filter f;
	char err[128];

	(void)state;
	assert_int_equal(parse("", &f, err), 0);
	assert_string_equal(f.status, "");
	assert_string_equal(f.type, "");
	assert_string_equal(f.since, "");
	assert_string_equal(f.until, "");
	assert_int_equal(f.installation_id, 0);
	assert_int_equal(f.entity_id, 0);
	assert_int_equal(f.cursor, 0);
	assert_int_equal(f.limit, DB_OPS_LIMIT_DEFAULT);
}

/* Every filter at once, times absolute and relative to 'now'. */
static void
filter_all(void **state)
{
	struct db_ops_filter f;
	char err[128];

	(void)state;
	assert_int_equal(parse("status=failed&type=auth_check&since=2h&"
	                       "until=2026-12-06T11:30:00Z&installation_id=42&"
	                       "entity_id=7&cursor=99&limit=5",
	                     &f, err),
	    0);
	assert_string_equal(f.status, "failed");
	assert_string_equal(f.type, "auth_check");
	assert_string_equal(f.since, "2026-12-06T10:00:00.000000Z");
	assert_string_equal(f.until, "2026-12-06T11:30:00.000000Z");
	assert_int_equal(f.installation_id, 42);
	assert_int_equal(f.entity_id, 7);
	assert_int_equal(f.cursor, 99);
	assert_int_equal(f.limit, 5);
	assert_int_equal(parse("since=2026-12-01%2010%3A00%3A00Z", &f, err), 0);
	assert_string_equal(f.since, "2026-12-01T10:00:00.000000Z");
}

/* Each bad value is refused with a message naming its parameter. */
static void
filter_errors_name_the_parameter(void **state)
{
	static const struct {
		const char *query, *name;
	} bad[] = {
		{ "status=done", "status:" },
		{ "status=", "status:" },
		{ "type=Auth", "type:" },
		{ "type=a-b", "type:" },
		{ "type=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "type:" },
		{ "since=yesterday", "since:" },
		{ "until=2026-13-01T00:00:00Z", "until:" },
		{ "installation_id=0", "installation_id:" },
		{ "entity_id=-3", "entity_id:" },
		{ "cursor=1x", "cursor:" },
		{ "cursor=99999999999999999999", "cursor:" },
		{ "limit=0", "limit:" },
		{ "limit=100000", "limit:" },
		{ "status=%zz", "status:" },
	};
	struct db_ops_filter f;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].query, &f, err), -1);
		assert_non_null(strstr(err, bad[i].name));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(filter_defaults),
		cmocka_unit_test(filter_all),
		cmocka_unit_test(filter_errors_name_the_parameter),
	};

	return cmocka_run_group_tests_name("route_ops", tests, NULL, NULL);
}
