/* SPDX-License-Identifier: MIT */
/* Record one verified delivery: the log row and its jobs side effect. */
#include "run/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/ops.h"
#include "core/str.h"
#include "db/db_ops.h"
#include "db/db_webhook.h"
#include "net/spool.h"
#include "run/batch.h"

/*
 * Run the jobs write 'op': through the jobs group commit 'jobs' when
 * there is one, else on 'db'.  As db_job_apply(); the error text stays
 * on 'db'.
 */
static enum db_status
job_write(struct db *db, struct batch *jobs, const struct db_job_op *op)
{
	char why[BATCH_WHY];
	int64_t id;
	enum db_status st;

	if (jobs == NULL)
		return db_job_apply(db, op);
	st = batch_submit(jobs, op, sizeof(*op), db_deadline(db), &id, why);
	if (st != DB_OK && st != DB_CONFLICT && st != DB_NOTFOUND)
		db_set_error(db, why);
	return st;
}

/*
 * The jobs write that the outcome of 'd' stands for (job_stored,
 * job_marked_running, job_marked_completed; the others have none): set
 * 'op' ('job' for an insert) and *idle, the row's outcome when the write
 * finds nothing to do (job_already_exists, job_not_found).  Returns false
 * when d's outcome has no jobs write.
 */
static bool
job_op_of(const struct delivery *d, struct db_job *job, struct db_job_op *op,
    enum outcome *idle)
{
	memset(op, 0, sizeof(*op));
	switch (d->outcome) {
	case OUTCOME_JOB_STORED:
		memset(job, 0, sizeof(*job));
		job->job_id = d->job_id;
		job->entity_id = d->entity_id;
		job->entity_type = d->entity_type;
		job->entity_name = d->entity_name;
		job->installation_id = d->installation_id;
		job->app_id = d->app_id;
		job->repo_full_name = d->repo_full_name;
		job->labels_json = d->labels_json;
		job->html_url = d->html_url;
		op->insert = job;
		*idle = OUTCOME_JOB_ALREADY_EXISTS;
		return true;
	case OUTCOME_JOB_MARKED_RUNNING:
	case OUTCOME_JOB_MARKED_COMPLETED:
		op->job_id = d->job_id;
		op->status = d->outcome == OUTCOME_JOB_MARKED_RUNNING
		    ? "running"
		    : "completed";
		*idle = OUTCOME_JOB_NOT_FOUND;
		return true;
	default:
		return false;
	}
}

/*
 * Run the jobs write 'op' of a delivery of outcome 'done' in a
 * transaction of its own, through job_write(), and return the outcome of
 * the row: 'done', 'idle' when the write found nothing to do (the job was
 * there already; no such job), or job_write_failed.  Sets *db_down when
 * the failure was the connection.
 */
static enum outcome
apply_jobs(struct db *db, struct batch *jobs, const struct db_job_op *op,
    enum outcome done, enum outcome idle, int *db_down)
{
	enum db_status st = job_write(db, jobs, op);

	if (st == DB_OK)
		return done;
	if (st == (op->insert != NULL ? DB_CONFLICT : DB_NOTFOUND))
		return idle;
	*db_down = st == DB_UNAVAILABLE;
	return OUTCOME_JOB_WRITE_FAILED;
}

/*
 * Point *out at the header value 's' (NULL too) or, when 's' is not
 * well-formed UTF-8 (text would refuse the row), at a copy with U+FFFD
 * in its place, made in *copy for the caller to free.  Returns 0, or -1
 * when out of memory.
 */
static int
text_value(const char *s, char **copy, const char **out)
{
	*out = s;
	if (s == NULL || is_utf8(s, strlen(s)))
		return 0;
	if ((*copy = utf8_dup(s)) == NULL)
		return -1;
	*out = *copy;
	return 0;
}

/*
 * Append 'ev': through the group commit 'batch' when there is one, else
 * on 'db'.  As db_event_insert(); the error text stays on 'db'.
 */
static enum db_status
event_insert(struct db *db, struct batch *batch, const struct db_event *ev,
    int64_t *id)
{
	char why[BATCH_WHY];
	enum db_status st;

	if (batch == NULL)
		return db_event_insert(db, ev, id);
	st = batch_submit(batch, ev, db_event_size(ev), db_deadline(db), id,
	    why);
	if (st != DB_OK)
		db_set_error(db, why);
	return st;
}

/*
 * Write the jobs write 'op' of 'ev' and its row in one statement
 * (decisions #6) and set res->outcome to the one written.  Returns as
 * event_insert(); on a failure nothing is written and 'ev' is as before.
 */
static enum db_status
job_and_row(struct db *db, struct batch *batch, struct db_event *ev,
    const struct db_job_op *op, enum outcome idle, struct ingest_result *res)
{
	char written[DB_OUTCOME_MAX] = "";
	enum db_status st;

	ev->job = op;
	ev->outcome_idle = outcome_name(idle);
	ev->outcome_out = written;
	st = event_insert(db, batch, ev, &res->id);
	ev->job = NULL;
	ev->outcome_idle = NULL;
	ev->outcome_out = NULL;
	if (st == DB_OK && outcome_from_name(written, &res->outcome) == -1)
		log_warnx("%s: row %lld has the outcome '%s'", __func__,
		    (long long)res->id, written);
	return st;
}

int
ingest_delivery(struct db *db, struct batch *batch, struct batch *jobs,
    const struct config *cfg, const struct delivery_headers *h,
    const char *received_at, const char *attempt_key, const char *body,
    size_t len, struct ingest_result *res)
{
	struct delivery d;
	struct db_event ev;
	struct db_job job;
	struct db_job_op op;
	struct buf why;
	struct json_writer w;
	enum db_status st = DB_ERROR;
	enum outcome idle = OUTCOME_JOB_WRITE_FAILED;
	int rc = -1;
	char *delivery_id = NULL, *request_id = NULL;
	const char *reason;
	bool has_job;
	int db_down = 0;

	memset(res, 0, sizeof(*res));
	buf_init(&why);
	if (delivery_parse(cfg, h, body, len, &d) == -1) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	res->outcome = d.outcome;
	if (res->outcome == OUTCOME_INVALID_PAYLOAD)
		(void)snprintf(res->why, sizeof(res->why), "%s",
		    d.invalid_reason != NULL ? d.invalid_reason : "invalid");
	(void)snprintf(res->event, sizeof(res->event), "%s", d.event);

	memset(&ev, 0, sizeof(ev));
	ev.received_at = received_at;
	ev.attempt_key = attempt_key;
	ev.source = "webhook";
	ev.event = d.event;
	ev.outcome = outcome_name(res->outcome);
	if (text_value(h->delivery_id, &delivery_id, &ev.delivery_id) == -1 ||
	    text_value(h->request_id, &request_id, &ev.request_id) == -1)
		goto out;
	ev.app_id = d.app_id;
	ev.installation_id = d.installation_id;
	ev.entity_type = d.entity_type;
	ev.entity_id = d.entity_id;
	ev.entity_name = d.entity_name;
	ev.job_id = d.job_id;
	/*
	 * The exact text where jsonb will take it back (sql/020_body.sql)
	 * and a timeline row can be shown from columns (sql/021).
	 */
	if (len == 0)
		ev.payload = "{}";
	else if (d.doc_exact && json_jsonb_takes(body, len)) {
		ev.body = body;
		ev.actor = d.actor;
		ev.repo_full_name = d.repo_full_name;
	} else
		ev.payload = body;
	/*
	 * A delivery with a jobs write: the write and the row in one
	 * statement (decisions #6).  When that fails on anything but the
	 * connection, they are written apart as below: the jobs write in a
	 * transaction of its own first, then the row with what it found.
	 */
	has_job = job_op_of(&d, &job, &op, &idle);
	if (has_job && d.is_json && !d.json_repaired)
		st = job_and_row(db, batch, &ev, &op, idle, res);
	if (st == DB_OK || st == DB_UNAVAILABLE)
		goto written;
	if (has_job) {
		res->outcome =
		    apply_jobs(db, jobs, &op, d.outcome, idle, &db_down);
		ev.outcome = outcome_name(res->outcome);
		if (res->outcome == OUTCOME_JOB_WRITE_FAILED)
			(void)snprintf(res->why, sizeof(res->why), "%s",
			    db_error_message(db));
		if (db_down)
			goto out;
	}
	/* jsonb refuses what cJSON only took once repaired: skip the try. */
	st = d.is_json && !d.json_repaired
	    ? event_insert(db, batch, &ev, &res->id)
	    : DB_REFUSED;
	if (st == DB_REFUSED) {
		/* jsonb refused the body: keep the bytes and say why. */
		if (!d.is_json)
			reason = d.invalid_reason;
		else if (d.json_repaired)
			reason = "unpaired UTF-16 surrogate escape";
		else
			reason = "payload not storable as jsonb";
		json_writer_init(&w, &why);
		json_open_object(&w);
		json_member_bool(&w, "stored_raw", true);
		json_member_string(&w, "reason", reason);
		json_close_object(&w);
		if (json_writer_finish(&w) == -1)
			goto out;
		ev.body = ev.actor = ev.repo_full_name = NULL;
		ev.payload = why.buf;
		ev.raw = body;
		ev.rawlen = len;
		st = event_insert(db, batch, &ev, &res->id);
	}
written:
	if (st == DB_OK)
		rc = 0;
	else
		(void)snprintf(res->why, sizeof(res->why), "%s",
		    db_error_message(db));
out:
	free(delivery_id);
	free(request_id);
	buf_release(&why);
	delivery_release(&d);
	return rc;
}

/*
 * Record the `delivery` operation of a verified live delivery that did
 * not end 200 (docs/data-model.md#operations), from 'fate' and *res: the step
 * that failed with its detail (parse, jobs write, log row) and, when the
 * row could not be written, whether it was spooled.  Nothing is recorded
 * for a row of a 200 outcome, nor when the database is down (the replay
 * that stores the spooled delivery records it).  Failures are logged
 * only.
 */
static void
record_operation(struct db *db, const struct delivery_headers *h,
    enum outcome_fate fate, const struct ingest_result *res)
{
	struct ops_run op;
	struct db_ops_origin origin;
	struct json_writer w;
	struct buf in, out;
	int64_t now = clock_wall_ms();
	const char *why = res->why[0] != '\0' ? res->why : "failed";
	int rc = 0;

	if (fate == OUTCOME_RECORDED ? outcome_http_status(res->outcome) == 200
	                             : db_ping(db) != DB_OK)
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
	switch (fate != OUTCOME_RECORDED ? OUTCOME__MAX : res->outcome) {
	case OUTCOME_INVALID_PAYLOAD:
		rc |= ops_step(&op, "parse", now, NULL, "invalid payload", why,
		    strlen(why));
		rc |= ops_step(&op, "log row", now, out.buf, NULL, NULL, 0);
		break;
	case OUTCOME_JOB_WRITE_FAILED:
		rc |= ops_step(&op, "parse", now, NULL, NULL, NULL, 0);
		rc |= ops_step(&op, "jobs write", now, NULL,
		    "the jobs table was not updated", why, strlen(why));
		rc |= ops_step(&op, "log row", now, out.buf, NULL, NULL, 0);
		break;
	default:
		rc |= ops_step(&op, "log row", now, NULL,
		    "the row was not written", why, strlen(why));
		rc |= ops_step(&op, "spool", now, NULL,
		    fate == OUTCOME_SPOOLED ? NULL : "not spooled", NULL, 0);
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

enum outcome_fate
ingest_live(struct db *db, struct batch *batch, struct batch *jobs,
    const struct config *cfg, struct delivery_headers *h, const char *sig,
    const char *body, size_t len, struct ingest_result *res)
{
	struct delivery_header_copy copy;
	struct delivery_attempt at;
	enum outcome_fate fate = OUTCOME_LOST;

	delivery_headers_limit(h, &copy);
	if (delivery_attempt_new(&at) == -1)
		log_warnx("%s: no random bytes for the attempt key", __func__);
	else if (ingest_delivery(db, batch, jobs, cfg, h, at.received_at,
	             at.key, body, len, res) == 0)
		fate = OUTCOME_RECORDED;
	else if (spool_write(cfg->spool_dir, h, &at, sig, body, len) == 0)
		fate = OUTCOME_SPOOLED;
	record_operation(db, h, fate, res);
	/* 'copy' goes: 'h' must not point into it any more. */
	memset(h, 0, sizeof(*h));
	return fate;
}

int
ingest_result_write(const struct ingest_result *r, struct buf *out)
{
	struct json_writer w;

	json_writer_init(&w, out);
	json_open_object(&w);
	json_member_int(&w, "id", r->id);
	json_member_string(&w, "event", r->event);
	json_member_string(&w, "outcome", outcome_name(r->outcome));
	json_close_object(&w);
	if (json_writer_finish(&w) == -1)
		return -1;
	return buf_puts(out, "\n");
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
ingest_count(struct metrics *m, const char *event, enum outcome_fate fate,
    const struct ingest_result *res)
{
	metrics_add(m, METRICS_DELIVERIES, event,
	    outcome_answer_label(fate, res->outcome), 1);
}
