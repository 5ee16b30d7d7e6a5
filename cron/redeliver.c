/* SPDX-License-Identifier: MIT */
/*
 * redeliver: ask GitHub to send again the webhook deliveries we missed.
 * GitHub never retries a failed delivery by itself, and redelivers on
 * request only within 3 days.  For each configured app variant, list
 * GET /app/hook/deliveries back to the last sweep's high-water mark less
 * an hour; a guid none of whose attempts we answered with a 2xx, and that
 * installation_events does not have, is missed: POST .../attempts for
 * its latest attempt, at most INSTLOG_REDELIVER_MAX per run, at most 3
 * times per guid, 30 minutes apart.  Run by cron every 10 minutes.  Exit
 * status: 0 done, 1 a GitHub call or the database failed, 2 bad
 * configuration.
 */
#include "core/redeliver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/ops.h"
#include "core/str.h"
#include "core/utc.h"
#include "db/db_ops.h"
#include "db/db_redeliver.h"
#include "run/cronrun.h"

/* GitHub's largest page; 100 items take some 40 KB. */
#define PER_PAGE          100
#define LIST_MAX_RESPONSE (1024 * 1024)

/* Redelivery requests in flight at once. */
#define PARALLEL 8

struct run {
	struct cronrun *cr;
	size_t max_pages;
	size_t budget;       /* redeliveries left to ask this run */
	char last_guid[128]; /* the guid asked last */
	size_t nasked;
};

struct counts {
	size_t apps;
	size_t listed;
	size_t missed;
	size_t requested;
	size_t skipped;
	size_t failed;
};

/* 't' as RFC 3339 UTC in 'out' for a log line, else its number. */
static const char *
utc(time_t t, char *out, size_t size)
{
	if (utc_format(t, 0, 0, out, size) == -1)
		(void)snprintf(out, size, "%lld", (long long)t);
	return out;
}

/*
 * The step of one page of the delivery list: "app N page P" with the
 * items it held, or failed with GitHub's status, message and body (or
 * the transport error, or 'why').
 */
static void
step_page(struct run *r, int64_t app_id, size_t page, int64_t t0,
    const struct github_response *resp, size_t items, const char *why)
{
	static const char *const keys[] = { "http_status", "items" };
	char name[64], err[160];
	int64_t vals[2];
	struct buf out;
	const char *e = why;

	(void)snprintf(name, sizeof(name), "app %" PRId64 " page %zu", app_id,
	    page);
	vals[0] = resp->status;
	vals[1] = (int64_t)items;
	buf_init(&out);
	(void)ops_json_ints(&out, keys, vals, 2);
	if (e == NULL && resp->status == 0)
		e = resp->error;
	else if (e == NULL && (resp->status < 200 || resp->status > 299)) {
		(void)snprintf(err, sizeof(err), "HTTP %ld: %.100s",
		    resp->status, resp->message != NULL ? resp->message : "");
		e = err;
	}
	if (ops_step(&r->cr->op, name, t0, out.buf, e,
	        e != NULL && resp->body.buf != NULL ? resp->body.buf : NULL,
	        resp->body.len) == -1)
		log_warnx("out of memory");
	buf_release(&out);
}

/*
 * List the deliveries of app 'v' delivered at or after 'cutoff' into 'l',
 * newest first, following the Link header from page to page.  Sets
 * *complete when the list reached 'cutoff' or its end within
 * r->max_pages pages.  Returns 0, or -1 when a call failed (logged and
 * counted).
 */
static int
list_deliveries(struct run *r, struct github_app_variant *v, time_t cutoff,
    struct redeliver_list *l, bool *complete, struct counts *cnt)
{
	int64_t app_id = jwt_app_id(v->app);
	struct github_call call;
	const char *next;
	char first[64], *path = NULL, when[32];
	size_t pages = 0, older = 0, invalid = 0, before;
	int64_t t0;
	int rc = -1;

	*complete = false;
	memset(&call, 0, sizeof(call));
	(void)snprintf(first, sizeof(first), "/app/hook/deliveries?per_page=%d",
	    PER_PAGE);
	for (;;) {
		github_response_release(&call.resp);
		memset(&call, 0, sizeof(call));
		call.method = "GET";
		call.path = path != NULL ? path : first;
		call.want_body = true;
		if ((call.jwt = github_app_jwt(v, time(NULL))) == NULL)
			goto out;
		t0 = clock_wall_ms();
		before = l->n;
		if (github_call_run(r->cr->client, &call) == -1) {
			step_page(r, app_id, pages + 1, t0, &call.resp, 0,
			    "the call could not be made");
			cnt->failed++;
			goto out;
		}
		if (call.resp.status == 0) {
			step_page(r, app_id, pages + 1, t0, &call.resp, 0,
			    NULL);
			log_warnx("app '%" PRId64 "': listing deliveries: %s",
			    app_id, call.resp.error);
			cnt->failed++;
			goto out;
		}
		if (call.resp.status < 200 || call.resp.status >= 300) {
			step_page(r, app_id, pages + 1, t0, &call.resp, 0,
			    NULL);
			log_warnx("app '%" PRId64 "': listing deliveries: "
			          "HTTP %ld '%.100s'",
			    app_id, call.resp.status,
			    call.resp.message != NULL ? call.resp.message : "");
			cnt->failed++;
			goto out;
		}
		if (redeliver_page_parse(call.resp.body.buf, call.resp.body.len,
		        cutoff, l, &older, &invalid) == -1) {
			step_page(r, app_id, pages + 1, t0, &call.resp, 0,
			    "not a JSON array of deliveries");
			log_warnx("app '%" PRId64 "': listing deliveries: not "
			          "a JSON array of deliveries",
			    app_id);
			cnt->failed++;
			goto out;
		}
		pages++;
		step_page(r, app_id, pages, t0, &call.resp, l->n - before,
		    NULL);
		(void)db_ops_flush(r->cr->db, &r->cr->op);
		if (older > 0 || call.resp.link_next == NULL) {
			*complete = true;
			break;
		}
		if (pages == r->max_pages) {
			log_warnx("app '%" PRId64 "': %zu pages listed, none "
			          "older than %s yet: the rest is left, the "
			          "high-water mark kept",
			    app_id, pages, utc(cutoff, when, sizeof(when)));
			break;
		}
		if ((next = github_client_path(r->cr->client,
		         call.resp.link_next)) == NULL) {
			log_warnx("app '%" PRId64 "': listing deliveries: the "
			          "next page is not under GITHUB_API_URL",
			    app_id);
			cnt->failed++;
			goto out;
		}
		free(path);
		if ((path = strdup(next)) == NULL) {
			log_warnx("out of memory");
			goto out;
		}
	}
	if (invalid > 0)
		log_warnx("app '%" PRId64 "': %zu malformed delivery items "
		          "ignored",
		    app_id, invalid);
	rc = 0;
out:
	github_response_release(&call.resp);
	free(path);
	return rc;
}

/*
 * The step of one redelivery asked: named by its guid, with the guid,
 * GitHub's id of the attempt and its answer as output; failed with
 * GitHub's status, message and body, or the transport error.
 */
static void
step_ask(struct run *r, int64_t app_id, const struct redeliver_failed *f,
    const struct github_response *resp, int64_t t0)
{
	struct json_writer w;
	struct buf out;
	char err[160];
	const char *e = NULL;

	buf_init(&out);
	if (resp->status == 0)
		e = resp->error;
	else if (resp->status < 200 || resp->status > 299) {
		(void)snprintf(err, sizeof(err), "HTTP %ld: %.100s",
		    resp->status, resp->message != NULL ? resp->message : "");
		e = err;
	}
	json_writer_init(&w, &out);
	json_open_object(&w);
	json_member_string(&w, "guid", f->guid);
	json_member_int(&w, "app_id", app_id);
	json_member_int(&w, "hook_delivery_id", f->id);
	json_member_int(&w, "http_status", resp->status);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_append(&out, "", 1) == -1 ||
	    ops_step(&r->cr->op, f->guid, t0, out.buf, e,
	        e != NULL && resp->body.buf != NULL ? resp->body.buf : NULL,
	        resp->body.len) == -1)
		log_warnx("out of memory");
	(void)snprintf(r->last_guid, sizeof(r->last_guid), "%s", f->guid);
	r->nasked++;
	buf_release(&out);
}

/*
 * Ask GitHub to redeliver the 'n' guids failed[asks[k]] of app 'v' and
 * record each answer.  Returns 0, or -1 when a call or the database
 * failed (logged and counted).
 */
static int
ask_redeliveries(struct run *r, struct github_app_variant *v,
    const struct redeliver_failed *failed, const size_t *asks, size_t n,
    struct counts *cnt)
{
	int64_t app_id = jwt_app_id(v->app), asked;
	struct github_call *calls = NULL;
	struct ask_path {
		char s[64];
	} *paths = NULL;
	const char *jwt;
	char when[32];
	int64_t t0;
	int rc = -1;

	if (n == 0)
		return 0;
	if ((calls = calloc(n, sizeof(*calls))) == NULL ||
	    (paths = calloc(n, sizeof(*paths))) == NULL) {
		log_warnx("out of memory");
		goto out;
	}
	/* One JWT for all: github_app_jwt() is not called again under them. */
	if ((jwt = github_app_jwt(v, time(NULL))) == NULL)
		goto out;
	for (size_t k = 0; k < n; k++) {
		(void)snprintf(paths[k].s, sizeof(paths[k].s),
		    "/app/hook/deliveries/%" PRId64 "/attempts",
		    failed[asks[k]].id);
		calls[k].method = "POST";
		calls[k].path = paths[k].s;
		calls[k].jwt = jwt;
		calls[k].want_error_body = true;
	}
	/* When the driver fails, the calls it left have status 0. */
	t0 = clock_wall_ms();
	rc = github_multi_run(r->cr->client, calls, n, PARALLEL);
	for (size_t k = 0; k < n; k++) {
		const struct redeliver_failed *f = &failed[asks[k]];
		const struct github_response *resp = &calls[k].resp;

		step_ask(r, app_id, f, resp, t0);
		if (resp->status == 0) {
			log_warnx("app '%" PRId64 "': delivery '%s': asking "
			          "for a redelivery: %s",
			    app_id, f->guid, resp->error);
			cnt->failed++;
			rc = -1;
			continue;
		}
		if (db_redeliver_record(r->cr->db, app_id, f, resp->status,
		        r->cr->op.id, &asked) != DB_OK)
			rc = -1;
		if (resp->status >= 200 && resp->status < 300) {
			cnt->requested++;
			log_info("app '%" PRId64 "': delivery '%s' (%s at %s, "
			         "status %d): redelivery %" PRId64 " of %d "
			         "requested",
			    app_id, f->guid,
			    f->event[0] != '\0' ? f->event : "-",
			    utc(f->delivered_at, when, sizeof(when)),
			    f->status_code, asked, REDELIVER_MAX_ASKS);
		} else {
			cnt->failed++;
			rc = -1;
			log_warnx("app '%" PRId64 "': delivery '%s': asking "
			          "for a redelivery: HTTP %ld '%.100s'",
			    app_id, f->guid, resp->status,
			    resp->message != NULL ? resp->message : "");
		}
	}
out:
	for (size_t k = 0; calls != NULL && k < n; k++)
		github_response_release(&calls[k].resp);
	free(calls);
	free(paths);
	return rc;
}

/*
 * Sweep the deliveries of app variant 'v'.  The high-water mark moves to
 * the newest delivery listed only when every page was read, every missed
 * guid was asked for or skipped on purpose, and every call succeeded.
 * Returns 0, or CRONRUN_FAILED when a call or the database failed.
 */
static int
sweep_app(struct run *r, struct github_app_variant *v, struct counts *cnt)
{
	int64_t app_id = jwt_app_id(v->app);
	struct redeliver_list list;
	struct redeliver_failed *failed = NULL;
	struct redeliver_state *states = NULL;
	enum redeliver_verdict *verdicts = NULL;
	size_t *asks = NULL, nfailed = 0, nask = 0, over_cap = 0;
	time_t swept_until, newest = 0;
	bool complete = false;
	int rc = CRONRUN_FAILED;

	memset(&list, 0, sizeof(list));
	if (db_redeliver_sweep_get(r->cr->db, app_id, &swept_until) != DB_OK)
		goto out;
	if (list_deliveries(r, v, redeliver_cutoff(time(NULL), swept_until),
	        &list, &complete, cnt) == -1)
		goto out;
	cnt->listed += list.n;
	for (size_t i = 0; i < list.n; i++)
		if (list.v[i].delivered_at > newest)
			newest = list.v[i].delivered_at;
	if (redeliver_group(list.v, list.n, &failed, &nfailed) == -1 ||
	    (nfailed > 0 &&
	        ((states = calloc(nfailed, sizeof(*states))) == NULL ||
	            (verdicts = calloc(nfailed, sizeof(*verdicts))) == NULL ||
	            (asks = calloc(nfailed, sizeof(*asks))) == NULL))) {
		log_warnx("out of memory");
		goto out;
	}
	if (db_redeliver_states_get(r->cr->db, failed, nfailed, states) !=
	    DB_OK)
		goto out;
	redeliver_plan(states, nfailed, &r->budget, verdicts);
	for (size_t i = 0; i < nfailed; i++) {
		if (verdicts[i] == REDELIVER_IN_LOG)
			continue;
		cnt->missed++;
		if (verdicts[i] == REDELIVER_ASK)
			asks[nask++] = i;
		else
			cnt->skipped++;
		if (verdicts[i] == REDELIVER_OVER_CAP)
			over_cap++;
	}
	if (over_cap > 0)
		log_warnx("app '%" PRId64 "': %zu missed deliveries left for "
		          "the next run (INSTLOG_REDELIVER_MAX reached)",
		    app_id, over_cap);
	if (ask_redeliveries(r, v, failed, asks, nask, cnt) == -1)
		goto out;
	rc = 0;
	if (complete && over_cap == 0 && newest != 0 &&
	    db_redeliver_sweep_put(r->cr->db, app_id, newest) != DB_OK)
		rc = CRONRUN_FAILED;
out:
	redeliver_list_release(&list);
	free(failed);
	free(states);
	free(verdicts);
	free(asks);
	return rc;
}

/*
 * Sweep every configured app (an id configured twice once).  Returns the
 * exit status: 0, or CRONRUN_FAILED.
 */
static int
run_sweep(struct run *r, struct counts *cnt)
{
	int64_t seen[APPS__MAX] = { 0 };
	size_t nseen = 0;
	bool dup;
	int rc = 0;

	for (size_t i = 0; i < APPS__MAX; i++) {
		struct github_app_variant *v = &r->cr->apps.v[i];

		if (v->app == NULL)
			continue;
		dup = false;
		for (size_t k = 0; k < nseen; k++)
			dup = dup || seen[k] == jwt_app_id(v->app);
		if (dup)
			continue;
		seen[nseen++] = jwt_app_id(v->app);
		cnt->apps++;
		if (sweep_app(r, v, cnt) != 0)
			rc = CRONRUN_FAILED;
	}
	if (db_redeliver_prune(r->cr->db) != DB_OK)
		rc = CRONRUN_FAILED;
	return rc;
}

/* The operation's input: the run's knobs. */
static int
start(struct cronrun *cr, void *arg)
{
	static const char *const knobs[] = { "max", "max_pages" };
	int64_t vals[2];

	(void)arg;
	vals[0] = (int64_t)cr->cfg.redeliver_max;
	vals[1] = (int64_t)cr->cfg.redeliver_pages;
	return cronrun_input_ints(cr, knobs, vals, 2);
}

/*
 * Sweep (the lock held), set the operation's output and external_ref
 * and print the summary.  Returns run_sweep()'s exit status.
 */
static int
run(struct cronrun *cr, void *arg)
{
	static const char *const counts[] = { "apps", "listed", "missed",
		"requested", "skipped", "failed" };
	struct run *r = arg;
	struct counts cnt;
	int64_t vals[6];
	int rc;

	r->cr = cr;
	r->budget = cr->cfg.redeliver_max;
	r->max_pages = cr->cfg.redeliver_pages;
	memset(&cnt, 0, sizeof(cnt));
	github_client_set_limits(cr->client, 0, LIST_MAX_RESPONSE);
	rc = run_sweep(r, &cnt);
	vals[0] = (int64_t)cnt.apps;
	vals[1] = (int64_t)cnt.listed;
	vals[2] = (int64_t)cnt.missed;
	vals[3] = (int64_t)cnt.requested;
	vals[4] = (int64_t)cnt.skipped;
	vals[5] = (int64_t)cnt.failed;
	/* One guid asked: the sweep is about it (external_ref). */
	if (r->nasked == 1)
		cr->op.external_ref = r->last_guid;
	if (ops_json_ints(&cr->output, counts, vals, 6) == -1)
		log_warnx("out of memory");
	cronrun_summary(cr,
	    "apps=%zu listed=%zu missed=%zu requested=%zu skipped=%zu "
	    "failed=%zu",
	    cnt.apps, cnt.listed, cnt.missed, cnt.requested, cnt.skipped,
	    cnt.failed);
	return rc;
}

int
main(void)
{
	static const struct cronrun_def def = { "redeliver",
		CONFIG_NEED_APPS | CONFIG_USE_REDELIVER, DB_REDELIVER_LOCK_KEY,
		start, run, false };
	struct run r; /* outlives the run: the operation's external_ref */

	memset(&r, 0, sizeof(r));
	return cronrun_main(&def, &r);
}
