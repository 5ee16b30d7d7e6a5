/* SPDX-License-Identifier: MIT */
/*
 * The life of a FastCGI route binary: configuration, the listener and its
 * supervised workers, the database, then one request at a time through
 * the route's handler.
 */
#include "run/app.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "run/batch.h"
#include "run/workers.h"

/* A body buffer larger than this is not kept for the next request. */
#define APP_BODY_KEEP (1024 * 1024)

/* The most request threads of a worker. */
#define APP_MAX_THREADS 256

/* The other request threads of this worker. */
static struct app app_peers[APP_MAX_THREADS];
static pthread_t app_tids[APP_MAX_THREADS];

/* The bytes of large bodies this worker holds (cfg.body_budget). */
static size_t app_body_bytes;

/* How long a client should wait after a 503 for the body budget. */
#define APP_RETRY_AFTER "Retry-After: 5"

/* Request threads of this worker still serving (app_serve() waits). */
static pthread_mutex_t app_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t app_ended = PTHREAD_COND_INITIALIZER;
static int app_serving;

/* app_ended on the monotonic clock, the clock of every deadline. */
static void
app_ended_init(void)
{
	pthread_condattr_t a;

	if (pthread_condattr_init(&a) != 0)
		return;
	if (pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0)
		(void)pthread_cond_init(&app_ended, &a);
	(void)pthread_condattr_destroy(&a);
}

/* A new connection handle of the route (connects lazily), or NULL. */
static struct db *
app_db_new(const struct app *app)
{
	const struct app_def *def = app->def;
	char name[64];
	const char *url;

	url = def->read_only && app->cfg.database_read_url != NULL
	    ? app->cfg.database_read_url
	    : app->cfg.database_url;
	(void)snprintf(name, sizeof(name), "instlog-%s", def->name);
	return db_new(url, def->db_name != NULL ? def->db_name : name);
}

/*
 * The worker's group commit: INSTLOG_WRITE_SLOTS, else def->group_commit,
 * write slots, a connection each (connected now), for the rows of every
 * request thread; with def->side_write the side effect's, one slot and
 * its connection.  Returns 0, or -1 (logged).
 */
static int
app_batch_new(struct app *app)
{
	void *args[BATCH_MAX_SLOTS];
	size_t n = app->cfg.write_slots > 0 ? app->cfg.write_slots
	                                    : (size_t)app->def->group_commit;

	_Static_assert(CONFIG_WRITE_SLOTS_MAX <= BATCH_MAX_SLOTS, "slots");
	for (app->nbatch_db = 0; app->nbatch_db < n; app->nbatch_db++) {
		if ((app->batch_db[app->nbatch_db] = app_db_new(app)) == NULL)
			return -1;
		db_set_prepared(app->batch_db[app->nbatch_db],
		    app->cfg.db_prepared != 0);
		(void)db_connect(app->batch_db[app->nbatch_db]);
		args[app->nbatch_db] = app->batch_db[app->nbatch_db];
	}
	if ((app->batch = batch_new(app->def->commit_write, args, n)) == NULL)
		return -1;
	if (app->def->side_write == NULL)
		return 0;
	if ((app->side_db = app_db_new(app)) == NULL)
		return -1;
	db_set_prepared(app->side_db, app->cfg.db_prepared != 0);
	(void)db_connect(app->side_db);
	args[0] = app->side_db;
	if ((app->side_batch = batch_new(app->def->side_write, args, 1)) ==
	    NULL)
		return -1;
	return 0;
}

/* Parse -OPT's argument, a count of WHAT in 1..max, into *out. */
static int
count_opt(char opt, const char *what, int max, int64_t *out)
{
	if (parse_int64(optarg, 1, max, out) == -1) {
		log_warnx("-%c: %s must be 1..%d: '%s'", opt, what, max,
		    optarg);
		return -1;
	}
	return 0;
}

/* The command line of a route binary. */
struct app_opt {
	const char *sockpath; /* -s PATH, else descriptor 0 */
	int workers;          /* -w N, default 2 */
};

/*
 * Read -s, -w and -t (into app->threads) from the command line.  Returns
 * 0, or -1 (logged).
 */
static int
app_options(struct app *app, int argc, char **argv, struct app_opt *opt)
{
	int64_t workers = 2, threads = 0;
	int c;

	opt->sockpath = NULL;
	while ((c = getopt(argc, argv, "s:t:w:")) != -1) {
		switch (c) {
		case 's':
			opt->sockpath = optarg;
			break;
		case 't':
			if (count_opt('t', "threads", APP_MAX_THREADS,
			        &threads) == -1)
				return -1;
			break;
		case 'w':
			if (count_opt('w', "workers", WORKERS_MAX, &workers) ==
			    -1)
				return -1;
			break;
		default:
			log_warnx("usage: %s [-s socket] [-w workers] "
			          "[-t threads]",
			    argv[0]);
			return -1;
		}
	}
	opt->workers = (int)workers;
	app->threads = (int)threads;
	return 0;
}

enum app_status
app_init(struct app *app, const struct app_def *def, int argc, char **argv)
{
	struct app_opt opt;
	unsigned need = def->config_need;
	int rc;

	memset(app, 0, sizeof(*app));
	app->def = def;
	buf_init(&app->body);
	log_init(def->name);
	if (def->group_commit > 0)
		need |= CONFIG_USE_WRITE_SLOTS;
	if (config_load(&app->cfg, need) == -1 ||
	    (def->start != NULL && def->start(app) == -1))
		return APP_CONFIG;
	/*
	 * Large bodies in memory of their own, given back to the system when
	 * freed (glibc would otherwise raise the threshold to the largest
	 * body freed, and keep such bodies in its heaps).
	 */
	if (def->read_body)
		(void)mallopt(M_MMAP_THRESHOLD, APP_BODY_SMALL);
	/*
	 * Before the workers are forked: they share the one mapping.  Best
	 * effort: without it (logged) nothing is counted.
	 */
	if (def->counters && app->cfg.metrics_file != NULL)
		app->counters = metrics_open(app->cfg.metrics_file);
	if (app_options(app, argc, argv, &opt) == -1 ||
	    http_open(&app->http, opt.sockpath) == -1)
		return APP_ERROR;
	if (!app->http.cgi &&
	    (rc = workers_run(opt.workers, opt.sockpath)) != 0)
		return rc == 1 ? APP_DONE : APP_ERROR;
	if (http_worker_init(&app->http) == -1)
		return APP_ERROR;
	if ((app->db = app_db_new(app)) == NULL)
		return APP_ERROR;
	/*
	 * The statements that ask for it (db_exec_prepared(): the webhook's
	 * writes, the fleet's list) run prepared once per connection.
	 */
	db_set_prepared(app->db, app->cfg.db_prepared != 0);
	if (def->group_commit > 0 && !app->http.cgi) {
		if (app_batch_new(app) == -1)
			return APP_ERROR;
	} else
		(void)db_connect(app->db);
	return APP_SERVE;
}

/*
 * Take 'len' bytes of the worker's body budget for this request's body,
 * when it is large.  Returns 0, or -1 when the budget has not that much
 * left.
 */
static int
app_body_take(struct app *app, size_t len)
{
	size_t held;

	if (len <= APP_BODY_SMALL)
		return 0;
	held = __atomic_add_fetch(&app_body_bytes, len, __ATOMIC_ACQ_REL);
	if (held > app->cfg.body_budget) {
		(void)__atomic_sub_fetch(&app_body_bytes, len,
		    __ATOMIC_ACQ_REL);
		return -1;
	}
	app->body_held = len;
	return 0;
}

void
app_body_trusted(struct app *app)
{
	if (app->body_held == 0)
		return;
	(void)__atomic_sub_fetch(&app_body_bytes, app->body_held,
	    __ATOMIC_ACQ_REL);
	app->body_held = 0;
}

/*
 * The checks every route shares before its handler: the method and, with
 * read_body, the body.  Returns 0, or -1 with 'resp' set.
 */
static int
app_check(struct app *app, struct http_request *req, struct http_response *resp)
{
	const struct app_def *def = app->def;
	const char *cl;
	char msg[64];
	int64_t clen = 0;
	int rd;

	if (strcmp(req->method, def->method) != 0 &&
	    (def->also == NULL || strcmp(req->method, def->also) != 0)) {
		(void)snprintf(resp->extra, sizeof(resp->extra), "Allow: %s",
		    def->method);
		(void)snprintf(msg, sizeof(msg), "method not allowed: use %s",
		    def->method);
		http_error(resp, 405, msg);
		return -1;
	}
	if (!def->read_body)
		return 0;
	cl = http_param(req, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0') {
		if (parse_int64(cl, 0, INT64_MAX, &clen) == -1) {
			http_error(resp, 400, "invalid Content-Length");
			return -1;
		}
		if ((uint64_t)clen > app->cfg.max_body) {
			http_error(resp, 413, "request body too large");
			return -1;
		}
	}
	if (app_body_take(app,
	        cl != NULL && *cl != '\0' ? (size_t)clen : app->cfg.max_body) ==
	    -1) {
		struct buf none;

		/* Read and dropped (the stream stays usable), not kept. */
		buf_init(&none);
		(void)http_read_body(req, 0, &none);
		(void)snprintf(resp->extra, sizeof(resp->extra), "%s",
		    APP_RETRY_AFTER);
		http_error(resp, 503, "too many large request bodies at once");
		return -1;
	}
	buf_reset(&app->body);
	if ((rd = http_read_body(req, app->cfg.max_body, &app->body)) == 1) {
		http_error(resp, 413, "request body too large");
		return -1;
	}
	if (rd == -1) {
		http_error(resp, 400, "cannot read request body");
		return -1;
	}
	return 0;
}

/* Serve requests on this thread until the listener ends. */
static void *
app_loop(void *arg)
{
	struct app *app = arg;
	struct http_request req;
	struct http_response resp;

	while (http_accept(&app->http, &req) == 0) {
		if (app->def->db_budget_ms > 0)
			db_set_deadline(app->db, app->def->db_budget_ms);
		http_response_init(&resp);
		if (app_check(app, &req, &resp) == 0)
			app->def->handle(app, &req, &resp);
		http_send(&req, &resp);
		http_response_release(&resp);
		http_request_release(&req);
		app_body_trusted(app); /* answered: the body's share back */
		if (app->body.cap > APP_BODY_KEEP)
			buf_release(&app->body);
	}
	(void)pthread_mutex_lock(&app_lock);
	app_serving--;
	(void)pthread_cond_signal(&app_ended);
	(void)pthread_mutex_unlock(&app_lock);
	return NULL;
}

/*
 * Start request thread 'i' on a copy of 'app' with its own request, body
 * and connection.  Returns 0, or -1 (logged).
 */
static int
app_thread_start(struct app *app, int i)
{
	struct app *t = &app_peers[i];
	int e;

	*t = *app;
	buf_init(&t->body);
	t->started = 0;
	if (http_clone(&app->http, &t->http) == -1 ||
	    (t->db = app_db_new(app)) == NULL)
		return -1;
	db_set_prepared(t->db, app->cfg.db_prepared != 0);
	(void)pthread_mutex_lock(&app_lock);
	app_serving++;
	(void)pthread_mutex_unlock(&app_lock);
	if ((e = pthread_create(&app_tids[i], NULL, app_loop, t)) != 0) {
		log_warnx("%s: thread %d: %s", __func__, i, strerror(e));
		(void)pthread_mutex_lock(&app_lock);
		app_serving--;
		(void)pthread_mutex_unlock(&app_lock);
		http_release(&t->http);
		db_free(t->db);
		return -1;
	}
	return 0;
}

/*
 * The worker is stopping: wait for the other request threads to answer
 * what they hold, at most as long as one request may take (its body, then
 * its database budget).  Returns whether every one ended; their state is
 * freed then.
 */
static bool
app_drain(struct app *app)
{
	int64_t end = clock_monotonic_ms() + HTTP_BODY_DEADLINE_MS +
	    app->def->db_budget_ms + 2000;
	struct timespec until = { (time_t)(end / 1000),
		(long)(end % 1000) * 1000000 };
	int left;

	(void)pthread_mutex_lock(&app_lock);
	while (app_serving > 0 &&
	    pthread_cond_timedwait(&app_ended, &app_lock, &until) != ETIMEDOUT)
		;
	left = app_serving;
	(void)pthread_mutex_unlock(&app_lock);
	if (left > 0) {
		log_warnx("stopping with %d request threads still busy", left);
		return false;
	}
	for (int i = 1; i <= app->started; i++) {
		(void)pthread_join(app_tids[i], NULL);
		http_release(&app_peers[i].http);
		db_free(app_peers[i].db);
		buf_release(&app_peers[i].body);
	}
	app->started = 0;
	return true;
}

void
app_serve(struct app *app)
{
	int n = app->threads > 0 ? app->threads : app->def->threads;

	/* Only a route whose handler is thread-safe says how many. */
	if (app->def->threads == 0 && app->threads > 1)
		log_warnx("-t %d ignored: %s serves one request at a time "
		          "per worker",
		    app->threads, app->def->name);
	if (app->http.cgi || app->def->threads == 0 || n > APP_MAX_THREADS)
		n = 1;
	app_serving = 1; /* this thread */
	app_ended_init();
	for (int i = 1; i < n; i++) {
		if (app_thread_start(app, i) == -1)
			break;
		app->started++;
	}
	(void)app_loop(app);
	(void)app_drain(app);
}

void
app_release(struct app *app)
{
	if (app == NULL)
		return;
	/*
	 * Request threads that outlived the drain may still be in a
	 * write: the process ends under them, with all of it reachable.
	 */
	if (app->started > 0)
		return;
	http_release(&app->http);
	batch_free(app->batch);
	for (size_t i = 0; i < app->nbatch_db; i++)
		db_free(app->batch_db[i]);
	batch_free(app->side_batch);
	db_free(app->side_db);
	db_free(app->db);
	metrics_close(app->counters);
	buf_release(&app->body);
	config_release(&app->cfg);
	app->db = NULL;
	app->counters = NULL;
}

int
app_main(const struct app_def *def, int argc, char **argv)
{
	struct app app;
	int rc = EXIT_SUCCESS;

	switch (app_init(&app, def, argc, argv)) {
	case APP_SERVE:
		app_serve(&app);
		break;
	case APP_DONE:
		break;
	case APP_CONFIG:
		rc = 2;
		break;
	case APP_ERROR:
		rc = EXIT_FAILURE;
		break;
	}
	app_release(&app);
	return rc;
}
