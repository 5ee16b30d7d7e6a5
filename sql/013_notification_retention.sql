-- SPDX-License-Identifier: MIT
-- Notifications end and go (issue 22).
--
-- A send for a sink taken out of the configuration is ended by cron/notify
-- as abandoned (abandoned_at), never attempted again, even if the sink
-- comes back.  A send is pending while none of sent_at, given_up_at and
-- abandoned_at is set: the index of the due sends says so, and replaces
-- sql/010's, which knew only the first two.
ALTER TABLE notification_sends ADD COLUMN IF NOT EXISTS abandoned_at timestamptz;

CREATE INDEX IF NOT EXISTS notification_sends_pending_idx
	ON notification_sends (next_attempt_at)
	WHERE sent_at IS NULL AND given_up_at IS NULL AND abandoned_at IS NULL;

DROP INDEX IF EXISTS notification_sends_due_idx;

-- cron/maintenance deletes the notifications older than the operations'
-- retention whose every send ended, with their sends: it finds them by
-- age, and each deletion checks that no repeat still refers to the
-- notification (the foreign key of repeat_of), through an index.
CREATE INDEX IF NOT EXISTS notifications_created_idx
	ON notifications (created_at);

CREATE INDEX IF NOT EXISTS notifications_repeat_of_idx
	ON notifications (repeat_of) WHERE repeat_of IS NOT NULL;
