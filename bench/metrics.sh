#!/bin/bash
# SPDX-License-Identifier: MIT
# Scrape cost of GET /metrics with a large log against an empty one
# (bench/RESULTS.md, "Metrics scrape").  One throwaway stack
# (tests/stack.sh) whose database gets BENCH_ROWS (1,000,000)
# installation_events rows with real payloads, and beside it a second
# metrics binary over an empty database of the same cluster, behind its
# own nginx location.  The two are scraped in alternation, BENCH_ROUNDS
# rounds of 25 each, so that whatever else the machine does weighs on both
# alike.  Then a month of operations goes into both databases and they
# are measured again.  Prints per-scrape times (curl's time_total) and
# how many scans of installation_events the scrapes caused (must be 0).
# Root only (initdb runs as postgres).  Not part of `make test`.

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/stack.sh"

FIXTURES=${FIXTURES:-$(cd "$TOP/.." && pwd)/shared/fixtures/github}
ROWS=${BENCH_ROWS:-1000000}
ROUNDS=${BENCH_ROUNDS:-20}

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

WJ=$FIXTURES/workflow_job.in_progress.json
[ -f "$WJ" ] || die "no fixtures at $FIXTURES"
make -s -C "$TOP" all >/dev/null || die "build failed"

BENCH=$(mktemp -d /tmp/instlog-bench.XXXXXX) || exit 1
chmod 755 "$BENCH"
trap 'stack_stop; [ -n "${EMPTY_PID:-}" ] && kill $EMPTY_PID 2>/dev/null
    rm -rf "$BENCH"' EXIT
export GITHUB_WEBHOOK_SECRET=bench-$RANDOM TRACE_API_SECRET=bench-$RANDOM
export INSTLOG_SPOOL_DIR=$BENCH/spool
cat >"$BENCH/extra.conf" <<'EOF'
location = /metrics-empty {
	allow 127.0.0.1;
	deny all;
	include @RUNDIR@/fastcgi.conf;
	fastcgi_pass unix:@RUNDIR@/metrics_empty.sock;
}
EOF
export STACK_NGINX_EXTRA=$BENCH/extra.conf
STACK_ROUTES="webhook metrics" stack_start "$BENCH/run" || die "stack"
FULL=$DATABASE_URL
EMPTY=${FULL%/*}/instlog_empty
stack_as_pg "$PG_BINDIR/createdb" -h 127.0.0.1 -p "$PG_PORT" -U instlog \
    instlog_empty || die "createdb"
"$TOP/sql/migrate" "$EMPTY" >/dev/null || die "migrate"
DATABASE_URL=$EMPTY "$STACK_BIN/metrics" -s "$RUNDIR/metrics_empty.sock" \
    -w 2 2>>"$RUNDIR/metrics_empty.log" &
EMPTY_PID=$!

psql_full() { psql "$FULL" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
psql_empty() { psql "$EMPTY" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
psql_both() { psql_full "$@" && psql_empty "$@"; }

# A few signed deliveries, so that the counters have series.
for e in ping installation.created workflow_job.queued; do
	f=$FIXTURES/$e.json
	sig=$(openssl dgst -sha256 -hmac "$GITHUB_WEBHOOK_SECRET" -r "$f" |
	    cut -d' ' -f1)
	curl -sS -o /dev/null -H "X-GitHub-Event: ${e%%.*}" \
	    -H "X-GitHub-Delivery: bench-$e" \
	    -H "X-Hub-Signature-256: sha256=$sig" \
	    --data-binary @"$f" "$INSTLOG_URL/webhook"
done

# log_scans: seq + index scans of every installation_events partition.
log_scans() {
	sleep 1 # statistics reach the shared counters at transaction end
	psql_full -c "SELECT coalesce(sum(coalesce(seq_scan, 0) +
	    coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables
	    WHERE relid IN (SELECT inhrelid FROM pg_inherits
	    WHERE inhparent = 'installation_events'::regclass)"
}

# measure NAME: ROUNDS x (25 scrapes of the full, 25 of the empty one).
measure() {
	local r i s0 s1
	: >"$BENCH/full.t"
	: >"$BENCH/empty.t"
	for i in $(seq 1 20); do
		curl -s -o /dev/null "$INSTLOG_URL/metrics"
		curl -s -o /dev/null "$INSTLOG_URL/metrics-empty"
	done
	s0=$(log_scans)
	for r in $(seq 1 "$ROUNDS"); do
		for i in $(seq 1 25); do
			curl -s -o /dev/null -w '%{time_total}\n' \
			    "$INSTLOG_URL/metrics" >>"$BENCH/full.t"
		done
		for i in $(seq 1 25); do
			curl -s -o /dev/null -w '%{time_total}\n' \
			    "$INSTLOG_URL/metrics-empty" >>"$BENCH/empty.t"
		done
	done
	s1=$(log_scans)
	for t in full empty; do
		sort -n "$BENCH/$t.t" | awk -v n="$1 $t" '
		    { v[NR] = $1 * 1000; s += $1 * 1000 }
		    END { printf "%-27s scrapes=%d median=%.2f ms " \
			"p90=%.2f ms p99=%.2f ms mean=%.2f ms\n", n, NR,
			v[int(NR * 0.5)], v[int(NR * 0.9)],
			v[int(NR * 0.99)], s / NR }'
	done
	echo "$1: installation_events scans during the scrapes: $((s1 - s0))"
}

curl -s "$INSTLOG_URL/metrics" | promtool check metrics || die "promtool"
log "loading $ROWS rows into installation_events"
t0=$(date +%s)
psql_full -v rows="$ROWS" \
    -v wj="$(cat "$WJ")" <<'SQL' >/dev/null ||
    die "load"
SELECT instlog_ensure_partitions(3);
INSERT INTO installation_events (received_at, source, event, outcome,
    delivery_id, app_id, installation_id, entity_type, entity_id,
    entity_name, payload)
SELECT now() - interval '20 days' * (1 - g::float8 / :rows), 'webhook',
    'workflow_job.in_progress', 'job_marked_running',
    md5('b' || g)::uuid::text, 29310, 5000000 + g % 2000, 'User',
    1000000 + g % 2000, 'acct' || g % 2000,
    jsonb_set(:'wj'::jsonb, '{workflow_job,id}', to_jsonb(g))
FROM generate_series(1, :rows) g;
VACUUM ANALYZE installation_events;
CHECKPOINT;
SQL
size=$(psql_full -c "SELECT pg_size_pretty(sum(pg_total_relation_size(
    inhrelid))) FROM pg_inherits
    WHERE inhparent = 'installation_events'::regclass")
n=$(psql_full -c "SELECT count(*) FROM installation_events")
e=$(psql_empty -c 'SELECT count(*) FROM installation_events')
echo "log: $n rows, $size on disk (loaded in $(($(date +%s) - t0)) s);" \
    "empty database: $e rows"
measure "no operations"

# A month of operations in both: an auth check a minute (2% failed), a
# redelivery sweep every 10 minutes, a daily maintenance, 500 spool
# passes, 2,000 failed deliveries, each with a kilobyte of steps.
log "loading a month of operations into both databases"
cat >"$BENCH/ops.sql" <<'SQL'
SELECT instlog_operations_ensure_partitions(1, 31);
INSERT INTO operations (type, status, started_at, completed_at,
    duration_ms, steps, steps_summary, error)
SELECT k.type, CASE WHEN k.type = 'delivery' OR g % 50 = 0 THEN 'failed'
	ELSE 'completed' END,
    now() - interval '30 days' * (1 - g::float8 / k.n),
    now() - interval '30 days' * (1 - g::float8 / k.n) + interval '1 s',
    1000, (SELECT jsonb_agg(jsonb_build_object('name', 'step ' || s,
	'status', 'completed', 'duration_ms', s, 'output',
	jsonb_build_object('installation_id', 957387 + s)))
	FROM generate_series(1, 8) s), 'jwt:org ✓ → 8 more ✓',
    CASE WHEN k.type = 'delivery' OR g % 50 = 0 THEN 'step: failed' END
FROM (VALUES ('auth_check', 43200), ('redeliver', 4320),
    ('maintenance', 30), ('spool_replay', 500), ('delivery', 2000))
    AS k(type, n), generate_series(1, k.n) g;
VACUUM ANALYZE operations;
SQL
psql_both -f "$BENCH/ops.sql" >/dev/null || die "operations"
n=$(psql_full -c 'SELECT count(*) FROM operations')
echo "operations: $n rows in each database"
measure "a month of operations"
