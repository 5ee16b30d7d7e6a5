-- SPDX-License-Identifier: MIT
-- The redelivery sweep (cron/redeliver): what it asked GitHub to send
-- again, and how far back each app's delivery list has been swept.

-- One row per delivery guid (X-GitHub-Delivery, installation_events'
-- delivery_id) we asked GitHub to redeliver.  A guid is asked for at most
-- 3 times, at least 30 minutes apart.
CREATE TABLE IF NOT EXISTS redelivery_requests (
	guid		text PRIMARY KEY,
	app_id		bigint NOT NULL,
	-- GitHub's id of the attempt redelivered last (the {delivery_id}
	-- of POST /app/hook/deliveries/{delivery_id}/attempts).
	hook_delivery_id bigint NOT NULL,
	event		text,
	first_requested_at timestamptz NOT NULL DEFAULT now(),
	requested_at	timestamptz NOT NULL DEFAULT now(),
	attempts	integer NOT NULL DEFAULT 1 CHECK (attempts > 0),
	-- GitHub's answer to the last request (202 when accepted).
	last_status	integer NOT NULL
);

CREATE INDEX IF NOT EXISTS redelivery_requests_requested_idx
	ON redelivery_requests (requested_at);

-- Per app: the newest delivered_at of its last complete sweep.  The next
-- sweep lists back to an hour before it (and never past GitHub's 3 days).
CREATE TABLE IF NOT EXISTS redelivery_sweeps (
	app_id		bigint PRIMARY KEY,
	swept_until	timestamptz NOT NULL,
	swept_at	timestamptz NOT NULL DEFAULT now()
);
