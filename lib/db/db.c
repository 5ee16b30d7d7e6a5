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

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "core/utc.h"
#include "db/db_priv.h"

struct db *
db_new(const char *url, const char *appname)
{
	struct db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	if ((db->url = strdup(url)) == NULL ||
	    (db->appname = strdup(appname)) == NULL) {
		free(db->url);
		free(db);
		return NULL;
	}
	return db;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	PQfinish(db->conn);
	free(db->url);
	free(db->appname);
	free(db);
}

/* Discard libpq notices (e.g. "relation already exists"). */
static void
db_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

void
db_set_deadline(struct db *db, int ms)
{
	db->deadline = ms > 0 ? clock_monotonic_ms() + ms : 0;
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
		if ((left = until - clock_monotonic_ms()) <= 0)
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
	db->holdoff_until = clock_monotonic_ms() + DB_HOLDOFF_MS;
}

/*
 * Return false when the idle connection of 'db' cannot be trusted: the
 * server has nothing to say to an idle session of ours unless it is
 * closing it (restart, terminated backend: a FATAL error, then the end),
 * so a readable socket means the connection is going away.  Looked at
 * before a statement is sent, so that it is replaced while nothing has
 * been sent on it.
 */
static bool
db_is_alive(struct db *db)
{
	struct pollfd pfd;

	pfd.fd = PQsocket(db->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0)
		return false;
	if (poll(&pfd, 1, 0) == 0)
		return true;
	if (!db->listening)
		return false;
	/*
	 * A LISTEN session (db_listen()) is also told of notifications: read
	 * them (libpq keeps them for db_notified()).  The end of the
	 * connection shows as a failed read.  A FATAL message whose end has
	 * not come yet fails the statement instead, which the stream tries
	 * again; only streams listen, so no other caller sees this.
	 */
	for (int i = 0; i < 8; i++) {
		if (PQconsumeInput(db->conn) == 0 ||
		    PQstatus(db->conn) != CONNECTION_OK)
			return false;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 0)
			return true;
	}
	return true;
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

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    db_is_alive(db))
		return DB_OK;
	PQfinish(db->conn);
	db->conn = NULL;
	if (clock_monotonic_ms() < db->holdoff_until)
		return DB_UNAVAILABLE;
	if (db->deadline != 0 && db->deadline <= clock_monotonic_ms()) {
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
	until = clock_monotonic_ms() + connect_timeout_ms(db->conn);
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
	db->connects++;
	db->listening = false;
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
	/* unique_violation: the row was there already. */
	if (strcmp(state, "23505") == 0)
		return DB_CONFLICT;
	return DB_ERROR;
}

/* How db_run() sends its statement. */
enum db_send {
	DB_SEND_UNNAMED,  /* PQsendQueryParams() */
	DB_SEND_PREPARE,  /* PQsendPrepare() of 'name' */
	DB_SEND_PREPARED, /* PQsendQueryPrepared() of 'name' */
};

/* Send 'sql' or the prepared statement 'name' as 'how' says. */
static int
db_send(PGconn *conn, enum db_send how, const char *name, const char *sql,
    int n, const char *const *values, const int *lengths, const int *formats)
{
	switch (how) {
	case DB_SEND_PREPARE:
		return PQsendPrepare(conn, name, sql, n, NULL);
	case DB_SEND_PREPARED:
		return PQsendQueryPrepared(conn, name, n, values, lengths,
		    formats, 0);
	default:
		return PQsendQueryParams(conn, sql, n, NULL, values, lengths,
		    formats, 0);
	}
}

/*
 * Send one statement ('how', with 'name' when named) on the
 * (non-blocking) connection and collect its result by 'until'.  Sets
 * *res to the result, or leaves it NULL, and *sent once the statement may
 * have reached the server.  Returns DB_OK, a classified failure, or
 * DB_UNAVAILABLE with *timed_out set when 'until' passed first (the
 * connection is then dropped).
 */
static enum db_status
db_run(struct db *db, const char *what, enum db_send how, const char *name,
    const char *sql, int n, const char *const *values, const int *lengths,
    const int *formats, int64_t until, PGresult **res, bool *timed_out,
    bool *sent)
{
	PGresult *r;
	int f, w;

	*timed_out = false;
	*sent = false;
	if (!db_send(db->conn, how, name, sql, n, values, lengths, formats))
		return db_classify(NULL, db->conn);
	*sent = true;
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

void
db_set_prepared(struct db *db, bool on)
{
	db->prepared_on = on;
}

/* True when 'res' failed with SQLSTATE 'state'. */
static bool
db_failed_with(const PGresult *res, const char *state)
{
	const char *s;

	s = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return s != NULL && strcmp(s, state) == 0;
}

/*
 * A server that does not know our prepared statement (26000) or already
 * has its name (42P05) is a pooler switching server connections under
 * us: turn prepared statements off for 'db', once.
 */
static void
db_prepared_lost(struct db *db, const char *what)
{
	log_warnx("%s: the server lost a prepared statement (a pooler in "
	          "transaction mode?): unnamed statements from now on",
	    what);
	db->prepared_on = false;
}

/*
 * Prepare the statement of 'slot' on the connection unless done.  Returns
 * DB_OK, DB_NOTFOUND when prepared statements were turned off (run it
 * unnamed), or a failure as db_run()'s (*res set, *timed_out).
 */
static enum db_status
db_prepare(struct db *db, const char *what, unsigned slot, const char *name,
    const char *sql, int n, int64_t until, PGresult **res, bool *timed_out)
{
	enum db_status st;
	bool sent;

	if (db->prepared_conn != db->connects) {
		memset(db->prepared, 0, sizeof(db->prepared));
		db->prepared_conn = db->connects;
	}
	if (db->prepared[slot / 64] & (UINT64_C(1) << (slot % 64)))
		return DB_OK;
	st = db_run(db, what, DB_SEND_PREPARE, name, sql, n, NULL, NULL, NULL,
	    until, res, timed_out, &sent);
	if (st == DB_OK) {
		db->prepared[slot / 64] |= UINT64_C(1) << (slot % 64);
		PQclear(*res);
		*res = NULL;
	} else if (db_failed_with(*res, "42P05")) {
		db_prepared_lost(db, what);
		PQclear(*res);
		*res = NULL;
		st = DB_NOTFOUND;
	}
	return st;
}

/*
 * db_exec() and db_exec_prepared(): 'slot' is DB_PREP__MAX for an unnamed
 * statement.
 */
static enum db_status
db_exec_slot(struct db *db, const char *what, unsigned slot, const char *sql,
    int n, const char *const *values, const int *lengths, const int *formats,
    PGresult **res)
{
	enum db_status st;
	enum db_send how;
	bool timed_out, dropped, sent;
	int64_t until;
	char name[24];

	*res = NULL;
	(void)snprintf(name, sizeof(name), "instlog_%u", slot);
	for (int attempt = 0;; attempt++) {
		if (db_connect(db) != DB_OK)
			return DB_UNAVAILABLE;
		until = db->deadline != 0
		    ? db->deadline
		    : clock_monotonic_ms() + DB_CALL_LIMIT_MS;
		/*
		 * Send no statement that would be abandoned at once: it
		 * might still commit after the caller spooled the delivery.
		 */
		if (until <= clock_monotonic_ms()) {
			log_warnx("%s: no time left for the statement", what);
			return DB_UNAVAILABLE;
		}
		PQclear(*res);
		*res = NULL;
		how = DB_SEND_UNNAMED;
		timed_out = sent = false;
		st = DB_NOTFOUND;
		if (slot < DB_PREP__MAX && db->prepared_on)
			st = db_prepare(db, what, slot, name, sql, n, until,
			    res, &timed_out);
		if (st == DB_OK)
			how = DB_SEND_PREPARED;
		if (st == DB_OK || st == DB_NOTFOUND)
			st = db_run(db, what, how, name, sql, n, values,
			    lengths, formats, until, res, &timed_out, &sent);
		if (how == DB_SEND_PREPARED && st != DB_OK &&
		    db_failed_with(*res, "26000")) {
			/* Not executed: run it unnamed. */
			db_prepared_lost(db, what);
			attempt--;
			continue;
		}
		if (st == DB_OK || timed_out)
			return st;
		if (st != DB_REFUSED && st != DB_CONFLICT)
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
		 * Retry, once, only a statement that never left: one that
		 * was sent may have run and committed although its reply
		 * was lost, and running it again would do it twice (two
		 * rows, jobs failed twice).  A connection the server closed
		 * while idle is found and replaced before sending
		 * (db_connect()), so a restart in between costs nothing.
		 */
		if (!dropped || sent || attempt > 0)
			return st;
	}
}

enum db_status
db_exec(struct db *db, const char *what, const char *sql, int n,
    const char *const *values, const int *lengths, const int *formats,
    PGresult **res)
{
	return db_exec_slot(db, what, DB_PREP__MAX, sql, n, values, lengths,
	    formats, res);
}

enum db_status
db_exec_prepared(struct db *db, const char *what, unsigned slot,
    const char *sql, int n, const char *const *values, const int *lengths,
    const int *formats, PGresult **res)
{
	return db_exec_slot(db, what, slot < DB_PREP__MAX ? slot : DB_PREP__MAX,
	    sql, n, values, lengths, formats, res);
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
	if (parse_int64(PQgetvalue(res, row, col), INT64_MIN, INT64_MAX, &v) ==
	    -1)
		return 0;
	return v;
}

/* Run 'sql' (no parameters, no rows wanted) as db_exec() does. */
static enum db_status
db_command(struct db *db, const char *what, const char *sql)
{
	PGresult *res = NULL;
	enum db_status st;

	st = db_exec(db, what, sql, 0, NULL, NULL, NULL, &res);
	PQclear(res);
	return st;
}

enum db_status
db_ping(struct db *db)
{
	return db_command(db, __func__, "SELECT 1");
}

enum db_status
db_exec_int64(struct db *db, const char *what, const char *sql, int n,
    const char *const *values, int64_t *out)
{
	PGresult *res = NULL;
	enum db_status st;

	st = db_exec(db, what, sql, n, values, NULL, NULL, &res);
	if (st == DB_OK) {
		if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
			st = DB_NOTFOUND;
		else
			*out = db_int64(res, 0, 0);
	}
	PQclear(res);
	return st;
}

enum db_status
db_lookup_int64(struct db *db, const char *what, const char *sql, int64_t arg,
    int64_t *out)
{
	char v[24];
	const char *values[1] = { v };

	(void)snprintf(v, sizeof(v), "%" PRId64, arg);
	return db_exec_int64(db, what, sql, 1, values, out);
}

#define SQL_LOCK_TRY "SELECT pg_try_advisory_lock($1::bigint)::integer"

enum db_status
db_lock_try(struct db *db, int64_t key, bool *got)
{
	int64_t v = 0;
	enum db_status st;

	st = db_lookup_int64(db, __func__, SQL_LOCK_TRY, key, &v);
	*got = st == DB_OK && v == 1;
	return st == DB_NOTFOUND ? DB_ERROR : st;
}

const char *
db_id_param(char *b, size_t size, int64_t v)
{
	if (v == 0)
		return NULL;
	(void)snprintf(b, size, "%" PRId64, v);
	return b;
}

int
db_array_add(struct buf *b, const char *v)
{
	const char *run;

	if (b->len == 0 && buf_puts(b, "{}") == -1)
		return -1;
	/* Drop the closing brace; a comma unless the literal was empty. */
	b->buf[--b->len] = '\0';
	if (b->buf[b->len - 1] != '{' && buf_append(b, ",", 1) == -1)
		return -1;
	if (v == NULL)
		return buf_puts(b, "NULL}");
	if (buf_append(b, "\"", 1) == -1)
		return -1;
	for (run = v;; v++) {
		if (*v != '\0' && *v != '"' && *v != '\\')
			continue;
		if (buf_append(b, run, (size_t)(v - run)) == -1)
			return -1;
		if (*v == '\0')
			break;
		if (buf_append(b, "\\", 1) == -1)
			return -1;
		run = v;
	}
	return buf_puts(b, "\"}");
}

int
db_int64_array(struct buf *b, const int64_t *v, size_t n)
{
	char s[24];

	if (buf_puts(b, "{}") == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		(void)snprintf(s, sizeof(s), "%" PRId64, v[i]);
		if (db_array_add(b, s) == -1)
			return -1;
	}
	return 0;
}

void
db_set_error(struct db *db, const char *message)
{
	(void)snprintf(db->last_error, sizeof(db->last_error), "%s", message);
}

int64_t
db_deadline(const struct db *db)
{
	return db->deadline;
}

const char *
db_error_message(const struct db *db)
{
	return db->last_error;
}

/* LISTEN per channel: constant SQL text, as every statement. */
static const char *const db_listen_sql[DB_CHANNEL__MAX] = {
	[DB_CHANNEL_EVENTS] = "LISTEN instlog_events",
	[DB_CHANNEL_OPERATIONS] = "LISTEN instlog_operations",
};

enum db_status
db_listen(struct db *db, enum db_channel ch, unsigned long *conn)
{
	enum db_status st;

	st = db_command(db, __func__, db_listen_sql[ch]);
	if (st == DB_OK) {
		*conn = db->connects;
		db->listening = true;
	}
	return st;
}

enum db_status
db_unlisten(struct db *db)
{
	enum db_status st;

	st = db_command(db, __func__, "UNLISTEN *");
	if (st == DB_OK)
		(void)db_notified(db);
	return st;
}

bool
db_listen_is_current(const struct db *db, unsigned long conn)
{
	return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    db->connects == conn;
}

int
db_listen_fd(const struct db *db)
{
	return db->conn == NULL ? -1 : PQsocket(db->conn);
}

int
db_notified(struct db *db)
{
	PGnotify *n;
	int count = 0;

	if (db->conn == NULL || PQconsumeInput(db->conn) == 0) {
		db_log(db, __func__, db->conn);
		return -1;
	}
	while ((n = PQnotifies(db->conn)) != NULL) {
		PQfreemem(n);
		count++;
	}
	return count;
}
