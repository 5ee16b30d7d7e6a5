/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/http: query string decoding and error bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/query.h"
#include "net/http.h"

static void
http_query_values(void **state)
{
	static const struct {
		const char *query, *name;
		int rc;
		const char *want;
	} v[] = {
		{ "a=1&b=2", "a", 0, "1" },
		{ "a=1&b=2", "b", 0, "2" },
		{ "a=1&b=2", "c", 1, NULL },
		{ "", "a", 1, NULL },
		{ "eventx=1&event=installation", "event", 0, "installation" },
		{ "event", "event", 0, "" },
		{ "since=2026-11-24T10%3A00%3A00%2B01%3A00", "since", 0,
		    "2026-11-24T10:00:00+01:00" },
		{ "since=2026-11-24T10:00:00+01:00", "since", 0,
		    "2026-11-24T10:00:00 01:00" },
		{ "x=%41%4a%4A", "x", 0, "AJJ" },
		{ "x=%4", "x", -1, NULL },
		{ "x=%zz", "x", -1, NULL },
		{ "x=%00", "x", -1, NULL },
		{ "x=%", "x", -1, NULL },
		/* Longer than the output buffer. */
		{ "x=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		    "x", -1, NULL },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = query_get(v[i].query, v[i].name, out, sizeof(out));

		assert_int_equal(rc, v[i].rc);
		if (rc == 0)
			assert_string_equal(out, v[i].want);
	}
}

static void
http_error_body_is_json(void **state)
{
	struct http_response resp;

	(void)state;
	http_response_init(&resp);
	assert_int_equal(resp.status, 200);
	http_error(&resp, 404, "event \"7\" not found");
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.body.buf,
	    "{\"error\":\"event \\\"7\\\" not found\"}\n");
	http_response_release(&resp);
	http_response_release(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(http_query_values),
		cmocka_unit_test(http_error_body_is_json),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
