/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/core/login: the one rule for a GitHub login. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/login.h"

/*
 * Logins GitHub accounts have or had: new ones, and old ones with
 * hyphens the current signup rules refuse.
 */
static void
login_accepted(void **state)
{
	static const char *const good[] = { "a", "0", "octocat", "Octo-Cat",
		"a-b-c", "a--b", "old-name-", "a-", "x--", "9-lives",
		"x12345678901234567890123456789012345678" /* 39 */,
		"x1234567890123456789012345678901234567-" /* 39 */ };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!login_is_valid(good[i]))
			fail_msg("'%s' refused", good[i]);
}

/* Empty, too long, a leading hyphen, anything but [A-Za-z0-9-]. */
static void
login_refused(void **state)
{
	static const char *const bad[] = { "", "-", "-a", "--a", "a_b", "a.b",
		"a/b", "a b", "a%20", "octocat\n", "\xc3\xa9", "..", "a?b",
		"dependabot[bot]", "x' OR 1=1 --",
		"x123456789012345678901234567890123456789" /* 40 */,
		"x123456789012345678901234567890123456789a_" /* 42 */ };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (login_is_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(login_is_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(login_accepted),
		cmocka_unit_test(login_refused),
	};

	return cmocka_run_group_tests_name("login", tests, NULL, NULL);
}
