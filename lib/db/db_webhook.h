/* SPDX-License-Identifier: MIT */
/* The webhook's statements: the log row and the jobs it keeps. */
#ifndef INSTLOG_DB_WEBHOOK_H
#define INSTLOG_DB_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* A job to insert from a workflow_job.queued delivery. */
struct db_job {
	int64_t job_id;
	int64_t entity_id;
	const char *entity_type;
	const char *entity_name;
	int64_t installation_id;
	int64_t app_id;
	const char *repo_full_name;
	const char *labels_json;
	const char *html_url;
};

/* The jobs write of one delivery: insert 'insert', else advance a job. */
struct db_job_op {
	const struct db_job *insert; /* the job to insert, or NULL */
	int64_t job_id;              /* without 'insert': the job to move */
	const char *status;          /* ... to this status */
};

/* One installation_events row to append. */
struct db_event {
	const char *received_at; /* RFC 3339; NULL: now() */
	const char *attempt_key; /* NULL: none (see db_event_insert()) */
	const char *source;      /* "webhook" or "scheduler" */
	const char *event;
	const char *outcome;
	const char *delivery_id;
	int64_t app_id; /* 0: null */
	int64_t installation_id;
	const char *entity_type;
	int64_t entity_id;
	const char *entity_name;
	/*
	 * The delivery, NUL-terminated JSON text: in 'body' (kept as it is,
	 * the json type) or in 'payload' (jsonb), one of them NULL
	 * (sql/020_body.sql).
	 */
	const char *body;
	const char *payload;
	const void *raw; /* raw body when neither holds it */
	size_t rawlen;
	int64_t job_id; /* workflow_job.id; 0: none */
	/* With 'body': what a timeline row shows of it (sql/021). */
	const char *actor;          /* sender.login */
	const char *repo_full_name; /* repository.full_name */
	const char *request_id;     /* nginx's $request_id, or NULL */
	/*
	 * The jobs write of this delivery, made in the row's own statement
	 * and transaction (NULL: none; docs/decisions.md #6).  'outcome' is
	 * the row's outcome when that write does something, 'outcome_idle'
	 * when it finds nothing to do (the job is there already, or there is
	 * no such job); the outcome written goes to 'outcome_out'
	 * (DB_OUTCOME_MAX bytes).
	 */
	const struct db_job_op *job;
	const char *outcome_idle;
	char *outcome_out;
};

/* Room for an outcome's name (db_event.outcome_out). */
#define DB_OUTCOME_MAX 64

/*
 * Append 'ev' in its own transaction and set *id to the new row's id (the
 * webhook's threads share transactions instead through lib/run/batch.h
 * and db_event_write()).  When a
 * row with the same attempt key, received_at and entity is there already,
 * nothing is added and *id is that row's.  Returns DB_OK, DB_REFUSED when
 * jsonb refused the payload text (nothing written: retry with a payload
 * that says why and 'raw' set), DB_ERROR or DB_UNAVAILABLE.  With
 * 'ev->job', the jobs write runs in the same statement: both are written
 * or neither is, and a failure, whichever part it came from, leaves the
 * caller to run them apart (db_job_apply(), then the row without 'job').
 */
enum db_status db_event_insert(struct db *db, const struct db_event *ev,
    int64_t *id);

struct buf;

/* The most rows db_event_write() puts in one INSERT. */
#define DB_EVENT_GROUP_MAX 64

/* The bytes 'ev' puts in a statement, near enough. */
size_t db_event_size(const struct db_event *ev);

/*
 * Write the 'n' rows of 'rows' (each a struct db_event) on 'db' ('arg') by
 * 'deadline' (CLOCK_MONOTONIC ms, 0: DB_CALL_LIMIT_MS a statement): the
 * rows that carry an attempt key (the first DB_EVENT_GROUP_MAX) go in
 * one multi-row INSERT, one transaction, and when that fails on one row's
 * data (jsonb refusal, constraint) or on a row an attempt wrote already,
 * each is written by itself, so that only the bad one fails and the
 * other gets its row's id; the others are written one by one.  The jobs
 * writes of a group end as they would one after the other: a row that
 * moves forward a job that an earlier row of the group inserts is written
 * by itself after the group, so that it sees the job.  Sets ids[i]
 * and sts[i] as db_event_insert() does for each row, and 'why' (size
 * DB_ERROR_MAX).  The webhook's group commit writes with it (a
 * batch_write_fn of lib/run/batch.h).
 */
void db_event_write(void *arg, const void *const *rows, size_t n,
    int64_t deadline, int64_t *ids, enum db_status *sts, char *why);

/* The jobs writes that an INSERT of db_event_insert_sql() carries. */
#define DB_EVENT_JOB_INSERTS  1u
#define DB_EVENT_JOB_ADVANCES 2u

/*
 * Write into 'out' the INSERT that db_event_write() sends for 'n' rows and
 * db_event_insert() for one (RETURNING id, attempt_key, outcome): 18
 * parameters a row or, with 'jobs' (DB_EVENT_JOB_*, 0: none), the jobs
 * writes of the rows first (the jobs to insert as 9 array parameters, then
 * those to advance as 2) and 20 a row.  Returns 0, or -1 when out of
 * memory.
 */
int db_event_insert_sql(struct buf *out, size_t n, unsigned jobs);

/*
 * Insert 'job' as pending.  Returns DB_OK when inserted, DB_CONFLICT when
 * the job was already there, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_job_insert(struct db *db, const struct db_job *job);

/*
 * Move job 'job_id' forward to 'status' ("running" or "completed"); a job
 * already at or past it is left alone.  Returns DB_OK when the job exists
 * (moved or not), DB_NOTFOUND, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_job_advance(struct db *db, int64_t job_id,
    const char *status);

/*
 * Run 'op': db_job_insert() or db_job_advance(), with their results.
 */
enum db_status db_job_apply(struct db *db, const struct db_job_op *op);

/*
 * The group commit of jobs writes made apart from their rows (a
 * batch_write_fn of lib/run/batch.h, 'arg' the slot's struct db): the 'n'
 * struct db_job_op of 'rows' in one transaction, in their order, each with its
 * own result in sts[] (as db_job_apply()'s; ids[] 0).  When one of them
 * fails on its data, each is run again alone; when the database fails,
 * every one gets that failure.  'why' (DB_ERROR_MAX) gets the error text.
 */
void db_job_write(void *arg, const void *const *rows, size_t n,
    int64_t deadline, int64_t *ids, enum db_status *sts, char *why);

#endif
