/* SPDX-License-Identifier: MIT */
/* Internals shared by the db*.c files only; never included elsewhere. */
#ifndef INSTLOG_DB_PRIV_H
#define INSTLOG_DB_PRIV_H

#include <libpq-fe.h>

#include "core/str.h"
#include "db/db.h"

/*
 * The statements that may run prepared (db_exec_prepared()), a slot each:
 * the jobs statements, the log INSERT of n rows (one or several) with the
 * jobs writes f (DB_EVENT_JOB_*, 0: none; decisions #6) at
 * DB_PREP_EVENT_GROUP + f * 65 + n.
 */
enum db_prep {
	DB_PREP_JOB_INSERT,
	DB_PREP_JOB_ADVANCE,
	DB_PREP_JOB_INSERT_MANY,
	/* The live tail's listener, every round while rows come. */
	DB_PREP_SNAPSHOT,
	DB_PREP_SNAPSHOT_OPS,
	DB_PREP_STREAM_KEYS,
	/* The fleet's list (/trace/failing, /metrics). */
	DB_PREP_FLEET_CANDIDATES,
	DB_PREP_LATEST_MANY,
	DB_PREP_FOLD_ROWS_MANY,
	DB_PREP_EVENT_GROUP,
	DB_PREP__MAX = DB_PREP_EVENT_GROUP + 4 * 65
};

struct db {
	PGconn *conn;
	char *url;
	char *appname;
	int64_t deadline;              /* CLOCK_MONOTONIC ms; 0: none */
	int64_t holdoff_until;         /* no connect attempt before */
	char last_error[DB_ERROR_MAX]; /* db_error_message() */
	unsigned long connects;        /* connections made (db_listen()) */
	bool listening;                /* this connection ran a LISTEN */
	bool prepared_on;              /* db_set_prepared() */
	unsigned long prepared_conn;   /* the connection 'prepared' is of */
	uint64_t prepared[(DB_PREP__MAX + 63) / 64]; /* bit: slot prepared */
};

/*
 * Run the constant SQL text 'sql' with 'n' parameters (as PQexecParams
 * would, but without blocking past the deadline of db_set_deadline(), or
 * DB_CALL_LIMIT_MS without one).  A connection the server closed while
 * idle is replaced before anything is sent; a statement is retried (once,
 * on a new connection) only when it could not be sent at all, never once
 * it may have reached the server.  Sets *res to the result (the caller
 * PQclear()s it, also on error; it may be NULL).  Returns DB_OK when the
 * status is PGRES_TUPLES_OK or PGRES_COMMAND_OK, DB_REFUSED when the
 * statement failed on the data (SQLSTATE class 22 or 54), DB_UNAVAILABLE
 * when the server cannot be reached, did not answer in time or cancelled
 * the statement (57014, 55P03, class 53, ...), else DB_ERROR; errors are
 * logged with 'what'.
 */
enum db_status db_exec(struct db *db, const char *what, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    PGresult **res);

/*
 * db_exec() of 'sql' as the named prepared statement of 'slot' (enum
 * db_prep) when db_set_prepared() turned them on: prepared on the
 * connection the first time (the name is the slot's), then only executed.
 * A prepared statement the server does not know or a name it already has
 * (a pooler that switched server connections) turns them off for 'db' and
 * runs 'sql' unnamed: it was not executed.  Same results as db_exec().
 */
enum db_status db_exec_prepared(struct db *db, const char *what, unsigned slot,
    const char *sql, int n, const char *const *values, const int *lengths,
    const int *formats, PGresult **res);

/* Copy column 'col' of row 'row' as a new string, or NULL when null. */
char *db_strdup(const PGresult *res, int row, int col);

/* Column 'col' of row 'row' as an integer (0 when null). */
int64_t db_int64(const PGresult *res, int row, int col);

/*
 * Run 'sql' (db_exec()) with the 'n' text parameters 'values' and read
 * the bigint in the first column of its first row into *out.  Returns
 * DB_OK, DB_NOTFOUND when there is no row or the value is null, or an
 * error.
 */
enum db_status db_exec_int64(struct db *db, const char *what, const char *sql,
    int n, const char *const *values, int64_t *out);

/* db_exec_int64() with the one bigint parameter 'arg'. */
enum db_status db_lookup_int64(struct db *db, const char *what, const char *sql,
    int64_t arg, int64_t *out);

/*
 * Format a nonzero id into 'b' (of 'size' bytes) and return it, or NULL
 * for 0 (an SQL null parameter).
 */
const char *db_id_param(char *b, size_t size, int64_t v);

/*
 * The one writer of PostgreSQL array literals (a text[], bigint[], ...
 * parameter).  Add the element 'v' (NULL: an SQL null) at the end of the
 * literal in 'b', which holds "{}", what earlier calls made of it, or
 * nothing (taken as "{}"): 'b' is a whole literal after every call.  The
 * element is always quoted with '"' and '\' escaped, so that any text
 * ("", "NULL", one with ',', '{', '"' or spaces) is read back as itself.
 * Returns 0, or -1 when out of memory ('b' then holds a partial literal).
 */
int db_array_add(struct buf *b, const char *v);

/*
 * Append the array literal of the 'n' integers 'v' to the empty 'b'
 * ("{}" when 'n' is 0), through db_array_add().  Returns 0 or -1.
 */
int db_int64_array(struct buf *b, const int64_t *v, size_t n);

#endif
