/* SPDX-License-Identifier: MIT */
/* The webhook's statements: the log row and the jobs it keeps. */
#include "db/db_webhook.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "core/str.h"
#include "db/db_priv.h"

/*
 * The jobs of several queued deliveries in one statement, in the order of
 * their ids and, for one id, of their deliveries (the first stores it).
 * Every statement inserts in id order, so that two of them running at
 * once (two write slots) wait for each other's jobs in one direction and
 * never deadlock: in arrival order, A then B against B then A did.
 */
#define SQL_JOB_INSERT_MANY                                           \
 "INSERT INTO jobs (job_id, status, entity_id, entity_type, "         \
 "entity_name, installation_id, app_id, repo_full_name, labels, "     \
 "html_url) SELECT j, 'pending', e, t, n, i, a, r, l::jsonb, h FROM " \
 "unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], "        \
 "$5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[]) "   \
 "WITH ORDINALITY AS u(j, e, t, n, i, a, r, l, h, o) ORDER BY j, o "  \
 "ON CONFLICT (job_id) DO NOTHING RETURNING job_id"
/* Its parameters: one array a column. */
#define SQL_JOB_INSERT_ARRAYS 9

/* Status rank: a job only moves to a higher rank. */
#define SQL_RANK(x) \
 "(CASE " x " WHEN 'pending' THEN 0 WHEN 'running' THEN 1 ELSE 2 END)"

/* Add the id 'v' (0: an SQL null) to the array literal 'b'. */
static int
job_id_add(struct buf *b, int64_t v)
{
	char s[24];

	return db_array_add(b, db_id_param(s, sizeof(s), v));
}

/*
 * The jobs arrays of the inserts 'ops[0..n)': a[0..SQL_JOB_INSERT_ARRAYS),
 * the parameters of SQL_JOB_INSERT_MANY, NUL-terminated.  Returns 0, or -1
 * when out of memory (a[] to be released all the same).
 */
static int
job_insert_arrays(const struct db_job_op *const *ops, size_t n, struct buf *a)
{
	int rc = 0;

	for (size_t c = 0; c < SQL_JOB_INSERT_ARRAYS; c++)
		rc |= buf_puts(&a[c], "{}");
	for (size_t i = 0; i < n; i++) {
		const struct db_job *j = ops[i]->insert;

		rc |= job_id_add(&a[0], j->job_id);
		rc |= job_id_add(&a[1], j->entity_id);
		rc |= db_array_add(&a[2], j->entity_type);
		rc |= db_array_add(&a[3], j->entity_name);
		rc |= job_id_add(&a[4], j->installation_id);
		rc |= job_id_add(&a[5], j->app_id);
		rc |= db_array_add(&a[6], j->repo_full_name);
		rc |= db_array_add(&a[7], j->labels_json);
		rc |= db_array_add(&a[8], j->html_url);
	}
	for (size_t c = 0; c < SQL_JOB_INSERT_ARRAYS; c++)
		rc |= buf_append(&a[c], "", 1);
	return rc;
}

/*
 * No ON CONFLICT clause: on a partitioned table it makes every execution
 * map each index of the partition to the parent's (a catalog scan an
 * index), a quarter of a row's cost in PostgreSQL (bench/RESULTS.md).  A
 * row that an attempt wrote already (decisions #5) fails the statement
 * with a unique violation instead (DB_CONFLICT); db_event_insert() then
 * answers with that row's id.
 */
#define SQL_EVENT_INTO                                           \
 "INSERT INTO installation_events (received_at, source, event, " \
 "outcome, delivery_id, app_id, installation_id, entity_type, "  \
 "entity_id, entity_name, payload, raw_body, attempt_key, "      \
 "request_id, body, job_id, actor, repo_full_name) VALUES "
/*
 * The values of one row of the INSERT (db_event_insert_sql()), as
 * event_params() sets them: the text around each parameter's "$n".
 */
#define SQL_EVENT_PARAMS  18
#define SQL_EVENT_OUTCOME 3
#define SQL_EVENT_JOB_ID  15
static const struct {
	const char *pre, *post;
} event_exprs[SQL_EVENT_PARAMS] = { { "COALESCE(", "::timestamptz, now())" },
	{ "", "" }, { "", "" }, { "", "" }, { "", "" }, { "", "::bigint" },
	{ "", "::bigint" }, { "", "" }, { "", "::bigint" }, { "", "" },
	{ "COALESCE(", "::jsonb, '{}')" }, { "", "::bytea" }, { "", "" },
	{ "", "" }, { "", "::json" }, { "", "::bigint" }, { "", "" },
	{ "", "" } };

/*
 * The jobs forms (decisions #6): the jobs writes of the rows run ahead of
 * the INSERT in the same statement, the jobs to insert as nine arrays
 * (SQL_JOB_INSERT_MANY, $1..$9), then the jobs to move forward as two
 * (ids, statuses; a job moved twice goes to the higher status, as it would
 * one write after the other); a statement has only the parts its rows
 * need.  Each row has two more parameters, which write says what of it
 * (SQL_EVENT_KIND_*) and the outcome when that write finds nothing to do;
 * its outcome is then chosen in a CASE of SQL_EVENT_OUTCOME_*.
 */
/* clang-format off */
#define SQL_EVENT_JOB_ADVANCE                                              \
 "job_advance AS (UPDATE jobs SET status = v.s, updated_at = now() FROM " \
 "(SELECT DISTINCT ON (j) j, s FROM unnest($%u::bigint[], $%u::text[]) "  \
 "AS a(j, s) ORDER BY j, " SQL_RANK("s") " DESC) AS v WHERE "             \
 "jobs.job_id = v.j AND " SQL_RANK("jobs.status") " < " SQL_RANK("v.s")   \
 " RETURNING 1)"
/* clang-format on */
#define SQL_EVENT_JOB_ADVANCE_PARAMS 2
#define SQL_EVENT_ROW_EXTRA          2
/*
 * A row's outcome in a jobs form, from its parameters: the kind of its
 * write, then for each kind its job's id, the outcome and the idle
 * outcome.  An inserted job shows in job_insert's RETURNING; a job to
 * advance is there before the statement or not at all (a job that the
 * group inserts is advanced after it: db_event_write()).
 */
#define SQL_EVENT_OUTCOME_INSERTED                                         \
 " WHEN 1 THEN CASE WHEN EXISTS (SELECT 1 FROM job_insert WHERE job_id = " \
 "$%u::bigint) THEN $%u::text ELSE $%u::text END"
#define SQL_EVENT_OUTCOME_ADVANCED                                   \
 " WHEN 2 THEN CASE WHEN EXISTS (SELECT 1 FROM jobs WHERE job_id = " \
 "$%u::bigint) THEN $%u::text ELSE $%u::text END"
enum { SQL_EVENT_KIND_NONE, SQL_EVENT_KIND_INSERT, SQL_EVENT_KIND_ADVANCE };
/* A prepared slot for each form (DB_EVENT_JOB_*) and size (db_priv.h). */
_Static_assert(DB_PREP_EVENT_GROUP + 4 * (DB_EVENT_GROUP_MAX + 1) ==
        DB_PREP__MAX,
    "prepared slots of the log INSERT");

/* The row an attempt already wrote (sql/007_hardening.sql). */
#define SQL_EVENT_OF_ATTEMPT                                               \
 "SELECT id, outcome FROM installation_events WHERE attempt_key = $1 AND " \
 "received_at = $2::timestamptz AND shard_key = "                          \
 "COALESCE($3::bigint, 0)"

/* The integer parameters of one row, formatted. */
struct event_ids {
	char app[24], inst[24], ent[24], job[24];
};

/*
 * Set the SQL_EVENT_PARAMS parameters of 'ev' in values[], lengths[] and
 * formats[] (zeroed by the caller); 'ids' holds their integer texts.
 */
static void
event_params(const struct db_event *ev, struct event_ids *ids,
    const char **values, int *lengths, int *formats)
{
	values[0] = ev->received_at;
	values[1] = ev->source;
	values[2] = ev->event;
	values[3] = ev->outcome;
	values[4] = ev->delivery_id;
	values[5] = db_id_param(ids->app, sizeof(ids->app), ev->app_id);
	values[6] =
	    db_id_param(ids->inst, sizeof(ids->inst), ev->installation_id);
	values[7] = ev->entity_type;
	values[8] = db_id_param(ids->ent, sizeof(ids->ent), ev->entity_id);
	values[9] = ev->entity_name;
	values[10] = ev->payload;
	values[11] = ev->raw;
	lengths[11] = (int)ev->rawlen;
	formats[11] = 1;
	values[12] = ev->attempt_key;
	values[13] = ev->request_id;
	values[14] = ev->body;
	values[15] = db_id_param(ids->job, sizeof(ids->job), ev->job_id);
	values[16] = ev->actor;
	values[17] = ev->repo_full_name;
}

static size_t
str_size(const char *s)
{
	return s == NULL ? 0 : strlen(s);
}

size_t
db_event_size(const struct db_event *ev)
{
	return str_size(ev->body) + str_size(ev->payload) + ev->rawlen +
	    str_size(ev->event) + str_size(ev->entity_name) +
	    str_size(ev->delivery_id) + 128;
}

/* True when one of the rows evs[rows[0..m)] inserts job 'id'. */
static bool
job_inserted(const struct db_event *const *evs, const size_t *rows, size_t m,
    int64_t id)
{
	for (size_t r = 0; r < m; r++) {
		const struct db_job_op *op = evs[rows[r]]->job;

		if (op != NULL && op->insert != NULL &&
		    op->insert->job_id == id)
			return true;
	}
	return false;
}

/*
 * The INSERT of 'n' rows (1..DB_EVENT_GROUP_MAX) with the jobs writes
 * 'jobs' (DB_EVENT_JOB_*, 0: none), built once per process and kept; NULL
 * when out of memory.
 */
static const char *
event_insert_sql(size_t n, unsigned jobs)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char *sql[4][DB_EVENT_GROUP_MAX + 1];
	struct buf b;
	const char *s;

	(void)pthread_mutex_lock(&lock);
	if (sql[jobs][n] == NULL) {
		buf_init(&b);
		if (db_event_insert_sql(&b, n, jobs) == 0 &&
		    buf_append(&b, "", 1) == 0)
			sql[jobs][n] = b.buf;
		else
			buf_release(&b);
	}
	s = sql[jobs][n];
	(void)pthread_mutex_unlock(&lock);
	return s;
}

/* The outcome of a row in a jobs form: its parameters from $p. */
static int
event_outcome_sql(struct buf *out, unsigned p, unsigned jobs)
{
	unsigned k = p + SQL_EVENT_PARAMS, j = p + SQL_EVENT_JOB_ID,
	         o = p + SQL_EVENT_OUTCOME;

	if (buf_printf(out, "CASE $%u::int", k) == -1 ||
	    ((jobs & DB_EVENT_JOB_INSERTS) &&
	        buf_printf(out, SQL_EVENT_OUTCOME_INSERTED, j, o, k + 1) ==
	            -1) ||
	    ((jobs & DB_EVENT_JOB_ADVANCES) &&
	        buf_printf(out, SQL_EVENT_OUTCOME_ADVANCED, j, o, k + 1) == -1))
		return -1;
	return buf_printf(out, " ELSE $%u::text END", o);
}

int
db_event_insert_sql(struct buf *out, size_t n, unsigned jobs)
{
	unsigned first = 1,
	         per = SQL_EVENT_PARAMS + (jobs != 0 ? SQL_EVENT_ROW_EXTRA : 0);

	buf_reset(out);
	if (jobs != 0 && buf_puts(out, "WITH ") == -1)
		return -1;
	if (jobs & DB_EVENT_JOB_INSERTS) {
		if (buf_puts(out, "job_insert AS (" SQL_JOB_INSERT_MANY ")") ==
		    -1)
			return -1;
		first += SQL_JOB_INSERT_ARRAYS;
	}
	if (jobs & DB_EVENT_JOB_ADVANCES) {
		if ((first > 1 && buf_puts(out, ", ") == -1) ||
		    buf_printf(out, SQL_EVENT_JOB_ADVANCE, first, first + 1) ==
		        -1)
			return -1;
		first += SQL_EVENT_JOB_ADVANCE_PARAMS;
	}
	if ((jobs != 0 && buf_puts(out, " ") == -1) ||
	    buf_puts(out, SQL_EVENT_INTO) == -1)
		return -1;
	for (size_t r = 0; r < n; r++) {
		unsigned p = first + (unsigned)r * per;

		if (buf_puts(out, r == 0 ? "(" : ", (") == -1)
			return -1;
		for (unsigned c = 0; c < SQL_EVENT_PARAMS; c++) {
			int rc;

			if (c > 0 && buf_puts(out, ", ") == -1)
				return -1;
			if (jobs != 0 && c == SQL_EVENT_OUTCOME)
				rc = event_outcome_sql(out, p, jobs);
			else
				rc = buf_printf(out, "%s$%u%s",
				    event_exprs[c].pre, p + c,
				    event_exprs[c].post);
			if (rc == -1)
				return -1;
		}
		if (buf_puts(out, ")") == -1)
			return -1;
	}
	return buf_puts(out, " RETURNING id, attempt_key, outcome");
}

/*
 * One INSERT of the rows evs[rows[0..m)] (the jobs form when one of them
 * has a jobs write), its result in *res.  A job that an earlier row
 * inserts is not inserted again: that row's outcome is its idle one (the
 * job is there), as it would be one write after the other.  Returns as
 * db_exec_prepared().
 */
static enum db_status
event_statement(struct db *db, const char *what,
    const struct db_event *const *evs, const size_t *rows, size_t m,
    PGresult **res)
{
	enum {
		ADV_IDS = SQL_JOB_INSERT_ARRAYS, /* a[]: the inserts' arrays, */
		ADV_STATUSES,                    /* then the advances' two */
		ARRAYS = SQL_JOB_INSERT_ARRAYS + SQL_EVENT_JOB_ADVANCE_PARAMS,
		PER = SQL_EVENT_PARAMS + SQL_EVENT_ROW_EXTRA,
		MAX = ARRAYS + DB_EVENT_GROUP_MAX * PER
	};
	static const char *const kinds[] = { "0", "1", "2" };
	struct event_ids fmt[DB_EVENT_GROUP_MAX];
	const char *values[MAX];
	int lengths[MAX] = { 0 }, formats[MAX] = { 0 };
	const struct db_job_op *ins[DB_EVENT_GROUP_MAX],
	    *adv[DB_EVENT_GROUP_MAX];
	struct buf a[ARRAYS];
	const char *sql = NULL;
	bool again[DB_EVENT_GROUP_MAX] = { false };
	unsigned jobs = 0;
	size_t nins = 0, nadv = 0, per, p = 0;
	enum db_status st = DB_ERROR;
	int rc = 0;

	for (size_t c = 0; c < ARRAYS; c++)
		buf_init(&a[c]);
	for (size_t r = 0; r < m; r++) {
		const struct db_job_op *op = evs[rows[r]]->job;

		if (op == NULL)
			continue;
		if (op->insert == NULL)
			adv[nadv++] = op;
		else if (!(again[r] = job_inserted(evs, rows, r,
		               op->insert->job_id)))
			ins[nins++] = op;
	}
	/* The arrays of the parts this group has only (none: no jobs). */
	if (nins > 0) {
		jobs |= DB_EVENT_JOB_INSERTS;
		rc |= job_insert_arrays(ins, nins, a);
	}
	if (nadv > 0) {
		jobs |= DB_EVENT_JOB_ADVANCES;
		rc |= buf_puts(&a[ADV_IDS], "{}") |
		    buf_puts(&a[ADV_STATUSES], "{}");
		for (size_t i = 0; i < nadv; i++)
			rc |= job_id_add(&a[ADV_IDS], adv[i]->job_id) |
			    db_array_add(&a[ADV_STATUSES], adv[i]->status);
		rc |= buf_append(&a[ADV_IDS], "", 1) |
		    buf_append(&a[ADV_STATUSES], "", 1);
	}
	if (rc != 0 || (sql = event_insert_sql(m, jobs)) == NULL)
		goto out;
	for (size_t c = (jobs & DB_EVENT_JOB_INSERTS) ? 0 : ADV_IDS;
	     c < ((jobs & DB_EVENT_JOB_ADVANCES) ? ARRAYS : ADV_IDS); c++)
		values[p++] = a[c].buf;
	per = SQL_EVENT_PARAMS + (jobs != 0 ? SQL_EVENT_ROW_EXTRA : 0);
	for (size_t r = 0; r < m; r++, p += per) {
		const struct db_event *ev = evs[rows[r]];

		event_params(ev, &fmt[r], values + p, lengths + p, formats + p);
		if (jobs == 0)
			continue;
		values[p + SQL_EVENT_PARAMS] =
		    kinds[ev->job == NULL || again[r] ? SQL_EVENT_KIND_NONE
		            : ev->job->insert != NULL ? SQL_EVENT_KIND_INSERT
		                                      : SQL_EVENT_KIND_ADVANCE];
		values[p + SQL_EVENT_PARAMS + 1] = ev->outcome_idle;
		if (again[r])
			values[p + SQL_EVENT_OUTCOME] = ev->outcome_idle;
	}
	st = db_exec_prepared(db, what,
	    DB_PREP_EVENT_GROUP + jobs * (DB_EVENT_GROUP_MAX + 1) + (unsigned)m,
	    sql, (int)p, values, lengths, formats, res);
out:
	if (sql == NULL)
		db_set_error(db, "out of memory");
	for (size_t c = 0; c < ARRAYS; c++)
		buf_release(&a[c]);
	return st;
}

/* Give 'ev' the outcome of row 't' of 'res' (column 'col'), if it asks. */
static void
event_outcome_back(const struct db_event *ev, PGresult *res, int t, int col)
{
	if (ev->outcome_out != NULL)
		(void)snprintf(ev->outcome_out, DB_OUTCOME_MAX, "%s",
		    PQgetvalue(res, t, col));
}

enum db_status
db_event_insert(struct db *db, const struct db_event *ev, int64_t *id)
{
	const size_t row = 0;
	PGresult *res = NULL;
	enum db_status st;

	*id = 0;
	st = event_statement(db, __func__, &ev, &row, 1, &res);
	if (st == DB_OK && PQntuples(res) == 1) {
		*id = db_int64(res, 0, 0);
		event_outcome_back(ev, res, 0, 2);
	} else if (st == DB_CONFLICT && ev->attempt_key != NULL &&
	    ev->received_at != NULL) {
		/* This attempt's row is there: say which it is. */
		struct event_ids ids;
		const char *keys[3] = { ev->attempt_key, ev->received_at,
			db_id_param(ids.ent, sizeof(ids.ent), ev->entity_id) };

		PQclear(res);
		res = NULL;
		log_info("%s: attempt '%s' is recorded already", __func__,
		    ev->attempt_key);
		st = db_exec(db, __func__, SQL_EVENT_OF_ATTEMPT, 3, keys, NULL,
		    NULL, &res);
		if (st == DB_OK && PQntuples(res) == 1) {
			*id = db_int64(res, 0, 0);
			event_outcome_back(ev, res, 0, 1);
		} else if (st == DB_OK) {
			db_set_error(db, "the attempt's row was not found");
			st = DB_ERROR;
		}
	}
	PQclear(res);
	return st;
}

/*
 * Write rows[0..m) of 'evs' (each with an attempt key) in one statement.
 * Sets ids[] and sts[] of the rows it wrote; leaves every sts[] at
 * DB_NOTFOUND when the statement failed (on one row's data, or on a row
 * that an attempt wrote already).
 */
static void
event_insert_group(struct db *db, const struct db_event *const *evs,
    const size_t *rows, size_t m, int64_t *ids, enum db_status *sts)
{
	PGresult *res = NULL;
	enum db_status st;

	st = event_statement(db, __func__, evs, rows, m, &res);
	if (st == DB_UNAVAILABLE) {
		/* Not written, or its commit's reply was lost: spool all. */
		for (size_t r = 0; r < m; r++)
			sts[rows[r]] = DB_UNAVAILABLE;
		goto out;
	}
	if (st != DB_OK)
		goto out;
	for (int t = 0; t < PQntuples(res); t++) {
		const char *key = PQgetvalue(res, t, 1);

		for (size_t r = 0; r < m; r++) {
			if (sts[rows[r]] == DB_NOTFOUND &&
			    strcmp(evs[rows[r]]->attempt_key, key) == 0) {
				sts[rows[r]] = DB_OK;
				ids[rows[r]] = db_int64(res, t, 0);
				event_outcome_back(evs[rows[r]], res, t, 2);
				break;
			}
		}
	}
out:
	PQclear(res);
}

void
db_event_write(void *arg, const void *const *rows_in, size_t n,
    int64_t deadline, int64_t *ids, enum db_status *sts, char *why)
{
	const struct db_event *const *evs =
	    (const struct db_event *const *)rows_in;
	struct db *db = arg;
	size_t rows[DB_EVENT_GROUP_MAX], m = 0;

	db->deadline = deadline;
	for (size_t i = 0; i < n; i++) {
		ids[i] = 0;
		sts[i] = DB_NOTFOUND;
		/*
		 * Only a keyed row can be told apart in RETURNING; a job that
		 * the group inserts is moved forward after it, so that the
		 * move sees the job (the statement's writes share a snapshot).
		 */
		if (m < DB_EVENT_GROUP_MAX && evs[i]->attempt_key != NULL &&
		    evs[i]->received_at != NULL &&
		    !(evs[i]->job != NULL && evs[i]->job->insert == NULL &&
		        job_inserted(evs, rows, m, evs[i]->job->job_id)))
			rows[m++] = i;
	}
	if (m > 1)
		event_insert_group(db, evs, rows, m, ids, sts);
	/*
	 * One by one: the rows of a group that failed on one row's data (a
	 * payload jsonb refuses, a constraint, a jobs write), so that each
	 * gets its own answer; a row whose attempt was recorded already (its
	 * id); the move of a job that the group inserted; unkeyed rows.
	 */
	for (size_t i = 0; i < n; i++) {
		if (sts[i] == DB_NOTFOUND)
			sts[i] = db_event_insert(db, evs[i], &ids[i]);
		if (sts[i] != DB_OK)
			(void)snprintf(why, DB_ERROR_MAX, "%s", db->last_error);
	}
}

enum db_status
db_job_apply(struct db *db, const struct db_job_op *op)
{
	if (op->insert != NULL)
		return db_job_insert(db, op->insert);
	return db_job_advance(db, op->job_id, op->status);
}

/* Run the statement 'sql' of no parameters and no rows (BEGIN, COMMIT). */
static enum db_status
db_job_command(struct db *db, const char *sql)
{
	PGresult *res = NULL;
	enum db_status st;

	st = db_exec(db, "db_job_write", sql, 0, NULL, NULL, NULL, &res);
	PQclear(res);
	return st;
}

/* True for the results of a jobs statement that ran. */
static bool
is_job_done(enum db_status st)
{
	return st == DB_OK || st == DB_CONFLICT || st == DB_NOTFOUND;
}

/*
 * Insert the jobs of the 'n' inserts 'ops' in one statement: sts[i] is
 * DB_OK for the first of each job that was not there, DB_CONFLICT for the
 * others.  Returns DB_OK, or the statement's failure (sts[] untouched).
 */
static enum db_status
db_job_insert_many(struct db *db, const struct db_job_op *const *ops, size_t n,
    enum db_status *sts)
{
	struct buf a[SQL_JOB_INSERT_ARRAYS];
	const char *values[SQL_JOB_INSERT_ARRAYS];
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;

	for (size_t c = 0; c < SQL_JOB_INSERT_ARRAYS; c++)
		buf_init(&a[c]);
	if (job_insert_arrays(ops, n, a) != 0) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	for (size_t c = 0; c < SQL_JOB_INSERT_ARRAYS; c++)
		values[c] = a[c].buf;
	st = db_exec_prepared(db, __func__, DB_PREP_JOB_INSERT_MANY,
	    SQL_JOB_INSERT_MANY, SQL_JOB_INSERT_ARRAYS, values, NULL, NULL,
	    &res);
	if (st != DB_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		sts[i] = DB_CONFLICT;
	for (int t = 0; t < PQntuples(res); t++) {
		int64_t id = db_int64(res, t, 0);

		for (size_t i = 0; i < n; i++) {
			if (sts[i] == DB_CONFLICT &&
			    ops[i]->insert->job_id == id) {
				sts[i] = DB_OK;
				break;
			}
		}
	}
out:
	PQclear(res);
	for (size_t c = 0; c < SQL_JOB_INSERT_ARRAYS; c++)
		buf_release(&a[c]);
	return st;
}

/*
 * Run the 'n' jobs writes 'rows' in order in one transaction, each result
 * in sts[].  Returns DB_OK once committed, else the first failure.
 */
static enum db_status
db_job_transaction(struct db *db, const void *const *rows, size_t n,
    enum db_status *sts)
{
	enum db_status st;

	/*
	 * A failed statement leaves the connection in the aborted
	 * transaction, which db_exec() closes: nothing to roll back.
	 */
	st = db_job_command(db, "BEGIN");
	for (size_t i = 0; i < n && st == DB_OK; i++)
		if (!is_job_done(sts[i] = db_job_apply(db, rows[i])))
			st = sts[i];
	return st == DB_OK ? db_job_command(db, "COMMIT") : st;
}

void
db_job_write(void *arg, const void *const *rows, size_t n, int64_t deadline,
    int64_t *ids, enum db_status *sts, char *why)
{
	const struct db_job_op *const *ops =
	    (const struct db_job_op *const *)rows;
	struct db *db = arg;
	enum db_status st = DB_ERROR;
	size_t inserts = 0;

	db->deadline = deadline;
	for (size_t i = 0; i < n; i++) {
		ids[i] = 0;
		sts[i] = DB_ERROR;
		inserts += ops[i]->insert != NULL;
	}
	/* Only new jobs (the usual burst): one statement, one round trip. */
	if (n > 1 && inserts == n)
		st = db_job_insert_many(db, ops, n, sts);
	else if (n > 1)
		st = db_job_transaction(db, rows, n, sts);
	if (n > 1 && st == DB_OK)
		return;
	if (n > 1 && st == DB_UNAVAILABLE) {
		/* Maybe committed: each delivery is spooled. */
		for (size_t i = 0; i < n; i++)
			sts[i] = DB_UNAVAILABLE;
		(void)snprintf(why, DB_ERROR_MAX, "%s", db->last_error);
		return;
	}
	/* Alone, or again one by one after a failure on one's data. */
	for (size_t i = 0; i < n; i++)
		if (!is_job_done(sts[i] = db_job_apply(db, rows[i])))
			(void)snprintf(why, DB_ERROR_MAX, "%s", db->last_error);
}

#define SQL_JOB_INSERT                                            \
 "INSERT INTO jobs (job_id, status, entity_id, entity_type, "     \
 "entity_name, installation_id, app_id, repo_full_name, labels, " \
 "html_url) VALUES ($1::bigint, 'pending', $2::bigint, $3, $4, "  \
 "$5::bigint, $6::bigint, $7, $8::jsonb, $9) "                    \
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
	st = db_exec_prepared(db, __func__, DB_PREP_JOB_INSERT, SQL_JOB_INSERT,
	    9, values, NULL, NULL, &res);
	if (st == DB_OK && strcmp(PQcmdTuples(res), "0") == 0)
		st = DB_CONFLICT;
	PQclear(res);
	return st;
}

#define SQL_JOB_ADVANCE                                              \
 "WITH u AS (UPDATE jobs SET status = $2, updated_at = now() "       \
 "WHERE job_id = $1::bigint AND " SQL_RANK("status") " < " SQL_RANK( \
     "$2::text") " RETURNING 1) "                                    \
	         "SELECT EXISTS (SELECT 1 FROM u) OR "               \
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
	st = db_exec_prepared(db, __func__, DB_PREP_JOB_ADVANCE,
	    SQL_JOB_ADVANCE, 2, values, NULL, NULL, &res);
	if (st == DB_OK && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		st = DB_NOTFOUND;
	PQclear(res);
	return st;
}
