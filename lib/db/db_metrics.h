/* SPDX-License-Identifier: MIT */
/* The operations table as /metrics reads it: counts and last runs. */
#ifndef INSTLOG_DB_METRICS_H
#define INSTLOG_DB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* Operation types read, at most (there are six today). */
#define DB_METRICS_TYPES 16

/* Operations of one type and status in the retention window. */
struct db_metrics_count {
	const char *type;
	const char *status;
	int64_t count;
};

/* The last run of one operation type that ended (completed or failed). */
struct db_metrics_run {
	const char *type;
	int64_t ended_ms; /* Unix time in milliseconds */
};

/* What db_metrics_ops() read; the strings live in the struct. */
struct db_metrics_ops {
	char type[DB_METRICS_TYPES][64];
	struct db_metrics_count ops[DB_METRICS_TYPES * 3];
	size_t nops;
	struct db_metrics_run runs[DB_METRICS_TYPES];
	size_t nruns;
};

/*
 * Read, in one statement, for each operation type (the first
 * DB_METRICS_TYPES in name order): how many operations are running,
 * completed and failed, and when its last run that ended (completed or
 * failed) ended.  Every
 * part is an index scan of the operations table (the totals index-only
 * on its (type, id) index, running and failed through its partial status
 * index, the last ended walking (type, id) backwards), so the cost
 * follows the operations kept (the retention window), never the size of
 * installation_events.
 * Fills *out.  Returns DB_OK, DB_ERROR or DB_UNAVAILABLE (logged).
 */
enum db_status db_metrics_ops(struct db *db, struct db_metrics_ops *out);

#endif
