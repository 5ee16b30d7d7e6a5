-- SPDX-License-Identifier: MIT
-- Fold snapshots made ahead of the traces (cron/snapshot, lib/db/fold.c):
-- the program reads the log's non-job rows in id order, a bounded window
-- at a time, and folds ahead each account of a window whose rows after
-- its latest usable snapshot number INSTLOG_FOLD_CHECKPOINT_EVERY or more.

-- How far it has read: every non-job row with an id at or below
-- scanned_id had its account folded ahead with snapshots of 'version'
-- (CKPT_VERSION; another version starts the scan again from the first
-- row).  The scan never passes an id below which a row may still be
-- inserted (db_checkpoint_max_id(), the rule the snapshots keep), so a
-- row that commits late is read by a later window.  Emptying
-- installation_events requires emptying this table too, like
-- fold_checkpoints.  One row, or none before the first run.
CREATE TABLE IF NOT EXISTS fold_checkpoint_scan (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	version		integer NOT NULL,
	scanned_id	bigint NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- A window: the next non-job rows after an id, with their accounts, from
-- the index alone (the (id) index would visit every job row's heap tuple
-- too, and those are most of the log).
CREATE INDEX IF NOT EXISTS installation_events_fold_scan_idx
	ON installation_events (id) INCLUDE (entity_id)
	WHERE event NOT LIKE 'workflow_job.%';
