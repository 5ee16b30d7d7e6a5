/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/core/event_names: the table of event names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/event_names.h"
#include "core/notify.h"
#include "core/outcome.h"

/* Every name of the table, as stored in installation_events.event. */
static const struct {
	enum event e;
	const char *name;
	bool announced;
} names[] = {
	{ EVENT_REPOS_ADDED, "installation_repositories.added", false },
	{ EVENT_PLAN_PURCHASED, "marketplace_purchase.purchased", false },
	{ EVENT_CREATED, "installation.created", true },
	{ EVENT_DELETED, "installation.deleted", true },
	{ EVENT_SUSPEND, "installation.suspend", true },
	{ EVENT_UNSUSPEND, "installation.unsuspend", true },
	{ EVENT_REPOS_REMOVED, "installation_repositories.removed", true },
	{ EVENT_RENAMED, "installation_target.renamed", true },
	{ EVENT_REPO_RENAMED, "repository.renamed", true },
	{ EVENT_REPO_TRANSFERRED, "repository.transferred", true },
	{ EVENT_REPO_DELETED, "repository.deleted", true },
	{ EVENT_PLAN_CANCELLED, "marketplace_purchase.cancelled", true },
	{ EVENT_AUTH_404, "auth_attempt.404", true },
	{ EVENT_AUTH_OTHER_ERROR, "auth_attempt.other_error", true },
	{ EVENT_AUTH_TRANSPORT, "auth_attempt.transport_error", true },
};

#define NNAMES (sizeof(names) / sizeof(names[0]))

static void
event_names_round_trip(void **state)
{
	(void)state;
	assert_int_equal(NNAMES, EVENT__MAX - 1);
	for (size_t i = 0; i < NNAMES; i++) {
		assert_string_equal(event_name(names[i].e), names[i].name);
		assert_int_equal(event_find(names[i].name), names[i].e);
		assert_int_equal(event_is_announced(names[i].e),
		    names[i].announced);
	}
	assert_null(event_name(EVENT_OTHER));
	assert_null(event_name(EVENT__MAX));
	assert_false(event_is_announced(EVENT_OTHER));
	assert_false(event_is_announced(EVENT__MAX));
}

/* Names outside the table, exact bytes only. */
static void
event_names_others(void **state)
{
	static const char *const others[] = { "workflow_job.queued",
		"installation.new_permissions_accepted", "installation",
		"installation.created.x", "Installation.created",
		"installation.created ", "auth_attempt.", "ping", "" };

	(void)state;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(event_find(others[i]), EVENT_OTHER);
	assert_int_equal(event_find(NULL), EVENT_OTHER);
}

/* notify_events is the announced run of the table, NULL-terminated. */
static void
event_names_announced_list(void **state)
{
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < NNAMES; i++) {
		if (!names[i].announced)
			continue;
		assert_non_null(notify_events[n]);
		assert_string_equal(notify_events[n], names[i].name);
		n++;
	}
	assert_null(notify_events[n]);
	assert_int_equal(n, 13);
}

static void
event_names_kinds(void **state)
{
	static const struct {
		const char *s;
		bool account;
	} v[] = {
		{ "installation.created", true },
		{ "installation.new_permissions_accepted", true },
		{ "installation_repositories.added", true },
		{ "installation_target.renamed", true },
		{ "installation_target.anything", true },
		{ "installation", false },
		{ "installation_repositories", false },
		{ "auth_attempt.404", false },
		{ "workflow_job.queued", false },
		{ "", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(event_is_account(v[i].s), v[i].account);
	assert_false(event_is_account(NULL));
	assert_true(event_is_auth_failure(EVENT_AUTH_404));
	assert_true(event_is_auth_failure(EVENT_AUTH_OTHER_ERROR));
	assert_false(event_is_auth_failure(EVENT_DELETED));
	assert_false(event_is_auth_failure(EVENT_OTHER));
	/* The outcome table names the scheduler's events through this one. */
	assert_string_equal(outcome_event(OUTCOME_AUTH_404),
	    event_name(EVENT_AUTH_404));
	assert_string_equal(outcome_event(OUTCOME_AUTH_OTHER_ERROR),
	    event_name(EVENT_AUTH_OTHER_ERROR));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(event_names_round_trip),
		cmocka_unit_test(event_names_others),
		cmocka_unit_test(event_names_announced_list),
		cmocka_unit_test(event_names_kinds),
	};

	return cmocka_run_group_tests_name("event_names", tests, NULL, NULL);
}
