/* SPDX-License-Identifier: MIT */
/* The operations table: start, steps, finish, abandoned runs, reads. */
#ifndef INSTLOG_DB_OPS_H
#define INSTLOG_DB_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ops.h"
#include "core/str.h"
#include "db/db.h"

#define DB_OPS_LIMIT_DEFAULT 50
#define DB_OPS_LIMIT_MAX     500

/*
 * Mark 'failed' with error "abandoned" every operation of 'type' still
 * running that ops_is_abandoned() says is dead, for a run that holds the
 * type's lock ('locked') and whose own operation is 'own_id' (0: none
 * yet).  Sets *n to how many.  Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_ops_abandon(struct db *db, const char *type, bool locked,
    int64_t own_id, int64_t *n);

/* Where an operation came from; every member may be NULL / 0. */
struct db_ops_origin {
	const char *request_id;   /* nginx's $request_id */
	int64_t triggered_by;     /* the operation that caused it */
	const char *external_ref; /* e.g. a delivery guid */
	const char *input;        /* JSON text */
};

/*
 * Insert 'op' as running and set op->id and op->started_at.  Creates the
 * day's partition when it is missing (maintenance did not run).  Returns
 * DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_ops_start(struct db *db, struct ops_run *op,
    const struct db_ops_origin *origin);

/*
 * Insert 'op', already ended, in one statement: its steps, 'completed' or
 * 'failed' (error "<step>: <message>" and detail of the first failed
 * step), 'output' (JSON text or NULL), the time since op->started_ms.
 * For an operation short enough to have no 'running' life (a delivery):
 * a process that dies leaves nothing half-written.  Sets op->id.
 * Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_ops_record(struct db *db, struct ops_run *op,
    const struct db_ops_origin *origin, const char *output);

/*
 * Store the steps of 'op' added since the last call and what it touched,
 * and refresh steps_summary, in one statement.  Returns DB_OK (also for
 * an operation that was never started: op->id 0), DB_ERROR or
 * DB_UNAVAILABLE.
 */
enum db_status db_ops_flush(struct db *db, struct ops_run *op);

/*
 * End 'op': store what is left (as db_ops_flush()), then 'completed', or
 * 'failed' when a step failed or 'error' is set, with error "<step>:
 * <message>" of the first failed step (or 'error' itself) and its
 * error_detail, 'output' (JSON text or NULL) and the duration.  Returns
 * DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_ops_finish(struct db *db, struct ops_run *op,
    const char *output, const char *error);

/* Filters of GET /operations; strings "" when absent. */
struct db_ops_filter {
	char status[16];
	char type[32];
	char since[40]; /* RFC 3339 UTC */
	char until[40];
	int64_t installation_id;
	int64_t entity_id;
	int64_t limit;
	int64_t cursor; /* the last id of the previous page */
};

/*
 * One row of the operations table as the operations routes show it.  The
 * times are RFC 3339 UTC with microseconds.  Release with
 * db_ops_row_release().
 */
struct db_ops_row {
	int64_t id;
	char *type;
	char *status;
	char *started_at;
	char *completed_at; /* NULL while running */
	int64_t duration_ms;
	bool has_duration;    /* false: NULL, while running */
	char *error;          /* NULL: none */
	int64_t triggered_by; /* 0: none (ids start at 1) */
	char *request_id;     /* NULL: none */
	char *external_ref;   /* NULL: none */
	char *steps_summary;
	/* Only db_ops_get() reads the rest; NULL and 0 in a list. */
	char *input;  /* JSON text as jsonb writes it, or NULL */
	char *output; /* JSON text as jsonb writes it, or NULL */
	char *error_detail;
	int64_t *installation_ids;
	size_t ninstallation_ids;
	int64_t *entity_ids;
	size_t nentity_ids;
	/*
	 * The JSON text of the steps as stored and as jsonb writes it: an
	 * array of ops_steps_json() objects, whose "started_at" are as they
	 * were formatted when the step was stored.
	 */
	char *steps;
	int64_t stream_seq; /* db_ops_stream() only: its change's id */
};

/* Free what 'r' holds (NULL accepted) and empty it. */
void db_ops_row_release(struct db_ops_row *r);

/* One page of GET /operations.  Release with db_ops_page_release(). */
struct db_ops_page {
	struct db_ops_row *v; /* newest first */
	size_t n;
	int64_t next_cursor; /* the last id of this page; 0: no page after */
};

/* Free what 'p' holds (NULL accepted) and empty it. */
void db_ops_page_release(struct db_ops_page *p);

/*
 * Read into *out the operations matching 'f', newest first, each with id,
 * type, status, started_at, completed_at, duration_ms, error,
 * triggered_by, request_id, external_ref and steps_summary, never the
 * steps.  The caller releases *out with db_ops_page_release() (also on
 * error).  Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_ops_list(struct db *db, const struct db_ops_filter *f,
    struct db_ops_page *out);

/*
 * Read operation 'id' with everything (input, output, error_detail,
 * installation_ids, entity_ids, steps) into *out, which the caller
 * releases with db_ops_row_release() (also on error).  Returns DB_OK,
 * DB_NOTFOUND, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_ops_get(struct db *db, int64_t id, struct db_ops_row *out);

/*
 * The live tail: read into *out the list items (as db_ops_list()) whose
 * latest change has 'after' < stream_seq <= 'upto', in stream_seq order,
 * at most 'limit', each with its stream_seq.  The caller releases *out
 * with db_ops_page_release() (also on error).  Returns DB_OK, DB_ERROR or
 * DB_UNAVAILABLE.
 */
enum db_status db_ops_stream(struct db *db, int64_t after, int64_t upto,
    int64_t limit, struct db_ops_page *out);

/*
 * Where an operations stream that begins with its history starts: into
 * *after the stream_seq before the oldest of the last 'last' changes up to
 * 'upto', or 'upto' when there is none.  Returns DB_OK or an error.
 */
enum db_status db_ops_stream_start(struct db *db, int64_t upto, int64_t last,
    int64_t *after);

/*
 * The latest operation of 'type' that ended: sets *found, 'at' (RFC 3339
 * UTC, its completed_at), *failed and *id.  Returns DB_OK, DB_ERROR or
 * DB_UNAVAILABLE.
 */
enum db_status db_ops_last(struct db *db, const char *type, bool *found,
    char *at, size_t atlen, bool *failed, int64_t *id);

/*
 * The advisory lock key of the maintenance run ("instlog" and 3), so two
 * runs never overlap and a running maintenance operation is a dead one's.
 */
#define DB_MAINTENANCE_LOCK_KEY 0x696e73746c6f6703LL

/*
 * Create the partitions ahead: 'months' of installation_events
 * (instlog_ensure_partitions) or, when 'operations', 'days' of operations
 * (instlog_operations_ensure_partitions).  Sets *created.  Returns DB_OK,
 * DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_partitions_ensure(struct db *db, bool operations, int ahead,
    int64_t *created);

/* The names of the partitions db_ops_drop_partitions() dropped. */
struct db_ops_dropped {
	char **v; /* in name order, i.e. oldest first */
	size_t n;
};

/* Free what 'd' holds (NULL accepted) and empty it. */
void db_ops_dropped_release(struct db_ops_dropped *d);

/*
 * Drop the operations partitions whose day ended more than 'keep_days'
 * days ago; set *out to their names (the caller releases it with
 * db_ops_dropped_release(), also on error).  Returns DB_OK, DB_ERROR or
 * DB_UNAVAILABLE.
 */
enum db_status db_ops_drop_partitions(struct db *db, int keep_days,
    struct db_ops_dropped *out);

#endif
