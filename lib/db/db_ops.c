/* SPDX-License-Identifier: MIT */
/* The operations table: start, steps, finish, abandoned runs, reads. */
#include "db/db_ops.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "core/ops.h"
#include "core/str.h"
#include "db/db_priv.h"
#include "db/db_trace_sql.h" /* SQL_UTC */

#define SQL_OPS_RUNNING                     \
 "SELECT id, type, status FROM operations " \
 "WHERE type = $1 AND status = 'running'"

#define SQL_OPS_ABANDON                                           \
 "UPDATE operations SET status = 'failed', error = 'abandoned', " \
 "completed_at = now(), duration_ms = (extract(epoch FROM "       \
 "now() - started_at) * 1000)::bigint "                           \
 "WHERE id = ANY ($1::bigint[]) AND status = 'running'"

enum db_status
db_ops_abandon(struct db *db, const char *type, bool locked, int64_t own_id,
    int64_t *n)
{
	const char *values[1] = { type };
	PGresult *res = NULL, *upd = NULL;
	struct buf ids;
	enum db_status st;
	size_t nids = 0;

	*n = 0;
	buf_init(&ids);
	st =
	    db_exec(db, __func__, SQL_OPS_RUNNING, 1, values, NULL, NULL, &res);
	if (st != DB_OK)
		goto out;
	for (int i = 0; i < PQntuples(res); i++) {
		if (!ops_is_abandoned(PQgetvalue(res, i, 1),
		        PQgetvalue(res, i, 2), db_int64(res, i, 0), type,
		        locked, own_id))
			continue;
		if (db_array_add(&ids, PQgetvalue(res, i, 0)) == -1)
			goto oom;
		nids++;
	}
	if (nids == 0)
		goto out;
	values[0] = ids.buf;
	st =
	    db_exec(db, __func__, SQL_OPS_ABANDON, 1, values, NULL, NULL, &upd);
	if (st == DB_OK)
		*n = (int64_t)nids;
	goto out;
oom:
	log_warnx("%s: out of memory", __func__);
	st = DB_ERROR;
out:
	PQclear(res);
	PQclear(upd);
	buf_release(&ids);
	return st;
}

#define SQL_OPS_START                                            \
 "INSERT INTO operations (type, request_id, triggered_by, "      \
 "external_ref, input, started_at) VALUES ($1, $2, $3::bigint, " \
 "$4, $5::jsonb, to_timestamp($6::bigint / 1000.0)) "            \
 "RETURNING id, started_at::text"

#define SQL_OPS_PARTITIONS "SELECT instlog_operations_ensure_partitions(7)"

/* Whether 'res' failed with SQLSTATE 23514: no partition for the row. */
static bool
is_no_partition(const PGresult *res)
{
	const char *state;

	if (res == NULL)
		return false;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return state != NULL && strcmp(state, "23514") == 0;
}

/*
 * Run the INSERT 'sql' of 'n' parameters; when the day of the row has no
 * partition (maintenance did not run), create the week's and try again.
 * As db_exec(): the caller PQclear()s *res.
 */
static enum db_status
insert_op(struct db *db, const char *what, const char *sql, int n,
    const char *const *values, PGresult **res)
{
	PGresult *part = NULL;
	enum db_status st;

	st = db_exec(db, what, sql, n, values, NULL, NULL, res);
	if (st == DB_ERROR && is_no_partition(*res)) {
		PQclear(*res);
		*res = NULL;
		st = db_exec(db, what, SQL_OPS_PARTITIONS, 0, NULL, NULL, NULL,
		    &part);
		if (st == DB_OK)
			st = db_exec(db, what, sql, n, values, NULL, NULL, res);
	}
	PQclear(part);
	return st;
}

/* Keep the id and started_at of the row 'res' returned in 'op'. */
static void
op_stored(struct ops_run *op, const PGresult *res)
{
	op->id = db_int64(res, 0, 0);
	(void)snprintf(op->started_at, sizeof(op->started_at), "%s",
	    PQgetvalue(res, 0, 1));
}

/* The text of $1 to $6, shared by SQL_OPS_START and SQL_OPS_RECORD. */
struct origin_params {
	char trig[24];
	char at[24];
};

static void
origin_values(const char **values, struct origin_params *p,
    const struct ops_run *op, const struct db_ops_origin *origin)
{
	(void)snprintf(p->at, sizeof(p->at), "%" PRId64, op->started_ms);
	values[0] = op->type;
	values[1] = origin->request_id;
	values[2] = db_id_param(p->trig, sizeof(p->trig), origin->triggered_by);
	values[3] = origin->external_ref;
	values[4] = origin->input;
	values[5] = p->at;
}

enum db_status
db_ops_start(struct db *db, struct ops_run *op,
    const struct db_ops_origin *origin)
{
	struct origin_params p;
	const char *values[6];
	PGresult *res = NULL;
	enum db_status st;

	origin_values(values, &p, op, origin);
	st = insert_op(db, __func__, SQL_OPS_START, 6, values, &res);
	if (st == DB_OK)
		op_stored(op, res);
	PQclear(res);
	return st;
}

/* clang-format off */
#define SQL_OPS_RECORD \
	"INSERT INTO operations (type, request_id, triggered_by, " \
	"external_ref, input, started_at, status, completed_at, " \
	"duration_ms, output, error, error_detail, steps, steps_summary) " \
	"VALUES ($1, $2, $3::bigint, $4, $5::jsonb, " \
	"to_timestamp($6::bigint / 1000.0), $7, now(), GREATEST(0, " \
	"(extract(epoch FROM now()) * 1000)::bigint - $6::bigint), " \
	"$8::jsonb, $9, $10, $11::jsonb, $12) RETURNING id, started_at::text"
/* clang-format on */

enum db_status
db_ops_record(struct db *db, struct ops_run *op,
    const struct db_ops_origin *origin, const char *output)
{
	struct origin_params p;
	const char *values[12], *detail = NULL;
	struct buf steps, summary, error;
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;
	bool failed = ops_has_failed(op);

	buf_init(&steps);
	buf_init(&summary);
	buf_init(&error);
	if (ops_steps_json(op->steps, op->nsteps, &steps) == -1 ||
	    buf_append(&steps, "", 1) == -1 ||
	    ops_summary(op->steps, op->nsteps, &summary) == -1 ||
	    buf_append(&summary, "", 1) == -1 ||
	    ops_error_line(op, &error, &detail) == -1 ||
	    buf_append(&error, "", 1) == -1) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	origin_values(values, &p, op, origin);
	values[6] = failed ? "failed" : "completed";
	values[7] = output;
	values[8] = failed ? error.buf : NULL;
	values[9] = detail;
	values[10] = steps.buf;
	values[11] = summary.buf;
	st = insert_op(db, __func__, SQL_OPS_RECORD, 12, values, &res);
	if (st == DB_OK) {
		op_stored(op, res);
		op->nwritten = op->nsteps;
	}
out:
	PQclear(res);
	buf_release(&steps);
	buf_release(&summary);
	buf_release(&error);
	return st;
}

/*
 * One statement for a flush ($5 'running') and for the end: the new
 * steps, the summary, the touched ids (kept distinct), and at the end
 * status, times, output, error and detail.
 */
#define SQL_OPS_UPDATE                                          \
 "UPDATE operations SET steps = steps || $3::jsonb, "           \
 "steps_summary = $4, "                                         \
 "installation_ids = CASE WHEN cardinality($9::bigint[]) = 0 "  \
 "THEN installation_ids ELSE ARRAY(SELECT DISTINCT u FROM "     \
 "unnest(installation_ids || $9::bigint[]) u ORDER BY u) END, " \
 "entity_ids = CASE WHEN cardinality($10::bigint[]) = 0 "       \
 "THEN entity_ids ELSE ARRAY(SELECT DISTINCT u FROM "           \
 "unnest(entity_ids || $10::bigint[]) u ORDER BY u) END, "      \
 "status = $5, "                                                \
 "completed_at = CASE WHEN $5 <> 'running' THEN now() END, "    \
 "duration_ms = CASE WHEN $5 <> 'running' THEN (extract(epoch " \
 "FROM now() - started_at) * 1000)::bigint END, "               \
 "output = COALESCE($6::jsonb, output), "                       \
 "error = COALESCE($7, error), "                                \
 "error_detail = COALESCE($8, error_detail), "                  \
 "external_ref = COALESCE($11, external_ref) "                  \
 "WHERE id = $1::bigint AND started_at = $2::timestamptz"

/* Write what 'op' has not stored yet, with 'status' and the rest. */
static enum db_status
ops_update(struct db *db, struct ops_run *op, const char *status,
    const char *output, const char *error, const char *detail)
{
	char id[24];
	const char *values[11];
	struct buf steps, summary, insts, ents;
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;

	if (op->id == 0)
		return DB_OK;
	buf_init(&steps);
	buf_init(&summary);
	buf_init(&insts);
	buf_init(&ents);
	(void)snprintf(id, sizeof(id), "%" PRId64, op->id);
	if (ops_steps_json(op->steps + op->nwritten, op->nsteps - op->nwritten,
	        &steps) == -1 ||
	    buf_append(&steps, "", 1) == -1 ||
	    ops_summary(op->steps, op->nsteps, &summary) == -1 ||
	    buf_append(&summary, "", 1) == -1 ||
	    db_int64_array(&insts, op->installation_ids, op->ninstallations) ==
	        -1 ||
	    buf_append(&insts, "", 1) == -1 ||
	    db_int64_array(&ents, op->entity_ids, op->nentities) == -1 ||
	    buf_append(&ents, "", 1) == -1) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	values[0] = id;
	values[1] = op->started_at;
	values[2] = steps.buf;
	values[3] = summary.buf;
	values[4] = status;
	values[5] = output;
	values[6] = error;
	values[7] = detail;
	values[8] = insts.buf;
	values[9] = ents.buf;
	values[10] = op->external_ref;
	st =
	    db_exec(db, __func__, SQL_OPS_UPDATE, 11, values, NULL, NULL, &res);
	if (st == DB_OK) {
		op->nwritten = op->nsteps;
		op->ninstallations = 0;
		op->nentities = 0;
	}
out:
	PQclear(res);
	buf_release(&steps);
	buf_release(&summary);
	buf_release(&insts);
	buf_release(&ents);
	return st;
}

enum db_status
db_ops_flush(struct db *db, struct ops_run *op)
{
	return ops_update(db, op, "running", NULL, NULL, NULL);
}

enum db_status
db_ops_finish(struct db *db, struct ops_run *op, const char *output,
    const char *error)
{
	struct buf line;
	const char *detail = NULL;
	enum db_status st;
	bool failed = error != NULL || ops_has_failed(op);

	buf_init(&line);
	if (error == NULL && failed) {
		if (ops_error_line(op, &line, &detail) == -1 ||
		    buf_append(&line, "", 1) == -1) {
			log_warnx("%s: out of memory", __func__);
			buf_release(&line);
			return DB_ERROR;
		}
		error = line.buf;
	}
	st = ops_update(db, op, failed ? "failed" : "completed", output, error,
	    detail);
	buf_release(&line);
	return st;
}

/* clang-format off */
/* The columns every row has, list and single, in this order (row_read()). */
#define OPS_ITEM \
	"id, type, status, " SQL_UTC("started_at") ", " \
	SQL_UTC("completed_at") ", duration_ms, error, " \
	"triggered_by, request_id, external_ref, steps_summary"

#define SQL_OPS_LIST \
	"SELECT " OPS_ITEM " " \
	"FROM operations " \
	"WHERE ($1::text IS NULL OR status = $1) " \
	"AND ($2::text IS NULL OR type = $2) " \
	"AND ($3::timestamptz IS NULL OR started_at >= $3::timestamptz) " \
	"AND ($4::timestamptz IS NULL OR started_at < $4::timestamptz) " \
	"AND ($5::bigint IS NULL OR installation_ids @> ARRAY[$5::bigint]) " \
	"AND ($6::bigint IS NULL OR entity_ids @> ARRAY[$6::bigint]) " \
	"AND ($7::bigint IS NULL OR id < $7::bigint) " \
	"ORDER BY id DESC LIMIT $8::bigint + 1"

/*
 * The live tail: the list items with $1 < stream_seq <= $2 (the stream's
 * watermark), in stream_seq order, at most $3; stream_seq last.
 */
/* The seq before the oldest of the last $2 changes up to $1, else $1. */
#define SQL_OPS_STREAM_START \
	"SELECT coalesce(min(stream_seq) - 1, $1::bigint) FROM (" \
	"SELECT stream_seq FROM operations WHERE stream_seq <= $1::bigint " \
	"ORDER BY stream_seq DESC LIMIT $2::bigint) t"
#define SQL_OPS_STREAM \
	"SELECT " OPS_ITEM ", stream_seq FROM operations " \
	"WHERE stream_seq > $1::bigint AND stream_seq <= $2::bigint " \
	"ORDER BY stream_seq LIMIT $3::bigint"
/* clang-format on */

void
db_ops_row_release(struct db_ops_row *r)
{
	if (r == NULL)
		return;
	free(r->type);
	free(r->status);
	free(r->started_at);
	free(r->completed_at);
	free(r->error);
	free(r->request_id);
	free(r->external_ref);
	free(r->steps_summary);
	free(r->input);
	free(r->output);
	free(r->error_detail);
	free(r->installation_ids);
	free(r->entity_ids);
	free(r->steps);
	memset(r, 0, sizeof(*r));
}

void
db_ops_page_release(struct db_ops_page *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		db_ops_row_release(&p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/*
 * Read the bigint[] text 's' ("{1,2}", never with NULL elements: only
 * ops_update() writes the column) into a new array *v of *n.  Returns 0,
 * or -1 when 's' is not such a literal or memory ran out.
 */
static int
int64_list(const char *s, int64_t **v, size_t *n)
{
	char num[24];
	size_t cap = 1, len;
	const char *p, *end;

	*v = NULL;
	*n = 0;
	len = strlen(s);
	if (len < 2 || s[0] != '{' || s[len - 1] != '}')
		return -1;
	if (len == 2)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (*p == ',')
			cap++;
	if ((*v = calloc(cap, sizeof(**v))) == NULL)
		return -1;
	for (p = s + 1; *n < cap; p = end + 1) {
		end = p + strcspn(p, ",}");
		if ((size_t)(end - p) >= sizeof(num))
			return -1;
		memcpy(num, p, (size_t)(end - p));
		num[end - p] = '\0';
		if (parse_int64(num, INT64_MIN, INT64_MAX, &(*v)[*n]) == -1)
			return -1;
		(*n)++;
	}
	return 0;
}

/*
 * Read row 'i' of 'res' (OPS_ITEM, then with 'full' input, output,
 * error_detail, installation_ids, entity_ids, steps) into *r.  Returns 0,
 * or -1 (logged) when memory ran out or an id list is malformed.
 */
static int
row_read(const PGresult *res, int i, bool full, struct db_ops_row *r)
{
	char **strs[] = { &r->type, &r->status, &r->started_at,
		&r->completed_at, &r->error, &r->request_id, &r->external_ref,
		&r->steps_summary, &r->input, &r->output, &r->error_detail,
		&r->steps };
	const int cols[] = { 1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13, 16 };
	size_t nstrs = full ? 12 : 8;

	memset(r, 0, sizeof(*r));
	r->id = db_int64(res, i, 0);
	r->has_duration = !PQgetisnull(res, i, 5);
	r->duration_ms = db_int64(res, i, 5);
	r->triggered_by = db_int64(res, i, 7);
	for (size_t j = 0; j < nstrs; j++)
		if ((*strs[j] = db_strdup(res, i, cols[j])) == NULL &&
		    !PQgetisnull(res, i, cols[j])) {
			log_warnx("%s: out of memory", __func__);
			return -1;
		}
	if (full &&
	    (int64_list(PQgetvalue(res, i, 14), &r->installation_ids,
	         &r->ninstallation_ids) == -1 ||
	        int64_list(PQgetvalue(res, i, 15), &r->entity_ids,
	            &r->nentity_ids) == -1)) {
		log_warnx("%s: operation '%" PRId64 "': bad id list '%s' '%s'",
		    __func__, r->id, PQgetvalue(res, i, 14),
		    PQgetvalue(res, i, 15));
		return -1;
	}
	return 0;
}

/*
 * Read the first 'n' rows of 'res' (list items) into out->v; with
 * 'seq_col' >= 0, each one's stream_seq from that column.  Returns
 * DB_OK or DB_ERROR (logged).
 */
static enum db_status
page_read(const PGresult *res, int n, int seq_col, struct db_ops_page *out)
{
	if (n > 0 && (out->v = calloc((size_t)n, sizeof(*out->v))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return DB_ERROR;
	}
	for (int i = 0; i < n; i++, out->n++) {
		if (row_read(res, i, false, &out->v[i]) == -1)
			return DB_ERROR;
		if (seq_col >= 0)
			out->v[i].stream_seq = db_int64(res, i, seq_col);
	}
	return DB_OK;
}

enum db_status
db_ops_list(struct db *db, const struct db_ops_filter *f,
    struct db_ops_page *out)
{
	char inst[24], ent[24], cur[24], lim[24];
	const char *values[8];
	PGresult *res = NULL;
	enum db_status st;
	int rows, shown;

	memset(out, 0, sizeof(*out));
	values[0] = f->status[0] != '\0' ? f->status : NULL;
	values[1] = f->type[0] != '\0' ? f->type : NULL;
	values[2] = f->since[0] != '\0' ? f->since : NULL;
	values[3] = f->until[0] != '\0' ? f->until : NULL;
	values[4] = db_id_param(inst, sizeof(inst), f->installation_id);
	values[5] = db_id_param(ent, sizeof(ent), f->entity_id);
	values[6] = db_id_param(cur, sizeof(cur), f->cursor);
	(void)snprintf(lim, sizeof(lim), "%" PRId64, f->limit);
	values[7] = lim;
	st = db_exec(db, __func__, SQL_OPS_LIST, 8, values, NULL, NULL, &res);
	if (st != DB_OK)
		goto out;
	rows = PQntuples(res);
	shown = rows > f->limit ? (int)f->limit : rows;
	if ((st = page_read(res, shown, -1, out)) != DB_OK)
		goto out;
	if (rows > shown)
		out->next_cursor = out->v[shown - 1].id;
out:
	PQclear(res);
	return st;
}

/* clang-format off */
#define SQL_OPS_GET \
	"SELECT " OPS_ITEM ", input::text, output::text, error_detail, " \
	"installation_ids::text, entity_ids::text, steps::text " \
	"FROM operations WHERE id = $1::bigint"
/* clang-format on */

enum db_status
db_ops_get(struct db *db, int64_t id, struct db_ops_row *out)
{
	char idstr[24];
	const char *values[1] = { idstr };
	PGresult *res = NULL;
	enum db_status st;

	memset(out, 0, sizeof(*out));
	(void)snprintf(idstr, sizeof(idstr), "%" PRId64, id);
	st = db_exec(db, __func__, SQL_OPS_GET, 1, values, NULL, NULL, &res);
	if (st == DB_OK && PQntuples(res) == 0)
		st = DB_NOTFOUND;
	else if (st == DB_OK && row_read(res, 0, true, out) == -1)
		st = DB_ERROR;
	PQclear(res);
	return st;
}

/* clang-format off */
#define SQL_OPS_LAST \
	"SELECT id, status, " SQL_UTC("completed_at") " FROM operations " \
	"WHERE type = $1 AND status <> 'running' ORDER BY id DESC LIMIT 1"
/* clang-format on */

enum db_status
db_ops_last(struct db *db, const char *type, bool *found, char *at,
    size_t atlen, bool *failed, int64_t *id)
{
	const char *values[1] = { type };
	PGresult *res = NULL;
	enum db_status st;

	*found = false;
	*failed = false;
	*id = 0;
	at[0] = '\0';
	st = db_exec(db, __func__, SQL_OPS_LAST, 1, values, NULL, NULL, &res);
	if (st == DB_OK && PQntuples(res) == 1) {
		*found = true;
		*id = db_int64(res, 0, 0);
		*failed = strcmp(PQgetvalue(res, 0, 1), "failed") == 0;
		(void)snprintf(at, atlen, "%s", PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	return st;
}

enum db_status
db_partitions_ensure(struct db *db, bool operations, int ahead,
    int64_t *created)
{
	enum db_status st;

	*created = 0;
	st = db_lookup_int64(db, __func__,
	    operations ? "SELECT instlog_operations_ensure_partitions($1::int)"
	               : "SELECT instlog_ensure_partitions($1::int)",
	    ahead, created);
	return st == DB_NOTFOUND ? DB_OK : st;
}

void
db_ops_dropped_release(struct db_ops_dropped *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

#define SQL_OPS_DROP \
 "SELECT d FROM instlog_operations_drop_partitions($1::int) d"

enum db_status
db_ops_drop_partitions(struct db *db, int keep_days, struct db_ops_dropped *out)
{
	char n[16];
	const char *values[1] = { n };
	PGresult *res = NULL;
	enum db_status st;
	int rows;

	out->v = NULL;
	out->n = 0;
	(void)snprintf(n, sizeof(n), "%d", keep_days);
	st = db_exec(db, __func__, SQL_OPS_DROP, 1, values, NULL, NULL, &res);
	if (st != DB_OK || (rows = PQntuples(res)) == 0)
		goto out;
	if ((out->v = calloc((size_t)rows, sizeof(*out->v))) == NULL)
		goto oom;
	for (int i = 0; i < rows; i++, out->n++)
		if ((out->v[i] = strdup(PQgetvalue(res, i, 0))) == NULL)
			goto oom;
	goto out;
oom:
	log_warnx("%s: out of memory", __func__);
	st = DB_ERROR;
out:
	PQclear(res);
	return st;
}

enum db_status
db_ops_stream(struct db *db, int64_t after, int64_t upto, int64_t limit,
    struct db_ops_page *out)
{
	char a[24], u[24], lim[24];
	const char *values[3] = { a, u, lim };
	PGresult *res = NULL;
	enum db_status st;

	memset(out, 0, sizeof(*out));
	(void)snprintf(a, sizeof(a), "%" PRId64, after);
	(void)snprintf(u, sizeof(u), "%" PRId64, upto);
	(void)snprintf(lim, sizeof(lim), "%" PRId64, limit);
	st = db_exec(db, __func__, SQL_OPS_STREAM, 3, values, NULL, NULL, &res);
	if (st != DB_OK)
		goto out;
	st = page_read(res, PQntuples(res), 11, out);
out:
	PQclear(res);
	return st;
}

enum db_status
db_ops_stream_start(struct db *db, int64_t upto, int64_t last, int64_t *after)
{
	char u[24], lim[24];
	const char *values[2] = { u, lim };

	(void)snprintf(u, sizeof(u), "%" PRId64, upto);
	(void)snprintf(lim, sizeof(lim), "%" PRId64, last);
	return db_exec_int64(db, __func__, SQL_OPS_STREAM_START, 2, values,
	    after);
}
