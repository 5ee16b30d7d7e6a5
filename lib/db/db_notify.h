/* SPDX-License-Identifier: MIT */
/* The notifier's queries: cursor, what to announce, queue, sends. */
#ifndef INSTLOG_DB_NOTIFY_H
#define INSTLOG_DB_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* The advisory lock of cron/notify ("instlog" and 4). */
#define DB_NOTIFY_LOCK_KEY 0x696e73746c6f6704LL

/*
 * Most sources read, sends attempted per sink, and sends abandoned, in
 * one run.
 */
#define DB_NOTIFY_BATCH 32

/* What one snapshot saw: its xmin and xmax (xid8 as text), the top id. */
struct db_notify_snapshot {
	char xmin[24];
	char xmax[24];
	int64_t max_id; /* 0: no row */
};

/*
 * Take the run's snapshot values, before it reads any source: every row
 * whose transaction ended before it is visible to the reads that follow.
 * Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_notify_snapshot(struct db *db,
    struct db_notify_snapshot *snap);

/*
 * The same snapshot values with the top operations.stream_seq instead of
 * the top log id (the operations' live tail, lib/run/stream.c).
 */
enum db_status db_notify_snapshot_ops(struct db *db,
    struct db_notify_snapshot *snap);

/*
 * Move the cursor (sql/010_notifications.sql) with 'snap', once every
 * source read since it was taken has been stored: settle the ids that no
 * transaction running before an earlier snapshot can still insert, and
 * note what 'snap' saw.  Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_notify_cursor_advance(struct db *db,
    const struct db_notify_snapshot *snap);

/*
 * A source not yet decided: an installation_events row of an announced
 * event ('payload' the parts of its payload notify_source_read() reads,
 * as JSON text) or a failed operation other than notify's own (row_id
 * 0, 'op_type' and 'op_error').  Strings are owned.
 */
struct db_notify_source {
	int64_t row_id;
	int64_t operation_id;
	char *occurred_at;
	char *action;
	int64_t installation_id;
	int64_t app_id;
	int64_t entity_id;
	char *entity_type;
	char *entity_login;
	char *payload;
	char *op_type;
	char *op_error;
};

struct db_notify_sources {
	struct db_notify_source *v;
	size_t n;
};

/*
 * Read at most DB_NOTIFY_BATCH log rows above the settled id whose event
 * is one of the NULL-terminated 'events', with no notification yet and
 * not a redelivery of an earlier row (same delivery_id and event), in id
 * order; then at most DB_NOTIFY_BATCH failed operations with none.  The
 * caller releases *out with db_notify_sources_release().  Returns DB_OK,
 * DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_notify_sources_get(struct db *db, const char *const *events,
    struct db_notify_sources *out);

/* Free what *s holds (NULL accepted). */
void db_notify_sources_release(struct db_notify_sources *s);

/* A decided notification to store. */
struct db_notify_new {
	int64_t row_id;       /* or */
	int64_t operation_id; /* a failed operation (row_id 0) */
	const char *action;
	int64_t installation_id;
	int64_t entity_id;
	const char *event_key;
	const char *body;       /* the gateway document */
	const char *slack_body; /* the Slack document */
	/* An auth failure: a repeat while the installation is not healthy. */
	bool is_auth;
	/* notify_cause(), or NULL: stored; an auth failure's dedupe key */
	const char *cause;
};

/*
 * Store 'n' with one send per sink named in the NULL-terminated 'sinks',
 * due now, in one statement.  An auth failure whose installation has an
 * announced failure of the same cause (its 'cause', else its action: a
 * 404, a failure of no cause, or one stored before sql/019 knew causes)
 * with no successful auth (auth_cache.ok_at) and no installation.created
 * or unsuspend row since is stored as a repeat of it, without body or
 * sends.  Sets *repeat_of
 * (0: announced).  A source already stored is left alone.  Returns
 * DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_notify_queue(struct db *db, const struct db_notify_new *n,
    const char *const *sinks, int64_t *repeat_of);

/* A send that is due. */
struct db_notify_send {
	int64_t notification_id;
	char *sink;
	int64_t attempts; /* failed so far */
	int64_t age;      /* seconds since the notification was queued */
	int64_t installation_id;
	int64_t entity_id;
	char *event_key;
	char *action;
	char *body; /* the document for this sink */
};

struct db_notify_sends {
	struct db_notify_send *v;
	size_t n;
};

/*
 * Read the sends due now to the sinks named in the NULL-terminated
 * 'sinks', at most DB_NOTIFY_BATCH per sink, oldest first.  The caller
 * releases *out with db_notify_sends_release().  Returns DB_OK, DB_ERROR
 * or DB_UNAVAILABLE.
 */
enum db_status db_notify_sends_get(struct db *db, const char *const *sinks,
    struct db_notify_sends *out);

/* Free what *s holds (NULL accepted). */
void db_notify_sends_release(struct db_notify_sends *s);

/*
 * End as abandoned the pending sends (not sent, given up or abandoned;
 * due or not) to a sink not named in the NULL-terminated 'sinks' (empty:
 * every sink), i.e. taken out of the configuration: the oldest
 * DB_NOTIFY_BATCH, the next run the next ones.  An abandoned send is
 * never read by db_notify_sends_get() again.  Fills *out with them (each
 * 'body' empty), which the caller releases with db_notify_sends_release().
 * Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_notify_abandon(struct db *db, const char *const *sinks,
    struct db_notify_sends *out);

/*
 * Record one attempt of send ('notification_id', 'sink'): 'status' the
 * HTTP status (0: none came), 'error' why it failed (NULL when sent).
 * Sent when 'error' is NULL; else given up when 'retry_in' is -1, else
 * due again 'retry_in' seconds from now.  Returns DB_OK, DB_ERROR or
 * DB_UNAVAILABLE.
 */
enum db_status db_notify_attempt_record(struct db *db, int64_t notification_id,
    const char *sink, long status, const char *error, int64_t retry_in);

/* Notifications deleted by one statement of db_notify_prune(), at most. */
#define DB_NOTIFY_PRUNE_CHUNK 5000

/*
 * Retention: delete the notifications created more than 'keep_days' days
 * ago whose every send ended (sent, given up or abandoned), and their
 * sends, DB_NOTIFY_PRUNE_CHUNK at a time, each chunk its own statement,
 * until one finds nothing.  One is kept while a repeat still refers to
 * it, while notify could read its source as new (a log row above the
 * settled cursor, an operation still kept), or while a notify run holds
 * it.  installation_events is never touched.  Sets *notifications and
 * *sends to how many went (also on failure: what earlier chunks
 * deleted).  Returns DB_OK, DB_ERROR or DB_UNAVAILABLE.
 */
enum db_status db_notify_prune(struct db *db, int keep_days,
    int64_t *notifications, int64_t *sends);

#endif
