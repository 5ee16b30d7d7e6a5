-- SPDX-License-Identifier: MIT
-- Notifications (DESIGN §10): what cron/notify decided to announce, and
-- what it sent to each sink.  The log is the outbox: nothing here is
-- written on the webhook's path.

-- One row per source that cron/notify has considered: an
-- installation_events row (event_row_id) or a failed operation
-- (operation_id).  'body' is the gateway document, kept as the exact
-- bytes that are signed, so that every retry sends the same bytes with
-- the same X-Instlog-Event-ID ('event_key'); 'slack_body' the Slack
-- document.  A repeated auth failure
-- (the installation has not been healthy since the announced one) gets a
-- row with 'repeat_of' set and no body: it is remembered, never sent.
CREATE TABLE IF NOT EXISTS notifications (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_row_id	bigint UNIQUE,
	operation_id	bigint UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	action		text NOT NULL,
	installation_id	bigint,
	entity_id	bigint,
	event_key	text NOT NULL,
	repeat_of	bigint REFERENCES notifications (id),
	body		text,
	slack_body	text,
	CHECK ((event_row_id IS NULL) <> (operation_id IS NULL)),
	CHECK ((repeat_of IS NULL) = (body IS NOT NULL))
);

-- The announced auth failure of an installation, per cause (action).
CREATE INDEX IF NOT EXISTS notifications_alert_idx
	ON notifications (installation_id, action, id)
	WHERE repeat_of IS NULL AND action LIKE 'auth_attempt.%';

-- Per (notification, sink): the delivery state.  2xx sets sent_at; any
-- other answer or a transport error counts an attempt, keeps the last
-- status and error, and moves next_attempt_at by the backoff (1, 2, 4, ...
-- minutes); an attempt that fails 24 h or more after the notification was
-- created sets given_up_at.
CREATE TABLE IF NOT EXISTS notification_sends (
	notification_id	bigint NOT NULL REFERENCES notifications (id),
	sink		text NOT NULL CHECK (sink IN ('gateway', 'slack')),
	attempts	int NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	last_attempt_at	timestamptz,
	sent_at		timestamptz,
	given_up_at	timestamptz,
	last_status	int,
	last_error	text,
	PRIMARY KEY (notification_id, sink)
);

CREATE INDEX IF NOT EXISTS notification_sends_due_idx
	ON notification_sends (next_attempt_at)
	WHERE sent_at IS NULL AND given_up_at IS NULL;

-- How far cron/notify has read the log.  A row committed late (a lower
-- id committing after a higher one) must still be announced, so the
-- watermark is not "the highest id seen": every row with an id above
-- 'settled_id' is read each run and deduplicated by
-- notifications.event_row_id, and 'settled_id' only moves past ids that
-- no transaction can still insert.
--
-- The rule.  A run first notes its snapshot S (one statement): the
-- highest id M it sees, its xmin and xmax; then it reads and stores every
-- new row above 'settled_id'; then it moves the cursor.  Ids come from a
-- sequence, so every id at or below M was taken before S, by a
-- transaction that had ended by S or was running then; such a
-- transaction had its xid before S, or takes it at its first write just
-- after.  The next run's snapshot xmax covers both, so M is kept as
-- 'pending_id' with the next run's xmax as 'pending_xmax'; at a later
-- run whose snapshot xmin has reached 'pending_xmax', each of those
-- transactions ended before that snapshot, its rows were visible to that
-- run's reads and are stored, and 'settled_id' becomes M.  (Left out: an
-- INSERT that stalls for a whole run interval between taking its id and
-- writing its row; instlog's sessions have statement_timeout 5 s.)  An
-- idle open transaction holds 'settled_id' back: the reads grow, nothing
-- is skipped.
--
-- 'seen_id': M of the previous run.  'op_floor': failed operations with
-- an id at or below it predate notifications and are never announced
-- (the others are deduplicated by notifications.operation_id; an
-- operation fails when it ends, so no id watermark serves them).
CREATE TABLE IF NOT EXISTS notify_cursor (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	settled_id	bigint NOT NULL,
	seen_id		bigint,
	pending_id	bigint,
	pending_xmax	xid8,
	op_floor	bigint NOT NULL
);

-- The log that exists when notifications arrive is history, not news:
-- start after it.
INSERT INTO notify_cursor (settled_id, op_floor)
SELECT (SELECT coalesce(max(id), 0) FROM installation_events),
    (SELECT coalesce(min(id) - 1, (SELECT coalesce(max(id), 0)
	FROM operations)) FROM operations WHERE status = 'running')
ON CONFLICT (one) DO NOTHING;

-- "Healthy again": an installation whose announced auth failure is
-- followed by a successful auth (ok_at, set whenever its auth_cache row
-- is written valid: the auth check writes one only on a 201) or by an
-- installation.created or installation.unsuspend row is announced again
-- at its next failure of that cause.
ALTER TABLE auth_cache ADD COLUMN IF NOT EXISTS ok_at timestamptz;

CREATE OR REPLACE FUNCTION auth_cache_ok_at()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.ok_at := now();
	RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS auth_cache_ok_at ON auth_cache;
CREATE TRIGGER auth_cache_ok_at
	BEFORE INSERT OR UPDATE ON auth_cache
	FOR EACH ROW WHEN (NEW.ok_until > now())
	EXECUTE FUNCTION auth_cache_ok_at();
