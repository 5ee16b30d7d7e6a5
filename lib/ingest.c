/* SPDX-License-Identifier: MIT */
/* Record one verified delivery: the jobs side effect, then the log row. */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_ops.h"
#include "json.h"
#include "log.h"
#include "ops.h"
#include "str.h"

/*
 * Apply the jobs side effect of 'd' and return the outcome of the
 * delivery.  Sets *db_down when the failure was the connection.
 */
static enum outcome
apply_jobs(struct db *db, const struct delivery *d, int *db_down)
{
	struct db_job job;
	enum db_status st;

	switch (d->kind) {
	case DELIVERY_RECORD:
		return OUTCOME_OK;
	case DELIVERY_IGNORED_ACTION:
		return OUTCOME_IGNORED_ACTION;
	case DELIVERY_IGNORED_NO_LABEL:
		return OUTCOME_IGNORED_NO_LABEL;
	case DELIVERY_UNHANDLED:
		return OUTCOME_UNHANDLED_EVENT;
	case DELIVERY_INVALID:
		return OUTCOME_INVALID_PAYLOAD;
	case DELIVERY_JOB_QUEUED:
		memset(&job, 0, sizeof(job));
		job.job_id = d->job_id;
		job.entity_id = d->entity_id;
		job.entity_type = d->entity_type;
		job.entity_name = d->entity_name;
		job.installation_id = d->installation_id;
		job.app_id = d->app_id;
		job.repo_full_name = d->repo_full_name;
		job.labels_json = d->labels_json;
		job.html_url = d->html_url;
		st = db_job_insert(db, &job);
		if (st == DB_OK)
			return OUTCOME_JOB_STORED;
		if (st == DB_CONFLICT)
			return OUTCOME_JOB_ALREADY_EXISTS;
		break;
	case DELIVERY_JOB_RUNNING:
	case DELIVERY_JOB_COMPLETED:
		st = db_job_advance(db, d->job_id,
		    d->kind == DELIVERY_JOB_RUNNING ? "running" : "completed");
		if (st == DB_NOTFOUND)
			return OUTCOME_JOB_NOT_FOUND;
		if (st == DB_OK)
			return d->kind == DELIVERY_JOB_RUNNING ?
			    OUTCOME_JOB_MARKED_RUNNING :
			    OUTCOME_JOB_MARKED_COMPLETED;
		break;
	default:
		abort();
	}
	*db_down = st == DB_UNAVAILABLE;
	return OUTCOME_JOB_WRITE_FAILED;
}

enum ingest_status
ingest_delivery(struct db *db, const struct config *cfg,
    const struct delivery_headers *h, const char *received_at,
    const char *body, size_t len, struct ingest_result *res)
{
	struct delivery d;
	struct db_event ev;
	struct buf why;
	enum db_status st;
	enum ingest_status rc = INGEST_ERROR;
	char *delivery_id = NULL;
	const char *reason;
	int db_down = 0;

	memset(res, 0, sizeof(*res));
	buf_init(&why);
	if (delivery_parse(cfg, h, body, len, &d) == -1) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	res->outcome = apply_jobs(db, &d, &db_down);
	if (res->outcome == OUTCOME_JOB_WRITE_FAILED)
		(void)snprintf(res->why, sizeof(res->why), "%s",
		    db_error_message(db));
	else if (res->outcome == OUTCOME_INVALID_PAYLOAD)
		(void)snprintf(res->why, sizeof(res->why), "%s",
		    d.invalid_reason != NULL ? d.invalid_reason : "invalid");
	if (db_down) {
		rc = INGEST_DB_DOWN;
		goto out;
	}
	(void)snprintf(res->event, sizeof(res->event), "%s", d.event);

	memset(&ev, 0, sizeof(ev));
	ev.received_at = received_at;
	ev.source = "webhook";
	ev.event = d.event;
	ev.outcome = outcome_name(res->outcome);
	ev.delivery_id = h->delivery_id;
	/* A header with ill-formed UTF-8 would make text refuse the row. */
	if (h->delivery_id != NULL &&
	    !is_utf8(h->delivery_id, strlen(h->delivery_id))) {
		if ((delivery_id = utf8_dup(h->delivery_id)) == NULL)
			goto out;
		ev.delivery_id = delivery_id;
	}
	ev.app_id = d.app_id;
	ev.installation_id = d.installation_id;
	ev.entity_type = d.entity_type;
	ev.entity_id = d.entity_id;
	ev.entity_name = d.entity_name;
	ev.request_id = h->request_id;
	ev.payload = len == 0 ? "{}" : body;
	/* jsonb refuses what cJSON only took once repaired: skip the try. */
	st = d.is_json && !d.json_repaired ? db_event_insert(db, &ev, &res->id)
	                                   : DB_REFUSED;
	if (st == DB_REFUSED) {
		/* jsonb refused the body: keep the bytes and say why. */
		if (!d.is_json)
			reason = d.invalid_reason;
		else if (d.json_repaired)
			reason = "unpaired UTF-16 surrogate escape";
		else
			reason = "payload not storable as jsonb";
		if (buf_puts(&why, "{\"stored_raw\":true,\"reason\":") == -1 ||
		    buf_put_json_string(&why, reason) == -1 ||
		    buf_puts(&why, "}") == -1)
			goto out;
		ev.payload = why.buf;
		ev.raw = body;
		ev.rawlen = len;
		st = db_event_insert(db, &ev, &res->id);
	}
	if (st == DB_UNAVAILABLE) {
		rc = INGEST_DB_DOWN;
		goto out;
	}
	if (st != DB_OK) {
		(void)snprintf(res->why, sizeof(res->why), "%s",
		    db_error_message(db));
		goto out;
	}
	if (res->outcome == OUTCOME_INVALID_PAYLOAD)
		rc = INGEST_INVALID;
	else if (res->outcome == OUTCOME_JOB_WRITE_FAILED)
		rc = INGEST_JOB_FAILED;
	else
		rc = INGEST_OK;
out:
	free(delivery_id);
	buf_release(&why);
	delivery_release(&d);
	return rc;
}

int
ingest_result_json(const struct ingest_result *res, struct buf *out)
{
	struct json_writer w;

	json_writer_init(&w, out);
	json_open_object(&w);
	json_member_int(&w, "event_id", res->id);
	json_member_string(&w, "outcome", outcome_name(res->outcome));
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_append(out, "", 1) == -1)
		return -1;
	out->len--;
	return 0;
}

void
ingest_record_operation(struct db *db, const struct delivery_headers *h,
    enum ingest_status st, const struct ingest_result *res, bool spooled)
{
	struct ops_run op;
	struct db_ops_origin origin;
	struct json_writer w;
	struct buf in, out;
	int64_t now = ops_now_ms();
	const char *why = res->why[0] != '\0' ? res->why : "failed";
	int rc = 0;

	if (st == INGEST_OK || st == INGEST_DB_DOWN)
		return;
	ops_init(&op, "delivery", now);
	buf_init(&in);
	buf_init(&out);
	memset(&origin, 0, sizeof(origin));
	origin.request_id = h->request_id;
	origin.external_ref = h->delivery_id;
	json_writer_init(&w, &in);
	json_open_object(&w);
	json_member_string(&w, "event", h->event);
	json_member_string(&w, "delivery_id", h->delivery_id);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_append(&in, "", 1) == -1 ||
	    ingest_result_json(res, &out) == -1)
		goto oom;
	origin.input = in.buf;
	rc |= ops_step(&op, "verify", now, NULL, NULL, NULL, 0);
	switch (st) {
	case INGEST_INVALID:
		rc |= ops_step(&op, "parse", now, NULL, "invalid payload", why,
		    strlen(why));
		rc |= ops_step(&op, "log row", now, out.buf, NULL, NULL, 0);
		break;
	case INGEST_JOB_FAILED:
		rc |= ops_step(&op, "parse", now, NULL, NULL, NULL, 0);
		rc |= ops_step(&op, "jobs write", now, NULL,
		    "the jobs table was not updated", why, strlen(why));
		rc |= ops_step(&op, "log row", now, out.buf, NULL, NULL, 0);
		break;
	default:
		rc |= ops_step(&op, "log row", now, NULL,
		    "the row was not written", why, strlen(why));
		rc |= ops_step(&op, "spool", now, NULL,
		    spooled ? NULL : "not spooled", NULL, 0);
		break;
	}
	if (rc != 0)
		goto oom;
	if (db_ops_record(db, &op, &origin, res->id != 0 ? out.buf : NULL) !=
	    DB_OK)
		log_warnx("%s: delivery '%s': the operation was not recorded",
		    __func__, h->delivery_id != NULL ? h->delivery_id : "");
	goto out;
oom:
	log_warnx("%s: out of memory", __func__);
out:
	buf_release(&in);
	buf_release(&out);
	ops_release(&op);
}
