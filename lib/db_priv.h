/* SPDX-License-Identifier: MIT */
/* Internals shared by the db*.c files only; never included elsewhere. */
#ifndef INSTLOG_DB_PRIV_H
#define INSTLOG_DB_PRIV_H

#include <libpq-fe.h>

#include "db.h"

struct db {
	PGconn		*conn;
	char		*url;
	const char	*appname;
	unsigned int	 prepared;	/* bit i: db.c's statement i is
					   prepared on 'conn' */
};

/*
 * Run the constant SQL text 'sql' with 'n' parameters through
 * PQexecParams, reconnecting once and retrying when the connection had
 * dropped.  Sets *res to the result (the caller PQclear()s it, also on
 * error).  Returns DB_OK when the status is PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK, DB_REFUSED on a data exception (SQLSTATE class 22),
 * DB_UNAVAILABLE when the server cannot be reached, else DB_ERROR; errors
 * are logged with 'what'.
 */
enum db_status db_exec(struct db *db, const char *what, const char *sql,
    int n, const char *const *values, const int *lengths, const int *formats,
    PGresult **res);

/* Copy column 'col' of row 'row' as a new string, or NULL when null. */
char *db_strdup(const PGresult *res, int row, int col);

/* Column 'col' of row 'row' as an integer (0 when null). */
int64_t db_int64(const PGresult *res, int row, int col);

#endif
