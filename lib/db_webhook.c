/* SPDX-License-Identifier: MIT */
/* The webhook's statements: the log row and the jobs it keeps. */
#include "db_webhook.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "db_priv.h"
#include "log.h"

#define SQL_EVENT_INSERT                                             \
 "INSERT INTO installation_events (received_at, source, event, "     \
 "outcome, delivery_id, app_id, installation_id, entity_type, "      \
 "entity_id, entity_name, payload, raw_body, attempt_key, "          \
 "request_id) VALUES (COALESCE($1::timestamptz, now()), $2, $3, "    \
 "$4, $5, $6::bigint, $7::bigint, $8, $9::bigint, $10, $11::jsonb, " \
 "$12::bytea, $13, $14) "                                            \
 "ON CONFLICT (shard_key, received_at, attempt_key) DO NOTHING "     \
 "RETURNING id"

/* The row an attempt already wrote (sql/007_hardening.sql). */
#define SQL_EVENT_OF_ATTEMPT                                      \
 "SELECT id FROM installation_events WHERE attempt_key = $1 AND " \
 "received_at = $2::timestamptz AND shard_key = "                 \
 "COALESCE($3::bigint, 0)"

enum db_status
db_event_insert(struct db *db, const struct db_event *ev, int64_t *id)
{
	char app[24], inst[24], ent[24];
	const char *values[14];
	int lengths[14] = { 0 }, formats[14] = { 0 };
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
	values[12] = ev->attempt_key;
	values[13] = ev->request_id;
	*id = 0;
	st = db_exec(db, __func__, SQL_EVENT_INSERT, 14, values, lengths,
	    formats, &res);
	if (st == DB_OK && PQntuples(res) == 1)
		*id = db_int64(res, 0, 0);
	else if (st == DB_OK && ev->attempt_key != NULL &&
	    ev->received_at != NULL) {
		/* This attempt's row is there: say which it is. */
		const char *keys[3] = { ev->attempt_key, ev->received_at,
			values[8] };

		PQclear(res);
		res = NULL;
		log_info("%s: attempt '%s' is recorded already", __func__,
		    ev->attempt_key);
		st = db_exec(db, __func__, SQL_EVENT_OF_ATTEMPT, 3, keys, NULL,
		    NULL, &res);
		if (st == DB_OK && PQntuples(res) == 1)
			*id = db_int64(res, 0, 0);
	}
	PQclear(res);
	return st;
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
	st = db_exec(db, __func__, SQL_JOB_INSERT, 9, values, NULL, NULL, &res);
	if (st == DB_OK && strcmp(PQcmdTuples(res), "0") == 0)
		st = DB_CONFLICT;
	PQclear(res);
	return st;
}

/* Status rank: a job only moves to a higher rank. */
#define SQL_RANK(x) \
 "(CASE " x " WHEN 'pending' THEN 0 WHEN 'running' THEN 1 ELSE 2 END)"

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
	st =
	    db_exec(db, __func__, SQL_JOB_ADVANCE, 2, values, NULL, NULL, &res);
	if (st == DB_OK && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		st = DB_NOTFOUND;
	PQclear(res);
	return st;
}
