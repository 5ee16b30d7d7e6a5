/* SPDX-License-Identifier: MIT */
/* The scheduler auth check's queries: lock, targets, cache, failure rows. */
#ifndef INSTLOG_DB_AUTH_CHECK_H
#define INSTLOG_DB_AUTH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/*
 * The pg_try_advisory_lock key that serialises auth check runs
 * (cronrun_main()): "instlog" and 1, 7597136565293246209 in decimal.  An
 * operator may hold it from psql (SELECT pg_advisory_lock(
 * 7597136565293246209)) to pause the check.
 */
#define DB_AUTH_CHECK_LOCK_KEY 0x696e73746c6f6701LL

/* An installation with pending jobs, and one of those jobs. */
struct db_auth_check_target {
	int64_t installation_id;
	char *entity_type; /* "Organization", "User", or NULL */
	int64_t entity_id;
	char *entity_name;
	int64_t job_id; /* the pending job with the lowest id */
	char *repo_full_name;
};

/* The installations to check, and how many were skipped as cached. */
struct db_auth_check_targets {
	struct db_auth_check_target *v;
	size_t n;
	size_t ncached;
};

/*
 * List the installations that have pending jobs, each with the entity and
 * the lowest-numbered pending job, in installation_id order.  The app
 * variant of an installation is chosen by that job's entity_type:
 * Organization → 'org_app_id', User → 'user_app_id' (0: not configured).
 * Installations whose auth_cache entry for that app is still valid are
 * only counted in out->ncached; the others, also those with no usable
 * variant, are listed in out->v.  The caller releases *out with
 * db_auth_check_targets_release(), also on error.  Returns DB_OK, DB_ERROR or
 * DB_UNAVAILABLE.
 */
enum db_status db_auth_check_targets_get(struct db *db, int64_t org_app_id,
    int64_t user_app_id, struct db_auth_check_targets *out);

/* Free what *t holds (NULL accepted). */
void db_auth_check_targets_release(struct db_auth_check_targets *t);

/*
 * Record successful authentications: for each i < n, cache
 * (installation_ids[i], app_ids[i]) as good for 59 minutes from now,
 * replacing an older entry.  One statement.  Returns DB_OK, DB_ERROR or
 * DB_UNAVAILABLE.
 */
enum db_status db_auth_check_cache_put(struct db *db,
    const int64_t *installation_ids, const int64_t *app_ids, size_t n);

/* A refused authentication of one installation. */
struct db_auth_check_failure {
	const struct db_auth_check_target *target;
	int64_t app_id; /* the app tried */
	long http_status;
	const char *message; /* GitHub's, or NULL */
	/*
	 * GitHub said the installation does not exist: a 404 with GitHub's
	 * JSON error body.  Any other refusal, a proxy's HTML 404 included,
	 * is not.
	 */
	bool not_found;
	/* GitHub was not reached: http_status 0, 'message' the error. */
	bool transport;
	int64_t operation_id; /* 0: none */
};

/*
 * Append the scheduler row of 'f' to installation_events: source
 * 'scheduler', event auth_attempt.404 / outcome auth_404 when
 * f->not_found, else auth_attempt.other_error / auth_other_error, with the
 * payload of docs/data-model.md#scheduler-rows.  When not_found, in the
 * same statement (so the same
 * transaction), also set the installation's pending jobs to failed with
 * failure_info {"version":1,"message":"installation not found for
 * installation_id=N entity_type=T","operation_id":N}.  The row (column
 * and payload) carries f->operation_id too.  Sets *event_id to the row's
 * id, *nfailed to how many jobs were failed and *jobs to their ids,
 * comma-separated ("" for none; the caller frees it).  Returns DB_OK,
 * DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_auth_check_failure_record(struct db *db,
    const struct db_auth_check_failure *f, int64_t *event_id, int64_t *nfailed,
    char **jobs);

#endif
