/* SPDX-License-Identifier: MIT */
/* Record one verified delivery: the jobs side effect, then the log row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "log.h"
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
    const char *attempt_key, const char *body, size_t len,
    struct ingest_result *res)
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
	if (db_down) {
		rc = INGEST_DB_DOWN;
		goto out;
	}
	(void)snprintf(res->event, sizeof(res->event), "%s", d.event);

	memset(&ev, 0, sizeof(ev));
	ev.received_at = received_at;
	ev.attempt_key = attempt_key;
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
	if (st != DB_OK)
		goto out;
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
