/* SPDX-License-Identifier: MIT */
/* The fleet's query: the accounts whose scheduler auth fails (GET
 * /trace/failing). */
#ifndef INSTLOG_DB_FLEET_H
#define INSTLOG_DB_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* An account whose scheduler auth failed in the window, not recovered. */
struct db_fleet_candidate {
	int64_t entity_id;
	int64_t installation_id; /* of its last failure */
	char *entity_type;       /* of its last failure, or NULL */
	char *first_at;          /* RFC 3339 UTC, the first failure since */
	char *last_at;           /* ... and the last */
	int64_t failures;        /* failure rows since */
	int64_t last_id;         /* the last failure's row id: the cursor */
};

struct db_fleet_candidates {
	struct db_fleet_candidate *v;
	size_t n;
};

/*
 * The accounts with an auth_attempt.* row at or after 'since' (RFC 3339),
 * newest last failure first, after the one whose last failure is row
 * 'cursor' (0: from the start), at most 'limit' of them.  Recovered ones
 * are left out: a successful auth of the installation after the last
 * failure (auth_cache), or a later installation.created or unsuspend.
 * Reads the failure rows of the window by sql/016's index, never the log.
 * Fills *out (release with db_fleet_candidates_release()).  Returns DB_OK,
 * DB_REFUSED when 'cursor' names no failure row, or an error (logged).
 */
enum db_status db_fleet_candidates(struct db *db, const char *since,
    int64_t cursor, int64_t limit, struct db_fleet_candidates *out);

/*
 * When account 'entity_id' recovered from its auth failure at
 * 'failure_at' (RFC 3339): the first installation.created or unsuspend
 * after it, or the successful auth of installation 'installation_id'
 * after it (auth_cache), whichever came first, into 'at' (size 'size',
 * RFC 3339 UTC).  Returns DB_OK, DB_NOTFOUND when it has not, or an error.
 */
enum db_status db_fleet_recovered_at(struct db *db, int64_t entity_id,
    int64_t installation_id, const char *failure_at, char *at, size_t size);

/* Free what 'c' holds (NULL accepted) and make it empty. */
void db_fleet_candidates_release(struct db_fleet_candidates *c);

#endif
