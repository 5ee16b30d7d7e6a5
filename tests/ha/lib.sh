#!/bin/bash
# SPDX-License-Identifier: MIT
# Helpers for tests/ha/run.sh: a pg_auto_failover formation (Debian's
# postgresql-15-auto-failover) on loopback, a paced sender, a probe of
# "is there a writable primary", the monitor's view of the nodes.
# Sourced after tests/stack.sh and tests/integration/lib.sh.

# Monitor settings for a test that must fail over within seconds, not the
# defaults' ~50 s (pg_autoctl(5)).  A node is unhealthy once its keeper
# has not reported for 6 s and a health check failed; the new primary
# waits 5 s for the old one to drain (primary_demote_timeout), and each
# keeper demotes itself after 3 s without the monitor and its standby
# (timeout.network_partition_timeout, below primary_demote_timeout as
# the defaults have it: 20 s < 30 s).
HA_MONITOR_SETTINGS="health_check_period=1000 health_check_timeout=2000
health_check_max_retries=2 health_check_retry_delay=1000
node_considered_unhealthy_timeout=6000 primary_demote_timeout=5000"
HA_NETWORK_PARTITION_TIMEOUT=3

ha_log() { printf 'ha: %s\n' "$*"; }

# ha_now_ms: wall clock in milliseconds.
ha_now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# ha_secs MS: MS as seconds with one decimal.
ha_secs() { awk -v m="$1" 'BEGIN {printf "%.1f", m / 1000}'; }

# ha_wait SECONDS WHAT CMD...: run CMD every 0.2 s until it succeeds, at
# most SECONDS; fails with WHAT otherwise.
ha_wait() {
	local limit=$1 what=$2 until
	shift 2
	until=$(($(ha_now_ms) + limit * 1000))
	while :; do
		"$@" && return 0
		[ "$(ha_now_ms)" -lt "$until" ] || break
		sleep 0.2
	done
	fail "$what: not within $limit s"
}

# ha_formation_init DIR: where the formation lives (owned by postgres when
# we are root: PostgreSQL refuses to run as root), its ports, and the
# environment of every pg_autoctl: its configuration, state and pid files
# under DIR, not in the postgres user's home.
ha_formation_init() {
	HA_PG=$1
	mkdir -p "$HA_PG/cfg" "$HA_PG/data" "$HA_PG/run"
	[ "$(id -u)" = 0 ] && chown -R postgres: "$HA_PG"
	PG_BINDIR=$(stack_pg_bindir)
	HA_ENV=(env XDG_CONFIG_HOME="$HA_PG/cfg" XDG_DATA_HOME="$HA_PG/data"
	    XDG_RUNTIME_DIR="$HA_PG/run" PATH="$PG_BINDIR:$PATH")
	HA_AC=("${HA_ENV[@]}" pg_autoctl)
	[ "$(id -u)" = 0 ] && HA_AC=(runuser -u postgres -- "${HA_AC[@]}")
	HA_NODES="node1 node2"
	local p used=" "
	for p in MON_PORT PORT_node1 PORT_node2; do
		local port
		port=$(stack_free_port) || return 1
		while [[ "$used" == *" $port "* ]]; do port=$(stack_free_port) || return 1; done
		used="$used$port "
		eval "HA_$p=$port"
	done
	HA_MONITOR_URI="postgres://autoctl_node@127.0.0.1:$HA_MON_PORT/pg_auto_failover?sslmode=prefer"
}

# ha_ac ARGS...: pg_autoctl as the postgres user, in the formation's
# environment (the command itself in HA_AC, for timeout(1)).
ha_ac() { "${HA_AC[@]}" "$@"; }

# ha_service NAME: `pg_autoctl run` for NAME (monitor, node1, node2) in
# its own session, so that every process of it can be found and ended;
# its process group id in HA_PG/NAME.pgid, its output in HA_PG/NAME.log.
ha_service() {
	local name=$1 pre=()
	[ "$(id -u)" = 0 ] && pre=(runuser -u postgres --)
	setsid "${pre[@]}" "${HA_ENV[@]}" pg_autoctl run --pgdata "$HA_PG/$name" \
	    >>"$HA_PG/$name.log" 2>&1 </dev/null &
	echo "$!" >"$HA_PG/$name.pgid"
}

# ha_service_alive NAME: some process of NAME's group is still there.
ha_service_alive() {
	local g
	g=$(cat "$HA_PG/$1.pgid" 2>/dev/null) || return 1
	kill -0 -- "-$g" 2>/dev/null
}

# ha_service_stop NAME [--immediate]: `pg_autoctl stop` (fast, or
# immediate: SIGQUIT, Postgres stopped without a checkpoint), then wait
# up to 20 s for every process of the group to end; SIGKILL what is left,
# and a postmaster that outlived its keeper.
ha_service_stop() {
	local name=$1 mode=${2:-} g pm i
	g=$(cat "$HA_PG/$name.pgid" 2>/dev/null)
	if [ -n "$g" ] && kill -0 -- "-$g" 2>/dev/null; then
		ha_ac stop --pgdata "$HA_PG/$name" $mode >/dev/null 2>&1 ||
		    kill -TERM -- "-$g" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 -- "-$g" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL -- "-$g" 2>/dev/null
	fi
	pm=$(head -1 "$HA_PG/$name/postmaster.pid" 2>/dev/null)
	if [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null &&
	    [ "$(ps -o comm= -p "$pm")" = postgres ]; then
		kill -KILL "$pm" 2>/dev/null
	fi
	return 0
}

# ha_formation_stop: every node, then the monitor (for the exit trap).
ha_formation_stop() {
	[ -n "${HA_PG:-}" ] || return 0
	local n pids=()
	for n in $HA_NODES; do
		ha_service_stop "$n" &
		pids+=("$!")
	done
	wait "${pids[@]}"
	ha_service_stop monitor
}

# ha_mon_sql QUERY: on the monitor, as the postgres superuser.
ha_mon_sql() {
	psql "postgresql://postgres@127.0.0.1:$HA_MON_PORT/pg_auto_failover?connect_timeout=3" \
	    -X -q -At -v ON_ERROR_STOP=1 -c "$1"
}

# ha_node_sql NAME QUERY: on node NAME directly, as instlog.
ha_node_sql() {
	local port="HA_PORT_$1"
	PGOPTIONS="-c statement_timeout=5000" \
	    psql "postgresql://instlog@127.0.0.1:${!port}/instlog?connect_timeout=2" \
	    -X -q -At -v ON_ERROR_STOP=1 -c "$2"
}

# ha_states: "name reported goal" per node, as the monitor has them.
ha_states() {
	ha_mon_sql "SELECT nodename || ' ' || reportedstate || ' ' || goalstate FROM pgautofailover.node ORDER BY nodeid"
}

# ha_is_state NAME STATE...: the monitor has NAME reported and assigned
# one of the STATEs.
ha_is_state() {
	local name=$1 line
	shift
	line=$(ha_states 2>/dev/null | awk -v n="$name" '$1 == n && $2 == $3 {print $2}')
	[ -n "$line" ] && [[ " $* " == *" $line "* ]]
}

# ha_writable NAME: node NAME takes writes now.
ha_writable() {
	[ "$(ha_node_sql "$1" "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'" 2>/dev/null)" = t ]
}

# ha_is_primary NAME: the monitor says NAME is the primary and it takes
# writes.
ha_is_primary() { ha_is_state "$1" primary wait_primary && ha_writable "$1"; }

# ha_is_secondary NAME: the monitor says NAME is a secondary, and it is
# in recovery.
ha_is_secondary() {
	ha_is_state "$1" secondary &&
	    [ "$(ha_node_sql "$1" "SELECT pg_is_in_recovery()" 2>/dev/null)" = t ]
}

# ha_primary: the name of the current primary (empty when none).
ha_primary() {
	local n
	for n in $HA_NODES; do
		ha_is_primary "$n" && { echo "$n"; return 0; }
	done
	return 1
}

# ha_other NAME: the other node.
ha_other() { [ "$1" = node1 ] && echo node2 || echo node1; }

# ha_formation_create: monitor (tuned), primary, synchronous secondary,
# each `pg_autoctl run` in the background; the instlog role owning the
# database.  Sets HA_URL (read-write) and HA_READ_URL (prefer-standby).
ha_formation_create() {
	local s n uri t0
	t0=$(ha_now_ms)
	ha_ac create monitor --pgdata "$HA_PG/monitor" --pgport "$HA_MON_PORT" \
	    --hostname 127.0.0.1 --auth trust --no-ssl \
	    --pgctl "$PG_BINDIR/pg_ctl" >"$HA_PG/monitor-create.log" 2>&1 ||
	    { tail -20 "$HA_PG/monitor-create.log" >&2; fail "pg_autoctl create monitor"; return 1; }
	# It would listen on every address ('*').
	ha_ac config set --pgdata "$HA_PG/monitor" postgresql.listen_addresses 127.0.0.1 >/dev/null ||
	    { fail "monitor listen_addresses"; return 1; }
	ha_service monitor
	ha_wait 30 "monitor up" eval 'ha_mon_sql "SELECT 1" >/dev/null 2>&1' || return 1
	for s in $HA_MONITOR_SETTINGS; do
		ha_mon_sql "ALTER SYSTEM SET pgautofailover.${s%%=*} = ${s#*=}" >/dev/null ||
		    { fail "monitor setting $s"; return 1; }
	done
	ha_mon_sql "SELECT pg_reload_conf()" >/dev/null
	for n in $HA_NODES; do
		local port="HA_PORT_$n"
		ha_ac create postgres --pgdata "$HA_PG/$n" --pgport "${!port}" \
		    --pghost 127.0.0.1 --listen 127.0.0.1 --hostname 127.0.0.1 \
		    --name "$n" --dbname instlog --monitor "$HA_MONITOR_URI" \
		    --auth trust --no-ssl --pgctl "$PG_BINDIR/pg_ctl" \
		    >"$HA_PG/$n-create.log" 2>&1 ||
		    { tail -20 "$HA_PG/$n-create.log" >&2; fail "pg_autoctl create postgres $n"; return 1; }
		ha_ac config set --pgdata "$HA_PG/$n" timeout.network_partition_timeout \
		    "$HA_NETWORK_PARTITION_TIMEOUT" >/dev/null ||
		    { fail "$n network_partition_timeout"; return 1; }
		ha_service "$n"
		if [ "$n" = node1 ]; then
			ha_wait 60 "node1 primary" ha_is_state node1 single primary wait_primary || return 1
			ha_wait 60 "node1 up" eval 'psql "postgresql://postgres@127.0.0.1:$HA_PORT_node1/instlog?connect_timeout=2" -X -q -c "SELECT 1" >/dev/null 2>&1' || return 1
			psql "postgresql://postgres@127.0.0.1:$HA_PORT_node1/instlog" -X -q \
			    -v ON_ERROR_STOP=1 -c "CREATE ROLE instlog LOGIN" \
			    -c "ALTER DATABASE instlog OWNER TO instlog" >/dev/null ||
			    { fail "instlog role"; return 1; }
		fi
	done
	ha_wait 90 "node2 secondary" ha_is_secondary node2 || return 1
	ha_wait 30 "node1 primary" ha_is_state node1 primary || return 1
	HA_BUILT="monitor, primary and secondary up in $(ha_secs $(($(ha_now_ms) - t0))) s"
	# The URL the monitor gives applications, with our role.
	uri=$(ha_ac show uri --pgdata "$HA_PG/monitor" --formation default 2>/dev/null)
	case $uri in
	postgres://*target_session_attrs=read-write*) ;;
	*) fail "pg_autoctl show uri --formation default: '$uri'"; return 1 ;;
	esac
	HA_URL=postgresql://instlog@${uri#postgres://}
	HA_READ_URL=${HA_URL/target_session_attrs=read-write/target_session_attrs=prefer-standby}
}

# ha_probe_start FILE: every ~0.1 s, one write through the read-write
# URL (a transaction id, so the commit waits for the synchronous
# standby), appending "ms ok|fail" to FILE, until FILE.stop exists (at
# most 5 minutes).
ha_probe_start() {
	local file=$1
	: >"$file"
	rm -f "$file.stop"
	(
		end=$(($(ha_now_ms) + 300000))
		while [ ! -e "$file.stop" ] && [ "$(ha_now_ms)" -lt "$end" ]; do
			if PGOPTIONS="-c statement_timeout=1500" timeout 3 \
			    psql "$HA_URL&connect_timeout=1" -X -q -At \
			    -c "SELECT txid_current()" >/dev/null 2>&1; then
				echo "$(ha_now_ms) ok"
			else
				echo "$(ha_now_ms) fail"
			fi >>"$file"
			sleep 0.1
		done
	) &
	HA_PROBE_PID=$!
}

ha_probe_stop() {
	touch "$1.stop"
	wait "$HA_PROBE_PID" 2>/dev/null
}

# ha_probe_gap FILE: the longest time without a write, in ms: from the
# last success before a run of failures to the first success after it.
ha_probe_gap() {
	awk '$2 == "ok" { if (f && last) { g = $1 - last; if (g > m) m = g } last = $1; f = 0 }
	     $2 == "fail" { f = 1 }
	     END { print m + 0 }' "$1"
}

# ha_send MAX RATE PREFIX DIR: POST signed real deliveries (ping,
# installation.created, workflow_job.queued in turn) at RATE per second,
# ids PREFIX-1.., until DIR.stop exists or MAX were sent; DIR/i gets
# "status seconds" of each.  Waits for every answer.  (The sender of
# tests/integration/test_reliability.sh's outage test, with a stop file.)
ha_send() {
	local max=$1 rate=$2 prefix=$3 dir=$4 i k start now due
	local events=(ping installation workflow_job) files=() sigs=()
	files=("$(fixture ping)" "$(fixture installation.created)"
	    "$(fixture_edit workflow_job.queued '.workflow_job.id = 880001')")
	for k in 0 1 2; do sigs+=("$(sign "${files[k]}")"); done
	mkdir -p "$dir"
	start=${EPOCHREALTIME/./}
	for ((i = 1; i <= max; i++)); do
		[ -e "$dir.stop" ] && break
		k=$((i % 3))
		curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 20 \
		    -X POST -H "X-GitHub-Event: ${events[k]}" \
		    -H "X-GitHub-Delivery: $prefix-$i" \
		    -H "X-GitHub-Hook-Installation-Target-Type: integration" \
		    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
		    -H "X-Hub-Signature-256: sha256=${sigs[k]}" \
		    --data-binary @"${files[k]}" "$INSTLOG_URL/webhook" \
		    >"$dir/$i" 2>/dev/null &
		# Steady: the i-th request leaves at start + i / RATE.
		due=$((start + i * 1000000 / rate))
		now=${EPOCHREALTIME/./}
		[ "$now" -lt "$due" ] &&
		    sleep "$(((due - now) / 1000000)).$(printf '%06d' $(((due - now) % 1000000)))"
	done
	wait
}

# ha_sent DIR: how many deliveries the sender has sent so far.
ha_sent() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l; }

# ha_sent_at_least DIR N
ha_sent_at_least() { [ "$(ha_sent "$1")" -ge "$2" ]; }

# ha_rows NODE PREFIX: "stored duplicates" for ids PREFIX-*, on NODE.
ha_rows() {
	ha_node_sql "$1" "SELECT count(*), count(*) FILTER (WHERE c > 1) FROM (
	    SELECT delivery_id, count(*) c FROM installation_events
	    WHERE delivery_id LIKE '$2-%' GROUP BY delivery_id) t" | tr '|' ' '
}
