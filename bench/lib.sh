#!/bin/bash
# SPDX-License-Identifier: MIT
# What the fold benchmarks (bench/checkpoint.sh, bench/snapshot.sh) share:
# a throwaway stack of their own, the raw output folder, the machine they
# ran on, and long histories written by bench/checkpoint_data.sql.  Sourced
# after tests/stack.sh, with TOP and FIXTURES set.

log() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { log "$*"; exit 1; }
sum() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }
sql() { psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

# bench_start NAME: the raw output folder OUT (build/bench/NAME-<date>,
# with an empty summary.md, SUMMARY), a stack with generated secrets in a
# temporary folder, stopped at exit (its PostgreSQL log kept in OUT), and
# OUT/machine.txt.
bench_start() {
	BENCH_NAME=$1
	[ -f "$FIXTURES/installation.created.json" ] || die "no fixtures at $FIXTURES"
	OUT=$TOP/build/bench/$1-$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$OUT"
	SUMMARY=$OUT/summary.md
	: >"$SUMMARY"
	BENCH=$(mktemp -d "/tmp/instlog-$1-bench.XXXXXX")
	chmod 755 "$BENCH"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	export TRACE_API_SECRET="bench-$1-$RANDOM$RANDOM"
	export GITHUB_WEBHOOK_SECRET="bench-$RANDOM$RANDOM"
	unset DATABASE_URL DATABASE_READ_URL INSTLOG_FOLD_CHECKPOINT_EVERY \
	    INSTLOG_SNAPSHOT_ROWS INSTLOG_SPOOL_DIR
	stack_start "$BENCH/run" >"$OUT/stack.log" 2>&1 || { cat "$OUT/stack.log" >&2; die "stack failed"; }
	{
		echo "date: $(date -u +%FT%TZ)"
		echo "nproc: $(nproc)"
		echo "model: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
		echo "uptime before: $(uptime)"
		echo "git: $(git -C "$TOP" describe --always --dirty 2>/dev/null)"
		echo "server: $(sql 'SELECT version()')"
		echo "shared_buffers: $(sql 'SHOW shared_buffers')"
	} >"$OUT/machine.txt"
}

bench_cleanup() {
	[ -n "${PGDATA_DIR:-}" ] && cp "$PGDATA_DIR/server.log" "$OUT/postgresql.log" 2>/dev/null
	stack_stop
	rm -rf "$BENCH"
}

# bench_load ENT N: N events of account ENT over the last 300 days
# (bench/checkpoint_data.sql, with the fixtures' payloads).
bench_load() {
	psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -v ent="$1" -v n="$2" \
	    -v created="$(cat "$FIXTURES/installation.created.json")" \
	    -v added="$(cat "$FIXTURES/installation_repositories.added.json")" \
	    -v suspend="$(cat "$FIXTURES/installation.suspend.json")" \
	    -v unsuspend="$(cat "$FIXTURES/installation.unsuspend.json")" \
	    -f "$TOP/bench/checkpoint_data.sql" >>"$OUT/load.log" 2>&1 ||
	    die "load failed: $(tail -3 "$OUT/load.log")"
}
