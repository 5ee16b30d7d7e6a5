/* SPDX-License-Identifier: MIT */
/* The fold_checkpoints table (part of the db module). */
#ifndef INSTLOG_DB_CHECKPOINT_H
#define INSTLOG_DB_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

/*
 * Begin a REPEATABLE READ READ ONLY transaction, so that the snapshot
 * lookup, the rows after it and db_checkpoint_max_id() see one database
 * state.  End it with db_checkpoint_end().  Returns DB_OK or an error.
 */
enum db_status db_checkpoint_begin(struct db *db);

/*
 * Commit the transaction of db_checkpoint_begin().  Returns DB_OK, or
 * DB_ERROR when the statements since did not all run inside it (the
 * connection was lost and made again in between).
 */
enum db_status db_checkpoint_end(struct db *db);

/* A stored snapshot and the position of the last row it covers. */
struct db_checkpoint {
	bool found;
	char received_at[40]; /* RFC 3339 UTC with microseconds */
	int64_t event_id;
	int64_t nrows;
	unsigned char *data; /* the encoded snapshot */
	size_t len;
};

/*
 * Read into *out the latest snapshot of 'entity_id' of version 'version'
 * that covers no row after 'at' (NULL or "": any), and that is still
 * whole: its last row is there, and no row with an id above its max_id
 * was inserted at or before its position since.  out->found is false when
 * there is none.  Returns DB_OK or an error; either way the caller
 * releases *out with db_checkpoint_release().
 */
enum db_status db_checkpoint_latest(struct db *db, int64_t entity_id,
    int version, const char *at, struct db_checkpoint *out);

/* Free what 'c' holds (NULL accepted) and make it empty. */
void db_checkpoint_release(struct db_checkpoint *c);

/*
 * Set *max_id to an id that no row inserted from now on can have or be
 * below: the highest id when no transaction that writes is in flight,
 * else the id before the first hole among the last 10,000 ids (a hole
 * may be a row still being inserted).  Returns DB_OK or an error.
 */
enum db_status db_checkpoint_max_id(struct db *db, int64_t *max_id);

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
 * 'from_at': from the start) with 'max_id' of db_checkpoint_max_id().
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
