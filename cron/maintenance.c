/* SPDX-License-Identifier: MIT */
/*
 * maintenance, a daily operation (docs/data-model.md#operations): create
 * the partitions of installation_events (3 months) and of operations (7
 * days) ahead, drop the operations partitions older than
 * INSTLOG_OPERATIONS_RETENTION_DAYS (default 30), and delete the
 * notifications as old whose every send ended, with their sends.
 * installation_events is never deleted.  Exit status: 0 done, 1 the
 * database failed, 2 bad configuration.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/ops.h"
#include "core/str.h"
#include "db/db_notify.h"
#include "db/db_ops.h"
#include "run/cronrun.h"

#define EVENTS_MONTHS 3
#define OPS_DAYS      7

/*
 * One partition step: "<name>" with {"created":N}, failed with libpq's
 * message.  Returns 0 or -1 (the database failed).
 */
static int
step_ensure(struct db *db, struct ops_run *op, const char *name,
    bool operations, int ahead)
{
	static const char *const keys[] = { "ahead", "created" };
	int64_t t0 = clock_wall_ms(), created, vals[2];
	struct buf out;
	enum db_status st =
	    db_partitions_ensure(db, operations, ahead, &created);
	const char *msg = db_error_message(db);

	vals[0] = ahead;
	vals[1] = created;
	buf_init(&out);
	(void)ops_json_ints(&out, keys, vals, 2);
	(void)ops_step(op, name, t0, out.buf,
	    st == DB_OK ? NULL : "cannot create partitions",
	    st == DB_OK ? NULL : msg, strlen(msg));
	buf_release(&out);
	return st == DB_OK ? 0 : -1;
}

/* The operation's input: the days of operations kept. */
static int
start(struct cronrun *cr, void *arg)
{
	static const char *const knobs[] = { "keep_days" };
	int64_t keep = (int64_t)cr->cfg.ops_retention_days;

	(void)arg;
	return cronrun_input_ints(cr, knobs, &keep, 1);
}

/*
 * Delete the notifications (and their sends) older than 'keep' days whose
 * every send ended: the step "notifications retention" with
 * {"keep_days","notifications","sends"}, failed with libpq's message.
 * Sets *pruned to the notifications deleted.  Returns 0 or -1 (the
 * database failed).
 */
static int
step_notifications(struct db *db, struct ops_run *op, int64_t keep,
    int64_t *pruned)
{
	static const char *const keys[] = { "keep_days", "notifications",
		"sends" };
	int64_t t0 = clock_wall_ms(), vals[3];
	struct buf out;
	enum db_status st = db_notify_prune(db, (int)keep, &vals[1], &vals[2]);
	const char *msg = db_error_message(db);

	vals[0] = keep;
	*pruned = vals[1];
	buf_init(&out);
	if (ops_json_ints(&out, keys, vals, 3) == -1)
		log_warnx("out of memory");
	(void)ops_step(op, "notifications retention", t0, out.buf,
	    st == DB_OK ? NULL : "cannot delete old notifications",
	    st == DB_OK ? NULL : msg, strlen(msg));
	buf_release(&out);
	return st == DB_OK ? 0 : -1;
}

/* Write the JSON array of the names of the dropped partitions. */
static void
put_dropped(struct json_writer *w, const struct db_ops_dropped *dropped)
{
	json_open_array(w);
	for (size_t i = 0; i < dropped->n; i++)
		json_put_string(w, dropped->v[i]);
	json_close_array(w);
}

/*
 * Write {"keep_days","dropped"} ('dropped' the array of partition names)
 * and, when 'pruned' is not NULL, "notifications_pruned" into 'out',
 * NUL-terminated.  Returns 0 or -1 (out of memory).
 */
static int
retention_json(struct buf *out, int64_t keep,
    const struct db_ops_dropped *dropped, const int64_t *pruned)
{
	struct json_writer w;

	json_writer_init(&w, out);
	json_open_object(&w);
	json_member_int(&w, "keep_days", keep);
	json_put_key(&w, "dropped");
	put_dropped(&w, dropped);
	if (pruned != NULL)
		json_member_int(&w, "notifications_pruned", *pruned);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1)
		return -1;
	return buf_append(out, "", 1);
}

/*
 * The partition steps and the retention steps (the lock held), the
 * operation's output and the summary.  Returns the exit status.
 */
static int
run(struct cronrun *cr, void *arg)
{
	struct db_ops_dropped dropped;
	struct buf line, names;
	struct json_writer w;
	size_t days = cr->cfg.ops_retention_days;
	int64_t t0, keep = (int64_t)days, pruned = 0;
	int rc = CRONRUN_OK;
	bool was_dropped;

	(void)arg;
	buf_init(&line);
	buf_init(&names);
	if (step_ensure(cr->db, &cr->op, "installation_events partitions",
	        false, EVENTS_MONTHS) == -1 ||
	    step_ensure(cr->db, &cr->op, "operations partitions", true,
	        OPS_DAYS) == -1)
		rc = CRONRUN_FAILED;
	(void)db_ops_flush(cr->db, &cr->op);
	t0 = clock_wall_ms();
	was_dropped =
	    db_ops_drop_partitions(cr->db, (int)days, &dropped) == DB_OK;
	if (was_dropped) {
		json_writer_init(&w, &names);
		put_dropped(&w, &dropped);
		if (json_writer_finish(&w) == -1)
			buf_release(&names); /* "?" in the summary */
		if (retention_json(&line, keep, &dropped, NULL) == -1 ||
		    ops_step(&cr->op, "retention", t0, line.buf, NULL, NULL,
		        0) == -1)
			log_warnx("out of memory");
	} else {
		const char *msg = db_error_message(cr->db);

		(void)ops_step(&cr->op, "retention", t0, NULL,
		    "cannot drop old partitions", msg, strlen(msg));
		rc = CRONRUN_FAILED;
	}
	/*
	 * After the operations partitions: a notification of a failed
	 * operation goes only once its operation is gone.
	 */
	if (step_notifications(cr->db, &cr->op, keep, &pruned) == -1)
		rc = CRONRUN_FAILED;
	if (was_dropped &&
	    retention_json(&cr->output, keep, &dropped, &pruned) == -1)
		log_warnx("out of memory");
	cronrun_summary(cr,
	    "operation=%lld keep_days=%zu dropped=%s notifications=%lld",
	    (long long)cr->op.id, days, names.buf != NULL ? names.buf : "?",
	    (long long)pruned);
	db_ops_dropped_release(&dropped);
	buf_release(&line);
	buf_release(&names);
	return rc;
}

int
main(void)
{
	static const struct cronrun_def def = { "maintenance",
		CONFIG_USE_MAINTENANCE, DB_MAINTENANCE_LOCK_KEY, start, run,
		false };

	return cronrun_main(&def, NULL);
}
