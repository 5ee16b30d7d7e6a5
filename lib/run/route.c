/* SPDX-License-Identifier: MIT */
/* The read-only routes (trace, operations): their table, checks, views. */
#include "run/route.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/auth.h"
#include "core/events.h"
#include "core/events_diagnose.h"
#include "core/fleet.h"
#include "core/log.h"
#include "core/login.h"
#include "core/str.h"
#include "core/trace.h"
#include "db/db_fleet.h"
#include "db/db_trace.h"
#include "db/fold.h"
#include "run/fleet_list.h"

/* The database time of one trace request; nginx waits 30 s for us. */
#define ROUTE_DB_BUDGET_MS 25000

void
route_db_error(struct http_response *resp, enum db_status st, const char *what)
{
	char msg[128];

	if (st == DB_NOTFOUND) {
		(void)snprintf(msg, sizeof(msg), "%s not found", what);
		http_error(resp, 404, msg);
	} else
		http_error(resp, 503, "database unavailable");
}

/*
 * Remove from 'dg' the causes of the last failure's status
 * (bad_credentials, rate_limited, github_unavailable): a recovery after
 * that failure ended them.
 */
static void
drop_status_causes(struct events_diagnosis *dg)
{
	size_t k = 0;

	for (size_t i = 0; i < dg->nfindings; i++) {
		enum events_cause c = dg->findings[i].cause;

		if (c == EVENTS_CAUSE_BAD_CREDENTIALS ||
		    c == EVENTS_CAUSE_RATE_LIMITED ||
		    c == EVENTS_CAUSE_GITHUB_UNAVAILABLE) {
			free(dg->findings[i].summary);
			continue;
		}
		dg->findings[k++] = dg->findings[i];
	}
	dg->nfindings = k;
}

/*
 * When the account's last auth failure in 'st' was followed by a recovery
 * (db_fleet_recovered_at()), drop the status causes of 'dg' and append
 * the finding "recovered": when, and what it had been (the first cause of the
 * fold as of the failure, or its status), with the failure as evidence. Returns
 * 0 (also when there is nothing to add), or -1 with *ds set when the database
 * failed, else out of memory.
 */
static int
add_recovered(struct app *app, int64_t entity_id, const struct events_state *st,
    struct events_diagnosis *dg, enum db_status *ds)
{
	const struct events_auth_failure *f = &st->last_auth_failure;
	struct events_state then;
	struct events_diagnosis was;
	struct events_finding *fd;
	char at[40];
	struct buf b;
	int rc = -1;

	*ds = DB_OK;
	if (!f->present || f->at == NULL || dg->nfindings >= EVENTS_CAUSE__MAX)
		return 0;
	*ds = db_fleet_recovered_at(app->db, entity_id, f->installation_id,
	    f->at, at, sizeof(at));
	if (*ds == DB_NOTFOUND) {
		*ds = DB_OK;
		return 0;
	}
	if (*ds != DB_OK)
		return -1;
	events_state_init(&then);
	events_diagnosis_init(&was);
	buf_init(&b);
	if (fold_entity(app->db, entity_id, f->at,
	        app->cfg.fold_checkpoint_every, &then, &was, ds) == -1)
		goto out;
	if (buf_printf(&b, "auth works again since %s; it had been ", at) ==
	        -1 ||
	    (was.nfindings > 0 ? buf_printf(&b, "%s: %s",
	                             events_cause_name(was.findings[0].cause),
	                             was.findings[0].summary)
	                       : buf_printf(&b, "failing with HTTP %d",
	                             f->http_status)) == -1)
		goto out;
	drop_status_causes(dg);
	fd = &dg->findings[dg->nfindings++];
	memset(fd, 0, sizeof(*fd));
	fd->cause = EVENTS_CAUSE_RECOVERED;
	fd->summary = b.buf;
	b.buf = NULL;
	fd->evidence[fd->nevidence++] = f->id;
	rc = 0;
out:
	buf_release(&b);
	events_diagnosis_release(&was);
	events_state_release(&then);
	return rc;
}

/*
 * The list view shared by the entity, installation and job routes: parse
 * the query parameters (400 naming the bad one), read the page, fold and
 * diagnose the entity's whole history (up to ?at=; from its fold
 * checkpoints, fold_entity()), and write the JSON
 * (404 when the entity has no event).
 */
static void
route_trace_list(struct app *app, int64_t entity_id,
    const struct http_request *req, struct http_response *resp)
{
	struct trace_params p;
	struct trace_page page;
	struct events_state st;
	struct events_diagnosis dg;
	enum db_status ds;
	char err[160];
	int folded;

	memset(&page, 0, sizeof(page));
	events_state_init(&st);
	events_diagnosis_init(&dg);
	if (trace_params_parse(req->query, time(NULL), &p, err, sizeof(err)) ==
	    -1) {
		http_error(resp, 400, err);
		goto out;
	}
	if ((ds = db_trace_page(app->db, entity_id, &p, &page)) != DB_OK) {
		if (ds == DB_REFUSED)
			http_error(resp, 400, TRACE_CURSOR_ERROR);
		else
			route_db_error(resp, ds, "entity");
		goto out;
	}
	folded = fold_entity(app->db, entity_id, p.at,
	    app->cfg.fold_checkpoint_every, &st, &dg, &ds);
	if (folded == -1 && ds != DB_OK) {
		route_db_error(resp, ds == DB_NOTFOUND ? DB_ERROR : ds,
		    "entity");
		goto out;
	}
	/* As of now only: an ?at= trace shows the log as it was then. */
	if (folded == 0 && *p.at == '\0' &&
	    add_recovered(app, entity_id, &st, &dg, &ds) == -1) {
		if (ds != DB_OK)
			route_db_error(resp, ds == DB_NOTFOUND ? DB_ERROR : ds,
			    "entity");
		else
			http_error(resp, 500, "internal error");
		goto out;
	}
	if (folded == -1 ||
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
	trace_page_release(&page);
}

static void
view_entity(struct app *app, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	route_trace_list(app, id, req, resp);
}

/* The list of the entity that installation or job 'id' belongs to. */
static void
view_of(struct app *app, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	const struct route_def *def = app->def->ctx;
	enum db_status st;
	int64_t entity_id;

	st = def->route == ROUTE_JOB
	    ? db_trace_entity_of_job(app->db, id, &entity_id)
	    : db_trace_entity_of_installation(app->db, id, &entity_id);
	if (st != DB_OK)
		route_db_error(resp, st, def->name);
	else
		route_trace_list(app, entity_id, req, resp);
}

/*
 * The list of the account that last bore 'login' (ignoring case; an old
 * login of a renamed account finds it while no other account took it).
 */
static void
view_by_name(struct app *app, const char *login, const struct http_request *req,
    struct http_response *resp)
{
	enum db_status st;
	int64_t entity_id;

	if ((st = db_trace_entity_by_name(app->db, login, &entity_id)) != DB_OK)
		route_db_error(resp, st, "login");
	else
		route_trace_list(app, entity_id, req, resp);
}

static void
view_payload(struct app *app, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	struct trace_payload p;
	enum db_status st;

	(void)req;
	if ((st = db_trace_payload(app->db, id, &p)) != DB_OK)
		route_db_error(resp, st, "event");
	else if (trace_write_payload(&resp->body, &p) == -1) {
		buf_reset(&resp->body);
		http_error(resp, 500, "internal error");
	}
	trace_payload_release(&p);
}

int
route_bearer_check(const struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	if (auth_bearer_verify(&app->cfg,
	        http_param(req, "HTTP_AUTHORIZATION")) == -1) {
		(void)snprintf(resp->extra, sizeof(resp->extra),
		    "WWW-Authenticate: Bearer realm=\"instlog\"");
		http_error(resp, 401, "missing or wrong bearer token");
		return -1;
	}
	return 0;
}

/*
 * GET /trace/failing (DESIGN §12): the page of fleet_list_get(), or 400
 * for bad parameters and a cursor no page gave.
 */
static void
view_failing(struct app *app, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	struct fleet_params p;
	struct fleet_list l;
	enum db_status ds;
	char err[160];

	(void)id;
	if (fleet_params_parse(req->query, time(NULL), &p, err, sizeof(err)) ==
	    -1) {
		http_error(resp, 400, err);
		return;
	}
	if (fleet_list_get(app->db, app->cfg.fold_checkpoint_every, &p, &l,
	        &ds) == -1) {
		if (ds == DB_REFUSED)
			http_error(resp, 400,
			    "cursor: expected the next_cursor of a previous "
			    "page");
		else if (ds != DB_OK)
			route_db_error(resp, ds == DB_NOTFOUND ? DB_ERROR : ds,
			    "failing");
		else
			http_error(resp, 500, "internal error");
	} else if (fleet_write(&resp->body, l.items, l.n, l.next) == -1) {
		log_warnx("%s: out of memory", __func__);
		buf_reset(&resp->body);
		http_error(resp, 500, "internal error");
	} else {
		resp->status = 200;
	}
	fleet_list_release(&l);
}

/*
 * The path "/trace/<name>/<id>" or the route's own (404), the bearer
 * token (401 with WWW-Authenticate: Bearer; no secret configured refuses
 * everything), the id a positive decimal integer (400; none with no_id)
 * or the login a valid one (400), then the route's view.
 */
static void
route_handle(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	const struct route_def *def = app->def->ctx;
	char prefix[64], msg[96];
	const char *idstr;
	int64_t id;

	if (def->prefix != NULL)
		(void)snprintf(prefix, sizeof(prefix), "%s", def->prefix);
	else
		(void)snprintf(prefix, sizeof(prefix), "/trace/%s/", def->name);
	if (def->no_id ? strcmp(req->path, prefix) != 0
	               : !has_prefix(req->path, prefix)) {
		http_error(resp, 404, "no such route");
		return;
	}
	if (route_bearer_check(app, req, resp) == -1)
		return;
	if (def->no_id) {
		def->view(app, 0, req, resp);
		return;
	}
	idstr = req->path + strlen(prefix);
	if (def->view_login != NULL) {
		if (!login_is_valid(idstr))
			http_error(resp, 400,
			    "login: expected a GitHub user or "
			    "organization login (1 to 39 letters, "
			    "digits and hyphens, not first)");
		else
			def->view_login(app, idstr, req, resp);
		return;
	}
	if (*idstr == '-' || parse_int64(idstr, 1, INT64_MAX, &id) == -1) {
		(void)snprintf(msg, sizeof(msg),
		    "%s id: expected a positive decimal integer", def->name);
		http_error(resp, 400, msg);
		return;
	}
	def->view(app, id, req, resp);
}

/* Say at start when every request will be refused. */
static int
route_start(struct app *app)
{
	if (app->cfg.trace_secret.buf == NULL)
		log_warnx("TRACE_API_SECRET is not set: every request will be "
		          "refused");
	return 0;
}

static const struct route_def routes[ROUTE__MAX] = {
	[ROUTE_ENTITY] = { .route = ROUTE_ENTITY,
	    .name = "entity",
	    .view = view_entity },
	[ROUTE_INSTALLATION] = { .route = ROUTE_INSTALLATION,
	    .name = "installation",
	    .view = view_of },
	[ROUTE_JOB] = { .route = ROUTE_JOB, .name = "job", .view = view_of },
	[ROUTE_PAYLOAD] = { .route = ROUTE_PAYLOAD,
	    .name = "payload",
	    .view = view_payload },
	[ROUTE_OPERATIONS] = { .route = ROUTE_OPERATIONS,
	    .name = "operations",
	    .view = route_ops_list,
	    .prefix = "/operations",
	    .no_id = true },
	[ROUTE_OPERATION] = { .route = ROUTE_OPERATION,
	    .name = "operation",
	    .view = route_ops_get,
	    .prefix = "/operations/",
	    .no_id = false },
	[ROUTE_ENTITY_BY_NAME] = { .route = ROUTE_ENTITY_BY_NAME,
	    .name = "entity-by-name",
	    .view_login = view_by_name },
	[ROUTE_FAILING] = { .route = ROUTE_FAILING,
	    .name = "failing",
	    .view = view_failing,
	    .prefix = "/trace/failing",
	    .no_id = true },
};

int
route_main(enum route r, int argc, char **argv)
{
	static const char *const names[ROUTE__MAX] = {
		[ROUTE_ENTITY] = "trace_entity",
		[ROUTE_INSTALLATION] = "trace_installation",
		[ROUTE_JOB] = "trace_job",
		[ROUTE_PAYLOAD] = "trace_payload",
		[ROUTE_OPERATIONS] = "operations",
		[ROUTE_OPERATION] = "operation",
		[ROUTE_ENTITY_BY_NAME] = "trace_entity_by_name",
		[ROUTE_FAILING] = "trace_failing",
	};
	const struct app_def def = {
		.name = names[r],
		.db_name = "instlog-trace",
		.config_need = CONFIG_NEED_DB | CONFIG_USE_TRACE_SECRET,
		.read_only = true,
		.method = "GET",
		.db_budget_ms = ROUTE_DB_BUDGET_MS,
		.start = route_start,
		.handle = route_handle,
		.ctx = &routes[r],
	};

	return app_main(&def, argc, argv);
}
