-- SPDX-License-Identifier: MIT
-- GET /trace/failing (DESIGN §12) finds the accounts whose scheduler auth
-- failed since a time: the auth_attempt.* rows by time, newest first, the
-- account, installation and row id INCLUDEd, so the candidates come from
-- one backward index-only scan of the failure rows of the window (never
-- of the log: webhook rows and older failures are not read), and each
-- candidate is then folded from its checkpoints.
CREATE INDEX IF NOT EXISTS installation_events_failing_idx
	ON installation_events (received_at, id)
	INCLUDE (entity_id, installation_id, entity_type)
	WHERE source = 'scheduler' AND event LIKE 'auth_attempt.%'
	    AND entity_id IS NOT NULL;
