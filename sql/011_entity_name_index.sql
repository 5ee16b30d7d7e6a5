-- SPDX-License-Identifier: MIT
-- /trace/entity-by-name/{login} resolves a login to the account that last
-- bore it: the latest non-job event whose entity_name equals the login,
-- ignoring case (GitHub logins are case-insensitive).  The key is the
-- folded name then the time, so the lookup is a backward range scan that
-- stops at the first entry of each partition; the entity rides along
-- (INCLUDE) and the lookup never visits the table.  workflow_job.* rows
-- (most of the log) stay out of the index: they repeat the account of the
-- installation's other events.
CREATE INDEX IF NOT EXISTS installation_events_entity_name_idx
	ON installation_events (lower(entity_name), received_at, id)
	INCLUDE (entity_id)
	WHERE entity_id IS NOT NULL AND event NOT LIKE 'workflow_job.%';
