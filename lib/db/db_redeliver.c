/* SPDX-License-Identifier: MIT */
/* The redelivery sweep's queries: lock, high-water marks, asks made. */
#include "db/db_redeliver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "core/str.h"
#include "db/db_priv.h"

#define SQL_SWEEP_GET                                     \
 "SELECT floor(extract(epoch FROM swept_until))::bigint " \
 "FROM redelivery_sweeps WHERE app_id = $1::bigint"

enum db_status
db_redeliver_sweep_get(struct db *db, int64_t app_id, time_t *swept_until)
{
	int64_t v = 0;
	enum db_status st;

	st = db_lookup_int64(db, __func__, SQL_SWEEP_GET, app_id, &v);
	*swept_until = (time_t)v;
	return st == DB_NOTFOUND ? DB_OK : st;
}

#define SQL_SWEEP_PUT                                         \
 "INSERT INTO redelivery_sweeps (app_id, swept_until) "       \
 "VALUES ($1::bigint, to_timestamp($2::bigint)) "             \
 "ON CONFLICT (app_id) DO UPDATE SET swept_until = GREATEST(" \
 "redelivery_sweeps.swept_until, EXCLUDED.swept_until), swept_at = now()"

enum db_status
db_redeliver_sweep_put(struct db *db, int64_t app_id, time_t swept_until)
{
	char app[24], until[24];
	const char *values[2] = { app, until };
	PGresult *res = NULL;
	enum db_status st;

	(void)snprintf(app, sizeof(app), "%" PRId64, app_id);
	(void)snprintf(until, sizeof(until), "%lld", (long long)swept_until);
	st = db_exec(db, __func__, SQL_SWEEP_PUT, 2, values, NULL, NULL, &res);
	PQclear(res);
	return st;
}

/*
 * The guids come as one text[], so one statement answers for all of them,
 * in their order.
 */
#define SQL_STATES                                                         \
 "SELECT EXISTS (SELECT 1 FROM installation_events e "                     \
 "WHERE e.delivery_id = g.guid), COALESCE(r.attempts, 0), "                \
 "COALESCE(floor(extract(epoch FROM now() - r.requested_at))::bigint, 0) " \
 "FROM unnest($1::text[]) WITH ORDINALITY AS g(guid, i) "                  \
 "LEFT JOIN redelivery_requests r ON r.guid = g.guid ORDER BY g.i"

enum db_status
db_redeliver_states_get(struct db *db, const struct redeliver_failed *failed,
    size_t n, struct redeliver_state *states)
{
	struct buf guids;
	const char *values[1];
	PGresult *res = NULL;
	enum db_status st = DB_ERROR;

	if (n == 0)
		return DB_OK;
	memset(states, 0, n * sizeof(*states));
	buf_init(&guids);
	for (size_t i = 0; i < n; i++)
		if (db_array_add(&guids, failed[i].guid) == -1) {
			log_warnx("%s: out of memory", __func__);
			goto out;
		}
	values[0] = guids.buf;
	st = db_exec(db, __func__, SQL_STATES, 1, values, NULL, NULL, &res);
	if (st != DB_OK)
		goto out;
	if ((size_t)PQntuples(res) != n) {
		log_warnx("%s: %d rows for %zu guids", __func__, PQntuples(res),
		    n);
		st = DB_ERROR;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		states[i].in_log = strcmp(PQgetvalue(res, (int)i, 0), "t") == 0;
		states[i].asked = db_int64(res, (int)i, 1);
		states[i].asked_ago = db_int64(res, (int)i, 2);
	}
out:
	PQclear(res);
	buf_release(&guids);
	return st;
}

#define SQL_RECORD                                                        \
 "INSERT INTO redelivery_requests (guid, app_id, hook_delivery_id, "      \
 "event, last_status, operation_id) VALUES ($1, $2::bigint, $3::bigint, " \
 "NULLIF($4, ''), $5::integer, $6::bigint) ON CONFLICT (guid) DO UPDATE " \
 "SET app_id = EXCLUDED.app_id, "                                         \
 "hook_delivery_id = EXCLUDED.hook_delivery_id, "                         \
 "event = EXCLUDED.event, last_status = EXCLUDED.last_status, "           \
 "operation_id = EXCLUDED.operation_id, "                                 \
 "requested_at = now(), attempts = redelivery_requests.attempts + 1 "     \
 "RETURNING attempts"

enum db_status
db_redeliver_record(struct db *db, int64_t app_id,
    const struct redeliver_failed *f, long http_status, int64_t operation_id,
    int64_t *asked)
{
	char app[24], id[24], status[24], op[24];
	const char *values[6] = { f->guid, app, id, f->event, status,
		db_id_param(op, sizeof(op), operation_id) };
	enum db_status st;

	*asked = 0;
	(void)snprintf(app, sizeof(app), "%" PRId64, app_id);
	(void)snprintf(id, sizeof(id), "%" PRId64, f->id);
	(void)snprintf(status, sizeof(status), "%ld", http_status);
	st = db_exec_int64(db, __func__, SQL_RECORD, 6, values, asked);
	return st == DB_NOTFOUND ? DB_OK : st;
}

#define SQL_PRUNE                                                \
 "DELETE FROM redelivery_requests WHERE requested_at < now() - " \
 "make_interval(days => $1::integer)"

enum db_status
db_redeliver_prune(struct db *db)
{
	char days[24];
	const char *values[1] = { days };
	PGresult *res = NULL;
	enum db_status st;

	(void)snprintf(days, sizeof(days), "%d", DB_REDELIVER_KEEP_DAYS);
	st = db_exec(db, __func__, SQL_PRUNE, 1, values, NULL, NULL, &res);
	PQclear(res);
	return st;
}
