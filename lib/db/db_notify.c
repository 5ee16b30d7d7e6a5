/* SPDX-License-Identifier: MIT */
/* The notifier's queries: cursor, what to announce, queue, sends. */
#include "db/db_notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "core/str.h"
#include "db/db_priv.h"
#include "db/db_trace_sql.h" /* SQL_UTC */

/*
 * One statement, so one snapshot: the largest id it sees, and the xmin
 * and xmax of that snapshot.
 */
#define SQL_SNAPSHOT                                             \
 "SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text, " \
 "(SELECT max(id) FROM installation_events) FROM pg_current_snapshot() s"

/* The same of the operations' stream_seq (the live tail). */
#define SQL_SNAPSHOT_OPS                                         \
 "SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text, " \
 "(SELECT max(stream_seq) FROM operations) FROM pg_current_snapshot() s"

/* Run snapshot query 'sql' into *snap. */
static enum db_status
snapshot_read(struct db *db, const char *what, unsigned slot, const char *sql,
    struct db_notify_snapshot *snap)
{
	PGresult *res = NULL;
	enum db_status st;

	memset(snap, 0, sizeof(*snap));
	st = db_exec_prepared(db, what, slot, sql, 0, NULL, NULL, NULL, &res);
	if (st == DB_OK && PQntuples(res) == 1) {
		(void)snprintf(snap->xmin, sizeof(snap->xmin), "%s",
		    PQgetvalue(res, 0, 0));
		(void)snprintf(snap->xmax, sizeof(snap->xmax), "%s",
		    PQgetvalue(res, 0, 1));
		snap->max_id = db_int64(res, 0, 2);
	} else if (st == DB_OK)
		st = DB_ERROR;
	PQclear(res);
	return st;
}

enum db_status
db_notify_snapshot(struct db *db, struct db_notify_snapshot *snap)
{
	return snapshot_read(db, __func__, DB_PREP_SNAPSHOT, SQL_SNAPSHOT,
	    snap);
}

enum db_status
db_notify_snapshot_ops(struct db *db, struct db_notify_snapshot *snap)
{
	return snapshot_read(db, __func__, DB_PREP_SNAPSHOT_OPS,
	    SQL_SNAPSHOT_OPS, snap);
}

/*
 * The pending id settles once the snapshot's xmin has reached the xmax
 * it waits for; then the previous run's largest id becomes pending,
 * waiting for this snapshot's xmax, and this one's is remembered.
 */
#define SQL_CURSOR_ADVANCE                                                 \
 "WITH c AS (SELECT n.*, n.pending_xmax IS NULL "                          \
 "OR $1::xid8 >= n.pending_xmax AS ripe FROM notify_cursor n FOR UPDATE) " \
 "UPDATE notify_cursor n SET "                                             \
 "settled_id = CASE WHEN c.ripe AND c.pending_id IS NOT NULL THEN "        \
 "greatest(c.settled_id, c.pending_id) ELSE c.settled_id END, "            \
 "pending_id = CASE WHEN c.ripe THEN c.seen_id ELSE c.pending_id END, "    \
 "pending_xmax = CASE WHEN c.ripe THEN CASE WHEN c.seen_id IS NULL THEN "  \
 "NULL ELSE $2::xid8 END ELSE c.pending_xmax END, "                        \
 "seen_id = coalesce($3::bigint, c.seen_id) FROM c WHERE n.one"

enum db_status
db_notify_cursor_advance(struct db *db, const struct db_notify_snapshot *snap)
{
	char m[24];
	const char *values[3] = { snap->xmin, snap->xmax, NULL };
	PGresult *res = NULL;
	enum db_status st;

	values[2] = db_id_param(m, sizeof(m), snap->max_id);
	st = db_exec(db, __func__, SQL_CURSOR_ADVANCE, 3, values, NULL, NULL,
	    &res);
	if (st == DB_OK && strcmp(PQcmdTuples(res), "1") != 0) {
		log_warnx("%s: no notify_cursor row (migration 010)", __func__);
		st = DB_ERROR;
	}
	PQclear(res);
	return st;
}

/*
 * The announced log rows above the settled id (a row committed late has
 * an id below ones already seen, and is still above it), with only the
 * payload members the notification reads.
 */
/* clang-format off */
#define SQL_SOURCES_ROWS \
	"SELECT e.id, e.operation_id, " SQL_UTC("e.received_at") ", " \
	"e.event, e.installation_id, e.app_id, e.entity_id, e.entity_type, " \
	"e.entity_name, (SELECT jsonb_build_object(" \
	"'sender', x.p -> 'sender', 'changes', x.p -> 'changes', " \
	"'repositories_removed', x.p -> 'repositories_removed', " \
	"'repository', x.p -> 'repository', " \
	"'http_status', x.p -> 'http_status', 'message', x.p -> 'message', " \
	"'marketplace_purchase', jsonb_build_object('plan', " \
	"x.p #> '{marketplace_purchase,plan}'), " \
	"'effective_date', x.p -> 'effective_date') " \
	"FROM (SELECT " SQL_DOC("e.") " AS p OFFSET 0) x)::text, NULL, NULL " \
	"FROM installation_events e, notify_cursor c " \
	"WHERE e.id > c.settled_id AND e.event = ANY ($1::text[]) " \
	"AND NOT EXISTS (SELECT 1 FROM notifications n " \
	"WHERE n.event_row_id = e.id) " \
	"AND NOT (e.delivery_id IS NOT NULL AND EXISTS (SELECT 1 FROM " \
	"installation_events d WHERE d.delivery_id = e.delivery_id " \
	"AND d.event = e.event AND d.id < e.id)) " \
	"ORDER BY e.id LIMIT $2::int"
/* clang-format on */

/* Failed operations, but notify's own: its failures are its sinks'. */
#define SQL_SOURCES_OPS                                                                                                \
 "SELECT 0, o.id, " SQL_UTC(                                                                                           \
     "coalesce(o.completed_at, o.started_at)") ", 'operation.failed', NULL, NULL, NULL, NULL, NULL, NULL, o.type, "    \
	                                       "o.error FROM operations o, notify_cursor c "                           \
	                                       "WHERE o.status = 'failed' AND o.id > c.op_floor "                      \
	                                       "AND o.type <> 'notify' AND NOT EXISTS (SELECT 1 FROM notifications n " \
	                                       "WHERE n.operation_id = o.id) ORDER BY o.id LIMIT $1::int"

/* Append the text[] literal of the NULL-terminated 'v'.  0 or -1. */
static int
text_array(struct buf *b, const char *const *v)
{
	if (buf_puts(b, "{}") == -1)
		return -1;
	for (size_t i = 0; v[i] != NULL; i++)
		if (db_array_add(b, v[i]) == -1)
			return -1;
	return 0;
}

/*
 * Run 'sql' with $1 the text[] of the NULL-terminated 'names' and $2
 * DB_NOTIFY_BATCH, or, when 'names' is NULL, with $1 DB_NOTIFY_BATCH
 * alone.  Sets *res as db_exec() does.
 */
static enum db_status
exec_batch(struct db *db, const char *what, const char *sql,
    const char *const *names, PGresult **res)
{
	char limit[16];
	const char *values[2];
	enum db_status st = DB_ERROR;
	struct buf list;
	int n = 0;

	*res = NULL;
	buf_init(&list);
	(void)snprintf(limit, sizeof(limit), "%d", DB_NOTIFY_BATCH);
	if (names != NULL) {
		if (text_array(&list, names) == -1) {
			log_warnx("%s: out of memory", what);
			goto out;
		}
		values[n++] = list.buf;
	}
	values[n++] = limit;
	st = db_exec(db, what, sql, n, values, NULL, NULL, res);
out:
	buf_release(&list);
	return st;
}

static void
source_release(struct db_notify_source *s)
{
	free(s->occurred_at);
	free(s->action);
	free(s->entity_type);
	free(s->entity_login);
	free(s->payload);
	free(s->op_type);
	free(s->op_error);
}

void
db_notify_sources_release(struct db_notify_sources *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		source_release(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Append the rows of 'res' to 'out'.  0, or -1 when out of memory. */
static int
sources_read(const PGresult *res, struct db_notify_sources *out)
{
	int rows = PQntuples(res);
	struct db_notify_source *v;

	if (rows == 0)
		return 0;
	v = reallocarray(out->v, out->n + (size_t)rows, sizeof(*v));
	if (v == NULL)
		return -1;
	out->v = v;
	for (int i = 0; i < rows; i++) {
		struct db_notify_source *s = &out->v[out->n++];
		char **strs[] = { &s->occurred_at, &s->action, &s->entity_type,
			&s->entity_login, &s->payload, &s->op_type,
			&s->op_error };
		const int cols[] = { 2, 3, 7, 8, 9, 10, 11 };

		memset(s, 0, sizeof(*s));
		s->row_id = db_int64(res, i, 0);
		s->operation_id = db_int64(res, i, 1);
		s->installation_id = db_int64(res, i, 4);
		s->app_id = db_int64(res, i, 5);
		s->entity_id = db_int64(res, i, 6);
		for (size_t j = 0; j < sizeof(cols) / sizeof(cols[0]); j++)
			if ((*strs[j] = db_strdup(res, i, cols[j])) == NULL &&
			    !PQgetisnull(res, i, cols[j]))
				return -1;
	}
	return 0;
}

enum db_status
db_notify_sources_get(struct db *db, const char *const *events,
    struct db_notify_sources *out)
{
	PGresult *res = NULL;
	enum db_status st;

	memset(out, 0, sizeof(*out));
	st = exec_batch(db, __func__, SQL_SOURCES_ROWS, events, &res);
	if (st == DB_OK && sources_read(res, out) == 0) {
		PQclear(res);
		st = exec_batch(db, __func__, SQL_SOURCES_OPS, NULL, &res);
		if (st == DB_OK && sources_read(res, out) == -1)
			st = DB_REFUSED; /* out of memory, below */
	} else if (st == DB_OK)
		st = DB_REFUSED;
	if (st == DB_REFUSED) {
		log_warnx("%s: out of memory", __func__);
		st = DB_ERROR;
	}
	if (st != DB_OK)
		db_notify_sources_release(out);
	PQclear(res);
	return st;
}

/*
 * $1 row id, $2 operation id, $3 action, $4 installation, $5 entity,
 * $6 event key, $7 body, $8 Slack body, $9 sinks, $10 whether an auth
 * failure, $11 the cause or NULL.  'open' is the installation's announced
 * failure of the same cause (coalesce(cause, action): the key of
 * sql/019's index) that nothing healthy has followed: a successful auth
 * (ok_at after it) or an installation.created or unsuspend row between
 * it and this one.
 */
#define SQL_QUEUE                                                          \
 "WITH last AS (SELECT n.id, f.id AS fid, f.received_at "                  \
 "FROM notifications n JOIN installation_events f "                        \
 "ON f.id = n.event_row_id WHERE $10::boolean "                            \
 "AND n.installation_id = $4::bigint "                                     \
 "AND coalesce(n.cause, n.action) = coalesce($11::text, $3) "              \
 "AND n.repeat_of IS NULL AND n.action LIKE 'auth_attempt.%' "             \
 "AND n.event_row_id < $1::bigint ORDER BY n.id DESC LIMIT 1), "           \
 "open AS (SELECT l.id FROM last l WHERE NOT EXISTS (SELECT 1 FROM "       \
 "auth_cache a WHERE a.installation_id = $4::bigint "                      \
 "AND a.ok_at > l.received_at) AND NOT EXISTS (SELECT 1 FROM "             \
 "installation_events h WHERE h.installation_id = $4::bigint "             \
 "AND h.event IN ('installation.created', 'installation.unsuspend') "      \
 "AND h.id > l.fid AND h.id < $1::bigint)), "                              \
 "ins AS (INSERT INTO notifications (event_row_id, operation_id, action, " \
 "installation_id, entity_id, event_key, repeat_of, body, slack_body, "    \
 "cause) "                                                                 \
 "SELECT nullif($1::bigint, 0), CASE WHEN $1::bigint = 0 THEN "            \
 "$2::bigint END, $3, $4::bigint, $5::bigint, $6, o.id, "                  \
 "CASE WHEN o.id IS NULL THEN $7 END, CASE WHEN o.id IS NULL THEN $8 END " \
 ", $11::text "                                                            \
 "FROM (SELECT (SELECT id FROM open) AS id) o "                            \
 "ON CONFLICT DO NOTHING RETURNING id, repeat_of), "                       \
 "sends AS (INSERT INTO notification_sends (notification_id, sink) "       \
 "SELECT ins.id, s FROM ins, unnest($9::text[]) s "                        \
 "WHERE ins.repeat_of IS NULL RETURNING 1) "                               \
 "SELECT (SELECT repeat_of FROM ins), (SELECT count(*) FROM sends)"

enum db_status
db_notify_queue(struct db *db, const struct db_notify_new *n,
    const char *const *sinks, int64_t *repeat_of)
{
	char row[24], op[24], inst[24], ent[24];
	const char *values[11];
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;
	struct buf names;

	*repeat_of = 0;
	buf_init(&names);
	if (text_array(&names, sinks) == -1) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	(void)snprintf(row, sizeof(row), "%" PRId64, n->row_id);
	values[0] = row;
	values[1] = db_id_param(op, sizeof(op), n->operation_id);
	values[2] = n->action;
	values[3] = db_id_param(inst, sizeof(inst), n->installation_id);
	values[4] = db_id_param(ent, sizeof(ent), n->entity_id);
	values[5] = n->event_key;
	values[6] = n->body;
	values[7] = n->slack_body;
	values[8] = names.buf;
	values[9] = n->is_auth ? "true" : "false";
	values[10] = n->cause;
	st = db_exec(db, __func__, SQL_QUEUE, 11, values, NULL, NULL, &res);
	if (st == DB_OK && PQntuples(res) == 1)
		*repeat_of = db_int64(res, 0, 0);
out:
	PQclear(res);
	buf_release(&names);
	return st;
}

/* The oldest due sends of each sink, DB_NOTIFY_BATCH at most each. */
#define SQL_SENDS_GET                                                \
 "SELECT s.notification_id, s.sink, s.attempts, "                    \
 "floor(extract(epoch FROM now() - n.created_at))::bigint, "         \
 "n.installation_id, n.entity_id, n.event_key, n.action, "           \
 "CASE s.sink WHEN 'gateway' THEN n.body ELSE n.slack_body END "     \
 "FROM unnest($1::text[]) k(sink), LATERAL (SELECT * FROM "          \
 "notification_sends s WHERE s.sink = k.sink AND s.sent_at IS NULL " \
 "AND s.given_up_at IS NULL AND s.abandoned_at IS NULL "             \
 "AND s.next_attempt_at <= now() "                                   \
 "ORDER BY s.next_attempt_at, s.notification_id LIMIT $2::int) s "   \
 "JOIN notifications n ON n.id = s.notification_id "                 \
 "ORDER BY s.next_attempt_at, s.notification_id, s.sink"

void
db_notify_sends_release(struct db_notify_sends *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].sink);
		free(s->v[i].event_key);
		free(s->v[i].action);
		free(s->v[i].body);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/*
 * Copy the sends of 'res' (the columns of SQL_SENDS_GET) into *out, which
 * the caller releases.  Returns 0, or -1 when out of memory (logged).
 */
static int
sends_read(const PGresult *res, struct db_notify_sends *out, const char *what)
{
	int rows = PQntuples(res);

	if (rows == 0)
		return 0;
	if ((out->v = calloc((size_t)rows, sizeof(*out->v))) == NULL)
		goto oom;
	for (int i = 0; i < rows; i++) {
		struct db_notify_send *s = &out->v[out->n++];

		s->notification_id = db_int64(res, i, 0);
		s->sink = db_strdup(res, i, 1);
		s->attempts = db_int64(res, i, 2);
		s->age = db_int64(res, i, 3);
		s->installation_id = db_int64(res, i, 4);
		s->entity_id = db_int64(res, i, 5);
		s->event_key = db_strdup(res, i, 6);
		s->action = db_strdup(res, i, 7);
		s->body = db_strdup(res, i, 8);
		if (s->sink == NULL || s->event_key == NULL ||
		    s->action == NULL || s->body == NULL)
			goto oom;
	}
	return 0;
oom:
	log_warnx("%s: out of memory", what);
	return -1;
}

/*
 * Run 'sql', a query of sends (the columns of SQL_SENDS_GET), with $1 the
 * NULL-terminated 'sinks' and $2 DB_NOTIFY_BATCH, into *out (see
 * db_notify_sends_get()).
 */
static enum db_status
sends_query(struct db *db, const char *what, const char *sql,
    const char *const *sinks, struct db_notify_sends *out)
{
	PGresult *res = NULL;
	enum db_status st;

	memset(out, 0, sizeof(*out));
	st = exec_batch(db, what, sql, sinks, &res);
	if (st == DB_OK && sends_read(res, out, what) == -1)
		st = DB_ERROR;
	if (st != DB_OK)
		db_notify_sends_release(out);
	PQclear(res);
	return st;
}

enum db_status
db_notify_sends_get(struct db *db, const char *const *sinks,
    struct db_notify_sends *out)
{
	return sends_query(db, __func__, SQL_SENDS_GET, sinks, out);
}

/*
 * End as abandoned the oldest pending sends (not sent, given up or
 * abandoned; due or not) to a sink not in $1, $2 at most, and return them
 * with the columns of SQL_SENDS_GET (an empty body).
 */
#define SQL_ABANDON                                                   \
 "WITH p AS (SELECT notification_id, sink FROM notification_sends "   \
 "WHERE sent_at IS NULL AND given_up_at IS NULL "                     \
 "AND abandoned_at IS NULL AND sink <> ALL ($1::text[]) "             \
 "ORDER BY notification_id, sink LIMIT $2::int FOR UPDATE), "         \
 "a AS (UPDATE notification_sends s SET abandoned_at = now() FROM p " \
 "WHERE s.notification_id = p.notification_id AND s.sink = p.sink "   \
 "RETURNING s.notification_id, s.sink, s.attempts) "                  \
 "SELECT a.notification_id, a.sink, a.attempts, "                     \
 "floor(extract(epoch FROM now() - n.created_at))::bigint, "          \
 "n.installation_id, n.entity_id, n.event_key, n.action, '' "         \
 "FROM a JOIN notifications n ON n.id = a.notification_id "           \
 "ORDER BY a.notification_id, a.sink"

enum db_status
db_notify_abandon(struct db *db, const char *const *sinks,
    struct db_notify_sends *out)
{
	return sends_query(db, __func__, SQL_ABANDON, sinks, out);
}

#define SQL_ATTEMPT_RECORD                                                 \
 "UPDATE notification_sends SET attempts = attempts + 1, "                 \
 "last_attempt_at = now(), last_status = $3::int, last_error = $4::text, " \
 "sent_at = CASE WHEN $4 IS NULL THEN now() END, "                         \
 "given_up_at = CASE WHEN $4 IS NOT NULL AND $5::bigint = -1 "             \
 "THEN now() END, next_attempt_at = CASE WHEN $4 IS NOT NULL "             \
 "AND $5::bigint >= 0 THEN now() + $5::bigint * interval '1 second' "      \
 "ELSE next_attempt_at END "                                               \
 "WHERE notification_id = $1::bigint AND sink = $2"

enum db_status
db_notify_attempt_record(struct db *db, int64_t notification_id,
    const char *sink, long status, const char *error, int64_t retry_in)
{
	char id[24], st_text[16], retry[24];
	const char *values[5];
	PGresult *res = NULL;
	enum db_status st;

	(void)snprintf(id, sizeof(id), "%" PRId64, notification_id);
	(void)snprintf(st_text, sizeof(st_text), "%ld", status);
	(void)snprintf(retry, sizeof(retry), "%" PRId64, retry_in);
	values[0] = id;
	values[1] = sink;
	values[2] = status > 0 ? st_text : NULL;
	values[3] = error;
	values[4] = retry;
	st = db_exec(db, __func__, SQL_ATTEMPT_RECORD, 5, values, NULL, NULL,
	    &res);
	PQclear(res);
	return st;
}

/*
 * One chunk of retention: at most $2 notifications created more than $1
 * days ago whose every send ended (sent, given up or abandoned), with
 * their sends.  Kept all the same: a notification of a log row the cursor
 * has not settled past, or of an operation still kept (notify would read
 * either as new and announce it again), and one that a repeat still
 * refers to (the repeat goes first, in this chunk or an earlier one; a
 * younger repeat keeps its announced failure, which the once-per-cause
 * rule reads).  SKIP LOCKED: a notification that a queueing notify run
 * holds (a new repeat of it) stays for the next run.
 */
#define SQL_PRUNE                                                           \
 "WITH doomed AS (SELECT n.id FROM notifications n, notify_cursor c "       \
 "WHERE n.created_at < now() - $1::int * interval '1 day' "                 \
 "AND (n.event_row_id IS NULL OR n.event_row_id <= c.settled_id) "          \
 "AND (n.operation_id IS NULL OR NOT EXISTS (SELECT 1 FROM operations o "   \
 "WHERE o.id = n.operation_id)) "                                           \
 "AND NOT EXISTS (SELECT 1 FROM notification_sends s "                      \
 "WHERE s.notification_id = n.id AND s.sent_at IS NULL "                    \
 "AND s.given_up_at IS NULL AND s.abandoned_at IS NULL) "                   \
 "AND NOT EXISTS (SELECT 1 FROM notifications r WHERE r.repeat_of = n.id) " \
 "LIMIT $2::int FOR UPDATE OF n SKIP LOCKED), "                             \
 "sends AS (DELETE FROM notification_sends s USING doomed d "               \
 "WHERE s.notification_id = d.id RETURNING 1), "                            \
 "gone AS (DELETE FROM notifications n USING doomed d "                     \
 "WHERE n.id = d.id RETURNING 1) "                                          \
 "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM sends)"

enum db_status
db_notify_prune(struct db *db, int keep_days, int64_t *notifications,
    int64_t *sends)
{
	char days[16], chunk[16];
	const char *values[2] = { days, chunk };
	PGresult *res = NULL;
	enum db_status st;
	int64_t n;

	*notifications = 0;
	*sends = 0;
	(void)snprintf(days, sizeof(days), "%d", keep_days);
	(void)snprintf(chunk, sizeof(chunk), "%d", DB_NOTIFY_PRUNE_CHUNK);
	do {
		PQclear(res);
		res = NULL;
		st = db_exec(db, __func__, SQL_PRUNE, 2, values, NULL, NULL,
		    &res);
		if (st != DB_OK)
			break;
		n = db_int64(res, 0, 0);
		*notifications += n;
		*sends += db_int64(res, 0, 1);
	} while (n > 0);
	PQclear(res);
	return st;
}
