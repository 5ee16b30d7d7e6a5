/* SPDX-License-Identifier: MIT */
/*
 * notify: tell what the log says (docs/architecture.md#notify).  Run by cron
 * every minute: reads the announced events and failed operations from
 * the database (the log is the outbox), queues each for every configured
 * sink, ends as abandoned the sends to a sink no longer configured, and
 * sends what is due, each attempt a step of the run's notify operation.
 * Exit status: 0 done, 1 a send failed or was abandoned, or the database
 * failed, 2 bad configuration.
 */
#include "core/notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/auth.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "core/ops.h"
#include "core/str.h"
#include "db/db.h"
#include "db/db_notify.h"
#include "db/db_ops.h"
#include "net/httpc.h"
#include "run/cronrun.h"

#define USER_AGENT "instlog-notify"

/* Each send may take this long; all of a run's sends run at once. */
#define SEND_TIMEOUT_MS 10000

/* The most bytes of a sink's answer; a longer one is a failed send. */
#define REPLY_MAX (64 * 1024)

/* The error of the step of a send to a sink no longer configured. */
#define ABANDONED_ERROR "abandoned: the sink is no longer configured"

struct run {
	struct cronrun *cr;      /* config, database, lock, operation */
	const char *gateway_url; /* INSTLOG_NOTIFY_URL, or NULL */
	const struct config_secret *secret; /* INSTLOG_NOTIFY_SECRET */
	char *slack_url; /* INSTLOG_SLACK_WEBHOOK_URL: a secret, or NULL */
	const char *public_url;             /* INSTLOG_PUBLIC_URL, or NULL */
	const char *sinks[NOTIFY__MAX + 1]; /* configured, NULL-terminated */
	size_t nsinks;
	struct httpc http;
};

struct counts {
	size_t queued;
	size_t repeats;
	size_t attempted;
	size_t sent;
	size_t failed;
	size_t given_up;
	size_t abandoned;
};

/*
 * Check the URL of variable 'name', 'v' (NULL: unset: fine).  Returns 0,
 * or -1 after one line on stderr.
 */
static int
url_check(const char *name, const char *v, unsigned flags)
{
	char err[HTTPC_ERROR_SIZE];

	if (v == NULL || httpc_url_check(v, flags, err, sizeof(err)) == 0)
		return 0;
	log_warnx("config: %s: %s", name, err);
	return -1;
}

/*
 * Copy the Slack webhook URL (a secret) into *out, NUL-terminated (NULL
 * when unset), and check it as a URL: a bad one is said to be bad, never
 * shown.  Returns 0, or -1 after one line.
 */
static int
slack_load(const struct config_secret *s, char **out)
{
	char err[HTTPC_ERROR_SIZE];

	*out = NULL;
	if (s->buf == NULL)
		return 0;
	if (memchr(s->buf, '\0', s->len) == NULL &&
	    (*out = malloc(s->len + 1)) != NULL) {
		memcpy(*out, s->buf, s->len);
		(*out)[s->len] = '\0';
		if (httpc_url_check(*out, 0, err, sizeof(err)) == 0)
			return 0;
	}
	log_warnx("config: INSTLOG_SLACK_WEBHOOK_URL: not an https URL "
	          "(plain http only to a loopback host, no user info); "
	          "the value is a secret and is not shown");
	if (*out != NULL)
		OPENSSL_cleanse(*out, s->len);
	free(*out);
	*out = NULL;
	OPENSSL_cleanse(err, sizeof(err));
	return -1;
}

/*
 * Load the configuration and the client.  Returns 0, or -1 after one
 * line on stderr saying what is wrong.
 */
static int
run_init(struct run *r)
{
	const struct config *cfg = &r->cr->cfg;

	r->gateway_url = cfg->notify_url;
	r->public_url = cfg->public_url;
	r->secret = &cfg->notify_secret;
	if (url_check("INSTLOG_NOTIFY_URL", r->gateway_url, 0) == -1 ||
	    url_check("INSTLOG_PUBLIC_URL", r->public_url, HTTPC_URL_BASE) ==
	        -1 ||
	    slack_load(&cfg->slack_url, &r->slack_url) == -1)
		return -1;
	if (r->gateway_url != NULL && r->secret->buf == NULL) {
		log_warnx(
		    "config: INSTLOG_NOTIFY_URL is set but "
		    "INSTLOG_NOTIFY_SECRET (or INSTLOG_NOTIFY_SECRET_FILE) "
		    "is not: the gateway's events must be signed");
		return -1;
	}
	if (r->gateway_url != NULL)
		r->sinks[r->nsinks++] = notify_sink_name(NOTIFY_GATEWAY);
	if (r->slack_url != NULL)
		r->sinks[r->nsinks++] = notify_sink_name(NOTIFY_SLACK);
	r->sinks[r->nsinks] = NULL;
	return httpc_init(&r->http, USER_AGENT, SEND_TIMEOUT_MS);
}

static void
run_release(struct run *r)
{
	httpc_release(&r->http);
	if (r->slack_url != NULL)
		OPENSSL_cleanse(r->slack_url, strlen(r->slack_url));
	free(r->slack_url);
}

/*
 * Build the documents of source 'src' and queue them.  Returns 0, or -1
 * when out of memory or the database failed (logged).
 */
static int
queue_one(struct run *r, const struct db_notify_source *src, struct counts *cnt)
{
	struct notify_source s;
	struct db_notify_new n;
	char key[NOTIFY_KEY_SIZE];
	struct buf body, slack;
	cJSON *payload = NULL;
	int64_t repeat_of;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	buf_init(&body);
	buf_init(&slack);
	s.row_id = src->row_id;
	s.operation_id = src->operation_id;
	s.occurred_at = src->occurred_at;
	s.action = src->action;
	s.installation_id = src->installation_id;
	s.app_id = src->app_id;
	s.entity_id = src->entity_id;
	s.entity_login = src->entity_login;
	s.entity_type = src->entity_type;
	s.op_type = src->op_type;
	s.op_error = src->op_error;
	if (src->payload != NULL &&
	    (payload = json_parse(src->payload, strlen(src->payload))) != NULL)
		notify_source_read(&s, payload);
	if (notify_event_key(&s, key, sizeof(key)) == -1 ||
	    notify_gateway_body(&s, r->public_url, &body) == -1 ||
	    notify_slack_body(&s, r->public_url, &slack) == -1) {
		log_warnx("%s: '%s' %" PRId64 ": out of memory", __func__,
		    src->action, src->row_id);
		goto out;
	}
	memset(&n, 0, sizeof(n));
	n.row_id = src->row_id;
	n.operation_id = src->operation_id;
	n.action = src->action;
	n.installation_id = src->installation_id;
	n.entity_id = src->entity_id;
	n.event_key = key;
	n.body = body.buf;
	n.slack_body = slack.buf;
	n.is_auth = is_notify_auth_failure(src->action);
	n.cause = notify_cause(&s);
	if (db_notify_queue(r->cr->db, &n, r->sinks, &repeat_of) != DB_OK)
		goto out;
	if (repeat_of != 0)
		cnt->repeats++;
	else
		cnt->queued++;
	rc = 0;
out:
	cJSON_Delete(payload);
	buf_release(&body);
	buf_release(&slack);
	return rc;
}

/* Decide on every new source.  Returns 0, or -1 (logged). */
static int
queue_new(struct run *r, struct counts *cnt)
{
	struct db_notify_snapshot snap;
	struct db_notify_sources src;
	int rc = -1;

	memset(&src, 0, sizeof(src));
	if (db_notify_snapshot(r->cr->db, &snap) != DB_OK)
		return -1;
	/* A batch at a time, until a read finds nothing new to store. */
	for (;;) {
		size_t before = cnt->queued + cnt->repeats;

		if (db_notify_sources_get(r->cr->db, notify_events, &src) !=
		    DB_OK)
			return -1;
		for (size_t i = 0; i < src.n; i++)
			if (queue_one(r, &src.v[i], cnt) == -1)
				goto out;
		db_notify_sources_release(&src);
		if (cnt->queued + cnt->repeats == before)
			break;
	}
	if (db_notify_cursor_advance(r->cr->db, &snap) != DB_OK)
		goto out;
	rc = 0;
out:
	db_notify_sources_release(&src);
	return rc;
}

/* Fill request 'q' for send 's'; 'headers' has room for 3. */
static void
request_fill(const struct run *r, const struct db_notify_send *s,
    struct httpc_request *q, char headers[3][128], const char *hv[3])
{
	char sig[AUTH_SIGNATURE_SIZE];
	bool gateway = strcmp(s->sink, notify_sink_name(NOTIFY_GATEWAY)) == 0;

	memset(q, 0, sizeof(*q));
	q->method = "POST";
	q->url = gateway ? r->gateway_url : r->slack_url;
	q->body = s->body;
	q->max = REPLY_MAX;
	(void)snprintf(headers[0], sizeof(headers[0]),
	    "Content-Type: application/json");
	hv[0] = headers[0];
	q->headers = hv;
	q->nheaders = 1;
	if (!gateway)
		return;
	(void)snprintf(headers[1], sizeof(headers[1]), "X-Instlog-Event-ID: %s",
	    s->event_key);
	if (auth_hmac_sign(r->secret, s->body, strlen(s->body), sig) == -1)
		sig[0] = '\0';
	(void)snprintf(headers[2], sizeof(headers[2]),
	    "X-Instlog-Signature-256: %s", sig);
	hv[1] = headers[1];
	hv[2] = headers[2];
	q->nheaders = 3;
}

/*
 * Record the attempt of send 's' that request 'q' made, as a step and in
 * notification_sends.  Returns 0, or -1 when the database failed.
 */
static int
attempt_record(struct run *r, const struct db_notify_send *s,
    const struct httpc_request *q, int64_t started_ms, struct counts *cnt)
{
	char name[160], output[64], error[HTTPC_ERROR_SIZE + 32];
	bool ok = q->result == HTTPC_OK && q->status >= 200 && q->status < 300;
	int64_t retry = 0;
	const char *result = "sent";

	(void)snprintf(name, sizeof(name), "%s %s %s", s->sink, s->event_key,
	    s->action);
	(void)snprintf(output, sizeof(output), "{\"status\":%ld}",
	    q->result == HTTPC_OK ? q->status : 0L);
	if (q->result == HTTPC_OK)
		(void)snprintf(error, sizeof(error), "HTTP %ld", q->status);
	else
		(void)snprintf(error, sizeof(error), "%s", q->error);
	cnt->attempted++;
	if (ok)
		cnt->sent++;
	else {
		cnt->failed++;
		result = "failed";
		retry = notify_backoff(s->attempts + 1,
		    (int64_t)r->cr->cfg.notify_backoff, s->age);
		if (retry == -1) {
			cnt->given_up++;
			result = "given_up";
			(void)strncat(error, ", given up",
			    sizeof(error) - strlen(error) - 1);
			log_warnx("%s: %s", name, error);
		} else
			log_warnx("%s: %s, again in %" PRId64 " s", name, error,
			    retry);
	}
	metrics_add(r->cr->counters, METRICS_NOTIFICATIONS, s->sink, result, 1);
	if (ops_step(&r->cr->op, name, started_ms, output, ok ? NULL : error,
	        ok ? NULL : q->reply.buf, ok ? 0 : q->reply.len) == -1 ||
	    ops_touch(&r->cr->op, s->installation_id, s->entity_id) == -1) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	return db_notify_attempt_record(r->cr->db, s->notification_id, s->sink,
	           q->result == HTTPC_OK ? q->status : 0, ok ? NULL : error,
	           retry) == DB_OK
	    ? 0
	    : -1;
}

/*
 * Send everything due, every sink's at once so that a sink that hangs or
 * fails delays no other.  Returns 0, or -1 when the database failed.
 */
static int
send_due(struct run *r, struct counts *cnt)
{
	struct db_notify_sends due;
	struct httpc_request *q = NULL;
	char(*headers)[3][128] = NULL;
	const char *(*hv)[3] = NULL;
	int64_t started_ms;
	int rc = -1;

	if (r->sinks[0] == NULL)
		return 0;
	if (db_notify_sends_get(r->cr->db, r->sinks, &due) != DB_OK)
		return -1;
	if (due.n == 0) {
		rc = 0;
		goto out;
	}
	if ((q = calloc(due.n, sizeof(*q))) == NULL ||
	    (headers = calloc(due.n, sizeof(*headers))) == NULL ||
	    (hv = calloc(due.n, sizeof(*hv))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	for (size_t i = 0; i < due.n; i++)
		request_fill(r, &due.v[i], &q[i], headers[i], hv[i]);
	started_ms = clock_wall_ms();
	if (httpc_run(&r->http, q, due.n, due.n) == -1)
		log_warnx("%s: the request driver failed", __func__);
	rc = 0;
	for (size_t i = 0; i < due.n; i++)
		if (attempt_record(r, &due.v[i], &q[i], started_ms, cnt) == -1)
			rc = -1;
	if (db_ops_flush(r->cr->db, &r->cr->op) != DB_OK)
		rc = -1;
out:
	for (size_t i = 0; q != NULL && i < due.n; i++)
		httpc_request_release(&q[i]);
	if (headers != NULL)
		explicit_bzero(headers, due.n * sizeof(*headers));
	free(q);
	free(headers);
	free(hv);
	db_notify_sends_release(&due);
	return rc;
}

/*
 * End the pending sends to a sink no longer configured as abandoned (they
 * would wait forever): a failed step each, a line on stderr, counted on
 * /metrics.  Returns 0, or -1 when the database failed.
 */
static int
abandon_removed(struct run *r, struct counts *cnt)
{
	struct db_notify_sends gone;
	char name[160], output[64];
	int64_t now = clock_wall_ms();
	int rc = 0;

	if (db_notify_abandon(r->cr->db, r->sinks, &gone) != DB_OK)
		return -1;
	for (size_t i = 0; i < gone.n; i++) {
		const struct db_notify_send *s = &gone.v[i];

		(void)snprintf(name, sizeof(name), "%s %s %s", s->sink,
		    s->event_key, s->action);
		(void)snprintf(output, sizeof(output),
		    "{\"attempts\":%" PRId64 "}", s->attempts);
		log_warnx("%s: " ABANDONED_ERROR, name);
		cnt->abandoned++;
		metrics_add(r->cr->counters, METRICS_NOTIFICATIONS, s->sink,
		    "abandoned", 1);
		if (ops_step(&r->cr->op, name, now, output, ABANDONED_ERROR,
		        NULL, 0) == -1 ||
		    ops_touch(&r->cr->op, s->installation_id, s->entity_id) ==
		        -1) {
			log_warnx("%s: out of memory", __func__);
			rc = -1;
		}
	}
	if (gone.n > 0 && db_ops_flush(r->cr->db, &r->cr->op) != DB_OK)
		rc = -1;
	db_notify_sends_release(&gone);
	return rc;
}

/* The configuration beyond cronrun's: the sinks and the client. */
static int
start(struct cronrun *cr, void *arg)
{
	struct run *r = arg;

	r->cr = cr;
	return run_init(r);
}

/*
 * Queue the new sources, abandon the sends to sinks no longer configured
 * and send what is due (the lock held), the operation's output and the
 * summary.  Returns the exit status.
 */
static int
run(struct cronrun *cr, void *arg)
{
	static const char *const keys[] = { "queued", "repeats", "attempted",
		"sent", "failed", "given_up", "abandoned" };
	struct run *r = arg;
	struct counts cnt;
	int64_t vals[7];
	int rc = CRONRUN_OK;

	memset(&cnt, 0, sizeof(cnt));
	/* What is due is sent even when queueing the new failed. */
	if (queue_new(r, &cnt) == -1)
		rc = CRONRUN_FAILED;
	if (abandon_removed(r, &cnt) == -1 || cnt.abandoned > 0)
		rc = CRONRUN_FAILED;
	if (send_due(r, &cnt) == -1 || cnt.failed > 0)
		rc = CRONRUN_FAILED;
	vals[0] = (int64_t)cnt.queued;
	vals[1] = (int64_t)cnt.repeats;
	vals[2] = (int64_t)cnt.attempted;
	vals[3] = (int64_t)cnt.sent;
	vals[4] = (int64_t)cnt.failed;
	vals[5] = (int64_t)cnt.given_up;
	vals[6] = (int64_t)cnt.abandoned;
	if (ops_json_ints(&cr->output, keys, vals, 7) == -1)
		log_warnx("out of memory");
	cronrun_summary(cr,
	    "sinks=%zu queued=%zu repeats=%zu attempted=%zu sent=%zu "
	    "failed=%zu given_up=%zu abandoned=%zu",
	    r->nsinks, cnt.queued, cnt.repeats, cnt.attempted, cnt.sent,
	    cnt.failed, cnt.given_up, cnt.abandoned);
	return rc;
}

int
main(void)
{
	static const struct cronrun_def def = { "notify", CONFIG_USE_NOTIFY,
		DB_NOTIFY_LOCK_KEY, start, run, true };
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = cronrun_main(&def, &r);
	run_release(&r);
	return rc;
}
