/* SPDX-License-Identifier: MIT */
/* GET /healthz: whether the database answers and the spool is writable. */
#include <unistd.h>

#include "core/json.h"
#include "db/db_ops.h"
#include "net/spool.h"
#include "run/app.h"

#define HEALTHZ_SPOOL_SCAN 10000 /* else pending_more */

/*
 * Write the member "auth_check": the latest auth check that ended,
 * {"completed_at","failed","operation_id"}, or null when there is none,
 * 'db' is NULL (known down) or the database failed.
 */
static void
put_auth_check(struct db *db, struct json_writer *w)
{
	bool found = false, failed;
	char at[40];
	int64_t id;

	json_put_key(w, "auth_check");
	if (db == NULL ||
	    db_ops_last(db, "auth_check", &found, at, sizeof(at), &failed,
	        &id) != DB_OK ||
	    !found) {
		json_put_null(w);
		return;
	}
	json_open_object(w);
	json_member_string(w, "completed_at", at);
	json_member_bool(w, "failed", failed);
	json_member_int(w, "operation_id", id);
	json_close_object(w);
}

/*
 * {"service","status","database","spool":{"configured","writable","pending",
 * "pending_more"},"auth_check"}: 503 unless database and spool are ok.
 */
static void
handle(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	bool db_ok, spool_ok = true, writable = false, more = false;
	const char *dir = app->cfg.spool_dir;
	int pending = 0;
	struct json_writer w;

	(void)req;
	db_ok = db_ping(app->db) == DB_OK;
	if (dir != NULL) {
		writable = access(dir, W_OK | X_OK) == 0;
		pending = spool_scan(dir, HEALTHZ_SPOOL_SCAN, NULL, &more);
		spool_ok = writable && pending >= 0;
	}
	resp->status = db_ok && spool_ok ? 200 : 503;
	json_writer_init(&w, &resp->body);
	json_open_object(&w);
	json_member_string(&w, "service", "instlog");
	json_member_string(&w, "status", db_ok && spool_ok ? "ok" : "degraded");
	json_member_string(&w, "database", db_ok ? "ok" : "unavailable");
	json_put_key(&w, "spool");
	json_open_object(&w);
	json_member_bool(&w, "configured", dir != NULL);
	json_member_bool(&w, "writable", writable);
	json_member_int(&w, "pending", pending < 0 ? 0 : pending);
	json_member_bool(&w, "pending_more", more);
	json_close_object(&w);
	put_auth_check(db_ok ? app->db : NULL, &w);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_puts(&resp->body, "\n") == -1)
		http_error(resp, 500, "internal error");
}

int
main(int argc, char **argv)
{
	/* GET and HEAD; the database answers within 2 s (nginx waits 8). */
	static const struct app_def def = {
		.name = "healthz",
		.config_need = CONFIG_NEED_DB,
		.method = "GET",
		.also = "HEAD",
		.db_budget_ms = 2000,
		.handle = handle,
	};

	return app_main(&def, argc, argv);
}
