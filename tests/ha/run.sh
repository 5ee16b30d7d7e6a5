#!/bin/bash
# SPDX-License-Identifier: MIT
# High availability (issue 27): instlog on a pg_auto_failover
# formation built from Debian's packages (a monitor, a primary and a
# synchronous secondary on loopback, as the postgres user), with no
# failover code of its own: every binary takes the monitor's multi-host
# URL (target_session_attrs=read-write), the webhook spools (202) while no
# node takes writes, spool_replay replays afterwards.  Under a sender of
# signed real deliveries at 20/s: a planned failover (pg_autoctl perform
# failover) and an unplanned one (the primary's node stopped immediately,
# kept down until the monitor promotes the secondary, then brought back
# as the secondary).  Each: every delivery answered 200 or 202, exactly
# one row each on the new primary after the replay, a cron run in flight
# ends (failed, abandoned or completed: never a hang).  The trace routes
# answer the same from the secondary (DATABASE_READ_URL, prefer-standby)
# as from the primary, with and without fold checkpoints; the cron
# programs run after the switch.  Prints one line of numbers per
# failover and "ha: N passed, N failed"; exits non-zero on a failure.
# Without pg_auto_failover installed: "ha: SKIPPED: <why>", exit 0.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/stack.sh"
. "$TOP/tests/integration/lib.sh"
. "$HERE/lib.sh"

skip() {
	echo "ha: SKIPPED: $*"
	exit 0
}
command -v pg_autoctl >/dev/null ||
    skip "pg_autoctl not found (Debian 12: pg-auto-failover-cli, installed by make deps)"
PG_BINDIR=$(stack_pg_bindir)
HA_EXT=$("$PG_BINDIR/pg_config" --pkglibdir 2>/dev/null || echo "$(dirname "$PG_BINDIR")/lib")/pgautofailover.so
[ -f "$HA_EXT" ] ||
    skip "$HA_EXT not found (Debian 12: postgresql-15-auto-failover, installed by make deps)"
[ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1 ||
    skip "running as root without a postgres user to run PostgreSQL as"
[ -d "$FIXTURES" ] || { echo "ha: fixtures not found at $FIXTURES" >&2; exit 1; }
for b in webhook spool_replay auth_check redeliver notify maintenance; do
	[ -x "$STACK_BIN/$b" ] || { echo "ha: $STACK_BIN/$b missing: make all" >&2; exit 1; }
done
for b in fake_github fake_receiver; do
	[ -x "$TOP/build/tests/$b" ] || { echo "ha: build/tests/$b missing: make all" >&2; exit 1; }
done

T0=$(ha_now_ms)
test_root ha
ha_cleanup() {
	local p
	for p in ${HA_KILL:-}; do kill "$p" 2>/dev/null; done
	[ -n "${HA_PROBE_PID:-}" ] && kill "$HA_PROBE_PID" 2>/dev/null
	primary_only_stop
	stack_stop
	ha_formation_stop
	if [ -n "${KEEP:-}" ]; then
		echo "ha: kept $TEST_ROOT"
	else
		rm -rf "$TEST_ROOT"
	fi
}
trap ha_cleanup EXIT

export GITHUB_WEBHOOK_SECRET="ha-secret-$RANDOM$RANDOM"
export TRACE_API_SECRET="ha-trace-$RANDOM$RANDOM"
export INSTLOG_SPOOL_DIR=$TEST_ROOT/spool
# Fold snapshots every 3 rows: the traces below are folded from them.
export INSTLOG_FOLD_CHECKPOINT_EVERY=3
export STACK_REPLAY_INTERVAL=1

# The account whose traces are compared (E, login L, installation I).
E=7101
L=hazel
I=8101
# The fake GitHub's two apps (tests/integration/test_auth_check.sh).
ORG_APP=101
USER_APP=202

# --- the steps ------------------------------------------------------------

step_formation() {
	ha_formation_init "$TEST_ROOT/pg" || { fail "no free ports"; return 1; }
	ha_formation_create || return 1
	ha_wait 30 "synchronous replication on node1" \
	    eval '[ -n "$(ha_node_sql node1 "SHOW synchronous_standby_names")" ]' || return 1
	ha_log "formation: $HA_BUILT: monitor 127.0.0.1:$HA_MON_PORT, node1 :$HA_PORT_node1 primary, node2 :$HA_PORT_node2 secondary, synchronous_standby_names=$(ha_node_sql node1 "SHOW synchronous_standby_names")"
	ha_log "DATABASE_URL=$HA_URL"
}

step_stack() {
	local want
	export DATABASE_URL=$HA_URL DATABASE_READ_URL=$HA_READ_URL
	stack_start "$TEST_ROOT/run" >>"$TEST_ROOT/stack.out" 2>&1 ||
	    { cat "$TEST_ROOT/stack.out" >&2; fail "stack failed to start"; return 1; }
	want=$(ls "$TOP"/sql/[0-9][0-9][0-9]_*.sql | wc -l)
	assert_eq "$want" "$(ha_node_sql node1 "SELECT count(*) FROM schema_migrations")" "migrations on node1"
	ha_wait 20 "migrations replicated to node2" \
	    eval '[ "$(ha_node_sql node2 "SELECT count(*) FROM schema_migrations" 2>/dev/null)" = "$want" ]'
	ha_log "stack: $INSTLOG_URL"
}

# seed: the timeline of account E, through the webhook and as the auth
# check writes its rows.
seed() {
	local repos='[{"id":1,"name":"app","full_name":"'$L'/app","private":false},{"id":2,"name":"lib","full_name":"'$L'/lib","private":false}]'
	install $E $L $I selected "$repos"
	action installation_repositories installation_repositories.added $E $L $I \
	    '| .repositories_added = [{"id":3,"name":"web","full_name":"'$L'/web","private":false}]'
	auth_row $E $L $I 29310 404 "$L/lib" 1
	action installation installation.suspend $E $L $I
	auth_row $E $L $I 29310 403 "$L/app" 2
	action installation installation.unsuspend $E $L $I
	rename $E $L "$L-new" $I
	auth_row $E "$L-new" $I 29310 404 "$L-new/app" 3
	action installation installation.deleted $E "$L-new" $I
	auth_row $E "$L-new" $I 29310 404 "$L-new/app" 4
	auth_row $E "$L-new" $I 4242 404 "$L-new/web" 5
}

# trace_set DIR: the traces of E as of each of its rows and now, of
# installation I and of the login, into DIR.
trace_set() {
	local n=0 t
	mkdir -p "$1"
	for t in $(sql "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM installation_events WHERE entity_id = $E ORDER BY received_at, id") ""; do
		trace "/trace/entity/$E?limit=5${t:+&at=$t}"
		assert_status 200
		printf '%s' "$BODY" >"$1/entity-$n.json"
		n=$((n + 1))
	done
	trace "/trace/installation/$I"
	assert_status 200
	printf '%s' "$BODY" >"$1/installation.json"
	trace "/trace/entity-by-name/$L-new"
	assert_status 200
	printf '%s' "$BODY" >"$1/by-name.json"
}

# same DIR1 DIR2 WHAT: the same bodies, byte for byte.
same() {
	local f
	for f in "$1"/*.json; do
		cmp -s "$f" "$2/$(basename "$f")" ||
		    fail "$3: $(basename "$f") differs: $(diff <(jq -S . "$f") <(jq -S . "$2/$(basename "$f")") | head -5)"
	done
}

# primary_only_start: a second nginx with its own trace routes and no
# DATABASE_READ_URL (they read from the primary); its URL in PRIMARY_ONLY.
primary_only_start() {
	local dir=$TEST_ROOT/primary-only r
	mkdir -p "$dir"
	chmod 750 "$dir"
	(
		unset DATABASE_READ_URL INSTLOG_SPOOL_DIR
		RUNDIR=$dir
		PORT=$(stack_free_port) || exit 1
		for r in trace_entity trace_entity_by_name trace_installation healthz; do
			stack_route_start "$r" || exit 1
		done
		stack_nginx_start || exit 1
		echo "http://127.0.0.1:$PORT" >"$dir/url"
	) >>"$TEST_ROOT/stack.out" 2>&1 || { cat "$TEST_ROOT/stack.out" >&2; fail "primary-only routes did not start"; return 1; }
	PRIMARY_ONLY=$(cat "$dir/url")
}

primary_only_stop() {
	local f
	for f in "$TEST_ROOT"/primary-only/*.pid; do
		[ -e "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	return 0
}

# trace_conns NODE: the read routes' connections to NODE.
trace_conns() {
	ha_node_sql "$1" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'instlog-trace'"
}

# trace_reconnect: end the read routes' sessions on the primary, as a
# failover ends those on a stopped node: they connect again on their
# next request, to a standby when one answers (prefer-standby).
trace_reconnect() {
	sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'instlog-trace' AND pid <> pg_backend_pid()" >/dev/null
}

ckpts() { sql "SELECT count(*) FROM fold_checkpoints WHERE entity_id = $E"; }

# caught_up NODE: NODE has every row and snapshot of E the primary has.
caught_up() {
	[ "$(ha_node_sql "$1" "SELECT (SELECT count(*) FROM installation_events WHERE entity_id = $E) || '/' || (SELECT count(*) FROM fold_checkpoints WHERE entity_id = $E)" 2>/dev/null)" = \
	    "$(sql "SELECT (SELECT count(*) FROM installation_events WHERE entity_id = $E) || '/' || (SELECT count(*) FROM fold_checkpoints WHERE entity_id = $E)")" ]
}

# The reference traces (the primary-only routes) in $TEST_ROOT/traces/primary.
step_traces_from_the_secondary() {
	local d=$TEST_ROOT/traces sec
	primary_only_start || return 1
	seed
	sec=$(ha_other "$(ha_primary)")
	ha_wait 20 "$sec caught up" caught_up "$sec" || return 1
	# From the secondary, no snapshot to read, none it could write.
	trace_set "$d/secondary-empty"
	[ "$(trace_conns "$sec")" -ge 1 ] || fail "no trace connection on the secondary $sec"
	assert_eq 0 "$(ckpts)" "snapshots after reading from the secondary"
	grep -q 'may not write' "$RUNDIR/trace_entity.log" ||
	    fail "trace_entity did not say it could not store snapshots on the secondary"
	# The primary only: folds and writes the snapshots.
	INSTLOG_URL=$PRIMARY_ONLY trace_set "$d/primary"
	[ "$(ckpts)" -ge 2 ] || fail "the primary wrote $(ckpts) snapshots of $E"
	same "$d/primary" "$d/secondary-empty" "secondary without snapshots vs primary"
	# From the secondary again, now with the snapshots replicated.
	ha_wait 20 "$sec caught up with the snapshots" caught_up "$sec" || return 1
	trace_set "$d/secondary-ckpt"
	same "$d/primary" "$d/secondary-ckpt" "secondary with snapshots vs primary"
	ha_log "traces: $(ls "$d/primary" | wc -l) bodies, $(ckpts) snapshots, the same from the secondary $sec with and without them"
}

# After a failover: the new secondary answers as the primary did before,
# and so does the new primary.
traces_after() {
	local d=$TEST_ROOT/traces sec
	sec=$(ha_other "$(ha_primary)")
	ha_wait 30 "$sec caught up" caught_up "$sec" || return 1
	# Sessions opened on the secondary of before stay on it.
	ha_log "$1: read routes' sessions on the primary $(ha_primary) before they reconnect: $(trace_conns "$(ha_primary)")"
	trace_reconnect
	trace_set "$d/after-$1"
	[ "$(trace_conns "$sec")" -ge 1 ] || fail "no trace connection on the secondary $sec"
	same "$d/primary" "$d/after-$1" "after the $1 failover, from the secondary $sec"
	INSTLOG_URL=$PRIMARY_ONLY trace_set "$d/after-$1-primary"
	same "$d/primary" "$d/after-$1-primary" "after the $1 failover, from the primary"
}

# fake_start NAME [fake_github args...]: a fake GitHub for both apps
# (tests/support/fake_github.c), serving $TEST_TMP/deliveries.json; its URL
# in FAKE_URL_<NAME>.
fake_start() {
	local name=$1 port
	shift
	app_keys "$TEST_TMP/keys" || { fail "no keys"; return 1; }
	: >"$TEST_TMP/fake-$name.out"
	[ -f "$TEST_TMP/deliveries.json" ] || echo '[]' >"$TEST_TMP/deliveries.json"
	"$TOP/build/tests/fake_github" --port 0 --log "$TEST_TMP/fake-$name.log" \
	    --deliveries "$TEST_TMP/deliveries.json" \
	    --app "$ORG_APP:$TEST_TMP/keys/org.pub" \
	    --app "$USER_APP:$TEST_TMP/keys/user.pub" "$@" \
	    >"$TEST_TMP/fake-$name.out" 2>&1 &
	HA_KILL="${HA_KILL:-} $!"
	port=$(listening_port "$TEST_TMP/fake-$name.out" fake_github) ||
	    { fail "fake_github did not start: $(cat "$TEST_TMP/fake-$name.out")"; return 1; }
	eval "FAKE_URL_$name=http://127.0.0.1:$port"
}

# cron NAME GITHUB_URL [args...]: run cron program NAME with both apps
# configured, at most 60 s; sets RC, OUT, ERR.
cron() {
	local name=$1 url=$2 t
	shift 2
	t=$(ha_now_ms)
	env GITHUB_APP_ORG_ID=$ORG_APP GITHUB_APP_ORG_PRIVATE_KEY_FILE="$TEST_TMP/keys/org.pem" \
	    GITHUB_APP_USER_ID=$USER_APP GITHUB_APP_USER_PRIVATE_KEY_FILE="$TEST_TMP/keys/user.pem" \
	    GITHUB_API_URL="$url" timeout 60 "$STACK_BIN/$name" "$@" \
	    >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err"
	RC=$?
	OUT=$(cat "$TEST_TMP/$name.out")
	ERR=$(cat "$TEST_TMP/$name.err")
	CRON_RUNS="${CRON_RUNS:-}${CRON_RUNS:+, }$name exit $RC in $(($(ha_now_ms) - t)) ms"
	return "$RC"
}

# inflight_start: an auth check whose GitHub answers after 3 s, once its
# operation is written (running); INFLIGHT_PID, INFLIGHT_OP.
inflight_start() {
	local floor n=$((${INFLIGHT_N:-0} + 1))
	INFLIGHT_N=$n
	INFLIGHT_PID=
	# A pending job on an installation never checked: the run has one
	# GitHub call to make.
	deliver workflow_job "$(fixture_edit workflow_job.queued ".workflow_job.id = $((881000 + n)) | .installation.id = $((661000 + n))")"
	assert_json .outcome job_stored || return 1
	floor=$(sql "SELECT coalesce(max(id), 0) FROM operations")
	[ -n "${FAKE_URL_slow:-}" ] || fake_start slow --latency-ms 3000 || return 1
	cron auth_check "$FAKE_URL_slow" &
	INFLIGHT_PID=$!
	HA_KILL="${HA_KILL:-} $INFLIGHT_PID"
	INFLIGHT_OP=
	ha_wait 20 "auth_check's running operation" \
	    eval 'INFLIGHT_OP=$(sql "SELECT id FROM operations WHERE type = '"'auth_check'"' AND status = '"'running'"' AND id > '"$floor"' ORDER BY id DESC LIMIT 1" 2>/dev/null); [ -n "$INFLIGHT_OP" ]'
}

# inflight_end SWITCH_MS: the in-flight run has ended within 45 s of the
# switch (else it hangs: killed, and a failure); INFLIGHT says how.
inflight_end() {
	local until=$(($1 + 45000)) rc
	if [ -z "${INFLIGHT_PID:-}" ]; then
		INFLIGHT="auth_check_in_flight=not_started"
		return
	fi
	while kill -0 "$INFLIGHT_PID" 2>/dev/null && [ "$(ha_now_ms)" -lt "$until" ]; do
		sleep 0.2
	done
	if kill -0 "$INFLIGHT_PID" 2>/dev/null; then
		fail "auth_check started before the switch still runs 45 s after it"
		kill "$INFLIGHT_PID"
	fi
	wait "$INFLIGHT_PID"
	rc=$?
	cp "$TEST_TMP/auth_check.err" "$TEST_TMP/inflight-$INFLIGHT_N.err"
	cp "$TEST_TMP/auth_check.out" "$TEST_TMP/inflight-$INFLIGHT_N.out"
	INFLIGHT="auth_check_in_flight=exit_${rc}_after_$(ha_secs $(($(ha_now_ms) - $1)))s"
}

# failover planned|unplanned: the sender, the switch, the numbers.
failover() {
	local kind=$1 dir=$TEST_TMP/send-$1 prefix=ha-$1-$RANDOM$RANDOM
	local old new sender t_switch t_writable t_back="" stored dups ok spooled other
	local gap slowest line sent back perform on_secondary
	old=$(ha_primary) || { fail "no primary before the $kind failover: $(ha_states | tr '\n' ';')"; return 1; }
	new=$(ha_other "$old")
	ha_is_secondary "$new" || { fail "$new is not a secondary: $(ha_states | tr '\n' ';')"; return 1; }
	ha_probe_start "$TEST_TMP/probe-$kind"
	ha_send 2400 20 "$prefix" "$dir" &
	sender=$!
	HA_KILL="${HA_KILL:-} $sender"
	ha_wait 30 "40 deliveries sent" ha_sent_at_least "$dir" 40
	inflight_start
	t_switch=$(ha_now_ms)
	if [ "$kind" = planned ]; then
		# It returns once the old primary is a secondary again: the
		# switch is timed by the probe, meanwhile.
		timeout 90 "${HA_AC[@]}" perform failover --monitor "$HA_MONITOR_URI" \
		    --formation default --group 0 --wait 60 >"$TEST_TMP/perform-failover.log" 2>&1 &
		perform=$!
	else
		ha_service_stop "$old" --immediate
		ha_service_alive "$old" && fail "$old still runs"
		ha_writable "$old" && fail "$old still takes writes"
	fi
	ha_wait 90 "$new promoted" ha_is_primary "$new"
	t_writable=$(ha_now_ms)
	inflight_end "$t_switch"
	# Two more seconds of deliveries on the new primary, then stop.
	sent=$(ha_sent "$dir")
	ha_wait 30 "40 more deliveries sent" ha_sent_at_least "$dir" $((sent + 40))
	touch "$dir.stop"
	wait "$sender"
	ha_probe_stop "$TEST_TMP/probe-$kind"
	# The old primary as the new secondary: by itself after a planned
	# failover; after an unplanned one once it is started again.
	if [ "$kind" = planned ]; then
		wait "$perform" ||
		    fail "pg_autoctl perform failover: $(tail -5 "$TEST_TMP/perform-failover.log")"
	else
		ha_service "$old"
	fi
	ha_wait 90 "$old back as the secondary" ha_is_secondary "$old" &&
	    t_back=$(ha_now_ms)
	spool_drain 90
	sent=$(ha_sent "$dir")
	ok=$(statuses "$dir" | awk '$1 == 200 {print $2}')
	spooled=$(statuses "$dir" | awk '$1 == 202 {print $2}')
	other=$(statuses "$dir" | awk '$1 != 200 && $1 != 202 {printf "%s%s x%s", sep, $1, $2; sep=", "}')
	slowest=$(slowest "$dir")
	read -r stored dups <<<"$(ha_rows "$new" "$prefix")"
	# Synchronous: the new secondary has them too.
	ha_wait 30 "every delivery on the new secondary $old" \
	    eval '[ "$(ha_rows "$old" "$prefix" 2>/dev/null)" = "$stored $dups" ]'
	read -r on_secondary _ <<<"$(ha_rows "$old" "$prefix" 2>/dev/null)"
	gap=$(ha_probe_gap "$TEST_TMP/probe-$kind")
	back=never
	[ -n "$t_back" ] && back="$(ha_secs $((t_back - t_switch)))s"
	line="$kind failover: $old -> $new sent=$sent acknowledged=$((${ok:-0} + ${spooled:-0})) (200: ${ok:-0}, 202 spooled: ${spooled:-0}) other=${other:-none} stored_on_new_primary=$stored on_new_secondary=${on_secondary:-?} duplicates=$dups lost=$((sent - ${stored:-0})) no_writable_primary=$(ha_secs "$gap")s writable_after=$(ha_secs $((t_writable - t_switch)))s slowest_answer=${slowest}s old_primary_secondary_after=$back $INFLIGHT"
	record "ha-$kind" "$line"
	ha_log "$kind: the auth check in flight said: $(cat "$TEST_TMP/inflight-$INFLIGHT_N.out" "$TEST_TMP/inflight-$INFLIGHT_N.err" 2>/dev/null | tr '\n' ' ' | cut -c1-400)"
	assert_eq "" "$other" "answers other than 200/202"
	assert_eq "$sent" "$stored" "deliveries on the new primary $new"
	assert_eq 0 "$dups" "deliveries logged twice"
	[ "${spooled:-0}" -gt 0 ] || fail "nothing was spooled: was there no time without a primary?"
	awk -v s="$slowest" 'BEGIN {exit !(s < 8)}' || fail "slowest answer ${slowest}s: nginx gives up at 8 s"
	assert_eq 0 "$(spool_count)" "spool left"
	assert_eq t "$(ha_node_sql "$new" "SELECT NOT pg_is_in_recovery()")" "$new is the primary"
}

step_planned_failover() {
	failover planned
	traces_after planned
}

step_unplanned_failover() {
	failover unplanned
	traces_after unplanned
}

# The cron programs after the switches, on the new primary; the next
# auth check leaves no run of before the switch "running".
step_cron_after_the_switch() {
	local since key left
	since=$(sql "SELECT now()")
	CRON_RUNS=
	fake_start fast || return 1
	key=$(openssl rand -hex 8)
	# One delivery GitHub has and we never stored: redeliver asks for it.
	jq -nc --arg guid "ha-missed-$key" --arg at "$(date -u -d '-5 min' +%Y-%m-%dT%H:%M:%SZ)" \
	    '[{id: 990001, guid: $guid, delivered_at: $at, redelivery: false, duration: 0.3,
	       status: "Invalid HTTP Response: 502", status_code: 502, event: "issues",
	       action: "opened", installation_id: 123, repository_id: 456, app_id: 101}]' \
	    >"$TEST_TMP/deliveries.json"
	cron auth_check "$FAKE_URL_fast"
	assert_eq 0 "$RC" "auth_check exit status ($OUT $ERR)"
	cron redeliver "$FAKE_URL_fast"
	assert_eq 0 "$RC" "redeliver exit status ($OUT $ERR)"
	[[ "$OUT" == *" requested=1 "* ]] || fail "redeliver: $OUT"
	# notify with a sink (a fake receiver checking the signature).
	echo "ha-notify-$key" >"$TEST_TMP/notify_secret"
	: >"$TEST_TMP/recv.out"
	"$TOP/build/tests/fake_receiver" --port 0 --log "$TEST_TMP/recv.log" \
	    --secret-file "$TEST_TMP/notify_secret" >"$TEST_TMP/recv.out" 2>&1 &
	HA_KILL="${HA_KILL:-} $!"
	local port
	port=$(listening_port "$TEST_TMP/recv.out" fake_receiver) || fail "fake_receiver did not start"
	INSTLOG_NOTIFY_URL=http://127.0.0.1:$port/events INSTLOG_NOTIFY_SECRET_FILE=$TEST_TMP/notify_secret \
	    cron notify "$FAKE_URL_fast"
	assert_eq 0 "$RC" "notify exit status ($OUT $ERR)"
	cron maintenance "$FAKE_URL_fast"
	assert_eq 0 "$RC" "maintenance exit status ($OUT $ERR)"
	cron spool_replay "$FAKE_URL_fast" -1
	assert_eq 0 "$RC" "spool_replay -1 exit status ($OUT $ERR)"
	ha_log "cron after the switch: $CRON_RUNS"
	ha_log "their operations: $(sql "SELECT string_agg(type || '=' || status, ' ' ORDER BY id) FROM operations WHERE started_at >= '$since' AND type IN ('auth_check', 'redeliver', 'notify', 'maintenance')")"
	assert_eq "auth_check=completed maintenance=completed notify=completed redeliver=completed" \
	    "$(sql "SELECT string_agg(type || '=' || status, ' ' ORDER BY type) FROM (SELECT DISTINCT ON (type) type, status FROM operations WHERE started_at >= '$since' AND type IN ('auth_check', 'redeliver', 'notify', 'maintenance') ORDER BY type, id DESC) t")" \
	    "operations of the cron runs"
	left=$(sql "SELECT count(*) FROM operations WHERE status = 'running'")
	assert_eq 0 "$left" "operations left running"
	ha_log "runs in flight during the switches: $(sql "SELECT string_agg(id || ' ' || status || coalesce(' (' || error || ')', ''), ', ' ORDER BY id) FROM operations WHERE type = 'auth_check' AND started_at < '$since'")"
	[ "$(sql "SELECT count(*) FROM operations WHERE type = 'auth_check' AND started_at < '$since' AND status NOT IN ('failed', 'completed')")" = 0 ] ||
	    fail "an auth check of before the switch did not end"
	kill -0 "$STACK_PID_spool_replay" 2>/dev/null || fail "the stack's spool_replay loop died"
	assert_eq "" "$(sql "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE state = 'active' AND wait_event_type = 'IPC' AND wait_event = 'SyncRep'")" \
	    "sessions waiting for the synchronous standby"
}

# --- the runner -----------------------------------------------------------

passed=0
failed=0
broken=""
step() {
	local name=$1 t rc
	if [ -n "$broken" ]; then
		echo "not ok - $name (not run: $broken failed)"
		failed=$((failed + 1))
		return
	fi
	rm -f "$TEST_TMP/failed"
	t=$(ha_now_ms)
	"$name"
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -e "$TEST_TMP/failed" ]; then
		passed=$((passed + 1))
		echo "ok - $name ($(ha_secs $(($(ha_now_ms) - t))) s)"
	else
		failed=$((failed + 1))
		echo "not ok - $name ($(ha_secs $(($(ha_now_ms) - t))) s)"
		[ -n "${2:-}" ] && broken=$name
	fi
}

step step_formation fatal
step step_stack fatal
step step_traces_from_the_secondary
step step_planned_failover
step step_unplanned_failover
step step_cron_after_the_switch
if [ "$failed" -gt 0 ] && [ -n "${HA_PG:-}" ]; then
	echo "ha: monitor's view: $(ha_states 2>/dev/null | tr '\n' ';')"
	echo "ha: logs in $TEST_ROOT (kept: KEEP=1 to keep them)"
fi
echo "ha: $(ha_secs $(($(ha_now_ms) - T0))) s"
echo
echo "ha: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
