/* SPDX-License-Identifier: MIT */
/* POST /webhook: verify a GitHub delivery and record it in the log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "spool.h"
#include "str.h"

/*
 * The time the database work of one delivery may take, from the request's
 * start.  nginx gives up on us after 8 s (fastcgi_read_timeout) and GitHub
 * after 10 s: past this the delivery is spooled and answered 202 instead.
 */
#define WEBHOOK_DB_BUDGET_MS 6000

struct app {
	struct config	cfg;
	struct http	http;
	struct db	*db;
	struct buf	body;
	struct metrics	*counters;	/* NULL: nothing counted */
};

/* Write {"id":…,"event":…,"outcome":…} into 'resp'. */
static void
reply_recorded(struct http_response *resp, int status,
    const struct ingest_result *r)
{
	resp->status = status;
	buf_reset(&resp->body);
	if (buf_printf(&resp->body, "{\"id\":%lld,\"event\":",
		(long long)r->id) == -1 ||
	    buf_put_json_string(&resp->body, r->event) == -1 ||
	    buf_puts(&resp->body, ",\"outcome\":") == -1 ||
	    buf_put_json_string(&resp->body, outcome_name(r->outcome)) == -1 ||
	    buf_puts(&resp->body, "}\n") == -1)
		http_error(resp, 500, "internal error");
}

static void
handle(struct app *app, struct http_request *req, struct http_response *resp)
{
	struct delivery_headers h;
	struct ingest_result r;
	enum ingest_status st;
	bool spooled = false;
	const char *cl, *sig;
	int64_t clen;
	int rd;

	db_set_deadline(app->db, WEBHOOK_DB_BUDGET_MS);
	if (strcmp(req->method, "POST") != 0) {
		(void)snprintf(resp->extra, sizeof(resp->extra),
		    "Allow: POST");
		http_error(resp, 405, "method not allowed: use POST");
		return;
	}
	cl = http_param(req, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0' &&
	    (parse_int64(cl, 0, INT64_MAX, &clen) == -1 ||
	    (uint64_t)clen > app->cfg.max_body)) {
		http_error(resp, 413, "request body too large");
		return;
	}
	buf_reset(&app->body);
	rd = http_read_body(req, app->cfg.max_body, &app->body);
	if (rd == 1) {
		http_error(resp, 413, "request body too large");
		return;
	}
	if (rd == -1) {
		http_error(resp, 400, "cannot read request body");
		return;
	}
	memset(&h, 0, sizeof(h));
	h.event = http_param(req, "HTTP_X_GITHUB_EVENT");
	h.delivery_id = http_param(req, "HTTP_X_GITHUB_DELIVERY");
	h.target_id = http_param(req,
	    "HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_ID");
	h.target_type = http_param(req,
	    "HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_TYPE");
	h.request_id = http_param(req, "REQUEST_ID");
	if (h.event == NULL || *h.event == '\0') {
		http_error(resp, 400, "missing X-GitHub-Event header");
		return;
	}
	if (!delivery_event_is_valid(h.event)) {
		http_error(resp, 400, "invalid X-GitHub-Event header");
		return;
	}
	/* GitHub's are GUIDs; a longer id would not fit the index anyway. */
	if (h.delivery_id != NULL && strlen(h.delivery_id) > 200) {
		http_error(resp, 400, "invalid X-GitHub-Delivery header");
		return;
	}
	sig = http_param(req, "HTTP_X_HUB_SIGNATURE_256");
	if (auth_webhook_verify(&app->cfg, sig, app->body.buf,
	    app->body.len) == -1) {
		metrics_inc(app->counters, METRICS_SIGNATURE_FAILURES);
		http_error(resp, 401, sig == NULL ?
		    "missing X-Hub-Signature-256 header" :
		    "signature does not match");
		return;
	}

	st = ingest_delivery(app->db, &app->cfg, &h, NULL, app->body.buf,
	    app->body.len, &r);
	switch (st) {
	case INGEST_OK:
		reply_recorded(resp, 200, &r);
		break;
	case INGEST_INVALID:
		reply_recorded(resp, 400, &r);
		break;
	case INGEST_JOB_FAILED:
		reply_recorded(resp, 503, &r);
		break;
	case INGEST_DB_DOWN:
	case INGEST_ERROR:
		/*
		 * Nothing was written: keep the verified delivery for the
		 * replayer rather than lose it (GitHub does not retry).
		 */
		if (spool_write(app->cfg.spool_dir, &h, app->body.buf,
		    app->body.len) == 0) {
			spooled = true;
			resp->status = 202;
			buf_reset(&resp->body);
			(void)buf_puts(&resp->body, "{\"spooled\":true}\n");
		} else
			http_error(resp, 503, "service unavailable");
		break;
	}
	metrics_add(app->counters, METRICS_DELIVERIES, h.event,
	    st != INGEST_DB_DOWN && st != INGEST_ERROR ?
		outcome_name(r.outcome) :
		spooled ? "spooled" : "unavailable", 1);
	ingest_record_operation(app->db, &h, st, &r, spooled);
}

int
main(int argc, char **argv)
{
	struct app app;
	struct http_request req;
	struct http_response resp;
	int rc = EXIT_FAILURE;

	log_init("webhook");
	memset(&app, 0, sizeof(app));
	buf_init(&app.body);
	if (config_load(&app.cfg, CONFIG_NEED_DB |
	    CONFIG_NEED_WEBHOOK_SECRET) == -1) {
		rc = 2;
		goto out;
	}
	if (spool_check(app.cfg.spool_dir) == -1 ||
	    (app.cfg.metrics_file != NULL &&
	    (app.counters = metrics_open(app.cfg.metrics_file)) == NULL)) {
		rc = 2;
		goto out;
	}
	if (http_listen(&app.http, argc, argv) == -1)
		goto out;
	if ((app.db = db_new(app.cfg.database_url, "instlog-webhook")) ==
	    NULL)
		goto out;
	(void)db_connect(app.db);
	while (http_accept(&app.http, &req) == 0) {
		http_response_init(&resp);
		handle(&app, &req, &resp);
		http_send(&req, &resp);
		http_response_release(&resp);
		http_request_release(&req);
		/* Do not keep a 25 MiB buffer around after a large body. */
		if (app.body.cap > 1024 * 1024)
			buf_release(&app.body);
	}
	rc = EXIT_SUCCESS;
out:
	db_free(app.db);
	metrics_close(app.counters);
	buf_release(&app.body);
	config_release(&app.cfg);
	return rc;
}
