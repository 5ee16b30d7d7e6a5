/* SPDX-License-Identifier: MIT */
/*
 * The life of a FastCGI route binary: configuration, the listener and its
 * supervised workers, the database, then one request at a time through
 * the route's handler.  A route main is its app_def and app_main().
 */
#ifndef INSTLOG_APP_H
#define INSTLOG_APP_H

#include <stdbool.h>

#include "core/config.h"
#include "core/str.h"
#include "db/db.h"
#include "net/http.h"
#include "net/metrics.h"
#include "run/batch.h"

struct app;

/* What one route binary is. */
struct app_def {
	const char *name;     /* log prefix; "instlog-NAME" to PostgreSQL */
	const char *db_name;  /* the application_name instead, or NULL */
	unsigned config_need; /* a mask of enum config_need */
	bool read_only;       /* DATABASE_READ_URL when it is set */
	const char *method;   /* the method served; any other is a 405 */
	const char *also;     /* another one served (HEAD), or NULL */
	bool read_body;       /* read the body into app->body (413, 400) */
	int db_budget_ms;     /* the database time of one request */
	/* Checks after the configuration, before listening; 0 or -1. */
	int (*start)(struct app *app);
	/*
	 * Answer one request: set resp's status and body.  The method is
	 * checked and, with read_body, the body read.
	 */
	void (*handle)(struct app *app, const struct http_request *req,
	    struct http_response *resp);
	const void *ctx; /* the route's own constant data */
	/* Map the counter file (cfg.metrics_file) as app->counters. */
	bool counters;
	/*
	 * Request threads per worker when -t is not given; 0: the handler
	 * is not thread-safe, one thread and -t ignored.  Each thread has
	 * its own request, body and connection.
	 */
	int threads;
	/*
	 * Write slots of the worker's group commit (lib/run/batch.h; 0: none,
	 * INSTLOG_WRITE_SLOTS overrides): the rows of db_event_insert() of
	 * all its request threads that arrive together are written in one
	 * statement and transaction, on the slot's own connection; each
	 * thread's connection runs the rest.
	 */
	int group_commit;
	batch_write_fn *commit_write; /* with group_commit: the write */
	/*
	 * With group_commit, optional: a second group commit of one write
	 * slot (app->side_batch, its own connection) for a side effect that
	 * each request writes in a transaction of its own before its row.
	 */
	batch_write_fn *side_write;
};

/*
 * A route binary's state for its whole life; with threads, each request
 * thread has its own copy (http, db and body its own, the rest shared).
 */
struct app {
	const struct app_def *def;
	struct config cfg;
	struct http http;
	struct db *db;
	struct buf body; /* with read_body: the request body */
	/* With def->counters and a counter file: the shared counters. */
	struct metrics *counters;
	struct batch *batch; /* with group_commit: the worker's */
	struct db *batch_db[BATCH_MAX_SLOTS]; /* a connection a slot */
	size_t nbatch_db;
	struct batch *side_batch; /* with side_write: the worker's */
	struct db *side_db;       /* ... and its connection */
	int threads; /* -t N: request threads per worker; 0: def->threads */
	int started; /* request threads started besides this one */
	size_t body_held; /* of the worker's body budget, for this request */
};

/*
 * A body up to this size is read without asking the worker's body budget
 * (cfg.body_budget): each request thread holds at most one, so they are
 * bounded by the threads.
 */
#define APP_BODY_SMALL (1024 * 1024)

/* How app_init() went. */
enum app_status {
	APP_SERVE = 0, /* a worker: call app_serve() */
	APP_DONE,      /* the supervisor, its workers stopped: exit 0 */
	APP_CONFIG,    /* bad configuration (logged): exit 2 */
	APP_ERROR,     /* anything else (logged): exit 1 */
};

/*
 * Set up 'app' for 'def' and the command line ("-s PATH": the socket to
 * open, else descriptor 0; "-w N": workers, default 2; "-t N": request
 * threads per worker, for a route that declares def->threads): the
 * configuration, def->start, the socket, the workers (lib/run/workers.h:
 * the supervisor stays here until they are stopped), and in each worker
 * the database.  Either way
 * the caller calls app_release().
 */
enum app_status app_init(struct app *app, const struct app_def *def, int argc,
    char **argv);

/*
 * Start the request threads (-t, else def->threads) and serve requests
 * on this one too until the listener ends: per request the database
 * deadline, the method (405 with Allow), the body with read_body (413
 * over cfg.max_body; a body over APP_BODY_SMALL only within the worker's
 * body budget, else drained unread and 503 with Retry-After; 400
 * unreadable), then def->handle, one response.  Stopping (SIGTERM), it
 * waits for the other threads to answer what they hold.
 */
void app_serve(struct app *app);

/*
 * The request's body is from somebody trusted (its signature checked):
 * give its share of the worker's body budget back now, for the bodies not
 * yet verified, instead of after the answer.
 */
void app_body_trusted(struct app *app);

/* Free what 'app' holds (NULL accepted). */
void app_release(struct app *app);

/*
 * app_init(), app_serve(), app_release(): the whole main of a route.
 * Returns the exit status: 0, 1, or 2 for bad configuration.
 */
int app_main(const struct app_def *def, int argc, char **argv);

#endif
