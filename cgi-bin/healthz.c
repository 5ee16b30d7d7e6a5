/* SPDX-License-Identifier: MIT */
/* GET /healthz: whether the database answers and the spool is writable. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "spool.h"
#include "str.h"

/* The database must answer the ping within this (nginx waits 8 s). */
#define HEALTHZ_DB_BUDGET_MS 2000

/* Directory entries of the spool looked at per request, at most. */
#define HEALTHZ_SPOOL_SCAN 10000

struct app {
	struct config	 cfg;
	struct http	 http;
	struct db	*db;
};

/*
 * {"service":"instlog","status":"ok"|"degraded",
 *  "database":"ok"|"unavailable","spool":{"configured":…,"writable":…,
 *  "pending":N,"pending_more":…}}; 503 unless all ok.  "pending_more"
 * says N is a lower bound (the scan stopped).  Nothing secret: no URL, no
 * path.
 */
static void
handle(struct app *app, struct http_request *req, struct http_response *resp)
{
	bool db_ok, spool_ok = true, writable = false, more = false;
	int pending = 0;
	const char *dir = app->cfg.spool_dir;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		(void)snprintf(resp->extra, sizeof(resp->extra), "Allow: GET");
		http_error(resp, 405, "method not allowed: use GET");
		return;
	}
	db_set_deadline(app->db, HEALTHZ_DB_BUDGET_MS);
	db_ok = db_ping(app->db) == DB_OK;
	if (dir != NULL) {
		writable = access(dir, W_OK | X_OK) == 0;
		pending = spool_pending(dir, HEALTHZ_SPOOL_SCAN, &more);
		spool_ok = writable && pending >= 0;
	}
	resp->status = db_ok && spool_ok ? 200 : 503;
	if (buf_printf(&resp->body,
		"{\"service\":\"instlog\",\"status\":\"%s\","
		"\"database\":\"%s\",\"spool\":{\"configured\":%s,"
		"\"writable\":%s,\"pending\":%d,\"pending_more\":%s}}\n",
		resp->status == 200 ? "ok" : "degraded",
		db_ok ? "ok" : "unavailable", dir != NULL ? "true" : "false",
		writable ? "true" : "false", pending < 0 ? 0 : pending,
		more ? "true" : "false") == -1)
		http_error(resp, 500, "internal error");
}

int
main(int argc, char **argv)
{
	struct app app;
	struct http_request req;
	struct http_response resp;
	int rc = EXIT_FAILURE;

	log_init("healthz");
	memset(&app, 0, sizeof(app));
	if (config_load(&app.cfg, CONFIG_NEED_DB) == -1) {
		rc = 2;
		goto out;
	}
	if (http_listen(&app.http, argc, argv) == -1)
		goto out;
	if ((app.db = db_new(app.cfg.database_url, "instlog-healthz")) == NULL)
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
	config_release(&app.cfg);
	return rc;
}
