/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/httpc: URL checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/httpc.h"

static void
httpc_url_checks(void **state)
{
	static const char *const good[] = { "http://127.0.0.1:8080",
		"http://127.0.0.1:8080/", "http://localhost",
		"HTTP://LOCALHOST:1", "http://[::1]:8080/instlog",
		"http://127.1.2.3/x/y", "https://instlog.example.com",
		"https://10.0.0.1:8443/base/", "https://[2001:db8::1]:443",
		"https://api.github.com" };
	static const struct {
		const char *url, *err;
	} bad[] = {
		{ "http://instlog.example.com", "plain http is only allowed" },
		{ "http://127.0.0.1.example.com",
		    "plain http is only allowed" },
		{ "http://10.0.0.1:8080", "plain http is only allowed" },
		{ "ftp://127.0.0.1", "not an http(s) URL" },
		{ "127.0.0.1:8080", "not an http(s) URL" },
		{ "", "not an http" },
		{ "http://", "no host" },
		{ "https://:8080", "no host" },
		{ "http://127.0.0.1:", "bad port" },
		{ "http://127.0.0.1:0", "bad port" },
		{ "http://127.0.0.1:65536", "bad port" },
		{ "http://127.0.0.1:80x", "bad port" },
		{ "http://user:pw@127.0.0.1", "no user info" },
		/* Issue 12, finding 4: user info that looks like a port. */
		{ "http://127.0.0.1:1@evil.example", "no user info" },
		{ "http://127.0.0.1@evil.example", "no user info" },
		{ "http://127.0.0.1:@evil.example/", "no user info" },
		{ "http://localhost;x@evil.example", "no user info" },
		{ "http://127.0.0.1/?a=b", "no query or fragment" },
		{ "http://127.0.0.1/#x", "no query or fragment" },
		{ "http://127.0.0.1/a b", "spaces, control" },
		{ "http://127.0.0.1/\r\nX: y", "spaces, control" },
		{ "https://[::1", "no host" },
		{ "https://[::1]x", "bad host" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (httpc_url_check(good[i], HTTPC_URL_BASE, err,
		        sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (httpc_url_check(bad[i].url, HTTPC_URL_BASE, err,
		        sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i].url);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("'%s': '%s' does not start with '%s'",
			    bad[i].url, err, bad[i].err);
	}
}

/* Request URLs may carry a query; the host rules stay. */
static void
httpc_url_checks_requests(void **state)
{
	static const char *const good[] = {
		"http://127.0.0.1:8080/trace/entity/1?since=1h&cursor=2",
		"https://api.github.com/app/hook/deliveries?per_page=100",
	};
	static const char *const bad[] = {
		"http://evil.example/?@127.0.0.1",
		"http://evil.example#@127.0.0.1",
		"http://127.0.0.1:1@evil.example/trace/entity/1",
		"https://token@api.github.com/users/x",
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (httpc_url_check(good[i], 0, err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (httpc_url_check(bad[i], 0, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(httpc_url_checks),
		cmocka_unit_test(httpc_url_checks_requests),
	};

	return cmocka_run_group_tests_name("httpc", tests, NULL, NULL);
}
