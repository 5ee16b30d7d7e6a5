-- SPDX-License-Identifier: MIT
-- installation_events becomes partitioned by month of received_at, with
-- the entity in every key so it can later be distributed by entity
-- (Citus-shaped: shard_key is entity_id, 0 for rows with no entity).
-- Existing rows are copied with their ids; the identity continues after
-- them.  Partitions are created ahead by instlog_ensure_partitions(), run
-- here and by the maintenance cron job; a DEFAULT partition catches rows
-- outside them (a very old spooled delivery, or missed maintenance).

ALTER TABLE installation_events RENAME TO installation_events_unpartitioned;
ALTER TABLE installation_events_unpartitioned
	RENAME CONSTRAINT installation_events_source_check
	TO installation_events_unpartitioned_source_check;
ALTER INDEX installation_events_pkey
	RENAME TO installation_events_unpartitioned_pkey;
DROP TRIGGER IF EXISTS installation_events_no_update
	ON installation_events_unpartitioned;
ALTER INDEX IF EXISTS installation_events_entity_idx
	RENAME TO installation_events_unpartitioned_entity_idx;
ALTER INDEX IF EXISTS installation_events_installation_idx
	RENAME TO installation_events_unpartitioned_installation_idx;
ALTER INDEX IF EXISTS installation_events_delivery_idx
	RENAME TO installation_events_unpartitioned_delivery_idx;
ALTER INDEX IF EXISTS installation_events_job_idx
	RENAME TO installation_events_unpartitioned_job_idx;
ALTER INDEX IF EXISTS installation_events_fold_idx
	RENAME TO installation_events_unpartitioned_fold_idx;

CREATE TABLE installation_events (
	id		bigint GENERATED ALWAYS AS IDENTITY,
	received_at	timestamptz NOT NULL DEFAULT now(),
	source		text NOT NULL CHECK (source IN ('webhook', 'scheduler')),
	event		text NOT NULL,
	outcome		text NOT NULL,
	delivery_id	text,
	app_id		bigint,
	installation_id	bigint,
	entity_type	text,
	entity_id	bigint,
	entity_name	text,
	payload		jsonb NOT NULL DEFAULT '{}',
	raw_body	bytea,
	shard_key	bigint GENERATED ALWAYS AS (COALESCE(entity_id, 0)) STORED,
	PRIMARY KEY (shard_key, received_at, id)
) PARTITION BY RANGE (received_at);

CREATE TABLE installation_events_default PARTITION OF installation_events
	DEFAULT;

-- Create the monthly partitions from 'months_back' months ago to
-- 'months_ahead' months ahead that do not exist yet.  Returns how many it
-- created.  A month whose rows already sit in the DEFAULT partition is
-- skipped with a warning (move them by hand, see SCALING.md).
CREATE OR REPLACE FUNCTION instlog_ensure_partitions(months_ahead int,
    months_back int DEFAULT 1)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	m date;
	name text;
	created int := 0;
BEGIN
	FOR i IN -months_back .. months_ahead LOOP
		m := (date_trunc('month', now() AT TIME ZONE 'UTC') +
		    make_interval(months => i))::date;
		name := format('installation_events_%s', to_char(m, 'YYYY_MM'));
		CONTINUE WHEN to_regclass(name) IS NOT NULL;
		BEGIN
			EXECUTE format('CREATE TABLE %I PARTITION OF '
			    'installation_events FOR VALUES FROM (%L) TO (%L)',
			    name, m::timestamp AT TIME ZONE 'UTC',
			    (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
			created := created + 1;
		EXCEPTION WHEN check_violation OR object_not_in_prerequisite_state
		    THEN
			RAISE WARNING 'partition % not created: rows for it are '
			    'in installation_events_default', name;
		END;
	END LOOP;
	RETURN created;
END;
$$;

-- Partitions for every month the old table has rows in, then around now.
DO $$
DECLARE
	m date;
BEGIN
	FOR m IN SELECT DISTINCT date_trunc('month', received_at AT TIME ZONE 'UTC')::date
	    FROM installation_events_unpartitioned LOOP
		IF to_regclass(format('installation_events_%s',
		    to_char(m, 'YYYY_MM'))) IS NULL THEN
			EXECUTE format('CREATE TABLE %I PARTITION OF '
			    'installation_events FOR VALUES FROM (%L) TO (%L)',
			    format('installation_events_%s', to_char(m, 'YYYY_MM')),
			    m::timestamp AT TIME ZONE 'UTC',
			    (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
		END IF;
	END LOOP;
END;
$$;
SELECT instlog_ensure_partitions(3);

INSERT INTO installation_events (id, received_at, source, event, outcome,
    delivery_id, app_id, installation_id, entity_type, entity_id,
    entity_name, payload, raw_body)
OVERRIDING SYSTEM VALUE
SELECT id, received_at, source, event, outcome, delivery_id, app_id,
    installation_id, entity_type, entity_id, entity_name, payload, raw_body
FROM installation_events_unpartitioned;

SELECT setval(pg_get_serial_sequence('installation_events', 'id'),
    GREATEST((SELECT max(id) FROM installation_events), 1),
    (SELECT max(id) FROM installation_events) IS NOT NULL);

DROP TABLE installation_events_unpartitioned;

-- Every trace query is an index range scan; the entity leads where the
-- query has it.
CREATE INDEX installation_events_entity_idx
	ON installation_events (entity_id, received_at, id);
CREATE INDEX installation_events_fold_idx
	ON installation_events (entity_id, received_at, id)
	WHERE event NOT LIKE 'workflow_job.%';
CREATE INDEX installation_events_installation_idx
	ON installation_events (installation_id, entity_id);
CREATE INDEX installation_events_delivery_idx
	ON installation_events (delivery_id, entity_id);
CREATE INDEX installation_events_job_idx
	ON installation_events ((payload -> 'workflow_job' ->> 'id'), entity_id)
	WHERE source = 'webhook' AND event LIKE 'workflow_job.%';
-- /trace/payload/{id} and the paging cursor find a row by id alone.
CREATE INDEX installation_events_id_idx ON installation_events (id);

CREATE TRIGGER installation_events_no_update
	BEFORE UPDATE OR DELETE ON installation_events
	FOR EACH ROW EXECUTE FUNCTION installation_events_append_only();
