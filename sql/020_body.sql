-- SPDX-License-Identifier: MIT
-- A delivery's body kept as GitHub signed it (issue 25).
--
-- 'body' holds the exact bytes of a webhook delivery's JSON body, as the
-- json type keeps them: PostgreSQL checks that they are JSON and stores
-- the text, where jsonb input builds a tree of the whole payload on every
-- insert (about 80 µs of a 6 KB delivery's 200 µs, bench/RESULTS.md).
-- From this migration on the webhook writes a body it received there and
-- leaves 'payload' at its default '{}'; a body whose text only jsonb may
-- refuse (a \u escape of a NUL or above U+007F, a number with an exponent,
-- a number of over 300 characters) still goes to 'payload' as before, so
-- that every body in 'body' converts to jsonb when read.  Readers take
-- COALESCE(body::jsonb, payload): the same document for every row, the
-- old rows as they were (docs/data-model.md#the-delivery-document).
--
-- 'job_id' is workflow_job.id of a workflow_job delivery, taken at ingest,
-- so that finding a job's account needs no expression over the body; its
-- index serves the rows from now on, installation_events_job_idx (over
-- payload) the rows before.
--
-- Columns are added, nothing is rewritten: ADD COLUMN without a default
-- only changes the catalog.
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS body json;
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS job_id bigint;

CREATE INDEX IF NOT EXISTS installation_events_job_id_idx
	ON installation_events (job_id, entity_id)
	WHERE job_id IS NOT NULL;

-- lz4 for the body too, as sql/005 set for payload.
DO $$
DECLARE
	r regclass;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_settings
	    WHERE name = 'default_toast_compression'
	    AND 'lz4' = ANY (enumvals)) THEN
		RAISE NOTICE 'this server has no lz4: bodies stay pglz';
		RETURN;
	END IF;
	ALTER TABLE installation_events ALTER COLUMN body
	    SET COMPRESSION lz4;
	FOR r IN SELECT inhrelid::regclass FROM pg_inherits
	    WHERE inhparent = 'installation_events'::regclass LOOP
		EXECUTE format('ALTER TABLE %s ALTER COLUMN body '
		    'SET COMPRESSION lz4', r);
	END LOOP;
END;
$$;
