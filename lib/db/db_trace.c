/* SPDX-License-Identifier: MIT */
/* The read queries of the trace routes (part of the db module). */
#include "db/db_trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "db/db_priv.h"
#include "db/db_trace_sql.h"

enum db_status
db_trace_entity_of_installation(struct db *db, int64_t id, int64_t *entity_id)
{
	return db_lookup_int64(db, __func__, SQL_ENTITY_OF_INSTALLATION, id,
	    entity_id);
}

enum db_status
db_trace_entity_by_name(struct db *db, const char *name, int64_t *entity_id)
{
	const char *values[1] = { name };

	return db_exec_int64(db, __func__, SQL_ENTITY_BY_NAME, 1, values,
	    entity_id);
}

enum db_status
db_trace_entity_of_job(struct db *db, int64_t id, int64_t *entity_id)
{
	return db_lookup_int64(db, __func__, SQL_ENTITY_OF_JOB, id, entity_id);
}

/* Copy column 'col' into 'pool' at *off; NULL for SQL null. */
static const char *
pool_copy(char *pool, size_t *off, const PGresult *res, int row, int col)
{
	const char *v;
	size_t n;

	if (PQgetisnull(res, row, col))
		return NULL;
	v = PQgetvalue(res, row, col);
	n = strlen(v) + 1;
	memcpy(pool + *off, v, n);
	*off += n;
	return pool + *off - n;
}

enum db_status
db_trace_payload(struct db *db, int64_t id, struct trace_payload *out)
{
	char v[24];
	const char *values[1] = { v };
	PGresult *res = NULL;
	enum db_status st;
	size_t need = 0, off = 0;

	memset(out, 0, sizeof(*out));
	(void)snprintf(v, sizeof(v), "%" PRId64, id);
	st = db_exec(db, __func__, SQL_PAYLOAD, 1, values, NULL, NULL, &res);
	if (st == DB_OK && PQntuples(res) == 0)
		st = DB_NOTFOUND;
	if (st != DB_OK)
		goto out;
	for (int c = 1; c < PQnfields(res); c++)
		need += (size_t)PQgetlength(res, 0, c) + 1;
	if ((out->strings = malloc(need)) == NULL) {
		st = DB_ERROR;
		goto out;
	}
	out->id = db_int64(res, 0, 0);
	out->event = pool_copy(out->strings, &off, res, 0, 1);
	out->received_at = pool_copy(out->strings, &off, res, 0, 2);
	out->payload = pool_copy(out->strings, &off, res, 0, 3);
	out->raw_body_base64 = pool_copy(out->strings, &off, res, 0, 4);
	if (out->event == NULL || out->received_at == NULL ||
	    out->payload == NULL)
		st = DB_ERROR;
out:
	PQclear(res);
	if (st != DB_OK)
		trace_payload_release(out);
	return st;
}

/*
 * Check that event 'cursor' belongs to the entity whose id is the text
 * 'ent'.  Returns DB_OK, DB_REFUSED when it does not (a cursor not handed
 * out for this entity), or an error.
 */
static enum db_status
cursor_check(struct db *db, int64_t cursor, const char *ent)
{
	char cur[24];
	const char *values[2] = { cur, ent };
	PGresult *res = NULL;
	enum db_status st;

	(void)snprintf(cur, sizeof(cur), "%" PRId64, cursor);
	st = db_exec(db, __func__, SQL_CURSOR_EXISTS, 2, values, NULL, NULL,
	    &res);
	if (st == DB_OK && PQntuples(res) == 0)
		st = DB_REFUSED;
	PQclear(res);
	return st;
}

static const char *
empty_null(const char *s)
{
	return s == NULL || *s == '\0' ? NULL : s;
}

/*
 * Copy the first 'n' rows of 'res' (SQL_PAGE_ITEM) into page->events,
 * their strings into one allocation.  Returns DB_OK, or DB_ERROR (out of
 * memory, or a row without its time or event).
 */
static enum db_status
page_fill(const PGresult *res, int n, struct trace_page *page)
{
	size_t need = 0, off = 0;

	if (n == 0)
		return DB_OK;
	/* Every string of the page goes into one allocation. */
	for (int i = 0; i < n; i++)
		for (int c = 0; c < PQnfields(res); c++)
			need += (size_t)PQgetlength(res, i, c) + 1;
	if ((page->events = calloc((size_t)n, sizeof(*page->events))) == NULL ||
	    (page->strings = malloc(need)) == NULL)
		return DB_ERROR;
	for (int i = 0; i < n; i++) {
		struct trace_event *e = &page->events[i];
		char *pool = page->strings;
		int64_t job = 0;

		page->nevents++;
		e->id = db_int64(res, i, 0);
		e->received_at = pool_copy(pool, &off, res, i, 1);
		e->source = pool_copy(pool, &off, res, i, 2);
		e->event = pool_copy(pool, &off, res, i, 3);
		e->outcome = pool_copy(pool, &off, res, i, 4);
		e->delivery_id = pool_copy(pool, &off, res, i, 5);
		e->app_id = db_int64(res, i, 6);
		e->installation_id = db_int64(res, i, 7);
		e->entity_type = pool_copy(pool, &off, res, i, 8);
		e->entity_id = db_int64(res, i, 9);
		e->entity_name = pool_copy(pool, &off, res, i, 10);
		e->actor = pool_copy(pool, &off, res, i, 11);
		if (!PQgetisnull(res, i, 12) &&
		    parse_int64(PQgetvalue(res, i, 12), 1, INT64_MAX, &job) ==
		        0)
			e->job_id = job;
		e->repo_full_name = pool_copy(pool, &off, res, i, 13);
		e->request_id = pool_copy(pool, &off, res, i, 14);
		e->operation_id = db_int64(res, i, 15);
		e->redelivered_by = db_int64(res, i, 16);
		if (e->received_at == NULL || e->event == NULL)
			return DB_ERROR;
	}
	return DB_OK;
}

enum db_status
db_trace_page(struct db *db, int64_t entity_id, const struct trace_params *p,
    struct trace_page *page)
{
	char ent[24], cur[24], lim[24];
	const char *values[7];
	PGresult *res = NULL;
	enum db_status st;
	int64_t exists = 0;
	int n;

	memset(page, 0, sizeof(*page));
	(void)snprintf(ent, sizeof(ent), "%" PRId64, entity_id);
	(void)snprintf(cur, sizeof(cur), "%" PRId64, p->cursor);
	(void)snprintf(lim, sizeof(lim), "%" PRId64, p->limit + 1);
	values[0] = ent;
	values[1] = empty_null(p->since);
	values[2] = empty_null(p->until);
	values[3] = empty_null(p->event);
	values[4] = p->cursor > 0 ? cur : NULL;
	values[5] = lim;
	values[6] = p->dedupe ? "true" : "false";
	st = db_exec(db, __func__, SQL_PAGE, 7, values, NULL, NULL, &res);
	if (st != DB_OK)
		goto out;
	/*
	 * An empty page is either an unknown entity or filters that match
	 * nothing: only then is the existence query worth its round trip.
	 */
	if (PQntuples(res) == 0) {
		st = db_lookup_int64(db, __func__, SQL_ENTITY_EXISTS, entity_id,
		    &exists);
		if (st == DB_OK && p->cursor > 0)
			st = cursor_check(db, p->cursor, ent);
		goto out;
	}
	n = PQntuples(res);
	if ((int64_t)n > p->limit)
		n = (int)p->limit;
	if ((st = page_fill(res, n, page)) != DB_OK)
		goto out;
	if (PQntuples(res) > n && n > 0)
		page->next_cursor = page->events[n - 1].id;
out:
	PQclear(res);
	if (st != DB_OK)
		trace_page_release(page);
	return st;
}

/* Split the newline-separated list 'list' (ours to cut) into row 'i'. */
static int
split_repos(struct db_trace_rows *rows, size_t i, char *list)
{
	size_t n = 1;

	for (const char *p = list; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	if ((rows->repos[i] = calloc(n, sizeof(char *))) == NULL)
		return -1;
	for (char *p = list; p != NULL;) {
		char *nl = strchr(p, '\n');

		if (nl != NULL)
			*nl = '\0';
		rows->repos[i][rows->v[i].nrepos++] = p;
		p = nl == NULL ? NULL : nl + 1;
	}
	rows->v[i].repos = (const char *const *)rows->repos[i];
	return 0;
}

enum db_status
db_trace_fold_rows(struct db *db, int64_t entity_id, const char *at,
    struct db_trace_rows *rows)
{
	return db_trace_fold_rows_after(db, entity_id, at, NULL, 0, 0, rows);
}

/*
 * Append to 'rows' the 'count' rows of 'res' from row 'first' on, their
 * SQL_FOLD_COLS from column 'c0' on.  Returns DB_OK, or DB_ERROR when out
 * of memory.
 */
static enum db_status
rows_fill(struct db_trace_rows *rows, const PGresult *res, int first, int count,
    int c0)
{
	size_t nt = (size_t)count;

	if (count == 0)
		return DB_OK;
	rows->v = calloc(nt, sizeof(*rows->v));
	rows->strings = calloc(nt, sizeof(*rows->strings));
	rows->repos = calloc(nt, sizeof(*rows->repos));
	if (rows->v == NULL || rows->strings == NULL || rows->repos == NULL)
		return DB_ERROR;
	for (size_t i = 0; i < nt; i++) {
		struct events_row *r = &rows->v[i];
		int row = first + (int)i;
		size_t need = 0, off = 0;
		const char *repos;
		char *pool;
		int64_t status = 0, repo_id = 0;

		for (int c = c0; c < PQnfields(res); c++)
			need += (size_t)PQgetlength(res, row, c) + 1;
		if ((pool = rows->strings[i] = malloc(need)) == NULL)
			return DB_ERROR;
		rows->n = i + 1;
		r->id = db_int64(res, row, c0);
		r->received_at = pool_copy(pool, &off, res, row, c0 + 1);
		r->event = pool_copy(pool, &off, res, row, c0 + 2);
		r->app_id = db_int64(res, row, c0 + 3);
		r->installation_id = db_int64(res, row, c0 + 4);
		r->entity_name = pool_copy(pool, &off, res, row, c0 + 5);
		r->repository_selection =
		    pool_copy(pool, &off, res, row, c0 + 6);
		repos = pool_copy(pool, &off, res, row, c0 + 7);
		r->old_login = pool_copy(pool, &off, res, row, c0 + 8);
		r->new_login = pool_copy(pool, &off, res, row, c0 + 9);
		if (!PQgetisnull(res, row, c0 + 10) &&
		    parse_int64(PQgetvalue(res, row, c0 + 10), 0, 999,
		        &status) == 0)
			r->http_status = (int)status;
		r->repo = pool_copy(pool, &off, res, row, c0 + 11);
		r->repo_to = pool_copy(pool, &off, res, row, c0 + 12);
		r->message = pool_copy(pool, &off, res, row, c0 + 13);
		if (!PQgetisnull(res, row, c0 + 14) &&
		    parse_int64(PQgetvalue(res, row, c0 + 14), 1, INT64_MAX,
		        &repo_id) == 0)
			r->repo_id = repo_id;
		if (repos != NULL &&
		    split_repos(rows, i, pool + (repos - pool)) == -1)
			return DB_ERROR;
	}
	return DB_OK;
}

enum db_status
db_trace_fold_rows_after(struct db *db, int64_t entity_id, const char *at,
    const char *after_at, int64_t after_id, int64_t limit,
    struct db_trace_rows *rows)
{
	char ent[24], aid[24], lim[24];
	const char *values[5];
	PGresult *res = NULL;
	enum db_status st;

	memset(rows, 0, sizeof(*rows));
	(void)snprintf(ent, sizeof(ent), "%" PRId64, entity_id);
	values[0] = ent;
	(void)snprintf(aid, sizeof(aid), "%" PRId64, after_id);
	values[1] = empty_null(at);
	values[2] = empty_null(after_at);
	values[3] = aid;
	(void)snprintf(lim, sizeof(lim), "%" PRId64, limit);
	values[4] = limit > 0 ? lim : NULL;
	st = db_exec(db, __func__, SQL_FOLD_ROWS, 5, values, NULL, NULL, &res);
	if (st == DB_OK)
		st = rows_fill(rows, res, 0, PQntuples(res), 0);
	PQclear(res);
	return st;
}

enum db_status
db_trace_fold_rows_many(struct db *db, const struct db_fold_from *from,
    size_t n, int64_t limit, struct db_trace_rows *rows)
{
	struct buf ids, ats, aids;
	char lim[24];
	const char *values[4];
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;
	int nt, i = 0;

	buf_init(&ids);
	buf_init(&ats);
	buf_init(&aids);
	for (size_t k = 0; k < n; k++)
		memset(&rows[k], 0, sizeof(rows[k]));
	if (n == 0)
		return DB_OK;
	for (size_t k = 0; k < n; k++) {
		char e[24], a[24];

		(void)snprintf(e, sizeof(e), "%" PRId64, from[k].entity_id);
		(void)snprintf(a, sizeof(a), "%" PRId64, from[k].after_id);
		if (db_array_add(&ids, e) == -1 ||
		    db_array_add(&ats, empty_null(from[k].after_at)) == -1 ||
		    db_array_add(&aids, a) == -1)
			goto out;
	}
	(void)snprintf(lim, sizeof(lim), "%" PRId64, limit);
	values[0] = ids.buf;
	values[1] = ats.buf;
	values[2] = aids.buf;
	values[3] = lim;
	if ((st = db_exec_prepared(db, __func__, DB_PREP_FOLD_ROWS_MANY,
	         SQL_FOLD_ROWS_MANY, 4, values, NULL, NULL, &res)) != DB_OK)
		goto out;
	/* Rows come by entity (their ordinal, column 0), each in order. */
	nt = PQntuples(res);
	while (i < nt && st == DB_OK) {
		int64_t k = db_int64(res, i, 0);
		int j = i;

		while (j < nt && db_int64(res, j, 0) == k)
			j++;
		if (k < 1 || (size_t)k > n || rows[k - 1].n > 0) {
			st = DB_ERROR;
			break;
		}
		st = rows_fill(&rows[k - 1], res, i, j - i, 1);
		i = j;
	}
out:
	if (st != DB_OK)
		log_warnx("%s: out of memory or a bad answer", __func__);
	PQclear(res);
	buf_release(&ids);
	buf_release(&ats);
	buf_release(&aids);
	return st;
}

void
db_trace_rows_release(struct db_trace_rows *rows)
{
	if (rows == NULL)
		return;
	for (size_t i = 0; i < rows->n; i++) {
		free(rows->strings[i]);
		free(rows->repos[i]);
	}
	free(rows->strings);
	free(rows->repos);
	free(rows->v);
	memset(rows, 0, sizeof(*rows));
}

enum db_status
db_trace_stream_page(struct db *db, int64_t after, int64_t upto,
    int64_t entity_id, int64_t installation_id, const char *event,
    int64_t limit, struct trace_page *page)
{
	char a[24], u[24], ent[24], inst[24], lim[24];
	const char *values[6];
	PGresult *res = NULL;
	enum db_status st;

	memset(page, 0, sizeof(*page));
	(void)snprintf(a, sizeof(a), "%" PRId64, after);
	(void)snprintf(u, sizeof(u), "%" PRId64, upto);
	(void)snprintf(lim, sizeof(lim), "%" PRId64, limit);
	values[0] = a;
	values[1] = u;
	values[2] = db_id_param(ent, sizeof(ent), entity_id);
	values[3] = db_id_param(inst, sizeof(inst), installation_id);
	values[4] = empty_null(event);
	values[5] = lim;
	st = db_exec(db, __func__, SQL_STREAM, 6, values, NULL, NULL, &res);
	if (st == DB_OK)
		st = page_fill(res, PQntuples(res), page);
	PQclear(res);
	if (st != DB_OK)
		trace_page_release(page);
	return st;
}

enum db_status
db_trace_stream_start(struct db *db, int64_t upto, int64_t entity_id,
    int64_t installation_id, const char *event, int64_t last, int64_t *after)
{
	char u[24], ent[24], inst[24], lim[24];
	const char *values[5];

	(void)snprintf(u, sizeof(u), "%" PRId64, upto);
	(void)snprintf(lim, sizeof(lim), "%" PRId64, last);
	values[0] = u;
	values[1] = db_id_param(ent, sizeof(ent), entity_id);
	values[2] = db_id_param(inst, sizeof(inst), installation_id);
	values[3] = empty_null(event);
	values[4] = lim;
	return db_exec_int64(db, __func__,
	    entity_id != 0 || installation_id != 0 ? SQL_STREAM_START_BY_TIME
	                                           : SQL_STREAM_START_BY_ID,
	    5, values, after);
}

enum db_status
db_trace_stream_keys(struct db *db, int64_t after, int64_t upto,
    struct db_trace_key *keys, size_t max, size_t *n, bool *full)
{
	char a[24], u[24], lim[24];
	const char *values[3] = { a, u, lim };
	PGresult *res = NULL;
	enum db_status st;
	int rows;

	*n = 0;
	*full = false;
	(void)snprintf(a, sizeof(a), "%" PRId64, after);
	(void)snprintf(u, sizeof(u), "%" PRId64, upto);
	(void)snprintf(lim, sizeof(lim), "%zu", max + 1);
	st = db_exec_prepared(db, __func__, DB_PREP_STREAM_KEYS,
	    SQL_STREAM_KEYS, 3, values, NULL, NULL, &res);
	if (st != DB_OK)
		goto out;
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		struct db_trace_key *k = &keys[*n];

		if (*n == max ||
		    (size_t)PQgetlength(res, i, 3) >= sizeof(k->event)) {
			*full = true;
			break;
		}
		k->id = db_int64(res, i, 0);
		k->entity_id = db_int64(res, i, 1);
		k->installation_id = db_int64(res, i, 2);
		memcpy(k->event, PQgetvalue(res, i, 3),
		    (size_t)PQgetlength(res, i, 3) + 1);
		(*n)++;
	}
out:
	PQclear(res);
	return st;
}
