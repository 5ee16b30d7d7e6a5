/* SPDX-License-Identifier: MIT */
/*
 * The rows of a timeline that a later diagnosis may still read: what a
 * fold snapshot (lib/core/checkpoint.h) stores beside the state.
 */
#ifndef INSTLOG_EVENTS_KEEP_H
#define INSTLOG_EVENTS_KEEP_H

#include <stddef.h>

#include "core/events.h"

/*
 * The rows of a timeline that events_diagnose() may still read: shallow
 * copies whose strings are borrowed, with 'repos' trimmed to the names the
 * diagnosis may still look for.  Release with events_kept_release().
 */
struct events_kept {
	struct events_row *rows;
	size_t n;
	const char **repos; /* the trimmed lists of 'rows' point here */
};

/*
 * Keep of 'rows' what the diagnosis of any continuation of them can read,
 * so that for all rows 'more' folded afterwards into the same state,
 * events_diagnose(kept ++ more) equals events_diagnose(rows ++ more).  'st'
 * is the fold up to the end of 'rows'; 'rows' are the rows folded into it,
 * in order, or what an earlier events_keep() kept of a prefix of them
 * followed by the rows folded since.  Kept: the rows with the state's
 * evidence ids and its last auth failure, every repository.renamed,
 * transferred and deleted row, the last auth_attempt.404, the
 * first 404 after the deletion and the first failure after the suspension
 * in force, and per repository name (exact bytes) the last created, added
 * or removed row naming it and the last created or added row naming it.
 *
 * Fills *out, which borrows the strings of 'rows' (keep them alive while
 * it is used) and is released with events_kept_release().  Returns 0, or
 * -1 on invalid arguments or when out of memory, with *out empty.
 */
int events_keep(const struct events_row *rows, size_t n,
    const struct events_state *st, struct events_kept *out);

/* Free what 'k' holds (NULL accepted) and make it empty. */
void events_kept_release(struct events_kept *k);

#endif
