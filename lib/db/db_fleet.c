/* SPDX-License-Identifier: MIT */
/* The fleet's query: the accounts whose scheduler auth fails. */
#include "db/db_fleet.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "db/db_priv.h"
#include "db/db_trace_sql.h"

/* The SQL reads best as written: one clause per line. */
/* clang-format off */
/*
 * $1 since, $2 cursor (a failure row id) or NULL, $3 limit.  f: the
 * failure rows of the window (sql/016's index); g: each account's last
 * one; a: their first and count.  auth_cache.ok_at is when the
 * installation last authenticated (sql/010).  healed: a created or
 * unsuspend after the last failure, looked up for each account by the
 * fold index from its last failure on (a LIMIT in a LATERAL keeps it a
 * probe per account: as NOT EXISTS the planner may hash every
 * created/unsuspend row of the log instead); g comes newest first, so
 * that the probes stop once the page has its accounts.
 */
#define SQL_FLEET_CANDIDATES \
	"WITH f AS (SELECT entity_id, received_at, id, installation_id, " \
	"entity_type FROM installation_events WHERE source = 'scheduler' " \
	"AND event LIKE 'auth_attempt.%' AND entity_id IS NOT NULL " \
	"AND received_at >= $1::timestamptz), " \
	"g AS (SELECT DISTINCT ON (entity_id) entity_id, received_at AS " \
	"last_at, id AS last_id, installation_id, entity_type FROM f " \
	"ORDER BY entity_id, received_at DESC, id DESC), " \
	"a AS (SELECT entity_id, min(received_at) AS first_at, count(*) AS n " \
	"FROM f GROUP BY entity_id) " \
	"SELECT g.entity_id, g.installation_id, g.entity_type, " \
	SQL_UTC("a.first_at") ", " SQL_UTC("g.last_at") ", a.n, g.last_id " \
	"FROM (SELECT * FROM g ORDER BY last_at DESC, last_id DESC) g " \
	"JOIN a USING (entity_id) " \
	"CROSS JOIN LATERAL (SELECT count(*) AS n FROM (SELECT 1 " \
	"FROM installation_events e WHERE e.entity_id = g.entity_id " \
	"AND e.event NOT LIKE 'workflow_job.%' " \
	"AND e.received_at > g.last_at " \
	"AND e.event IN ('installation.created', 'installation.unsuspend') " \
	"LIMIT 1) x) healed " \
	"WHERE healed.n = 0 AND NOT EXISTS (SELECT 1 FROM auth_cache c " \
	"WHERE c.installation_id = g.installation_id " \
	"AND c.ok_at > g.last_at) " \
	"AND ($2::bigint IS NULL OR (g.last_at, g.last_id) < " \
	"(SELECT c.received_at, c.id FROM installation_events c " \
	"WHERE c.id = $2::bigint AND c.source = 'scheduler')) " \
	"ORDER BY g.last_at DESC, g.last_id DESC LIMIT $3::bigint"

/* $1 entity, $2 installation, $3 the failure's time. */
#define SQL_FLEET_RECOVERED \
	"SELECT " SQL_UTC("min(t)") " FROM (" \
	"SELECT min(received_at) AS t FROM installation_events " \
	"WHERE entity_id = $1::bigint AND event IN ('installation.created', " \
	"'installation.unsuspend') AND received_at > $3::timestamptz " \
	"AND event NOT LIKE 'workflow_job.%' " \
	"UNION ALL SELECT min(ok_at) FROM auth_cache " \
	"WHERE installation_id = $2::bigint AND ok_at > $3::timestamptz) x"

#define SQL_FLEET_CURSOR \
	"SELECT 1 FROM installation_events WHERE id = $1::bigint " \
	"AND source = 'scheduler' AND event LIKE 'auth_attempt.%'"
/* clang-format on */

enum db_status
db_fleet_candidates(struct db *db, const char *since, int64_t cursor,
    int64_t limit, struct db_fleet_candidates *out)
{
	char cur[24], lim[24];
	const char *values[3];
	PGresult *res = NULL;
	enum db_status st;
	size_t n;

	memset(out, 0, sizeof(*out));
	(void)snprintf(cur, sizeof(cur), "%" PRId64, cursor);
	(void)snprintf(lim, sizeof(lim), "%" PRId64, limit);
	if (cursor > 0) {
		values[0] = cur;
		st = db_exec(db, __func__, SQL_FLEET_CURSOR, 1, values, NULL,
		    NULL, &res);
		if (st == DB_OK && PQntuples(res) == 0)
			st = DB_REFUSED;
		PQclear(res);
		res = NULL;
		if (st != DB_OK)
			return st;
	}
	values[0] = since;
	values[1] = cursor > 0 ? cur : NULL;
	values[2] = lim;
	st = db_exec_prepared(db, __func__, DB_PREP_FLEET_CANDIDATES,
	    SQL_FLEET_CANDIDATES, 3, values, NULL, NULL, &res);
	if (st != DB_OK || (n = (size_t)PQntuples(res)) == 0)
		goto out;
	if ((out->v = calloc(n, sizeof(*out->v))) == NULL) {
		st = DB_ERROR;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct db_fleet_candidate *c = &out->v[i];
		int row = (int)i;

		out->n = i + 1;
		c->entity_id = db_int64(res, row, 0);
		c->installation_id = db_int64(res, row, 1);
		c->entity_type = db_strdup(res, row, 2);
		c->first_at = db_strdup(res, row, 3);
		c->last_at = db_strdup(res, row, 4);
		c->failures = db_int64(res, row, 5);
		c->last_id = db_int64(res, row, 6);
		if ((c->entity_type == NULL && !PQgetisnull(res, row, 2)) ||
		    c->first_at == NULL || c->last_at == NULL) {
			log_warnx("%s: out of memory", __func__);
			st = DB_ERROR;
			goto out;
		}
	}
out:
	PQclear(res);
	if (st != DB_OK)
		db_fleet_candidates_release(out);
	return st;
}

enum db_status
db_fleet_recovered_at(struct db *db, int64_t entity_id, int64_t installation_id,
    const char *failure_at, char *at, size_t size)
{
	char ent[24], inst[24];
	const char *values[3];
	PGresult *res = NULL;
	enum db_status st;

	(void)snprintf(ent, sizeof(ent), "%" PRId64, entity_id);
	(void)snprintf(inst, sizeof(inst), "%" PRId64, installation_id);
	values[0] = ent;
	values[1] = inst;
	values[2] = failure_at;
	st = db_exec(db, __func__, SQL_FLEET_RECOVERED, 3, values, NULL, NULL,
	    &res);
	if (st == DB_OK) {
		if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
			st = DB_NOTFOUND;
		else
			(void)snprintf(at, size, "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return st;
}

void
db_fleet_candidates_release(struct db_fleet_candidates *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].entity_type);
		free(c->v[i].first_at);
		free(c->v[i].last_at);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}
