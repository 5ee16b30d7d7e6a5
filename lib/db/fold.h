/* SPDX-License-Identifier: MIT */
/* An entity's fold for the trace routes, from its fold checkpoints. */
#ifndef INSTLOG_FOLD_H
#define INSTLOG_FOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/events.h"
#include "core/events_diagnose.h"
#include "db/db.h"

/*
 * Fold and diagnose the timeline of 'entity_id' up to 'at' (NULL or "":
 * all of it) into *st and *dg, which must be empty.
 *
 * With 'every' > 0: from the latest usable snapshot at or before 'at'
 * (db_checkpoint_latest()) plus the rows after it, read in one
 * transaction; then, when the role may write, snapshots every 'every'
 * rows of those are stored for the next traces (a failure to store them
 * is logged and changes nothing).  With 'every' 0: every row, and no
 * snapshot read or written.  Either way the result is that of
 * events_fold() and events_diagnose() over every row.
 *
 * Returns 0; or -1 with *ds set to the database error, or to DB_OK when
 * out of memory (not logged).  The caller releases *st and *dg either way.
 */
int fold_entity(struct db *db, int64_t entity_id, const char *at, size_t every,
    struct events_state *st, struct events_diagnosis *dg, enum db_status *ds);

/*
 * fold_entity() of the 'n' entities 'ids', the whole timeline of each,
 * into st[i] and dg[i] (each empty): the same results, read with two
 * statements for all of them (their latest snapshots, then the rows after
 * each) rather than two or more each.  An entity whose latest snapshot is
 * not whole, or with 'every' rows or more after it, is folded by
 * fold_entity() alone (which stores snapshots).  Returns 0, or -1 as
 * fold_entity() does; the caller releases every st[i] and dg[i].
 */
int fold_entities(struct db *db, const int64_t *ids, size_t n, size_t every,
    struct events_state *st, struct events_diagnosis *dg, enum db_status *ds);

/* What fold_snapshot() did. */
struct fold_progress {
	int64_t rows;     /* rows folded */
	size_t snapshots; /* snapshots stored */
	bool end;         /* it folded up to the entity's last row */
	/* The highest id its snapshots may cover (0: none was told)... */
	int64_t max_id;
	/* ...and whether a row above it came: none covers it or follows. */
	bool above;
};

/*
 * Make ahead the snapshots that traces of 'entity_id' would make (for
 * cron/snapshot): from the latest usable snapshot, as fold_entity() with
 * 'every' and no 'at', fold at most 'budget' rows after it, a page at a
 * time, storing each page's snapshots before the next is read.  No state
 * or diagnosis is made.  It stops early, with done->end false, when no
 * snapshot may be made now (db_checkpoint_max_id() tells none, or a row
 * above done->max_id came on an earlier page).  done->end is true when it
 * read up to the entity's last row: then only rows above done->max_id
 * (done->above), or fewer than the snapshots' spacing, follow the last
 * snapshot.  Sets *done either way.
 *
 * Returns 0; or -1 with *ds set to the database error (a refused write
 * included), or to DB_OK when out of memory (not logged).
 */
int fold_snapshot(struct db *db, int64_t entity_id, size_t every,
    int64_t budget, struct fold_progress *done, enum db_status *ds);

#endif
