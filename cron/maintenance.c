/* SPDX-License-Identifier: MIT */
/*
 * maintenance: the daily run, itself an operation (DESIGN §9): create
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

#define RETENTION_DEFAULT 30
#define RETENTION_MAX     3650
#define EVENTS_MONTHS     3
#define OPS_DAYS          7

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
	enum db_status st = db_partitions_ensure(db, operations, ahead,
	    &created);
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

int
main(void)
{
	static const char *const knobs[] = { "keep_days" };
	struct cronrun cr;
	struct json_writer w;
	struct buf input, dropped, out;
	size_t days = 0;
	int64_t t0, keep;
	bool locked = false;
	int rc = CRONRUN_CONFIG;

	memset(&cr, 0, sizeof(cr));
	buf_init(&input);
	buf_init(&dropped);
	buf_init(&out);
	if (cronrun_init(&cr, "maintenance", 0) == -1 ||
	    cronrun_env_size("INSTLOG_OPERATIONS_RETENTION_DAYS", 1,
	        RETENTION_MAX, RETENTION_DEFAULT, &days) == -1)
		goto out;
	keep = (int64_t)days;
	if (ops_json_ints(&input, knobs, &keep, 1) == -1) {
		log_warnx("out of memory");
		goto out;
	}
	if ((rc = cronrun_lock(&cr, DB_MAINTENANCE_LOCK_KEY, input.buf,
	         &locked)) != CRONRUN_OK ||
	    !locked)
		goto out; /* failed (said), or another run is at it */
	if (step_ensure(cr.db, &cr.op, "installation_events partitions",
	        false, EVENTS_MONTHS) == -1 ||
	    step_ensure(cr.db, &cr.op, "operations partitions", true,
	        OPS_DAYS) == -1)
		rc = CRONRUN_FAILED;
	(void)db_ops_flush(cr.db, &cr.op);
	t0 = ops_now_ms();
	if (db_ops_drop_partitions(cr.db, (int)days, &dropped) == DB_OK) {
		json_writer_init(&w, &out);
		json_open_object(&w);
		json_member_int(&w, "keep_days", keep);
		json_put_key(&w, "dropped");
		json_put_raw(&w, dropped.buf, dropped.len);
		json_close_object(&w);
		if (json_writer_finish(&w) == -1 ||
		    buf_append(&out, "", 1) == -1 ||
		    ops_step(&cr.op, "retention", t0, out.buf, NULL, NULL, 0) ==
		        -1)
			log_warnx("out of memory");
	} else {
		const char *msg = db_error_message(cr.db);

		(void)ops_step(&cr.op, "retention", t0, NULL,
		    "cannot drop old partitions", msg, strlen(msg));
		rc = CRONRUN_FAILED;
	}
	rc = cronrun_finish(&cr, rc, out.buf, "the database failed");
	cronrun_summary(&cr, "operation=%lld keep_days=%zu dropped=%s",
	    (long long)cr.op.id, days,
	    dropped.buf != NULL ? dropped.buf : "?");
out:
	buf_release(&input);
	buf_release(&dropped);
	buf_release(&out);
	cronrun_release(&cr);
	return rc;
}
