-- SPDX-License-Identifier: MIT
-- Notifications name their cause (issue 24, DESIGN §10 and §13).
--
-- 'cause' is the cause of DESIGN §13 a notification shows, as its
-- gateway document's "cause" says: for an auth failure the one of its
-- status and message by the diagnosis's rule (bad_credentials,
-- rate_limited, github_unavailable), repo_renamed, repo_transferred,
-- repo_deleted or plan_cancelled for those deliveries; NULL for the
-- others (a 404: the timeline tells why).  An auth failure is announced
-- once per installation and coalesce(cause, action) until the
-- installation is healthy again: a 503 after a 401 is news, a second 503
-- is not.  The rows stored before this migration have no cause and keep
-- their action as their key: an old announced other_error still makes a
-- later failure of no cause a repeat, and is no repeat-maker for a
-- failure with a cause (at most one more announcement, never one lost).
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS cause text;

-- The announced auth failure of an installation, per cause; replaces
-- sql/010's index, which knew the action only.
CREATE INDEX IF NOT EXISTS notifications_cause_alert_idx
	ON notifications (installation_id, (coalesce(cause, action)), id)
	WHERE repeat_of IS NULL AND action LIKE 'auth_attempt.%';

DROP INDEX IF EXISTS notifications_alert_idx;
