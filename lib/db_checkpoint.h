/* SPDX-License-Identifier: MIT */
/* The fold_checkpoints table (part of the db module). */
#ifndef INSTLOG_DB_CHECKPOINT_H
#define INSTLOG_DB_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* A stored snapshot and the position of the last row it covers. */
struct db_checkpoint {
	bool found;
	char received_at[40]; /* RFC 3339 UTC with microseconds */
	int64_t event_id;
	int64_t nrows;
	unsigned char *data; /* the encoded snapshot */
	size_t len;
	int64_t max_id; /* see db_checkpoint_latest() */
};

/*
 * Read into *out the latest snapshot of 'entity_id' of version 'version'
 * that covers no row after 'at' (NULL or "": any), and that is still
 * whole: its last row is there, and no row with an id above its max_id
 * was inserted at or before its position since.  out->found is false when
 * there is none.
 *
 * With 'want_max_id', out->max_id is set, in the same database snapshot,
 * to an id that no row inserted from then on can have or be below: the
 * highest id when no transaction that writes is in flight, else the id
 * before the first hole among the last 10,000 ids (a hole may be a row
 * still being inserted).  Rows read afterwards with ids up to it are then
 * every row there is with such ids, and a row inserted at or before the
 * position of a snapshot made from them, with a higher id, will make the
 * snapshot unusable, as it makes this one.
 *
 * Returns DB_OK or an error; either way the caller releases *out with
 * db_checkpoint_release().
 */
enum db_status db_checkpoint_latest(struct db *db, int64_t entity_id,
    int version, const char *at, bool want_max_id, struct db_checkpoint *out);

/* Free what 'c' holds (NULL accepted) and make it empty. */
void db_checkpoint_release(struct db_checkpoint *c);

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
 * 'from_at': from the start) with the max_id of db_checkpoint_latest().
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

#endif
