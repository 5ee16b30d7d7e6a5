-- SPDX-License-Identifier: MIT
-- Trace benchmark data (bench/run.sh): :filler rows over 2,000 accounts,
-- then one account :ent with 10,000 events.  Everything is spread over the
-- last 120 days, so five monthly partitions hold it (run.sh creates them
-- first).  psql variables: filler (0 to skip), ent, and the fixture bodies
-- wj (workflow_job.in_progress),
-- created, suspend, unsuspend, added (installation*).
--
-- Filler rows: 95% workflow_job.* with a small payload carrying
-- workflow_job.id, repository.full_name and sender.login; 5%
-- installation.*.  The measured account's rows carry real GitHub payloads
-- (8 KB workflow_job, 3-6 KB installation*): 9,950 workflow_job.* and 50
-- installation.* / installation_repositories.* rows.

\set ON_ERROR_STOP 1

INSERT INTO installation_events (received_at, source, event, outcome,
    delivery_id, app_id, installation_id, entity_type, entity_id,
    entity_name, payload)
SELECT now() - interval '120 days' * (1 - g::float8 / :filler), 'webhook',
    CASE WHEN g % 20 = 0 THEN
	(ARRAY['installation.created', 'installation.suspend',
	'installation.unsuspend', 'installation_repositories.added'])
	[1 + (g / 20) % 4]
    ELSE (ARRAY['workflow_job.queued', 'workflow_job.in_progress',
	'workflow_job.completed'])[1 + g % 3] END,
    CASE WHEN g % 20 = 0 THEN 'ok' ELSE
	(ARRAY['job_stored', 'job_marked_running',
	'job_marked_completed'])[1 + g % 3] END,
    md5('f' || g)::uuid::text, 29310, 5000000 + g % 2000,
    CASE WHEN g % 2 = 0 THEN 'Organization' ELSE 'User' END,
    1000000 + g % 2000, 'acct' || g % 2000,
    jsonb_build_object(
	'action', (ARRAY['queued', 'in_progress', 'completed'])[1 + g % 3],
	'workflow_job', jsonb_build_object('id', g, 'run_id', g / 3,
	    'html_url', 'https://github.com/acct' || g % 2000 ||
	    '/repo/actions/runs/' || g / 3 || '/job/' || g,
	    'labels', jsonb_build_array('self-hosted', 'linux')),
	'repository', jsonb_build_object('full_name',
	    'acct' || g % 2000 || '/repo' || g % 5),
	'installation', jsonb_build_object('id', 5000000 + g % 2000),
	'sender', jsonb_build_object('login', 'user' || g % 97))
FROM generate_series(1, :filler) g;

-- The measured account (run.sh has set the payload compression).
INSERT INTO installation_events (received_at, source, event, outcome,
    delivery_id, app_id, installation_id, entity_type, entity_id,
    entity_name, payload)
SELECT now() - interval '120 days' * (1 - g::float8 / 10000), 'webhook',
    CASE WHEN g % 200 = 0 THEN
	(ARRAY['installation.created', 'installation.suspend',
	'installation.unsuspend', 'installation_repositories.added'])
	[1 + (g / 200) % 4]
    ELSE (ARRAY['workflow_job.queued', 'workflow_job.in_progress',
	'workflow_job.completed'])[1 + g % 3] END,
    CASE WHEN g % 200 = 0 THEN 'ok' ELSE
	(ARRAY['job_stored', 'job_marked_running',
	'job_marked_completed'])[1 + g % 3] END,
    md5('t' || :ent || '-' || g)::uuid::text, 29310, 7000000 + :ent,
    'Organization', :ent, 'bench-org',
    CASE WHEN g % 200 = 0 THEN
	(ARRAY[:'created'::jsonb, :'suspend'::jsonb, :'unsuspend'::jsonb,
	:'added'::jsonb])[1 + (g / 200) % 4]
    ELSE jsonb_set(jsonb_set(:'wj'::jsonb, '{workflow_job,id}',
	to_jsonb(:ent::bigint * 100000 + g)), '{action}',
	to_jsonb((ARRAY['queued', 'in_progress', 'completed'])[1 + g % 3]))
    END
FROM generate_series(1, 10000) g;
