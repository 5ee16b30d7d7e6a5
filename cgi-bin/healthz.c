/* SPDX-License-Identifier: MIT */
/* GET /healthz: whether the database answers and the spool is writable. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "db_ops.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "spool.h"
#include "str.h"

struct app {
	struct config	 cfg;
	struct http	 http;
	struct db	*db;
};

/*
 * {"status":"ok"|"degraded","database":"ok"|"unavailable",
 *  "spool":{"configured":…,"writable":…,"pending":N},
 *  "auth_check":{"completed_at":…,"failed":…,"operation_id":N}|null};
 * 503 unless the database and the spool are ok (the last auth check
 * is reported, not judged).  Nothing secret: no URL, no path.
 */
static void
handle(struct app *app, struct http_request *req, struct http_response *resp)
{
	bool db_ok, spool_ok = true, writable = false, found = false, failed;
	struct json_writer w;
	char at[40];
	int64_t op;
	int pending = 0;
	const char *dir = app->cfg.spool_dir;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		(void)snprintf(resp->extra, sizeof(resp->extra), "Allow: GET");
		http_error(resp, 405, "method not allowed: use GET");
		return;
	}
	db_ok = db_ping(app->db) == DB_OK;
	if (dir != NULL) {
		writable = access(dir, W_OK | X_OK) == 0;
		pending = spool_pending(dir);
		spool_ok = writable && pending >= 0;
	}
	if (db_ok && db_ops_last(app->db, "auth_check", &found, at, sizeof(at),
	                 &failed, &op) != DB_OK)
		found = false;
	resp->status = db_ok && spool_ok ? 200 : 503;
	json_writer_init(&w, &resp->body);
	json_open_object(&w);
	json_member_string(&w, "status",
	    resp->status == 200 ? "ok" : "degraded");
	json_member_string(&w, "database", db_ok ? "ok" : "unavailable");
	json_put_key(&w, "spool");
	json_open_object(&w);
	json_put_key(&w, "configured");
	json_put_bool(&w, dir != NULL);
	json_put_key(&w, "writable");
	json_put_bool(&w, writable);
	json_member_int(&w, "pending", pending < 0 ? 0 : pending);
	json_close_object(&w);
	json_put_key(&w, "auth_check");
	if (found) {
		json_open_object(&w);
		json_member_string(&w, "completed_at", at);
		json_put_key(&w, "failed");
		json_put_bool(&w, failed);
		json_member_int(&w, "operation_id", op);
		json_close_object(&w);
	} else
		json_put_null(&w);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_puts(&resp->body, "\n") == -1)
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
