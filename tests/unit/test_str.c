/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/str and lib/json: buffers, integers, hex, getters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/str.h"

static void
str_parse_int64(void **state)
{
	static const struct {
		const char *s;
		int64_t min, max;
		int rc;
		int64_t want;
	} v[] = {
		{ "0", 0, 10, 0, 0 },
		{ "10", 0, 10, 0, 10 },
		{ "11", 0, 10, -1, 0 },
		{ "9223372036854775807", 1, INT64_MAX, 0, INT64_MAX },
		{ "9223372036854775808", 1, INT64_MAX, -1, 0 },
		{ "-1", 1, INT64_MAX, -1, 0 },
		{ "-1", -5, 5, 0, -1 },
		{ "", 0, 10, -1, 0 },
		{ " 1", 0, 10, -1, 0 },
		{ "+1", 0, 10, -1, 0 },
		{ "1 ", 0, 10, -1, 0 },
		{ "1x", 0, 10, -1, 0 },
		{ "0x10", 0, 100, -1, 0 },
		{ "' OR 1=1 --", 1, INT64_MAX, -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int64_t out = 12345;

		assert_int_equal(parse_int64(v[i].s, v[i].min, v[i].max, &out),
		    v[i].rc);
		assert_int_equal(out, v[i].rc == 0 ? v[i].want : 12345);
	}
	assert_int_equal(parse_int64(NULL, 0, 1, &(int64_t){ 0 }), -1);
}

static void
str_hex(void **state)
{
	unsigned char out[2];
	char enc[5];

	(void)state;
	assert_int_equal(hex_decode("0aFf", out, 2), 0);
	assert_int_equal(out[0], 0x0a);
	assert_int_equal(out[1], 0xff);
	hex_encode(out, 2, enc);
	assert_string_equal(enc, "0aff");
	assert_int_equal(hex_decode("0aF", out, 2), -1);
	assert_int_equal(hex_decode("0aFff", out, 2), -1);
	assert_int_equal(hex_decode("0g00", out, 2), -1);
}

static void
str_buf_and_json_string(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(b.buf, "42-x");
	buf_reset(&b);
	assert_int_equal(json_quote(&b, "a\"b\\c\n\x01"), 0);
	assert_string_equal(b.buf, "\"a\\\"b\\\\c\\n\\u0001\"");
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(b.len, 100000 + strlen("\"a\\\"b\\\\c\\n\\u0001\""));
	buf_release(&b);
	buf_release(&b);
	buf_release(NULL);
}

/*
 * The contract of str.h: NULL until the first append (zero bytes count),
 * then NUL-terminated, also after a reset and after a failed append.
 */
static void
str_buf_null_until_first_append(void **state)
{
	/* No multibyte form in the C locale: vsnprintf fails (EILSEQ). */
	static const wchar_t bad[] = { 0x20ac, 0 };
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_null(b.buf);
	assert_int_equal(b.len, 0);
	buf_reset(&b);
	assert_null(b.buf);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_non_null(b.buf);
	assert_string_equal(b.buf, "");
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_printf(&b, "x%ls", bad), -1);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.buf, "abc");
	buf_reset(&b);
	assert_non_null(b.buf);
	assert_string_equal(b.buf, "");
	buf_release(&b);
	assert_null(b.buf);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_string_equal(b.buf, "");
	buf_release(&b);
}

/* ASCII case only, whatever the locale; bytes past ASCII as they are. */
static void
str_ascii_casecmp(void **state)
{
	(void)state;
	assert_int_equal(ascii_casecmp("Octo-Cat", "octo-cAT"), 0);
	assert_true(ascii_casecmp("a", "B") < 0);
	assert_true(ascii_casecmp("b", "A") > 0);
	assert_true(ascii_casecmp("ab", "a") > 0);
	assert_true(ascii_casecmp("", "a") < 0);
	assert_true(ascii_casecmp("\xc3\x89", "\xc3\xa9") != 0);
	assert_true(ascii_casecmp("[", "{") != 0);
	assert_int_equal(ascii_ncasecmp("Old/x", "oLD", 3), 0);
	assert_true(ascii_ncasecmp("Old/x", "oLd", 4) > 0);
	assert_int_equal(ascii_ncasecmp("a", "b", 0), 0);
}

static void
str_buf_int64_and_printf_growth(void **state)
{
	static const struct {
		int64_t v;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ 7, "7" },
		{ -7, "-7" },
		{ 1234567890123, "1234567890123" },
		{ INT64_MAX, "9223372036854775807" },
		{ INT64_MIN, "-9223372036854775808" },
	};
	struct buf b;
	char big[600];

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		assert_int_equal(buf_put_int64(&b, cases[i].v), 0);
		assert_string_equal(b.buf, cases[i].want);
		assert_int_equal(b.len, strlen(cases[i].want));
	}
	/* Formatting that fits the free space, then that has to grow it. */
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%s", "ab"), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(&b, "%s-%d", big, 5), 0);
	assert_int_equal(b.len, 2 + strlen(big) + 2);
	assert_memory_equal(b.buf, "abxxx", 5);
	assert_string_equal(b.buf + b.len - 3, "x-5");
	buf_release(&b);
}

static void
str_json_string_runs(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(json_quote(&b, ""), 0);
	assert_string_equal(b.buf, "\"\"");
	buf_reset(&b);
	assert_int_equal(json_quote(&b, "plain text \xc3\xa9"), 0);
	assert_string_equal(b.buf, "\"plain text \xc3\xa9\"");
	buf_reset(&b);
	assert_int_equal(json_quote(&b, "\"lead\ttab\rtrail\x1f"), 0);
	assert_string_equal(b.buf, "\"\\\"lead\\ttab\\rtrail\\u001f\"");
	buf_release(&b);
}

static void
json_getters(void **state)
{
	const char *text = "{\"a\":{\"b\":{\"id\":12,\"s\":\"x\",\"f\":1.5,"
	                   "\"n\":null,\"big\":1e30,\"str\":\"12\"}}}";
	cJSON *root = json_parse(text, strlen(text));
	int64_t v = 0;

	(void)state;
	assert_non_null(root);
	assert_int_equal(json_int64(root, "a.b.id", 1, 100, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(json_int64(root, "a.b.id", 13, 100, &v), -1);
	assert_int_equal(json_int64(root, "a.b.f", 0, 100, &v), -1);
	assert_int_equal(json_int64(root, "a.b.n", 0, 100, &v), 1);
	assert_int_equal(json_int64(root, "a.b.missing", 0, 100, &v), 1);
	assert_int_equal(json_int64(root, "a.b.big", 0, INT64_MAX, &v), -1);
	assert_int_equal(json_int64(root, "a.b.str", 0, 100, &v), -1);
	assert_string_equal(json_string(root, "a.b.s"), "x");
	assert_null(json_string(root, "a.b.id"));
	assert_null(json_string(root, "a.b.s.deeper"));
	assert_non_null(json_object(root, "a.b"));
	assert_null(json_object(root, "a.b.s"));
	cJSON_Delete(root);
	assert_null(json_parse("{} x", 4));
	assert_null(json_parse("", 0));
	root = json_parse("{}\n", 3);
	assert_non_null(root);
	cJSON_Delete(root);
}

static void
str_utf8(void **state)
{
	static const struct {
		const char *in, *out;
		size_t len;
	} v[] = {
		{ "", "", 0 },
		{ "plain", "plain", 5 },
		{ "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9", 5 },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 4 },
		{ "\xef\xbf\xbd", "\xef\xbf\xbd", 3 },
		/* Stray continuation, bad lead bytes, truncated sequences. */
		{ "a\x80"
		  "b",
		    "a\xef\xbf\xbd"
		    "b",
		    3 },
		{ "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd", 2 },
		{ "\xc3", "\xef\xbf\xbd", 1 },
		{ "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd", 2 },
		/* Overlong '/', an encoded surrogate, past U+10FFFF. */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd", 2 },
		{ "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 3 },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 3 },
		{ "\xf4\x90\x80\x80",
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 4 },
		/* A NUL is ill-formed for text too. */
		{ "a\0b",
		    "a\xef\xbf\xbd"
		    "b",
		    3 },
	};
	char *dup;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b;

		buf_init(&b);
		assert_int_equal(is_utf8(v[i].in, v[i].len),
		    strcmp(v[i].in, v[i].out) == 0 &&
		        v[i].len == strlen(v[i].in));
		assert_int_equal(buf_append_utf8(&b, v[i].in, v[i].len), 0);
		if (b.len != strlen(v[i].out))
			fail_msg("case %zu: %zu bytes", i, b.len);
		if (b.len > 0)
			assert_memory_equal(b.buf, v[i].out, b.len);
		buf_release(&b);
	}
	dup = utf8_dup("x\xffy");
	assert_string_equal(dup, "x\xef\xbf\xbdy");
	free(dup);
	dup = utf8_dup("");
	assert_string_equal(dup, "");
	free(dup);
}

static void
json_lenient_surrogates(void **state)
{
	static const struct {
		const char *in, *want;
		bool ok, repaired;
	} v[] = {
		{ "{\"s\":\"a\\ud800b\"}",
		    "a\xef\xbf\xbd"
		    "b",
		    true, true },
		{ "{\"s\":\"\\udc00\"}", "\xef\xbf\xbd", true, true },
		{ "{\"s\":\"\\uD83D\\uDE00\"}", "\xf0\x9f\x98\x80", true,
		    false },
		{ "{\"s\":\"\\ud83d\"}", "\xef\xbf\xbd", true, true },
		/* Escapes in member names, and at the very end of the text. */
		{ "{\"\\ud800\":1,\"s\":\"x\"}", "x", true, true },
		{ "{\"s\":\"\\ud800", NULL, false, false },
		{ "{\"s\":\"\\ud8", NULL, false, false },
		/* Still not JSON once repaired. */
		{ "{\"s\":\"\\ud800\",}", NULL, false, false },

		{ "\\ud800", NULL, false, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool repaired = true;
		cJSON *root =
		    json_parse_lenient(v[i].in, strlen(v[i].in), &repaired);

		assert_int_equal(root != NULL, v[i].ok);
		assert_int_equal(repaired, v[i].repaired);
		if (root != NULL)
			assert_string_equal(json_string(root, "s"), v[i].want);
		cJSON_Delete(root);
	}
}

static void
json_nesting_and_duplicates(void **state)
{
	const char *dup = "{\"a\":{\"id\":1},\"a\":{\"id\":2}}", *text;
	struct buf b;
	cJSON *root;
	int64_t v = 0;

	(void)state;
	root = json_parse(dup, strlen(dup));
	assert_non_null(root);
	assert_int_equal(json_int64(root, "a.id", 1, 10, &v), 0);
	assert_int_equal(v, 2);
	cJSON_Delete(root);
	/* Closing brackets first do not buy extra depth. */
	buf_init(&b);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf_puts(&b, "]"), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf_puts(&b, "["), 0);
	assert_null(json_parse(b.buf, b.len));
	buf_reset(&b);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		assert_int_equal(buf_puts(&b, "["), 0);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		assert_int_equal(buf_puts(&b, "]"), 0);
	root = json_parse(b.buf, b.len);
	assert_non_null(root);
	cJSON_Delete(root);
	buf_reset(&b);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		assert_int_equal(buf_puts(&b, "["), 0);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		assert_int_equal(buf_puts(&b, "]"), 0);
	assert_null(json_parse(b.buf, b.len));
	buf_release(&b);
	/* 2^53 - 1 is exact; 2^53 may be a rounded 2^53 + 1. */
	text = "{\"a\":9007199254740991,\"b\":9007199254740993}";
	root = json_parse(text, strlen(text));
	assert_non_null(root);
	assert_int_equal(json_int64(root, "a", 1, INT64_MAX, &v), 0);
	assert_int_equal(json_int64(root, "b", 1, INT64_MAX, &v), -1);
	cJSON_Delete(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(str_parse_int64),
		cmocka_unit_test(str_hex),
		cmocka_unit_test(str_buf_and_json_string),
		cmocka_unit_test(str_buf_null_until_first_append),
		cmocka_unit_test(str_ascii_casecmp),
		cmocka_unit_test(str_buf_int64_and_printf_growth),
		cmocka_unit_test(str_json_string_runs),
		cmocka_unit_test(json_getters),
		cmocka_unit_test(str_utf8),
		cmocka_unit_test(json_lenient_surrogates),
		cmocka_unit_test(json_nesting_and_duplicates),
	};

	return cmocka_run_group_tests_name("str", tests, NULL, NULL);
}
