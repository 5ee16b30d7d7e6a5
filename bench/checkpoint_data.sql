-- SPDX-License-Identifier: MIT
-- Fold checkpoint benchmark data (bench/checkpoint.sh): account :ent with
-- :n non-job events over the last 300 days, as a bot adding and removing
-- repositories makes them: installation.created first, then in turn 3
-- installation_repositories.added, 3 .removed, an installation.suspend and
-- an .unsuspend (one repository each, 50 distinct names), and every 1000th
-- row a scheduler auth_attempt.404.  Real GitHub payloads (psql variables
-- created, added, suspend, unsuspend: the fixture bodies) with the account,
-- installation and repository lists edited.

\set ON_ERROR_STOP 1

INSERT INTO installation_events (received_at, source, event, outcome,
    delivery_id, app_id, installation_id, entity_type, entity_id,
    entity_name, payload)
SELECT now() - interval '300 days' * (1 - g::float8 / :n),
    CASE WHEN k = 'auth' THEN 'scheduler' ELSE 'webhook' END,
    CASE k WHEN 'created' THEN 'installation.created'
	WHEN 'added' THEN 'installation_repositories.added'
	WHEN 'removed' THEN 'installation_repositories.removed'
	WHEN 'suspend' THEN 'installation.suspend'
	WHEN 'unsuspend' THEN 'installation.unsuspend'
	ELSE 'auth_attempt.404' END,
    CASE WHEN k = 'auth' THEN 'auth_404' ELSE 'ok' END,
    CASE WHEN k = 'auth' THEN NULL
	ELSE md5('c' || :ent || '-' || g)::uuid::text END,
    29310, 8000000 + :ent, 'Organization', :ent, 'bench-fleet',
    CASE k WHEN 'created' THEN p.created
	WHEN 'added' THEN p.added[1 + g % 50]
	WHEN 'removed' THEN p.removed[1 + g % 50]
	WHEN 'suspend' THEN p.suspend
	WHEN 'unsuspend' THEN p.unsuspend
	ELSE jsonb_build_object('installation_id', 8000000 + :ent,
	    'app_id', 29310, 'entity_type', 'Organization',
	    'entity_id', :ent, 'entity_name', 'bench-fleet',
	    'repository', jsonb_build_object('full_name',
	    'bench-fleet/repo' || g % 50), 'http_status', 404) END
FROM generate_series(1, :n) g
CROSS JOIN LATERAL (SELECT CASE WHEN g = 1 THEN 'created'
    WHEN g % 1000 = 0 THEN 'auth'
    ELSE (ARRAY['added', 'added', 'added', 'removed', 'removed',
	'removed', 'suspend', 'unsuspend'])[1 + g % 8] END AS k) kk
CROSS JOIN (SELECT
    jsonb_set(jsonb_set(jsonb_set(:'created'::jsonb,
	'{installation,account,id}', to_jsonb(:ent::bigint)),
	'{installation,account,login}', '"bench-fleet"'),
	'{installation,id}', to_jsonb(8000000 + :ent::bigint)) AS created,
    (SELECT array_agg(jsonb_set(jsonb_set(:'added'::jsonb,
	'{installation,account,login}', '"bench-fleet"'),
	'{repositories_added}', jsonb_build_array(jsonb_build_object('id', r,
	'name', 'repo' || r, 'full_name', 'bench-fleet/repo' || r,
	'private', false))) ORDER BY r)
	FROM generate_series(0, 49) r) AS added,
    (SELECT array_agg(jsonb_set(jsonb_set(jsonb_set(:'added'::jsonb,
	'{installation,account,login}', '"bench-fleet"'), '{action}',
	'"removed"'), '{repositories_removed}',
	jsonb_build_array(jsonb_build_object('id', r, 'name', 'repo' || r,
	'full_name', 'bench-fleet/repo' || r, 'private', false)))
	- 'repositories_added' ORDER BY r)
	FROM generate_series(0, 49) r) AS removed,
    jsonb_set(:'suspend'::jsonb, '{installation,account,login}',
	'"bench-fleet"') AS suspend,
    jsonb_set(:'unsuspend'::jsonb, '{installation,account,login}',
	'"bench-fleet"') AS unsuspend) p;
