/* SPDX-License-Identifier: MIT */
/*
 * auth_check: ask GitHub for an installation token of every installation
 * with pending jobs and record why it said no
 * (docs/architecture.md#auth-check).  Run by cron every minute.  Exit
 * status: 0 done, 1 a request failed at transport level or the database
 * failed, 2 bad configuration (GitHub refusing GET /app included).
 */
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
#include "db/db_auth_check.h"
#include "db/db_ops.h"
#include "run/cronrun.h"

struct run {
	struct cronrun *cr;
};

struct counts {
	size_t checked;
	size_t cached;
	size_t ok;
	size_t not_found;
	size_t other;
	size_t transport;
};

/* One request of this run and the target it is for. */
struct check {
	const struct db_auth_check_target *target;
	struct github_app_variant *variant;
	char path[64];
};

/*
 * Append the JSON of a refused installation's step to 'out': what was
 * asked, what GitHub answered, the row written and the jobs failed
 * ('jobs': "1,2,3" from the database).  Returns 0 or -1.
 */
static int
failure_output(struct buf *out, const struct db_auth_check_failure *f,
    int64_t event_id, const char *jobs)
{
	struct json_writer w;

	json_writer_init(&w, out);
	json_open_object(&w);
	json_member_int(&w, "installation_id", f->target->installation_id);
	json_member_int(&w, "app_id", f->app_id);
	json_member_int(&w, "entity_id", f->target->entity_id);
	json_member_int(&w, "http_status", f->http_status);
	json_member_int(&w, "event_id", event_id);
	json_put_key(&w, "jobs_failed");
	json_open_array(&w);
	for (const char *p = jobs; p != NULL && *p != '\0';) {
		size_t k = strcspn(p, ",");
		char num[24];
		int64_t job;

		(void)snprintf(num, sizeof(num), "%.*s", (int)k, p);
		if (parse_int64(num, 1, INT64_MAX, &job) == 0)
			json_put_int(&w, job);
		p += k + (p[k] == ',');
	}
	json_close_array(&w);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_append(out, "", 1) == -1)
		return -1;
	return 0;
}

/*
 * Record a refused authentication; when GitHub said the installation
 * does not exist, fail the pending jobs.  Adds the installation's failed
 * step to the operation: GitHub's status, message and body, the row
 * written and the jobs failed.  Returns 0, or -1 when the database
 * failed (logged).
 */
/*
 * GitHub was not reached for 'ck': an auth_attempt.transport_error row
 * (the diagnosis's github_unavailable; jobs untouched) and the failed
 * step of the operation.  Logs what fails.
 */
static void
record_transport(struct run *r, const struct check *ck,
    const struct github_response *resp, int64_t started_ms)
{
	struct db_auth_check_failure f;
	char name[24], *jobs = NULL;
	int64_t id = 0, nfailed = 0;

	memset(&f, 0, sizeof(f));
	f.target = ck->target;
	f.app_id = jwt_app_id(ck->variant->app);
	f.message = resp->error;
	f.transport = true;
	f.operation_id = r->cr->op.id;
	if (db_auth_check_failure_record(r->cr->db, &f, &id, &nfailed, &jobs) !=
	    DB_OK)
		log_warnx("installation '%" PRId64 "': cannot record the "
		          "transport error",
		    ck->target->installation_id);
	free(jobs);
	(void)snprintf(name, sizeof(name), "%" PRId64,
	    ck->target->installation_id);
	if (ops_step(&r->cr->op, name, started_ms, NULL, resp->error, NULL,
	        0) == -1)
		log_warnx("out of memory");
}

static int
record_failure(struct run *r, const struct check *ck,
    const struct github_response *resp, int64_t started_ms)
{
	const struct db_auth_check_target *t = ck->target;
	struct db_auth_check_failure f;
	struct buf out, err;
	char name[24], *jobs = NULL;
	int64_t id = 0, nfailed = 0;
	enum db_status st;
	int rc = -1;

	buf_init(&out);
	buf_init(&err);
	memset(&f, 0, sizeof(f));
	f.target = t;
	f.app_id = jwt_app_id(ck->variant->app);
	f.http_status = resp->status;
	f.message = resp->message;
	f.not_found = github_is_not_found(resp);
	f.operation_id = r->cr->op.id;
	st = db_auth_check_failure_record(r->cr->db, &f, &id, &nfailed, &jobs);
	if (st == DB_REFUSED) {
		/* The database refused GitHub's text: keep the row without. */
		f.message = NULL;
		st = db_auth_check_failure_record(r->cr->db, &f, &id, &nfailed,
		    &jobs);
	}
	if (st != DB_OK)
		log_warnx("installation '%" PRId64 "': cannot record HTTP %ld",
		    t->installation_id, resp->status);
	else if (f.not_found)
		log_info("installation '%" PRId64 "': app '%" PRId64 "': HTTP "
		         "404 '%.100s': event %" PRId64 ", %" PRId64 " pending "
		         "jobs failed",
		    t->installation_id, f.app_id,
		    resp->message != NULL ? resp->message : "", id, nfailed);
	else
		log_info("installation '%" PRId64 "': app '%" PRId64 "': HTTP "
		         "%ld '%.100s': event %" PRId64 ", jobs left pending",
		    t->installation_id, f.app_id, resp->status,
		    resp->message != NULL ? resp->message : "", id);
	(void)snprintf(name, sizeof(name), "%" PRId64, t->installation_id);
	if (failure_output(&out, &f, id, jobs) == -1 ||
	    buf_printf(&err, "HTTP %ld", resp->status) == -1 ||
	    (resp->message != NULL &&
	        buf_printf(&err, ": %.300s", resp->message) == -1) ||
	    (nfailed > 0 &&
	        buf_printf(&err, "; %" PRId64 " pending jobs failed",
	            nfailed) == -1) ||
	    (st != DB_OK && buf_puts(&err, "; not recorded") == -1) ||
	    buf_append(&err, "", 1) == -1 ||
	    ops_step(&r->cr->op, name, started_ms, out.buf, err.buf,
	        resp->body.buf != NULL ? resp->body.buf : "",
	        resp->body.len) == -1)
		log_warnx("out of memory");
	else if (st == DB_OK)
		rc = 0;
	free(jobs);
	buf_release(&out);
	buf_release(&err);
	return rc;
}

/*
 * One step for the installations GitHub authenticated (201): named by
 * the installation when there is one, else counted.  Returns 0 or -1.
 */
static int
step_successes(struct run *r, const int64_t *inst, size_t n, int64_t started_ms)
{
	struct ops_step s;
	struct json_writer w;
	struct buf out;
	char name[24];
	int rc = -1;

	if (n == 0)
		return 0;
	buf_init(&out);
	json_writer_init(&w, &out);
	json_open_object(&w);
	json_member_int(&w, "http_status", 201);
	json_put_key(&w, "installation_ids");
	json_open_array(&w);
	for (size_t i = 0; i < n; i++)
		json_put_int(&w, inst[i]);
	json_close_array(&w);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_append(&out, "", 1) == -1)
		goto out;
	memset(&s, 0, sizeof(s));
	(void)snprintf(name, sizeof(name), "%" PRId64, inst[0]);
	s.name = n == 1 ? name : (char *)(uintptr_t) "installations";
	s.started_ms = started_ms;
	s.duration_ms = clock_wall_ms() - started_ms;
	s.count = (int64_t)n;
	s.output = out.buf;
	rc = ops_step_add(&r->cr->op, &s);
out:
	buf_release(&out);
	return rc;
}

/*
 * The step of app variant 'v': "jwt:org" or "jwt:user", its JWT signed
 * and checked with GET /app; failed with 'why', or with GitHub's status,
 * message and body.
 */
static void
step_app(struct run *r, struct github_app_variant *v, int64_t t0,
    const struct github_response *resp, const char *why)
{
	static const char *const names[APPS__MAX] = { "jwt:org", "jwt:user" };
	static const char *const keys[] = { "app_id", "http_status" };
	int64_t vals[2];
	struct buf out;
	char err[160];
	const char *e = why;

	vals[0] = jwt_app_id(v->app);
	vals[1] = resp->status;
	if (e == NULL && resp->status == 0)
		e = resp->error;
	else if (e == NULL && (resp->status < 200 || resp->status > 299)) {
		(void)snprintf(err, sizeof(err), "GET /app: HTTP %ld: %.100s",
		    resp->status, resp->message != NULL ? resp->message : "");
		e = err;
	}
	buf_init(&out);
	if (ops_json_ints(&out, keys, vals, 2) == -1 ||
	    ops_step(&r->cr->op, names[v - r->cr->apps.v], t0, out.buf, e,
	        e != NULL ? resp->body.buf : NULL, resp->body.len) == -1)
		log_warnx("out of memory");
	buf_release(&out);
}

/*
 * Ask GitHub about app variant 'v' itself (GET /app with its JWT at
 * 'now'): it answers 200 only when GITHUB_API_URL is the API and the app
 * id and key belong together.  Otherwise every installation would be
 * refused for the same reason.  Returns 0; or, after one line on stderr,
 * CRONRUN_FAILED when GitHub could not be reached or failed (5xx), and
 * CRONRUN_CONFIG for any other answer.
 */
static int
app_check(struct run *r, struct github_app_variant *v, time_t now,
    struct github_call *out)
{
	struct github_call call;
	int64_t id = jwt_app_id(v->app), t0 = clock_wall_ms();
	int rc = CRONRUN_FAILED;

	memset(out, 0, sizeof(*out));
	memset(&call, 0, sizeof(call));
	call.method = "GET";
	call.path = "/app";
	call.want_error_body = true;
	if ((call.jwt = github_app_jwt(v, now)) == NULL) {
		step_app(r, v, t0, &call.resp, "cannot sign the app's JWT");
		return CRONRUN_FAILED;
	}
	if (github_call_run(r->cr->client, &call) == -1 ||
	    call.resp.status == 0)
		log_warnx("app '%" PRId64 "': GET %s/app: %s; nothing checked",
		    id, r->cr->cfg.github_api_url, call.resp.error);
	else if (call.resp.status >= 200 && call.resp.status < 300)
		rc = 0;
	else {
		log_warnx("app '%" PRId64 "': GET %s/app: HTTP %ld '%.100s': "
		          "check GITHUB_API_URL and the app's id and key; "
		          "nothing checked",
		    id, r->cr->cfg.github_api_url, call.resp.status,
		    call.resp.message != NULL ? call.resp.message : "");
		if (call.resp.status < 500)
			rc = CRONRUN_CONFIG;
	}
	step_app(r, v, t0, &call.resp, NULL);
	if (rc == CRONRUN_FAILED)
		*out = call;
	else
		github_response_release(&call.resp);
	return rc;
}

/*
 * GitHub was not reached, or failed, when asked about app variant 'v'
 * (its answer 'resp', at 'started_ms'): the installations of 'checks' it
 * would have asked about get the failure row they would have had, so that
 * their traces say github_unavailable.
 */
static void
record_unreached(struct run *r, const struct check *checks, size_t m,
    const struct github_app_variant *v, const struct github_response *resp,
    int64_t started_ms)
{
	for (size_t i = 0; i < m; i++) {
		if (checks[i].variant != v)
			continue;
		if (resp->status == 0)
			record_transport(r, &checks[i], resp, started_ms);
		else
			(void)record_failure(r, &checks[i], resp, started_ms);
	}
}

/*
 * Check every installation due (the lock held).  Returns the exit
 * status: 0, or CRONRUN_FAILED when a request or the database failed; or,
 * with *stopped set, app_check()'s when an app variant failed it.
 */
static int
run_check(struct run *r, struct counts *cnt, bool *stopped)
{
	struct db_auth_check_targets targets;
	struct check *checks = NULL;
	struct github_call *calls = NULL, unreached;
	int64_t *ok_inst = NULL, *ok_app = NULL, t0;
	size_t m = 0, nok = 0;
	time_t now;
	int rc = CRONRUN_FAILED;

	memset(&targets, 0, sizeof(targets));
	if (db_auth_check_targets_get(r->cr->db, r->cr->cfg.app_org.id,
	        r->cr->cfg.app_user.id, &targets) != DB_OK)
		goto out;
	cnt->cached = targets.ncached;
	if (targets.n > 0 &&
	    ((checks = calloc(targets.n, sizeof(*checks))) == NULL ||
	        (calls = calloc(targets.n, sizeof(*calls))) == NULL ||
	        (ok_inst = calloc(targets.n, sizeof(*ok_inst))) == NULL ||
	        (ok_app = calloc(targets.n, sizeof(*ok_app))) == NULL)) {
		log_warnx("out of memory");
		goto out;
	}
	now = time(NULL);
	for (size_t i = 0; i < targets.n; i++) {
		const struct db_auth_check_target *t = &targets.v[i];
		struct check *ck = &checks[m];

		if ((ck->variant = github_app_for_entity(&r->cr->apps,
		         t->entity_type)) == NULL) {
			log_warnx("installation '%" PRId64 "': no app "
			          "configured for entity type '%s': skipped",
			    t->installation_id,
			    t->entity_type != NULL ? t->entity_type : "");
			continue;
		}
		/*
		 * One JWT per app per run, signed on first use.  It is valid
		 * for 9 minutes (JWT_LIFETIME); with the 20 s total
		 * timeout per request that covers 27 rounds even if every
		 * request times out, i.e. 1,728 installations at the default
		 * parallelism.  A run due to check more while GitHub is that
		 * slow would see late requests refused with 401 (recorded as
		 * auth_attempt.other_error): not handled yet.  The same 'now'
		 * for every call: no JWT is signed again, so none of the
		 * pointers in calls[] is freed under them.
		 */
		if ((calls[m].jwt = github_app_jwt(ck->variant, now)) == NULL)
			goto out;
		calls[m].want_error_body = true;
		if (ops_touch(&r->cr->op, t->installation_id, t->entity_id) ==
		    -1) {
			log_warnx("out of memory");
			goto out;
		}
		ck->target = t;
		(void)snprintf(ck->path, sizeof(ck->path),
		    "/app/installations/%" PRId64 "/access_tokens",
		    t->installation_id);
		calls[m].method = "POST";
		calls[m].path = ck->path;
		m++;
	}
	/* Each variant in use, once, before any installation. */
	for (size_t k = 0; k < APPS__MAX; k++) {
		bool used = false;

		for (size_t i = 0; i < m && !used; i++)
			used = checks[i].variant == &r->cr->apps.v[k];
		if (used &&
		    (rc = app_check(r, &r->cr->apps.v[k], now, &unreached)) !=
		        0) {
			if (rc == CRONRUN_FAILED)
				record_unreached(r, checks, m,
				    &r->cr->apps.v[k], &unreached.resp,
				    clock_wall_ms());
			github_response_release(&unreached.resp);
			*stopped = true;
			goto out;
		}
	}
	cnt->checked = m;
	rc = 0;
	/* The app steps are stored before the calls start. */
	(void)db_ops_flush(r->cr->db, &r->cr->op);
	t0 = clock_wall_ms();
	if (github_multi_run(r->cr->client, calls, m,
	        r->cr->cfg.auth_parallel) == -1)
		rc = CRONRUN_FAILED;
	for (size_t k = 0; k < m; k++) {
		const struct github_response *resp = &calls[k].resp;
		const struct check *ck = &checks[k];

		if (resp->status == 0) {
			cnt->transport++;
			rc = CRONRUN_FAILED;
			log_warnx("installation '%" PRId64 "': %s",
			    ck->target->installation_id, resp->error);
			record_transport(r, ck, resp, t0);
		} else if (resp->status >= 200 && resp->status < 300) {
			ok_inst[nok] = ck->target->installation_id;
			ok_app[nok] = jwt_app_id(ck->variant->app);
			nok++;
		} else {
			if (github_is_not_found(resp))
				cnt->not_found++;
			else
				cnt->other++;
			if (record_failure(r, ck, resp, t0) == -1)
				rc = CRONRUN_FAILED;
		}
	}
	cnt->ok = nok;
	if (step_successes(r, ok_inst, nok, t0) == -1)
		log_warnx("out of memory");
	if (db_auth_check_cache_put(r->cr->db, ok_inst, ok_app, nok) != DB_OK)
		rc = CRONRUN_FAILED;
out:
	for (size_t k = 0; calls != NULL && k < m; k++)
		github_response_release(&calls[k].resp);
	free(calls);
	free(checks);
	free(ok_inst);
	free(ok_app);
	db_auth_check_targets_release(&targets);
	return rc;
}

/* The operation's input: the requests in flight at once. */
static int
start(struct cronrun *cr, void *arg)
{
	static const char *const keys[] = { "parallel" };
	int64_t parallel = (int64_t)cr->cfg.auth_parallel;

	(void)arg;
	return cronrun_input_ints(cr, keys, &parallel, 1);
}

/*
 * Check every installation due (the lock held), set the operation's
 * output and print the summary.  Returns run_check()'s exit status, with
 * no summary when GET /app failed (its one line said it).
 */
static int
run(struct cronrun *cr, void *arg)
{
	static const char *const counts[] = { "checked", "cached", "ok", "404",
		"other", "transport_errors" };
	struct run r = { cr };
	struct counts cnt;
	int64_t vals[6];
	bool stopped = false;
	int rc;

	(void)arg;
	memset(&cnt, 0, sizeof(cnt));
	rc = run_check(&r, &cnt, &stopped);
	vals[0] = (int64_t)cnt.checked;
	vals[1] = (int64_t)cnt.cached;
	vals[2] = (int64_t)cnt.ok;
	vals[3] = (int64_t)cnt.not_found;
	vals[4] = (int64_t)cnt.other;
	vals[5] = (int64_t)cnt.transport;
	if (ops_json_ints(&cr->output, counts, vals, 6) == -1)
		log_warnx("out of memory");
	if (!stopped)
		cronrun_summary(cr,
		    "checked=%zu cached=%zu ok=%zu 404=%zu other=%zu "
		    "transport_errors=%zu",
		    cnt.checked, cnt.cached, cnt.ok, cnt.not_found, cnt.other,
		    cnt.transport);
	return rc;
}

int
main(void)
{
	static const struct cronrun_def def = { "auth_check",
		CONFIG_NEED_APPS | CONFIG_USE_AUTH_CHECK,
		DB_AUTH_CHECK_LOCK_KEY, start, run, false };

	return cronrun_main(&def, NULL);
}
