/* SPDX-License-Identifier: MIT */
/* GET /metrics: counters, spool, database and operations for Prometheus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "db_metrics.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "prom.h"
#include "scrape.h"
#include "spool.h"

/* The database must answer within this (nginx waits 8 s). */
#define METRICS_DB_BUDGET_MS 2000

/* Spool directory entries looked at per scrape, at most. */
#define METRICS_SPOOL_SCAN 100000

struct app {
	struct config	 cfg;
	struct http	 http;
	struct db	*db;
	struct metrics	*counters;	/* NULL: nothing counted */
};

static void
handle(struct app *app, struct http_request *req, struct http_response *resp)
{
	struct scrape s;
	struct db_metrics_ops ops;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		(void)snprintf(resp->extra, sizeof(resp->extra), "Allow: GET");
		http_error(resp, 405, "method not allowed: use GET");
		return;
	}
	memset(&s, 0, sizeof(s));
	s.counters = app->counters;
	s.now = (int64_t)time(NULL);
	if ((s.spool_configured = app->cfg.spool_dir != NULL))
		s.spool_files = spool_scan(app->cfg.spool_dir,
		    METRICS_SPOOL_SCAN, &s.spool_oldest, &s.spool_more);
	db_set_deadline(app->db, METRICS_DB_BUDGET_MS);
	s.database_up = db_ping(app->db) == DB_OK;
	if (s.database_up && db_metrics_ops(app->db, &ops) == DB_OK) {
		s.ops_known = true;
		s.ops = ops.ops;
		s.nops = ops.nops;
		s.runs = ops.runs;
		s.nruns = ops.nruns;
	}
	resp->content_type = PROM_CONTENT_TYPE;
	if (scrape_write(&s, &resp->body) == -1)
		http_error(resp, 500, "internal error");
}

int
main(int argc, char **argv)
{
	struct app app;
	struct http_request req;
	struct http_response resp;
	int rc = EXIT_FAILURE;

	log_init("metrics");
	memset(&app, 0, sizeof(app));
	if (config_load(&app.cfg, CONFIG_NEED_DB) == -1) {
		rc = 2;
		goto out;
	}
	if (app.cfg.metrics_file == NULL)
		log_warnx("neither INSTLOG_METRICS_FILE nor INSTLOG_SPOOL_DIR "
		          "is set: no delivery counters");
	else if ((app.counters = metrics_open(app.cfg.metrics_file)) == NULL) {
		rc = 2;
		goto out;
	}
	if (http_listen(&app.http, argc, argv) == -1)
		goto out;
	if ((app.db = db_new(app.cfg.database_url, "instlog-metrics")) == NULL)
		goto out;
	while (http_accept(&app.http, &req) == 0) {
		http_response_init(&resp);
		handle(&app, &req, &resp);
		http_send(&req, &resp);
		http_response_release(&resp);
		http_request_release(&req);
	}
	rc = EXIT_SUCCESS;
out:
	db_free(app.db);
	metrics_close(app.counters);
	config_release(&app.cfg);
	return rc;
}
