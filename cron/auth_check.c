/* SPDX-License-Identifier: MIT */
/*
 * auth_check: ask GitHub for an installation token of every installation
 * with pending jobs and record why it said no (DESIGN §5).  Run by cron
 * every minute.  Exit status: 0 done, 1 a request failed at transport
 * level or the database failed, 2 bad configuration (GitHub refusing
 * GET /app included).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cronrun.h"
#include "db_auth.h"
#include "log.h"

struct run {
	struct cronrun *cr;
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
 * Record a refused authentication; for a 404, fail the pending jobs.
 * Returns 0, or -1 when the database failed (logged).
 */
static int
record_failure(struct run *r, const struct check *ck,
    const struct github_response *resp)
{
	const struct db_auth_target *t = ck->target;
	struct db_auth_failure f;
	int64_t id, nfailed;
	enum db_status st;

	memset(&f, 0, sizeof(f));
	f.target = t;
	f.app_id = jwt_app_id(ck->variant->app);
	f.http_status = resp->status;
	f.message = resp->message;
	f.not_found = github_is_not_found(resp);
	st = db_auth_failure_record(r->cr->db, &f, &id, &nfailed);
	if (st == DB_REFUSED) {
		/* The database refused GitHub's text: keep the row without. */
		f.message = NULL;
		st = db_auth_failure_record(r->cr->db, &f, &id, &nfailed);
	}
	if (st != DB_OK) {
		log_warnx("installation '%" PRId64 "': cannot record HTTP %ld",
		    t->installation_id, resp->status);
		return -1;
	}
	if (f.not_found)
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
	return 0;
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
app_check(struct run *r, struct apps_variant *v, time_t now)
{
	struct github_call call;
	int64_t id = jwt_app_id(v->app);
	int rc = CRONRUN_FAILED;

	memset(&call, 0, sizeof(call));
	call.method = "GET";
	call.path = "/app";
	if ((call.jwt = apps_jwt(v, now)) == NULL)
		return CRONRUN_FAILED;
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
	github_response_release(&call.resp);
	return rc;
}

/*
 * Check every installation due (the lock held) and print the summary.
 * Returns the exit status: 0, or CRONRUN_FAILED when a request or the
 * database failed; or app_check()'s when an app variant failed it, with
 * no summary (its one line said it).
 */
static int
run(struct cronrun *cr, void *arg)
{
	struct run run = { cr }, *r = &run;
	struct counts counts, *cnt = &counts;
	bool stopped = false;
	struct db_auth_targets targets;
	struct check *checks = NULL;
	struct github_call *calls = NULL;
	int64_t *ok_inst = NULL, *ok_app = NULL;
	size_t m = 0, nok = 0;
	time_t now;
	int rc = CRONRUN_FAILED;

	(void)arg;
	memset(&targets, 0, sizeof(targets));
	memset(cnt, 0, sizeof(*cnt));
	if (db_auth_targets_get(r->cr->db, r->cr->cfg.app_org.id,
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
		const struct db_auth_target *t = &targets.v[i];
		struct check *ck = &checks[m];

		if ((ck->variant = apps_for_entity(&r->cr->apps,
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
		if ((calls[m].jwt = apps_jwt(ck->variant, now)) == NULL)
			goto out;
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
		if (used && (rc = app_check(r, &r->cr->apps.v[k], now)) != 0) {
			stopped = true;
			goto out;
		}
	}
	cnt->checked = m;
	rc = 0;
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
		} else if (resp->status >= 200 && resp->status < 300) {
			ok_inst[nok] = ck->target->installation_id;
			ok_app[nok] = jwt_app_id(ck->variant->app);
			nok++;
		} else {
			if (github_is_not_found(resp))
				cnt->not_found++;
			else
				cnt->other++;
			if (record_failure(r, ck, resp) == -1)
				rc = CRONRUN_FAILED;
		}
	}
	cnt->ok = nok;
	if (db_auth_cache_put(r->cr->db, ok_inst, ok_app, nok) != DB_OK)
		rc = CRONRUN_FAILED;
out:
	for (size_t k = 0; calls != NULL && k < m; k++)
		github_response_release(&calls[k].resp);
	free(calls);
	free(checks);
	free(ok_inst);
	free(ok_app);
	db_auth_targets_release(&targets);
	if (!stopped)
		cronrun_summary(cr,
		    "checked=%zu cached=%zu ok=%zu 404=%zu other=%zu "
		    "transport_errors=%zu",
		    cnt->checked, cnt->cached, cnt->ok, cnt->not_found,
		    cnt->other, cnt->transport);
	return rc;
}

int
main(void)
{
	return cronrun_main("auth_check",
	    CONFIG_NEED_APPS | CONFIG_USE_AUTH_CHECK, DB_AUTH_LOCK_KEY, run,
	    NULL);
}
