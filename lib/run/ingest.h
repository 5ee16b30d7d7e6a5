/* SPDX-License-Identifier: MIT */
/* Record one verified delivery: the log row and its jobs side effect. */
#ifndef INSTLOG_INGEST_H
#define INSTLOG_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/delivery.h"
#include "core/outcome.h"
#include "core/str.h"
#include "db/db.h"
#include "net/metrics.h"

struct batch;

/* The row ingest_delivery() wrote. */
struct ingest_result {
	int64_t id; /* the new row's id, 0 when none */
	enum outcome outcome;
	char event[80]; /* the recorded event name */
	/* What failed, for the operation: the parser's or libpq's words. */
	char why[512];
};

/*
 * Record a delivery whose signature was verified: parse it and append one
 * installation_events row (with the raw bytes when jsonb refuses the
 * body), with the jobs side effect in the row's statement; when that
 * statement fails on anything but the connection, the jobs write runs in
 * a transaction of its own first, then the row (decisions #6).
 * 'received_at' (RFC 3339) and 'attempt_key' are those of the attempt
 * (struct delivery_attempt); when the row of that attempt is already there
 * (its commit reply was lost, then its spool file was replayed) no second
 * one is added and res->id is the first one's.  Returns 0 when the row is
 * written, with *res filled (its outcome says how the delivery went: see
 * outcome_http_status()), or -1 when nothing was written: the database is
 * down, or another failure (logged).  With 'batch' (the webhook's group
 * commit; NULL: none) the log row shares a transaction with those of the
 * worker's other threads, and with 'jobs' (a group commit of
 * db_job_write(); NULL: none) so does a jobs write made apart from its
 * row; else 'db' runs it.
 */
int ingest_delivery(struct db *db, struct batch *batch, struct batch *jobs,
    const struct config *cfg, const struct delivery_headers *h,
    const char *received_at, const char *attempt_key, const char *body,
    size_t len, struct ingest_result *res);

/*
 * Record a live delivery whose signature 'sig' (the X-Hub-Signature-256
 * value) was verified: cut unusable headers (delivery_headers_limit(),
 * the row is then invalid_payload), make a new attempt and
 * ingest_delivery(); when nothing could be written, or a commit's reply
 * was lost, keep the delivery in the spool for the replayer, as GitHub
 * does not retry (the file carries the attempt, so its replay after such
 * a commit adds no second row).  A delivery whose outcome is not a 200,
 * or whose row could not be written while the database is up, gets its
 * `delivery` operation (docs/data-model.md#operations; the request id
 * from h->request_id).  'h' may be changed.
 */
enum outcome_fate ingest_live(struct db *db, struct batch *batch,
    struct batch *jobs, const struct config *cfg, struct delivery_headers *h,
    const char *sig, const char *body, size_t len, struct ingest_result *res);

/*
 * Count one delivery of X-GitHub-Event 'event' in 'm' (NULL: nothing):
 * under its outcome when recorded, else "spooled" or "unavailable".
 */
void ingest_count(struct metrics *m, const char *event, enum outcome_fate fate,
    const struct ingest_result *res);

/*
 * Append {"id","event","outcome"} of 'r', the webhook's answer, to 'out'.
 * Returns 0 or -1 (out of memory).
 */
int ingest_result_write(const struct ingest_result *r, struct buf *out);

/*
 * Append {"event_id":N,"outcome":"..."} of 'res' to 'out', NUL-terminated
 * (the NUL not counted): a delivery's step output.  Returns 0 or -1.
 */
int ingest_result_json(const struct ingest_result *res, struct buf *out);

#endif
