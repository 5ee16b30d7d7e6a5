/* SPDX-License-Identifier: MIT */
/* The fold_checkpoints table (part of the db module). */
#ifndef INSTLOG_DB_CHECKPOINT_H
#define INSTLOG_DB_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* A stored snapshot and the position of the last row it covers. */
struct db_checkpoint {
	bool found;
	int64_t entity_id;
	char received_at[40]; /* RFC 3339 UTC with microseconds */
	int64_t event_id;
	int64_t nrows;
	int64_t max_id;      /* no row it covers has a higher id */
	unsigned char *data; /* the encoded snapshot */
	size_t len;
};

/*
 * Read into *out the latest snapshot of 'entity_id' of version 'version'
 * that covers no row after 'at' (NULL or "": any), and that is still
 * whole: no row with an id above its max_id was inserted at or before its
 * position since it was made.  out->found is false when there is none.
 * Emptying installation_events (TRUNCATE) requires emptying
 * fold_checkpoints too.  Returns DB_OK or an error; either way the caller
 * releases *out with db_checkpoint_release().
 */
enum db_status db_checkpoint_latest(struct db *db, int64_t entity_id,
    int version, const char *at, struct db_checkpoint *out);

/*
 * The latest snapshot of version 'version' of each of the 'n' entities
 * 'ids' (no 'at') in one statement, into out[i], and into whole[i]
 * whether it is still whole (db_checkpoint_latest() would read it).  An
 * entity whose latest is not whole needs db_checkpoint_latest() alone.
 * Returns DB_OK or an error; the caller releases each out[i] either way.
 */
enum db_status db_checkpoint_latest_many(struct db *db, const int64_t *ids,
    size_t n, int version, struct db_checkpoint *out, bool *whole);

/* Free what 'c' holds (NULL accepted) and make it empty. */
void db_checkpoint_release(struct db_checkpoint *c);

/*
 * Set *max_id to an id that no row inserted from now on can have or be
 * below (0: none can be told now): every id the sequence gave when no
 * transaction that writes is in flight, else the id before the first hole
 * among the last 10,000 ids (a hole may be a row still being inserted).
 * Rows read afterwards with ids up to it are then all the rows there are
 * with such ids.  *max_id is 0 too when 'from' (out->found false: none),
 * the snapshot those rows follow, is no longer whole: rows inserted before
 * now may be missing from it, so no snapshot may be made from it.
 * Returns DB_OK or an error; a refusal (the role may not read the
 * sequence) counts as for db_checkpoint_store().
 */
enum db_status db_checkpoint_max_id(struct db *db,
    const struct db_checkpoint *from, int64_t *max_id);

/* A snapshot to store: it covers every row up to its position. */
struct db_checkpoint_new {
	const char *received_at;
	int64_t event_id;
	int64_t nrows;
	const unsigned char *data;
	size_t len;
};

/*
 * Store the 'n' snapshots 'v' (in timeline order) of 'entity_id', made
 * by folding from the snapshot at position ('from_at', 'from_id') (NULL
 * 'from_at': from the start) with the max_id of db_checkpoint_max_id().
 * They replace the entity's snapshots between that position and the last
 * of 'v' (stale ones among them included), and every snapshot of an older
 * version than 'version'.  Nothing of 'v' is retained.
 *
 * Returns DB_OK or an error.  When the role may not write (SELECT only,
 * or a standby), it logs that once and no later call of the process
 * tries again: see db_checkpoint_writable().
 */
enum db_status db_checkpoint_store(struct db *db, int64_t entity_id,
    int version, const char *from_at, int64_t from_id, int64_t max_id,
    const struct db_checkpoint_new *v, size_t n);

/* False once db_checkpoint_store() found it may not write. */
bool db_checkpoint_writable(void);

/* The advisory lock held by a run of cron/snapshot. */
#define DB_SNAPSHOT_LOCK_KEY 0x696e73746c6f6705LL

/*
 * Read how far cron/snapshot has read the log (fold_checkpoint_scan,
 * sql/014) into *version and *scanned_id: 0 and 0 before its first run.
 * Returns DB_OK or an error.
 */
enum db_status db_checkpoint_scan_get(struct db *db, int *version,
    int64_t *scanned_id);

/*
 * Record that every non-job row with an id up to 'scanned_id' was read
 * with snapshots of 'version'.  Returns DB_OK or an error.
 */
enum db_status db_checkpoint_scan_set(struct db *db, int version,
    int64_t scanned_id);

/*
 * The window after 'after_id': set *last_id to the id of the 'rows'-th
 * non-job row with an id above 'after_id' and at most 'upto_id', or of
 * the last such row when there are fewer, or to 0 when there is none.
 * Returns DB_OK or an error.
 */
enum db_status db_checkpoint_window(struct db *db, int64_t after_id,
    int64_t upto_id, int64_t rows, int64_t *last_id);

/*
 * The accounts with a long tail among those of the non-job rows with ids
 * in ('after_id', 'upto_id']: those with 'every' rows or more after their
 * latest usable snapshot of 'version' (the one db_checkpoint_latest()
 * reads), or 'every' rows or more when they have none.  The first 'max'
 * of them by id, leaving out the 'nskip' ids of 'skip' (borrowed), go to
 * the caller's array 'ids', *n of them.  Returns DB_OK or an error.
 */
enum db_status db_checkpoint_long_tails(struct db *db, int version,
    int64_t after_id, int64_t upto_id, size_t every, const int64_t *skip,
    size_t nskip, int64_t *ids, size_t max, size_t *n);

#endif
