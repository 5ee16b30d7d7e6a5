/* SPDX-License-Identifier: MIT */
/*
 * The rows of an entity's timeline and their fold into a state; the
 * diagnosis of the fold is in events_diagnose.h, the rows it may still
 * read in events_keep.h.
 */
#ifndef INSTLOG_EVENTS_H
#define INSTLOG_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The version of the fold and diagnosis rules.  Bump it with any change
 * to what events_fold(), events_diagnose() or events_keep() compute: stored
 * snapshots of a fold (lib/core/checkpoint.c) made under another version are
 * then ignored and rebuilt.
 */
#define EVENTS_RULES_VERSION 2

/*
 * One installation_events row, with the payload fields the fold needs
 * already extracted (in SQL).  Every string is borrowed and may be NULL;
 * ids of 0 mean null.  Row ids are positive.
 */
struct events_row {
	int64_t id;
	/* RFC 3339 UTC, e.g. "2026-11-24T10:00:00.123456Z". */
	const char *received_at;
	/* "installation.created", "auth_attempt.404", ... */
	const char *event;
	int64_t app_id;
	int64_t installation_id;
	/* The account login as this event saw it. */
	const char *entity_name;
	/* "all" or "selected": installation.*, installation_repositories.*. */
	const char *repository_selection;
	/*
	 * Repository full_names: the payload's repositories for
	 * installation.created, repositories_added for
	 * installation_repositories.added, repositories_removed for
	 * installation_repositories.removed.  NULL entries are skipped.
	 */
	const char *const *repos;
	size_t nrepos;
	/* installation_target.renamed: changes.login.from, account.login. */
	const char *old_login;
	const char *new_login;
	/* auth_attempt.*: the HTTP status GitHub answered (0 for a
	 * transport_error), and the repository.full_name of the job behind
	 * the attempt.  repository.*: the full_name the repository had before
	 * the event (the old name of a rename, the old owner of a transfer). */
	int http_status;
	const char *repo;
	/* repository.*: the full_name after the event; auth_attempt.*:
	 * GitHub's message, or the transport error. */
	const char *repo_to;
	const char *message;
	/* repository.id, where the row has it (0 when not). */
	int64_t repo_id;
};

/* The last failed scheduler auth attempt.  Strings are owned, may be NULL. */
struct events_auth_failure {
	bool present;
	bool is_404; /* auth_attempt.404, else auth_attempt.other_error */
	int64_t id;
	char *at;
	int64_t app_id;
	int64_t installation_id;
	int http_status;
	char *repo;
	/* The entity_name the scheduler used: stale after a rename. */
	char *entity_name;
	/* GitHub's message, or the transport error; repository.id or 0. */
	char *message;
	int64_t repo_id;
	/* An installation.created or unsuspend came after it. */
	bool cleared;
};

/*
 * The folded state of one entity.  Owns all its strings and arrays.
 * Initialise with events_state_init(), release with events_state_release().
 */
struct events_state {
	bool installed;
	bool suspended;
	/* Of the latest installation.created (kept after a deletion). */
	int64_t installation_id;
	int64_t app_id;
	char *repository_selection;
	/* Current repository full_names, sorted case-insensitively, unique. */
	char **repos;
	size_t nrepos;
	/* Current login, and the logins it had before, oldest first. */
	char *entity_name;
	char **previous_names;
	size_t nprevious_names;
	struct events_auth_failure last_auth_failure;
	/* Evidence ids, 0 when none. */
	int64_t created_id; /* latest installation.created */
	int64_t deleted_id; /* installation.deleted not followed by created */
	int64_t suspend_id; /* installation.suspend still in force */
	int64_t renamed_id; /* latest installation_target.renamed */
	/* marketplace_purchase.cancelled not followed by purchased */
	int64_t plan_cancelled_id;
};

/* Initialise an empty state (nothing installed); allocates nothing. */
void events_state_init(struct events_state *st);

/* Free everything 'st' owns (NULL accepted) and make it empty again. */
void events_state_release(struct events_state *st);

/*
 * Apply the 'n' rows of 'rows', in the order given, to 'st', which must
 * have been initialised with events_state_init() (and may already hold
 * the fold of earlier rows, so a long timeline can be folded in pages).
 * The caller passes rows in (received_at, id) order.  Rows whose event is
 * workflow_job.*, NULL or unknown are ignored.  Nothing of 'rows' is
 * retained.
 *
 * installation.* (other than the changes below), installation_repositories.*
 * and installation_target.* rows make a non-NULL entity_name the current
 * one, keeping the one it replaces in previous_names.  auth_attempt.* rows
 * carry the scheduler's cached login, so they only set entity_name while
 * it is still NULL.  installation_target.renamed sets it to new_login (or
 * the row's entity_name) and rewrites the owner of the repos.
 * installation.deleted also ends a suspension.  installation.created and
 * unsuspend mark the last auth failure cleared.  repository.* rows change
 * nothing of the state (the diagnosis reads them);
 * marketplace_purchase.cancelled sets plan_cancelled_id, purchased clears
 * it.  Neither changes entity_name.
 *
 * Returns 0, or -1 on invalid arguments or when out of memory; 'st' is
 * then valid but incomplete, and the caller still releases it.
 */
int events_fold(const struct events_row *rows, size_t n,
    struct events_state *st);

#endif
