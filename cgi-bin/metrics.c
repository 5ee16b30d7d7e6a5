/* SPDX-License-Identifier: MIT */
/* GET /metrics: counters, spool, database and operations for Prometheus. */
#include <string.h>
#include <time.h>

#include "core/fleet.h"
#include "core/prom.h"
#include "db/db_metrics.h"
#include "net/spool.h"
#include "run/app.h"
#include "run/fleet_list.h"
#include "run/scrape.h"

/* Spool directory entries looked at per scrape, at most. */
#define METRICS_SPOOL_SCAN 100000

static void
handle(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct db_metrics_ops ops;
	struct fleet_params fp;
	struct fleet_list fl;
	enum db_status ds;
	struct scrape s;
	char err[160];

	(void)req;
	memset(&s, 0, sizeof(s));
	memset(&fl, 0, sizeof(fl));
	s.counters = app->counters;
	s.now = (int64_t)time(NULL);
	if ((s.spool_configured = app->cfg.spool_dir != NULL))
		s.spool_files = spool_scan(app->cfg.spool_dir,
		    METRICS_SPOOL_SCAN, &s.spool_oldest, &s.spool_more);
	s.database_up = db_ping(app->db) == DB_OK;
	if (s.database_up && db_metrics_ops(app->db, &ops) == DB_OK) {
		s.ops_known = true;
		s.ops = ops.ops;
		s.nops = ops.nops;
		s.runs = ops.runs;
		s.nruns = ops.nruns;
	}
	/* The fleet's failing accounts of the last 24 h, at most 1000. */
	if (s.database_up &&
	    fleet_params_parse(NULL, (time_t)s.now, &fp, err, sizeof(err)) ==
	        0) {
		fp.limit = FLEET_LIMIT_MAX;
		if (fleet_list_get(app->db, app->cfg.fold_checkpoint_every, &fp,
		        &fl, &ds) == 0) {
			s.failing_known = true;
			s.failing = fl.items;
			s.nfailing = fl.n;
			s.failing_more = fl.next != 0;
		}
	}
	resp->content_type = PROM_CONTENT_TYPE;
	if (scrape_write(&s, &resp->body) == -1)
		http_error(resp, 500, "internal error");
	fleet_list_release(&fl);
}

int
main(int argc, char **argv)
{
	/* GET and HEAD; the database answers within 2 s (nginx waits 8). */
	static const struct app_def def = {
		.name = "metrics",
		.config_need = CONFIG_NEED_DB,
		.method = "GET",
		.also = "HEAD",
		.db_budget_ms = 2000,
		.handle = handle,
		.counters = true,
	};

	return app_main(&def, argc, argv);
}
