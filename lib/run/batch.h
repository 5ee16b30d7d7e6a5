/* SPDX-License-Identifier: MIT */
/*
 * Group commit: the request threads of a worker write their rows together
 * (the webhook's log rows: db_event_write() of lib/db/db_webhook.h).  A
 * row is the caller's; the write function knows what it is.  No writer thread:
 * a thread whose row finds a write slot free writes it itself with every row
 * queued behind it (the leader); rows that arrive while every slot is writing
 * wait, and the first of them leads the next write.  One request alone costs no
 * extra wake-up.
 */
#ifndef INSTLOG_BATCH_H
#define INSTLOG_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

struct batch;

/*
 * A row with less time than this left when a write takes it is not
 * written but answered DB_UNAVAILABLE at once: a write ends by the
 * earliest deadline of its rows.
 */
#define BATCH_MIN_LEFT_MS 100

/* The most write slots (concurrent writes, one connection each). */
#define BATCH_MAX_SLOTS 8

/*
 * Queued bytes for which a second write starts while one is running
 * (free slots permitting); below it rows wait for the running write to
 * end and go together in the next.
 */
#define BATCH_PARALLEL_BYTES (16 * 1024)

/* The most rows one write takes, and the bytes past which it takes no more. */
#define BATCH_MAX_ROWS  64
#define BATCH_MAX_BYTES (4 * 1024 * 1024)

/*
 * Write the 'n' rows of 'rows' (at least 1) by 'deadline' (CLOCK_MONOTONIC
 * ms, 0: none) and set ids[i] and sts[i] of each (the row's id and
 * status), and 'why' (size BATCH_WHY) to what went wrong when a row did
 * not end DB_OK.  Called by one leader at a time per 'arg'.
 */
typedef void batch_write_fn(void *arg, const void *const *rows, size_t n,
    int64_t deadline, int64_t *ids, enum db_status *sts, char *why);

/* The size of the error text of a write. */
#define BATCH_WHY DB_ERROR_MAX

/*
 * A group of request threads whose rows go through 'write', at most
 * 'nslots' writes at once (1..BATCH_MAX_SLOTS), write i with args[i]
 * (retained: a connection each).  Free with batch_free().  Returns NULL
 * when out of memory or nslots is out of range (logged).
 */
struct batch *batch_new(batch_write_fn *write, void *const *args,
    size_t nslots);

/* Free 'b' (NULL accepted); no batch_submit() may be running. */
void batch_free(struct batch *b);

/*
 * Write 'row' ('bytes' long in a statement, near enough; borrowed until
 * the call returns) in the next write and return once that write is done:
 * set *id and return the row's own status, and when it is not DB_OK the
 * write's error text in 'why' (size BATCH_WHY).  Thread-safe.  A row still
 * queued at 'deadline' (CLOCK_MONOTONIC ms; 0: none) is never sent: it returns
 * DB_UNAVAILABLE, and so is a row with less than BATCH_MIN_LEFT_MS
 * left when a write takes it.  A row being written waits for its write,
 * which ends by the earliest deadline among its rows.
 */
enum db_status batch_submit(struct batch *b, const void *row, size_t bytes,
    int64_t deadline, int64_t *id, char *why);

/* Rows written and writes made so far. */
void batch_stats(struct batch *b, uint64_t *rows, uint64_t *writes);

#endif
