/* SPDX-License-Identifier: MIT */
/* The live tail routes (GET /trace/stream, /operations/stream): SSE streams. */
#include "run/stream.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Catch up at most this often: under a steady flow of commits a stream
 * reads what came in the last interval at once, instead of once per
 * NOTIFY; also how soon it snapshots again while an id waits for the
 * watermark.
 */
#define STREAM_GAP_MS 200

/* Tries the database again this long after it failed. */
#define STREAM_RETRY_MS 1000

/* The most INSTLOG_STREAMS: request threads are bounded (lib/run/app.c). */
#define STREAM_MAX 250

/* Rows whose keys the listener reads per round, at most. */
#define STREAM_KEYS 4096

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

/* One open stream as the hub sees it (the hub's lock). */
struct stream_sub {
	int fd;                        /* eventfd: there may be rows for it */
	const struct stream_filter *f; /* its filters (not their 'after') */
	/*
	 * Every row up to here is sent or none of its: the stream raises it
	 * after each catch-up, the hub when its filters match none of the
	 * new rows' keys (then the stream is not even woken).
	 */
	int64_t after;
};

/*
 * The worker's listener: one connection LISTENs for every stream of the
 * worker (PostgreSQL signals one backend per commit, not one per
 * stream), only while a stream is open and nothing waits (hub_round());
 * it takes the snapshots, moves the one watermark and, for the trace,
 * reads the keys of the rows it passes once for all streams, waking only
 * the streams whose filters match one.  Each stream reads its own rows up
 * to the watermark on its own connection.
 */
struct stream_hub {
	pthread_mutex_t lock;
	int64_t settled; /* the watermark; -1 while unknown */
	struct stream_sub *subs[STREAM_MAX + 8];
	size_t nsubs;
	const struct stream_def *def;
	struct db *db;
	int stopfd;
	int kickfd; /* a stream came or went */
	pthread_t tid;
	bool started;
};

static struct stream_hub hub = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.settled = -1,
	.kickfd = -1 };

/* Whether a key of 'keys' past sub->after passes sub's filters. */
static bool
hub_sub_wants(const struct stream_sub *sub, const struct db_trace_key *keys,
    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].id > sub->after &&
		    stream_filter_match(sub->f, keys[i].entity_id,
		        keys[i].installation_id, keys[i].event))
			return true;
	return false;
}

/* The next snapshot of the hub's kind into *snap. */
static enum db_status
hub_snapshot(struct db_notify_snapshot *snap)
{
	if (hub.def->kind == STREAM_TRACE)
		return db_notify_snapshot(hub.db, snap);
	return db_notify_snapshot_ops(hub.db, snap);
}

/*
 * Make 'settled' the watermark.  A stream that had everything up to the
 * last one and whose filters match none of the rows in between (their
 * keys read here, for the trace) is moved to 'settled' without a wake-up;
 * the others are woken.  Returns 0, or -1 when the keys could not be read
 * (logged; the watermark stays).
 */
static int
hub_publish(int64_t settled)
{
	static struct db_trace_key keys[STREAM_KEYS];
	struct stream_sub *sub;
	size_t n = 0;
	int64_t from;
	uint64_t one = 1;
	bool full = true, keyed;

	(void)pthread_mutex_lock(&hub.lock);
	from = hub.settled;
	(void)pthread_mutex_unlock(&hub.lock);
	if (settled == from)
		return 0;
	if (hub.def->kind == STREAM_TRACE && from >= 0 &&
	    db_trace_stream_keys(hub.db, from, settled, keys, STREAM_KEYS, &n,
	        &full) != DB_OK)
		return -1;
	keyed = !full && from >= 0;
	(void)pthread_mutex_lock(&hub.lock);
	hub.settled = settled;
	for (size_t i = 0; i < hub.nsubs; i++) {
		sub = hub.subs[i];
		if (keyed && sub->after >= from && !hub_sub_wants(sub, keys, n))
			sub->after = settled;
		else
			(void)!write(sub->fd, &one, sizeof(one));
	}
	(void)pthread_mutex_unlock(&hub.lock);
	return 0;
}

/*
 * Feed one snapshot to the watermark.  After the hub (re)started
 * listening ('*fresh'), nothing is settled until a snapshot's top id is:
 * a stream that resumes must not pass a lower id still in flight.
 */
static void
hub_advance(struct stream_watermark *wm, bool *fresh, uint64_t xmin,
    uint64_t xmax, int64_t max_id)
{
	if (*fresh) {
		/* An empty log: no id can be passed by mistake. */
		stream_watermark_init(wm, max_id == 0 ? 0 : -1);
		*fresh = false;
	}
	(void)stream_watermark_advance(wm, xmin, xmax, max_id);
}

/*
 * One snapshot into the watermark, published when it moved; *idle tells
 * whether no transaction was running.  Returns 0, or 1 when the database
 * failed (logged).
 */
static int
hub_take(struct stream_watermark *wm, bool listening, bool *fresh, bool *idle)
{
	struct db_notify_snapshot snap;
	uint64_t xmin, xmax;

	/* Notifications unread would look like a dropped connection. */
	if ((listening && db_notified(hub.db) == -1) ||
	    hub_snapshot(&snap) != DB_OK)
		return 1;
	if (stream_xid_parse(snap.xmin, &xmin) == -1 ||
	    stream_xid_parse(snap.xmax, &xmax) == -1) {
		log_warnx("%s: bad snapshot '%s' '%s'", __func__, snap.xmin,
		    snap.xmax);
		return 1;
	}
	hub_advance(wm, fresh, xmin, xmax, snap.max_id);
	if (wm->settled >= 0 && hub_publish(wm->settled) == -1)
		return 1;
	/* Nothing was running: a second snapshot settles what it saw. */
	*idle = xmin == xmax;
	return 0;
}

/*
 * One round.  While rows come, each round is followed by the next one
 * STREAM_GAP_MS later without listening: a snapshot and the new rows' keys
 * per round, whatever the number of commits, and PostgreSQL wakes no
 * session at them.  Once a round has settled everything it saw, it
 * LISTENs and takes one more snapshot (what committed before the LISTEN
 * is in it, what commits after is notified): then the hub sleeps until a
 * NOTIFY.  Returns 0 (listening, nothing waits), 2 (a next round is due),
 * or 1 when the database failed (logged).
 */
static int
hub_round(struct stream_watermark *wm, unsigned long *conn, bool *listening,
    bool *fresh)
{
	bool idle = false;

	db_set_deadline(hub.db, STREAM_DB_MS);
	if (*listening && !db_listen_is_current(hub.db, *conn))
		*listening = false;
	for (int i = 0; i < 3; i++) {
		if (hub_take(wm, *listening, fresh, &idle) != 0)
			return 1;
		if (stream_watermark_is_waiting(wm)) {
			if (idle)
				continue;
			return 2;
		}
		if (*listening)
			break;
		if (db_listen(hub.db, hub.def->channel, conn) != DB_OK)
			return 1;
		*listening = true;
	}
	if (!*listening || stream_watermark_is_waiting(wm))
		return 2;
	if (!db_listen_is_current(hub.db, *conn)) {
		*listening = false;
		return 1;
	}
	return 0;
}

/*
 * The hub's thread: while streams are open, a round at once, then one per
 * burst of notifications, at most every STREAM_GAP_MS; the socket is not
 * read while a round is due, so a burst costs one wake-up, not one per
 * commit.  With no stream open it does not listen.  Until the worker
 * stops.
 */
static void *
hub_main(void *arg)
{
	struct stream_watermark wm;
	struct pollfd pf[3];
	int64_t now, next = 0;
	unsigned long conn = 0;
	uint64_t kicks;
	size_t nsubs;
	bool due = false, listening = false, fresh = true;
	int rc, ms;

	(void)arg;
	stream_watermark_init(&wm, -1);
	for (;;) {
		(void)pthread_mutex_lock(&hub.lock);
		nsubs = hub.nsubs;
		(void)pthread_mutex_unlock(&hub.lock);
		if (nsubs == 0 && listening) {
			/* PostgreSQL no longer wakes the session at commits. */
			db_set_deadline(hub.db, STREAM_DB_MS);
			(void)db_unlisten(hub.db);
			listening = false;
		}
		if (nsubs == 0) {
			/* The next stream from now: a new snapshot. */
			(void)pthread_mutex_lock(&hub.lock);
			hub.settled = -1;
			(void)pthread_mutex_unlock(&hub.lock);
			due = false;
			fresh = true;
		} else if (!listening && !due) {
			/* A stream came: a round now. */
			due = true;
			next = 0;
		}
		now = clock_monotonic_ms();
		if (due && now >= next) {
			rc = hub_round(&wm, &conn, &listening, &fresh);
			due = rc != 0;
			now = clock_monotonic_ms();
			next =
			    now + (rc == 1 ? STREAM_RETRY_MS : STREAM_GAP_MS);
		}
		/*
		 * A round is due: no LISTEN until a round has nothing left to
		 * wait for (hub_round()), so that PostgreSQL does not wake the
		 * session at each commit of a burst.
		 */
		if (due && listening) {
			db_set_deadline(hub.db, STREAM_DB_MS);
			(void)db_unlisten(hub.db);
			listening = false;
		}
		ms = !due ? -1 : next > now ? (int)(next - now) : 0;
		pf[0].fd = hub.stopfd;
		pf[1].fd = hub.kickfd;
		pf[2].fd = listening && !due ? db_listen_fd(hub.db) : -1;
		for (int i = 0; i < 3; i++) {
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		if (poll(pf, 3, ms) <= 0)
			continue;
		if (pf[0].revents != 0)
			return NULL;
		if (pf[1].revents != 0)
			(void)!read(hub.kickfd, &kicks, sizeof(kicks));
		if (pf[2].revents != 0) {
			due = true;
			if (db_notified(hub.db) == -1)
				listening = false;
		}
	}
}

/*
 * Start the worker's hub once, on its own connection.  Returns 0, or -1
 * (logged).
 */
static int
hub_start(struct app *app, const struct http_request *req)
{
	int e, rc = 0;
	char name[64];

	(void)pthread_mutex_lock(&hub.lock);
	if (hub.started)
		goto out;
	(void)snprintf(name, sizeof(name), "instlog-%s-listen",
	    ((const struct stream_def *)app->def->ctx)->name);
	hub.def = app->def->ctx;
	hub.stopfd = http_stop_fd(req);
	if (hub.kickfd == -1 &&
	    (hub.kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		log_warnx("%s: eventfd: %s", __func__, strerror(errno));
		rc = -1;
		goto out;
	}
	if (hub.db == NULL &&
	    (hub.db = db_new(app->cfg.database_url, name)) == NULL) {
		rc = -1;
		goto out;
	}
	/*
	 * Its few statements every 200 ms while rows come: planned once, not
	 * each time over every partition and index of the log.
	 */
	db_set_prepared(hub.db, true);
	if ((e = pthread_create(&hub.tid, NULL, hub_main, NULL)) != 0) {
		log_warnx("%s: %s", __func__, strerror(e));
		rc = -1;
		goto out;
	}
	(void)pthread_detach(hub.tid);
	hub.started = true;
out:
	(void)pthread_mutex_unlock(&hub.lock);
	return rc;
}

/*
 * Add (or with 'add' false, remove) a stream; tell the hub, which
 * listens only while there is one.  Returns 0, or -1 when full.
 */
static int
hub_subscribe(struct stream_sub *sub, bool add)
{
	uint64_t one = 1;
	int rc = 0;

	(void)pthread_mutex_lock(&hub.lock);
	if (add && hub.nsubs < sizeof(hub.subs) / sizeof(hub.subs[0]))
		hub.subs[hub.nsubs++] = sub;
	else if (add)
		rc = -1;
	else
		for (size_t i = 0; i < hub.nsubs; i++)
			if (hub.subs[i] == sub) {
				hub.subs[i] = hub.subs[--hub.nsubs];
				break;
			}
	(void)pthread_mutex_unlock(&hub.lock);
	(void)!write(hub.kickfd, &one, sizeof(one));
	return rc;
}

/* The hub's watermark; -1 while unknown. */
static int64_t
hub_settled(void)
{
	int64_t v;

	(void)pthread_mutex_lock(&hub.lock);
	v = hub.settled;
	(void)pthread_mutex_unlock(&hub.lock);
	return v;
}

/* One open stream. */
struct stream {
	const struct stream_def *def;
	struct app *app;
	const struct http_request *req;
	struct stream_filter f;
	struct stream_sub sub; /* the hub's view of it */
	bool started;          /* its first position sent */
	struct buf out;
	struct buf data;
};
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
 * Where a stream from now starts, once the watermark is known: there, or
 * with ?last=N before its last N rows.  Returns 0, or 1 when the
 * database failed (logged).
 */
static int
stream_start_at(struct stream *s, int64_t settled)
{
	int64_t after = settled;
	enum db_status st = DB_OK;

	if (s->f.last > 0) {
		db_set_deadline(s->app->db, STREAM_DB_MS);
		st = s->def->kind == STREAM_TRACE
		    ? db_trace_stream_start(s->app->db, settled, s->f.entity_id,
		          s->f.installation_id, s->f.event, s->f.last, &after)
		    : db_ops_stream_start(s->app->db, settled, s->f.last,
		          &after);
	}
	if (st != DB_OK)
		return 1;
	s->f.after = after;
	return 0;
}

/*
 * The stream's first bytes, once it knows where it starts: the retry
 * time and, for a stream that did not resume, that position as an id
 * without data, so that a client that reconnects before any row resumes
 * from there (EventSource keeps it as its Last-Event-ID too).  Returns 0,
 * or -1 when the client is gone.
 */
static int
stream_begin(struct stream *s, bool positioned)
{
	char id[48];

	s->started = true;
	(void)snprintf(id, sizeof(id), "id: %" PRId64 "\n", s->f.after);
	if (buf_puts(&s->out, "retry: 2000\n") == -1 ||
	    (positioned && buf_puts(&s->out, id) == -1) ||
	    buf_puts(&s->out, "\n") == -1)
		return -1;
	return stream_flush(s);
}

/*
 * Catch up to the hub's watermark.  Returns 0, 1 when the database
 * failed (logged; try again later), or -1 when the client is gone.
 */
static int
stream_catch_up(struct stream *s)
{
	int64_t settled;
	bool positioned = false;
	int rc;

	(void)pthread_mutex_lock(&hub.lock);
	settled = hub.settled;
	if (s->sub.after > s->f.after)
		s->f.after = s->sub.after; /* the hub found none of its rows */
	(void)pthread_mutex_unlock(&hub.lock);
	if (settled < 0)
		return 0;
	if (s->f.after < 0) {
		if (stream_start_at(s, settled) != 0)
			return 1;
		positioned = true;
	}
	if (!s->started && stream_begin(s, positioned) == -1)
		return -1;
	rc = 0;
	if (s->f.after < settled) {
		db_set_deadline(s->app->db, STREAM_DB_MS);
		rc = stream_send(s, settled);
	}
	(void)pthread_mutex_lock(&hub.lock);
	if (s->f.after > s->sub.after)
		s->sub.after = s->f.after;
	(void)pthread_mutex_unlock(&hub.lock);
	return rc;
}

/*
 * Wait for the hub, the client going away, the worker stopping, or 'ms'.
 * Returns 1 to catch up, 0 on a timeout, -1 to end.
 */
static int
stream_wait(struct stream *s, int ms)
{
	struct pollfd pf[3];
	uint64_t n;

	pf[0].fd = http_client_fd(s->req);
	pf[1].fd = http_stop_fd(s->req);
	pf[2].fd = s->sub.fd;
	for (int i = 0; i < 3; i++) {
		pf[i].events = POLLIN;
		pf[i].revents = 0;
	}
	if (poll(pf, 3, ms) <= 0)
		return 0;
	if (pf[0].revents != 0 || pf[1].revents != 0)
		return -1;
	if (pf[2].revents != 0) {
		(void)!read(s->sub.fd, &n, sizeof(n));
		return 1;
	}
	return 0;
}

/* The stream itself, once its slot is held and its header sent. */
static void
stream_run(struct stream *s)
{
	int64_t keepalive, now, next = 0;
	int rc, ms;
	bool due = true;

	keepalive = clock_monotonic_ms() + STREAM_KEEPALIVE_SECS * 1000;
	for (;;) {
		now = clock_monotonic_ms();
		if (due && now >= next) {
			if ((rc = stream_catch_up(s)) == -1)
				return;
			due = rc == 1 || hub_settled() < 0;
			now = clock_monotonic_ms();
			next =
			    now + (rc == 1 ? STREAM_RETRY_MS : STREAM_GAP_MS);
		}
		if (now >= keepalive) {
			if (buf_puts(&s->out, STREAM_KEEPALIVE) == -1 ||
			    stream_flush(s) == -1)
				return;
			keepalive = now + STREAM_KEEPALIVE_SECS * 1000;
		}
		ms = (int)(keepalive - now);
		if (due && next - now < ms)
			ms = next > now ? (int)(next - now) : 0;
		if ((rc = stream_wait(s, ms)) == -1)
			return;
		if (rc == 1)
			due = true;
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
	s.sub.fd = -1;
	s.sub.f = &s.f;
	s.sub.after = s.f.after;
	buf_init(&s.out);
	buf_init(&s.data);
	if (hub_start(app, req) == -1 ||
	    (s.sub.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    hub_subscribe(&s.sub, true) == -1) {
		if (s.sub.fd != -1)
			(void)close(s.sub.fd);
		s.sub.fd = -1;
		http_error(resp, 503, "cannot stream now");
		goto out;
	}
	/* The database down is a plain 503, before the header. */
	db_set_deadline(app->db, STREAM_DB_MS);
	if (db_connect(app->db) != DB_OK) {
		http_error(resp, 503, "database unavailable");
		goto out;
	}
	/* The body begins once the stream knows where it starts. */
	resp->streamed = true;
	if (http_stream_begin(req) == -1)
		goto out;
	stream_run(&s);
out:
	if (s.sub.fd != -1) {
		(void)hub_subscribe(&s.sub, false);
		(void)close(s.sub.fd);
	}
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
