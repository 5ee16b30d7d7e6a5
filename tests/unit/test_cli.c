/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/cli: arguments, logins, URL checks, encoding, URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "core/str.h"

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Parse 'argv' (argv[0] included, 'argc' of them); returns cli_parse(). */
static int
parse(int argc, const char *const *argv, struct cli_options *o, char *err,
    size_t errlen)
{
	char *copy[32];

	assert_true(argc <= 32);
	for (int i = 0; i < argc; i++)
		copy[i] = (char *)(uintptr_t)argv[i];
	err[0] = '\0';
	return cli_parse(argc, copy, o, err, errlen);
}

static void
cli_parse_every_option(void **state)
{
	static const char *const argv[] = { "instlog-trace", "--entity-id",
		"21031067", "--json", "--at=2026-11-24T10:00:00Z", "--since",
		"7d", "--until", "2026-12-01", "--event", "installation",
		"--dedupe", "--all", "--limit", "5000", "--url",
		"http://127.0.0.1:8080", "--verbose" };
	struct cli_options o;
	char err[160];

	(void)state;
	assert_int_equal(parse(NARGS(argv), argv, &o, err, sizeof(err)), 0);
	assert_int_equal(o.selector, CLI_SELECTOR_ENTITY);
	assert_int_equal(o.id, 21031067);
	assert_true(o.json && o.dedupe && o.all && o.verbose && !o.help);
	assert_string_equal(o.at, "2026-11-24T10:00:00Z");
	assert_string_equal(o.since, "7d");
	assert_string_equal(o.until, "2026-12-01");
	assert_string_equal(o.event, "installation");
	assert_int_equal(o.limit, 5000);
	assert_string_equal(o.url, "http://127.0.0.1:8080");
}

static void
cli_parse_selectors(void **state)
{
	static const struct {
		const char *flag, *value;
		enum cli_selector sel;
		int64_t id;
	} v[] = {
		{ "--installation-id", "957387", CLI_SELECTOR_INSTALLATION,
		    957387 },
		{ "--entity-id", "9223372036854775807", CLI_SELECTOR_ENTITY,
		    INT64_MAX },
		{ "--job-id", "1", CLI_SELECTOR_JOB, 1 },
		{ "--entity-name", "Octo-Cat", CLI_SELECTOR_ENTITY_NAME, 0 },
	};
	struct cli_options o;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *argv[] = { "instlog-trace", v[i].flag, v[i].value };

		assert_int_equal(parse(3, argv, &o, err, sizeof(err)), 0);
		assert_int_equal(o.selector, v[i].sel);
		assert_int_equal(o.id, v[i].id);
		assert_false(o.json || o.all || o.dedupe || o.verbose);
		assert_null(o.since);
		assert_int_equal(o.limit, 0);
	}
	assert_string_equal(o.login, "Octo-Cat");
}

/* --follow with each selector that has a stream. */
static void
cli_parse_follow(void **state)
{
	static const char *const a[] = { "t", "--installation-id", "7",
		"--follow", "--event", "installation", "--json" };
	static const char *const b[] = { "t", "--operations", "--follow" };
	/* --limit: the rows of history printed first. */
	static const char *const c[] = { "t", "--entity-id", "7", "--follow",
		"--limit", "3" };
	struct cli_options o;
	char err[160];

	(void)state;
	assert_int_equal(parse(NARGS(a), a, &o, err, sizeof(err)), 0);
	assert_true(
	    o.follow && o.json && o.selector == CLI_SELECTOR_INSTALLATION);
	assert_int_equal(o.limit, 0);
	assert_int_equal(parse(NARGS(b), b, &o, err, sizeof(err)), 0);
	assert_true(o.follow && o.selector == CLI_SELECTOR_OPERATIONS);
	assert_int_equal(parse(NARGS(c), c, &o, err, sizeof(err)), 0);
	assert_true(o.follow && o.limit == 3);
}

static void
cli_parse_refuses(void **state)
{
	static const struct {
		const char *argv[6];
		int argc;
		const char *err;
	} v[] = {
		{ { "t" }, 1,
		    "give exactly one of --installation-id, --entity-id, "
		    "--entity-name, --job-id" },
		{ { "t", "--json" }, 2, "give exactly one of" },
		{ { "t", "--entity-id", "1", "--job-id", "2" }, 5,
		    "give only one of" },
		{ { "t", "--entity-id", "1", "--entity-id", "2" }, 5,
		    "--entity-id given twice" },
		{ { "t", "--entity-id", "abc" }, 3,
		    "--entity-id: not a positive integer: 'abc'" },
		{ { "t", "--job-id", "0" }, 3, "--job-id: not a positive" },
		{ { "t", "--installation-id", "-5" }, 3,
		    "--installation-id: not a positive" },
		{ { "t", "--entity-id", "1.5" }, 3, "--entity-id: not a" },
		{ { "t", "--entity-id", " 1" }, 3, "--entity-id: not a" },
		{ { "t", "--entity-id", "99999999999999999999" }, 3,
		    "--entity-id: not a" },
		{ { "t", "--entity-id", "1' OR 1=1 --" }, 3,
		    "--entity-id: not a" },
		{ { "t", "--entity-id" }, 2, "--entity-id needs a value" },
		{ { "t", "--entity-id=" }, 2, "--entity-id: empty value" },
		{ { "t", "--entity-id", "1", "--bogus" }, 4,
		    "unknown option '--bogus'" },
		{ { "t", "--entity-id", "1", "-x" }, 4, "unknown option '-x'" },
		{ { "t", "--entity-id", "1", "extra" }, 4,
		    "unexpected argument 'extra'" },
		{ { "t", "--entity-id", "1", "--json=yes" }, 4,
		    "--json takes no value" },
		{ { "t", "--entity-id", "1", "--limit", "0" }, 5,
		    "--limit: not an integer in 1..5000: '0'" },
		{ { "t", "--entity-id", "1", "--limit", "5001" }, 5,
		    "--limit: not an integer" },
		{ { "t", "--entity-name", "-octocat" }, 3,
		    "--entity-name: not a GitHub login: '-octocat'" },
		{ { "t", "--entity-name", "../orgs/x" }, 3,
		    "--entity-name: not a GitHub login" },
		{ { "t", "--entity-id", "1", "--since=" }, 4,
		    "--since: empty value" },
		{ { "t", "--entity", "1" }, 3, "unknown option '--entity'" },
		{ { "t", "--job-id", "1", "--follow" }, 4,
		    "--follow goes with --entity-id" },
		{ { "t", "--operation", "1", "--follow" }, 4,
		    "--follow goes with" },
		{ { "t", "--entity-id", "1", "--follow", "--all" }, 5,
		    "--all does not go with --follow" },
		{ { "t", "--operations", "--follow", "--status", "failed" }, 5,
		    "--status does not go with --follow" },
		{ { "t", "--entity-id", "1", "--follow", "--limit", "1001" }, 6,
		    "--limit: at most 1000 with --follow" },
	};
	struct cli_options o;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(parse(v[i].argc, v[i].argv, &o, err,
		                     sizeof(err)),
		    -1);
		if (strncmp(err, v[i].err, strlen(v[i].err)) != 0)
			fail_msg("case %zu: '%s' does not start with '%s'", i,
			    err, v[i].err);
	}
}

static void
cli_parse_help_wins(void **state)
{
	static const char *const a[] = { "t", "--help" };
	static const char *const b[] = { "t", "--bogus=1", "-h" };
	static const char *const c[] = { "t", "--entity-id", "1", "-h",
		"--bogus" };
	struct cli_options o;
	char err[160];

	(void)state;
	assert_int_equal(parse(NARGS(a), a, &o, err, sizeof(err)), 0);
	assert_true(o.help);
	/* An error before --help is still an error. */
	assert_int_equal(parse(NARGS(b), b, &o, err, sizeof(err)), -1);
	assert_int_equal(parse(NARGS(c), c, &o, err, sizeof(err)), 0);
	assert_true(o.help);
}

/*
 * --entity-name takes what the server's /trace/entity-by-name/ takes
 * (login_is_valid()), old logins with "--" or a trailing hyphen too.
 */
static void
cli_logins(void **state)
{
	static const char *const good[] = { "a", "octocat", "Octo-Cat", "a-b-c",
		"0", "a--b", "old-name-", "a-",
		"x12345678901234567890123456789012345678" /* 39 */ };
	static const char *const bad[] = { "-a", "-", "a_b", "a.b", "a/b",
		"a b", "a%20", "octocat\n", "\xc3\xa9",
		"x123456789012345678901234567890123456789" /* 40 */, "..",
		"a?b" };
	struct cli_options o;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *argv[] = { "t", "--entity-name", good[i] };

		if (parse(3, argv, &o, err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
		assert_int_equal(o.selector, CLI_SELECTOR_ENTITY_NAME);
		assert_string_equal(o.login, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = { "t", "--entity-name", bad[i] };

		if (parse(3, argv, &o, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i]);
		if (strncmp(err, "--entity-name: not a GitHub login: '", 36) !=
		    0)
			fail_msg("'%s': %s", bad[i], err);
	}
}

static void
cli_url_encoding(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" },
		{ "installation", "installation" },
		{ "AZaz09-._~", "AZaz09-._~" },
		{ "2026-11-24T10:00:00+01:00",
		    "2026-11-24T10%3A00%3A00%2B01%3A00" },
		{ "a b&c=d?e#f/g%h", "a%20b%26c%3Dd%3Fe%23f%2Fg%25h" },
		{ "' OR 1=1 --", "%27%20OR%201%3D1%20--" },
		{ "\xc3\xa9\n", "%C3%A9%0A" },
	};
	struct buf b;

	(void)state;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		assert_int_equal(cli_url_encode(&b, v[i].in), 0);
		assert_string_equal(b.buf, v[i].out);
	}
	buf_release(&b);
}

static void
cli_urls(void **state)
{
	struct cli_options o;
	struct buf b;

	(void)state;
	buf_init(&b);
	memset(&o, 0, sizeof(o));
	o.selector = CLI_SELECTOR_INSTALLATION;
	o.id = 957387;
	assert_int_equal(cli_trace_url(&b, "http://127.0.0.1:8080", &o, 0,
	                     NULL),
	    0);
	assert_string_equal(b.buf,
	    "http://127.0.0.1:8080/trace/installation/957387");

	o.selector = CLI_SELECTOR_JOB;
	o.id = 289782451;
	o.dedupe = true;
	assert_int_equal(cli_trace_url(&b, "https://h/base//", &o, 0, "42"), 0);
	assert_string_equal(b.buf,
	    "https://h/base/trace/job/289782451?dedupe=1&cursor=42");

	o.selector = CLI_SELECTOR_ENTITY_NAME;
	o.id = 0;
	o.since = "2026-11-24T10:00:00+01:00";
	o.until = "7d";
	o.event = "installation repos";
	o.at = "1h";
	o.limit = 50;
	o.dedupe = false;
	assert_int_equal(cli_trace_url(&b, "http://localhost/", &o, 583231,
	                     "1201"),
	    0);
	assert_string_equal(b.buf,
	    "http://localhost/trace/entity/583231?since=2026-11-24T10%3A00%"
	    "3A00%2B01%3A00&until=7d&event=installation%20repos&at=1h&"
	    "limit=50&cursor=1201");

	o.selector = CLI_SELECTOR_ENTITY;
	o.id = 5;
	o.since = o.until = o.event = o.at = NULL;
	o.limit = 0;
	assert_int_equal(cli_trace_url(&b, "http://localhost", &o, 5, NULL), 0);
	assert_string_equal(b.buf, "http://localhost/trace/entity/5");

	assert_int_equal(cli_payload_url(&b, "http://localhost:1/", 4), 0);
	assert_string_equal(b.buf, "http://localhost:1/trace/payload/4");
	assert_int_equal(cli_github_url(&b, "https://api.github.com/", "users",
	                     "octocat"),
	    0);
	assert_string_equal(b.buf, "https://api.github.com/users/octocat");
	assert_int_equal(cli_github_url(&b, "http://127.0.0.1:9", "orgs",
	                     "a b"),
	    0);
	assert_string_equal(b.buf, "http://127.0.0.1:9/orgs/a%20b");
	buf_release(&b);
}

static void
cli_http_statuses(void **state)
{
	static const struct {
		long http;
		enum cli_status st;
	} v[] = {
		{ 200, CLI_OK },
		{ 400, CLI_USAGE },
		{ 401, CLI_AUTH },
		{ 403, CLI_AUTH },
		{ 404, CLI_NOTFOUND },
		{ 405, CLI_SERVER },
		{ 301, CLI_SERVER },
		{ 500, CLI_SERVER },
		{ 502, CLI_SERVER },
		{ 503, CLI_SERVER },
		{ 0, CLI_SERVER },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(cli_status_from_http(v[i].http), v[i].st);
	/* The exit codes are a documented interface. */
	assert_int_equal(CLI_OK, 0);
	assert_int_equal(CLI_FAILURE, 1);
	assert_int_equal(CLI_USAGE, 2);
	assert_int_equal(CLI_AUTH, 3);
	assert_int_equal(CLI_NOTFOUND, 4);
	assert_int_equal(CLI_SERVER, 5);
	assert_int_equal(CLI_NETWORK, 6);
}

/*
 * Issue 12, finding 3: cursors need not grow (a replayed row keeps its
 * arrival time but gets a higher id); only one followed before is a loop.
 */
static void
cli_cursors_catch_loops_only(void **state)
{
	struct cli_cursors c;

	(void)state;
	cli_cursors_init(&c);
	assert_int_equal(cli_cursors_add(&c, 50), 0);
	assert_int_equal(cli_cursors_add(&c, 30), 0);
	assert_int_equal(cli_cursors_add(&c, 90), 0);
	assert_int_equal(cli_cursors_add(&c, 30), 1);
	assert_int_equal(cli_cursors_add(&c, 0), -1);
	assert_int_equal(cli_cursors_add(&c, -5), -1);
	/* Through a few growths of the table, in falling order. */
	for (int64_t v = 5000; v > 100; v--)
		assert_int_equal(cli_cursors_add(&c, v), 0);
	for (int64_t v = 101; v <= 5000; v += 7)
		assert_int_equal(cli_cursors_add(&c, v), 1);
	assert_int_equal(cli_cursors_add(&c, INT64_MAX), 0);
	assert_int_equal(cli_cursors_add(&c, INT64_MAX), 1);
	cli_cursors_release(&c);
	cli_cursors_release(NULL);
}

/* --failing: its options, the refused ones, and its URL. */
static void
cli_failing_parse_and_url(void **state)
{
	static const char *const ok[] = { "t", "--failing", "--cause",
		"rate_limited", "--since", "1h", "--limit", "5", "--json" };
	static const char *const bad[][3] = {
		{ "t", "--failing", "--event=installation" },
		{ "t", "--failing", "--status=failed" },
		{ "t", "--entity-id=1", "--cause=x" },
		{ "t", "--failing", "--operations" },
	};
	struct cli_options o;
	char err[256];
	struct buf b;

	(void)state;
	assert_int_equal(parse(9, ok, &o, err, sizeof(err)), 0);
	assert_int_equal(o.selector, CLI_SELECTOR_FAILING);
	assert_string_equal(o.cause, "rate_limited");
	assert_true(o.json);
	buf_init(&b);
	assert_int_equal(cli_failing_url(&b, "http://h:1/", &o), 0);
	assert_string_equal(b.buf,
	    "http://h:1/trace/failing?cause=rate_limited&since=1h&limit=5");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(3, bad[i], &o, err, sizeof(err)), -1);
	assert_int_equal(parse(2, (const char *const[]){ "t", "--failing" }, &o,
	                     err, sizeof(err)),
	    0);
	assert_int_equal(cli_failing_url(&b, "http://h:1", &o), 0);
	assert_string_equal(b.buf, "http://h:1/trace/failing");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli_parse_every_option),
		cmocka_unit_test(cli_parse_selectors),
		cmocka_unit_test(cli_parse_refuses),
		cmocka_unit_test(cli_parse_follow),
		cmocka_unit_test(cli_parse_help_wins),
		cmocka_unit_test(cli_logins),
		cmocka_unit_test(cli_url_encoding),
		cmocka_unit_test(cli_urls),
		cmocka_unit_test(cli_failing_parse_and_url),
		cmocka_unit_test(cli_http_statuses),
		cmocka_unit_test(cli_cursors_catch_loops_only),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
