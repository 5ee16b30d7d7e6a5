/* SPDX-License-Identifier: MIT */
/* The live tail routes (GET /trace/stream, /operations/stream): SSE streams. */
#include "run/stream.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "core/stream.h"
#include "core/trace.h"
#include "db/db.h"
#include "db/db_notify.h"
#include "db/db_ops.h"
#include "db/db_trace.h"
#include "run/app.h"
#include "run/route.h"

/* The database time of one round of statements of a stream. */
#define STREAM_DB_MS 5000

/* Rows read (and sent) per statement. */
#define STREAM_PAGE 200

/* Snapshots again this often while an id waits for the watermark. */
#define STREAM_SETTLE_MS 100

/* Tries the database again this long after it failed. */
#define STREAM_RETRY_MS 1000

/* The most INSTLOG_STREAMS: request threads are bounded (lib/run/app.c). */
#define STREAM_MAX 250

/* What a client should wait after a 503 for a slot. */
#define STREAM_RETRY_AFTER "Retry-After: 5"

/* What each kind is. */
struct stream_def {
	enum stream_kind kind;
	const char *name; /* binary, log prefix */
	const char *path;
	enum db_channel channel;
	const char *event; /* SSE event name */
};

static const struct stream_def stream_defs[STREAM__MAX] = {
	[STREAM_TRACE] = { STREAM_TRACE, "trace_stream", "/trace/stream",
	    DB_CHANNEL_EVENTS, "row" },
	[STREAM_OPERATIONS] = { STREAM_OPERATIONS, "operations_stream",
	    "/operations/stream", DB_CHANNEL_OPERATIONS, "operation" },
};

/* Streams open in this worker, and the bound. */
static int stream_open;
static int stream_max = STREAM_MAX_DEFAULT;

/* One open stream. */
struct stream {
	const struct stream_def *def;
	struct app *app;
	const struct http_request *req;
	struct stream_filter f;
	struct stream_watermark wm;
	unsigned long conn; /* db_listen()'s connection */
	bool listening;
	struct buf out;
	struct buf data;
};

/* The next snapshot of the stream's kind into *snap. */
static enum db_status
stream_snapshot(struct stream *s, struct db_notify_snapshot *snap)
{
	if (s->def->kind == STREAM_TRACE)
		return db_notify_snapshot(s->app->db, snap);
	return db_ops_stream_snapshot(s->app->db, snap);
}

/* Write s->out to the client and empty it.  Returns 0, or -1: gone. */
static int
stream_flush(struct stream *s)
{
	int rc = 0;

	if (s->out.len > 0)
		rc = http_stream_write(s->req, s->out.buf, s->out.len);
	buf_reset(&s->out);
	return rc;
}

/*
 * Send the rows in (after, upto], a page at a time, each event flushed
 * as it is written.  Returns 0, 1 when the database failed (logged), or
 * -1 when the client is gone.
 */
static int
stream_send(struct stream *s, int64_t upto)
{
	struct trace_page page;
	struct db_ops_page ops;
	size_t n;
	int64_t id;

	while (s->f.after < upto) {
		memset(&page, 0, sizeof(page));
		memset(&ops, 0, sizeof(ops));
		if (s->def->kind == STREAM_TRACE
		        ? db_trace_stream_page(s->app->db, s->f.after, upto,
		              s->f.entity_id, s->f.installation_id, s->f.event,
		              STREAM_PAGE, &page) != DB_OK
		        : db_ops_stream(s->app->db, s->f.after, upto,
		              STREAM_PAGE, &ops) != DB_OK) {
			db_ops_page_release(&ops);
			return 1;
		}
		n = s->def->kind == STREAM_TRACE ? page.nevents : ops.n;
		for (size_t i = 0; i < n; i++) {
			buf_reset(&s->data);
			if (s->def->kind == STREAM_TRACE) {
				id = page.events[i].id;
				if (trace_write_event(&s->data,
				        &page.events[i]) == -1)
					goto oom;
			} else {
				id = ops.v[i].stream_seq;
				if (route_ops_write_item(&s->data, &ops.v[i]) ==
				    -1)
					goto oom;
			}
			if (stream_frame(&s->out, id, s->def->event,
			        s->data.buf, s->data.len) == -1)
				goto oom;
			if (stream_flush(s) == -1) {
				trace_page_release(&page);
				db_ops_page_release(&ops);
				return -1;
			}
			s->f.after = id;
		}
		trace_page_release(&page);
		db_ops_page_release(&ops);
		if (n < STREAM_PAGE)
			s->f.after = upto;
	}
	return 0;
oom:
	log_warnx("%s: out of memory", __func__);
	trace_page_release(&page);
	db_ops_page_release(&ops);
	return 1;
}

/*
 * Catch up: LISTEN again when the connection was replaced, take
 * snapshots until the watermark stops moving (at most two: the second
 * settles what the first saw when nothing else was running), then send
 * every matching row up to it.  Returns 0, 1 when the database failed
 * (logged; try again later), or -1 when the client is gone.
 */
static int
stream_catch_up(struct stream *s)
{
	struct db_notify_snapshot snap;
	uint64_t xmin, xmax;
	struct db *db = s->app->db;

	db_set_deadline(db, STREAM_DB_MS);
	if (!s->listening || !db_listen_is_current(db, s->conn)) {
		s->listening = false;
		if (db_listen(db, s->def->channel, &s->conn) != DB_OK)
			return 1;
		s->listening = true;
	}
	for (int i = 0; i < 2; i++) {
		if (db_listen_fd(db) >= 0 && db_notified(db) == -1)
			return 1;
		if (stream_snapshot(s, &snap) != DB_OK)
			return 1;
		if (stream_xid_parse(snap.xmin, &xmin) == -1 ||
		    stream_xid_parse(snap.xmax, &xmax) == -1) {
			log_warnx("%s: bad snapshot '%s' '%s'", __func__,
			    snap.xmin, snap.xmax);
			return 1;
		}
		if (s->f.after < 0) {
			/* From now: what is there is history. */
			s->f.after = snap.max_id;
			stream_watermark_init(&s->wm, snap.max_id);
			continue;
		}
		(void)stream_watermark_advance(&s->wm, xmin, xmax, snap.max_id);
		if (!stream_watermark_is_waiting(&s->wm))
			break;
	}
	if (!db_listen_is_current(db, s->conn)) {
		s->listening = false;
		return 1;
	}
	return stream_send(s, s->wm.settled);
}

/*
 * Wait for a notification, the client going away, the worker stopping,
 * or 'ms'.  Returns 1 to catch up, 0 on a timeout, -1 to end.
 */
static int
stream_wait(struct stream *s, int ms)
{
	struct pollfd pf[3];
	int n, np = 2, got;

	pf[0].fd = http_client_fd(s->req);
	pf[0].events = POLLIN;
	pf[1].fd = http_stop_fd(s->req);
	pf[1].events = POLLIN;
	pf[2].fd = s->listening ? db_listen_fd(s->app->db) : -1;
	pf[2].events = POLLIN;
	if (pf[2].fd >= 0)
		np = 3;
	for (int i = 0; i < 3; i++)
		pf[i].revents = 0;
	n = poll(pf, (nfds_t)np, ms);
	if (n <= 0)
		return 0;
	if (pf[0].revents != 0 || pf[1].revents != 0)
		return -1;
	if (np == 3 && pf[2].revents != 0) {
		got = db_notified(s->app->db);
		if (got == -1)
			s->listening = false;
		return 1;
	}
	return 0;
}

/* The stream itself, once its slot is held and its header sent. */
static void
stream_run(struct stream *s)
{
	int64_t keepalive, now;
	int rc, ms;
	bool again = true, failed = false;

	keepalive = clock_monotonic_ms() + STREAM_KEEPALIVE_SECS * 1000;
	for (;;) {
		if (again) {
			rc = stream_catch_up(s);
			if (rc == -1)
				return;
			failed = rc == 1;
		}
		now = clock_monotonic_ms();
		if (now >= keepalive) {
			if (buf_puts(&s->out, STREAM_KEEPALIVE) == -1 ||
			    stream_flush(s) == -1)
				return;
			keepalive = now + STREAM_KEEPALIVE_SECS * 1000;
		}
		ms = (int)(keepalive - now);
		if (failed && ms > STREAM_RETRY_MS)
			ms = STREAM_RETRY_MS;
		else if (stream_watermark_is_waiting(&s->wm) &&
		    ms > STREAM_SETTLE_MS)
			ms = STREAM_SETTLE_MS;
		if ((rc = stream_wait(s, ms)) == -1)
			return;
		again =
		    rc == 1 || failed || stream_watermark_is_waiting(&s->wm);
	}
}

/*
 * Take a slot of the worker's INSTLOG_STREAMS.  Returns 0, or -1 when
 * they are all held.
 */
static int
stream_slot_take(void)
{
	if (__atomic_add_fetch(&stream_open, 1, __ATOMIC_ACQ_REL) >
	    stream_max) {
		(void)__atomic_sub_fetch(&stream_open, 1, __ATOMIC_ACQ_REL);
		return -1;
	}
	return 0;
}

static void
stream_slot_give(void)
{
	(void)__atomic_sub_fetch(&stream_open, 1, __ATOMIC_ACQ_REL);
}

static void
stream_handle(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	const struct stream_def *def = app->def->ctx;
	struct stream s;
	char err[160];

	if (strcmp(req->path, def->path) != 0) {
		http_error(resp, 404, "no such route");
		return;
	}
	if (route_bearer_check(app, req, resp) == -1)
		return;
	memset(&s, 0, sizeof(s));
	if (stream_filter_parse(req->query,
	        http_param(req, "HTTP_LAST_EVENT_ID"),
	        def->kind == STREAM_TRACE, &s.f, err, sizeof(err)) == -1) {
		http_error(resp, 400, err);
		return;
	}
	if (stream_slot_take() == -1) {
		(void)snprintf(resp->extra, sizeof(resp->extra), "%s",
		    STREAM_RETRY_AFTER);
		http_error(resp, 503, "too many streams open");
		return;
	}
	s.def = def;
	s.app = app;
	s.req = req;
	buf_init(&s.out);
	buf_init(&s.data);
	stream_watermark_init(&s.wm, s.f.after < 0 ? 0 : s.f.after);
	/* LISTEN before the header: a database down is a plain 503. */
	db_set_deadline(app->db, STREAM_DB_MS);
	if (db_listen(app->db, def->channel, &s.conn) != DB_OK) {
		http_error(resp, 503, "database unavailable");
		goto out;
	}
	s.listening = true;
	resp->streamed = true;
	if (http_stream_begin(req) == -1 ||
	    buf_puts(&s.out, "retry: 2000\n\n") == -1 || stream_flush(&s) == -1)
		goto out;
	stream_run(&s);
out:
	buf_release(&s.out);
	buf_release(&s.data);
	stream_slot_give();
}

/* Say at start when every request will be refused. */
static int
stream_start(struct app *app)
{
	if (app->cfg.trace_secret.buf == NULL)
		log_warnx("TRACE_API_SECRET is not set: every request will be "
		          "refused");
	return 0;
}

int
stream_main(enum stream_kind kind, int argc, char **argv)
{
	static struct app_def def;
	const char *v = getenv("INSTLOG_STREAMS");
	int64_t n = STREAM_MAX_DEFAULT;

	if (v != NULL && *v != '\0' &&
	    parse_int64(v, 1, STREAM_MAX, &n) == -1) {
		(void)fprintf(stderr,
		    "%s: INSTLOG_STREAMS must be 1..%d: '%s'\n",
		    stream_defs[kind].name, STREAM_MAX, v);
		return 2;
	}
	stream_max = (int)n;
	def.name = stream_defs[kind].name;
	def.db_name = "instlog-stream";
	def.config_need = CONFIG_NEED_DB | CONFIG_USE_TRACE_SECRET;
	def.read_only = false; /* NOTIFY is heard on the primary */
	def.method = "GET";
	def.db_budget_ms = 0;
	def.start = stream_start;
	def.handle = stream_handle;
	def.ctx = &stream_defs[kind];
	/* A slot per stream, and spare threads that answer the 503s. */
	def.threads = stream_max + 2;
	return app_main(&def, argc, argv);
}
