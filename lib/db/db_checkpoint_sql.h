/* SPDX-License-Identifier: MIT */
/*
 * The SQL text of the fold_checkpoints queries (lib/db/db_checkpoint.c), in a
 * header of its own so that bench/trace_sql.c prints exactly what the
 * trace routes run.
 */
#ifndef INSTLOG_DB_CHECKPOINT_SQL_H
#define INSTLOG_DB_CHECKPOINT_SQL_H

#include "db/db_trace_sql.h" /* SQL_UTC */

/* The SQL reads best as written: one clause per line. */
/* clang-format off */
/*
 * No row may have come in at or before snapshot c's position since it was
 * made (an id above its max_id): the (entity_id, id) index finds those
 * among the rows since then.  Adding 0 s keeps the time comparison out of
 * the index conditions, or the planner may range over the (entity_id,
 * received_at, id) index instead: every row up to the position.
 */
#define SQL_WHOLE(c) \
	"NOT EXISTS (SELECT 1 FROM installation_events e " \
	"WHERE e.entity_id = " c ".entity_id AND e.id > " c ".max_id " \
	"AND e.event NOT LIKE 'workflow_job.%' " \
	"AND (e.received_at + interval '0 s', e.id) <= " \
	"(" c ".received_at, " c ".event_id))"

/*
 * The latest snapshot, by the primary key; only whole ones when $4.  The
 * check is planned over every partition: it is left out ($4 false) for a
 * first look, which is then checked alone (SQL_IS_WHOLE), so that an
 * entity with no snapshot does not pay for it.
 */
#define SQL_LATEST \
	"SELECT " SQL_UTC("c.received_at") ", c.event_id, c.nrows, " \
	"c.snapshot, c.max_id FROM fold_checkpoints c " \
	"WHERE c.entity_id = $1::bigint AND c.version = $2::integer " \
	"AND ($3::timestamptz IS NULL OR c.received_at <= $3::timestamptz) " \
	"AND (NOT $4::boolean OR " SQL_WHOLE("c") ") " \
	"ORDER BY c.received_at DESC, c.event_id DESC LIMIT 1"

/*
 * The latest snapshot of version $2 of each entity of $1, by the primary
 * key, by its ordinal in $1 (the first column), whether whole the last.
 */
#define SQL_LATEST_MANY \
	"SELECT k.n, " SQL_UTC("c.received_at") ", c.event_id, c.nrows, " \
	"c.snapshot, c.max_id, " SQL_WHOLE("c") " " \
	"FROM unnest($1::bigint[]) WITH ORDINALITY AS k(e, n) " \
	"CROSS JOIN LATERAL (SELECT * FROM fold_checkpoints c " \
	"WHERE c.entity_id = k.e AND c.version = $2::integer " \
	"ORDER BY c.received_at DESC, c.event_id DESC LIMIT 1) c"

/* Snapshot c given as parameters ($1 entity, $2 max_id, $3, $4 position). */
#define SQL_GIVEN_C \
	"(SELECT $1::bigint AS entity_id, $2::bigint AS max_id, " \
	"$3::timestamptz AS received_at, $4::bigint AS event_id) c"

#define SQL_IS_WHOLE "SELECT " SQL_WHOLE("c") " FROM " SQL_GIVEN_C

/*
 * Ids come from the table's sequence (one id at a time, CACHE 1) in the
 * order rows are inserted, but a transaction that took an id may commit
 * after one that took a higher id.  With no writing transaction in flight,
 * every id the sequence gave is final: the first column.  Else it is
 * NULL, and SQL_HOLE says more.  The second column tells whether snapshot
 * ($1, $2, $3, $4) is still whole, in the same database snapshot.
 */
#define SQL_MAX_ID \
	"SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM " \
	"pg_snapshot_xip(pg_current_snapshot())) THEN " \
	"COALESCE(pg_sequence_last_value(pg_get_serial_sequence(" \
	"'installation_events', 'id')::regclass), 0) END, " \
	"$3::timestamptz IS NULL OR (SELECT " SQL_WHOLE("c") " FROM " \
	SQL_GIVEN_C ")"

/*
 * With transactions in flight: the id before the first hole among the
 * last 10,000 ids, as a hole may be a row still to come (or one rolled
 * back, which costs only coverage).  An insert is assumed not to stay in
 * flight while 10,000 later ids are taken.
 */
#define SQL_HOLE \
	"SELECT COALESCE((SELECT min(g.prev) FROM (SELECT id, " \
	"lag(id, 1, greatest(h.hi - 10000, 0)) OVER (ORDER BY id) AS prev " \
	"FROM installation_events WHERE id > greatest(h.hi - 10000, 0)) g " \
	"WHERE g.id > g.prev + 1), h.hi, 0) " \
	"FROM (SELECT max(id) AS hi FROM installation_events) h"

/*
 * Replace the entity's snapshots after the one folded from ($3, $4) up to
 * the last new one ($5, $6), and those of older versions, by the new
 * ones (arrays $7..$10).  The DELETE spares the new positions, which the
 * INSERT updates in place, so the two never touch the same row.
 */
#define SQL_STORE \
	"WITH gone AS (DELETE FROM fold_checkpoints " \
	"WHERE entity_id = $1::bigint AND (version < $2::integer OR " \
	"(version = $2::integer " \
	"AND (received_at, event_id) > ($3::timestamptz, $4::bigint) " \
	"AND (received_at, event_id) <= ($5::timestamptz, $6::bigint) " \
	"AND (received_at, event_id) NOT IN (SELECT * FROM " \
	"unnest($7::timestamptz[], $8::bigint[]))))) " \
	"INSERT INTO fold_checkpoints (entity_id, version, received_at, " \
	"event_id, max_id, nrows, snapshot) " \
	"SELECT $1::bigint, $2::integer, u.r, u.i, $11::bigint, u.n, u.s " \
	"FROM unnest($7::timestamptz[], $8::bigint[], $9::bigint[], " \
	"$10::bytea[]) AS u(r, i, n, s) " \
	"ON CONFLICT (entity_id, version, received_at, event_id) DO UPDATE " \
	"SET max_id = EXCLUDED.max_id, nrows = EXCLUDED.nrows, " \
	"snapshot = EXCLUDED.snapshot, created_at = now()"
/*
 * cron/snapshot's scan (sql/014): how far it has read the log, and the
 * window after that: the id of the $3-th non-job row with an id above $1
 * and at most $2, by the (id) INCLUDE (entity_id) partial index.
 */
#define SQL_SCAN_GET "SELECT version, scanned_id FROM fold_checkpoint_scan"

#define SQL_SCAN_SET \
	"INSERT INTO fold_checkpoint_scan (version, scanned_id) " \
	"VALUES ($1::integer, $2::bigint) ON CONFLICT (one) DO UPDATE " \
	"SET version = EXCLUDED.version, scanned_id = EXCLUDED.scanned_id, " \
	"updated_at = now()"

#define SQL_WINDOW \
	"SELECT max(w.id) FROM (SELECT id FROM installation_events " \
	"WHERE id > $1::bigint AND id <= $2::bigint " \
	"AND event NOT LIKE 'workflow_job.%' ORDER BY id LIMIT $3::bigint) w"

/*
 * The accounts of the window ($1, $2] whose tail is long: $4 rows or more
 * after the latest whole snapshot of version $3 (the one
 * db_checkpoint_latest() reads: SQL_LATEST with its check), or $4 rows
 * when there is none.  Each account costs a walk back over the primary
 * key of fold_checkpoints (and the check of each snapshot it passes) and
 * at most $4 entries of the fold index, from the snapshot's partition on.
 * The first $5 of them by id, less those of $6.
 */
#define SQL_LONG_TAILS \
	"SELECT c.entity_id FROM (SELECT DISTINCT entity_id " \
	"FROM installation_events WHERE id > $1::bigint AND id <= $2::bigint " \
	"AND event NOT LIKE 'workflow_job.%' AND entity_id IS NOT NULL " \
	"AND entity_id <> ALL ($6::bigint[])) c " \
	"LEFT JOIN LATERAL (SELECT k.received_at, k.event_id " \
	"FROM fold_checkpoints k WHERE k.entity_id = c.entity_id " \
	"AND k.version = $3::integer AND " SQL_WHOLE("k") " " \
	"ORDER BY k.received_at DESC, k.event_id DESC LIMIT 1) k ON true " \
	"WHERE (SELECT count(*) FROM (SELECT 1 FROM installation_events t " \
	"WHERE t.entity_id = c.entity_id " \
	"AND t.event NOT LIKE 'workflow_job.%' " \
	"AND t.received_at >= COALESCE(k.received_at, '-infinity') " \
	"AND (t.received_at, t.id) > " \
	"(COALESCE(k.received_at, '-infinity'), COALESCE(k.event_id, 0)) " \
	"LIMIT $4::bigint) n) >= $4::bigint " \
	"ORDER BY c.entity_id LIMIT $5::integer"
/* clang-format on */

#endif
