-- SPDX-License-Identifier: MIT
-- The installation event log, the scheduler's jobs and the auth cache.

CREATE TABLE IF NOT EXISTS installation_events (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
	-- The signed body, kept only when jsonb refused it (\u0000, bad UTF-8,
	-- malformed JSON): the row still exists and says why in payload.
	raw_body	bytea
);

CREATE INDEX IF NOT EXISTS installation_events_entity_idx
	ON installation_events (entity_id, received_at, id);
CREATE INDEX IF NOT EXISTS installation_events_installation_idx
	ON installation_events (installation_id);
CREATE INDEX IF NOT EXISTS installation_events_delivery_idx
	ON installation_events (delivery_id);

-- The log is append-only: the service never updates or deletes a row.
CREATE OR REPLACE FUNCTION installation_events_append_only()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'installation_events is append-only';
END;
$$;
DROP TRIGGER IF EXISTS installation_events_no_update ON installation_events;
CREATE TRIGGER installation_events_no_update
	BEFORE UPDATE OR DELETE ON installation_events
	FOR EACH ROW EXECUTE FUNCTION installation_events_append_only();

CREATE TABLE IF NOT EXISTS jobs (
	job_id		bigint PRIMARY KEY,
	status		text NOT NULL DEFAULT 'pending'
			CHECK (status IN ('pending', 'running', 'completed',
			    'failed')),
	failure_info	jsonb,
	entity_id	bigint,
	entity_type	text,
	entity_name	text,
	installation_id	bigint,
	app_id		bigint,
	repo_full_name	text,
	labels		jsonb,
	html_url	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS jobs_pending_idx
	ON jobs (installation_id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS jobs_entity_idx ON jobs (entity_id);

-- The job lookup of /trace/job reads jobs by its primary key; the events
-- of one job are found through this expression index (text, not a cast, so
-- that no payload can make an insert fail).
CREATE INDEX IF NOT EXISTS installation_events_job_idx
	ON installation_events ((payload -> 'workflow_job' ->> 'id'))
	WHERE source = 'webhook' AND event LIKE 'workflow_job.%';

CREATE TABLE IF NOT EXISTS auth_cache (
	installation_id	bigint NOT NULL,
	app_id		bigint NOT NULL,
	ok_until	timestamptz NOT NULL,
	PRIMARY KEY (installation_id, app_id)
);
