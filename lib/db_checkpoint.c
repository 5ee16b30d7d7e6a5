/* SPDX-License-Identifier: MIT */
/* The fold_checkpoints table (part of the db module). */
#include "db_checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db_priv.h"
#include "log.h"
#include "str.h"

/*
 * Whether this process may write snapshots: it stops trying after the
 * first refusal (a SELECT-only role, a standby), for the process's life.
 */
static bool writes_refused;

/*
 * Note a refusal to let this role make snapshots in 'res': 42501
 * insufficient_privilege, 25006 read_only_sql_transaction.
 */
static void
note_refusal(const PGresult *res)
{
	const char *state;

	state = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state == NULL || writes_refused ||
	    (strcmp(state, "42501") != 0 && strcmp(state, "25006") != 0))
		return;
	writes_refused = true;
	log_info("fold checkpoints: this role may not write them "
	         "(SQLSTATE '%s'): traces fold from the ones that exist; "
	         "grant INSERT, UPDATE, DELETE on fold_checkpoints and SELECT "
	         "on its id sequence to store more",
	    state);
}

/* clang-format off */
#define SQL_UTC(col) \
	"to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/*
 * No row may have come in at or before snapshot c's position since it was
 * made (an id above its max_id): the (entity_id, id) index finds those
 * among the rows since then.  Adding 0 s keeps the time comparison out of
 * the index conditions, or the planner may range over the (entity_id,
 * received_at, id) index instead: every row up to the position.
 */
#define SQL_WHOLE(c) \
	"NOT EXISTS (SELECT 1 FROM installation_events e " \
	"WHERE e.entity_id = " c ".entity_id AND e.id > " c ".max_id " \
	"AND e.event NOT LIKE 'workflow_job.%' " \
	"AND (e.received_at + interval '0 s', e.id) <= " \
	"(" c ".received_at, " c ".event_id))"

/*
 * The latest snapshot, by the primary key; only whole ones when $4.  The
 * check is planned over every partition: it is left out ($4 false) for a
 * first look, which is then checked alone (SQL_IS_WHOLE), so that an
 * entity with no snapshot does not pay for it.
 */
#define SQL_LATEST \
	"SELECT " SQL_UTC("c.received_at") ", c.event_id, c.nrows, " \
	"c.snapshot, c.max_id FROM fold_checkpoints c " \
	"WHERE c.entity_id = $1::bigint AND c.version = $2::integer " \
	"AND ($3::timestamptz IS NULL OR c.received_at <= $3::timestamptz) " \
	"AND (NOT $4::boolean OR " SQL_WHOLE("c") ") " \
	"ORDER BY c.received_at DESC, c.event_id DESC LIMIT 1"

/* Snapshot c given as parameters ($1 entity, $2 max_id, $3, $4 position). */
#define SQL_GIVEN_C \
	"(SELECT $1::bigint AS entity_id, $2::bigint AS max_id, " \
	"$3::timestamptz AS received_at, $4::bigint AS event_id) c"

#define SQL_IS_WHOLE "SELECT " SQL_WHOLE("c") " FROM " SQL_GIVEN_C

/*
 * Ids come from the table's sequence (one id at a time, CACHE 1) in the
 * order rows are inserted, but a transaction that took an id may commit
 * after one that took a higher id.  With no writing transaction in flight,
 * every id the sequence gave is final: the first column.  Else it is
 * NULL, and SQL_HOLE says more.  The second column tells whether snapshot
 * ($1, $2, $3, $4) is still whole, in the same database snapshot.
 */
#define SQL_MAX_ID \
	"SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM " \
	"pg_snapshot_xip(pg_current_snapshot())) THEN " \
	"COALESCE(pg_sequence_last_value(pg_get_serial_sequence(" \
	"'installation_events', 'id')::regclass), 0) END, " \
	"$3::timestamptz IS NULL OR (SELECT " SQL_WHOLE("c") " FROM " \
	SQL_GIVEN_C ")"

/*
 * With transactions in flight: the id before the first hole among the
 * last 10,000 ids, as a hole may be a row still to come (or one rolled
 * back, which costs only coverage).  An insert is assumed not to stay in
 * flight while 10,000 later ids are taken.
 */
#define SQL_HOLE \
	"SELECT COALESCE((SELECT min(g.prev) FROM (SELECT id, " \
	"lag(id, 1, greatest(h.hi - 10000, 0)) OVER (ORDER BY id) AS prev " \
	"FROM installation_events WHERE id > greatest(h.hi - 10000, 0)) g " \
	"WHERE g.id > g.prev + 1), h.hi, 0) " \
	"FROM (SELECT max(id) AS hi FROM installation_events) h"
/* clang-format on */

/* Copy the one snapshot row of 'res' into *out.  Returns 0 or -1. */
static int
latest_copy(const PGresult *res, struct db_checkpoint *out)
{
	unsigned char *data;
	size_t len = 0;

	if (strlen(PQgetvalue(res, 0, 0)) >= sizeof(out->received_at) ||
	    (data = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0,
	                                3),
	         &len)) == NULL)
		return -1;
	free(out->data);
	if ((out->data = malloc(len + 1)) == NULL) {
		PQfreemem(data);
		return -1;
	}
	memcpy(out->data, data, len);
	PQfreemem(data);
	out->len = len;
	(void)snprintf(out->received_at, sizeof(out->received_at), "%s",
	    PQgetvalue(res, 0, 0));
	out->event_id = db_int64(res, 0, 1);
	out->nrows = db_int64(res, 0, 2);
	out->max_id = db_int64(res, 0, 4);
	out->found = true;
	return 0;
}

/* Set *whole to whether snapshot 'c' is still whole. */
static enum db_status
is_whole(struct db *db, const struct db_checkpoint *c, bool *whole)
{
	char ent[24], mid[24], eid[24];
	const char *values[4] = { ent, mid, c->received_at, eid };
	PGresult *res = NULL;
	enum db_status st;

	(void)snprintf(ent, sizeof(ent), "%" PRId64, c->entity_id);
	(void)snprintf(mid, sizeof(mid), "%" PRId64, c->max_id);
	(void)snprintf(eid, sizeof(eid), "%" PRId64, c->event_id);
	st = db_exec(db, __func__, SQL_IS_WHOLE, 4, values, NULL, NULL, &res);
	*whole = st == DB_OK && PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return st;
}

enum db_status
db_checkpoint_latest(struct db *db, int64_t entity_id, int version,
    const char *at, struct db_checkpoint *out)
{
	char ent[24], ver[24];
	const char *values[4] = { ent, ver, NULL, "false" };
	PGresult *res = NULL;
	enum db_status st;
	bool whole = false;

	memset(out, 0, sizeof(*out));
	out->entity_id = entity_id;
	(void)snprintf(ent, sizeof(ent), "%" PRId64, entity_id);
	(void)snprintf(ver, sizeof(ver), "%d", version);
	if (at != NULL && *at != '\0')
		values[2] = at;
	/* The latest, then, when it is not whole, the latest whole one. */
	for (int pass = 0; pass < 2; pass++) {
		out->found = false;
		PQclear(res);
		res = NULL;
		if ((st = db_exec(db, __func__, SQL_LATEST, 4, values, NULL,
		         NULL, &res)) != DB_OK ||
		    PQntuples(res) != 1)
			break;
		if (latest_copy(res, out) == -1) {
			log_warnx("%s: entity '%" PRId64 "': out of memory",
			    __func__, entity_id);
			st = DB_ERROR;
			break;
		}
		if (pass == 1 || (st = is_whole(db, out, &whole)) != DB_OK ||
		    whole)
			break;
		values[3] = "true";
	}
	if (st != DB_OK)
		out->found = false;
	PQclear(res);
	return st;
}

void
db_checkpoint_release(struct db_checkpoint *c)
{
	if (c == NULL)
		return;
	free(c->data);
	memset(c, 0, sizeof(*c));
}

enum db_status
db_checkpoint_max_id(struct db *db, const struct db_checkpoint *from,
    int64_t *max_id)
{
	char ent[24], mid[24], eid[24];
	const char *values[4] = { ent, mid, NULL, eid };
	PGresult *res = NULL;
	enum db_status st;

	*max_id = 0;
	(void)snprintf(ent, sizeof(ent), "%" PRId64, from->entity_id);
	(void)snprintf(mid, sizeof(mid), "%" PRId64, from->max_id);
	(void)snprintf(eid, sizeof(eid), "%" PRId64, from->event_id);
	if (from->found)
		values[2] = from->received_at;
	st = db_exec(db, __func__, SQL_MAX_ID, 4, values, NULL, NULL, &res);
	if (st != DB_OK)
		note_refusal(res);
	if (st != DB_OK || PQntuples(res) != 1)
		goto out;
	/* The snapshot lost a row meanwhile: no new one from it. */
	if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
		goto out;
	if (!PQgetisnull(res, 0, 0)) {
		*max_id = db_int64(res, 0, 0);
		goto out;
	}
	PQclear(res);
	res = NULL;
	st = db_exec(db, __func__, SQL_HOLE, 0, NULL, NULL, NULL, &res);
	if (st == DB_OK && PQntuples(res) == 1)
		*max_id = db_int64(res, 0, 0);
out:
	PQclear(res);
	return st;
}

/*
 * Replace the entity's snapshots after the one folded from ($3, $4) up to
 * the last new one ($5, $6), and those of older versions, by the new
 * ones (arrays $7..$10).  The DELETE spares the new positions, which the
 * INSERT updates in place, so the two never touch the same row.
 */
/* clang-format off */
#define SQL_STORE \
	"WITH gone AS (DELETE FROM fold_checkpoints " \
	"WHERE entity_id = $1::bigint AND (version < $2::integer OR " \
	"(version = $2::integer " \
	"AND (received_at, event_id) > ($3::timestamptz, $4::bigint) " \
	"AND (received_at, event_id) <= ($5::timestamptz, $6::bigint) " \
	"AND (received_at, event_id) NOT IN (SELECT * FROM " \
	"unnest($7::timestamptz[], $8::bigint[]))))) " \
	"INSERT INTO fold_checkpoints (entity_id, version, received_at, " \
	"event_id, max_id, nrows, snapshot) " \
	"SELECT $1::bigint, $2::integer, u.r, u.i, $11::bigint, u.n, u.s " \
	"FROM unnest($7::timestamptz[], $8::bigint[], $9::bigint[], " \
	"$10::bytea[]) AS u(r, i, n, s) " \
	"ON CONFLICT (entity_id, version, received_at, event_id) DO UPDATE " \
	"SET max_id = EXCLUDED.max_id, nrows = EXCLUDED.nrows, " \
	"snapshot = EXCLUDED.snapshot, created_at = now()"
/* clang-format on */

/* Append the array literals of the new snapshots' columns. */
static int
put_arrays(struct buf *at, struct buf *id, struct buf *nrows, struct buf *data,
    const struct db_checkpoint_new *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char h[2];

	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "{" : ",";

		if (buf_printf(at, "%s\"%s\"", sep, v[i].received_at) == -1 ||
		    buf_printf(id, "%s%" PRId64, sep, v[i].event_id) == -1 ||
		    buf_printf(nrows, "%s%" PRId64, sep, v[i].nrows) == -1 ||
		    buf_printf(data, "%s\"\\\\x", sep) == -1)
			return -1;
		for (size_t j = 0; j < v[i].len; j++) {
			h[0] = hex[v[i].data[j] >> 4];
			h[1] = hex[v[i].data[j] & 15];
			if (buf_append(data, h, 2) == -1)
				return -1;
		}
		if (buf_puts(data, "\"") == -1)
			return -1;
	}
	if (buf_puts(at, "}") == -1 || buf_puts(id, "}") == -1 ||
	    buf_puts(nrows, "}") == -1 || buf_puts(data, "}") == -1)
		return -1;
	return 0;
}

enum db_status
db_checkpoint_store(struct db *db, int64_t entity_id, int version,
    const char *from_at, int64_t from_id, int64_t max_id,
    const struct db_checkpoint_new *v, size_t n)
{
	char ent[24], ver[24], fid[24], lid[24], mid[24];
	struct buf at, id, nrows, data;
	const char *values[11];
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;

	if (n == 0 || writes_refused)
		return DB_OK;
	buf_init(&at);
	buf_init(&id);
	buf_init(&nrows);
	buf_init(&data);
	if (put_arrays(&at, &id, &nrows, &data, v, n) == -1) {
		log_warnx("%s: entity '%" PRId64 "': out of memory", __func__,
		    entity_id);
		goto out;
	}
	(void)snprintf(ent, sizeof(ent), "%" PRId64, entity_id);
	(void)snprintf(ver, sizeof(ver), "%d", version);
	(void)snprintf(fid, sizeof(fid), "%" PRId64, from_id);
	(void)snprintf(lid, sizeof(lid), "%" PRId64, v[n - 1].event_id);
	(void)snprintf(mid, sizeof(mid), "%" PRId64, max_id);
	values[0] = ent;
	values[1] = ver;
	values[2] = from_at != NULL && *from_at != '\0' ? from_at : "-infinity";
	values[3] = fid;
	values[4] = v[n - 1].received_at;
	values[5] = lid;
	values[6] = at.buf;
	values[7] = id.buf;
	values[8] = nrows.buf;
	values[9] = data.buf;
	values[10] = mid;
	st = db_exec(db, __func__, SQL_STORE, 11, values, NULL, NULL, &res);
	if (st != DB_OK)
		note_refusal(res);
out:
	PQclear(res);
	buf_release(&at);
	buf_release(&id);
	buf_release(&nrows);
	buf_release(&data);
	return st;
}

bool
db_checkpoint_writable(void)
{
	return !writes_refused;
}
