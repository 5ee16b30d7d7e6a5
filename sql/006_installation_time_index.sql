-- SPDX-License-Identifier: MIT
-- /trace/installation/{id} resolves the installation to the entity of its
-- latest event that has one.  The (installation_id, entity_id) index made
-- that read and sort every event of the installation (22 ms for 10,000);
-- with the time in the key it is a backward range scan that stops at the
-- first entry of each partition.  The entity rides along (INCLUDE), so the
-- lookup never visits the table.  Nothing else reads installation_events by
-- installation_id, so the old index goes.
CREATE INDEX IF NOT EXISTS installation_events_installation_time_idx
	ON installation_events (installation_id, received_at, id)
	INCLUDE (entity_id) WHERE entity_id IS NOT NULL;
DROP INDEX IF EXISTS installation_events_installation_idx;
