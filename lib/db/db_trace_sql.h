/* SPDX-License-Identifier: MIT */
/*
 * The SQL text of the trace routes' queries (lib/db/db_trace.c), in a header
 * of its own so that bench/trace_sql.c prints exactly what they run.
 */
#ifndef INSTLOG_DB_TRACE_SQL_H
#define INSTLOG_DB_TRACE_SQL_H

/* The SQL reads best as written: one clause per line. */
/* clang-format off */
/*
 * The SQL text of timestamptz column 'col' as every time an API shows it,
 * RFC 3339 UTC with microseconds ("2026-12-06T19:03:05.123456Z"): the one
 * such expression of lib/db/ (db_ops, db_notify use it too), here so that
 * bench/trace_sql.c prints it as the routes send it.
 */
#define SQL_UTC(col) \
	"to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define SQL_ENTITY_OF_INSTALLATION \
	"SELECT COALESCE((SELECT entity_id FROM installation_events " \
	"WHERE installation_id = $1::bigint AND entity_id IS NOT NULL " \
	"ORDER BY received_at DESC, id DESC LIMIT 1), " \
	"(SELECT entity_id FROM jobs WHERE installation_id = $1::bigint " \
	"AND entity_id IS NOT NULL ORDER BY updated_at DESC LIMIT 1))"

#define SQL_ENTITY_OF_JOB \
	"SELECT COALESCE((SELECT entity_id FROM jobs WHERE job_id = $1::bigint), " \
	"(SELECT entity_id FROM installation_events " \
	"WHERE source = 'webhook' AND event LIKE 'workflow_job.%' " \
	"AND (job_id = $1::bigint " \
	"OR payload -> 'workflow_job' ->> 'id' = $1::text) " \
	"AND entity_id IS NOT NULL ORDER BY received_at DESC, id DESC LIMIT 1))"

/*
 * The account that last bore login $1, ignoring case: the latest webhook
 * event under that name (workflow_job.* aside: they name a repository's
 * owner; scheduler rows aside: they carry the login the auth check had
 * for a job, possibly from before a rename), so an old login still finds
 * a renamed account unless another account took the login since.
 * Served by installation_events_login_idx (sql/012_login_index.sql),
 * whose predicate these conditions repeat.
 */
#define SQL_ENTITY_BY_NAME \
	"SELECT entity_id FROM installation_events " \
	"WHERE lower(entity_name) = lower($1::text) " \
	"AND entity_id IS NOT NULL AND source = 'webhook' " \
	"AND event NOT LIKE 'workflow_job.%' " \
	"ORDER BY received_at DESC, id DESC LIMIT 1"

/*
 * The delivery document of row 'e' (sql/020_body.sql): its body as GitHub
 * sent it, read as jsonb, or for a row written before 020 (or a body only
 * jsonb could decide on) its payload.  Every payload reader reads this.
 */
#define SQL_DOC(e) "COALESCE(" e "body::jsonb, " e "payload)"

#define SQL_PAYLOAD \
	"SELECT id, event, " SQL_UTC("received_at") ", " SQL_DOC("") "::text, " \
	"translate(encode(raw_body, 'base64'), E'\\n', '') " \
	"FROM installation_events WHERE id = $1::bigint"

/*
 * The document of row 'e' (SQL_DOC), read once: a body is parsed into
 * jsonb once for all of a row's "-> ..."; a payload of more than about
 * 2 kB is stored compressed (and out of line), and every "payload -> ..."
 * would fetch and decompress it again, so "#> '{}'" returns the whole
 * value detoasted.  OFFSET 0 keeps the planner from copying the
 * expression into each use.  The queries below read x.p instead.
 */
#define SQL_PAYLOAD_ONCE(e) \
	"CROSS JOIN LATERAL (SELECT COALESCE(" e "body::jsonb, " \
	e "payload #> '{}') AS p OFFSET 0) x "

/*
 * The columns of a timeline row (lib/db/db_trace.c page_fill()) from row
 * e of installation_events, and its FROM: the page and the stream read
 * the same.  A row kept as sent is shown from the columns its webhook
 * took (sql/021), never parsed; x.p is only the payload of the others,
 * detoasted once.
 */
#define SQL_PAGE_DOC(member, col) \
	"CASE WHEN e.body IS NULL THEN x.p -> " member " ELSE " col " END"
#define SQL_PAGE_ITEM \
	"SELECT e.id, " SQL_UTC("e.received_at") ", e.source, e.event, " \
	"e.outcome, e.delivery_id, e.app_id, e.installation_id, " \
	"e.entity_type, e.entity_id, e.entity_name, " \
	SQL_PAGE_DOC("'sender' ->> 'login'", "e.actor") ", " \
	"CASE WHEN e.event LIKE 'workflow_job.%' THEN " \
	SQL_PAGE_DOC("'workflow_job' ->> 'id'", "e.job_id::text") " END, " \
	"CASE WHEN e.event LIKE 'workflow_job.%' THEN " \
	SQL_PAGE_DOC("'repository' ->> 'full_name'", "e.repo_full_name") \
	" END, " \
	"e.request_id, e.operation_id, " \
	"CASE WHEN e.delivery_id IS NOT NULL THEN (SELECT r.operation_id " \
	"FROM redelivery_requests r WHERE r.guid = e.delivery_id " \
	"AND r.first_requested_at <= e.received_at) END " \
	"FROM installation_events e CROSS JOIN LATERAL (SELECT CASE " \
	"WHEN e.body IS NULL THEN e.payload #> '{}' END AS p OFFSET 0) x "

/*
 * The live tail: the rows with $1 < id <= $2 (the stream's watermark),
 * entity $3, installation $4, event $5 (the name or a dot prefix), in id
 * order, at most $6.
 */
#define SQL_STREAM \
	SQL_PAGE_ITEM \
	"WHERE e.id > $1::bigint AND e.id <= $2::bigint " \
	"AND ($3::bigint IS NULL OR e.entity_id = $3::bigint) " \
	"AND ($4::bigint IS NULL OR e.installation_id = $4::bigint) " \
	"AND ($5::text IS NULL OR e.event = $5::text " \
	"OR left(e.event, length($5::text) + 1) = $5::text || '.') " \
	"ORDER BY e.id LIMIT $6::bigint"

/*
 * Where a stream that starts with its last $5 rows starts (?last=N): the
 * id before the oldest of the last $5 rows up to $1 that pass the filters
 * of SQL_STREAM ($2 entity, $3 installation, $4 event), or $1 when none.
 * With an entity or an installation the rows are the newest by
 * (received_at, id), on the indexes the timeline uses (an entity's: the
 * primary key, by shard_key; the installation's is over rows with an
 * entity); without, the highest ids.  The stream
 * then sends every row past that id, so a row received out of order is
 * sent as well, never missed.
 */
#define SQL_STREAM_START_WHERE \
	"WHERE e.id <= $1::bigint " \
	"AND ($2::bigint IS NULL OR e.entity_id = $2::bigint) " \
	"AND ($2::bigint IS NULL OR e.shard_key = $2::bigint) " \
	"AND ($3::bigint IS NULL OR e.installation_id = $3::bigint) " \
	"AND ($3::bigint IS NULL OR e.entity_id IS NOT NULL) " \
	"AND ($4::text IS NULL OR e.event = $4::text " \
	"OR left(e.event, length($4::text) + 1) = $4::text || '.') "
#define SQL_STREAM_START_BY_TIME \
	"SELECT coalesce(min(id) - 1, $1::bigint) FROM (SELECT e.id " \
	"FROM installation_events e " SQL_STREAM_START_WHERE \
	"ORDER BY e.received_at DESC, e.id DESC LIMIT $5::bigint) t"
#define SQL_STREAM_START_BY_ID \
	"SELECT coalesce(min(id) - 1, $1::bigint) FROM (SELECT e.id " \
	"FROM installation_events e " SQL_STREAM_START_WHERE \
	"ORDER BY e.id DESC LIMIT $5::bigint) t"

/*
 * The live tail's listener: what a stream's filters read of the rows with
 * $1 < id <= $2, in id order, at most $3.
 */
#define SQL_STREAM_KEYS \
	"SELECT id, entity_id, installation_id, event " \
	"FROM installation_events WHERE id > $1::bigint AND id <= $2::bigint " \
	"ORDER BY id LIMIT $3::bigint"

/*
 * The page query.  $1 entity, $2 since, $3 until, $4 event, $5 cursor id,
 * $6 limit + 1, $7 dedupe (shard_key = $1 too: the primary key serves the
 * page, sql/017).  The event filter matches the name or, at a
 * dot boundary, a prefix of it; a cursor continues after its row.
 */
#define SQL_PAGE \
	SQL_PAGE_ITEM \
	"WHERE e.entity_id = $1::bigint AND e.shard_key = $1::bigint " \
	"AND ($2::timestamptz IS NULL OR e.received_at >= $2::timestamptz) " \
	"AND ($3::timestamptz IS NULL OR e.received_at <= $3::timestamptz) " \
	"AND ($4::text IS NULL OR e.event = $4::text " \
	"OR left(e.event, length($4::text) + 1) = $4::text || '.') " \
	"AND ($5::bigint IS NULL OR (e.received_at, e.id) > " \
	"(SELECT c.received_at, c.id FROM installation_events c " \
	"WHERE c.id = $5::bigint AND c.entity_id = $1::bigint)) " \
	"AND (NOT $7::boolean OR e.delivery_id IS NULL OR NOT EXISTS (" \
	"SELECT 1 FROM installation_events d " \
	"WHERE d.delivery_id = e.delivery_id AND d.entity_id = e.entity_id " \
	"AND (d.received_at, d.id) < (e.received_at, e.id))) " \
	"ORDER BY e.received_at, e.id LIMIT $6::bigint"

#define SQL_ENTITY_EXISTS \
	"SELECT 1 FROM installation_events WHERE entity_id = $1::bigint " \
	"AND shard_key = $1::bigint LIMIT 1"

/* $1 a cursor (an event id), $2 the entity it must belong to. */
#define SQL_CURSOR_EXISTS                                   \
 "SELECT 1 FROM installation_events WHERE id = $1::bigint " \
 "AND entity_id = $2::bigint"

/*
 * The fold rows: everything but workflow_job.* (a partial index keeps
 * those heap rows unread), with the payload fields the fold needs.
 * Repository lists come back as newline-separated full names.
 */
#define SQL_REPOS(key) \
	"(SELECT string_agg(r ->> 'full_name', E'\\n') FROM " \
	"jsonb_array_elements(CASE WHEN jsonb_typeof(x.p -> '" key "') " \
	"= 'array' THEN x.p -> '" key "' ELSE '[]' END) r " \
	"WHERE jsonb_typeof(r) = 'object')"

/* The columns the fold reads of row x of installation_events. */
#define SQL_FOLD_COLS \
	"id, " SQL_UTC("received_at") ", event, app_id, " \
	"installation_id, entity_name, " \
	"COALESCE(x.p -> 'installation' ->> 'repository_selection', " \
	"x.p ->> 'repository_selection'), " \
	"CASE event WHEN 'installation.created' THEN " SQL_REPOS("repositories") \
	" WHEN 'installation_repositories.added' THEN " \
	SQL_REPOS("repositories_added") \
	" WHEN 'installation_repositories.removed' THEN " \
	SQL_REPOS("repositories_removed") " END, " \
	"x.p -> 'changes' -> 'login' ->> 'from', " \
	"x.p -> 'account' ->> 'login', " \
	"CASE WHEN source = 'scheduler' THEN x.p ->> 'http_status' END, " \
	"CASE WHEN source = 'scheduler' THEN " \
	"x.p -> 'repository' ->> 'full_name' " \
	"WHEN event = 'repository.renamed' THEN " \
	"(x.p -> 'repository' -> 'owner' ->> 'login') || '/' || " \
	"(x.p -> 'changes' -> 'repository' -> 'name' ->> 'from') " \
	"WHEN event = 'repository.transferred' THEN " \
	"COALESCE(x.p -> 'changes' -> 'owner' -> 'from' -> 'user' ->> " \
	"'login', x.p -> 'changes' -> 'owner' -> 'from' -> " \
	"'organization' ->> 'login') || '/' || " \
	"(x.p -> 'repository' ->> 'name') " \
	"WHEN event = 'repository.deleted' THEN " \
	"x.p -> 'repository' ->> 'full_name' END, " \
	"CASE WHEN event LIKE 'repository.%' THEN " \
	"x.p -> 'repository' ->> 'full_name' END, " \
	"CASE WHEN source = 'scheduler' THEN x.p ->> 'message' END, " \
	"CASE WHEN jsonb_typeof(x.p -> 'repository' -> 'id') = 'number' " \
	"THEN x.p -> 'repository' ->> 'id' END "

#define SQL_FOLD_ROWS \
	"SELECT " SQL_FOLD_COLS " FROM installation_events " \
	SQL_PAYLOAD_ONCE("") \
	"WHERE entity_id = $1::bigint " \
	"AND event NOT LIKE 'workflow_job.%' " \
	"AND ($2::timestamptz IS NULL OR received_at <= $2::timestamptz) " \
	"AND ($3::timestamptz IS NULL OR (received_at >= $3::timestamptz " \
	"AND (received_at, id) > ($3::timestamptz, $4::bigint))) " \
	"ORDER BY received_at, id LIMIT $5::bigint"

/*
 * The same for many entities at once: the first $4 rows of each entity
 * of $1 after its position ($2, $3: NULL for its first row), as many
 * index range scans in one statement, by the entity's ordinal in $1 (the
 * first column), each entity's rows in order (the last column, o, is
 * only for that order).
 */
#define SQL_FOLD_ROWS_MANY \
	"SELECT k.n, f.* FROM unnest($1::bigint[], $2::timestamptz[], " \
	"$3::bigint[]) WITH ORDINALITY AS k(e, a, i, n) " \
	"CROSS JOIN LATERAL (SELECT " SQL_FOLD_COLS ", received_at AS o " \
	"FROM installation_events " SQL_PAYLOAD_ONCE("") \
	"WHERE entity_id = k.e AND event NOT LIKE 'workflow_job.%' " \
	"AND (k.a IS NULL OR (received_at >= k.a " \
	"AND (received_at, id) > (k.a, k.i))) " \
	"ORDER BY received_at, id LIMIT $4::bigint) f ORDER BY k.n, f.o, f.id"
/* clang-format on */

#endif
