/* SPDX-License-Identifier: MIT */
/* POST /webhook: verify a GitHub delivery and record it in the log. */
#include "core/auth.h"
#include "db/db_webhook.h"
#include "net/spool.h"
#include "run/app.h"
#include "run/ingest.h"

/* Signature first: every signed delivery gets its row (ingest_live()). */
static void
handle(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct delivery_headers h = { http_param(req, "HTTP_X_GITHUB_EVENT"),
		http_param(req, "HTTP_X_GITHUB_DELIVERY"),
		http_param(req, "HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_ID"),
		http_param(req, "HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_TYPE"),
		NULL, http_param(req, "REQUEST_ID") };
	const char *sig = http_param(req, "HTTP_X_HUB_SIGNATURE_256");
	const char *event = h.event; /* ingest_live() empties 'h' */
	struct ingest_result r;
	enum outcome_fate fate;

	if (h.event == NULL || *h.event == '\0') {
		http_error(resp, 400, "missing X-GitHub-Event header");
		return;
	}
	if (auth_webhook_verify(&app->cfg, sig, app->body.buf, app->body.len)) {
		metrics_inc(app->counters, METRICS_SIGNATURE_FAILURES);
		http_error(resp, 401,
		    sig == NULL ? "missing X-Hub-Signature-256 header"
		                : "signature does not match");
		return;
	}
	app_body_trusted(app);
	fate = ingest_live(app->db, app->batch, app->side_batch, &app->cfg, &h,
	    sig, app->body.buf, app->body.len, &r);
	if (fate == OUTCOME_SPOOLED)
		http_reply_bool(resp, outcome_answer_status(fate, r.outcome),
		    "spooled", true);
	else if (fate == OUTCOME_LOST ||
	    ingest_result_write(&r, &resp->body) == -1)
		http_error(resp, outcome_answer_status(OUTCOME_LOST, r.outcome),
		    "service unavailable");
	else
		resp->status = outcome_answer_status(fate, r.outcome);
	ingest_count(app->counters, event, fate, &r);
}

static int
start(struct app *app) /* a spool dir others can write is refused */
{
	return spool_check(app->cfg.spool_dir);
}

int
main(int argc, char **argv)
{
	static const struct app_def def = {
		.name = "webhook",
		.config_need = CONFIG_NEED_DB | CONFIG_NEED_WEBHOOK_SECRET,
		.method = "POST",
		.read_body = true,
		/*
		 * nginx gives up at 8 s: after the database's 5 s the
		 * delivery may still have to be spooled (two fsyncs, and
		 * every delivery held at once when the database is down).
		 */
		.db_budget_ms = 5000,
		.start = start,
		.handle = handle,
		.counters = true,
		.threads = 16,
		.group_commit = 2,
		.commit_write = db_event_write,
		.side_write = db_job_write,
	};

	return app_main(&def, argc, argv);
}
