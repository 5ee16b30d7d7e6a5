/* SPDX-License-Identifier: MIT */
/* The read-only routes (trace, operations): their table, checks, views. */
#ifndef INSTLOG_ROUTE_H
#define INSTLOG_ROUTE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "db/db_ops.h"
#include "run/app.h"

/* The read-only routes (trace and operations), one binary each. */
enum route {
	ROUTE_ENTITY,         /* GET /trace/entity/{entity_id} */
	ROUTE_INSTALLATION,   /* GET /trace/installation/{installation_id} */
	ROUTE_JOB,            /* GET /trace/job/{job_id} */
	ROUTE_PAYLOAD,        /* GET /trace/payload/{event_id} */
	ROUTE_OPERATIONS,     /* GET /operations */
	ROUTE_OPERATION,      /* GET /operations/{id} */
	ROUTE_ENTITY_BY_NAME, /* GET /trace/entity-by-name/{login} */
	ROUTE_FAILING,        /* GET /trace/failing */
	ROUTE__MAX
};

/*
 * One row of the route table: "/trace/<name>/{id}" (or 'prefix' followed
 * by the id, or 'prefix' alone when 'no_id') served by 'view', or
 * "/trace/<name>/{login}" served by 'view_login'.
 */
struct route_def {
	enum route route;
	const char *name;
	/*
	 * Answer for the validated, positive 'id' of the path: fill 'resp'
	 * (status and body).  'req' gives the query string.
	 */
	void (*view)(struct app *app, int64_t id,
	    const struct http_request *req, struct http_response *resp);
	const char *prefix; /* NULL: "/trace/<name>/" */
	bool no_id;         /* the path is 'prefix' exactly; id 0 */
	/* Instead of 'view': answer for the validated login of the path. */
	void (*view_login)(struct app *app, const char *login,
	    const struct http_request *req, struct http_response *resp);
};

/*
 * The whole main of the binary of route 'r' (app_main()): configuration
 * (DATABASE_READ_URL, else DATABASE_URL; TRACE_API_SECRET), GET only
 * (405), then per request the path "/trace/<name>/<id>" (404), the bearer
 * token (401 with WWW-Authenticate: Bearer; no secret configured refuses
 * everything), the id a positive decimal integer or the login a GitHub
 * user or organization login (400), and the view.
 * Returns the exit status: 0, 1, or 2 for bad configuration.
 */
int route_main(enum route r, int argc, char **argv);

/*
 * Parse the query of GET /operations into *f: status (running, completed,
 * failed), type ([a-z0-9_]{1,31}), since and until (RFC 3339, or relative
 * to 'now' like 30m, 7d: stored as RFC 3339 UTC with microseconds),
 * installation_id, entity_id and cursor (positive integers), limit
 * (1..DB_OPS_LIMIT_MAX, default DB_OPS_LIMIT_DEFAULT).  Returns 0, or -1
 * with 'err' (size 'errlen') naming the bad parameter.
 */
int route_ops_filter_parse(const char *query, time_t now,
    struct db_ops_filter *f, char *err, size_t errlen);

/*
 * GET /operations: parse the filters (400 naming the bad one) and write
 * the page of operations, newest first.
 */
void route_ops_list(struct app *app, int64_t id, const struct http_request *req,
    struct http_response *resp);

/* GET /operations/{id}: the whole operation, steps included (404). */
void route_ops_get(struct app *app, int64_t id, const struct http_request *req,
    struct http_response *resp);

/*
 * Write operation 'r' as an item of GET /operations (an object, no
 * newline) into 'out'.  Returns 0 or -1 (out of memory).
 */
int route_ops_write_item(struct buf *out, const struct db_ops_row *r);

/*
 * The bearer check of every read-only route: 0 when the Authorization
 * header carries TRACE_API_SECRET (or its previous value), else -1 with
 * 'resp' set to the 401 (WWW-Authenticate: Bearer).
 */
int route_bearer_check(const struct app *app, const struct http_request *req,
    struct http_response *resp);

/* Map a failed db status to the response: 404 for DB_NOTFOUND, else 503. */
void route_db_error(struct http_response *resp, enum db_status st,
    const char *what);

#endif
