#!/bin/bash
# SPDX-License-Identifier: MIT
# The webhook's ingest rate with BENCH_STREAMS (64) idle live-tail streams
# open against none (issue 26; bench/RESULTS.md, "Live tail").  One
# throwaway stack (tests/stack.sh: the webhook, trace_stream with
# INSTLOG_STREAMS = BENCH_STREAMS); bench/loadgen sends BENCH_COUNT
# (20000) signed 6 KB deliveries over 16 connections, BENCH_ROUNDS (3)
# times with streams and without, alternating, so that whatever else the
# machine does weighs on both alike.  The streams follow an entity that
# gets no row (the cost of a stream that watches).  Prints one line per
# run with the 1-minute load average before it and the CPU time each part
# took per delivery (µs, from /proc: the webhook's workers, the PostgreSQL
# sessions of the webhook, of the streams' listener and of the streams,
# trace_stream itself, the rest of PostgreSQL), which the rest of the
# machine disturbs less than the rate.  Root only (initdb runs as
# postgres).  Not part of `make test`.

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/stack.sh"

FIXTURES=${FIXTURES:-$(cd "$TOP/.." && pwd)/shared/fixtures/github}
N=${BENCH_STREAMS:-64}
COUNT=${BENCH_COUNT:-20000}
ROUNDS=${BENCH_ROUNDS:-3}
BODY=$FIXTURES/installation.suspend.json

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ -f "$BODY" ] || die "no fixtures at $FIXTURES"
make -s -C "$TOP" all build/bench/loadgen >/dev/null || die "build failed"
LOADGEN=$TOP/build/bench/loadgen

BENCH=$(mktemp -d /tmp/instlog-bench.XXXXXX) || exit 1
chmod 755 "$BENCH"
SPIDS=()
close_streams() {
	local p
	for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${SPIDS[@]}"; do wait "$p" 2>/dev/null; done
	SPIDS=()
}
trap 'close_streams; stack_stop; rm -rf "$BENCH"' EXIT
export GITHUB_WEBHOOK_SECRET=bench-$RANDOM TRACE_API_SECRET=bench-$RANDOM
export INSTLOG_SPOOL_DIR=$BENCH/spool INSTLOG_STREAMS=$N
STACK_ROUTES="webhook healthz trace_stream" stack_start "$BENCH/run" >"$BENCH/stack.log" 2>&1 ||
    { cat "$BENCH/stack.log" "$BENCH/run/nginx-error.log" >&2; die "stack"; }
SIG=$(openssl dgst -sha256 -hmac "$GITHUB_WEBHOOK_SECRET" -r "$BODY" | cut -d' ' -f1)
sql() { psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

# open_streams: N streams, each returned its first line.
open_streams() {
	local i
	for i in $(seq 1 "$N"); do
		curl -sS -N -H "Authorization: Bearer $TRACE_API_SECRET" \
		    "$INSTLOG_URL/trace/stream?entity_id=1" >"$BENCH/s$i" 2>/dev/null &
		SPIDS+=("$!")
	done
	for i in $(seq 1 200); do
		[ "$(grep -l '^retry:' "$BENCH"/s* 2>/dev/null | wc -l)" = "$N" ] && return 0
		sleep 0.05
	done
	die "streams did not open: $(grep -l '^retry:' "$BENCH"/s* | wc -l) of $N"
}

ingest() {
	"$LOADGEN" -u "$INSTLOG_URL/webhook" -b "$BODY" -g -c 16 -n "$1" \
	    -H "X-GitHub-Event: installation" \
	    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
	    -H "X-Hub-Signature-256: sha256=$SIG"
}
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# ticks PID...: the CPU ticks (user + system) of the processes still there.
ticks() {
	local p t=0 f
	for p in "$@"; do
		f=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- $f
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}
HZ=$(getconf CLK_TCK)
PM=$(head -1 "$PGDATA_DIR/postmaster.pid")
[ -n "$(pgrep -P "$PM")" ] || die "no postmaster children of $PM"
# pg_pids PATTERN: the sessions whose application_name matches.
pg_pids() { sql "SELECT pid FROM pg_stat_activity WHERE application_name ~ '$1'"; }
# per A B: µs of CPU per delivery from ticks A to ticks B.
per() { echo $((($2 - $1) * 1000000 / HZ / COUNT)); }

ingest 2000 >/dev/null
sessions() { sql "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"; }
echo "| round | streams | deliveries/s | errors | non-2xx | load 1 min before | backends | sessions opened during the run | µs CPU per delivery: webhook | its PG sessions | PG listener | PG stream sessions | trace_stream | rest of PG |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do
	for s in 0 "$N"; do
		sql "TRUNCATE installation_events, jobs" >/dev/null
		sql "CHECKPOINT" >/dev/null
		[ "$s" -gt 0 ] && open_streams
		load=$(cut -d' ' -f1 /proc/loadavg)
		b=$(sql "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
		# shellcheck disable=SC2207
		{
		wh=($(pgrep -f "$STACK_BIN/webhook ")) ts=($(pgrep -f "$STACK_BIN/trace_stream "))
		pw=($(pg_pids '^instlog-webhook')) pl=($(pg_pids '-listen$')) ps=($(pg_pids '^instlog-stream$'))
		pa=($(pgrep -P "$PM"))
		}
		s0=$(sessions)
		t0=("$(ticks "${wh[@]}")" "$(ticks "${pw[@]}")" "$(ticks "${pl[@]}")" "$(ticks "${ps[@]}")" "$(ticks "${ts[@]}")" "$(ticks "${pa[@]}")")
		l=$(ingest "$COUNT")
		t1=("$(ticks "${wh[@]}")" "$(ticks "${pw[@]}")" "$(ticks "${pl[@]}")" "$(ticks "${ps[@]}")" "$(ticks "${ts[@]}")" "$(ticks "${pa[@]}")")
		rest=$(( (t1[5] - t0[5]) - (t1[1] - t0[1]) - (t1[2] - t0[2]) - (t1[3] - t0[3]) ))
		echo "| $r | $s | $(kv "$l" rate) | $(kv "$l" errors) | $(kv "$l" non2xx) | $load | $b | $(($(sessions) - s0 - 1)) | $(per "${t0[0]}" "${t1[0]}") | $(per "${t0[1]}" "${t1[1]}") | $(per "${t0[2]}" "${t1[2]}") | $(per "${t0[3]}" "${t1[3]}") | $(per "${t0[4]}" "${t1[4]}") | $(per 0 "$rest") |"
		close_streams
		sleep 2
	done
done
