/* SPDX-License-Identifier: MIT */
/* The scheduler auth check's queries: lock, targets, cache, failure rows. */
#include "db/db_auth_check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "core/outcome.h"
#include "core/str.h"
#include "db/db_priv.h"

/*
 * The lowest-numbered pending job of every installation, and whether the
 * cache holds a valid entry for the app variant of that job's entity.
 */
#define SQL_AUTH_TARGETS                                              \
 "WITH first AS (SELECT DISTINCT ON (installation_id) "               \
 "installation_id, entity_type, entity_id, entity_name, job_id, "     \
 "repo_full_name FROM jobs WHERE status = 'pending' AND "             \
 "installation_id IS NOT NULL ORDER BY installation_id, job_id) "     \
 "SELECT f.installation_id, f.entity_type, f.entity_id, "             \
 "f.entity_name, f.job_id, f.repo_full_name, EXISTS (SELECT 1 FROM "  \
 "auth_cache c WHERE c.installation_id = f.installation_id AND "      \
 "c.app_id = CASE f.entity_type WHEN 'Organization' THEN $1::bigint " \
 "WHEN 'User' THEN $2::bigint END AND c.ok_until > now()) "           \
 "FROM first f ORDER BY f.installation_id"

enum db_status
db_auth_check_targets_get(struct db *db, int64_t org_app_id,
    int64_t user_app_id, struct db_auth_check_targets *out)
{
	char org[24], user[24];
	const char *values[2];
	PGresult *res = NULL;
	enum db_status st;
	int rows;

	memset(out, 0, sizeof(*out));
	(void)snprintf(org, sizeof(org), "%" PRId64, org_app_id);
	(void)snprintf(user, sizeof(user), "%" PRId64, user_app_id);
	values[0] = org_app_id != 0 ? org : NULL;
	values[1] = user_app_id != 0 ? user : NULL;
	st = db_exec(db, __func__, SQL_AUTH_TARGETS, 2, values, NULL, NULL,
	    &res);
	if (st != DB_OK)
		goto out;
	rows = PQntuples(res);
	if (rows > 0 &&
	    (out->v = calloc((size_t)rows, sizeof(*out->v))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		st = DB_ERROR;
		goto out;
	}
	for (int i = 0; i < rows; i++) {
		struct db_auth_check_target *t = &out->v[out->n];

		if (strcmp(PQgetvalue(res, i, 6), "t") == 0) {
			out->ncached++;
			continue;
		}
		t->installation_id = db_int64(res, i, 0);
		t->entity_type = db_strdup(res, i, 1);
		t->entity_id = db_int64(res, i, 2);
		t->entity_name = db_strdup(res, i, 3);
		t->job_id = db_int64(res, i, 4);
		t->repo_full_name = db_strdup(res, i, 5);
		out->n++;
		if ((t->entity_type == NULL && !PQgetisnull(res, i, 1)) ||
		    (t->entity_name == NULL && !PQgetisnull(res, i, 3)) ||
		    (t->repo_full_name == NULL && !PQgetisnull(res, i, 5))) {
			log_warnx("%s: out of memory", __func__);
			st = DB_ERROR;
			goto out;
		}
	}
out:
	PQclear(res);
	return st;
}

void
db_auth_check_targets_release(struct db_auth_check_targets *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].entity_type);
		free(t->v[i].entity_name);
		free(t->v[i].repo_full_name);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

#define SQL_AUTH_CACHE_PUT                                     \
 "INSERT INTO auth_cache (installation_id, app_id, ok_until) " \
 "SELECT DISTINCT u.i, u.a, now() + interval '59 minutes' "    \
 "FROM unnest($1::bigint[], $2::bigint[]) AS u(i, a) "         \
 "ON CONFLICT (installation_id, app_id) DO UPDATE "            \
 "SET ok_until = EXCLUDED.ok_until"

enum db_status
db_auth_check_cache_put(struct db *db, const int64_t *installation_ids,
    const int64_t *app_ids, size_t n)
{
	struct buf insts, apps;
	const char *values[2];
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;

	if (n == 0)
		return DB_OK;
	buf_init(&insts);
	buf_init(&apps);
	if (db_int64_array(&insts, installation_ids, n) == -1 ||
	    db_int64_array(&apps, app_ids, n) == -1) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	values[0] = insts.buf;
	values[1] = apps.buf;
	st = db_exec(db, __func__, SQL_AUTH_CACHE_PUT, 2, values, NULL, NULL,
	    &res);
out:
	PQclear(res);
	buf_release(&insts);
	buf_release(&apps);
	return st;
}

/*
 * One statement, so one transaction: the scheduler row, and for an
 * installation not found ($12) its pending jobs failed.  The payload is
 * built here, shaped as docs/data-model.md#scheduler-rows, with the operation
 * ($13) that wrote it; failure_info names it too.
 */
#define SQL_AUTH_FAILURE                                              \
 "WITH ev AS (INSERT INTO installation_events (source, event, "       \
 "outcome, app_id, installation_id, entity_type, entity_id, "         \
 "entity_name, operation_id, payload) VALUES ('scheduler', $1, $2, "  \
 "$3::bigint, $4::bigint, $5::text, $6::bigint, $7::text, "           \
 "$13::bigint, jsonb_build_object("                                   \
 "'installation_id', $4::bigint, 'app_id', $3::bigint, "              \
 "'entity_type', $5::text, 'entity_id', $6::bigint, "                 \
 "'entity_name', $7::text, "                                          \
 "'repository', jsonb_build_object('full_name', $8::text), "          \
 "'workflow_job', jsonb_build_object('id', $9::bigint), "             \
 "'http_status', $10::integer, 'message', $11::text, "                \
 "'operation_id', $13::bigint)) "                                     \
 "RETURNING id), "                                                    \
 "failed AS (UPDATE jobs SET status = 'failed', updated_at = now(), " \
 "failure_info = jsonb_build_object('version', 1, 'message', "        \
 "'installation not found for installation_id=' || $4::bigint || "    \
 "' entity_type=' || COALESCE($5::text, ''), "                        \
 "'operation_id', $13::bigint) "                                      \
 "WHERE $12::boolean AND installation_id = $4::bigint AND "           \
 "status = 'pending' RETURNING job_id) "                              \
 "SELECT (SELECT id FROM ev), (SELECT count(*) FROM failed), "        \
 "(SELECT COALESCE(string_agg(job_id::text, ',' ORDER BY job_id), "   \
 "'') FROM failed)"

enum db_status
db_auth_check_failure_record(struct db *db,
    const struct db_auth_check_failure *f, int64_t *event_id, int64_t *nfailed,
    char **jobs)
{
	const struct db_auth_check_target *t = f->target;
	char app[24], inst[24], ent[24], job[24], status[24], op[24];
	const char *values[13];
	bool is_404 = f->not_found;
	enum outcome oc = is_404 ? OUTCOME_AUTH_404
	    : f->transport       ? OUTCOME_AUTH_TRANSPORT_ERROR
	                         : OUTCOME_AUTH_OTHER_ERROR;
	PGresult *res = NULL;
	enum db_status st;

	*event_id = 0;
	*nfailed = 0;
	*jobs = NULL;
	(void)snprintf(app, sizeof(app), "%" PRId64, f->app_id);
	(void)snprintf(inst, sizeof(inst), "%" PRId64, t->installation_id);
	(void)snprintf(ent, sizeof(ent), "%" PRId64, t->entity_id);
	(void)snprintf(job, sizeof(job), "%" PRId64, t->job_id);
	(void)snprintf(status, sizeof(status), "%ld", f->http_status);
	values[0] = outcome_event(oc);
	values[1] = outcome_name(oc);
	values[2] = app;
	values[3] = inst;
	values[4] = t->entity_type;
	values[5] = t->entity_id != 0 ? ent : NULL;
	values[6] = t->entity_name;
	values[7] = t->repo_full_name;
	values[8] = t->job_id != 0 ? job : NULL;
	values[9] = f->transport ? NULL : status;
	values[10] = f->message;
	values[11] = is_404 ? "true" : "false";
	(void)snprintf(op, sizeof(op), "%" PRId64, f->operation_id);
	values[12] = f->operation_id != 0 ? op : NULL;
	st = db_exec(db, __func__, SQL_AUTH_FAILURE, 13, values, NULL, NULL,
	    &res);
	if (st == DB_OK) {
		*event_id = db_int64(res, 0, 0);
		*nfailed = db_int64(res, 0, 1);
		if ((*jobs = db_strdup(res, 0, 2)) == NULL) {
			log_warnx("%s: out of memory", __func__);
			st = DB_ERROR;
		}
	}
	PQclear(res);
	return st;
}
