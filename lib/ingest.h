/* SPDX-License-Identifier: MIT */
/* Record one verified delivery: the jobs side effect, then the log row. */
#ifndef INSTLOG_INGEST_H
#define INSTLOG_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "delivery.h"
#include "outcome.h"
#include "str.h"

enum ingest_status {
	INGEST_OK = 0,		/* the row is written */
	INGEST_INVALID,		/* the row is written; the body was bad: 400 */
	INGEST_JOB_FAILED,	/* the row is written; the jobs write failed */
	INGEST_DB_DOWN,		/* nothing written: the database is down */
	INGEST_ERROR,		/* nothing written: other failure (logged) */
};

struct ingest_result {
	int64_t		id;	/* the new row's id, 0 when none */
	enum outcome	outcome;
	char		event[80]; /* the recorded event name */
	/* What failed, for the operation: the parser's or libpq's words. */
	char why[512];
};

/*
 * Record a delivery whose signature was verified: parse it, apply the jobs
 * side effect in its own transaction, then append exactly one
 * installation_events row in another (with the raw bytes when jsonb refuses
 * the body).  'received_at' (RFC 3339) is NULL for now().  Fills *res.
 */
enum ingest_status ingest_delivery(struct db *db, const struct config *cfg,
    const struct delivery_headers *h, const char *received_at,
    const char *body, size_t len, struct ingest_result *res);

/*
 * Append {"event_id":N,"outcome":"..."} of 'res' to 'out', NUL-terminated
 * (the NUL not counted): a delivery's step output.  Returns 0 or -1.
 */
int ingest_result_json(const struct ingest_result *res, struct buf *out);

/*
 * Record the `delivery` operation of a verified delivery that did not end
 * 200 (DESIGN §9), from ingest_delivery()'s 'st' and *res: the step that
 * failed with its detail (parse, jobs write, log row) and, when the row
 * could not be written, whether it was 'spooled'.  Nothing is recorded
 * for INGEST_OK, nor when the database is down (the replay that stores
 * the spooled delivery records it).  Failures are logged only.
 */
void ingest_record_operation(struct db *db, const struct delivery_headers *h,
    enum ingest_status st, const struct ingest_result *res, bool spooled);

#endif
