-- SPDX-License-Identifier: MIT
-- The fold reads every event of an entity except workflow_job.*: this
-- partial index lets it skip the (many) job rows without visiting them.
CREATE INDEX IF NOT EXISTS installation_events_fold_idx
	ON installation_events (entity_id, received_at, id)
	WHERE event NOT LIKE 'workflow_job.%';
