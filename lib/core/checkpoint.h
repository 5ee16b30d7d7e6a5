/* SPDX-License-Identifier: MIT */
/* Snapshots of an entity's fold, so that a trace folds only what follows. */
#ifndef INSTLOG_CHECKPOINT_H
#define INSTLOG_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/events.h"
#include "core/events_diagnose.h"

/* The layout of an encoded snapshot; bump it with any change to it. */
#define CKPT_FORMAT_VERSION 2

/*
 * The version stored next to a snapshot: the format and the fold rules
 * (EVENTS_RULES_VERSION).  A snapshot of another version is never used.
 */
#define CKPT_VERSION (CKPT_FORMAT_VERSION * 65536 + EVENTS_RULES_VERSION)

/* Snapshots are at least this many rows apart by default. */
#define CKPT_EVERY_DEFAULT 256

/*
 * A decoded snapshot: the fold of a prefix of a timeline and what
 * events_keep() kept of its rows.  Owns everything; release with
 * ckpt_snapshot_release().
 */
struct ckpt_snapshot {
	struct events_state st;
	struct events_row *rows;
	size_t nrows;
	char *pool;         /* the strings of 'rows' */
	const char **repos; /* their repository lists */
};

/*
 * Encode the state 'st' and the 'n' kept rows 'rows' into a new buffer
 * *out of *outlen bytes, which the caller frees.  Returns 0, or -1 when
 * out of memory.
 */
int ckpt_encode(const struct events_state *st, const struct events_row *rows,
    size_t n, unsigned char **out, size_t *outlen);

/*
 * Decode the 'len' bytes of 'p' into *out.  Returns 0; or -1 when they
 * are not a snapshot of CKPT_VERSION (another format or rules version,
 * truncated, corrupt) or when out of memory, with *out empty.  Nothing of
 * 'p' is retained.  The caller releases *out with ckpt_snapshot_release().
 */
int ckpt_decode(const unsigned char *p, size_t len, struct ckpt_snapshot *out);

/* Free what 's' owns (NULL accepted) and make it empty. */
void ckpt_snapshot_release(struct ckpt_snapshot *s);

/*
 * Called by ckpt_fold() with the encoded snapshot of the fold up to and
 * including tail row 'i' ('data' is only valid during the call).  Returns
 * 0, or -1 to stop making snapshots (the fold goes on).
 */
typedef int ckpt_emit_fn(void *arg, size_t i, const unsigned char *data,
    size_t len);

/* How ckpt_fold() makes snapshots. */
struct ckpt_plan {
	/*
	 * Rows between two snapshots (0: make none); a snapshot of S bytes
	 * waits for at least S / 64 rows, so that snapshots weigh little
	 * next to the rows they cover.
	 */
	size_t every;
	/*
	 * No snapshot covers a row whose id is above this: rows inserted
	 * later get higher ids, and a snapshot records it to notice them.
	 */
	int64_t max_id;
	ckpt_emit_fn *emit;
	void *arg;
};

/*
 * Fold the 'n' rows of 'tail', in (received_at, id) order, after the
 * snapshot 'from' (NULL: from the start of the timeline), into *st, and
 * diagnose the whole timeline into *dg, exactly as events_fold() and
 * events_diagnose() of every row would.  Along the way, after every
 * plan->every rows of 'tail', hand a snapshot to plan->emit (NULL plan:
 * none).
 *
 * 'from's state moves into *st ('from' stays valid, its state empty); the
 * rows of 'from' and 'tail' are borrowed.  *st and *dg must be empty; the
 * caller releases them with events_state_release() and
 * events_diagnosis_release().  Returns 0, or -1 when out of memory.
 */
int ckpt_fold(struct ckpt_snapshot *from, const struct events_row *tail,
    size_t n, const struct ckpt_plan *plan, struct events_state *st,
    struct events_diagnosis *dg);

/*
 * The same for all but the last page of a timeline read in pages, without
 * the diagnosis: fold the 'n' rows of 'tail' after 'from' (NULL: from the
 * start), hand snapshots to the plan, and set *out to the snapshot after
 * the last row of 'tail' (*outlen bytes; the caller frees it), to decode
 * and fold the next page after.  Returns 0, or -1 when out of memory.
 */
int ckpt_fold_page(struct ckpt_snapshot *from, const struct events_row *tail,
    size_t n, const struct ckpt_plan *plan, unsigned char **out,
    size_t *outlen);

#endif
