-- SPDX-License-Identifier: MIT
-- Fold checkpoints: snapshots of an entity's folded state (lib/checkpoint.c)
-- at positions of its timeline, so that a trace folds the latest snapshot
-- at or before ?at= plus the rows after it, instead of the whole history.
-- The trace routes write them as they fold (lib/db_checkpoint.c); a role
-- that may not write here still traces, from the snapshots that exist.
-- A snapshot is derived data: dropping any or all of them is always safe.
CREATE TABLE IF NOT EXISTS fold_checkpoints (
	entity_id	bigint NOT NULL,
	-- CKPT_VERSION: snapshot format and fold rules; others are ignored.
	version		integer NOT NULL,
	-- The (received_at, id) position of the last row the snapshot covers:
	-- it covers every non-job row of the entity up to there...
	received_at	timestamptz NOT NULL,
	event_id	bigint NOT NULL,
	-- ...as long as none of them has an id above max_id.  Rows inserted
	-- later get higher ids, so a row with id > max_id at or before the
	-- position (a spooled delivery replayed with its arrival time) is one
	-- the snapshot missed: it is then not used.
	max_id		bigint NOT NULL,
	nrows		bigint NOT NULL,	-- rows covered, for operators
	snapshot	bytea NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (entity_id, version, received_at, event_id)
);

-- The check above: the entity's non-job rows with an id above a
-- snapshot's max_id, which are few (the rows since it was made); with the
-- time included, the check reads the index alone.
CREATE INDEX IF NOT EXISTS installation_events_fold_id_idx
	ON installation_events (entity_id, id) INCLUDE (received_at)
	WHERE event NOT LIKE 'workflow_job.%';
