-- SPDX-License-Identifier: MIT
-- /trace/entity-by-name/{login} reads webhook rows only.  A scheduler row
-- (auth_attempt.*) carries the login the auth check had for a pending
-- job, which may be older than a rename: it must not make that login the
-- account's again, nor take it back from the account that holds it now.
-- The key is sql/011's (the folded name then the time, the entity
-- INCLUDEd), so the lookup stays one backward index-only scan; with
-- source in the predicate the scheduler rows stay out of it, like the
-- workflow_job.* rows.  The query no longer matches 011's predicate
-- alone, so its index would only cost every insert: it goes.
CREATE INDEX IF NOT EXISTS installation_events_login_idx
	ON installation_events (lower(entity_name), received_at, id)
	INCLUDE (entity_id)
	WHERE entity_id IS NOT NULL AND source = 'webhook'
	    AND event NOT LIKE 'workflow_job.%';

DROP INDEX IF EXISTS installation_events_entity_name_idx;
