#!/bin/bash
# SPDX-License-Identifier: MIT
# Fold checkpoints (issue 17): /trace/entity/{id}?limit=50 of an account
# with 1,000,000 non-job events against one with 100, in the same run, with
# checkpoints off (INSTLOG_FOLD_CHECKPOINT_EVERY=0, the fold of every row)
# and on (the default), plus ?at= across the long history and the route
# against its own SQL.  Runs alone: `bash bench/checkpoint.sh`; not part of
# `make test` or `make bench`.
#
# Knobs: BENCH_BIG (events of the long account, default 1000000),
# BENCH_N (requests per p50, default 20), BENCH_N_OFF (requests of the long
# account with checkpoints off, default 3: each folds every row).
# Raw output goes to build/bench/checkpoint-<date>/.

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/stack.sh"

FIXTURES=${FIXTURES:-$(cd "$TOP/.." && pwd)/shared/fixtures/github}
BIG_N=${BENCH_BIG:-1000000}
N=${BENCH_N:-20}
N_OFF=${BENCH_N_OFF:-3}
BIG=9100001
SMALL=9100002

. "$TOP/bench/lib.sh"
BENCH_NAME=checkpoint
make -s -C "$TOP" all build/bench/trace_sql >/dev/null || die "build failed"
bench_start checkpoint
URL=$INSTLOG_URL

# --- Data ------------------------------------------------------------------
log "loading $BIG_N events of account $BIG and 100 of account $SMALL"
sql "SELECT instlog_ensure_partitions(3, 11)" >/dev/null
t0=$(date +%s)
for a in "$BIG $BIG_N" "$SMALL 100"; do
	set -- $a
	bench_load "$1" "$2"
done
sql "VACUUM ANALYZE installation_events" >/dev/null
t1=$(date +%s)
big_rows=$(sql "SELECT count(*) FROM installation_events WHERE entity_id = $BIG")
log "loaded in $((t1 - t0)) s: $big_rows rows of $BIG, $(sql "SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'installation_events'::regclass") (partitions: $(sql "SELECT count(*) FROM pg_inherits WHERE inhparent = 'installation_events'::regclass"))"

# --- Helpers ---------------------------------------------------------------
AUTH="Authorization: Bearer $TRACE_API_SECRET"
# route EVERY: trace_entity with that INSTLOG_FOLD_CHECKPOINT_EVERY ("" =
# the default).
route() {
	stack_route_stop trace_entity
	if [ -n "$1" ]; then
		INSTLOG_FOLD_CHECKPOINT_EVERY=$1 stack_route_start trace_entity
	else
		stack_route_start trace_entity
	fi >>"$OUT/stack.log" 2>&1 || die "trace_entity did not start"
}
# get PATH: one request; prints its time in ms; the body goes to $OUT/last.json.
get() {
	local t code
	read -r code t < <(curl -sS -o "$OUT/last.json" -w '%{http_code} %{time_total}\n' \
	    -H "$AUTH" "$URL$1")
	[ "$code" = 200 ] || die "$1: HTTP $code: $(head -c 300 "$OUT/last.json")"
	awk -v t="$t" 'BEGIN { printf "%.2f\n", t * 1000 }'
}
# try PATH: like get, but an answer other than 200 prints "HTTP <code>
# after <ms> ms" instead of stopping.
try() {
	local t code
	read -r code t < <(curl -sS -o "$OUT/last.json" -w '%{http_code} %{time_total}\n' \
	    -H "$AUTH" "$URL$1")
	t=$(awk -v t="$t" 'BEGIN { printf "%.2f\n", t * 1000 }')
	if [ "$code" = 200 ]; then echo "$t"; else echo "HTTP $code after $t ms"; fi
}
p50() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
pmax() { sort -n | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.2f", (b > 0) ? a / b : 0) }'; }
# at_of K: the received_at of the account's K-th non-job row (1-based).
at_of() {
	sql "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM installation_events WHERE entity_id = $BIG AND event NOT LIKE 'workflow_job.%' ORDER BY received_at, id OFFSET $(($1 - 1)) LIMIT 1"
}
PAGE="?limit=50"

# --- Before: checkpoints off -----------------------------------------------
log "checkpoints off: the fold of every row"
route 0
get "/trace/entity/$SMALL$PAGE" >/dev/null
for _ in $(seq 1 "$N"); do get "/trace/entity/$SMALL$PAGE"; done >"$OUT/off-small.txt"
# The long account may not fold within the statement timeout (5 s): then
# the answer is a 503, recorded as such.
for _ in $(seq 1 "$N_OFF"); do try "/trace/entity/$BIG$PAGE"; done >"$OUT/off-big.txt"
cp "$OUT/last.json" "$OUT/off-big.json"
mid=$(at_of $((big_rows / 2)))
try "/trace/entity/$BIG$PAGE&at=$mid" >"$OUT/off-big-at.txt"
cp "$OUT/last.json" "$OUT/off-big-at.json"
off_small=$(p50 <"$OUT/off-small.txt")
if grep -q HTTP "$OUT/off-big.txt"; then
	off_big=$(head -1 "$OUT/off-big.txt")
	full_ok=false
else
	off_big=$(p50 <"$OUT/off-big.txt")
	full_ok=true
fi
log "off: small p50 $off_small ms, big $off_big (p50 of $N_OFF), big at=middle $(cat "$OUT/off-big-at.txt")"

# --- After: checkpoints on (the default, every 256 rows) -------------------
log "checkpoints on"
route ""
sql "TRUNCATE fold_checkpoints" >/dev/null
# The first traces fold from the last snapshot stored so far, and store
# up to 16 MB of new ones each, until the history is covered.
builds=""
for _ in $(seq 1 20); do
	t=$(try "/trace/entity/$BIG$PAGE")
	builds="$builds${builds:+, }$t"
	case "$t" in HTTP*) continue ;; esac
	awk -v t="$t" 'BEGIN { exit !(t < 1000) }' && break
done
first=${builds%%,*}
# A worker whose statement ran out of the request's time waits 3 s before
# it tries PostgreSQL again (README, "Configuration").
sleep 4
nck=$(sql "SELECT count(*) FROM fold_checkpoints WHERE entity_id = $BIG")
cksize=$(sql "SELECT pg_size_pretty(sum(length(snapshot))) || ', ' || round(avg(length(snapshot))) || ' B each' FROM fold_checkpoints WHERE entity_id = $BIG")
log "first traces of $BIG (fold from the last snapshot, write more): $builds ms; $nck snapshots, $cksize"
# The same answers as the fold of every row, where that one answered
# (else tests/integration/test_checkpoint.sh is the proof).
same() {
	if [ "$full_ok" = true ] && ! grep -q HTTP "$2"; then
		cmp -s "$OUT/last.json" "$1" || die "$3 differs from the full fold"
		log "$3: the same bytes as the full fold"
	fi
}
same "$OUT/off-big.json" "$OUT/off-big.txt" "trace after the build"
get "/trace/entity/$BIG$PAGE" >/dev/null
same "$OUT/off-big.json" "$OUT/off-big.txt" "trace from snapshots"
get "/trace/entity/$BIG$PAGE&at=$mid" >/dev/null
same "$OUT/off-big-at.json" "$OUT/off-big-at.txt" "?at= from snapshots"
get "/trace/entity/$SMALL$PAGE" >/dev/null
# Interleaved, so that both see the same machine.
: >"$OUT/on-small.txt"
: >"$OUT/on-big.txt"
for _ in $(seq 1 "$N"); do
	get "/trace/entity/$SMALL$PAGE" >>"$OUT/on-small.txt"
	get "/trace/entity/$BIG$PAGE" >>"$OUT/on-big.txt"
done
# ?at= at N points spread over the whole history (each its own).
: >"$OUT/on-at.txt"
for i in $(seq 1 "$N"); do
	k=$(( (big_rows - 1) * i / N + 1 ))
	get "/trace/entity/$BIG$PAGE&at=$(at_of "$k")" >>"$OUT/on-at.txt"
	get "/trace/entity/$SMALL$PAGE" >>"$OUT/on-small.txt"
done
on_small=$(p50 <"$OUT/on-small.txt")
on_big=$(p50 <"$OUT/on-big.txt")
on_at=$(p50 <"$OUT/on-at.txt")
on_at_max=$(pmax <"$OUT/on-at.txt")

# --- The route against its own SQL (long account, checkpoints on) ----------
"$TOP/build/bench/trace_sql" >"$OUT/trace.sql.txt"
q() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$OUT/trace.sql.txt"; }
ck=$(sql "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || ' ' || event_id FROM fold_checkpoints WHERE entity_id = $BIG ORDER BY received_at DESC, event_id DESC LIMIT 1")
version=$(sql "SELECT max(version) FROM fold_checkpoints WHERE entity_id = $BIG")
ckmax=$(sql "SELECT max_id FROM fold_checkpoints WHERE entity_id = $BIG ORDER BY received_at DESC, event_id DESC LIMIT 1")
{
	echo "SET plan_cache_mode = force_custom_plan;"
	echo "PREPARE q_page(bigint, timestamptz, timestamptz, text, bigint, bigint, boolean) AS $(q page);"
	echo "PREPARE q_latest(bigint, integer, timestamptz, boolean) AS $(q ckpt_latest);"
	echo "PREPARE q_whole(bigint, bigint, timestamptz, bigint) AS $(q ckpt_is_whole);"
	echo "PREPARE q_fold(bigint, timestamptz, timestamptz, bigint, bigint) AS $(q fold);"
} >"$OUT/prepare.sql"
# The route's statements for the long account: the page, the latest
# snapshot, its check, the rows after it.
{
	cat "$OUT/prepare.sql"
	echo "\\o /dev/null"
	for r in $(seq 1 $((N + 3))); do
		[ "$r" = 4 ] && echo "\\timing on"
		echo "EXECUTE q_page($BIG, NULL, NULL, NULL, NULL, 51, false);"
		echo "EXECUTE q_latest($BIG, $version, NULL, false);"
		echo "EXECUTE q_whole($BIG, $ckmax, '${ck% *}', ${ck#* });"
		echo "EXECUTE q_fold($BIG, NULL, '${ck% *}', ${ck#* }, 20000);"
	done
} | psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -f - >"$OUT/sql-timing.txt" 2>&1
sql_ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$OUT/sql-timing.txt" |
    paste - - - - | awk '{ print $1 + $2 + $3 + $4 }' | p50)
{
	cat "$OUT/prepare.sql"
	echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q_latest($BIG, $version, NULL, false);"
	echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q_whole($BIG, $ckmax, '${ck% *}', ${ck#* });"
	echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q_fold($BIG, NULL, '${ck% *}', ${ck#* }, 20000);"
} | psql "$DATABASE_URL" -X -q -f - >"$OUT/explain.txt" 2>&1

sum "### Fold checkpoints: \`/trace/entity/{id}$PAGE\`, $big_rows events against 100 (same run)"
sum ""
sum "| | checkpoints off | checkpoints on (every 256) |"
sum "|---|---|---|"
sum "| 100 events, p50 ms (n=$N / $((2 * N))) | $off_small | $on_small |"
sum "| $big_rows events, p50 ms (n=$N_OFF / $N) | $off_big | $on_big |"
sum "| $big_rows ÷ 100 | $([ "$full_ok" = true ] && ratio "$off_big" "$off_small" || echo "no answer") | **$(ratio "$on_big" "$on_small")** (goal ≤ 2) |"
sum "| \`?at=\` at $N points of the $big_rows, p50 / max ms | $(cat "$OUT/off-big-at.txt") (middle only) | $on_at / $on_at_max |"
sum "| \`?at=\` p50 ÷ 100-event p50 | | **$(ratio "$on_at" "$on_small")** (max $(ratio "$on_at_max" "$on_small"); goal ≤ 3) |"
sum "| route ÷ its SQL (page + checkpoint + rows after it), $big_rows | | **$(ratio "$on_big" "$sql_ms")** ($on_big ÷ $sql_ms ms; goal ≤ 1.5) |"
sum ""
sum "First traces with no snapshot yet: $builds ms (the first folds all $big_rows rows; each stores up to 16 MB of snapshots and the next goes on from the last: $nck snapshots in all, $cksize). Load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (other sessions share the machine)."
echo
cat "$OUT/machine.txt"
echo "raw output: $OUT"
# BENCH_HOLD=SECONDS: keep the stack up that long after, to look closer.
if [ -n "${BENCH_HOLD:-}" ]; then
	log "holding the stack for $BENCH_HOLD s: $URL, $DATABASE_URL, token $TRACE_API_SECRET"
	sleep "$BENCH_HOLD"
fi
