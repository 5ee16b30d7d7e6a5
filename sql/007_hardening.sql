-- SPDX-License-Identifier: MIT
-- One key per webhook attempt, so that a row is written at most once per
-- attempt: the webhook sends the key and the time it received the delivery
-- with the INSERT and keeps both in the spool file, and the INSERT does
-- nothing when that row is already there.  A commit whose reply was lost
-- (the statement timed out on a frozen server that committed it later)
-- and the replay of the spool file written for it then give one row, not
-- two.  The index holds the partition key (received_at) and the entity
-- (shard_key), as every unique index of a partitioned table must and every
-- key of this one does.  Rows from before this migration (and scheduler
-- rows) have no key: NULLs never conflict.
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS attempt_key text;
CREATE UNIQUE INDEX IF NOT EXISTS installation_events_attempt_idx
	ON installation_events (shard_key, received_at, attempt_key);
