/* SPDX-License-Identifier: MIT */
/* Unit tests of the event fold and its diagnosis (lib/core/events.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/events.h"
#include "core/events_diagnose.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* "2026-11-20T<h>:00:00.000123Z": fractional seconds, as PostgreSQL has. */
#define T(h) "2026-11-20T" #h ":00:00.000123Z"

#define REPOS(...)                              \
 .repos = (const char *const[]){ __VA_ARGS__ }, \
 .nrepos = sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

#define CREATED(i, t, app, inst, sel, ...)                              \
 {                                                                      \
  .id = (i), .received_at = t, .event = "installation.created",         \
  .app_id = (app), .installation_id = (inst), .entity_name = "octocat", \
  .repository_selection = sel, REPOS(__VA_ARGS__)                       \
 }
#define DELETED(i, t, inst)                                     \
 {                                                              \
  .id = (i), .received_at = t, .event = "installation.deleted", \
  .installation_id = (inst), .entity_name = "octocat"           \
 }
#define SUSPEND(i, t)                                           \
 {                                                              \
  .id = (i), .received_at = t, .event = "installation.suspend", \
  .installation_id = 42, .entity_name = "octocat"               \
 }
#define UNSUSPEND(i, t)                                           \
 {                                                                \
  .id = (i), .received_at = t, .event = "installation.unsuspend", \
  .installation_id = 42, .entity_name = "octocat"                 \
 }
#define ADDED(i, t, ...)                                                   \
 {                                                                         \
  .id = (i), .received_at = t, .event = "installation_repositories.added", \
  .installation_id = 42, .entity_name = "octocat",                         \
  .repository_selection = "selected", REPOS(__VA_ARGS__)                   \
 }
#define REMOVED(i, t, ...)                                                   \
 {                                                                           \
  .id = (i), .received_at = t, .event = "installation_repositories.removed", \
  .installation_id = 42, .entity_name = "octocat",                           \
  .repository_selection = "selected", REPOS(__VA_ARGS__)                     \
 }
#define RENAMED(i, t, from, to)                                        \
 {                                                                     \
  .id = (i), .received_at = t, .event = "installation_target.renamed", \
  .entity_name = to, .old_login = from, .new_login = to                \
 }
#define AUTH404(i, t, app, r, name)                                          \
 {                                                                           \
  .id = (i), .received_at = t, .event = "auth_attempt.404", .app_id = (app), \
  .installation_id = 42, .entity_name = name, .http_status = 404, .repo = r  \
 }
#define AUTHERR(i, t, status, r)                                    \
 {                                                                  \
  .id = (i), .received_at = t, .event = "auth_attempt.other_error", \
  .app_id = 1, .installation_id = 42, .entity_name = "octocat",     \
  .http_status = (status), .repo = r                                \
 }
#define JOB(i, t)                                                      \
 {                                                                     \
  .id = (i), .received_at = t, .event = "workflow_job.queued",         \
  .installation_id = 42, .entity_name = "octocat", .repo = "octocat/a" \
 }

struct want {
	enum events_cause cause;
	int64_t evidence[EVENTS_EVIDENCE_MAX];
	size_t nevidence;
};

struct diag_case {
	const char *name;
	const struct events_row *rows;
	size_t n;
	struct want want[EVENTS_CAUSE__MAX];
	size_t nwant;
};

#define TL(a) (a), NITEMS(a)

static const struct events_row tl_healthy[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
	ADDED(2, T(11), "octocat/b"),
	JOB(3, T(12)),
};
static const struct events_row tl_uninstalled[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	DELETED(2, T(11), 42),
	AUTH404(3, T(12), 1, "octocat/a", "octocat"),
	AUTH404(4, T(13), 1, "octocat/a", "octocat"),
	AUTH404(5, T(14), 1, "octocat/a", "octocat"),
};
static const struct events_row tl_uninstalled_quiet[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	DELETED(2, T(11), 42),
	AUTHERR(3, T(12), 502, "octocat/a"),
};
static const struct events_row tl_reinstalled[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	DELETED(2, T(11), 42),
	AUTH404(3, T(12), 1, "octocat/a", "octocat"),
	CREATED(4, T(13), 1, 43, "all", "octocat/a"),
};
static const struct events_row tl_suspended[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	SUSPEND(2, T(11)),
	AUTHERR(3, T(12), 403, "octocat/a"),
	AUTHERR(4, T(13), 403, "octocat/a"),
	AUTHERR(5, T(14), 403, "octocat/a"),
};
static const struct events_row tl_suspended_quiet[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	SUSPEND(2, T(11)),
};
static const struct events_row tl_unsuspended[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	SUSPEND(2, T(11)),
	AUTHERR(3, T(12), 403, "octocat/a"),
	UNSUSPEND(4, T(13)),
};
static const struct events_row tl_suspended_deleted[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	SUSPEND(2, T(11)),
	DELETED(3, T(12), 42),
};
static const struct events_row tl_repo_removed[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a", "octocat/b"),
	REMOVED(2, T(11), "octocat/b"),
	AUTH404(3, T(12), 1, "octocat/b", "octocat"),
};
static const struct events_row tl_repo_readded[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a", "octocat/b"),
	REMOVED(2, T(11), "octocat/b"),
	ADDED(3, T(12), "octocat/b"),
	AUTH404(4, T(13), 1, "octocat/b", "octocat"),
};
static const struct events_row tl_repo_readded_after[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a", "octocat/b"),
	REMOVED(2, T(11), "octocat/b"),
	AUTH404(3, T(12), 1, "octocat/b", "octocat"),
	ADDED(4, T(13), "octocat/b"),
};
static const struct events_row tl_other_repo_removed[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a", "octocat/b"),
	REMOVED(2, T(11), "octocat/a"),
	AUTH404(3, T(12), 1, "octocat/b", "octocat"),
};
static const struct events_row tl_repo_removed_after_failure[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a", "octocat/b"),
	AUTH404(2, T(11), 1, "octocat/b", "octocat"),
	REMOVED(3, T(12), "octocat/b"),
};
static const struct events_row tl_repo_removed_case[] = {
	CREATED(1, T(10), 1, 42, "selected", "Octocat/Hello"),
	REMOVED(2, T(11), "octocat/HELLO"),
	AUTH404(3, T(12), 1, "OCTOCAT/hello", "octocat"),
};
static const struct events_row tl_wrong_app[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	DELETED(2, T(11), 42),
	CREATED(3, T(12), 2, 43, "all", "octocat/a"),
	AUTH404(4, T(13), 1, "octocat/a", "octocat"),
};
static const struct events_row tl_right_app[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	DELETED(2, T(11), 42),
	CREATED(3, T(12), 2, 43, "all", "octocat/a"),
	AUTH404(4, T(13), 2, "octocat/a", "octocat"),
};
static const struct events_row tl_wrong_app_before_reinstall[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	AUTH404(2, T(11), 2, "octocat/a", "octocat"),
	DELETED(3, T(12), 42),
	CREATED(4, T(13), 2, 43, "all", "octocat/a"),
};
static const struct events_row tl_renamed[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
	RENAMED(2, T(11), "octocat", "hubot"),
	AUTH404(3, T(12), 1, "hubot/a", "octocat"),
};
static const struct events_row tl_renamed_fresh[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
	RENAMED(2, T(11), "octocat", "hubot"),
	AUTH404(3, T(12), 1, "hubot/a", "HUBOT"),
};
static const struct events_row tl_renamed_after_failure[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
	AUTH404(2, T(11), 1, "octocat/a", "octocat"),
	RENAMED(3, T(12), "octocat", "hubot"),
};
static const struct events_row tl_not_selected[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
	AUTH404(2, T(11), 1, "octocat/z", "octocat"),
};
static const struct events_row tl_selected_added[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
	ADDED(2, T(11), "octocat/z"),
	AUTH404(3, T(12), 1, "octocat/z", "octocat"),
};
static const struct events_row tl_all_repos[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	AUTH404(2, T(11), 1, "octocat/z", "octocat"),
};
static const struct events_row tl_several[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
	RENAMED(2, T(11), "octocat", "hubot"),
	{ .id = 3,
	    .received_at = T(12),
	    .event = "installation.suspend",
	    .installation_id = 42,
	    .entity_name = "hubot" },
	AUTH404(4, T(13), 2, "hubot/z", "octocat"),
};
static const struct events_row tl_ignored[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	JOB(2, T(11)),
	{ .id = 3, .received_at = T(12), .event = "ping" },
	{ .id = 4, .received_at = T(13), .event = NULL },
	{ .id = 5,
	    .received_at = T(14),
	    .event = "workflow_job.completed",
	    .entity_name = "someone",
	    .repo = "someone/x" },
	{ .id = 6, .received_at = T(15), .event = "installation.deleted_x" },
};

/* Fold and diagnose each case, and compare causes and evidence exactly. */
static void
run_cases(const struct diag_case *cases, size_t ncases)
{
	struct events_state st;
	struct events_diagnosis d;
	const struct events_finding *got;
	const struct want *w;

	for (size_t i = 0; i < ncases; i++) {
		events_state_init(&st);
		assert_int_equal(events_fold(cases[i].rows, cases[i].n, &st),
		    0);
		assert_int_equal(events_diagnose(cases[i].rows, cases[i].n, &st,
		                     &d),
		    0);
		if (d.nfindings != cases[i].nwant)
			fail_msg("%s: %zu findings, want %zu (first '%s')",
			    cases[i].name, d.nfindings, cases[i].nwant,
			    d.nfindings > 0 ? d.findings[0].summary : "");
		for (size_t j = 0; j < d.nfindings; j++) {
			got = &d.findings[j];
			w = &cases[i].want[j];
			if (got->cause != w->cause)
				fail_msg("%s: finding %zu is '%s', want '%s'",
				    cases[i].name, j,
				    events_cause_name(got->cause),
				    events_cause_name(w->cause));
			assert_non_null(got->summary);
			assert_true(strlen(got->summary) > 0);
			if (got->nevidence != w->nevidence ||
			    memcmp(got->evidence, w->evidence,
			        w->nevidence * sizeof(int64_t)) != 0)
				fail_msg("%s: '%s' evidence differs",
				    cases[i].name, events_cause_name(w->cause));
		}
		events_diagnosis_release(&d);
		events_state_release(&st);
	}
}

static void
events_healthy_timeline_is_clean(void **state)
{
	static const struct diag_case cases[] = {
		{ "empty", NULL, 0, { { 0 } }, 0 },
		{ "healthy", TL(tl_healthy), { { 0 } }, 0 },
		{ "ignored rows", TL(tl_ignored), { { 0 } }, 0 },
	};

	(void)state;
	run_cases(cases, NITEMS(cases));
}

static void
events_uninstalled_until_reinstall(void **state)
{
	static const struct diag_case cases[] = {
		{ "uninstalled", TL(tl_uninstalled),
		    { { EVENTS_CAUSE_UNINSTALLED, { 2, 3, 5 }, 3 } }, 1 },
		/* The 502 is GitHub's, and explains the failing status. */
		{ "uninstalled, no 404", TL(tl_uninstalled_quiet),
		    { { EVENTS_CAUSE_GITHUB_UNAVAILABLE, { 3 }, 1 },
		        { EVENTS_CAUSE_UNINSTALLED, { 2 }, 1 } },
		    2 },
		{ "reinstalled", TL(tl_reinstalled), { { 0 } }, 0 },
	};

	(void)state;
	run_cases(cases, NITEMS(cases));
}

static void
events_suspended_until_unsuspend(void **state)
{
	static const struct diag_case cases[] = {
		{ "suspended", TL(tl_suspended),
		    { { EVENTS_CAUSE_SUSPENDED, { 2, 3, 5 }, 3 } }, 1 },
		{ "suspended, no failure", TL(tl_suspended_quiet),
		    { { EVENTS_CAUSE_SUSPENDED, { 2 }, 1 } }, 1 },
		{ "unsuspended", TL(tl_unsuspended), { { 0 } }, 0 },
		{ "suspended then deleted", TL(tl_suspended_deleted),
		    { { EVENTS_CAUSE_UNINSTALLED, { 3 }, 1 } }, 1 },
	};

	(void)state;
	run_cases(cases, NITEMS(cases));
}

static void
events_repo_removed_until_readded(void **state)
{
	static const struct diag_case cases[] = {
		{ "removed", TL(tl_repo_removed),
		    { { EVENTS_CAUSE_REPO_REMOVED, { 2, 3 }, 2 } }, 1 },
		{ "removed, other case", TL(tl_repo_removed_case),
		    { { EVENTS_CAUSE_REPO_REMOVED, { 2, 3 }, 2 } }, 1 },
		{ "re-added", TL(tl_repo_readded), { { 0 } }, 0 },
		{ "re-added after the failure", TL(tl_repo_readded_after),
		    { { 0 } }, 0 },
		{ "another repo removed", TL(tl_other_repo_removed), { { 0 } },
		    0 },
		{ "removed after the failure",
		    TL(tl_repo_removed_after_failure), { { 0 } }, 0 },
	};

	(void)state;
	run_cases(cases, NITEMS(cases));
}

static void
events_renamed_when_login_is_stale(void **state)
{
	static const struct diag_case cases[] = {
		{ "stale login", TL(tl_renamed),
		    { { EVENTS_CAUSE_RENAMED, { 2, 3 }, 2 } }, 1 },
		{ "new login", TL(tl_renamed_fresh), { { 0 } }, 0 },
		{ "failure before the rename", TL(tl_renamed_after_failure),
		    { { 0 } }, 0 },
	};

	(void)state;
	run_cases(cases, NITEMS(cases));
}

static void
events_wrong_app_uses_live_installation(void **state)
{
	static const struct diag_case cases[] = {
		{ "404 with the old app", TL(tl_wrong_app),
		    { { EVENTS_CAUSE_WRONG_APP, { 3, 4 }, 2 } }, 1 },
		{ "404 with the live app", TL(tl_right_app), { { 0 } }, 0 },
		{ "404 before the reinstall", TL(tl_wrong_app_before_reinstall),
		    { { 0 } }, 0 },
	};

	(void)state;
	run_cases(cases, NITEMS(cases));
}

static void
events_repo_not_selected_unless_added(void **state)
{
	static const struct diag_case cases[] = {
		{ "never added", TL(tl_not_selected),
		    { { EVENTS_CAUSE_REPO_NOT_SELECTED, { 1, 2 }, 2 } }, 1 },
		{ "added", TL(tl_selected_added), { { 0 } }, 0 },
		{ "all repositories", TL(tl_all_repos), { { 0 } }, 0 },
		/* "hubot/a" is "octocat/a" after the rename. */
		{ "added under the old login", TL(tl_renamed),
		    { { EVENTS_CAUSE_RENAMED, { 2, 3 }, 2 } }, 1 },
	};

	(void)state;
	run_cases(cases, NITEMS(cases));
}

static void
events_several_causes_in_order(void **state)
{
	static const struct diag_case cases[] = {
		{ "several", TL(tl_several),
		    {
		        { EVENTS_CAUSE_SUSPENDED, { 3, 4 }, 2 },
		        { EVENTS_CAUSE_RENAMED, { 2, 4 }, 2 },
		        { EVENTS_CAUSE_WRONG_APP, { 1, 4 }, 2 },
		        { EVENTS_CAUSE_REPO_NOT_SELECTED, { 1, 4 }, 2 },
		    },
		    4 },
	};

	(void)state;
	run_cases(cases, NITEMS(cases));
}

/* The one summary of the diagnosis of 'rows', compared with 'want'. */
static void
assert_summary(const struct events_row *rows, size_t n, const char *want)
{
	struct events_state st;
	struct events_diagnosis d;

	events_state_init(&st);
	assert_int_equal(events_fold(rows, n, &st), 0);
	assert_int_equal(events_diagnose(rows, n, &st, &d), 0);
	/* The last finding: a status cause may come before it. */
	assert_true(d.nfindings >= 1 && d.nfindings <= 2);
	assert_string_equal(d.findings[d.nfindings - 1].summary, want);
	events_diagnosis_release(&d);
	events_state_release(&st);
}

static void
events_summaries_name_values(void **state)
{
	static const struct {
		const struct events_row *rows;
		size_t n;
		const char *want;
	} cases[] = {
		{ TL(tl_uninstalled),
		    "the app was uninstalled from 'octocat' on "
		    "2026-11-20T11:00:00Z; jobs fail with 404 since "
		    "2026-11-20T12:00:00Z" },
		{ TL(tl_uninstalled_quiet),
		    "the app was uninstalled from 'octocat' on "
		    "2026-11-20T11:00:00Z" },
		{ TL(tl_suspended),
		    "the installation '42' of 'octocat' was suspended on "
		    "2026-11-20T11:00:00Z and not unsuspended; GitHub answers "
		    "403 to it; auth fails since 2026-11-20T12:00:00Z" },
		{ TL(tl_repo_removed),
		    "'octocat/b' was removed from the installation '42' on "
		    "2026-11-20T11:00:00Z and not added back; its jobs cannot "
		    "authenticate" },
		{ TL(tl_renamed),
		    "the account was renamed from 'octocat' to 'hubot' on "
		    "2026-11-20T11:00:00Z; jobs still use 'octocat'" },
		{ TL(tl_wrong_app),
		    "the scheduler used app '1' but the live installation "
		    "'43' on 'octocat' belongs to app '2'; GitHub answers 404" },
		{ TL(tl_not_selected),
		    "'octocat/z' was never added to the installation '42', "
		    "which has access to selected repositories only" },
	};

	(void)state;
	for (size_t i = 0; i < NITEMS(cases); i++)
		assert_summary(cases[i].rows, cases[i].n, cases[i].want);
}

static void
events_summaries_without_values(void **state)
{
	static const struct events_row bare[] = {
		{ .id = 1, .event = "installation.created" },
		{ .id = 2, .event = "installation.deleted" },
		{ .id = 3, .event = "auth_attempt.404" },
	};
	static const struct events_row odd_time[] = {
		{ .id = 1,
		    .received_at = "2026-11-20T10:00:00.5+00:00",
		    .event = "installation.deleted" },
	};

	(void)state;
	assert_summary(TL(bare), "the app was uninstalled; jobs fail with 404");
	assert_summary(TL(odd_time),
	    "the app was uninstalled on 2026-11-20T10:00:00+00:00");
}

static void
events_fold_tracks_installation(void **state)
{
	const struct events_row rows[] = {
		CREATED(1, T(10), 7, 42, "all", "octocat/b", "octocat/A",
		    "octocat/b", NULL),
		ADDED(2, T(11), "octocat/c", "OCTOCAT/B", "octocat/d"),
		REMOVED(3, T(12), "OCTOCAT/a", "octocat/d", "octocat/none"),
		AUTH404(4, T(13), 7, "octocat/c", "octocat"),
		AUTHERR(5, T(14), 502, "octocat/b"),
		JOB(6, T(15)),
	};
	struct events_state st;
	const struct events_auth_failure *f = &st.last_auth_failure;

	(void)state;
	events_state_init(&st);
	assert_int_equal(events_fold(TL(rows), &st), 0);
	assert_true(st.installed);
	assert_false(st.suspended);
	assert_int_equal(st.app_id, 7);
	assert_int_equal(st.installation_id, 42);
	assert_string_equal(st.repository_selection, "selected");
	assert_int_equal(st.nrepos, 2);
	assert_string_equal(st.repos[0], "octocat/b");
	assert_string_equal(st.repos[1], "octocat/c");
	assert_string_equal(st.entity_name, "octocat");
	assert_int_equal(st.nprevious_names, 0);
	assert_int_equal(st.created_id, 1);
	assert_int_equal(st.deleted_id, 0);
	assert_int_equal(st.suspend_id, 0);
	assert_int_equal(st.renamed_id, 0);
	assert_true(f->present);
	assert_false(f->is_404);
	assert_int_equal(f->id, 5);
	assert_string_equal(f->at, T(14));
	assert_int_equal(f->app_id, 1);
	assert_int_equal(f->installation_id, 42);
	assert_int_equal(f->http_status, 502);
	assert_string_equal(f->repo, "octocat/b");
	assert_string_equal(f->entity_name, "octocat");
	events_state_release(&st);
	events_state_release(&st);
	events_state_release(NULL);
}

static void
events_fold_suspend_delete_reinstall(void **state)
{
	const struct events_row rows[] = {
		CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
		SUSPEND(2, T(11)),
		UNSUSPEND(3, T(12)),
		SUSPEND(4, T(13)),
		DELETED(5, T(14), 42),
		CREATED(6, T(15), 2, 43, "all", "octocat/x"),
	};
	static const struct {
		size_t upto;
		bool installed, suspended;
		int64_t suspend_id, deleted_id, created_id, app_id;
		size_t nrepos;
	} steps[] = {
		{ 1, true, false, 0, 0, 1, 1, 1 },
		{ 2, true, true, 2, 0, 1, 1, 1 },
		{ 3, true, false, 0, 0, 1, 1, 1 },
		{ 4, true, true, 4, 0, 1, 1, 1 },
		{ 5, false, false, 0, 5, 1, 1, 0 },
		{ 6, true, false, 0, 0, 6, 2, 1 },
	};
	struct events_state st;

	(void)state;
	for (size_t i = 0; i < NITEMS(steps); i++) {
		events_state_init(&st);
		assert_int_equal(events_fold(rows, steps[i].upto, &st), 0);
		assert_int_equal(st.installed, steps[i].installed);
		assert_int_equal(st.suspended, steps[i].suspended);
		assert_int_equal(st.suspend_id, steps[i].suspend_id);
		assert_int_equal(st.deleted_id, steps[i].deleted_id);
		assert_int_equal(st.created_id, steps[i].created_id);
		assert_int_equal(st.app_id, steps[i].app_id);
		assert_int_equal(st.nrepos, steps[i].nrepos);
		events_state_release(&st);
	}
	events_state_init(&st);
	assert_int_equal(events_fold(TL(rows), &st), 0);
	assert_int_equal(st.installation_id, 43);
	assert_string_equal(st.repository_selection, "all");
	assert_string_equal(st.repos[0], "octocat/x");
	events_state_release(&st);
}

static void
events_fold_rename(void **state)
{
	const struct events_row rows[] = {
		CREATED(1, T(10), 1, 42, "selected", "octocat/a", "octocat/b",
		    "octocatx/c"),
		RENAMED(2, T(11), "OctoCat", "hubot"),
		{ .id = 3,
		    .received_at = T(12),
		    .event = "installation_repositories.removed",
		    .entity_name = "hubot",
		    REPOS("hubot/b") },
		AUTH404(4, T(13), 1, "hubot/a", "octocat"),
		{ .id = 5,
		    .received_at = T(14),
		    .event = "installation_target.renamed",
		    .entity_name = "robot" },
	};
	struct events_state st;

	(void)state;
	events_state_init(&st);
	assert_int_equal(events_fold(rows, 4, &st), 0);
	assert_string_equal(st.entity_name, "hubot");
	assert_int_equal(st.nprevious_names, 1);
	assert_string_equal(st.previous_names[0], "OctoCat");
	assert_int_equal(st.renamed_id, 2);
	assert_int_equal(st.nrepos, 2);
	assert_string_equal(st.repos[0], "hubot/a");
	assert_string_equal(st.repos[1], "octocatx/c");
	assert_string_equal(st.last_auth_failure.entity_name, "octocat");
	/* A rename without changes.login.from renames the current login. */
	assert_int_equal(events_fold(&rows[4], 1, &st), 0);
	assert_string_equal(st.entity_name, "robot");
	assert_int_equal(st.nprevious_names, 2);
	assert_string_equal(st.previous_names[1], "hubot");
	assert_string_equal(st.repos[0], "octocatx/c");
	assert_string_equal(st.repos[1], "robot/a");
	assert_int_equal(st.renamed_id, 5);
	events_state_release(&st);
}

static void
events_fold_entity_name(void **state)
{
	const struct events_row rows[] = {
		AUTH404(1, T(10), 1, "cached/a", "cached"),
		AUTH404(2, T(11), 1, "cached/a", "other"),
		CREATED(3, T(12), 1, 42, "all", "octocat/a"),
		AUTH404(4, T(13), 1, "octocat/a", "stale"),
		{ .id = 5,
		    .event = "installation.new_permissions_accepted",
		    .entity_name = "Octocat" },
		{ .id = 6, .event = "installation.suspend" },
		{ .id = 7,
		    .event = "workflow_job.queued",
		    .entity_name = "someone" },
	};
	static const struct {
		size_t upto;
		const char *name;
		size_t nprevious;
	} steps[] = {
		{ 0, NULL, 0 },
		{ 1, "cached", 0 },
		{ 2, "cached", 0 },
		{ 3, "octocat", 1 },
		{ 4, "octocat", 1 },
		{ 5, "Octocat", 1 },
		{ 7, "Octocat", 1 },
	};
	struct events_state st;

	(void)state;
	for (size_t i = 0; i < NITEMS(steps); i++) {
		events_state_init(&st);
		assert_int_equal(events_fold(rows, steps[i].upto, &st), 0);
		if (steps[i].name == NULL)
			assert_null(st.entity_name);
		else
			assert_string_equal(st.entity_name, steps[i].name);
		assert_int_equal(st.nprevious_names, steps[i].nprevious);
		events_state_release(&st);
	}
}

static void
events_fold_null_strings(void **state)
{
	static const char *const nulls[] = { NULL, NULL };
	static const char *const events[] = {
		"installation.created",
		"installation_repositories.added",
		"installation_repositories.removed",
		"installation.suspend",
		"installation.unsuspend",
		"installation_target.renamed",
		"auth_attempt.404",
		"auth_attempt.other_error",
		"installation.deleted",
		"installation_repositories.added",
	};
	struct events_row rows[NITEMS(events)];
	struct events_state st;
	struct events_diagnosis d;

	(void)state;
	memset(rows, 0, sizeof(rows));
	for (size_t i = 0; i < NITEMS(events); i++) {
		rows[i].id = (int64_t)i + 1;
		rows[i].event = events[i];
		rows[i].repos = i % 2 == 0 ? nulls : NULL;
		rows[i].nrepos = NITEMS(nulls);
	}
	for (size_t n = 0; n <= NITEMS(rows); n++) {
		events_state_init(&st);
		assert_int_equal(events_fold(rows, n, &st), 0);
		assert_null(st.entity_name);
		assert_int_equal(st.nrepos, 0);
		assert_int_equal(events_diagnose(rows, n, &st, &d), 0);
		events_diagnosis_release(&d);
		events_state_release(&st);
	}
}

static void
events_fold_in_pages(void **state)
{
	struct events_state whole, paged;

	(void)state;
	events_state_init(&whole);
	events_state_init(&paged);
	assert_int_equal(events_fold(TL(tl_several), &whole), 0);
	assert_int_equal(events_fold(tl_several, 2, &paged), 0);
	assert_int_equal(events_fold(tl_several + 2, 2, &paged), 0);
	assert_int_equal(paged.installed, whole.installed);
	assert_int_equal(paged.suspended, whole.suspended);
	assert_int_equal(paged.suspend_id, whole.suspend_id);
	assert_int_equal(paged.renamed_id, whole.renamed_id);
	assert_int_equal(paged.nrepos, whole.nrepos);
	assert_string_equal(paged.repos[0], whole.repos[0]);
	assert_string_equal(paged.repos[0], "hubot/a");
	assert_string_equal(paged.entity_name, whole.entity_name);
	assert_int_equal(paged.last_auth_failure.id,
	    whole.last_auth_failure.id);
	events_state_release(&whole);
	events_state_release(&paged);
}

/* Many rows over many repos: linear in rows times repos at worst. */
static void
events_fold_many_rows(void **state)
{
	enum { NROWS = 100000, NNAMES = 200 };
	static char names[NNAMES][32];
	static const char *repos[NNAMES];
	struct events_row *rows;
	struct events_state st;
	struct events_diagnosis d;

	(void)state;
	for (size_t i = 0; i < NNAMES; i++) {
		snprintf(names[i], sizeof(names[i]), "octocat/r%zu", i);
		repos[i] = names[i];
	}
	rows = calloc(NROWS, sizeof(*rows));
	assert_non_null(rows);
	rows[0] = (struct events_row){ .id = 1,
		.event = "installation.created",
		.app_id = 1,
		.installation_id = 42,
		.repository_selection = "selected",
		.repos = repos,
		.nrepos = NNAMES / 2 };
	for (size_t i = 1; i < NROWS; i++) {
		rows[i].id = (int64_t)i + 1;
		rows[i].event = i % 2 == 1 ? "installation_repositories.removed"
		                           : "installation_repositories.added";
		rows[i].repos = &repos[i % NNAMES];
		rows[i].nrepos = 1;
	}
	rows[NROWS - 1] = (struct events_row){ .id = NROWS,
		.event = "auth_attempt.404",
		.app_id = 1,
		.repo = "octocat/r1" };
	events_state_init(&st);
	assert_int_equal(events_fold(rows, NROWS, &st), 0);
	/* Odd repos were removed last, even ones added last. */
	assert_int_equal(st.nrepos, NNAMES / 2);
	assert_int_equal(events_diagnose(rows, NROWS, &st, &d), 0);
	assert_int_equal(d.nfindings, 1);
	assert_int_equal(d.findings[0].cause, EVENTS_CAUSE_REPO_REMOVED);
	events_diagnosis_release(&d);
	events_state_release(&st);
	free(rows);
}

static void
events_bad_arguments(void **state)
{
	struct events_state st;
	struct events_diagnosis d;

	(void)state;
	events_state_init(&st);
	assert_int_equal(events_fold(NULL, 0, &st), 0);
	assert_int_equal(events_fold(NULL, 1, &st), -1);
	assert_int_equal(events_fold(tl_healthy, 1, NULL), -1);
	assert_int_equal(events_diagnose(NULL, 0, &st, &d), 0);
	assert_int_equal(d.nfindings, 0);
	assert_int_equal(events_diagnose(NULL, 1, &st, &d), -1);
	assert_int_equal(d.nfindings, 0);
	assert_int_equal(events_diagnose(NULL, 0, NULL, &d), -1);
	assert_int_equal(events_diagnose(NULL, 0, &st, NULL), -1);
	events_diagnosis_release(&d);
	events_diagnosis_release(NULL);
	events_state_release(&st);
}

#define REPOEV(i, t, ev, rid, from, to)                               \
 {                                                                    \
  .id = (i), .received_at = t, .event = ev, .entity_name = "octocat", \
  .repo_id = (rid), .repo = from, .repo_to = to                       \
 }
#define AUTHMSG(i, t, status, msg)                                  \
 {                                                                  \
  .id = (i), .received_at = t, .event = "auth_attempt.other_error", \
  .app_id = 1, .installation_id = 42, .entity_name = "octocat",     \
  .http_status = (status), .repo = "octocat/a", .message = msg      \
 }
#define PLAN(i, t, action)                                              \
 {                                                                      \
  .id = (i), .received_at = t, .event = "marketplace_purchase." action, \
  .entity_name = "octocat"                                              \
 }

static const struct events_row tl_repo_renamed[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
	REPOEV(2, T(11), "repository.renamed", 7, "octocat/a", "octocat/b"),
	AUTH404(3, T(12), 1, "octocat/a", "octocat"),
};
static const struct events_row tl_repo_renamed_other[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	REPOEV(2, T(11), "repository.renamed", 7, "octocat/c", "octocat/d"),
	AUTHERR(3, T(12), 404, "octocat/a"),
};
static const struct events_row tl_repo_transferred[] = {
	CREATED(1, T(10), 1, 42, "selected", "octocat/a"),
	REMOVED(2, T(11), "octocat/a"),
	REPOEV(3, T(11), "repository.transferred", 7, "octocat/a", "hubot/a"),
	AUTH404(4, T(12), 1, "octocat/a", "octocat"),
};
static const struct events_row tl_repo_deleted[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	REPOEV(2, T(11), "repository.deleted", 7, "OctoCat/A", "OctoCat/A"),
	AUTH404(3, T(12), 1, "octocat/a", "octocat"),
};
static const struct events_row tl_repo_deleted_after[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	AUTH404(2, T(11), 1, "octocat/a", "octocat"),
	REPOEV(3, T(12), "repository.deleted", 7, "octocat/a", "octocat/a"),
};
static const struct events_row tl_plan_cancelled[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	PLAN(2, T(11), "cancelled"),
	AUTHERR(3, T(12), 404, "octocat/a"),
};
static const struct events_row tl_plan_repurchased[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	PLAN(2, T(11), "cancelled"),
	PLAN(3, T(12), "purchased"),
};
static const struct events_row tl_bad_credentials[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	AUTHMSG(2, T(11), 401, "A JSON web token could not be decoded"),
};
static const struct events_row tl_rate_limited_403[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	AUTHMSG(2, T(11), 403, "API rate limit exceeded for installation"),
};
static const struct events_row tl_forbidden_403[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	AUTHMSG(2, T(11), 403, "Resource not accessible by integration"),
};
static const struct events_row tl_rate_limited_429[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	AUTHMSG(2, T(11), 429, NULL),
};
static const struct events_row tl_unavailable_503[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	AUTHMSG(2, T(11), 503, "Service Unavailable"),
};
static const struct events_row tl_unavailable_transport[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	{ .id = 2,
	    .received_at = T(11),
	    .event = "auth_attempt.transport_error",
	    .app_id = 1,
	    .installation_id = 42,
	    .entity_name = "octocat",
	    .repo = "octocat/a",
	    .message = "Couldn't connect to server" },
};
static const struct events_row tl_unavailable_recovered[] = {
	CREATED(1, T(10), 1, 42, "all", "octocat/a"),
	AUTHMSG(2, T(11), 503, "Service Unavailable"),
	SUSPEND(3, T(12)),
	UNSUSPEND(4, T(13)),
};

static void
events_new_causes(void **state)
{
	static const struct diag_case cases[] = {
		{ "repo renamed", TL(tl_repo_renamed),
		    { { EVENTS_CAUSE_REPO_RENAMED, { 2, 3 }, 2 } }, 1 },
		{ "another repo renamed", TL(tl_repo_renamed_other), { { 0 } },
		    0 },
		{ "repo transferred, not also removed", TL(tl_repo_transferred),
		    { { EVENTS_CAUSE_REPO_TRANSFERRED, { 3, 4 }, 2 } }, 1 },
		{ "repo deleted", TL(tl_repo_deleted),
		    { { EVENTS_CAUSE_REPO_DELETED, { 2, 3 }, 2 } }, 1 },
		{ "repo deleted after the failure", TL(tl_repo_deleted_after),
		    { { 0 } }, 0 },
		{ "plan cancelled", TL(tl_plan_cancelled),
		    { { EVENTS_CAUSE_PLAN_CANCELLED, { 2, 3 }, 2 } }, 1 },
		{ "plan purchased again", TL(tl_plan_repurchased), { { 0 } },
		    0 },
		{ "401", TL(tl_bad_credentials),
		    { { EVENTS_CAUSE_BAD_CREDENTIALS, { 2 }, 1 } }, 1 },
		{ "403 rate limit", TL(tl_rate_limited_403),
		    { { EVENTS_CAUSE_RATE_LIMITED, { 2 }, 1 } }, 1 },
		{ "403 other", TL(tl_forbidden_403), { { 0 } }, 0 },
		{ "429", TL(tl_rate_limited_429),
		    { { EVENTS_CAUSE_RATE_LIMITED, { 2 }, 1 } }, 1 },
		{ "503", TL(tl_unavailable_503),
		    { { EVENTS_CAUSE_GITHUB_UNAVAILABLE, { 2 }, 1 } }, 1 },
		{ "transport", TL(tl_unavailable_transport),
		    { { EVENTS_CAUSE_GITHUB_UNAVAILABLE, { 2 }, 1 } }, 1 },
		{ "503 then unsuspend", TL(tl_unavailable_recovered), { { 0 } },
		    0 },
	};

	(void)state;
	run_cases(cases, NITEMS(cases));
}

static void
events_new_cause_summaries(void **state)
{
	(void)state;
	assert_summary(TL(tl_repo_renamed),
	    "the repository 'octocat/a' was renamed to 'octocat/b' on "
	    "2026-11-20T11:00:00Z; its jobs cannot authenticate under the old "
	    "name");
	assert_summary(TL(tl_bad_credentials),
	    "GitHub refused the JWT of app '1' with 401 (GitHub: 'A JSON web "
	    "token could not be decoded') at 2026-11-20T11:00:00Z; the private "
	    "key or app id is wrong, and every installation of the app fails "
	    "alike");
	assert_summary(TL(tl_unavailable_transport),
	    "GitHub could not be reached: 'Couldn't connect to server' at "
	    "2026-11-20T11:00:00Z");
	assert_summary(TL(tl_unavailable_503),
	    "GitHub answered 503 (GitHub: 'Service Unavailable') at "
	    "2026-11-20T11:00:00Z");
	assert_summary(TL(tl_rate_limited_403),
	    "GitHub rate-limited app '1' with 403 (GitHub: 'API rate limit "
	    "exceeded for installation') at 2026-11-20T11:00:00Z");
	assert_summary(TL(tl_rate_limited_429),
	    "GitHub rate-limited app '1' with 429 at 2026-11-20T11:00:00Z");
	assert_summary(TL(tl_plan_cancelled),
	    "the Marketplace plan of 'octocat' was cancelled on "
	    "2026-11-20T11:00:00Z and not purchased again");
}

static void
events_cause_names(void **state)
{
	static const char *const want[EVENTS_CAUSE__MAX] = {
		[EVENTS_CAUSE_UNINSTALLED] = "uninstalled",
		[EVENTS_CAUSE_SUSPENDED] = "suspended",
		[EVENTS_CAUSE_REPO_REMOVED] = "repo_removed",
		[EVENTS_CAUSE_RENAMED] = "renamed",
		[EVENTS_CAUSE_WRONG_APP] = "wrong_app",
		[EVENTS_CAUSE_REPO_NOT_SELECTED] = "repo_not_selected",
		[EVENTS_CAUSE_REPO_RENAMED] = "repo_renamed",
		[EVENTS_CAUSE_REPO_TRANSFERRED] = "repo_transferred",
		[EVENTS_CAUSE_REPO_DELETED] = "repo_deleted",
		[EVENTS_CAUSE_PLAN_CANCELLED] = "plan_cancelled",
		[EVENTS_CAUSE_BAD_CREDENTIALS] = "bad_credentials",
		[EVENTS_CAUSE_RATE_LIMITED] = "rate_limited",
		[EVENTS_CAUSE_GITHUB_UNAVAILABLE] = "github_unavailable",
		[EVENTS_CAUSE_RECOVERED] = "recovered",
	};

	(void)state;
	for (int c = 0; c < EVENTS_CAUSE__MAX; c++)
		assert_string_equal(events_cause_name((enum events_cause)c),
		    want[c]);
	assert_null(events_cause_name(EVENTS_CAUSE__MAX));
	assert_null(events_cause_name((enum events_cause) - 1));
}

/* The status rule alone, as the diagnosis and the notifier read it. */
static void
events_auth_cause_by_status(void **state)
{
	static const struct {
		int status;
		const char *message;
		enum events_cause want;
	} cases[] = {
		{ 401, "Bad credentials", EVENTS_CAUSE_BAD_CREDENTIALS },
		{ 401, NULL, EVENTS_CAUSE_BAD_CREDENTIALS },
		{ 429, NULL, EVENTS_CAUSE_RATE_LIMITED },
		{ 403, "API rate limit exceeded for installation ID 1.",
		    EVENTS_CAUSE_RATE_LIMITED },
		{ 403, "You have exceeded a secondary RATE LIMIT",
		    EVENTS_CAUSE_RATE_LIMITED },
		{ 403, "Resource not accessible by integration",
		    EVENTS_CAUSE__MAX },
		{ 403, NULL, EVENTS_CAUSE__MAX },
		{ 500, NULL, EVENTS_CAUSE_GITHUB_UNAVAILABLE },
		{ 503, "Service Unavailable", EVENTS_CAUSE_GITHUB_UNAVAILABLE },
		{ 599, NULL, EVENTS_CAUSE_GITHUB_UNAVAILABLE },
		{ 0, "Connection refused", EVENTS_CAUSE_GITHUB_UNAVAILABLE },
		{ 404, "Not Found", EVENTS_CAUSE__MAX },
		{ 422, NULL, EVENTS_CAUSE__MAX },
		{ 600, NULL, EVENTS_CAUSE__MAX },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(events_auth_cause(cases[i].status,
		                     cases[i].message),
		    cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_healthy_timeline_is_clean),
		cmocka_unit_test(events_uninstalled_until_reinstall),
		cmocka_unit_test(events_suspended_until_unsuspend),
		cmocka_unit_test(events_repo_removed_until_readded),
		cmocka_unit_test(events_renamed_when_login_is_stale),
		cmocka_unit_test(events_wrong_app_uses_live_installation),
		cmocka_unit_test(events_repo_not_selected_unless_added),
		cmocka_unit_test(events_several_causes_in_order),
		cmocka_unit_test(events_summaries_name_values),
		cmocka_unit_test(events_summaries_without_values),
		cmocka_unit_test(events_fold_tracks_installation),
		cmocka_unit_test(events_fold_suspend_delete_reinstall),
		cmocka_unit_test(events_fold_rename),
		cmocka_unit_test(events_fold_entity_name),
		cmocka_unit_test(events_fold_null_strings),
		cmocka_unit_test(events_fold_in_pages),
		cmocka_unit_test(events_fold_many_rows),
		cmocka_unit_test(events_bad_arguments),
		cmocka_unit_test(events_new_causes),
		cmocka_unit_test(events_new_cause_summaries),
		cmocka_unit_test(events_cause_names),
		cmocka_unit_test(events_auth_cause_by_status),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
