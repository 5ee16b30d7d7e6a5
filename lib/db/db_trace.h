/* SPDX-License-Identifier: MIT */
/* The read queries of the trace routes (part of the db module). */
#ifndef INSTLOG_DB_TRACE_H
#define INSTLOG_DB_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/events.h"
#include "core/str.h"
#include "core/trace.h"
#include "db/db.h"

/*
 * The entity of installation 'id': the latest event with that installation
 * and an entity, else a job of it.  Returns DB_OK and sets *entity_id,
 * DB_NOTFOUND, or an error.
 */
enum db_status db_trace_entity_of_installation(struct db *db, int64_t id,
    int64_t *entity_id);

/*
 * The entity that last bore the login 'name' (compared ignoring case):
 * the latest webhook event under that entity_name, workflow_job.* aside
 * (scheduler rows carry a job's login, which may predate a rename).  Returns
 * DB_OK and sets *entity_id, DB_NOTFOUND, or an error.
 */
enum db_status db_trace_entity_by_name(struct db *db, const char *name,
    int64_t *entity_id);

/*
 * The entity of job 'id', from the jobs table, else from its workflow_job
 * events.  Returns DB_OK, DB_NOTFOUND or an error.
 */
enum db_status db_trace_entity_of_job(struct db *db, int64_t id,
    int64_t *entity_id);

/*
 * Read event 'id' with its payload into *out.  Returns DB_OK (release
 * *out with trace_payload_release()), DB_NOTFOUND or an error.
 */
enum db_status db_trace_payload(struct db *db, int64_t id,
    struct trace_payload *out);

/*
 * Read one page of the timeline of 'entity_id' under 'p' into *page.
 * Returns DB_OK (release *page with trace_page_release()), DB_NOTFOUND
 * when the entity has no event at all, DB_REFUSED when p->cursor is not
 * an event of the entity (no next_cursor handed out for it), or an
 * error.
 */
enum db_status db_trace_page(struct db *db, int64_t entity_id,
    const struct trace_params *p, struct trace_page *page);

/*
 * The live tail: read into *page the rows with 'after' < id <= 'upto', of
 * 'entity_id' and 'installation_id' (0: any) and 'event' (the name or a
 * dot prefix; NULL or "": any), in id order, at most 'limit'.  Returns
 * DB_OK (release *page with trace_page_release()) or an error.
 */
enum db_status db_trace_stream_page(struct db *db, int64_t after, int64_t upto,
    int64_t entity_id, int64_t installation_id, const char *event,
    int64_t limit, struct trace_page *page);

/*
 * Where a stream that begins with its history starts: into *after the id
 * before the oldest of the last 'last' rows up to 'upto' that pass the
 * filters of db_trace_stream_page() (newest by received_at, id when an
 * entity or an installation is given; by id otherwise), or 'upto' when
 * none does.  Returns DB_OK or an error.
 */
enum db_status db_trace_stream_start(struct db *db, int64_t upto,
    int64_t entity_id, int64_t installation_id, const char *event, int64_t last,
    int64_t *after);

/* What a stream's filters read of one row (the live tail's listener). */
struct db_trace_key {
	int64_t id;
	int64_t entity_id;       /* 0: none */
	int64_t installation_id; /* 0: none */
	char event[128];
};

/*
 * Read into 'keys' (room for 'max') the keys of the rows with 'after' <
 * id <= 'upto', in id order.  Sets *n; *full when there were more than
 * 'max' or an event name did not fit (then the keys cannot decide).
 * Returns DB_OK or an error.
 */
enum db_status db_trace_stream_keys(struct db *db, int64_t after, int64_t upto,
    struct db_trace_key *keys, size_t max, size_t *n, bool *full);

/* The fold rows of an entity and the memory their strings live in. */
struct db_trace_rows {
	struct events_row *v;
	size_t n;
	char **strings; /* one block per row */
	char ***repos;  /* one array per row, or NULL */
};

/*
 * Read the rows the fold needs (every event of the entity but
 * workflow_job.*, up to 'at' when not empty), in (received_at, id) order,
 * into *rows.  Returns DB_OK or an error; either way the caller releases
 * *rows with db_trace_rows_release().
 */
enum db_status db_trace_fold_rows(struct db *db, int64_t entity_id,
    const char *at, struct db_trace_rows *rows);

/*
 * The same, only the first 'limit' rows (0: all) after position
 * ('after_at', 'after_id') in (received_at, id) order (from the first row
 * when 'after_at' is NULL or empty).
 */
enum db_status db_trace_fold_rows_after(struct db *db, int64_t entity_id,
    const char *at, const char *after_at, int64_t after_id, int64_t limit,
    struct db_trace_rows *rows);

/* Where the fold of one entity goes on from (db_trace_fold_rows_many()). */
struct db_fold_from {
	int64_t entity_id;
	const char *after_at; /* NULL or "": from its first row */
	int64_t after_id;
};

/*
 * db_trace_fold_rows_after() of the 'n' entities of 'from' in one
 * statement: into rows[i], the first 'limit' (> 0) rows of from[i] after
 * its position, no 'at'.  Returns DB_OK or an error; either way the
 * caller releases each of the 'n' rows[i] with db_trace_rows_release().
 */
enum db_status db_trace_fold_rows_many(struct db *db,
    const struct db_fold_from *from, size_t n, int64_t limit,
    struct db_trace_rows *rows);

/* Free what 'rows' holds (NULL accepted). */
void db_trace_rows_release(struct db_trace_rows *rows);

#endif
