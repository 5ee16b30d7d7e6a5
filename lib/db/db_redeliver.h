/* SPDX-License-Identifier: MIT */
/* The redelivery sweep's queries: lock, high-water marks, asks made. */
#ifndef INSTLOG_DB_REDELIVER_H
#define INSTLOG_DB_REDELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/redeliver.h"
#include "db/db.h"

/*
 * The advisory lock key that serialises sweeps: "instlog" and 2,
 * 7597136565293246210 in decimal (the auth check's is "instlog" and 1).
 */
#define DB_REDELIVER_LOCK_KEY 0x696e73746c6f6702LL

/* Requests last made longer ago than this are forgotten. */
#define DB_REDELIVER_KEEP_DAYS 30

/*
 * Set *swept_until to the high-water mark of app 'app_id' (seconds since
 * the epoch), or 0 when it was never swept.  Returns DB_OK, DB_ERROR or
 * DB_UNAVAILABLE.
 */
enum db_status db_redeliver_sweep_get(struct db *db, int64_t app_id,
    time_t *swept_until);

/*
 * Move the high-water mark of app 'app_id' to 'swept_until', unless it is
 * already later.  Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_redeliver_sweep_put(struct db *db, int64_t app_id,
    time_t swept_until);

/*
 * For each of the 'n' guids of 'failed', fill states[i]: whether
 * installation_events has a row with that delivery_id, and how many times
 * and how long ago redelivery_requests says we asked for it.  One
 * statement.  Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_redeliver_states_get(struct db *db,
    const struct redeliver_failed *failed, size_t n,
    struct redeliver_state *states);

/*
 * Record that we asked GitHub to redeliver 'f' for app 'app_id' and that
 * it answered 'http_status': the first ask adds the guid, later ones
 * count it and move requested_at to now.  Sets *asked to the number of
 * asks so far.  'operation_id' (0: none) is the sweep that asked: a
 * delivery of that guid received later shows it as redelivered_by in the
 * trace.  Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_redeliver_record(struct db *db, int64_t app_id,
    const struct redeliver_failed *f, long http_status, int64_t operation_id,
    int64_t *asked);

/*
 * Delete the requests last made more than DB_REDELIVER_KEEP_DAYS ago:
 * GitHub redelivers nothing that old.  Returns DB_OK, DB_ERROR or
 * DB_UNAVAILABLE.
 */
enum db_status db_redeliver_prune(struct db *db);

#endif
