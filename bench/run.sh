#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench`: instlog measured against the physical limit on this machine.
# One throwaway stack (tests/stack.sh: PostgreSQL from initdb with default
# settings, fsync and synchronous_commit on; every FastCGI binary; nginx
# with the real nginx/ config plus a bench-only fcgiwrap location), then:
#
#   matrix   instlog vs a Node receiver (bench/peer) vs pgbench: three
#            payloads, 4 and 16 connections, shared and split cores
#   ingest   wrk POSTs of a signed 6 KB delivery at 1, 4 and 16 connections,
#            each beside pgbench running the same INSERT (the DB ceiling)
#   toast    the same at 16 connections with payload compression pglz vs lz4
#   workers  webhook worker count sweep at 16 connections
#   latency  open-loop paced load (bench/loadgen) at 50% of the best rate
#   cgi      the same webhook binary as fork-per-request CGI via fcgiwrap
#   memory   VmRSS of a single webhook worker every 10k requests, to 100k
#   trace    /trace/entity/{id}, 10k events among 1M rows, vs its SQL in psql
#
# Knobs: BENCH_ONLY="ingest trace ..." (a subset, in the order above),
# BENCH_DURATION (seconds per wrk/pgbench run, default 10), MATRIX_DURATION
# and MATRIX_ROUNDS (the matrix's seconds per run, default 5, and rounds, 3),
# BENCH_FILLER (trace filler rows, default 980000), BENCH_WAIT_MAX (seconds
# to wait for a quiet machine, default 600), STACK_WORKERS /
# STACK_WORKERS_<route>.
# Raw output goes to build/bench/<date>/; a summary is printed at the end.

set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/stack.sh"

FIXTURES=${FIXTURES:-$(cd "$TOP/.." && pwd)/shared/fixtures/github}
DUR=${BENCH_DURATION:-10}
FILLER=${BENCH_FILLER:-980000}
ONLY=${BENCH_ONLY:-"matrix ingest toast workers latency cgi memory trace"}
BENCH_PKGS="wrk fcgiwrap"
INGEST_FIXTURE=installation.suspend
INGEST_EVENT=installation

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
# Section start times (UTC) go to sections.log, to match the server log.
mark() { [ -n "${OUT:-}" ] && echo "$(date -u +%FT%T.%3NZ) $*" >>"$OUT/sections.log"; }

# Packages the benchmark needs beyond `make deps`.
missing=""
for p in $BENCH_PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "run as root to install:$missing"
	log "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null ||
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $missing \
	    >/dev/null; } || die "cannot install:$missing"
fi
[ -f "$FIXTURES/$INGEST_FIXTURE.json" ] || die "no fixtures at $FIXTURES"
make -s -C "$TOP" all build/bench/loadgen build/bench/trace_sql >/dev/null ||
    die "build failed"
LOADGEN=$TOP/build/bench/loadgen

OUT=$TOP/build/bench/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
SUMMARY=$OUT/summary.md
: >"$SUMMARY"
sum() { printf '%s\n' "$*" >>"$SUMMARY"; }

# --- A quiet machine -------------------------------------------------------
# Other agents run test stacks here.  Before the run: no instlog-it stack and
# a 1-minute load average under 0.7.  Before each section our own previous
# section still weighs on the 1-minute average, so there the test is: no
# instlog-it stack and under 0.35 cores busy over 3 s while our stack idles.
LOADED=()
others() { pgrep -f instlog-it | wc -l; }
busy_cores() {
	local a b
	read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
	sleep 3
	read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 _ </proc/stat
	a=$(((u2 + n2 + s2 + q2 + sq2 + st2) - (u1 + n1 + s1 + q1 + sq1 + st1)))
	b=$(((u2 + n2 + s2 + q2 + sq2 + st2 + i2 + w2) - (u1 + n1 + s1 + q1 + sq1 + st1 + i1 + w1)))
	awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN { printf "%.2f", b ? a / b * n : 0 }'
}
wait_quiet() {
	local what=$1 mode=$2 waited=0 o l
	while :; do
		o=$(others)
		if [ "$mode" = start ]; then
			l=$(cut -d' ' -f1 /proc/loadavg)
			awk -v l="$l" 'BEGIN { exit !(l < 0.7) }' && [ "$o" = 0 ] && break
		else
			l=$(busy_cores)
			awk -v l="$l" 'BEGIN { exit !(l < 0.35) }' && [ "$o" = 0 ] && break
		fi
		if [ "$waited" -ge "${BENCH_WAIT_MAX:-600}" ]; then
			log "$what: still busy after ${waited}s (load/busy $l, $o instlog-it processes): measuring under load"
			LOADED+=("$what: load/busy $l, $o instlog-it processes")
			return 0
		fi
		[ "$waited" = 0 ] && log "$what: waiting for a quiet machine (load/busy $l, $o instlog-it processes)"
		sleep 10
		waited=$((waited + 10))
	done
	[ "$waited" -gt 0 ] && log "$what: quiet after ${waited}s"
	return 0
}
# after SECTION: flag a section during which another test stack appeared.
after() {
	local o
	o=$(others)
	[ "$o" = 0 ] || LOADED+=("$1: $o instlog-it processes at its end")
}

# --- The stack -------------------------------------------------------------
BENCH=$(mktemp -d /tmp/instlog-bench.XXXXXX)
chmod 755 "$BENCH"
FCGIWRAP_PID=""
# fcgiwrap -c N forks N children, outlive their parent and are respawned by
# it when they die: it runs in a process group of its own (setsid), and the
# whole group is stopped at once.
stop_fcgiwrap() {
	[ -n "$FCGIWRAP_PID" ] || return 0
	kill -TERM -- "-$FCGIWRAP_PID" 2>/dev/null
	wait "$FCGIWRAP_PID" 2>/dev/null
	FCGIWRAP_PID=""
}
cleanup() {
	stop_fcgiwrap
	[ -n "${PEER_PID:-}" ] && kill "$PEER_PID" 2>/dev/null
	[ -n "${PGDATA_DIR:-}" ] && cp "$PGDATA_DIR/server.log" "$OUT/postgresql.log" 2>/dev/null
	stack_stop
	rm -rf "$BENCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export GITHUB_WEBHOOK_SECRET="bench-$RANDOM$RANDOM"
export TRACE_API_SECRET="bench-trace-$RANDOM$RANDOM"
export INSTLOG_SPOOL_DIR=$BENCH/spool
unset DATABASE_URL GITHUB_WEBHOOK_SECRET_PREVIOUS TRACE_API_SECRET_PREVIOUS \
    INSTLOG_RUNNER_LABELS
# The extra locations: the CGI peer and the Node peer (matrix).  The Node
# peer's port is below stack_free_port()'s range (15000-31999): the stack
# picks its ports later, and PostgreSQL once took this one before node.
PEER_PORT=""
for _ in $(seq 1 200); do
	p=$((10000 + RANDOM % 5000))
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { PEER_PORT=$p; break; }
done
[ -n "$PEER_PORT" ] || die "no free port for the Node peer"
cat "$TOP/bench/nginx-cgi.conf" "$TOP/bench/nginx-peer.conf" >"$BENCH/nginx-extra.conf"
sed "s|@PEERPORT@|$PEER_PORT|" "$TOP/bench/nginx-peer-http.conf" >"$BENCH/nginx-http.conf"
export STACK_NGINX_EXTRA=$BENCH/nginx-extra.conf
export STACK_NGINX_HTTP_EXTRA=$BENCH/nginx-http.conf
# Default settings; only more logging (checkpoints are logged by default),
# so that a latency outlier can be matched with the server's own work.
export STACK_PG_OPTS="${STACK_PG_OPTS:--c log_autovacuum_min_duration=0 -c log_temp_files=0}"

wait_quiet "start" start
log "output in $OUT"
stack_start "$BENCH/run" >"$OUT/stack.log" 2>&1 || { cat "$OUT/stack.log" >&2; die "stack failed"; }
ln -s "$STACK_BIN/webhook" "$RUNDIR/webhook-cgi"
URL=$INSTLOG_URL
sql() { psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
workers_of() {
	local var="STACK_WORKERS_$1" dvar="STACK_DEFAULT_WORKERS_$1"
	echo "${!var:-${STACK_WORKERS:-${!dvar:-2}}}"
}
# restart_route NAME WORKERS
restart_route() {
	stack_route_stop "$1"
	eval "STACK_WORKERS_$1=$2" stack_route_start "$1"
}

BODY=$FIXTURES/$INGEST_FIXTURE.json
SIG=$(openssl dgst -sha256 -hmac "$GITHUB_WEBHOOK_SECRET" -r "$BODY" | cut -d' ' -f1)
BODYLEN=$(wc -c <"$BODY")

# compression_now: the payload column's setting (lz4, pglz or DEFAULT).
compression_now() {
	sql "SELECT CASE attcompression WHEN 'l' THEN 'lz4' WHEN 'p' THEN 'pglz' ELSE 'DEFAULT' END FROM pg_attribute WHERE attrelid = 'installation_events'::regclass AND attname = 'payload'"
}
# Machine and versions.
{
	echo "date: $(date -u +%FT%TZ)"
	echo "nproc: $(nproc)"
	echo "model: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "uname -r: $(uname -r)"
	free -h | sed 's/^/free: /'
	echo "git: $(git -C "$TOP" describe --always --dirty 2>/dev/null)"
	for p in postgresql-15 nginx-light wrk fcgiwrap libfcgi0ldbl libpq5 libcjson1 gcc-12; do
		dpkg-query -W -f='${Package} ${Version}\n' "$p" 2>/dev/null
	done
	echo "server: $(sql 'SELECT version()')"
	for s in fsync synchronous_commit wal_sync_method shared_buffers max_wal_size default_toast_compression; do
		echo "pg $s: $(sql "SHOW $s")"
	done
	echo "payload compression: $(compression_now)"
	echo "workers: webhook=$(workers_of webhook) trace_entity=$(workers_of trace_entity)"
	echo "fixture: $INGEST_FIXTURE.json ($BODYLEN bytes)"
} >"$OUT/machine.txt"
sed 's/^/  /' "$OUT/machine.txt" >&2

# One delivery by hand: it must be recorded, and its row gives pgbench the
# exact column values.
r=$(curl -sS -X POST -H "X-GitHub-Event: $INGEST_EVENT" \
    -H "X-GitHub-Delivery: bench-check" \
    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
    -H "X-GitHub-Hook-Installation-Target-Type: integration" \
    -H "X-Hub-Signature-256: sha256=$SIG" --data-binary @"$BODY" "$URL/webhook")
case "$r" in *'"outcome":"ok"'*) ;; *) die "check delivery failed: $r" ;; esac
IFS='|' read -r EV_EVENT EV_OUTCOME EV_APP EV_INST EV_ETYPE EV_EID EV_ENAME < <(sql \
    "SELECT event, outcome, app_id, installation_id, entity_type, entity_id, entity_name FROM installation_events WHERE delivery_id = 'bench-check'")

# pgbench: the webhook's INSERT (lib/db/db_webhook.c SQL_EVENT_INSERT), every
# value a parameter as the webhook sends it, the body checked as json each
# time (sql/020: the fixtures are kept as sent).
cat >"$OUT/insert.pgbench" <<'EOF'
\set d random(1, 2000000000)
INSERT INTO installation_events (received_at, source, event, outcome, delivery_id, app_id, installation_id, entity_type, entity_id, entity_name, payload, raw_body, body) VALUES (COALESCE(NULL::timestamptz, now()), 'webhook', :event, :outcome, :d, :app::bigint, :inst::bigint, :etype, :eid::bigint, :ename, COALESCE(NULL::jsonb, '{}'), NULL::bytea, :payload::json) RETURNING id;
EOF
PGB_VARS=(-D "event=$EV_EVENT" -D "outcome=$EV_OUTCOME" -D "app=$EV_APP"
    -D "inst=$EV_INST" -D "etype=$EV_ETYPE" -D "eid=$EV_EID"
    -D "ename=$EV_ENAME" -D "payload=$(cat "$BODY")")

# fresh_table: the same starting point for every ingest measurement.
fresh_table() {
	sql "TRUNCATE installation_events, jobs" >/dev/null
	sql "CHECKPOINT" >/dev/null
}
# db_mark: "WAL insert LSN|next xid" now.  db_work MARK: "rows | rows per
# write transaction | WAL bytes per row" since MARK (the table was empty).
db_mark() { sql "SELECT pg_current_wal_insert_lsn(), pg_snapshot_xmax(pg_current_snapshot())"; }
db_work() {
	sql "SELECT n || ' | ' || round(n / greatest(x, 1)::numeric, 2) || ' | ' ||
	            round(w / greatest(n, 1)::numeric)
	     FROM (SELECT (SELECT count(*) FROM installation_events) n,
	                  pg_wal_lsn_diff(pg_current_wal_insert_lsn(), split_part('$1', '|', 1)::pg_lsn) w,
	                  pg_snapshot_xmax(pg_current_snapshot())::text::bigint -
	                  split_part('$1', '|', 2)::bigint x) t"
}
# kv LINE KEY: the value of KEY=... in LINE.
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# run_wrk CONNS PATH [wrk options...]: prints the WRK line.  The script's
# arguments (a POST's body, signature, event) come from WRK_SCRIPT_ARGS.
WRK_SCRIPT_ARGS=()
run_wrk() {
	local c=$1 path=$2 t=2
	shift 2
	[ "$c" -lt 2 ] && t=1
	wrk -t "$t" -c "$c" -d "${DUR}s" --latency -s "$TOP/bench/wrk.lua" "$@" \
	    "$URL$path" -- "${WRK_SCRIPT_ARGS[@]}" >"$OUT/wrk.tmp" 2>&1
	{ echo "== wrk -c $c $path"; cat "$OUT/wrk.tmp"; } >>"$OUT/wrk.log"
	grep '^WRK ' "$OUT/wrk.tmp" | tail -1
}
run_wrk_post() {
	local WRK_SCRIPT_ARGS=("$BODY" "$SIG" "$INGEST_EVENT")
	run_wrk "$1" "$2"
}
# run_pgbench CLIENTS MODE: prints "tps p50? lat_ms".
run_pgbench() {
	local c=$1 mode=$2 j=2 out
	[ "$c" -lt 2 ] && j=1
	out=$(pgbench -n -M "$mode" -c "$c" -j "$j" -T "$DUR" -f "$OUT/insert.pgbench" \
	    "${PGB_VARS[@]}" "$DATABASE_URL" 2>&1)
	printf '%s\n' "$out" >>"$OUT/pgbench.log"
	printf 'tps=%s lat_ms=%s\n' \
	    "$(printf '%s\n' "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')" \
	    "$(printf '%s\n' "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')"
}
# set_compression pglz|lz4|DEFAULT: the payload column of the partitioned
# table and of every partition (ALTER on the parent alone only reaches
# partitions created later).
set_compression() {
	sql "DO \$\$ DECLARE r regclass; BEGIN
	    ALTER TABLE installation_events ALTER COLUMN payload SET COMPRESSION $1;
	    FOR r IN SELECT inhrelid::regclass FROM pg_inherits
		WHERE inhparent = 'installation_events'::regclass LOOP
		EXECUTE format('ALTER TABLE %s ALTER COLUMN payload SET COMPRESSION $1', r);
	    END LOOP; END \$\$" >/dev/null
}
# cpu_ticks: "comm ticks" for every process: user + system time so far,
# with that of its children that have exited (a pgbench backend is gone
# when its run ends; the postmaster has its time).  The load generators are
# children of this shell and are counted by client_ticks instead.
cpu_ticks() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk '{
		a = index($0, "("); b = index($0, ") ")
		comm = substr($0, a + 1, b - a - 1)
		split(substr($0, b + 2), f, " ")
		if (comm != "bash")
			t[comm] += f[12] + f[13] + f[14] + f[15]
	} END { for (c in t) print c, t[c] }'
	# Our exited children: wrk, pgbench and the subshells around them.
	awk '{ b = index($0, ") "); split(substr($0, b + 2), f, " ");
	    print "client", f[14] + f[15] }' "/proc/$$/stat"
}
# cpu_per_request BEFORE AFTER REQUESTS: "comm=us ..." of CPU per request
# for the processes that used at least 2% of it, biggest first.
cpu_per_request() {
	awk -v n="$3" -v hz="$(getconf CLK_TCK)" '
	FNR == NR { b[$1] = $2; next }
	{ d = $2 - b[$1]; if (d > 0) { t[$1] = d; tot += d } }
	END {
		for (c in t) if (t[c] >= tot * 0.02)
			printf "%d %s=%.0f\n", t[c], c, t[c] / hz / n * 1e6
		printf "%d total=%.0f\n", tot * 2, tot / hz / n * 1e6
	}' "$1" "$2" | sort -rn | cut -d' ' -f2 | tr '\n' ' '
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf("%.2f", (b > 0) ? a / b : 0) }'; }
# median NUMBER...: the middle one (an odd count) or the mean of the two.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	    END { if (NR % 2) print v[(NR + 1) / 2];
	          else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# span NUMBER...: "lowest–highest".
span() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { print a "–" b }'; }

# --- matrix: instlog vs the Node peer vs pgbench, by payload and cores -----
# Three real-sized deliveries (6 KB installation.suspend, 8 KB
# workflow_job.queued, 32 KB pull_request.labeled built from fixture parts,
# see pr_body), at 4 and 16 wrk connections, each through /webhook
# (instlog), /webhook-node (bench/peer: @octokit/webhooks + pg, one Node
# process) and pgbench running instlog's INSERT of the same row; once with
# every process free to use both cores, once with PostgreSQL on core 0 and
# everything else (nginx, webhook, node, wrk, pgbench) on core 1.  Then
# instlog's latency at half its best rate for each payload.  Each cell is
# MATRIX_ROUNDS rounds (default 3) of the three runs in a rotating order:
# this machine's speed drifts by a factor of two over minutes, so one run
# of each in a row can put instlog and the peer in different phases; the
# summary gives the medians, and each ratio is taken within a round (its
# median and range).  Under the CPU per delivery at 4 connections, the
# summary gives for shared cores what 2× the peer leaves instlog's webhook
# and PostgreSQL (m_budget).  MATRIX_DURATION (seconds per run, default 5)
# keeps the whole section near 12 minutes.
# MATRIX_ONLY (payload names), MATRIX_CORES (shared split) and MATRIX_CONNS
# (4 16) pick a part of it.  PEER_DOC=json has the peer store the document
# in the json column, as instlog keeps a body (default jsonb: what such a
# receiver writes, bench/peer/server.js).
MATRIX_PAYLOADS="installation.suspend:installation workflow_job.queued:workflow_job pull_request.labeled:pull_request"
# pr_body FILE: a pull_request.labeled delivery of 32,768 bytes, pretty
# printed like the fixtures, made of the fixtures' real parts (the
# repository as the PR's head, base and repository, its owner as user,
# sender and installation of workflow_job.queued) and a description long
# enough to reach the size: the fixtures hold no pull_request delivery,
# and a real one of this size is mostly those parts.
pr_body() {
	local base=$FIXTURES/workflow_job.queued.json n
	mk() {
		jq --arg body "$1" '{action: "labeled", number: 2,
		    pull_request: ({url: (.repository.url + "/pulls/2"),
			id: 279147437, node_id: "MDExOlB1bGxSZXF1ZXN0Mjc5MTQ3NDM3",
			html_url: (.repository.html_url + "/pull/2"),
			number: 2, state: "open", locked: false,
			title: "Update the README with new information.",
			user: .sender, body: $body,
			created_at: "2019-05-15T15:20:33Z",
			updated_at: "2019-05-15T15:20:34Z",
			labels: [{id: 1362934389, node_id: "MDU6TGFiZWwxMzYyOTM0Mzg5",
			    url: (.repository.url + "/labels/bug"), name: "bug",
			    color: "d73a4a", default: true,
			    description: "Something is not working"}],
			draft: false, merged: false, mergeable: null,
			head: {label: (.repository.owner.login + ":changes"),
			    ref: "changes", sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
			    user: .repository.owner, repo: .repository},
			base: {label: (.repository.owner.login + ":master"),
			    ref: "master", sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
			    user: .repository.owner, repo: .repository},
			author_association: "OWNER", comments: 0, commits: 1,
			additions: 1, deletions: 1, changed_files: 1}),
		    label: {id: 1362934389, name: "bug", color: "d73a4a"},
		    repository: .repository, sender: .sender,
		    installation: .installation}' "$base"
	}
	n=$(mk "" | wc -c)
	mk "$(head -c $((32768 - n)) < <(yes 'This pull request changes the README. ' | tr -d '\n'))" >"$1"
}
MATRIX_DUR=${MATRIX_DURATION:-5}
MATRIX_ROUNDS=${MATRIX_ROUNDS:-3}
PEER_PID=""
CLIENT_CPUS=0-$(($(nproc) - 1))
# place shared|split: every process of the stack, the peer and the
# clients on all cores, or PostgreSQL (the postmaster and its backends;
# new backends inherit it) on core 0 and the rest on core 1.
place() {
	local pgc=0-$(($(nproc) - 1)) oc pm p
	oc=$pgc
	[ "$1" = split ] && { pgc=0; oc=1; }
	pm=$(head -1 "$PGDATA_DIR/postmaster.pid")
	for p in "$pm" $(pgrep -P "$pm"); do
		taskset -a -p -c "$pgc" "$p" >/dev/null 2>&1
	done
	for p in "$STACK_NGINX_PID" "$(stack_route_pid webhook)" "$PEER_PID"; do
		[ -n "$p" ] || continue
		for q in "$p" $(pgrep -P "$p"); do
			taskset -a -p -c "$oc" "$q" >/dev/null 2>&1
		done
	done
	CLIENT_CPUS=$oc
}
m_fresh() {
	sql "TRUNCATE installation_events, jobs, peer.installation_events" >/dev/null
	sql "CHECKPOINT" >/dev/null
}
# m_wrk CONNS PATH BODY SIG EVENT: the WRK line of one run.
m_wrk() {
	local t=2
	[ "$1" -lt 2 ] && t=1
	taskset -c "$CLIENT_CPUS" wrk -t "$t" -c "$1" -d "${MATRIX_DUR}s" \
	    --latency -s "$TOP/bench/wrk.lua" "$URL$2" -- "$3" "$4" "$5" \
	    >"$OUT/wrk.tmp" 2>&1
	{ echo "== matrix wrk -c $1 $2 $5"; cat "$OUT/wrk.tmp"; } >>"$OUT/wrk.log"
	grep '^WRK ' "$OUT/wrk.tmp" | tail -1
}
# m_pgbench CONNS SCRIPT VARS...: "tps=… lat_ms=…".
m_pgbench() {
	local c=$1 f=$2 out
	shift 2
	out=$(taskset -c "$CLIENT_CPUS" pgbench -n -M prepared -c "$c" -j 2 \
	    -T "$MATRIX_DUR" -f "$f" "$@" "$DATABASE_URL" 2>&1)
	printf '%s\n' "$out" >>"$OUT/pgbench.log"
	printf 'tps=%s lat_ms=%s\n' \
	    "$(printf '%s\n' "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')" \
	    "$(printf '%s\n' "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')"
}
# m_ticks: "role ticks" of this stack's own processes only (other agents
# run stacks with the same program names here): PostgreSQL (the
# postmaster, its backends and the backends that exited, counted in the
# postmaster), the webhook, nginx, the Node peer, and the clients (wrk,
# pgbench: exited children of this shell).
m_ticks() {
	local pm role p q
	pm=$(head -1 "$PGDATA_DIR/postmaster.pid")
	for role in postgres:$pm webhook:$(stack_route_pid webhook) \
	    nginx:$STACK_NGINX_PID node:$PEER_PID; do
		p=${role#*:}
		[ -n "$p" ] || continue
		for q in "$p" $(pgrep -P "$p"); do
			awk -v r="${role%%:*}" '{ b = index($0, ") ");
			    split(substr($0, b + 2), f, " ");
			    print r, f[12] + f[13] + f[14] + f[15] }' "/proc/$q/stat" 2>/dev/null
		done
	done
	awk '{ b = index($0, ") "); split(substr($0, b + 2), f, " ");
	    print "client", f[14] + f[15] }' "/proc/$$/stat"
}
# m_budget INSTLOG PEER (two m_cpu lines): "budget | used | ratio": half
# the peer's sum less instlog's nginx and client, instlog's webhook and
# PostgreSQL, and the peer's sum over instlog's.
m_budget() {
	awk -v i="$1" -v p="$2" '
	function get(s, k,   a, n, j, kv) {
		n = split(s, a, " ")
		for (j = 1; j <= n; j++) { split(a[j], kv, "="); if (kv[1] == k) return kv[2] }
		return 0
	}
	BEGIN {
		r = get(i, "sum") > 0 ? get(p, "sum") / get(i, "sum") : 0
		printf "%.0f | %.0f | %.2f\n", get(p, "sum") / 2 - get(i, "nginx") - get(i, "client"),
		    get(i, "postgres") + get(i, "webhook"), r
	}'
}
# m_cpu BEFORE AFTER REQUESTS: CPU µs per request of each role of m_ticks
# files BEFORE and AFTER, and their sum.
m_cpu() {
	awk -v n="$3" -v hz="$(getconf CLK_TCK)" '
	FNR == NR { b[$1] += $2; next }
	{ a[$1] += $2 }
	END {
		split("postgres webhook nginx node client", o, " ")
		for (i = 1; i <= 5; i++) if (o[i] in a) {
			d = a[o[i]] - b[o[i]]; tot += d
			printf "%s=%.0f ", o[i], d / hz / n * 1e6
		}
		printf "sum=%.0f\n", tot / hz / n * 1e6
	}' "$1" "$2"
}
# sync_probe: milliseconds per 8 KB write with O_DSYNC (50 of them) on the
# disk of the database, about what a commit waits for its WAL flush: this
# machine's disk slows down by a factor of up to ten for minutes at a time,
# and then every receiver that answers after its commit slows with it.
sync_probe() {
	local f t0 t1
	f=$(dirname "$PGDATA_DIR")/sync-probe
	t0=$(date +%s%N)
	dd if=/dev/zero of="$f" bs=8k count=50 oflag=dsync 2>/dev/null
	t1=$(date +%s%N)
	rm -f "$f"
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f", d / 50 / 1e6 }'
}
m_errs() {
	echo $(($(kv "$1" non2xx) + $(kv "$1" connect_err) + $(kv "$1" read_err) + $(kv "$1" write_err) + $(kv "$1" timeouts)))
}
if want matrix; then
	wait_quiet matrix section
	mark matrix
	command -v node >/dev/null && command -v npm >/dev/null ||
	    die "matrix: node and npm are needed (Node.js 20 or later)"
	[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] ||
	    die "matrix: @octokit/webhooks 14 needs Node.js 20 or later"
	if [ ! -d "$TOP/bench/peer/node_modules/@octokit/webhooks" ]; then
		log "matrix: npm ci in bench/peer"
		(cd "$TOP/bench/peer" && npm ci --no-audit --no-fund --loglevel=error) >>"$OUT/npm.log" 2>&1 ||
		    die "matrix: npm ci failed (see $OUT/npm.log)"
	fi
	psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -f "$TOP/bench/peer/schema.sql" >/dev/null ||
	    die "matrix: peer schema failed"
	DATABASE_URL=$DATABASE_URL PEER_PORT=$PEER_PORT NODE_ENV=production \
	    PEER_DOC=${PEER_DOC:-jsonb} node "$TOP/bench/peer/server.js" >>"$OUT/peer.log" 2>&1 &
	PEER_PID=$!
	for _ in $(seq 1 100); do grep -q ready "$OUT/peer.log" && break; sleep 0.1; done
	grep -q ready "$OUT/peer.log" || die "matrix: the peer did not start: $(tail -3 "$OUT/peer.log")"
	pr_body "$BENCH/pull_request.labeled.json"
	log "matrix: ${MATRIX_DUR}s per run, webhook workers=$(workers_of webhook), node $(node --version), peer pid $PEER_PID"
	{
		echo "matrix uptime: $(uptime)"
		echo "peer document column: ${PEER_DOC:-jsonb}"
		echo "node: $(node --version); $(cd "$TOP/bench/peer" && npm ls --depth=0 2>/dev/null | tail -n +2 | tr -d '\n')"
	} >>"$OUT/machine.txt"
	declare -A MBEST
	MROWS=()
	MCPU=()
	MBUD=()
	MLAT=()
	for pl in $MATRIX_PAYLOADS; do
		name=${pl%%:*} ev=${pl#*:}
		case " ${MATRIX_ONLY:-$name} " in *" $name "*) ;; *) continue ;; esac
		b=$FIXTURES/$name.json
		[ "$name" = pull_request.labeled ] && b=$BENCH/pull_request.labeled.json
		s=$(openssl dgst -sha256 -hmac "$GITHUB_WEBHOOK_SECRET" -r "$b" | cut -d' ' -f1)
		size=$(wc -c <"$b")
		place shared
		m_fresh
		# Both receivers must store it; instlog's row gives pgbench
		# its values.
		for path in /webhook /webhook-node; do
			code=$(curl -sS -o "$OUT/check.txt" -w '%{http_code}' -X POST \
			    -H "X-GitHub-Event: $ev" -H "X-GitHub-Delivery: matrix-check" \
			    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
			    -H "Content-Type: application/json" \
			    -H "X-Hub-Signature-256: sha256=$s" --data-binary @"$b" "$URL$path")
			[ "$code" = 200 ] || die "matrix: $name to $path: $code $(cat "$OUT/check.txt")"
		done
		[ "$(sql "SELECT count(*) FROM peer.installation_events WHERE delivery_id = 'matrix-check'")" = 1 ] ||
		    die "matrix: the peer stored no row"
		# (A tree before sql/020 and 021, measured for a before/after,
		# has none of these columns.)
		cols="NULL, NULL, NULL, false"
		[ "$(sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'installation_events' AND column_name = 'actor'")" = 1 ] &&
		    cols="job_id, actor, repo_full_name, body IS NOT NULL"
		IFS='|' read -r e_event e_outcome e_app e_inst e_etype e_eid e_ename e_job e_actor e_repo e_body < <(sql \
		    "SELECT event, outcome, app_id, installation_id, entity_type, entity_id, entity_name, $cols FROM installation_events WHERE delivery_id = 'matrix-check'")
		# instlog's INSERT (lib/db/db_webhook.c, db_event_insert_sql()),
		# every value a parameter as the webhook sends it: the body as
		# json (sql/020) or, when instlog kept it as jsonb, as jsonb.
		# No ON CONFLICT, as the webhook since its removal (a tree
		# before it is measured against the same statement).
		if [ "$e_body" = t ]; then
			doc="COALESCE(NULL::jsonb, '{}'), NULL::bytea, :d, 'pgbench', :payload::json, NULLIF(:job, '-')::bigint, NULLIF(:actor, '-'), NULLIF(:repo, '-')"
			doc_cols=", body, job_id, actor, repo_full_name"
		else
			doc="COALESCE(:payload::jsonb, '{}'), NULL::bytea, :d, 'pgbench'"
			doc_cols=""
		fi
		cat >"$BENCH/matrix.pgbench" <<PGB
\\set d random(1, 2000000000)
INSERT INTO installation_events (received_at, source, event, outcome, delivery_id, app_id, installation_id, entity_type, entity_id, entity_name, payload, raw_body, attempt_key, request_id$doc_cols) VALUES (COALESCE(NULL::timestamptz, now()), 'webhook', :event, :outcome, :d, NULLIF(:app, '-')::bigint, NULLIF(:inst, '-')::bigint, NULLIF(:etype, '-'), NULLIF(:eid, '-')::bigint, NULLIF(:ename, '-'), $doc) RETURNING id, attempt_key;
PGB
		# pgbench takes no empty value: '-' stands for NULL.
		vars=(-D "event=$e_event" -D "outcome=$e_outcome" -D "app=${e_app:--}"
		    -D "inst=${e_inst:--}" -D "etype=${e_etype:--}" -D "eid=${e_eid:--}"
		    -D "ename=${e_ename:--}" -D "job=${e_job:--}" -D "actor=${e_actor:--}"
		    -D "repo=${e_repo:--}" -D "payload=$(cat "$b")")
		# Warm-up of both receivers, untimed.
		MATRIX_DUR=2 m_wrk 4 /webhook "$b" "$s" "$ev" >/dev/null
		MATRIX_DUR=2 m_wrk 4 /webhook-node "$b" "$s" "$ev" >/dev/null
		for mode in ${MATRIX_CORES:-shared split}; do
			place "$mode"
			for c in ${MATRIX_CONNS:-4 16}; do
				# MATRIX_ROUNDS rounds of the three, in a rotating
				# order, so that a slow phase of the machine falls
				# on each of them alike; a ratio is taken within a
				# round, and the medians are reported.
				ri=() rn=() rp=() qi=() qn=() xi=() xp=() sy=()
				ei=0 en=0 ki=0 kn=0 kp=0
				for f in i n p; do : >"$OUT/cpu.$f.0"; : >"$OUT/cpu.$f.1"; done
				for r in $(seq 1 "$MATRIX_ROUNDS"); do
					case $((r % 3)) in
					1) order="i n p" ;; 2) order="n p i" ;; *) order="p i n" ;;
					esac
					sy+=("$(sync_probe)")
					for f in $order; do
						m_fresh
						m_ticks >>"$OUT/cpu.$f.0"
						case $f in
						i) w=$(m_wrk "$c" /webhook "$b" "$s" "$ev") ;;
						n) n=$(m_wrk "$c" /webhook-node "$b" "$s" "$ev") ;;
						p) p=$(m_pgbench "$c" "$BENCH/matrix.pgbench" "${vars[@]}") ;;
						esac
						m_ticks >>"$OUT/cpu.$f.1"
					done
					ri+=("$(kv "$w" rps)") rn+=("$(kv "$n" rps)") rp+=("$(kv "$p" tps)")
					qi+=("$(kv "$w" p99_ms)") qn+=("$(kv "$n" p99_ms)")
					xi+=("$(ratio "${ri[-1]}" "${rn[-1]}")") xp+=("$(ratio "${ri[-1]}" "${rp[-1]}")")
					ei=$((ei + $(m_errs "$w"))) en=$((en + $(m_errs "$n")))
					ki=$((ki + $(kv "$w" requests))) kn=$((kn + $(kv "$n" requests)))
					kp=$((kp + $(awk -v t="$(kv "$p" tps)" -v d="$MATRIX_DUR" 'BEGIN { printf "%d", t * d }')))
					echo "$name $mode c=$c round $r: sync ${sy[-1]} ms, instlog ${ri[-1]} p99 ${qi[-1]}, peer ${rn[-1]} p99 ${qn[-1]}, pgbench ${rp[-1]}" >>"$OUT/matrix-rounds.log"
				done
				if [ "$c" = 4 ]; then
					ci=$(m_cpu "$OUT/cpu.i.0" "$OUT/cpu.i.1" "$ki")
					cn=$(m_cpu "$OUT/cpu.n.0" "$OUT/cpu.n.1" "$kn")
					MCPU+=("| $name | $mode | instlog | $ci |")
					MCPU+=("| $name | $mode | peer | $cn |")
					[ "$mode" = shared ] && MBUD+=("| $name | $(m_budget "$ci" "$cn") |")
					MCPU+=("| $name | $mode | pgbench | $(m_cpu "$OUT/cpu.p.0" "$OUT/cpu.p.1" "$kp") |")
				fi
				# The medians of the rounds, each once.
				rate=$(median "${ri[@]}") p99=$(median "${qi[@]}")
				peer=$(median "${rn[@]}") peer99=$(median "${qn[@]}")
				pgb=$(median "${rp[@]}") sync=$(median "${sy[@]}")
				xpeer=$(median "${xi[@]}") xpeer_span=$(span "${xi[@]}")
				xpgb=$(median "${xp[@]}") xpgb_span=$(span "${xp[@]}")
				awk -v a="$rate" -v b="${MBEST[$name]:-0}" 'BEGIN { exit !(a > b) }' &&
				    MBEST[$name]=$rate
				log "matrix $name ($size B) $mode c=$c: instlog $rate req/s p99 $p99, peer $peer p99 $peer99, pgbench $pgb; x peer $xpeer ($xpeer_span), x pgbench $xpgb ($xpgb_span)"
				MROWS+=("| $name ($size B) | $mode | $c | $sync | $rate | $p99 | $ei | $peer | $peer99 | $en | $pgb | **$xpeer** ($xpeer_span) | **$xpgb** ($xpgb_span) |")
			done
		done
		# Latency at half instlog's best rate for this payload.
		place shared
		m_fresh
		half=$(awk -v r="${MBEST[$name]}" 'BEGIN { printf "%d", r / 2 }')
		l=$("$LOADGEN" -u "$URL/webhook" -b "$b" -g -c 16 -r "$half" \
		    -d $((MATRIX_DUR + 3)) -w 2 -H "X-GitHub-Event: $ev" \
		    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
		    -H "X-Hub-Signature-256: sha256=$s" \
		    -H "Content-Type: application/json")
		echo "matrix $name: $l" >>"$OUT/loadgen.log"
		log "matrix $name latency at $half req/s: p99 $(kv "$l" p99_ms) ms"
		MLAT+=("| $name | $half | $(kv "$l" rate) | $(kv "$l" p50_ms) | $(kv "$l" p99_ms) | $(kv "$l" max_ms) | $(($(kv "$l" non2xx) + $(kv "$l" errors))) |")
	done
	place shared
	kill "$PEER_PID" 2>/dev/null
	wait "$PEER_PID" 2>/dev/null
	PEER_PID=""
	sql "DROP SCHEMA peer CASCADE" >/dev/null
	m_fresh
	sum "### Matrix: instlog vs the Node peer (@octokit/webhooks + pg) vs pgbench, same row, ${MATRIX_ROUNDS} rounds of ${MATRIX_DUR}s runs"
	sum ""
	sum "shared: every process on both cores; split: PostgreSQL on core 0, everything else (nginx, webhook, node, wrk, pgbench) on core 1. Load before: $(cut -d' ' -f1-3 /proc/loadavg) (at the end). The peer stores the document as ${PEER_DOC:-jsonb}. sync ms: one 8 KB write with O_DSYNC on the database's disk before each round (dd; the commit's wait), median. Rates and p99 are the medians of the rounds; a ratio is taken within each round, its median shown with its range (each round's numbers: matrix-rounds.log)."
	sum ""
	sum "| payload | cores | conns | sync ms | instlog req/s | instlog p99 ms | instlog errors | peer req/s | peer p99 ms | peer errors | pgbench tps | instlog / peer | instlog / pgbench |"
	sum "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for l in "${MROWS[@]}"; do sum "$l"; done
	sum ""
	sum "CPU per delivery by process at 4 connections, over all rounds (µs, /proc/*/stat; client = wrk or pgbench):"
	sum ""
	sum "| payload | cores | receiver | µs per delivery |"
	sum "|---|---|---|---|"
	for l in "${MCPU[@]}"; do sum "$l"; done
	sum ""
	if [ ${#MBUD[@]} -gt 0 ]; then
		sum "What 2× the peer leaves instlog on shared cores at 4 connections, where both receivers keep the cores about as busy and the ratio follows CPU per delivery: half the peer's sum less instlog's nginx and client, for the webhook and PostgreSQL (µs; bench/RESULTS.md, \"What 2× the peer would cost\"):"
		sum ""
		sum "| payload | 2× leaves webhook + PostgreSQL | they use | peer's sum / instlog's |"
		sum "|---|---|---|---|"
		for l in "${MBUD[@]}"; do sum "$l"; done
		sum ""
	fi
	sum "instlog's latency at half its best rate (open loop, 16 connections, shared cores):"
	sum ""
	sum "| payload | target req/s | achieved | p50 ms | p99 ms | max ms | non-2xx+errors |"
	sum "|---|---|---|---|---|---|---|"
	for l in "${MLAT[@]}"; do sum "$l"; done
	sum ""
	after matrix
fi

# --- ingest ----------------------------------------------------------------
BEST_RPS=0
declare -A OURS_RPS
if want ingest; then
	wait_quiet ingest section
	mark ingest
	log "ingest: wrk vs pgbench, ${DUR}s each, webhook workers=$(workers_of webhook)"
	sum "### Ingest: nginx → webhook → PostgreSQL vs pgbench, same INSERT (webhook workers: $(workers_of webhook))"
	sum ""
	sum "| conns | ours req/s | ours p50 ms | ours p99 ms | non-2xx+errors | pgbench -M prepared tps | pgbench lat ms | ratio |"
	sum "|---|---|---|---|---|---|---|---|"
	# Warm up both paths (connections, caches) outside the measurement.
	DUR=3 run_wrk_post 4 /webhook >/dev/null
	DBWORK=()
	for c in 1 4 16; do
		fresh_table
		m0=$(db_mark)
		cpu_ticks >"$OUT/cpu.0"
		w=$(run_wrk_post "$c" /webhook)
		cpu_ticks >"$OUT/cpu.1"
		dw=$(db_work "$m0")
		fresh_table
		m0=$(db_mark)
		cpu_ticks >"$OUT/cpu.2"
		p=$(run_pgbench "$c" prepared)
		cpu_ticks >"$OUT/cpu.3"
		DBWORK+=("| $c | $dw | $(db_work "$m0") |")
		if [ "$c" = 16 ]; then
			CPU_OURS=$(cpu_per_request "$OUT/cpu.0" "$OUT/cpu.1" "$(kv "$w" requests)")
			CPU_PGB=$(cpu_per_request "$OUT/cpu.2" "$OUT/cpu.3" \
			    "$(awk -v t="$(kv "$p" tps)" -v d="$DUR" 'BEGIN { printf "%d", t * d }')")
		fi
		rps=$(kv "$w" rps)
		OURS_RPS[$c]=$rps
		[ "$c" = 16 ] && PGB16=$(kv "$p" tps)
		errs=$(($(kv "$w" non2xx) + $(kv "$w" connect_err) + $(kv "$w" read_err) + $(kv "$w" write_err) + $(kv "$w" timeouts)))
		log "ingest c=$c: ours $rps req/s p50 $(kv "$w" p50_ms) p99 $(kv "$w" p99_ms); pgbench $(kv "$p" tps) tps"
		sum "| $c | $rps | $(kv "$w" p50_ms) | $(kv "$w" p99_ms) | $errs | $(kv "$p" tps) | $(kv "$p" lat_ms) | $(ratio "$rps" "$(kv "$p" tps)") |"
		awk -v a="$rps" -v b="$BEST_RPS" 'BEGIN { exit !(a > b) }' && BEST_RPS=$rps
	done
	fresh_table
	p=$(run_pgbench 16 extended)
	# The same chain without the database: a wrong signature is refused
	# (401) after nginx, FastCGI, reading the body and the HMAC.
	WRK_SCRIPT_ARGS=("$BODY" "$(printf '0%.0s' $(seq 64))" "$INGEST_EVENT")
	f=$(run_wrk 16 /webhook)
	WRK_SCRIPT_ARGS=()
	FRONT_RPS=$(kv "$f" rps)
	bound=$(awk -v f="$FRONT_RPS" -v p="$PGB16" 'BEGIN { printf "%d", (f > 0 && p > 0) ? 1 / (1 / f + 1 / p) : 0 }')
	sum ""
	sum "pgbench -M extended (parse and plan every time, like PQexecParams) at 16 clients: $(kv "$p" tps) tps."
	sum ""
	sum "CPU time per request at 16 connections, by process (µs, from /proc/*/stat; exited processes count in their parent, the kernel's work in the process it ran for; client = wrk or pgbench):"
	sum ""
	sum "- ours: $CPU_OURS"
	sum "- pgbench: $CPU_PGB"
	sum ""
	sum "The database's work per stored row (write transactions from the xid counter, WAL from the insert LSN; exact counts, unlike times on a shared machine):"
	sum ""
	sum "| conns | ours rows | ours rows/transaction | ours WAL bytes/row | pgbench rows | pgbench rows/transaction | pgbench WAL bytes/row |"
	sum "|---|---|---|---|---|---|---|"
	for l in "${DBWORK[@]}"; do sum "$l"; done
	sum ""
	sum "The chain without the database (wrong signature, 401: nginx, FastCGI, body, HMAC) at 16 connections: $FRONT_RPS req/s. Both share the same 2 cores, so their costs add: 1 / (1/$FRONT_RPS + 1/$PGB16) = **$bound req/s** is what ingest can reach at 16 connections here, $(ratio "$bound" "$PGB16") of pgbench."
	sum ""
	after ingest
fi

# --- toast: payload compression pglz vs lz4 -------------------------------
if want toast; then
	wait_quiet toast section
	mark toast
	orig=$(compression_now)
	sum "### Payload TOAST compression at 16 connections (same run)"
	sum ""
	sum "| compression | ours req/s | ours p99 ms | pgbench tps | stored bytes/row |"
	sum "|---|---|---|---|---|"
	for comp in pglz lz4; do
		set_compression "$comp"
		fresh_table
		w=$(run_wrk_post 16 /webhook)
		bytes=$(sql "SELECT round(avg(pg_column_size(payload))) FROM installation_events")
		got=$(sql "SELECT pg_column_compression(payload) FROM installation_events LIMIT 1")
		fresh_table
		p=$(run_pgbench 16 prepared)
		log "toast $comp ($got): ours $(kv "$w" rps) req/s; pgbench $(kv "$p" tps) tps; $bytes bytes"
		sum "| $comp (rows: $got) | $(kv "$w" rps) | $(kv "$w" p99_ms) | $(kv "$p" tps) | $bytes |"
	done
	set_compression "$orig"
	sum ""
	after toast
fi

# --- workers: how many webhook workers 16 connections need ----------------
if want workers; then
	wait_quiet workers section
	mark workers
	w0=$(workers_of webhook)
	sum "### Webhook workers at 16 connections"
	sum ""
	sum "| webhook workers | req/s | p50 ms | p99 ms |"
	sum "|---|---|---|---|"
	for n in 1 2 4 8 16; do
		restart_route webhook "$n" >/dev/null 2>&1 || die "restart webhook"
		fresh_table
		DUR=2 run_wrk_post 16 /webhook >/dev/null
		fresh_table
		w=$(run_wrk_post 16 /webhook)
		log "workers=$n: $(kv "$w" rps) req/s p99 $(kv "$w" p99_ms)"
		sum "| $n | $(kv "$w" rps) | $(kv "$w" p50_ms) | $(kv "$w" p99_ms) |"
	done
	restart_route webhook "$w0" >/dev/null 2>&1 || die "restart webhook"
	sum ""
	after workers
fi

# --- latency at half the best rate -----------------------------------------
if want latency; then
	wait_quiet latency section
	mark latency
	if [ "$BEST_RPS" = 0 ]; then
		fresh_table
		BEST_RPS=$(kv "$(run_wrk_post 16 /webhook)" rps)
	fi
	half=$(awk -v r="$BEST_RPS" 'BEGIN { printf "%d", r / 2 }')
	fresh_table
	mark "latency loadgen start"
	l=$("$LOADGEN" -u "$URL/webhook" -b "$BODY" -g -c 16 -r "$half" \
	    -t "$OUT/latency-timeline.txt" \
	    -d $((DUR + 5)) -w 2 -H "X-GitHub-Event: $INGEST_EVENT" \
	    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
	    -H "X-GitHub-Hook-Installation-Target-Type: integration" \
	    -H "X-Hub-Signature-256: sha256=$SIG" \
	    -H "Content-Type: application/json")
	echo "$l" >>"$OUT/loadgen.log"
	mark "latency loadgen end"
	log "latency at $half req/s: $l"
	sum "### Latency at 50 % of the best measured rate ($BEST_RPS req/s), open loop, 16 connections"
	sum ""
	sum "| target req/s | achieved | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-2xx+errors |"
	sum "|---|---|---|---|---|---|---|---|"
	sum "| $half | $(kv "$l" rate) | $(kv "$l" p50_ms) | $(kv "$l" p90_ms) | $(kv "$l" p99_ms) | $(kv "$l" p99.9_ms) | $(kv "$l" max_ms) | $(($(kv "$l" non2xx) + $(kv "$l" errors))) |"
	# Control: pgbench alone at the same rate, open loop too (-R; the
	# latency counts from the scheduled start), 2 s of warm-up dropped.
	fresh_table
	mark "latency pgbench start"
	rm -f "$OUT"/pgb-latency*
	pgbench -n -M prepared -c 16 -j 2 -R "$half" -T $((DUR + 5)) -l \
	    --log-prefix="$OUT/pgb-latency" -f "$OUT/insert.pgbench" \
	    "${PGB_VARS[@]}" "$DATABASE_URL" >>"$OUT/pgbench.log" 2>&1
	mark "latency pgbench end"
	pl=$(cat "$OUT"/pgb-latency* | sort -k5,5n -k6,6n | awk '
	    NR == 1 { t0 = $5 } $5 - t0 >= 2 { print ($3 + $7) / 1000 }' | sort -n |
	    awk '{ v[NR] = $1 } END { if (NR) printf "%d %.3f %.3f %.3f %.3f %.3f",
		NR, v[int(NR * 0.5) + 1], v[int(NR * 0.9) + 1], v[int(NR * 0.99) + 1],
		v[int(NR * 0.999) + 1], v[NR] }')
	read -r pn pp50 pp90 pp99 pp999 pmax <<<"$pl"
	log "latency pgbench at $half tps: p99 $pp99 ms"
	sum "| pgbench -R $half (control) | $(awk -v n="$pn" -v d=$((DUR + 3)) 'BEGIN { printf "%.1f", n / d }') | $pp50 | $pp90 | $pp99 | $pp999 | $pmax | |"
	sum ""
	sum "Slowest request started in each second (ms), ours: $(awk '{ printf("%s%.0f", (NR > 1) ? " " : "", $3) }' "$OUT/latency-timeline.txt")."
	sum ""
	after latency
fi

# --- cgi: fork-per-request peer -------------------------------------------
if want cgi; then
	wait_quiet cgi section
	mark cgi
	rm -f "$RUNDIR/fcgiwrap.sock"
	# A background job is no group leader, so setsid execs without a fork.
	setsid fcgiwrap -c 16 -s "unix:$RUNDIR/fcgiwrap.sock" \
	    2>>"$RUNDIR/fcgiwrap.log" &
	FCGIWRAP_PID=$!
	for _ in $(seq 1 100); do [ -S "$RUNDIR/fcgiwrap.sock" ] && break; sleep 0.05; done
	chmod 666 "$RUNDIR/fcgiwrap.sock"
	r=$(curl -sS -X POST -H "X-GitHub-Event: $INGEST_EVENT" \
	    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
	    -H "X-Hub-Signature-256: sha256=$SIG" --data-binary @"$BODY" "$URL/webhook-cgi")
	case "$r" in *'"outcome":"ok"'*) ;; *) die "CGI check delivery failed: $r" ;; esac
	sum "### Fork-per-request CGI (fcgiwrap -c 16) vs ours, same nginx, same binary"
	sum ""
	sum "| conns | CGI req/s | CGI p99 ms | ours req/s | ours p99 ms | ours / CGI |"
	sum "|---|---|---|---|---|---|"
	for c in 4 16; do
		fresh_table
		g=$(run_wrk_post "$c" /webhook-cgi)
		fresh_table
		w=$(run_wrk_post "$c" /webhook)
		log "cgi c=$c: $(kv "$g" rps) req/s vs ours $(kv "$w" rps)"
		sum "| $c | $(kv "$g" rps) | $(kv "$g" p99_ms) | $(kv "$w" rps) | $(kv "$w" p99_ms) | $(ratio "$(kv "$w" rps)" "$(kv "$g" rps)") |"
	done
	stop_fcgiwrap
	sum ""
	after cgi
fi

# --- memory: one worker, 100k requests -------------------------------------
if want memory; then
	wait_quiet memory section
	mark memory
	w0=$(workers_of webhook)
	restart_route webhook 1 >/dev/null 2>&1 || die "restart webhook"
	fresh_table
	wpid=""
	for _ in $(seq 1 100); do
		wpid=$(pgrep -P "$STACK_PID_webhook" | head -1)
		[ -n "$wpid" ] && break
		sleep 0.05
	done
	# Let the worker connect to PostgreSQL before the first sample.
	curl -s -o /dev/null -X POST "$URL/webhook"
	sum "### Memory of one webhook worker (pid $wpid, -w 1), 10k requests per step, 4 connections"
	sum ""
	sum "| requests | VmRSS kB | RssAnon kB | VmHWM kB | step req/s |"
	sum "|---|---|---|---|---|"
	st() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$wpid/status"; }
	sum "| 0 | $(st VmRSS) | $(st RssAnon) | $(st VmHWM) | |"
	for i in $(seq 1 10); do
		l=$("$LOADGEN" -u "$URL/webhook" -b "$BODY" -g -c 4 -n 10000 \
		    -H "X-GitHub-Event: $INGEST_EVENT" \
		    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
		    -H "X-Hub-Signature-256: sha256=$SIG")
		echo "$l" >>"$OUT/loadgen.log"
		[ "$(kv "$l" errors)" = 0 ] && [ "$(kv "$l" non2xx)" = 0 ] || log "memory step $i: $l"
		sum "| ${i}0k | $(st VmRSS) | $(st RssAnon) | $(st VmHWM) | $(kv "$l" rate) |"
		# Keep the table from growing into the next step's time.
		[ $((i % 5)) = 0 ] && fresh_table
	done
	log "memory: $(st VmRSS) kB after 100k"
	restart_route webhook "$w0" >/dev/null 2>&1 || die "restart webhook"
	sum ""
	after memory
fi

# --- trace -----------------------------------------------------------------
if want trace; then
	log "trace: loading $FILLER filler rows and two 10k-event accounts"
	sql "TRUNCATE installation_events, jobs" >/dev/null
	orig=$(compression_now)
	sql "SELECT instlog_ensure_partitions(3, 5)" >/dev/null
	t0=$(date +%s)
	load() {
		psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -v filler="$1" \
		    -v ent="$2" \
		    -v wj="$(cat "$FIXTURES/workflow_job.in_progress.json")" \
		    -v created="$(cat "$FIXTURES/installation.created.json")" \
		    -v suspend="$(cat "$FIXTURES/installation.suspend.json")" \
		    -v unsuspend="$(cat "$FIXTURES/installation.unsuspend.json")" \
		    -v added="$(cat "$FIXTURES/installation_repositories.added.json")" \
		    -f "$TOP/bench/trace_data.sql" >>"$OUT/trace-load.log"
	}
	set_compression pglz
	load "$FILLER" 9000001 || die "trace data load failed"
	set_compression lz4
	load 0 9000002 || die "trace data load failed"
	set_compression "$orig"
	sql "VACUUM ANALYZE installation_events" >/dev/null
	t1=$(date +%s)
	rows=$(sql "SELECT count(*) FROM installation_events")
	parts=$(sql "SELECT count(DISTINCT tableoid) FROM installation_events")
	log "trace: $rows rows in $parts partitions, loaded in $((t1 - t0))s"

	# The route's SQL, from lib/db/db_trace.c, as prepared statements planned
	# for their parameters every time (plan_cache_mode), like the unnamed
	# statements of PQexecParams.
	"$TOP/build/bench/trace_sql" >"$OUT/trace.sql.txt"
	q() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$OUT/trace.sql.txt"; }
	{
		echo "SET plan_cache_mode = force_custom_plan;"
		echo "PREPARE q_exists(bigint) AS $(q exists);"
		echo "PREPARE q_page(bigint, timestamptz, timestamptz, text, bigint, bigint, boolean) AS $(q page);"
		echo "PREPARE q_fold(bigint, timestamptz, timestamptz, bigint, bigint) AS $(q fold);"
		echo "PREPARE q_latest(bigint, integer, timestamptz, boolean) AS $(q ckpt_latest);"
		echo "PREPARE q_inst(bigint) AS $(q of_installation);"
		echo "PREPARE q_job(bigint) AS $(q of_job);"
		echo "PREPARE q_payload(bigint) AS $(q payload);"
	} >"$OUT/trace-prepare.sql"
	# Plans of every trace query: each must be index range scans.
	jobid=$(sql "SELECT payload -> 'workflow_job' ->> 'id' FROM installation_events WHERE entity_id = 9000001 AND event LIKE 'workflow_job.%' ORDER BY received_at DESC LIMIT 1")
	evid=$(sql "SELECT id FROM installation_events WHERE entity_id = 9000001 ORDER BY received_at DESC LIMIT 1")
	cursor=$(sql "SELECT id FROM installation_events WHERE entity_id = 9000001 ORDER BY received_at, id OFFSET 499 LIMIT 1")
	{
		cat "$OUT/trace-prepare.sql"
		for e in "q_exists(9000001)" \
		    "q_page(9000001, NULL, NULL, NULL, NULL, 501, false)" \
		    "q_latest(9000001, $(q ckpt_version), NULL, false)" \
		    "q_fold(9000001, NULL, NULL, NULL, 20000)" \
		    "q_page(9000001, NULL, NULL, NULL, $cursor, 501, false)" \
		    "q_page(9000001, NULL, NULL, NULL, NULL, 501, true)" \
		    "q_page(9000001, now() - interval '30 days', NULL, 'installation', NULL, 501, false)" \
		    "q_inst(16000001)" "q_job($jobid)" "q_payload($evid)" \
		    "q_page(9000002, NULL, NULL, NULL, NULL, 501, false)"; do
			echo "\\echo === $e"
			echo "EXPLAIN (ANALYZE, BUFFERS) EXECUTE $e;"
		done
	} | psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -f - >"$OUT/trace-explain.txt" 2>&1
	# Per query: execution time, and the scans that read pages (a Seq
	# Scan of an empty partition reads none and is no concern).
	awk '
	function flush() {
		if (q != "") printf "| `%s` | %s | %s |\n", q, t, (scans == "" ? "-" : scans)
	}
	/^=== / { flush(); q = substr($0, 5); t = ""; scans = ""; node = ""; next }
	/\(cost=/ {
		node = ""
		if ($0 !~ /(Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan|Sort) /)
			next
		n = $0; sub(/^ *(->  )?/, "", n); sub(/ (on|using) .*| +\(.*/, "", n)
		node = n; next
	}
	/^ *Planning/ { node = ""; next }
	/Buffers: shared/ && node != "" {
		if (index(scans, node) == 0) scans = scans (scans == "" ? "" : ", ") node
		node = ""; next
	}
	/Execution Time/ { t = $3 " ms" }
	END { flush() }' "$OUT/trace-explain.txt" >"$OUT/trace-plans.md"
	seqs=$(grep -c 'Seq Scan' "$OUT/trace-plans.md")

	wait_quiet trace section
	mark trace
	sum "### Trace: /trace/entity/{id}, 10,000 events of one account among $rows rows ($parts partitions), first page of 500"
	sum ""
	sum "Plans of every trace query (EXPLAIN ANALYZE, full text in trace-explain.txt); the nodes that read pages:"
	sum ""
	sum "| query | execution | nodes reading pages |"
	sum "|---|---|---|"
	cat "$OUT/trace-plans.md" >>"$SUMMARY"
	sum ""
	sum "Queries with a Seq Scan that read pages: $seqs."
	sum ""
	sum "| account payloads | SQL page ms | SQL fold ms (snapshot lookup + rows) | SQL page+fold ms | route p50 ms (1 conn) | route / SQL | route req/s at 4 conns | p99 ms at 4 conns |"
	sum "|---|---|---|---|---|---|---|---|"
	N=30
	for ent in 9000001 9000002; do
		comp=$(sql "SELECT pg_column_compression(payload) FROM installation_events WHERE entity_id = $ent AND event LIKE 'workflow_job.%' LIMIT 1")
		{
			cat "$OUT/trace-prepare.sql"
			echo "\\o /dev/null"
			# Warm-up, untimed.
			# The route's statements: the page, the latest fold
			# snapshot (none here: 50 rows), the rows after it.
			for _ in 1 2 3; do
				echo "EXECUTE q_page($ent, NULL, NULL, NULL, NULL, 501, false);"
				echo "EXECUTE q_latest($ent, $(q ckpt_version), NULL, false);"
				echo "EXECUTE q_fold($ent, NULL, NULL, NULL, 20000);"
			done
			echo "\\timing on"
			for _ in $(seq 1 $N); do
				echo "EXECUTE q_page($ent, NULL, NULL, NULL, NULL, 501, false);"
				echo "EXECUTE q_latest($ent, $(q ckpt_version), NULL, false);"
				echo "EXECUTE q_fold($ent, NULL, NULL, NULL, 20000);"
			done
		} | psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -f - >"$OUT/trace-timing-$ent.txt" 2>&1
		times=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$OUT/trace-timing-$ent.txt")
		med() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
		page=$(printf '%s\n' "$times" | awk 'NR % 3 == 1' | med)
		fold=$(printf '%s\n' "$times" | paste - - - | awk '{ print $2 + $3 }' | med)
		both=$(printf '%s\n' "$times" | paste - - - | awk '{ print $1 + $2 + $3 }' | med)
		auth=(-H "Authorization: Bearer $TRACE_API_SECRET")
		n=$(curl -sS "${auth[@]}" "$URL/trace/entity/$ent" | jq '.events | length')
		[ "$n" = 500 ] || die "trace route returned $n events, not 500"
		DUR=2 run_wrk 1 "/trace/entity/$ent" "${auth[@]}" >/dev/null
		w1=$(run_wrk 1 "/trace/entity/$ent" "${auth[@]}")
		w4=$(run_wrk 4 "/trace/entity/$ent" "${auth[@]}")
		log "trace $ent ($comp): SQL page $page fold $fold both $both ms; route p50 $(kv "$w1" p50_ms) ms; c4 $(kv "$w4" rps) req/s p99 $(kv "$w4" p99_ms)"
		sum "| $comp | $page | $fold | $both | $(kv "$w1" p50_ms) | $(ratio "$(kv "$w1" p50_ms)" "$both") | $(kv "$w4" rps) | $(kv "$w4" p99_ms) |"
	done
	sum ""
	# Worker count for the CPU-bound trace route, lz4 account.
	w0=$(workers_of trace_entity)
	sum "| trace_entity workers (lz4 account) | req/s at 4 conns | p50 ms | p99 ms |"
	sum "|---|---|---|---|"
	for n in 1 2 4; do
		restart_route trace_entity "$n" >/dev/null 2>&1 || die "restart trace_entity"
		DUR=2 run_wrk 4 /trace/entity/9000002 "${auth[@]}" >/dev/null
		w4=$(run_wrk 4 /trace/entity/9000002 "${auth[@]}")
		log "trace workers=$n: $(kv "$w4" rps) req/s p99 $(kv "$w4" p99_ms)"
		sum "| $n | $(kv "$w4" rps) | $(kv "$w4" p50_ms) | $(kv "$w4" p99_ms) |"
	done
	restart_route trace_entity "$w0" >/dev/null 2>&1 || die "restart trace_entity"
	sum ""
	after trace
fi

if [ ${#LOADED[@]} -gt 0 ]; then
	sum "**Measured under load:**"
	for l in "${LOADED[@]}"; do sum "- $l"; done
else
	sum "No other test stack ran and the machine was quiet before every section."
fi
echo
cat "$OUT/machine.txt"
echo
cat "$SUMMARY"
