/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/utc: RFC 3339 and relative times, the formatter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/utc.h"

/* 2026-11-24T10:00:00Z */
#define NOW ((time_t)1795514400)

/* The trace routes' parameters: lenient, relative, kept with micros. */
static void
utc_lenient_and_relative(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "2026-11-24T10:00:00Z", "2026-11-24T10:00:00.000000Z" },
		{ "2026-11-24t10:00:00.5z", "2026-11-24T10:00:00.500000Z" },
		{ "2026-11-24T10:00:00.1234567Z",
		    "2026-11-24T10:00:00.123456Z" },
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
	struct utc_time t;
	char out[40];

	(void)state;
	assert_int_equal(NOW % 86400, 36000);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(utc_parse(v[i].in, UTC_LENIENT | UTC_AGO, NOW,
		                     &t),
		    0);
		assert_int_equal(utc_format(t.secs, t.usec, UTC_MICROS, out,
		                     sizeof(out)),
		    0);
		assert_string_equal(out, v[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(utc_parse(bad[i], UTC_LENIENT | UTC_AGO, NOW,
		                     &t),
		    -1);
	/* Without the flags, neither a date alone nor "1h" is a time. */
	assert_int_equal(utc_parse("2026-11-24", 0, NOW, &t), -1);
	assert_int_equal(utc_parse("1h", UTC_LENIENT, NOW, &t), -1);
	assert_int_equal(utc_parse("2026-11-24 10:00:00Z", UTC_AGO, NOW, &t),
	    -1);
}

/* GitHub's delivered_at: strict RFC 3339. */
static void
utc_strict_known_answers(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t t;
	} v[] = {
		{ "1970-01-01T00:00:00Z", 0, 0 },
		{ "2019-06-03T00:57:16Z", 0, 1559523436 },
		{ "2019-06-03t00:57:16z", 0, 1559523436 },
		{ "2019-06-03T00:57:16.123456Z", 0, 1559523436 },
		{ "2019-06-03T02:57:16+02:00", 0, 1559523436 },
		{ "2019-06-02T20:27:16-04:30", 0, 1559523436 },
		{ "2024-02-29T23:59:59Z", 0, 1709251199 },
		{ "1969-12-31T23:00:00Z", 0, -3600 },
		{ "2100-03-01T00:00:00Z", 0, 4107542400 },
		{ "2023-02-29T00:00:00Z", -1, 0 },
		{ "2100-02-29T00:00:00Z", -1, 0 },
		{ "2019-06-31T00:00:00Z", -1, 0 },
		{ "2019-13-01T00:00:00Z", -1, 0 },
		{ "2019-06-03T24:00:00Z", -1, 0 },
		{ "2019-06-03T00:57:16", -1, 0 },
		{ "2019-06-03 00:57:16Z", -1, 0 },
		{ "2019-06-03T00:57:16.Z", -1, 0 },
		{ "2019-06-03T00:57:16Zjunk", -1, 0 },
		{ "2019-06-03T00:57:16+0200", -1, 0 },
		{ "2019-06-03", -1, 0 },
		{ "", -1, 0 },
	};
	struct utc_time t;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t.secs = 42;
		if (utc_parse(v[i].s, 0, 0, &t) != v[i].rc)
			fail_msg("'%s': expected %d", v[i].s, v[i].rc);
		if (v[i].rc == 0 && t.secs != v[i].t)
			fail_msg("'%s': %lld, expected %lld", v[i].s,
			    (long long)t.secs, (long long)v[i].t);
	}
}

static void
utc_format_range_and_size(void **state)
{
	char out[UTC_SIZE];

	(void)state;
	assert_int_equal(utc_format(1559523436, 0, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "2019-06-03T00:57:16Z");
	assert_int_equal(utc_format(-1, 999999, UTC_MICROS, out, sizeof(out)),
	    0);
	assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
	assert_int_equal(utc_format(UTC_MIN, 0, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "0001-01-01T00:00:00Z");
	assert_int_equal(utc_format(UTC_END - 1, 0, UTC_MICROS, out,
	                     sizeof(out)),
	    0);
	assert_string_equal(out, "9999-12-31T23:59:59.000000Z");
	assert_int_equal(strlen(out) + 1, UTC_SIZE);
	assert_int_equal(utc_format(UTC_MIN - 1, 0, 0, out, sizeof(out)), -1);
	assert_int_equal(utc_format(UTC_END, 0, 0, out, sizeof(out)), -1);
	assert_int_equal(utc_format(0, 1000000, UTC_MICROS, out, sizeof(out)),
	    -1);
	assert_int_equal(utc_format(0, 0, 0, out, 20), -1);
	assert_int_equal(utc_format(0, 0, 0, out, 21), 0);
	assert_int_equal(utc_format(0, 0, UTC_MICROS, out, 27), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utc_lenient_and_relative),
		cmocka_unit_test(utc_strict_known_answers),
		cmocka_unit_test(utc_format_range_and_size),
	};

	return cmocka_run_group_tests_name("utc", tests, NULL, NULL);
}
