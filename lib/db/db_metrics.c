/* SPDX-License-Identifier: MIT */
/* The operations table as /metrics reads it: counts and last runs. */
#include "db/db_metrics.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/db_priv.h"

/*
 * One statement, so one snapshot: the count of each type from an
 * index-only scan of the (type, id) index, the unfinished ones through
 * the partial status index, and for a type with ended runs the last one
 * that ended by itself, completed or failed, walking the (type, id) index
 * backwards.  A failed run is a run all the same: the auth check fails
 * whenever one installation is refused, and its liveness must not vanish
 * then (InstlogAuthCheckStale, README).  A run that died did not end: the
 * next one marked it failed with error "abandoned" (db_ops_abandon()), so
 * a program that crashes every time does not look alive.  Small enough a
 * plan that PostgreSQL does not JIT-compile it (that alone took 400 ms).
 */
#define STR(x)  STR_(x)
#define STR_(x) #x
/* clang-format off */
#define SQL_METRICS_OPS \
	"WITH totals AS (SELECT type, count(*) AS n FROM operations" \
	" GROUP BY type ORDER BY type LIMIT " STR(DB_METRICS_TYPES) ")," \
	" unfinished AS (SELECT type, status, count(*) AS n" \
	" FROM operations WHERE status <> 'completed' GROUP BY type, status)," \
	" counts AS (SELECT t.type, t.n," \
	" coalesce((SELECT u.n FROM unfinished u WHERE u.type = t.type" \
	"  AND u.status = 'running'), 0) AS running," \
	" coalesce((SELECT u.n FROM unfinished u WHERE u.type = t.type" \
	"  AND u.status = 'failed'), 0) AS failed FROM totals t)" \
	"SELECT c.type, c.n, c.running, c.failed," \
	" CASE WHEN c.n > c.running THEN" \
	" (SELECT floor(extract(epoch FROM o.completed_at) * 1000)::bigint" \
	"  FROM operations o WHERE o.type = c.type" \
	"  AND o.status <> 'running'" \
	"  AND o.error IS DISTINCT FROM 'abandoned'" \
	"  ORDER BY o.id DESC LIMIT 1) END" \
	" FROM counts c ORDER BY c.type"
/* clang-format on */

static const char *const statuses[] = { "running", "completed", "failed" };

enum db_status
db_metrics_ops(struct db *db, struct db_metrics_ops *out)
{
	PGresult *res = NULL;
	enum db_status st;
	int n;

	memset(out, 0, sizeof(*out));
	st = db_exec(db, __func__, SQL_METRICS_OPS, 0, NULL, NULL, NULL, &res);
	if (st != DB_OK)
		goto out;
	n = PQntuples(res);
	for (int i = 0; i < n && i < DB_METRICS_TYPES; i++) {
		int64_t total = db_int64(res, i, 1);
		int64_t count[3] = { db_int64(res, i, 2), 0,
			db_int64(res, i, 3) };

		(void)snprintf(out->type[i], sizeof(out->type[i]), "%s",
		    PQgetvalue(res, i, 0));
		/* One snapshot: whatever is not unfinished completed. */
		count[1] = total - count[0] - count[2];
		for (int s = 0; s < 3; s++) {
			out->ops[out->nops].type = out->type[i];
			out->ops[out->nops].status = statuses[s];
			out->ops[out->nops++].count = count[s];
		}
		if (!PQgetisnull(res, i, 4)) {
			out->runs[out->nruns].type = out->type[i];
			out->runs[out->nruns++].ended_ms = db_int64(res, i, 4);
		}
	}
out:
	PQclear(res);
	return st;
}
