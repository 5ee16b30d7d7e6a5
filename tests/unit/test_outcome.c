/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/outcome: the canonical outcome table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "outcome.h"

/* DESIGN §2, in the order of the table there. */
static const char *const design[] = { "ok", "job_stored",
	"job_already_exists", "job_marked_running", "job_marked_completed",
	"job_not_found", "ignored_action", "ignored_no_label",
	"unhandled_event", "invalid_payload", "job_write_failed", "auth_404",
	"auth_other_error" };

static void
outcome_table_matches_design(void **state)
{
	(void)state;
	assert_int_equal(OUTCOME__MAX, sizeof(design) / sizeof(design[0]));
	for (int i = 0; i < OUTCOME__MAX; i++)
		assert_string_equal(outcome_name((enum outcome)i), design[i]);
}

static void
outcome_round_trip(void **state)
{
	enum outcome o;

	(void)state;
	for (int i = 0; i < OUTCOME__MAX; i++) {
		assert_int_equal(outcome_from_name(design[i], &o), 0);
		assert_int_equal(o, i);
	}
	assert_int_equal(outcome_from_name("nope", &o), -1);
	assert_null(outcome_name(OUTCOME__MAX));
	assert_null(outcome_name((enum outcome)-1));
}

static void
outcome_names_unique(void **state)
{
	(void)state;
	for (int i = 0; i < OUTCOME__MAX; i++)
		for (int j = i + 1; j < OUTCOME__MAX; j++)
			assert_string_not_equal(outcome_name((enum outcome)i),
			    outcome_name((enum outcome)j));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(outcome_table_matches_design),
		cmocka_unit_test(outcome_round_trip),
		cmocka_unit_test(outcome_names_unique),
	};

	return cmocka_run_group_tests_name("outcome", tests, NULL, NULL);
}
