#!/bin/bash
# SPDX-License-Identifier: MIT
# Start a whole local instlog stack: a throwaway PostgreSQL (unless
# DATABASE_URL is set), the migrations, every FastCGI binary and nginx on
# 127.0.0.1.  `bash tests/stack.sh run` is `make run`; the integration tests
# source this file and call stack_start / stack_stop.

STACK_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK_BIN=${STACK_BIN:-$STACK_TOP/build/bin}
# Routes and their worker counts; each gets its own socket and can be
# restarted alone.
STACK_ROUTES=${STACK_ROUTES:-"webhook trace_entity trace_entity_by_name trace_failing trace_installation trace_job trace_payload operations operation healthz metrics trace_stream operations_stream"}
STACK_PIDS=()

stack_log() { printf 'stack: %s\n' "$*" >&2; }

# Print a TCP port on 127.0.0.1 that nothing listens on.
stack_free_port() {
	local p
	for _ in $(seq 1 200); do
		# Below the kernel's ephemeral range (32768-60999 here), so
		# an outgoing connection cannot take it in between.
		p=$((15000 + RANDOM % 17000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Run a command as the unprivileged postgres user when we are root.
stack_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

stack_pg_bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	dirname "$(command -v initdb)"
}

# stack_pg_start DIR: initdb a cluster in DIR/pg and start it on a free
# port.  Sets PGDATA_DIR, PG_PORT, STACK_DATABASE_URL.
stack_pg_start() {
	local dir=$1 bindir
	bindir=$(stack_pg_bindir)
	PG_BINDIR=$bindir
	PGDATA_DIR=$dir/pg
	if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$dir"; then
		# postgres cannot reach DIR (e.g. under /root): use /tmp.
		PGDATA_DIR=$(mktemp -d /tmp/instlog-pg.XXXXXX)/pg
		chmod 755 "$(dirname "$PGDATA_DIR")"
	fi
	mkdir -p "$PGDATA_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$PGDATA_DIR"
	chmod 700 "$PGDATA_DIR"
	if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
		stack_as_pg "$bindir/initdb" -D "$PGDATA_DIR" -U instlog \
		    -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null ||
		    return 1
	fi
	PG_PORT=${PG_PORT:-$(stack_free_port)}
	stack_pg_resume || return 1
	stack_as_pg "$bindir/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U instlog \
	    -d postgres -c "SELECT 1 FROM pg_database WHERE datname='instlog'" \
	    -At | grep -q 1 ||
	    stack_as_pg "$bindir/createdb" -h 127.0.0.1 -p "$PG_PORT" \
	    -U instlog instlog
	STACK_DATABASE_URL="postgresql://instlog@127.0.0.1:$PG_PORT/instlog"
}

# stack_pg_resume: start the cluster of PGDATA_DIR again on PG_PORT (after
# stack_pg_stop, say), with the options stack_pg_start gave it.
stack_pg_resume() {
	stack_as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -w -t 60 \
	    -l "$PGDATA_DIR/server.log" \
	    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PGDATA_DIR -c max_connections=200 ${STACK_PG_OPTS:-}" \
	    start >/dev/null || { cat "$PGDATA_DIR/server.log" >&2; return 1; }
}

stack_pg_stop() {
	[ -n "${PGDATA_DIR:-}" ] && [ -f "$PGDATA_DIR/postmaster.pid" ] &&
	    stack_as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop \
	    >/dev/null 2>&1
	return 0
}

# Default workers per route, sized for 2 cores (bench/RESULTS.md): the
# webhook is two workers of 16 request threads (its default -t), each with
# one group commit, so that the deliveries that arrive together are
# written together and one crashed worker costs at most half of what is in
# flight (tests/RELIABILITY.md); the trace routes are CPU-bound and keep 2.
STACK_DEFAULT_WORKERS_webhook=2
# The streams: one worker each, its request threads bounded by
# INSTLOG_STREAMS (the bound is per worker).
STACK_DEFAULT_WORKERS_trace_stream=1
STACK_DEFAULT_WORKERS_operations_stream=1

# stack_route_start NAME: start one FastCGI binary on RUNDIR/NAME.sock with
# STACK_WORKERS_NAME workers, else STACK_WORKERS, else the route's default
# above, else 2; under STACK_WRAPPER when set (e.g. "valgrind -q
# --log-file=...").
stack_route_start() {
	local name=$1 wvar="STACK_WORKERS_$1" dvar="STACK_DEFAULT_WORKERS_$1"
	local tvar="STACK_THREADS_$1" workers i
	workers=${!wvar:-${STACK_WORKERS:-${!dvar:-2}}}
	[ -x "$STACK_BIN/$name" ] || { stack_log "no binary $name (skipped)"; return 0; }
	rm -f "$RUNDIR/$name.sock"
	${STACK_WRAPPER:-} "$STACK_BIN/$name" -s "$RUNDIR/$name.sock" -w "$workers" ${!tvar:+-t "${!tvar}"} \
	    2>>"$RUNDIR/$name.log" &
	eval "STACK_PID_$name=$!"
	STACK_PIDS+=("$!")
	# Also on disk: a route restarted from a subshell stays findable.
	echo "$!" >"$RUNDIR/$name.pid"
	for i in $(seq 1 400); do
		[ -S "$RUNDIR/$name.sock" ] && return 0
		kill -0 "$!" 2>/dev/null || { stack_log "$name failed to start:"; cat "$RUNDIR/$name.log" >&2; return 1; }
		sleep 0.05
	done
	stack_log "$name: no socket after 20 s"
	return 1
}

# stack_replay_start: when INSTLOG_SPOOL_DIR is set, replay the spool in the
# background every STACK_REPLAY_INTERVAL seconds (default 5).
stack_replay_start() {
	[ -n "${INSTLOG_SPOOL_DIR:-}" ] || return 0
	[ -x "$STACK_BIN/spool_replay" ] || { stack_log "no binary spool_replay (skipped)"; return 0; }
	${STACK_WRAPPER:-} "$STACK_BIN/spool_replay" -i "${STACK_REPLAY_INTERVAL:-5}" \
	    2>>"$RUNDIR/spool_replay.log" &
	STACK_PID_spool_replay=$!
	STACK_PIDS+=("$!")
}

# stack_every PROGRAM SECONDS: for `make run`, run the cron program
# PROGRAM every SECONDS in the background, as cron runs it in production;
# its summary lines and errors go to RUNDIR/PROGRAM.log.
stack_every() {
	[ -x "$STACK_BIN/$1" ] || { stack_log "no binary $1 (skipped)"; return 0; }
	( while :; do
		"$STACK_BIN/$1"
		sleep "$2"
	  done ) >>"$RUNDIR/$1.log" 2>&1 &
	STACK_PIDS+=("$!")
}

# stack_cron_start: for `make run`, notify every STACK_NOTIFY_INTERVAL
# seconds (default 10) when a notification sink is configured, and
# snapshot (the fold snapshots made ahead, for traces and the fleet) every
# STACK_SNAPSHOT_INTERVAL seconds (default 300).
stack_cron_start() {
	[ -n "${INSTLOG_NOTIFY_URL:-}${INSTLOG_SLACK_WEBHOOK_URL:-}${INSTLOG_SLACK_WEBHOOK_URL_FILE:-}" ] &&
	    stack_every notify "${STACK_NOTIFY_INTERVAL:-10}"
	stack_every snapshot "${STACK_SNAPSHOT_INTERVAL:-300}"
}

# stack_route_pid NAME: the supervisor pid of a running route binary.
stack_route_pid() {
	cat "$RUNDIR/$1.pid" 2>/dev/null
}

# stack_route_stop NAME: stop one binary (its workers follow).
stack_route_stop() {
	local pid
	pid=$(stack_route_pid "$1")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	# Not our child when started from another subshell: poll.
	wait "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$RUNDIR/$1.pid"
	eval "STACK_PID_$1="
	return 0
}

# stack_nginx_start: write RUNDIR/nginx.conf from nginx/ and start nginx.
# STACK_NGINX_EXTRA names a file of extra locations (the benchmarks' CGI
# peer) appended to the routes, with @RUNDIR@ filled in;
# STACK_NGINX_HTTP_EXTRA a file included in the http block (the
# benchmarks' upstream of the Node peer).
stack_nginx_start() {
	local userline="" access="off"
	[ "$(id -u)" = 0 ] && userline="user root;"
	[ -n "${STACK_ACCESS_LOG:-}" ] && access="$RUNDIR/nginx-access.log"
	mkdir -p "$RUNDIR/nginx-tmp"
	sed -e "s|@RUNDIR@|$RUNDIR|g" -e "s|@UIDIR@|$STACK_TOP/ui|g" \
	    "$STACK_TOP/nginx/instlog.conf" >"$RUNDIR/instlog.conf"
	[ -n "${STACK_NGINX_EXTRA:-}" ] &&
	    sed "s|@RUNDIR@|$RUNDIR|g" "$STACK_NGINX_EXTRA" >>"$RUNDIR/instlog.conf"
	cp "$STACK_TOP/nginx/fastcgi.conf" "$RUNDIR/fastcgi.conf"
	sed -e "s|@RUNDIR@|$RUNDIR|g" -e "s|@PORT@|$PORT|g" \
	    -e "s|@USERLINE@|$userline|" -e "s|@ACCESSLOG@|$access|" \
	    "$STACK_TOP/nginx/nginx.conf.in" >"$RUNDIR/nginx.conf"
	[ -n "${STACK_NGINX_HTTP_EXTRA:-}" ] &&
	    sed -i "s|^\tserver {|\tinclude $STACK_NGINX_HTTP_EXTRA;\n&|" \
	    "$RUNDIR/nginx.conf"
	nginx -q -t -p "$RUNDIR" -c "$RUNDIR/nginx.conf" -e "$RUNDIR/nginx-error.log" || return 1
	nginx -p "$RUNDIR" -c "$RUNDIR/nginx.conf" -e "$RUNDIR/nginx-error.log" \
	    -g 'daemon off;' &
	STACK_NGINX_PID=$!
	STACK_PIDS+=("$!")
	# Ready when OUR nginx answers: it is alive and /healthz is instlog's
	# (another server on the port would answer too).
	for _ in $(seq 1 100); do
		kill -0 "$STACK_NGINX_PID" 2>/dev/null || break
		curl -s "http://127.0.0.1:$PORT/healthz" 2>/dev/null |
		    jq -e '.service == "instlog"' >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	stack_log "nginx did not come up on 127.0.0.1:$PORT (see $RUNDIR/nginx-error.log)"
	return 1
}

# stack_port_is_taken PORT: true when something listens on 127.0.0.1:PORT.
stack_port_is_taken() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# stack_secret NAME FILE: export NAME from FILE (mode 0600) when set
# neither as NAME nor as NAME_FILE, generating FILE on the first run, so
# that a GitHub App or a command configured with it keeps working after a
# restart.
stack_secret() {
	local name=$1 file=$2 fvar="$1_FILE"
	[ -n "${!name:-}${!fvar:-}" ] && return 0
	if [ -s "$file" ]; then
		echo "using $name from $file"
	else
		(umask 077 && openssl rand -hex 20 >"$file") || return 1
		echo "generated $name into $file"
	fi
	chmod 600 "$file"
	export "$name=$(cat "$file")"
	echo "$name=${!name}"
}

# stack_start DIR: everything, in DIR.  Honours DATABASE_URL, PORT
# (default a free one), STACK_WORKERS, STACK_WORKERS_<route>,
# STACK_PG_OPTS, STACK_NGINX_EXTRA.  Exports the configuration variables
# (docs/architecture.md#configuration).
stack_start() {
	RUNDIR=$1
	mkdir -p "$RUNDIR"
	# The FastCGI sockets (0660) live here: the owner and its group
	# only.  As root, the group is postgres so that the cluster under
	# RUNDIR/pg stays reachable; it cannot use the sockets (root's).
	chmod 750 "$RUNDIR"
	[ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && chgrp postgres "$RUNDIR"
	if [ -z "${DATABASE_URL:-}" ]; then
		stack_pg_start "$RUNDIR" || return 1
		export DATABASE_URL=$STACK_DATABASE_URL
	fi
	"$STACK_TOP/sql/migrate" "$DATABASE_URL" >"$RUNDIR/migrate.log" || {
		cat "$RUNDIR/migrate.log" >&2; return 1; }
	PORT=${PORT:-$(stack_free_port)}
	export INSTLOG_URL="http://127.0.0.1:$PORT"
	local r
	for r in $STACK_ROUTES; do
		stack_route_start "$r" || return 1
	done
	stack_replay_start || return 1
	stack_nginx_start || return 1
}

stack_stop() {
	local pid
	for pid in "${STACK_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${STACK_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	STACK_PIDS=()
	# A route restarted from a subshell (a test) is not in STACK_PIDS:
	# stop whatever still serves a socket of this stack.
	[ -n "${RUNDIR:-}" ] && pkill -TERM -f -- "-s $RUNDIR/" 2>/dev/null
	stack_pg_stop
}

# `make run`: the stack in the foreground until Ctrl-C or SIGTERM.
# STACK_VAR (default var/) holds the cluster, logs, spool and secrets.
stack_run() {
	local var=${STACK_VAR:-$STACK_TOP/var} sample watcher
	PORT=${INSTLOG_PORT:-8080}
	# Before anything starts: another server on the port would answer
	# in nginx's place.
	if stack_port_is_taken "$PORT"; then
		echo "instlog: port $PORT on 127.0.0.1 is already in use: stop that server or set INSTLOG_PORT to a free port" >&2
		exit 1
	fi
	mkdir -p "$var"
	stack_secret GITHUB_WEBHOOK_SECRET "$var/github_webhook_secret" || exit 1
	stack_secret TRACE_API_SECRET "$var/trace_api_secret" || exit 1
	export INSTLOG_SPOOL_DIR=${INSTLOG_SPOOL_DIR:-$var/spool}
	trap 'echo; echo "stopping"; kill "$watcher" 2>/dev/null; stack_stop; exit 0' INT TERM HUP
	# make does not pass SIGTERM on to its recipe: when our parent (make)
	# goes away, stop as if we had been signalled ourselves.
	local parent=$PPID self=$$
	( while kill -0 "$parent" 2>/dev/null; do sleep 1; done
	  kill -TERM "$self" 2>/dev/null ) &
	watcher=$!
	# A cluster left by a previous run is reused: stop it first.
	if [ -f "$var/pg/postmaster.pid" ]; then
		PGDATA_DIR=$var/pg PG_BINDIR=$(stack_pg_bindir) stack_pg_stop
	fi
	if ! stack_start "$var"; then
		kill "$watcher" 2>/dev/null
		stack_stop
		stack_port_is_taken "$PORT" &&
		    echo "instlog: port $PORT on 127.0.0.1 is already in use: stop that server or set INSTLOG_PORT to a free port" >&2
		exit 1
	fi
	stack_cron_start
	sample=$var/sample-ping.json
	if [ -f "$STACK_TOP/../shared/fixtures/github/ping.json" ]; then
		cp "$STACK_TOP/../shared/fixtures/github/ping.json" "$sample"
	else
		printf '{"zen":"Design for failure.","hook_id":1,"hook":{"type":"App","app_id":1}}' >"$sample"
	fi
	local secret_expr='$GITHUB_WEBHOOK_SECRET' trace_expr='$TRACE_API_SECRET'
	[ -n "${GITHUB_WEBHOOK_SECRET:-}" ] && secret_expr=$GITHUB_WEBHOOK_SECRET
	[ -n "${TRACE_API_SECRET:-}" ] && trace_expr=$TRACE_API_SECRET
	cat <<MSG

instlog ready at $INSTLOG_URL
  page: $INSTLOG_URL/ui/ (paste TRACE_API_SECRET)
  POST $INSTLOG_URL/webhook
  GET  $INSTLOG_URL/trace/entity/{id}  /trace/entity-by-name/{login}
       /trace/installation/{id}  /trace/job/{id}  /trace/payload/{id}
       /trace/failing  (the fleet: who is failing now, and why)
       /trace/stream  /operations/stream  (live tail, Server-Sent Events)
  GET  $INSTLOG_URL/metrics  (Prometheus; loopback only)
  DATABASE_URL=$DATABASE_URL
  logs: $var/*.log
  spool: $INSTLOG_SPOOL_DIR (replayed every ${STACK_REPLAY_INTERVAL:-5} s by spool_replay)
  notifications: $([ -n "${INSTLOG_NOTIFY_URL:-}${INSTLOG_SLACK_WEBHOOK_URL:-}${INSTLOG_SLACK_WEBHOOK_URL_FILE:-}" ] &&
      echo "notify runs every ${STACK_NOTIFY_INTERVAL:-10} s (log: $var/notify.log)" ||
      echo "off (set INSTLOG_NOTIFY_URL + INSTLOG_NOTIFY_SECRET and/or INSTLOG_SLACK_WEBHOOK_URL)")
  snapshots: made ahead every ${STACK_SNAPSHOT_INTERVAL:-300} s by snapshot (log: $var/snapshot.log)

Send a signed sample delivery:
  sig=\$(openssl dgst -sha256 -hmac '$secret_expr' -r $sample | cut -d' ' -f1); curl -sS -H 'X-GitHub-Event: ping' -H "X-GitHub-Delivery: \$(cat /proc/sys/kernel/random/uuid)" -H "X-Hub-Signature-256: sha256=\$sig" --data-binary @$sample $INSTLOG_URL/webhook
See the row:
  psql '$DATABASE_URL' -c 'SELECT id, received_at, event, outcome, delivery_id FROM installation_events ORDER BY id'
Read it back through the trace routes and the CLI:
  curl -sS -H 'Authorization: Bearer $trace_expr' $INSTLOG_URL/trace/payload/1
  TRACE_API_SECRET='$trace_expr' INSTLOG_URL=$INSTLOG_URL $STACK_BIN/instlog-trace --entity-id <account id>

Ctrl-C stops everything.
MSG
	while :; do
		wait -n 2>/dev/null
		sleep 1
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case "${1:-}" in
	run) stack_run ;;
	*) echo "usage: $0 run" >&2; exit 2 ;;
	esac
fi
