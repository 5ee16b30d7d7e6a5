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

#include "config.h"
#include "db.h"
#include "db_ops.h"
#include "json.h"
#include "log.h"
#include "ops.h"
#include "str.h"

#define RETENTION_DEFAULT 30
#define RETENTION_MAX     3650
#define EVENTS_MONTHS     3
#define OPS_DAYS          7

/* Read INSTLOG_OPERATIONS_RETENTION_DAYS into *days.  Returns 0 or -1. */
static int
retention_days(int64_t *days)
{
	const char *v = getenv("INSTLOG_OPERATIONS_RETENTION_DAYS");

	*days = RETENTION_DEFAULT;
	if (v == NULL || *v == '\0')
		return 0;
	if (parse_int64(v, 1, RETENTION_MAX, days) == -1) {
		log_warnx("config: INSTLOG_OPERATIONS_RETENTION_DAYS: not an "
		          "integer in 1..%d: '%s'",
		    RETENTION_MAX, v);
		return -1;
	}
	return 0;
}

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
	struct config cfg;
	struct ops_run op;
	struct db_ops_origin origin;
	struct json_writer w;
	struct db *db = NULL;
	struct buf dropped, out;
	int64_t days, t0, dead;
	bool locked = false;
	int rc = 2;

	log_init("maintenance");
	memset(&cfg, 0, sizeof(cfg));
	memset(&origin, 0, sizeof(origin));
	ops_init(&op, "maintenance", ops_now_ms());
	buf_init(&dropped);
	buf_init(&out);
	if (config_load(&cfg, CONFIG_NEED_DB) == -1 ||
	    retention_days(&days) == -1)
		goto out;
	rc = 1;
	if ((db = db_new(cfg.database_url, "instlog-maintenance")) == NULL) {
		log_warnx("out of memory");
		goto out;
	}
	if (db_lock_try(db, DB_MAINTENANCE_LOCK_KEY, &locked) != DB_OK)
		goto out;
	if (!locked) {
		rc = 0; /* another run is at it */
		goto out;
	}
	if (db_ops_abandon(db, "maintenance", true, 0, &dead) != DB_OK ||
	    db_ops_start(db, &op, &origin) != DB_OK)
		goto out;
	rc = 0;
	if (step_ensure(db, &op, "installation_events partitions", false,
	        EVENTS_MONTHS) == -1 ||
	    step_ensure(db, &op, "operations partitions", true, OPS_DAYS) ==
	        -1)
		rc = 1;
	(void)db_ops_flush(db, &op);
	t0 = ops_now_ms();
	if (db_ops_drop_partitions(db, (int)days, &dropped) == DB_OK) {
		json_writer_init(&w, &out);
		json_open_object(&w);
		json_member_int(&w, "keep_days", days);
		json_put_key(&w, "dropped");
		json_put_raw(&w, dropped.buf, dropped.len);
		json_close_object(&w);
		if (json_writer_finish(&w) == -1 ||
		    buf_append(&out, "", 1) == -1)
			log_warnx("out of memory");
		(void)ops_step(&op, "retention", t0, out.buf, NULL, NULL, 0);
	} else {
		const char *msg = db_error_message(db);

		(void)ops_step(&op, "retention", t0, NULL,
		    "cannot drop old partitions", msg, strlen(msg));
		rc = 1;
	}
	if (db_ops_finish(db, &op, out.buf, NULL) != DB_OK)
		rc = 1;
	printf("maintenance: operation=%" PRId64 " keep_days=%" PRId64
	       " dropped=%s\n",
	    op.id, days, dropped.buf != NULL ? dropped.buf : "?");
out:
	buf_release(&dropped);
	buf_release(&out);
	ops_release(&op);
	db_free(db);
	config_release(&cfg);
	return rc;
}
