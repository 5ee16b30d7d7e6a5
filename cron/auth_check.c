/* SPDX-License-Identifier: MIT */
/*
 * auth_check: ask GitHub for an installation token of every installation
 * with pending jobs and record why it said no (DESIGN §5).  Run by cron
 * every minute.  Exit status: 0 done, 1 a request failed at transport
 * level or the database failed, 2 bad configuration.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apps.h"
#include "config.h"
#include "db.h"
#include "db_auth.h"
#include "db_ops.h"
#include "github.h"
#include "json.h"
#include "log.h"
#include "ops.h"
#include "str.h"

#define EXIT_TRANSPORT 1
#define EXIT_CONFIG    2

/*
 * Requests in flight at once; INSTLOG_AUTH_PARALLEL overrides.  64, not
 * 16: 1,000 installations at 50 ms each take 3.2 s at 16 and 0.9 s at 64
 * (bench/RESULTS.md), and 64 stays under GitHub's limit of 100 concurrent
 * requests.
 */
#define PARALLEL_DEFAULT 64
#define PARALLEL_MAX     256

#define USER_AGENT "instlog-auth-check"

struct run {
	struct config		 cfg;
	struct apps		 apps;
	struct github_client	*client;
	struct db		*db;
	size_t			 parallel;
	struct ops_run op; /* this run's operation */
};

struct counts {
	size_t	checked;
	size_t	cached;
	size_t	ok;
	size_t	not_found;
	size_t	other;
	size_t	transport;
};

/* One request of this run and the target it is for. */
struct check {
	const struct db_auth_target	*target;
	struct apps_variant		*variant;
	char				 path[64];
};

/*
 * Load the configuration, the keys and the client.  Returns 0, or -1
 * after one line on stderr saying what is wrong.
 */
static int
run_init(struct run *r)
{
	const char *v;
	int64_t n;

	if (config_load(&r->cfg, CONFIG_NEED_DB | CONFIG_NEED_APPS) == -1)
		return -1;
	r->parallel = PARALLEL_DEFAULT;
	v = getenv("INSTLOG_AUTH_PARALLEL");
	if (v != NULL && *v != '\0') {
		if (parse_int64(v, 1, PARALLEL_MAX, &n) == -1) {
			log_warnx("config: INSTLOG_AUTH_PARALLEL: not an "
			          "integer in 1..%d: '%s'",
			    PARALLEL_MAX, v);
			return -1;
		}
		r->parallel = (size_t)n;
	}
	if (apps_load(&r->apps, &r->cfg) == -1)
		return -1;
	if ((r->client = github_client_new(r->cfg.github_api_url,
	         USER_AGENT)) == NULL)
		return -1;
	if ((r->db = db_new(r->cfg.database_url, "instlog-auth-check")) ==
	    NULL) {
		log_warnx("out of memory");
		return -1;
	}
	return 0;
}

static void
run_release(struct run *r)
{
	ops_release(&r->op);
	db_free(r->db);
	github_client_free(r->client);
	apps_release(&r->apps);
	config_release(&r->cfg);
}

/*
 * Record a refused authentication; for a 404, fail the pending jobs.  Adds
 * the installation's failed step to the operation: GitHub's status,
 * message and body, the row written and the jobs failed.  Returns 0, or
 * -1 when the database failed (logged).
 */
static int
record_failure(struct run *r, const struct check *ck,
    const struct github_response *resp, int64_t started_ms)
{
	const struct db_auth_target *t = ck->target;
	struct db_auth_failure f;
	struct json_writer w;
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
	f.operation_id = r->op.id;
	st = db_auth_failure_record(r->db, &f, &id, &nfailed, &jobs);
	if (st == DB_REFUSED) {
		/* The database refused GitHub's text: keep the row without. */
		f.message = NULL;
		st = db_auth_failure_record(r->db, &f, &id, &nfailed, &jobs);
	}
	if (st != DB_OK)
		log_warnx("installation '%" PRId64 "': cannot record HTTP %ld",
		    t->installation_id, resp->status);
	else if (resp->status == 404)
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
	json_writer_init(&w, &out);
	json_open_object(&w);
	json_member_int(&w, "installation_id", t->installation_id);
	json_member_int(&w, "app_id", f.app_id);
	json_member_int(&w, "entity_id", t->entity_id);
	json_member_int(&w, "http_status", resp->status);
	json_member_int(&w, "event_id", id);
	json_put_key(&w, "jobs_failed");
	json_open_array(&w);
	/* "1,2,3" from the database: integers and commas only. */
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
	if (json_writer_finish(&w) == -1 || buf_append(&out, "", 1) == -1 ||
	    buf_printf(&err, "HTTP %ld", resp->status) == -1 ||
	    (resp->message != NULL &&
	        buf_printf(&err, ": %.300s", resp->message) == -1) ||
	    (nfailed > 0 &&
	        buf_printf(&err, "; %" PRId64 " pending jobs failed",
	            nfailed) == -1) ||
	    (st != DB_OK && buf_puts(&err, "; not recorded") == -1) ||
	    buf_append(&err, "", 1) == -1 ||
	    ops_step(&r->op, name, started_ms, out.buf, err.buf,
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
	s.duration_ms = ops_now_ms() - started_ms;
	s.count = (int64_t)n;
	s.output = out.buf;
	rc = ops_step_add(&r->op, &s);
out:
	buf_release(&out);
	return rc;
}

/*
 * Sign (or reuse) the JWT of variant 'v' and, the first time in this run,
 * record a "jwt:org" / "jwt:user" step.  Returns the JWT, or NULL when it
 * could not be signed (the step says so).
 */
static const char *
sign_jwt(struct run *r, struct apps_variant *v, time_t now, bool *stepped)
{
	static const char *const names[APPS__MAX] = { "jwt:org", "jwt:user" };
	size_t k = (size_t)(v - r->apps.v);
	int64_t t0 = ops_now_ms();
	const char *jwt = apps_jwt(v, now);
	static const char *const keys[] = { "app_id" };
	int64_t app = jwt_app_id(v->app);
	struct buf out;

	if (stepped[k])
		return jwt;
	stepped[k] = true;
	buf_init(&out);
	if (ops_json_ints(&out, keys, &app, 1) == -1 ||
	    ops_step(&r->op, names[k], t0, out.buf,
	        jwt == NULL ? "cannot sign the app's JWT" : NULL, NULL,
	        0) == -1)
		log_warnx("out of memory");
	buf_release(&out);
	return jwt;
}

/*
 * Start this run's operation, once it holds the lock: the running rows
 * of earlier runs are theirs, dead.  A failure is logged and the check
 * goes on without one.
 */
static void
op_start(struct run *r)
{
	static const char *const keys[] = { "parallel" };
	struct db_ops_origin origin;
	struct buf input;
	int64_t n, p;

	memset(&origin, 0, sizeof(origin));
	p = (int64_t)r->parallel;
	buf_init(&input);
	if (ops_json_ints(&input, keys, &p, 1) == 0)
		origin.input = input.buf;
	if (db_ops_abandon(r->db, "auth_check", true, 0, &n) == DB_OK && n > 0)
		log_info("%" PRId64 " earlier run(s) marked abandoned", n);
	if (db_ops_start(r->db, &r->op, &origin) != DB_OK)
		log_warnx("cannot record the operation: going on without");
	buf_release(&input);
}

/*
 * Check every installation due.  Returns the exit status: 0, or
 * EXIT_TRANSPORT when a request or the database failed.
 */
static int
run_check(struct run *r, struct counts *cnt, bool *locked)
{
	struct db_auth_targets targets;
	struct check *checks = NULL;
	struct github_call *calls = NULL;
	int64_t *ok_inst = NULL, *ok_app = NULL, t0;
	size_t m = 0, nok = 0;
	bool stepped[APPS__MAX] = { false };
	time_t now;
	int rc = EXIT_TRANSPORT;

	memset(&targets, 0, sizeof(targets));
	if (db_auth_lock_try(r->db, locked) != DB_OK)
		goto out;
	if (!*locked) {
		rc = 0;
		goto out;
	}
	op_start(r);
	if (db_auth_targets_get(r->db, r->cfg.app_org.id, r->cfg.app_user.id,
	        &targets) != DB_OK)
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
		const struct db_auth_target *t = &targets.v[i];
		struct check *ck = &checks[m];

		if ((ck->variant = apps_for_entity(&r->apps, t->entity_type)) ==
		    NULL) {
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
		if ((calls[m].jwt = sign_jwt(r, ck->variant, now, stepped)) ==
		    NULL)
			goto out;
		calls[m].want_error_body = true;
		if (ops_touch(&r->op, t->installation_id, t->entity_id) == -1) {
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
	cnt->checked = m;
	rc = 0;
	/* The JWT steps are stored before the calls start. */
	(void)db_ops_flush(r->db, &r->op);
	t0 = ops_now_ms();
	if (github_multi_run(r->client, calls, m, r->parallel) == -1)
		rc = EXIT_TRANSPORT;
	for (size_t k = 0; k < m; k++) {
		const struct github_response *resp = &calls[k].resp;
		const struct check *ck = &checks[k];

		if (resp->status == 0) {
			char name[24];

			cnt->transport++;
			rc = EXIT_TRANSPORT;
			log_warnx("installation '%" PRId64 "': %s",
			    ck->target->installation_id, resp->error);
			(void)snprintf(name, sizeof(name), "%" PRId64,
			    ck->target->installation_id);
			if (ops_step(&r->op, name, t0, NULL, resp->error, NULL,
			        0) == -1)
				log_warnx("out of memory");
		} else if (resp->status >= 200 && resp->status < 300) {
			ok_inst[nok] = ck->target->installation_id;
			ok_app[nok] = jwt_app_id(ck->variant->app);
			nok++;
		} else {
			if (resp->status == 404)
				cnt->not_found++;
			else
				cnt->other++;
			if (record_failure(r, ck, resp, t0) == -1)
				rc = EXIT_TRANSPORT;
		}
	}
	cnt->ok = nok;
	if (step_successes(r, ok_inst, nok, t0) == -1)
		log_warnx("out of memory");
	if (db_auth_cache_put(r->db, ok_inst, ok_app, nok) != DB_OK)
		rc = EXIT_TRANSPORT;
out:
	for (size_t k = 0; calls != NULL && k < m; k++)
		github_response_release(&calls[k].resp);
	free(calls);
	free(checks);
	free(ok_inst);
	free(ok_app);
	db_auth_targets_release(&targets);
	return rc;
}

int
main(void)
{
	struct run r;
	struct counts cnt;
	struct timespec t0, t1;
	bool locked = false;
	int rc = EXIT_CONFIG;
	long long ms;
	static const char *const keys[] = { "checked", "cached", "ok", "404",
		"other", "transport_errors" };
	int64_t vals[6];
	struct buf output;

	memset(&r, 0, sizeof(r));
	memset(&cnt, 0, sizeof(cnt));
	buf_init(&output);
	log_init("auth_check");
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	if (run_init(&r) == -1)
		goto out;
	ops_init(&r.op, "auth_check", ops_now_ms());
	rc = run_check(&r, &cnt, &locked);
	if (!locked && rc == 0)
		goto out; /* another run holds the lock: quietly */
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	vals[0] = (int64_t)cnt.checked;
	vals[1] = (int64_t)cnt.cached;
	vals[2] = (int64_t)cnt.ok;
	vals[3] = (int64_t)cnt.not_found;
	vals[4] = (int64_t)cnt.other;
	vals[5] = (int64_t)cnt.transport;
	if (ops_json_ints(&output, keys, vals, 6) == -1)
		log_warnx("out of memory");
	if (db_ops_finish(r.db, &r.op, output.buf,
	        rc != 0 && !ops_has_failed(&r.op) ? "run: the database failed"
	                                          : NULL) != DB_OK)
		rc = EXIT_TRANSPORT;
	printf("auth_check: checked=%zu cached=%zu ok=%zu 404=%zu other=%zu "
	       "transport_errors=%zu ms=%lld\n",
	    cnt.checked, cnt.cached, cnt.ok, cnt.not_found, cnt.other,
	    cnt.transport, ms);
out:
	buf_release(&output);
	run_release(&r);
	return rc;
}
