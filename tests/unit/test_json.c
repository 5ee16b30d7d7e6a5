/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/core/json: the writer (commas, escapes, errors) and
 * json_jsonb_takes().
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/json.h"
#include "fixture.h"

static void
json_writer_places_commas(void **state)
{
	struct json_writer w;
	struct buf b;

	(void)state;
	buf_init(&b);
	json_writer_init(&w, &b);
	json_open_object(&w);
	json_member_int(&w, "a", 1);
	json_put_key(&w, "b");
	json_open_array(&w);
	json_put_int(&w, INT64_MIN);
	json_put_int(&w, INT64_MAX);
	json_open_object(&w);
	json_close_object(&w);
	json_open_array(&w);
	json_close_array(&w);
	json_put_bool(&w, true);
	json_put_bool(&w, false);
	json_put_null(&w);
	json_put_string(&w, NULL);
	json_put_raw(&w, "{\"x\":[1]}", 9);
	json_close_array(&w);
	json_member_string(&w, "c", "d");
	json_close_object(&w);
	assert_int_equal(json_writer_finish(&w), 0);
	assert_string_equal(b.buf,
	    "{\"a\":1,\"b\":[-9223372036854775808,"
	    "9223372036854775807,{},[],true,false,null,"
	    "null,{\"x\":[1]}],\"c\":\"d\"}");
	/* A second document after the first, in the same buffer. */
	json_writer_init(&w, &b);
	json_open_array(&w);
	json_close_array(&w);
	assert_int_equal(json_writer_finish(&w), 0);
	assert_string_equal(b.buf + b.len - 3, "}[]");
	buf_release(&b);
}

static void
json_writer_escapes_strings(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "\n\r\t\b\f\x01\x1f", "\"\\n\\r\\t\\b\\f\\u0001\\u001f\"" },
		{ "\x7f", "\"\x7f\"" },
		/* Well-formed UTF-8 stays as it is. */
		{ "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80",
		    "\"\xc3\xa9t\xc3\xa9 "
		    "\xf0\x9f\x98\x80\"" },
		/* Stray, truncated, overlong, surrogate: U+FFFD each byte. */
		{ "a\x80z", "\"a\xef\xbf\xbdz\"" },
		{ "\xc3", "\"\xef\xbf\xbd\"" },
		{ "\xe2\x82", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xed\xa0\x80\"",
		    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\\\"\"" },
	};
	struct json_writer w;
	struct buf b;
	cJSON *back;

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		json_writer_init(&w, &b);
		json_put_string(&w, v[i].in);
		assert_int_equal(json_writer_finish(&w), 0);
		assert_string_equal(b.buf, v[i].out);
		/* Always a JSON text a strict parser reads back. */
		back = json_parse(b.buf, b.len);
		assert_non_null(back);
		assert_true(cJSON_IsString(back));
		cJSON_Delete(back);
	}
	/* Keys are escaped the same way. */
	buf_reset(&b);
	json_writer_init(&w, &b);
	json_open_object(&w);
	json_member_int(&w, "k\"\n", 0);
	json_close_object(&w);
	assert_int_equal(json_writer_finish(&w), 0);
	assert_string_equal(b.buf, "{\"k\\\"\\n\":0}");
	buf_release(&b);
}

/*
 * Control bytes: the short escapes ("\b" and "\f" too, as PostgreSQL's
 * escape_json() writes them, so that answers it once wrote stay the same),
 * else \u00XX; in keys and values.
 */
static void
json_writer_control_escapes(void **state)
{
	struct json_writer w;
	struct buf b;

	(void)state;
	buf_init(&b);
	json_writer_init(&w, &b);
	json_open_object(&w);
	json_member_string(&w, "k\b",
	    "\b\f\n\r\t\x01\x1f\x7f\"\\/\xc3\xa9\xe2\x80\xa8");
	json_close_object(&w);
	assert_int_equal(json_writer_finish(&w), 0);
	assert_string_equal(b.buf,
	    "{\"k\\b\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\\"\\\\/"
	    "\xc3\xa9\xe2\x80\xa8\"}");
	buf_release(&b);
}

/* Run 'steps' on a fresh writer; return json_writer_finish(). */
static int
misuse(int steps)
{
	struct json_writer w;
	struct buf b;
	int rc;

	buf_init(&b);
	json_writer_init(&w, &b);
	switch (steps) {
	case 0: /* a value in an object without its key */
		json_open_object(&w);
		json_put_int(&w, 1);
		json_close_object(&w);
		break;
	case 1: /* a key in an array */
		json_open_array(&w);
		json_put_key(&w, "k");
		json_close_array(&w);
		break;
	case 2: /* a key at the top */
		json_put_key(&w, "k");
		break;
	case 3: /* a key and no value */
		json_open_object(&w);
		json_put_key(&w, "k");
		json_close_object(&w);
		break;
	case 4: /* closed by the wrong bracket */
		json_open_object(&w);
		json_close_array(&w);
		break;
	case 5: /* left open */
		json_open_array(&w);
		break;
	case 6: /* closed once too often */
		json_open_array(&w);
		json_close_array(&w);
		json_close_array(&w);
		break;
	case 7: /* too deep */
		for (int i = 0; i <= JSON_WRITER_DEPTH; i++)
			json_open_array(&w);
		for (int i = 0; i <= JSON_WRITER_DEPTH; i++)
			json_close_array(&w);
		break;
	case 8: /* a key followed by another key */
		json_open_object(&w);
		json_put_key(&w, "a");
		json_put_key(&w, "b");
		json_put_int(&w, 1);
		json_close_object(&w);
		break;
	default: /* as deep as allowed: fine */
		for (int i = 0; i < JSON_WRITER_DEPTH; i++)
			json_open_array(&w);
		for (int i = 0; i < JSON_WRITER_DEPTH; i++)
			json_close_array(&w);
		break;
	}
	rc = json_writer_finish(&w);
	buf_release(&b);
	return rc;
}

static void
json_writer_refuses_misuse(void **state)
{
	(void)state;
	for (int i = 0; i <= 8; i++)
		assert_int_equal(misuse(i), -1);
	assert_int_equal(misuse(9), 0);
}

static void
json_writer_writes_trees(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "{\"a\":[1,-2,3.5,1e300,9007199254740993,true,null,\"x\"],"
		  "\"b\":{}}",
		    "{\"a\":[1,-2,3.5,1.0000000000000001e+300,9007199254740992,"
		    "true,null,\"x\"],\"b\":{}}" },
		{ "[]", "[]" },
		{ "\"\\u0001\\u00e9\"", "\"\\u0001\xc3\xa9\"" },
		{ "[[{\"k\":{\"l\":[0]}}]]", "[[{\"k\":{\"l\":[0]}}]]" },
	};
	struct json_writer w;
	struct buf b;
	cJSON *tree;

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		tree = json_parse(v[i].in, strlen(v[i].in));
		assert_non_null(tree);
		buf_reset(&b);
		json_writer_init(&w, &b);
		json_put_tree(&w, tree);
		assert_int_equal(json_writer_finish(&w), 0);
		assert_string_equal(b.buf, v[i].out);
		cJSON_Delete(tree);
	}
	buf_release(&b);
}

/* Every payload GitHub publishes is kept as its exact text. */
static void
jsonb_takes_github_payloads(void **state)
{
	const char *dir = getenv("INSTLOG_FIXTURES");
	struct dirent *de;
	int seen = 0;
	DIR *d;

	(void)state;
	if (dir == NULL || *dir == '\0')
		dir = "../shared/fixtures/github";
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name), len;
		char name[256];
		char *body;

		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		(void)snprintf(name, sizeof(name), "%.*s", (int)(n - 5),
		    de->d_name);
		body = read_fixture(name, &len);
		if (!json_jsonb_takes(body, len))
			fail_msg("%s is not kept as its text", name);
		free(body);
		seen++;
	}
	(void)closedir(d);
	assert_true(seen >= 10);
}

/* What jsonb may refuse where json takes it, and what it never refuses. */
static void
jsonb_takes_what_jsonb_reads_back(void **state)
{
	static const struct {
		const char *in;
		bool takes;
	} v[] = {
		{ "{\"a\": \"\\u003cb\\u003e \\u0026 \\\" \\\\ \\/ \\n\"}",
		    true },
		{ "{\"sha\": \"1e5a9e0\", \"n\": -12.50, \"t\": true}", true },
		{ "[1, 2, {\"e\": 3}, \"x\\\\u0000\"]", true },
		{ "{\"caf\xc3\xa9\": \"\xe2\x9c\x93\"}", true },
		{ "{\"a\": \"\\u0000\"}", false },
		{ "{\"a\": \"\\u00e9\"}", false },
		{ "{\"a\": \"\\ud83d\\ude00\"}", false },
		{ "{\"a\": \"\\uD800\"}", false },
		{ "{\"a\": 1e1000000}", false },
		{ "{\"a\": 1E-2}", false },
		{ "{\"a\": \"\\u12\"}", false },
	};
	char big[400];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (json_jsonb_takes(v[i].in, strlen(v[i].in)) != v[i].takes)
			fail_msg("case %zu: %s", i, v[i].in);
	/* A number of 300 characters is kept, one of 301 is not. */
	memset(big, '7', sizeof(big));
	big[0] = '[';
	big[301] = ']';
	assert_true(json_jsonb_takes(big, 302));
	big[301] = '7';
	big[302] = ']';
	assert_false(json_jsonb_takes(big, 303));
}

/* cJSON's printed text of 'len' bytes of 'body' parsed; the caller frees. */
static char *
printed(const char *body, size_t len)
{
	cJSON *tree = json_parse(body, len);
	char *text, *copy;

	assert_non_null(tree);
	assert_non_null(text = cJSON_PrintUnformatted(tree));
	assert_non_null(copy = strdup(text));
	cJSON_free(text);
	cJSON_Delete(tree);
	return copy;
}

/*
 * Trees parsed in an arena are the trees parsed without one, the first
 * and the next ones (the block grown after the first), and their nodes
 * sit next to each other in the thread's block, not malloc()'s chunks.
 */
static void
json_arena_trees_are_the_same(void **state)
{
	size_t len, big_len;
	char *body = read_fixture("workflow_job.queued", &len);
	char *big = read_fixture("check_run.created", &big_len);
	char *want = printed(body, len), *want_big = printed(big, big_len);
	char *want_huge;
	struct buf huge;
	cJSON *outside;

	(void)state;
	buf_init(&huge);
	assert_int_equal(buf_puts(&huge, "[{\"n\":0}"), 0);
	for (int i = 1; i < 20000; i++)
		assert_int_equal(buf_printf(&huge, ",{\"n\":%d}", i), 0);
	assert_int_equal(buf_puts(&huge, "]"), 0);
	want_huge = printed(huge.buf, huge.len);
	/* A tree from before the arena is freed by free() inside it. */
	assert_non_null(outside = json_parse(body, len));
	for (int round = 0; round < 3; round++) {
		char *got;
		cJSON *tree;

		json_arena_begin();
		got = printed(body, len);
		tree = json_parse(body, len);

		assert_string_equal(got, want);
		/* The first tree sized the block: the next ones are in it. */
		if (round == 0)
			assert_int_equal(json_arena_used(), 0);
		else
			assert_true(json_arena_used() > len);
		assert_string_equal(json_string(tree,
		                        "workflow_job.head_branch"),
		    "main");
		cJSON_Delete(tree);
		free(got);
		got = printed(big, big_len);
		assert_string_equal(got, want_big);
		free(got);
		/* Past what a block keeps (1 MiB): the rest from malloc(). */
		got = printed(huge.buf, huge.len);
		assert_string_equal(got, want_huge);
		if (round == 0)
			cJSON_Delete(outside);
		json_arena_end();
		assert_int_equal(json_arena_used(), 0);
		free(got);
	}
	free(want);
	free(want_big);
	free(want_huge);
	buf_release(&huge);
	free(body);
	free(big);
}

struct arena_run {
	const char *name;
	int mismatches;
};

static void *
arena_thread(void *arg)
{
	struct arena_run *r = arg;
	size_t len;
	char *body = read_fixture(r->name, &len);
	char *want = printed(body, len);

	for (int i = 0; i < 200; i++) {
		char *got;

		json_arena_begin();
		got = printed(body, len);
		r->mismatches += strcmp(got, want) != 0;
		json_arena_end();
		free(got);
	}
	free(want);
	free(body);
	return NULL;
}

/* Threads parsing at once each use their own block. */
static void
json_arena_per_thread(void **state)
{
	struct arena_run runs[3] = { { "installation.suspend", 0 },
		{ "workflow_job.queued", 0 }, { "check_run.created", 0 } };
	pthread_t t[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, arena_thread,
		                     &runs[i]),
		    0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(runs[i].mismatches, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_writer_places_commas),
		cmocka_unit_test(json_writer_escapes_strings),
		cmocka_unit_test(json_writer_control_escapes),
		cmocka_unit_test(json_writer_refuses_misuse),
		cmocka_unit_test(json_writer_writes_trees),
		cmocka_unit_test(jsonb_takes_github_payloads),
		cmocka_unit_test(jsonb_takes_what_jsonb_reads_back),
		cmocka_unit_test(json_arena_trees_are_the_same),
		cmocka_unit_test(json_arena_per_thread),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
