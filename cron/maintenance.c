/* SPDX-License-Identifier: MIT */
/*
 * maintenance, a daily operation (docs/data-model.md#operations): create
 * the partitions of installation_events (3 months) and of operations (7
 * days) ahead, and drop the operations partitions older than
 * INSTLOG_OPERATIONS_RETENTION_DAYS (default 30).  installation_events is
 * never deleted.  Exit status: 0 done, 1 the database failed, 2 bad
 * configuration.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cronrun.h"
#include "db_ops.h"
#include "json.h"
#include "log.h"
#include "ops.h"
#include "str.h"

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
	int64_t t0 = ops_now_ms(), created, vals[2];
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
	if (ops_json_ints(&cr->input, knobs, &keep, 1) == -1) {
		log_warnx("out of memory");
		return -1;
	}
	return 0;
}

/*
 * The partition steps and the retention step (the lock held), the
 * operation's output and the summary.  Returns the exit status.
 */
static int
run(struct cronrun *cr, void *arg)
{
	struct json_writer w;
	struct buf dropped;
	size_t days = cr->cfg.ops_retention_days;
	int64_t t0, keep = (int64_t)days;
	int rc = CRONRUN_OK;

	(void)arg;
	buf_init(&dropped);
	if (step_ensure(cr->db, &cr->op, "installation_events partitions",
	        false, EVENTS_MONTHS) == -1 ||
	    step_ensure(cr->db, &cr->op, "operations partitions", true,
	        OPS_DAYS) == -1)
		rc = CRONRUN_FAILED;
	(void)db_ops_flush(cr->db, &cr->op);
	t0 = ops_now_ms();
	if (db_ops_drop_partitions(cr->db, (int)days, &dropped) == DB_OK) {
		json_writer_init(&w, &cr->output);
		json_open_object(&w);
		json_member_int(&w, "keep_days", keep);
		json_put_key(&w, "dropped");
		json_put_raw(&w, dropped.buf, dropped.len);
		json_close_object(&w);
		if (json_writer_finish(&w) == -1 ||
		    buf_append(&cr->output, "", 1) == -1 ||
		    ops_step(&cr->op, "retention", t0, cr->output.buf, NULL,
		        NULL, 0) == -1)
			log_warnx("out of memory");
	} else {
		const char *msg = db_error_message(cr->db);

		(void)ops_step(&cr->op, "retention", t0, NULL,
		    "cannot drop old partitions", msg, strlen(msg));
		rc = CRONRUN_FAILED;
	}
	cronrun_summary(cr, "operation=%lld keep_days=%zu dropped=%s",
	    (long long)cr->op.id, days,
	    dropped.buf != NULL ? dropped.buf : "?");
	buf_release(&dropped);
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
