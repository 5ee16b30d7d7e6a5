-- SPDX-License-Identifier: MIT
-- Live tail (DESIGN §14, issue 26): the streams (cgi-bin/trace_stream,
-- cgi-bin/operations_stream) are woken by NOTIFY, not by polling.
--
-- installation_events: one NOTIFY per writing statement (identical
-- notifications of one transaction are folded into one by PostgreSQL), so
-- the webhook's write gains nothing beyond a NOTIFY per transaction.  The
-- payload is empty: a stream reads what is new itself, by id, past the
-- watermark of lib/core/watermark.h.
CREATE OR REPLACE FUNCTION instlog_stream_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify(TG_ARGV[0], '');
	RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS installation_events_stream ON installation_events;
CREATE TRIGGER installation_events_stream
	AFTER INSERT ON installation_events
	FOR EACH STATEMENT EXECUTE FUNCTION instlog_stream_notify('instlog_events');

-- operations change in place (started, steps added, ended): every insert
-- or update takes the next stream_seq, the id a stream sends and resumes
-- from.  A change that a later one overtakes is sent once, as its latest
-- state (the earlier seq is gone, as an aborted id is).
CREATE SEQUENCE IF NOT EXISTS operations_stream_seq;
ALTER TABLE operations ADD COLUMN IF NOT EXISTS stream_seq bigint;
CREATE INDEX IF NOT EXISTS operations_stream_seq_idx ON operations (stream_seq);

CREATE OR REPLACE FUNCTION instlog_operations_stream_seq() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.stream_seq := nextval('operations_stream_seq');
	RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS operations_stream_seq ON operations;
CREATE TRIGGER operations_stream_seq
	BEFORE INSERT OR UPDATE ON operations
	FOR EACH ROW EXECUTE FUNCTION instlog_operations_stream_seq();

DROP TRIGGER IF EXISTS operations_stream ON operations;
CREATE TRIGGER operations_stream
	AFTER INSERT OR UPDATE ON operations
	FOR EACH STATEMENT EXECUTE FUNCTION instlog_stream_notify('instlog_operations');
