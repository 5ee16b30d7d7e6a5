-- SPDX-License-Identifier: MIT
-- Operations (DESIGN §9): what instlog itself did, step by step.  One row
-- per auth check run, redelivery sweep, spool replay pass, maintenance run
-- or failed delivery.  Kept INSTLOG_OPERATIONS_RETENTION_DAYS (30) in
-- daily partitions, so that retention drops whole partitions; the
-- installation_events rows that link to an operation stay forever.

CREATE TABLE IF NOT EXISTS operations (
	id		bigint GENERATED ALWAYS AS IDENTITY,
	type		text NOT NULL,
	status		text NOT NULL DEFAULT 'running'
			CHECK (status IN ('running', 'completed', 'failed')),
	-- nginx's $request_id when an HTTP request started it.
	request_id	text,
	-- The operation that caused this one.
	triggered_by	bigint,
	-- What it acted on outside instlog, e.g. a delivery guid.
	external_ref	text,
	started_at	timestamptz NOT NULL DEFAULT now(),
	completed_at	timestamptz,
	duration_ms	bigint,
	input		jsonb,
	output		jsonb,
	-- One line, "<step>: <message>"; "abandoned" for a run that died.
	error		text,
	-- GitHub's body, libpq's message: at most 10 KB.
	error_detail	text CHECK (octet_length(error_detail) <= 10240),
	-- [{"name","status","started_at","duration_ms","output","error",
	--   "error_detail"}], appended as the steps finish.
	steps		jsonb NOT NULL DEFAULT '[]',
	-- The list view's one-line digest of steps (never the steps).
	steps_summary	text NOT NULL DEFAULT '',
	-- What it touched, so that an account's operations can be listed.
	installation_ids bigint[] NOT NULL DEFAULT '{}',
	entity_ids	bigint[] NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, started_at)
) PARTITION BY RANGE (started_at);

-- The list reads newest first by id (ids grow with started_at).
CREATE INDEX IF NOT EXISTS operations_id_idx ON operations (id);
CREATE INDEX IF NOT EXISTS operations_type_idx ON operations (type, id);
CREATE INDEX IF NOT EXISTS operations_status_idx
	ON operations (status, id) WHERE status <> 'completed';
CREATE INDEX IF NOT EXISTS operations_installations_idx
	ON operations USING gin (installation_ids);
CREATE INDEX IF NOT EXISTS operations_entities_idx
	ON operations USING gin (entity_ids);

-- Create the daily partitions operations_YYYYMMDD (UTC days) from
-- 'days_back' days ago to 'days_ahead' days ahead that do not exist yet.
-- Returns how many it created.  There is no DEFAULT partition: a row
-- finds its day or the insert fails (the writer then calls this and
-- retries), so that a day is always dropped whole.
CREATE OR REPLACE FUNCTION instlog_operations_ensure_partitions(
    days_ahead int, days_back int DEFAULT 1)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	d date;
	name text;
	created int := 0;
BEGIN
	FOR i IN -days_back .. days_ahead LOOP
		d := (now() AT TIME ZONE 'UTC')::date + i;
		name := format('operations_%s', to_char(d, 'YYYYMMDD'));
		CONTINUE WHEN to_regclass(name) IS NOT NULL;
		BEGIN
			EXECUTE format('CREATE TABLE %I PARTITION OF operations '
			    'FOR VALUES FROM (%L) TO (%L)', name,
			    d::timestamp AT TIME ZONE 'UTC',
			    (d + 1)::timestamp AT TIME ZONE 'UTC');
			created := created + 1;
		EXCEPTION WHEN duplicate_table THEN
			-- Another writer created it in between.
			NULL;
		END;
	END LOOP;
	RETURN created;
END;
$$;

-- Drop the partitions whose whole day ended more than 'keep_days' days
-- ago (UTC), i.e. every row in them is older than the limit; younger ones
-- are kept whole.  Returns the names dropped.
CREATE OR REPLACE FUNCTION instlog_operations_drop_partitions(keep_days int)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	r record;
	cutoff date := (now() AT TIME ZONE 'UTC')::date - keep_days;
BEGIN
	FOR r IN SELECT c.relname FROM pg_inherits i
	    JOIN pg_class c ON c.oid = i.inhrelid
	    WHERE i.inhparent = 'operations'::regclass
	    AND c.relname ~ '^operations_[0-9]{8}$'
	    ORDER BY c.relname LOOP
		-- The day [d, d + 1) ended at d + 1.
		IF to_date(substr(r.relname, 12), 'YYYYMMDD') + 1 <= cutoff
		    THEN
			EXECUTE format('DROP TABLE %I', r.relname);
			RETURN NEXT r.relname;
		END IF;
	END LOOP;
END;
$$;

SELECT instlog_operations_ensure_partitions(7);

-- Correlation (added, nullable: old rows trace as before).  request_id:
-- nginx's $request_id of the delivery that wrote the row; operation_id:
-- the operation that wrote it (auth_attempt.* rows).
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS request_id text;
ALTER TABLE installation_events ADD COLUMN IF NOT EXISTS operation_id bigint;

-- The redelivery sweep that last asked for a guid: a delivery with that
-- guid received after the request shows it as redelivered_by.
ALTER TABLE redelivery_requests ADD COLUMN IF NOT EXISTS operation_id bigint;
