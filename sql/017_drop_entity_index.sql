-- SPDX-License-Identifier: MIT
-- The primary key (shard_key, received_at, id) repeats the entity index
-- (entity_id, received_at, id): shard_key is COALESCE(entity_id, 0), so for
-- every row with an entity both keys hold the same values in the same
-- order.  The timeline page and the entity check now say shard_key = $1 as
-- well as entity_id = $1 (the same rows for any entity id) and range over
-- the primary key; the second copy of that key only cost every insert.
-- An index goes, no data: nothing else reads it.
DROP INDEX IF EXISTS installation_events_entity_idx;
