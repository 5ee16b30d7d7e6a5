#!/bin/bash
# SPDX-License-Identifier: MIT
# GET /trace/failing (issue 24): 1,000 failing accounts (an
# installation.created and BENCH_FAILS auth_attempt.other_error rows each,
# in the last 24 h) among a log of 100,000 rows, then of 1,000,000 rows
# (filler: workflow_job.* and installation.* rows of 2,000 other accounts,
# spread over 120 days), p50 of BENCH_N requests of ?limit=100 (the
# default page) after a warm-up request (which stores the fold
# checkpoints).  Runs alone: `bash bench/failing.sh`; not part of
# `make test`.  Raw output goes to build/bench/failing-<date>/.

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/stack.sh"

N=${BENCH_N:-30}
FAILS=${BENCH_FAILS:-10}

log() { printf 'failing: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

make -s -C "$TOP" all >/dev/null || die "build failed"
OUT=$TOP/build/bench/failing-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
BENCH=$(mktemp -d /tmp/instlog-failing-bench.XXXXXX)
chmod 755 "$BENCH"
cleanup() { stack_stop; rm -rf "$BENCH"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

export TRACE_API_SECRET="bench-failing-$RANDOM$RANDOM"
export GITHUB_WEBHOOK_SECRET="bench-$RANDOM$RANDOM"
unset DATABASE_URL DATABASE_READ_URL INSTLOG_FOLD_CHECKPOINT_EVERY INSTLOG_SPOOL_DIR
stack_start "$BENCH/run" >"$OUT/stack.log" 2>&1 ||
    { cat "$OUT/stack.log" >&2; die "stack failed"; }
sql() { psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
sql "SELECT instlog_ensure_partitions(5, 3)" >/dev/null 2>&1 || true

# fill FROM TO: filler rows FROM..TO (95% workflow_job.*).
fill() {
	sql "INSERT INTO installation_events (received_at, source, event, outcome,
	    app_id, installation_id, entity_type, entity_id, entity_name, payload)
	SELECT now() - interval '120 days' * random(), 'webhook',
	    CASE WHEN g % 20 = 0 THEN 'installation_repositories.added'
	    ELSE 'workflow_job.in_progress' END,
	    CASE WHEN g % 20 = 0 THEN 'ok' ELSE 'job_marked_running' END,
	    29310, 5000000 + g % 2000, 'Organization', 7000000 + g % 2000,
	    'filler' || g % 2000,
	    jsonb_build_object('workflow_job', jsonb_build_object('id', g),
	      'repository', jsonb_build_object('full_name', 'filler/r' || g % 50),
	      'sender', jsonb_build_object('login', 'bot'))
	FROM generate_series($1, $2) g" >/dev/null
}

# The failing accounts: created 30 days ago, then FAILS 503s in 24 h.
sql "INSERT INTO installation_events (received_at, source, event, outcome,
    app_id, installation_id, entity_type, entity_id, entity_name, payload)
SELECT now() - interval '30 days', 'webhook', 'installation.created', 'ok',
    29310, 8000000 + a, 'Organization', 9000000 + a, 'failing' || a,
    jsonb_build_object('installation', jsonb_build_object('id', 8000000 + a,
      'repository_selection', 'all'), 'repositories', '[]'::jsonb)
FROM generate_series(1, 1000) a" >/dev/null
sql "INSERT INTO installation_events (received_at, source, event, outcome,
    app_id, installation_id, entity_type, entity_id, entity_name, payload)
SELECT now() - interval '23 hours' * random(), 'scheduler',
    'auth_attempt.other_error', 'auth_other_error', 29310, 8000000 + a,
    'Organization', 9000000 + a, 'failing' || a,
    jsonb_build_object('installation_id', 8000000 + a, 'app_id', 29310,
      'repository', jsonb_build_object('full_name', 'failing' || a || '/r'),
      'workflow_job', jsonb_build_object('id', a), 'http_status', 503,
      'message', 'Service Unavailable')
FROM generate_series(1, 1000) a, generate_series(1, $FAILS) f" >/dev/null

AUTH="Authorization: Bearer $TRACE_API_SECRET"
# p50 PATH: warm up once, then N requests; prints "p50 p90" in ms.
p50() {
	local code
	code=$(curl -sS -o "$OUT/last.json" -w '%{http_code}' -H "$AUTH" "$INSTLOG_URL$1")
	[ "$code" = 200 ] || die "$1: HTTP $code: $(head -c 300 "$OUT/last.json")"
	for _ in $(seq 1 "$N"); do
		curl -sS -o /dev/null -w '%{time_total}\n' -H "$AUTH" "$INSTLOG_URL$1"
	done | sort -n | awk '{ v[NR] = $1 * 1000 } END {
	    printf "%.1f %.1f\n", v[int((NR + 1) / 2)], v[int(NR * 0.9)] }'
}

{
	echo "date: $(date -u +%FT%TZ)"
	echo "nproc: $(nproc)"
	echo "model: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "git: $(git -C "$TOP" describe --always --dirty 2>/dev/null)"
	echo "server: $(sql 'SELECT version()')"
} | tee "$OUT/machine.txt"
for total in 100000 1000000; do
	have=$(sql "SELECT count(*) FROM installation_events")
	[ "$have" -lt "$total" ] && fill "$have" "$((total - 1))"
	sql "VACUUM ANALYZE installation_events" >/dev/null
	rows=$(sql "SELECT count(*) FROM installation_events")
	listed=$(curl -sS -H "$AUTH" "$INSTLOG_URL/trace/failing?limit=1000" | jq '.data | length')
	read -r a b < <(p50 "/trace/failing")
	read -r c d < <(p50 "/trace/failing?cause=github_unavailable&limit=10")
	printf '| %s rows | %s listed | limit=100: p50 %s ms, p90 %s ms | cause filter, limit=10: p50 %s ms | load %s |\n' \
	    "$rows" "$listed" "$a" "$b" "$c" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.md"
done
