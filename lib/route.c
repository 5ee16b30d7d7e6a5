/* SPDX-License-Identifier: MIT */
/* The shared request loop of the read-only trace routes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "db_trace.h"
#include "events.h"
#include "log.h"
#include "route.h"
#include "str.h"
#include "trace.h"

/* The database time of one trace request; nginx waits 30 s for us. */
#define ROUTE_DB_BUDGET_MS 25000

void
route_db_error(struct http_response *resp, enum db_status st,
    const char *what)
{
	char msg[128];

	if (st == DB_NOTFOUND) {
		(void)snprintf(msg, sizeof(msg), "%s not found", what);
		http_error(resp, 404, msg);
	} else
		http_error(resp, 503, "database unavailable");
}

void
route_trace_list(struct route_ctx *ctx, int64_t entity_id,
    const struct http_request *req, struct http_response *resp)
{
	struct trace_params p;
	struct trace_page page;
	struct db_trace_rows rows;
	struct events_state st;
	struct events_diagnosis dg;
	enum db_status ds;
	char err[160];

	memset(&page, 0, sizeof(page));
	memset(&rows, 0, sizeof(rows));
	events_state_init(&st);
	events_diagnosis_init(&dg);
	if (trace_params_parse(req->query, time(NULL), &p, err,
	    sizeof(err)) == -1) {
		http_error(resp, 400, err);
		goto out;
	}
	if ((ds = db_trace_page(ctx->db, entity_id, &p, &page)) != DB_OK) {
		if (ds == DB_REFUSED)
			http_error(resp, 400, TRACE_CURSOR_ERROR);
		else
			route_db_error(resp, ds, "entity");
		goto out;
	}
	if ((ds = db_trace_fold_rows(ctx->db, entity_id, p.at, &rows)) !=
	    DB_OK) {
		route_db_error(resp, ds == DB_NOTFOUND ? DB_ERROR : ds,
		    "entity");
		goto out;
	}
	if (events_fold(rows.v, rows.n, &st) == -1 ||
	    events_diagnose(rows.v, rows.n, &st, &dg) == -1 ||
	    trace_write_list(&resp->body, entity_id, &page, &st, &dg, p.at) ==
		-1) {
		log_warnx("%s: entity '%lld': out of memory", __func__,
		    (long long)entity_id);
		http_error(resp, 500, "internal error");
		goto out;
	}
	resp->status = 200;
out:
	events_diagnosis_release(&dg);
	events_state_release(&st);
	db_trace_rows_release(&rows);
	trace_page_release(&page);
}

/* Validate the request and call the view. */
static void
handle(struct route_ctx *ctx, const struct route_def *def,
    struct http_request *req, struct http_response *resp)
{
	char prefix[64];
	const char *idstr;
	int64_t id;

	if (strcmp(req->method, "GET") != 0) {
		(void)snprintf(resp->extra, sizeof(resp->extra), "Allow: GET");
		http_error(resp, 405, "method not allowed: use GET");
		return;
	}
	if (def->prefix != NULL)
		(void)snprintf(prefix, sizeof(prefix), "%s", def->prefix);
	else
		(void)snprintf(prefix, sizeof(prefix), "/trace/%s/", def->name);
	if (def->no_id ? strcmp(req->path, prefix) != 0
	               : !has_prefix(req->path, prefix)) {
		http_error(resp, 404, "no such route");
		return;
	}
	if (auth_bearer_verify(&ctx->cfg, http_param(req,
	    "HTTP_AUTHORIZATION")) == -1) {
		(void)snprintf(resp->extra, sizeof(resp->extra),
		    "WWW-Authenticate: Bearer realm=\"instlog\"");
		http_error(resp, 401, "missing or wrong bearer token");
		return;
	}
	if (def->no_id) {
		def->view(ctx, 0, req, resp);
		return;
	}
	idstr = req->path + strlen(prefix);
	if (*idstr == '-' || parse_int64(idstr, 1, INT64_MAX, &id) == -1) {
		char msg[96];

		(void)snprintf(msg, sizeof(msg), "%s id: expected a positive "
		    "decimal integer", def->name);
		http_error(resp, 400, msg);
		return;
	}
	def->view(ctx, id, req, resp);
}

int
route_trace_main(int argc, char **argv, const struct route_def *def)
{
	struct route_ctx ctx;
	struct http_request req;
	struct http_response resp;
	const char *url;
	int rc = 1;

	memset(&ctx, 0, sizeof(ctx));
	if (config_load(&ctx.cfg, CONFIG_NEED_DB) == -1) {
		rc = 2;
		goto out;
	}
	if (ctx.cfg.trace_secret.buf == NULL)
		log_warnx("TRACE_API_SECRET is not set: every request will be "
			  "refused");
	if (http_listen(&ctx.http, argc, argv) == -1)
		goto out;
	url = ctx.cfg.database_read_url != NULL ? ctx.cfg.database_read_url :
	    ctx.cfg.database_url;
	if ((ctx.db = db_new(url, "instlog-trace")) == NULL)
		goto out;
	(void)db_connect(ctx.db);
	while (http_accept(&ctx.http, &req) == 0) {
		db_set_deadline(ctx.db, ROUTE_DB_BUDGET_MS);
		http_response_init(&resp);
		handle(&ctx, def, &req, &resp);
		http_send(&req, &resp);
		http_response_release(&resp);
		http_request_release(&req);
	}
	rc = 0;
out:
	db_free(ctx.db);
	config_release(&ctx.cfg);
	return rc;
}
