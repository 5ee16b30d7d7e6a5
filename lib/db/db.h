/* SPDX-License-Identifier: MIT */
/* PostgreSQL access: one persistent connection per process, reconnecting. */
#ifndef INSTLOG_DB_H
#define INSTLOG_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

enum db_status {
	DB_OK = 0,
	DB_NOTFOUND,    /* no such row */
	DB_CONFLICT,    /* the row was already there (SQLSTATE 23505) */
	DB_REFUSED,     /* the statement failed on the data (SQLSTATE 22, 54) */
	DB_ERROR,       /* the statement failed otherwise (logged) */
	DB_UNAVAILABLE, /* the server cannot be reached, did not answer in
	                   time or cancelled the statement: try again
	                   later (logged) */
};

/* A call without a deadline (db_set_deadline()) gives up after this. */
#define DB_CALL_LIMIT_MS 30000

/*
 * After a connect or a statement ran out of time, connecting fails at once
 * for this long, so that requests queued behind a stalled server are
 * answered (spooled) quickly instead of each waiting out its deadline.
 */
#define DB_HOLDOFF_MS 3000

/*
 * Create a handle for 'url' (a libpq connection string or URI, copied).
 * 'appname' (copied) becomes application_name.
 * Connects lazily.  connect_timeout (2 s), statement_timeout (5 s),
 * lock_timeout (2 s) and search_path get defaults that the URL may
 * override.  The caller frees it with db_free().  Returns NULL when out of
 * memory.
 */
struct db *db_new(const char *url, const char *appname);

/* Close the connection and free 'db' (NULL accepted). */
void db_free(struct db *db);

/*
 * Let the statements that ask for it (the webhook's writes) run as named
 * prepared statements, prepared once per connection ('on'), or keep every
 * statement unnamed (the default: what PgBouncer's transaction pooling
 * before 1.21 needs).  A server that loses or refuses a prepared statement
 * (a pooler in between) turns them off for 'db' for good, logged once.
 */
void db_set_prepared(struct db *db, bool on);

/*
 * Make sure the connection is up, reconnecting when it dropped.  The
 * attempt gives up after connect_timeout or at the deadline, whichever
 * comes first, and is not made at all for DB_HOLDOFF_MS after a timeout.
 * Returns DB_OK or DB_UNAVAILABLE (logged once per failure).
 */
enum db_status db_connect(struct db *db);

/*
 * Check the server answers a trivial query.  Returns DB_OK or
 * DB_UNAVAILABLE / DB_ERROR.
 */
enum db_status db_ping(struct db *db);

/*
 * Try to take the session-level advisory lock 'key' without waiting
 * (pg_try_advisory_lock).  Sets *got to whether this session now holds
 * it; it is released when the connection closes (db_free()).  Returns
 * DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_lock_try(struct db *db, int64_t key, bool *got);

/*
 * Bound every following call on 'db': each connect and statement must be
 * done 'ms' milliseconds from now or fails with DB_UNAVAILABLE; 0 removes
 * the bound.  A statement cut off by the deadline drops the connection,
 * and may still commit on a server that was only frozen (at-least-once:
 * the caller spools, and reads dedupe by delivery_id).  The webhook sets
 * it per request so that it answers within nginx's and GitHub's timeouts.
 */
void db_set_deadline(struct db *db, int ms);

/*
 * libpq's message of the last failure on 'db' (one line; "" when none),
 * owned by 'db' and valid until its next call.
 */
const char *db_error_message(const struct db *db);

/* The size of db_error_message()'s text, NUL included. */
#define DB_ERROR_MAX 512

/* Set the text db_error_message() returns (for a write made elsewhere). */
void db_set_error(struct db *db, const char *message);

/* The deadline of db_set_deadline(): CLOCK_MONOTONIC ms, 0 when none. */
int64_t db_deadline(const struct db *db);

/* The NOTIFY channels of sql/015_stream.sql. */
enum db_channel {
	DB_CHANNEL_EVENTS,     /* a statement added installation_events rows */
	DB_CHANNEL_OPERATIONS, /* a statement added or changed operations */
	DB_CHANNEL__MAX
};

/*
 * LISTEN on 'ch' and set *conn to the connection it holds on (see
 * db_listen_is_current()).  Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_listen(struct db *db, enum db_channel ch,
    unsigned long *conn);

/*
 * UNLISTEN on every channel and drop the notifications already come: the
 * server no longer wakes this session at each NOTIFY.  Returns DB_OK,
 * DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_unlisten(struct db *db);

/*
 * Whether the connection of db_listen()'s *conn is still the one up: a
 * statement may have reconnected (db_connect()), which ends the LISTEN.
 */
bool db_listen_is_current(const struct db *db, unsigned long conn);

/* The connection's socket, to poll for notifications; -1 when none. */
int db_listen_fd(const struct db *db);

/*
 * Read what the server sent and drop the notifications that came (their
 * payloads are empty).  Call it before any statement once the socket is
 * readable: an unread notification looks like a dropped connection to
 * db_connect().  Returns how many came, or -1 when the connection failed
 * (logged).
 */
int db_notified(struct db *db);

#endif
