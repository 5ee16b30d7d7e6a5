/* SPDX-License-Identifier: MIT */
/*
 * The diagnosis of an entity's timeline: the causes of failing auth that
 * its rows and their fold (lib/core/events.h) can prove.
 */
#ifndef INSTLOG_EVENTS_DIAGNOSE_H
#define INSTLOG_EVENTS_DIAGNOSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/events.h"

/*
 * The causes of failing auth the diagnosis knows.  The output order is not
 * this one: the most specific first (events_diagnose()).
 */
enum events_cause {
	EVENTS_CAUSE_UNINSTALLED,
	EVENTS_CAUSE_SUSPENDED,
	EVENTS_CAUSE_REPO_REMOVED,
	EVENTS_CAUSE_RENAMED,
	EVENTS_CAUSE_WRONG_APP,
	EVENTS_CAUSE_REPO_NOT_SELECTED,
	EVENTS_CAUSE_REPO_RENAMED,
	EVENTS_CAUSE_REPO_TRANSFERRED,
	EVENTS_CAUSE_REPO_DELETED,
	EVENTS_CAUSE_PLAN_CANCELLED,
	EVENTS_CAUSE_BAD_CREDENTIALS,
	EVENTS_CAUSE_RATE_LIMITED,
	EVENTS_CAUSE_GITHUB_UNAVAILABLE,
	/*
	 * Not found by events_diagnose(): the trace routes add it when the
	 * account authenticated again after its last failure (DESIGN §12).
	 */
	EVENTS_CAUSE_RECOVERED,
	EVENTS_CAUSE__MAX
};

/* The most evidence ids of one finding. */
#define EVENTS_EVIDENCE_MAX 3

/*
 * One cause that holds.  'summary' is one line for a user, owned;
 * 'evidence' holds the ids of the rows that prove it, in timeline order.
 */
struct events_finding {
	enum events_cause cause;
	char *summary;
	int64_t evidence[EVENTS_EVIDENCE_MAX];
	size_t nevidence;
};

/* The causes that hold, at most one per cause, most specific first. */
struct events_diagnosis {
	struct events_finding findings[EVENTS_CAUSE__MAX];
	size_t nfindings;
};

/* Initialise an empty diagnosis; allocates nothing. */
void events_diagnosis_init(struct events_diagnosis *d);

/* Free the summaries of 'd' (NULL accepted) and make it empty again. */
void events_diagnosis_release(struct events_diagnosis *d);

/*
 * Diagnose why auth fails, from 'st', the fold of exactly the 'n' rows
 * of 'rows', and the order of those rows.  "The failing repo" is the repo
 * of the last auth failure; repos match case-insensitively, and under any
 * login the entity had.  The causes:
 *
 *   uninstalled        installation.deleted, no created since.  Evidence:
 *                      the deletion, the first and last auth_attempt.404
 *                      after it.
 *   suspended          installation.suspend, no unsuspend, deleted or
 *                      created since.  Evidence: the suspension, the first
 *                      and last auth failure after it.
 *   repo_removed       installation_repositories.removed named the failing
 *                      repo before the failure, and no added or created
 *                      named it since.  Evidence: removal, failure.
 *   renamed            the last auth failure came after the latest
 *                      installation_target.renamed with a login other
 *                      than the current one.  Evidence: rename, failure.
 *   wrong_app          the last auth_attempt.404 after the live
 *                      installation's created used another app_id.
 *                      Evidence: created, 404.
 *   repo_not_selected  the live installation has repository_selection
 *                      "selected", the last auth failure came after its
 *                      created, and no row ever added the failing repo.
 *                      Evidence: created, failure.
 *   repo_renamed       a repository.renamed before the last failure whose
 *   repo_transferred   old name (or repository id) is the failing repo's;
 *   repo_deleted       likewise repository.transferred (old owner) and
 *                      repository.deleted.  Evidence: that row, failure.
 *                      When one holds, repo_removed and repo_not_selected
 *                      do not: the repository left, it was not unselected.
 *   plan_cancelled     marketplace_purchase.cancelled, no purchased
 *                      since.  Evidence: the cancellation, the last
 *                      failure after it.
 *   bad_credentials    the last failure is a 401: GitHub refused the JWT.
 *   rate_limited       the last failure is a 429, or a 403 whose message
 *                      says "rate limit".
 *   github_unavailable the last failure is a 5xx or a transport_error.
 *                      These three hold only while no created or unsuspend
 *                      came after the failure.  Evidence: the failure.
 *
 * Output order, the most specific first: the repository causes (they
 * explain the failing repo), the status causes (they explain the failing
 * status), then the six of the installation in enum order, then
 * plan_cancelled.
 *
 * Fills *out, which the caller releases with events_diagnosis_release();
 * a healthy timeline gives no findings.  Nothing is retained.  Returns 0,
 * or -1 on invalid arguments or when out of memory, with *out left empty.
 */
int events_diagnose(const struct events_row *rows, size_t n,
    const struct events_state *st, struct events_diagnosis *out);

/*
 * The cause of one failed token request of the scheduler by what GitHub
 * answered: its 'http_status' (0: GitHub not reached, a transport
 * failure) and its 'message' (NULL accepted).  The rule of the three
 * status causes above: EVENTS_CAUSE_BAD_CREDENTIALS for a 401,
 * EVENTS_CAUSE_RATE_LIMITED for a 429 or a 403 whose message says "rate
 * limit", EVENTS_CAUSE_GITHUB_UNAVAILABLE for a 5xx or 0; else
 * EVENTS_CAUSE__MAX (a 404 or a plain 403: the timeline tells why, not
 * the status).  The notifier announces each auth failure once per
 * installation and this cause.
 */
enum events_cause events_auth_cause(int http_status, const char *message);

/* The code of cause 'c' (a static string), or NULL when out of range. */
const char *events_cause_name(enum events_cause c);

#endif
