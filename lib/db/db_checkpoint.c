/* SPDX-License-Identifier: MIT */
/* The fold_checkpoints table (part of the db module). */
#include "db/db_checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "core/str.h"
#include "db/db_checkpoint_sql.h"
#include "db/db_priv.h"

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

/* Copy the one snapshot row of 'res' into *out.  Returns 0 or -1. */
static int
latest_copy(const PGresult *res, int row, int c0, struct db_checkpoint *out)
{
	unsigned char *data;
	size_t len = 0;

	if (strlen(PQgetvalue(res, row, c0)) >= sizeof(out->received_at) ||
	    (data = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row,
	                                c0 + 3),
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
	    PQgetvalue(res, row, c0));
	out->event_id = db_int64(res, row, c0 + 1);
	out->nrows = db_int64(res, row, c0 + 2);
	out->max_id = db_int64(res, row, c0 + 4);
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
		if (latest_copy(res, 0, 0, out) == -1) {
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

enum db_status
db_checkpoint_latest_many(struct db *db, const int64_t *ids, size_t n,
    int version, struct db_checkpoint *out, bool *whole)
{
	struct buf lit;
	char ver[24];
	const char *values[2];
	PGresult *res = NULL;
	enum db_status st;

	for (size_t k = 0; k < n; k++) {
		memset(&out[k], 0, sizeof(out[k]));
		out[k].entity_id = ids[k];
		whole[k] = false;
	}
	if (n == 0)
		return DB_OK;
	buf_init(&lit);
	if (db_int64_array(&lit, ids, n) == -1) {
		buf_release(&lit);
		return DB_ERROR;
	}
	(void)snprintf(ver, sizeof(ver), "%d", version);
	values[0] = lit.buf;
	values[1] = ver;
	st = db_exec_prepared(db, __func__, DB_PREP_LATEST_MANY,
	    SQL_LATEST_MANY, 2, values, NULL, NULL, &res);
	for (int i = 0; st == DB_OK && i < PQntuples(res); i++) {
		int64_t k = db_int64(res, i, 0);

		if (k < 1 || (size_t)k > n ||
		    latest_copy(res, i, 1, &out[k - 1]) == -1) {
			log_warnx("%s: out of memory or a bad answer",
			    __func__);
			st = DB_ERROR;
			break;
		}
		whole[k - 1] = strcmp(PQgetvalue(res, i, 6), "t") == 0;
	}
	PQclear(res);
	buf_release(&lit);
	if (st != DB_OK)
		for (size_t k = 0; k < n; k++)
			db_checkpoint_release(&out[k]);
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
 * Append the array literals of the new snapshots' columns; 'hex' is
 * scratch space for a snapshot's bytea text ("\x..." hex).
 */
static int
put_arrays(struct buf *at, struct buf *id, struct buf *nrows, struct buf *data,
    struct buf *hex, const struct db_checkpoint_new *v, size_t n)
{
	char s[24], h[2 * 64 + 1];

	for (size_t i = 0; i < n; i++) {
		if (db_array_add(at, v[i].received_at) == -1)
			return -1;
		(void)snprintf(s, sizeof(s), "%" PRId64, v[i].event_id);
		if (db_array_add(id, s) == -1)
			return -1;
		(void)snprintf(s, sizeof(s), "%" PRId64, v[i].nrows);
		if (db_array_add(nrows, s) == -1)
			return -1;
		buf_reset(hex);
		if (buf_puts(hex, "\\x") == -1)
			return -1;
		for (size_t j = 0; j < v[i].len; j += 64) {
			size_t k = v[i].len - j < 64 ? v[i].len - j : 64;

			hex_encode(v[i].data + j, k, h);
			if (buf_append(hex, h, 2 * k) == -1)
				return -1;
		}
		if (db_array_add(data, hex->buf) == -1)
			return -1;
	}
	return 0;
}

enum db_status
db_checkpoint_store(struct db *db, int64_t entity_id, int version,
    const char *from_at, int64_t from_id, int64_t max_id,
    const struct db_checkpoint_new *v, size_t n)
{
	char ent[24], ver[24], fid[24], lid[24], mid[24];
	struct buf at, id, nrows, data, hex;
	const char *values[11];
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;

	if (n == 0 || writes_refused)
		return DB_OK;
	buf_init(&at);
	buf_init(&id);
	buf_init(&nrows);
	buf_init(&data);
	buf_init(&hex);
	if (put_arrays(&at, &id, &nrows, &data, &hex, v, n) == -1) {
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
	buf_release(&hex);
	return st;
}

bool
db_checkpoint_writable(void)
{
	return !writes_refused;
}

enum db_status
db_checkpoint_scan_get(struct db *db, int *version, int64_t *scanned_id)
{
	PGresult *res = NULL;
	enum db_status st;

	*version = 0;
	*scanned_id = 0;
	st = db_exec(db, __func__, SQL_SCAN_GET, 0, NULL, NULL, NULL, &res);
	if (st == DB_OK && PQntuples(res) == 1) {
		*version = (int)db_int64(res, 0, 0);
		*scanned_id = db_int64(res, 0, 1);
	}
	PQclear(res);
	return st;
}

enum db_status
db_checkpoint_scan_set(struct db *db, int version, int64_t scanned_id)
{
	char ver[24], sid[24];
	const char *values[2] = { ver, sid };
	PGresult *res = NULL;
	enum db_status st;

	(void)snprintf(ver, sizeof(ver), "%d", version);
	(void)snprintf(sid, sizeof(sid), "%" PRId64, scanned_id);
	st = db_exec(db, __func__, SQL_SCAN_SET, 2, values, NULL, NULL, &res);
	PQclear(res);
	return st;
}

enum db_status
db_checkpoint_window(struct db *db, int64_t after_id, int64_t upto_id,
    int64_t rows, int64_t *last_id)
{
	char aid[24], uid[24], n[24];
	const char *values[3] = { aid, uid, n };
	enum db_status st;

	(void)snprintf(aid, sizeof(aid), "%" PRId64, after_id);
	(void)snprintf(uid, sizeof(uid), "%" PRId64, upto_id);
	(void)snprintf(n, sizeof(n), "%" PRId64, rows);
	st = db_exec_int64(db, __func__, SQL_WINDOW, 3, values, last_id);
	if (st == DB_NOTFOUND) {
		*last_id = 0;
		st = DB_OK;
	}
	return st;
}

enum db_status
db_checkpoint_long_tails(struct db *db, int version, int64_t after_id,
    int64_t upto_id, size_t every, const int64_t *skip, size_t nskip,
    int64_t *ids, size_t max, size_t *n)
{
	char aid[24], uid[24], ver[24], evr[24], lim[24];
	const char *values[6] = { aid, uid, ver, evr, lim, NULL };
	struct buf skipped;
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;

	*n = 0;
	buf_init(&skipped);
	if (db_int64_array(&skipped, skip, nskip) == -1) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	(void)snprintf(aid, sizeof(aid), "%" PRId64, after_id);
	(void)snprintf(uid, sizeof(uid), "%" PRId64, upto_id);
	(void)snprintf(ver, sizeof(ver), "%d", version);
	(void)snprintf(evr, sizeof(evr), "%zu", every);
	(void)snprintf(lim, sizeof(lim), "%zu", max);
	values[5] = skipped.buf;
	st = db_exec(db, __func__, SQL_LONG_TAILS, 6, values, NULL, NULL, &res);
	for (int i = 0; st == DB_OK && i < PQntuples(res) && *n < max; i++)
		ids[(*n)++] = db_int64(res, i, 0);
out:
	PQclear(res);
	buf_release(&skipped);
	return st;
}
