/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of db_array_add() and db_int64_array() (lib/db/db.c): the one
 * writer of PostgreSQL array literals, which needs no server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/str.h"
#include "db/db_priv.h"

/* Every element quoted, '"' and '\' escaped, NULL bare. */
static void
db_array_quotes_and_escapes(void **state)
{
	static const char *const v[] = { "plain", "a\"b", "c\\d", "\\\"", "x,y",
		"{z}", " sp ace ", "", NULL, "NULL", "é→", "}" };
	struct buf b;

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(db_array_add(&b, v[i]), 0);
	assert_string_equal(b.buf,
	    "{\"plain\",\"a\\\"b\",\"c\\\\d\",\"\\\\\\\"\",\"x,y\","
	    "\"{z}\",\" sp ace \",\"\",NULL,\"NULL\",\"é→\",\"}\"}");
	assert_int_equal(b.len, strlen(b.buf));
	buf_release(&b);
}

/* The buffer is a whole literal after each call; "{}" or nothing to start. */
static void
db_array_whole_after_each_call(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(buf_puts(&b, "{}"), 0);
	assert_int_equal(db_array_add(&b, NULL), 0);
	assert_string_equal(b.buf, "{NULL}");
	assert_int_equal(db_array_add(&b, ""), 0);
	assert_string_equal(b.buf, "{NULL,\"\"}");
	buf_reset(&b);
	assert_int_equal(db_array_add(&b, "{"), 0);
	assert_string_equal(b.buf, "{\"{\"}");
	assert_int_equal(db_array_add(&b, NULL), 0);
	assert_string_equal(b.buf, "{\"{\",NULL}");
	buf_release(&b);
}

/* Integers go through the same writer; none is "{}". */
static void
db_array_of_integers(void **state)
{
	static const int64_t v[] = { 1, -2, INT64_MAX, INT64_MIN };
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(db_int64_array(&b, v, 0), 0);
	assert_string_equal(b.buf, "{}");
	buf_release(&b);
	assert_int_equal(db_int64_array(&b, v, 4), 0);
	assert_string_equal(b.buf,
	    "{\"1\",\"-2\",\"9223372036854775807\","
	    "\"-9223372036854775808\"}");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(db_array_quotes_and_escapes),
		cmocka_unit_test(db_array_whole_after_each_call),
		cmocka_unit_test(db_array_of_integers),
	};

	return cmocka_run_group_tests_name("db_array", tests, NULL, NULL);
}
