-- SPDX-License-Identifier: MIT
-- What a timeline row shows of a delivery kept as sent (issue 25).
--
-- A body in 'body' (sql/020) is text: reading one member parses all of it
-- (~150 µs for 8 kB, bench/RESULTS.md), where jsonb was parsed once, at
-- insert.  The timeline page and the live tail show three members of
-- every row: sender.login, and for workflow_job.* repository.full_name and
-- workflow_job.id (job_id, sql/020).  The webhook takes them at ingest
-- into these columns, for the rows it keeps in 'body' only, and keeps a
-- body there only when each is what jsonb's ->> would give (absent, null
-- or a string; the id an integer); the rows before, and the others, are
-- read from payload as before.  Columns are added, nothing is rewritten.
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS actor text;
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS repo_full_name text;
