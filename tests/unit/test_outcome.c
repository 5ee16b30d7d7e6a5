/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/outcome: the canonical outcome table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/outcome.h"

/* docs/data-model.md#outcomes, in the order of the table there. */
static const char *const design[] = { "ok", "job_stored", "job_already_exists",
	"job_marked_running", "job_marked_completed", "job_not_found",
	"ignored_action", "ignored_no_label", "unhandled_event",
	"invalid_payload", "job_write_failed", "auth_404", "auth_other_error",
	"auth_transport_error" };

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
	assert_null(outcome_name((enum outcome) - 1));
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

/* What the webhook answers, what counts as a failure, scheduler events. */
static void
outcome_attributes(void **state)
{
	static const struct {
		enum outcome o;
		int status;
		bool failure;
		const char *event;
	} v[] = {
		{ OUTCOME_OK, 200, false, NULL },
		{ OUTCOME_JOB_STORED, 200, false, NULL },
		{ OUTCOME_JOB_ALREADY_EXISTS, 200, false, NULL },
		{ OUTCOME_JOB_MARKED_RUNNING, 200, false, NULL },
		{ OUTCOME_JOB_MARKED_COMPLETED, 200, false, NULL },
		{ OUTCOME_JOB_NOT_FOUND, 200, false, NULL },
		{ OUTCOME_IGNORED_ACTION, 200, false, NULL },
		{ OUTCOME_IGNORED_NO_LABEL, 200, false, NULL },
		{ OUTCOME_UNHANDLED_EVENT, 200, false, NULL },
		{ OUTCOME_INVALID_PAYLOAD, 400, true, NULL },
		{ OUTCOME_JOB_WRITE_FAILED, 503, true, NULL },
		{ OUTCOME_AUTH_404, 0, true, "auth_attempt.404" },
		{ OUTCOME_AUTH_OTHER_ERROR, 0, true,
		    "auth_attempt.other_error" },
		{ OUTCOME_AUTH_TRANSPORT_ERROR, 0, true,
		    "auth_attempt.transport_error" },
	};

	(void)state;
	assert_int_equal(OUTCOME__MAX, sizeof(v) / sizeof(v[0]));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(outcome_http_status(v[i].o), v[i].status);
		assert_int_equal(outcome_is_failure(v[i].o), v[i].failure);
		if (v[i].event == NULL)
			assert_null(outcome_event(v[i].o));
		else
			assert_string_equal(outcome_event(v[i].o), v[i].event);
	}
	assert_int_equal(outcome_http_status(OUTCOME__MAX), 0);
	assert_false(outcome_is_failure(OUTCOME__MAX));
	assert_null(outcome_event(OUTCOME__MAX));
}

/* The webhook's answer and counter label for each fate, from one table. */
static void
outcome_fates_answer(void **state)
{
	(void)state;
	assert_int_equal(outcome_answer_status(OUTCOME_RECORDED, OUTCOME_OK),
	    200);
	assert_int_equal(outcome_answer_status(OUTCOME_RECORDED,
	                     OUTCOME_INVALID_PAYLOAD),
	    400);
	assert_int_equal(outcome_answer_status(OUTCOME_SPOOLED, OUTCOME_OK),
	    202);
	assert_int_equal(outcome_answer_status(OUTCOME_LOST, OUTCOME_OK), 503);
	assert_int_equal(outcome_answer_status(OUTCOME_FATE__MAX, OUTCOME_OK),
	    0);
	assert_string_equal(outcome_answer_label(OUTCOME_RECORDED,
	                        OUTCOME_JOB_STORED),
	    "job_stored");
	assert_string_equal(outcome_answer_label(OUTCOME_SPOOLED, OUTCOME_OK),
	    "spooled");
	assert_string_equal(outcome_answer_label(OUTCOME_LOST, OUTCOME_OK),
	    "unavailable");
	assert_null(outcome_answer_label(OUTCOME_FATE__MAX, OUTCOME_OK));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(outcome_table_matches_design),
		cmocka_unit_test(outcome_round_trip),
		cmocka_unit_test(outcome_names_unique),
		cmocka_unit_test(outcome_attributes),
		cmocka_unit_test(outcome_fates_answer),
	};

	return cmocka_run_group_tests_name("outcome", tests, NULL, NULL);
}
