/* SPDX-License-Identifier: MIT */
/* The shared request loop of the read-only trace routes. */
#ifndef INSTLOG_ROUTE_H
#define INSTLOG_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "http.h"

/* What a trace route binary keeps for its whole life. */
struct route_ctx {
	struct config	 cfg;
	struct db	*db;
	struct http	 http;
};

/*
 * One read-only route: "/trace/<name>/{id}" (or 'prefix' followed by the
 * id, or 'prefix' alone when 'no_id') served by 'view'.
 */
struct route_def {
	const char	*name;	/* "entity", "installation", ... */
	/*
	 * Answer for the validated, positive 'id' of the path: fill 'resp'
	 * (status and body).  'req' gives the query string.
	 */
	void		(*view)(struct route_ctx *ctx, int64_t id,
			    const struct http_request *req,
			    struct http_response *resp);
	const char *prefix; /* NULL: "/trace/<name>/" */
	bool no_id;         /* the path is 'prefix' exactly; id 0 */
};

/*
 * Run a trace route binary: configuration (DATABASE_READ_URL, else
 * DATABASE_URL; TRACE_API_SECRET), the FastCGI listener of http_listen(),
 * then per request: GET only (405), path "/trace/<name>/<id>" (404), bearer
 * token (401 with WWW-Authenticate: Bearer; no secret configured refuses
 * everything), id a positive decimal integer (400), then def->view.
 * Returns the process exit status: 0, 1, or 2 for bad configuration.
 *
 * This is the one place in lib/ that chooses HTTP statuses: the four
 * route binaries share it instead of carrying four copies of one loop.
 */
int route_trace_main(int argc, char **argv, const struct route_def *def);

/*
 * The list view shared by the entity, installation and job routes: parse
 * the query parameters (400 naming the bad one), read the page, fold and
 * diagnose the entity's whole history (up to ?at=), and write the JSON
 * (404 when the entity has no event).
 */
void route_trace_list(struct route_ctx *ctx, int64_t entity_id,
    const struct http_request *req, struct http_response *resp);

/*
 * GET /operations: parse the filters (400 naming the bad one) and write
 * the page of operations, newest first.
 */
void route_ops_list(struct route_ctx *ctx, int64_t id,
    const struct http_request *req, struct http_response *resp);

/* GET /operations/{id}: the whole operation, steps included (404). */
void route_ops_get(struct route_ctx *ctx, int64_t id,
    const struct http_request *req, struct http_response *resp);

/* Map a failed db status to the response: 404 for DB_NOTFOUND, else 503. */
void route_db_error(struct http_response *resp, enum db_status st,
    const char *what);

#endif
