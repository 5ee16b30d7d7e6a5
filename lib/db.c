/* SPDX-License-Identifier: MIT */
/* PostgreSQL access: one persistent connection per process, reconnecting. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db_priv.h"
#include "log.h"
#include "str.h"

struct db *
db_new(const char *url, const char *appname)
{
	struct db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	if ((db->url = strdup(url)) == NULL) {
		free(db);
		return NULL;
	}
	db->appname = appname;
	return db;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	PQfinish(db->conn);
	free(db->url);
	free(db);
}

/* Discard libpq notices (e.g. "relation already exists"). */
static void
db_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

enum db_status
db_connect(struct db *db)
{
	/*
	 * Defaults come before "dbname" so that the expanded URL overrides
	 * them; application_name comes after so it is always ours.
	 */
	const char *keys[] = { "connect_timeout", "options", "dbname",
		"application_name", NULL };
	const char *vals[] = { "3",
		"-c statement_timeout=5000 -c lock_timeout=2000 "
		"-c idle_in_transaction_session_timeout=10000 "
		"-c search_path=public",
		db->url, db->appname, NULL };

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return DB_OK;
	PQfinish(db->conn);
	db->prepared = 0;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		log_warnx("%s: cannot connect: %s", __func__,
		    db->conn == NULL ? "out of memory" :
		    PQerrorMessage(db->conn));
		PQfinish(db->conn);
		db->conn = NULL;
		return DB_UNAVAILABLE;
	}
	(void)PQsetNoticeProcessor(db->conn, db_notice, NULL);
	return DB_OK;
}

/* Classify a failed result. */
static enum db_status
db_classify(const PGresult *res, PGconn *conn)
{
	const char *state;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return DB_UNAVAILABLE;
	state = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state == NULL)
		return DB_UNAVAILABLE;
	/* Class 08: connection exception; 57P0x: server shutting down. */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return DB_UNAVAILABLE;
	if (strncmp(state, "22", 2) == 0)
		return DB_REFUSED;
	return DB_ERROR;
}

/*
 * Statements prepared once per connection and then run by name: the
 * webhook's INSERT runs for every delivery, and parsing and planning it
 * each time cost the server about a fifth of its insert rate.  The text is
 * still constant SQL with parameters.
 */
enum db_stmt {
	DB_STMT_EVENT_INSERT,
	DB_STMT__MAX
};

/* Run 'sql' (or prepared statement 'stmt' when >= 0) once on db->conn. */
static PGresult *
db_run(struct db *db, int stmt, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats)
{
	static const char *const names[DB_STMT__MAX] = {
		"instlog_event_insert"
	};
	PGresult *res;

	if (stmt < 0)
		return PQexecParams(db->conn, sql, n, NULL, values, lengths,
		    formats, 0);
	if ((db->prepared & (1u << stmt)) == 0) {
		res = PQprepare(db->conn, names[stmt], sql, n, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			return res;
		PQclear(res);
		db->prepared |= 1u << stmt;
	}
	return PQexecPrepared(db->conn, names[stmt], n, values, lengths,
	    formats, 0);
}

/* db_exec(), running prepared statement 'stmt' when it is >= 0. */
static enum db_status
db_exec_stmt(struct db *db, const char *what, int stmt, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    PGresult **res)
{
	enum db_status st = DB_UNAVAILABLE;
	ExecStatusType es;

	*res = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (db_connect(db) != DB_OK)
			return DB_UNAVAILABLE;
		PQclear(*res);
		*res = db_run(db, stmt, sql, n, values, lengths, formats);
		es = PQresultStatus(*res);
		if (es == PGRES_TUPLES_OK || es == PGRES_COMMAND_OK)
			return DB_OK;
		st = db_classify(*res, db->conn);
		if (st != DB_UNAVAILABLE)
			break;
		/* The connection dropped: reconnect once and retry. */
		PQfinish(db->conn);
		db->conn = NULL;
		db->prepared = 0;
	}
	if (st != DB_REFUSED)
		log_warnx("%s: %s", what, db->conn != NULL ?
		    PQerrorMessage(db->conn) : "connection lost");
	return st;
}

enum db_status
db_exec(struct db *db, const char *what, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    PGresult **res)
{
	return db_exec_stmt(db, what, -1, sql, n, values, lengths, formats,
	    res);
}

char *
db_strdup(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return strdup(PQgetvalue(res, row, col));
}

int64_t
db_int64(const PGresult *res, int row, int col)
{
	int64_t v = 0;

	if (PQgetisnull(res, row, col))
		return 0;
	if (parse_int64(PQgetvalue(res, row, col), INT64_MIN, INT64_MAX,
	    &v) == -1)
		return 0;
	return v;
}

enum db_status
db_ping(struct db *db)
{
	PGresult *res = NULL;
	enum db_status st;

	st = db_exec(db, __func__, "SELECT 1", 0, NULL, NULL, NULL, &res);
	PQclear(res);
	return st;
}

/* Format a nonzero id into 'b' and return it, or NULL for 0 (SQL null). */
static const char *
id_param(char *b, size_t size, int64_t v)
{
	if (v == 0)
		return NULL;
	(void)snprintf(b, size, "%" PRId64, v);
	return b;
}

#define SQL_EVENT_INSERT \
	"INSERT INTO installation_events (received_at, source, event, " \
	"outcome, delivery_id, app_id, installation_id, entity_type, " \
	"entity_id, entity_name, payload, raw_body) VALUES (" \
	"COALESCE($1::timestamptz, now()), $2, $3, $4, $5, $6::bigint, " \
	"$7::bigint, $8, $9::bigint, $10, $11::jsonb, $12::bytea) " \
	"RETURNING id"

enum db_status
db_event_insert(struct db *db, const struct db_event *ev, int64_t *id)
{
	char app[24], inst[24], ent[24];
	const char *values[12];
	int lengths[12] = { 0 }, formats[12] = { 0 };
	PGresult *res = NULL;
	enum db_status st;

	values[0] = ev->received_at;
	values[1] = ev->source;
	values[2] = ev->event;
	values[3] = ev->outcome;
	values[4] = ev->delivery_id;
	values[5] = id_param(app, sizeof(app), ev->app_id);
	values[6] = id_param(inst, sizeof(inst), ev->installation_id);
	values[7] = ev->entity_type;
	values[8] = id_param(ent, sizeof(ent), ev->entity_id);
	values[9] = ev->entity_name;
	values[10] = ev->payload;
	values[11] = ev->raw;
	lengths[11] = (int)ev->rawlen;
	formats[11] = 1;
	st = db_exec_stmt(db, __func__, DB_STMT_EVENT_INSERT, SQL_EVENT_INSERT,
	    12, values, lengths, formats, &res);
	if (st == DB_OK)
		*id = db_int64(res, 0, 0);
	PQclear(res);
	return st;
}

#define SQL_JOB_INSERT \
	"INSERT INTO jobs (job_id, status, entity_id, entity_type, " \
	"entity_name, installation_id, app_id, repo_full_name, labels, " \
	"html_url) VALUES ($1::bigint, 'pending', $2::bigint, $3, $4, " \
	"$5::bigint, $6::bigint, $7, $8::jsonb, $9) " \
	"ON CONFLICT (job_id) DO NOTHING"

enum db_status
db_job_insert(struct db *db, const struct db_job *job)
{
	char jid[24], ent[24], inst[24], app[24];
	const char *values[9];
	PGresult *res = NULL;
	enum db_status st;

	values[0] = id_param(jid, sizeof(jid), job->job_id);
	values[1] = id_param(ent, sizeof(ent), job->entity_id);
	values[2] = job->entity_type;
	values[3] = job->entity_name;
	values[4] = id_param(inst, sizeof(inst), job->installation_id);
	values[5] = id_param(app, sizeof(app), job->app_id);
	values[6] = job->repo_full_name;
	values[7] = job->labels_json;
	values[8] = job->html_url;
	st = db_exec(db, __func__, SQL_JOB_INSERT, 9, values, NULL, NULL, &res);
	if (st == DB_OK && strcmp(PQcmdTuples(res), "0") == 0)
		st = DB_CONFLICT;
	PQclear(res);
	return st;
}

/* Status rank: a job only moves to a higher rank. */
#define SQL_RANK(x) \
	"(CASE " x " WHEN 'pending' THEN 0 WHEN 'running' THEN 1 ELSE 2 END)"

#define SQL_JOB_ADVANCE \
	"WITH u AS (UPDATE jobs SET status = $2, updated_at = now() " \
	"WHERE job_id = $1::bigint AND " SQL_RANK("status") " < " \
	SQL_RANK("$2::text") " RETURNING 1) " \
	"SELECT EXISTS (SELECT 1 FROM u) OR " \
	"EXISTS (SELECT 1 FROM jobs WHERE job_id = $1::bigint)"

enum db_status
db_job_advance(struct db *db, int64_t job_id, const char *status)
{
	char jid[24];
	const char *values[2];
	PGresult *res = NULL;
	enum db_status st;

	values[0] = id_param(jid, sizeof(jid), job_id);
	values[1] = status;
	st = db_exec(db, __func__, SQL_JOB_ADVANCE, 2, values, NULL, NULL,
	    &res);
	if (st == DB_OK && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		st = DB_NOTFOUND;
	PQclear(res);
	return st;
}
