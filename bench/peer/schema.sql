-- SPDX-License-Identifier: MIT
-- Bench only: the Node peer's table (bench/peer/server.js), in a schema of
-- its own so instlog's rows are never touched.  The shape of instlog's
-- installation_events (columns, defaults, generated shard_key, identity,
-- every index, partitioned by received_at into one DEFAULT partition),
-- without its triggers (append-only guard, live-tail NOTIFY), which a
-- receiver of one's own would not have.
DROP SCHEMA IF EXISTS peer CASCADE;
CREATE SCHEMA peer;
CREATE TABLE peer.installation_events
	(LIKE public.installation_events INCLUDING ALL)
	PARTITION BY RANGE (received_at);
CREATE TABLE peer.installation_events_default
	PARTITION OF peer.installation_events DEFAULT;
