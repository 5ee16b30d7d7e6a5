/* SPDX-License-Identifier: MIT */
/* PostgreSQL access: one persistent connection per process, reconnecting. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* CLOCK_MONOTONIC in milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
db_set_deadline(struct db *db, int ms)
{
	db->deadline = ms > 0 ? now_ms() + ms : 0;
}

/*
 * Log "what: <libpq's message>" on one line, and keep the message for
 * db_error_message().
 */
static void
db_log(struct db *db, const char *what, const PGconn *conn)
{
	const char *msg = conn == NULL ? "out of memory" : PQerrorMessage(conn);
	size_t n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (n == 0)
		msg = "connection lost";
	(void)snprintf(db->last_error, sizeof(db->last_error), "%.*s",
	    (int)(n > 0 ? n : strlen(msg)), msg);
	log_warnx("%s: %s", what, db->last_error);
}

/*
 * Wait until the socket of 'conn' is ready for 'events' or 'until' (ms)
 * has come.  Returns 1 when ready, 0 on timeout, -1 on error.
 */
static int
db_wait(const PGconn *conn, short events, int64_t until)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	pfd.fd = PQsocket(conn);
	pfd.events = events;
	pfd.revents = 0;
	if (pfd.fd < 0)
		return -1;
	for (;;) {
		if ((left = until - now_ms()) <= 0)
			return 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* The connect_timeout in force for 'conn' (the URL may set it), in ms. */
static int64_t
connect_timeout_ms(PGconn *conn)
{
	PQconninfoOption *opts, *o;
	int64_t s, ms = 2000;

	if ((opts = PQconninfo(conn)) == NULL)
		return ms;
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "connect_timeout") == 0 &&
		    o->val != NULL && parse_int64(o->val, 1, 3600, &s) == 0)
			ms = (s < 2 ? 2 : s) * 1000;
	PQconninfoFree(opts);
	return ms;
}

/* Drop the connection after a timeout and fail fast for a while. */
static void
db_timed_out(struct db *db, const char *what)
{
	(void)snprintf(db->last_error, sizeof(db->last_error),
	    "no answer from the database in time");
	log_warnx("%s: no answer from the database in time; not trying again "
	          "for %d ms",
	    what, DB_HOLDOFF_MS);
	PQfinish(db->conn);
	db->conn = NULL;
	db->holdoff_until = now_ms() + DB_HOLDOFF_MS;
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
	const char *vals[] = { "2",
		"-c statement_timeout=5000 -c lock_timeout=2000 "
		"-c idle_in_transaction_session_timeout=10000 "
		"-c search_path=public",
		db->url, db->appname, NULL };
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	int64_t until;
	int w;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return DB_OK;
	PQfinish(db->conn);
	db->conn = NULL;
	if (now_ms() < db->holdoff_until)
		return DB_UNAVAILABLE;
	if (db->deadline != 0 && db->deadline <= now_ms()) {
		log_warnx("%s: no time left to connect", __func__);
		return DB_UNAVAILABLE;
	}
	/*
	 * Connect without blocking so that connect_timeout and the deadline
	 * hold even when the server accepts the TCP connection and then says
	 * nothing (stopped, swapping, or a black hole in between).
	 */
	db->conn = PQconnectStartParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD)
		goto fail;
	until = now_ms() + connect_timeout_ms(db->conn);
	if (db->deadline != 0 && db->deadline < until)
		until = db->deadline;
	while (ps != PGRES_POLLING_OK) {
		if (ps == PGRES_POLLING_FAILED)
			goto fail;
		w = db_wait(db->conn,
		    ps == PGRES_POLLING_READING ? POLLIN : POLLOUT, until);
		if (w == 0) {
			db_timed_out(db, "db_connect");
			return DB_UNAVAILABLE;
		}
		if (w == -1)
			goto fail;
		ps = PQconnectPoll(db->conn);
	}
	if (PQsetnonblocking(db->conn, 1) == -1)
		goto fail;
	(void)PQsetNoticeProcessor(db->conn, db_notice, NULL);
	return DB_OK;
fail:
	db_log(db, "db_connect: cannot connect", db->conn);
	PQfinish(db->conn);
	db->conn = NULL;
	return DB_UNAVAILABLE;
}

/* Classify a failed result. */
static enum db_status
db_classify(const PGresult *res, const PGconn *conn)
{
	const char *state;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return DB_UNAVAILABLE;
	state = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state == NULL)
		return DB_UNAVAILABLE;
	/*
	 * Worth trying again later: class 08 connection exception, 57P0x
	 * server shutting down, 57014 statement_timeout (query_canceled),
	 * 55P03 lock_timeout, class 53 insufficient resources (disk full,
	 * too many connections), 40001/40P01 serialization failure and
	 * deadlock.
	 */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0 ||
	    strncmp(state, "53", 2) == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0)
		return DB_UNAVAILABLE;
	/* Class 22 data exception; class 54 program limit (e.g. too deep). */
	if (strncmp(state, "22", 2) == 0 || strncmp(state, "54", 2) == 0)
		return DB_REFUSED;
	return DB_ERROR;
}

/*
 * Send one statement on the (non-blocking) connection and collect its
 * result by 'until'.  Sets *res to the result, or leaves it NULL.  Returns
 * DB_OK, a classified failure, or DB_UNAVAILABLE with *timed_out set when
 * 'until' passed first (the connection is then dropped).
 */
static enum db_status
db_run(struct db *db, const char *what, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    int64_t until, PGresult **res, bool *timed_out)
{
	PGresult *r;
	int f, w;

	*timed_out = false;
	if (!PQsendQueryParams(db->conn, sql, n, NULL, values, lengths, formats,
	        0))
		return db_classify(NULL, db->conn);
	/* A large body may not fit the socket buffer at once. */
	while ((f = PQflush(db->conn)) == 1) {
		if ((w = db_wait(db->conn, POLLIN | POLLOUT, until)) == 0)
			goto timeout;
		if (w == -1 || !PQconsumeInput(db->conn))
			return db_classify(NULL, db->conn);
	}
	if (f == -1)
		return db_classify(NULL, db->conn);
	for (;;) {
		while (PQisBusy(db->conn)) {
			if ((w = db_wait(db->conn, POLLIN, until)) == 0)
				goto timeout;
			/* Leave the connection busy: db_exec() drops it. */
			if (w == -1 || !PQconsumeInput(db->conn))
				return db_classify(*res, db->conn);
		}
		if ((r = PQgetResult(db->conn)) == NULL)
			break;
		if (*res == NULL)
			*res = r;
		else
			PQclear(r);
	}
	switch (PQresultStatus(*res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		return DB_OK;
	default:
		return db_classify(*res, db->conn);
	}
timeout:
	*timed_out = true;
	db_timed_out(db, what);
	return DB_UNAVAILABLE;
}

enum db_status
db_exec(struct db *db, const char *what, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    PGresult **res)
{
	enum db_status st;
	bool timed_out, dropped;
	int64_t until;

	*res = NULL;
	for (int attempt = 0;; attempt++) {
		if (db_connect(db) != DB_OK)
			return DB_UNAVAILABLE;
		until = db->deadline != 0 ? db->deadline
		                          : now_ms() + DB_CALL_LIMIT_MS;
		/*
		 * Send no statement that would be abandoned at once: it
		 * might still commit after the caller spooled the delivery.
		 */
		if (until <= now_ms()) {
			log_warnx("%s: no time left for the statement", what);
			return DB_UNAVAILABLE;
		}
		PQclear(*res);
		*res = NULL;
		st = db_run(db, what, sql, n, values, lengths, formats, until,
		    res, &timed_out);
		if (st == DB_OK || timed_out)
			return st;
		if (st != DB_REFUSED)
			db_log(db, what, db->conn);
		else {
			size_t m;

			(void)snprintf(db->last_error, sizeof(db->last_error),
			    "%s", PQresultErrorMessage(*res));
			m = strlen(db->last_error);
			while (m > 0 && db->last_error[m - 1] == '\n')
				db->last_error[--m] = '\0';
		}
		/* A connection not back at idle cannot be reused. */
		dropped = PQstatus(db->conn) != CONNECTION_OK;
		if (dropped || PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
			PQfinish(db->conn);
			db->conn = NULL;
		}
		/*
		 * The server dropped the connection (restarted since the
		 * last request, say): reconnect once and retry, so the
		 * request in hand is not failed for a stale connection.
		 */
		if (!dropped || attempt > 0)
			return st;
	}
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

#define SQL_LOCK_TRY "SELECT pg_try_advisory_lock($1::bigint)"

enum db_status
db_lock_try(struct db *db, int64_t key, bool *got)
{
	char k[24];
	const char *values[1] = { k };
	PGresult *res = NULL;
	enum db_status st;

	*got = false;
	(void)snprintf(k, sizeof(k), "%" PRId64, key);
	st = db_exec(db, __func__, SQL_LOCK_TRY, 1, values, NULL, NULL, &res);
	if (st == DB_OK)
		*got = PQntuples(res) == 1 &&
		    strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return st;
}

const char *
db_id_param(char *b, size_t size, int64_t v)
{
	if (v == 0)
		return NULL;
	(void)snprintf(b, size, "%" PRId64, v);
	return b;
}

#define SQL_EVENT_INSERT \
	"INSERT INTO installation_events (received_at, source, event, " \
	"outcome, delivery_id, app_id, installation_id, entity_type, " \
	"entity_id, entity_name, payload, raw_body, request_id) VALUES (" \
	"COALESCE($1::timestamptz, now()), $2, $3, $4, $5, $6::bigint, " \
	"$7::bigint, $8, $9::bigint, $10, $11::jsonb, $12::bytea, $13) " \
	"RETURNING id"

enum db_status
db_event_insert(struct db *db, const struct db_event *ev, int64_t *id)
{
	char app[24], inst[24], ent[24];
	const char *values[13];
	int lengths[13] = { 0 }, formats[13] = { 0 };
	PGresult *res = NULL;
	enum db_status st;

	values[0] = ev->received_at;
	values[1] = ev->source;
	values[2] = ev->event;
	values[3] = ev->outcome;
	values[4] = ev->delivery_id;
	values[5] = db_id_param(app, sizeof(app), ev->app_id);
	values[6] = db_id_param(inst, sizeof(inst), ev->installation_id);
	values[7] = ev->entity_type;
	values[8] = db_id_param(ent, sizeof(ent), ev->entity_id);
	values[9] = ev->entity_name;
	values[10] = ev->payload;
	values[11] = ev->raw;
	lengths[11] = (int)ev->rawlen;
	formats[11] = 1;
	values[12] = ev->request_id;
	st = db_exec(db, __func__, SQL_EVENT_INSERT, 13, values, lengths,
	    formats, &res);
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

	values[0] = db_id_param(jid, sizeof(jid), job->job_id);
	values[1] = db_id_param(ent, sizeof(ent), job->entity_id);
	values[2] = job->entity_type;
	values[3] = job->entity_name;
	values[4] = db_id_param(inst, sizeof(inst), job->installation_id);
	values[5] = db_id_param(app, sizeof(app), job->app_id);
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

	values[0] = db_id_param(jid, sizeof(jid), job_id);
	values[1] = status;
	st = db_exec(db, __func__, SQL_JOB_ADVANCE, 2, values, NULL, NULL,
	    &res);
	if (st == DB_OK && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		st = DB_NOTFOUND;
	PQclear(res);
	return st;
}

int
db_int64_array(struct buf *b, const int64_t *v, size_t n)
{
	if (buf_puts(b, "{") == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (buf_printf(b, "%s%" PRId64, i == 0 ? "" : ",", v[i]) == -1)
			return -1;
	return buf_puts(b, "}");
}

const char *
db_error_message(const struct db *db)
{
	return db->last_error;
}
