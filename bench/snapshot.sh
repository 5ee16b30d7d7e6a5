#!/bin/bash
# SPDX-License-Identifier: MIT
# Fold snapshots made ahead (issue 28): the first /trace/entity/{id}?limit=50
# of fresh accounts of 300,000 and 1,000,000 events, before (the trace
# makes the snapshots itself, as it did without cron/snapshot) and after
# one run of cron/snapshot; and what a run costs per 1,000 new rows.  Runs
# alone: `bash bench/snapshot.sh`; not part of `make test` or `make bench`.
#
# For each account in turn: load it (bench/checkpoint_data.sql), trace it
# with no snapshot (before), delete its snapshots (derived data: the
# account is fresh again, and the scan has not read it yet), one run of
# cron/snapshot, trace it (after), then BENCH_N more traces of it.  Then
# the cost of a run over new rows: 20
# fresh accounts of 5,000 events (each folded), and 200 of 100 (each found
# and checked, none folded: below INSTLOG_FOLD_CHECKPOINT_EVERY).
#
# Knobs: BENCH_SIZES (default "300000 1000000"), BENCH_FRESH (accounts per
# size, default 3), BENCH_N (traces after the first, default 10).  Raw
# output goes to build/bench/snapshot-<date>/.

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/stack.sh"

FIXTURES=${FIXTURES:-$(cd "$TOP/.." && pwd)/shared/fixtures/github}
SIZES=${BENCH_SIZES:-300000 1000000}
FRESH=${BENCH_FRESH:-3}
N=${BENCH_N:-10}

. "$TOP/bench/lib.sh"
BENCH_NAME=snapshot
make -s -C "$TOP" all >/dev/null || die "build failed"
bench_start snapshot
sql "SELECT instlog_ensure_partitions(3, 11)" >/dev/null

# page ENT: one first page; prints "<http code> <ms>".
page() {
	curl -sS -o "$OUT/last.json" -w '%{http_code} %{time_total}\n' \
	    -H "Authorization: Bearer $TRACE_API_SECRET" \
	    "$INSTLOG_URL/trace/entity/$1?limit=50" |
	    awk '{ printf "%s %.1f\n", $1, $2 * 1000 }'
}
# snap: one run of cron/snapshot; prints its summary line.
snap() { "$STACK_BIN/snapshot" 2>>"$OUT/snapshot.err" | tee -a "$OUT/snapshot.log"; }
field() { printf '%s\n' "$1" | sed -n "s/.* $2=\([0-9a-z]*\).*/\1/p"; }
p50() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
written() { sql "SELECT count(*) || ' ' || coalesce(max(created_at)::text, '-') FROM fold_checkpoints"; }

# --- Fresh accounts, before and after --------------------------------------
ent=9200000
for size in $SIZES; do
	for f in before after next run; do : >"$OUT/$f-$size.txt"; done
	for _ in $(seq 1 "$FRESH"); do
		ent=$((ent + 1))
		log "account $ent: loading $size events"
		bench_load "$ent" "$size"
		sql "VACUUM ANALYZE installation_events" >/dev/null
		# Before: the trace folds every row and stores the snapshots.
		read -r code ms < <(page "$ent")
		echo "$ms $code" >>"$OUT/before-$size.txt"
		log "account $ent: first trace with no snapshot: HTTP $code, $ms ms"
		# After: the account fresh again, one run, then its first trace.
		sql "DELETE FROM fold_checkpoints WHERE entity_id = $ent" >/dev/null
		line=$(snap)
		echo "$line" >>"$OUT/run-$size.txt"
		[ "$(field "$line" more)" = no ] || log "account $ent: work left after one run: $line"
		w0=$(written)
		read -r code ms < <(page "$ent")
		[ "$code" = 200 ] || die "account $ent after the run: HTTP $code"
		[ "$(written)" = "$w0" ] || log "account $ent: the first trace wrote snapshots"
		echo "$ms" >>"$OUT/after-$size.txt"
		log "account $ent: $line; first trace $ms ms"
		for _ in $(seq 1 "$N"); do page "$ent"; done | awk '{ print $2 }' >>"$OUT/next-$size.txt"
	done
done

# --- A run's cost per 1,000 new rows ----------------------------------------
# rowcost NAME ACCOUNTS ROWS: that many fresh accounts, one run over them;
# sets COST to its milliseconds per 1,000 of those rows (per 1,000 rows it
# folded, when it folded any: a run may stop at its 30 s).
rowcost() {
	local i line
	for i in $(seq 1 "$2"); do
		ent=$((ent + 1))
		bench_load "$ent" "$3"
	done
	sql "VACUUM ANALYZE installation_events" >/dev/null
	line=$(snap)
	echo "$line" >"$OUT/cost-$1.txt"
	COST=$(awk -v ms="$(field "$line" ms)" -v n="$(($2 * $3))" \
	    -v f="$(field "$line" rows)" \
	    'BEGIN { printf "%.1f", ms * 1000 / (f > 0 ? f : n) }')
}
log "cost: 20 accounts of 5,000 new events"
rowcost fold 20 5000
cost_fold=$COST
log "cost: 200 accounts of 100 new events"
rowcost scan 200 100
cost_scan=$COST
idle=$(snap)
echo "uptime after: $(uptime)" >>"$OUT/machine.txt"

# --- The scan's two statements, planned as the program runs them -----------
make -s -C "$TOP" build/bench/trace_sql >/dev/null || die "trace_sql"
"$TOP/build/bench/trace_sql" >"$OUT/sql.txt"
q() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$OUT/sql.txt"; }
# A window of the 200 short accounts (each checked, none long), and one
# of the last long account's rows (snapshotted: its tail is short).
lo=$(sql "SELECT min(id) - 1 FROM installation_events WHERE entity_id = $((ent - 199))")
big=$(sql "SELECT (min(id) + max(id)) / 2 FROM installation_events WHERE entity_id = $((9200000 + $(echo $SIZES | wc -w) * FRESH))")
{
	echo "SET plan_cache_mode = force_custom_plan;"
	echo "PREPARE w(bigint, bigint, bigint) AS $(q ckpt_window);"
	echo "PREPARE t(bigint, bigint, integer, bigint, integer, bigint[]) AS $(q ckpt_long_tails);"
	for a in "$lo" "$big"; do
		hi=$(sql "SELECT max(id) FROM (SELECT id FROM installation_events WHERE id > $a AND event NOT LIKE 'workflow_job.%' ORDER BY id LIMIT 10000) w")
		echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE w($a, $hi, 10000);"
		echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE t($a, $hi, $(q ckpt_version), 256, 64, '{}');"
	done
} | psql "$DATABASE_URL" -X -q -f - >"$OUT/explain.txt" 2>&1

sum "### cron/snapshot: the first \`/trace/entity/{id}?limit=50\` of fresh accounts"
sum ""
sum "| events | first trace, no snapshot (before): p50 / max ms | one run of snapshot: ms | first trace after it: p50 / max ms (goal ≤ 1000) | next $N traces: p50 ms |"
sum "|---|---|---|---|---|"
for size in $SIZES; do
	b50=$(awk '{ print $1 }' "$OUT/before-$size.txt" | p50)
	bmax=$(awk '{ print $1 }' "$OUT/before-$size.txt" | sort -n | tail -1)
	bcodes=$(awk '$2 != 200 { n++ } END { print n + 0 }' "$OUT/before-$size.txt")
	runs=$(while read -r l; do field "$l" ms; done <"$OUT/run-$size.txt" | p50)
	a50=$(p50 <"$OUT/after-$size.txt")
	amax=$(sort -n "$OUT/after-$size.txt" | tail -1)
	[ "$bcodes" = 0 ] && bcodes="" || bcodes=" ($bcodes answered 503)"
	sum "| $size (n=$FRESH) | $b50 / $bmax$bcodes | $runs | **$a50 / $amax** | $(p50 <"$OUT/next-$size.txt") |"
done
sum ""
sum "A run's cost per 1,000 new rows: **$cost_fold ms** when each account is folded (20 × 5,000: $(cat "$OUT/cost-fold.txt")), **$cost_scan ms** when none is (200 × 100, below INSTLOG_FOLD_CHECKPOINT_EVERY: $(cat "$OUT/cost-scan.txt")); a run with nothing new: $idle."
echo
cat "$OUT/machine.txt"
echo "raw output: $OUT"
