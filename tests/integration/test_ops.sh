#!/bin/bash
# SPDX-License-Identifier: MIT
# Operations: install into a prefix and run from there, restart one route
# alone, /healthz, and trace routes served from a streaming replica.

# start_nginx_for DIR PORT: an nginx whose server includes DIR/instlog.conf.
start_nginx_for() {
	local dir=$1 port=$2 userline=""
	[ "$(id -u)" = 0 ] && userline="user root;"
	mkdir -p "$dir/nginx-tmp"
	sed -e "s|@RUNDIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@USERLINE@|$userline|" \
	    -e "s|@ACCESSLOG@|off|" "$STACK_TOP/nginx/nginx.conf.in" >"$dir/nginx.conf"
	nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" -g 'daemon off;' &
	echo $! >"$dir/nginx.pid.test"
	for _ in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
		sleep 0.05
	done
	fail "nginx on $port did not start"
}

stop_pids_in() {
	local f
	for f in "$1"/*.pid.test; do
		[ -e "$f" ] || continue
		kill -TERM "$(cat "$f")" 2>/dev/null
		wait "$(cat "$f")" 2>/dev/null
	done
	return 0
}

# start_route_in DIR BIN NAME: BIN serving DIR/NAME.sock.
start_route_in() {
	"$2" -s "$1/$3.sock" -w 1 2>>"$1/$3.log" &
	echo $! >"$1/$3.pid.test"
	for _ in $(seq 1 100); do
		[ -S "$1/$3.sock" ] && return 0
		sleep 0.05
	done
	fail "$3 did not start"
}

test_install_into_prefix_and_run_from_there() {
	local prefix=$TEST_TMP/prefix run=$TEST_TMP/prun port db
	make -s -C "$STACK_TOP" install PREFIX="$prefix" RUNDIR="$run" >/dev/null || fail "make install"
	for b in webhook trace_entity trace_installation trace_job trace_payload healthz; do
		[ -x "$prefix/bin/$b" ] || fail "missing $prefix/bin/$b"
	done
	[ -x "$prefix/share/instlog/sql/migrate" ] || fail "missing migrate"
	grep -q "unix:$run/trace_entity.sock" "$prefix/share/instlog/nginx/instlog.conf" || fail "nginx snippet RUNDIR"
	grep -q "alias $prefix/share/instlog/ui/;" "$prefix/share/instlog/nginx/instlog.conf" || fail "nginx snippet ui folder"
	grep -q "ExecStart=$prefix/bin/%i" "$prefix/lib/systemd/system/instlog@.service" || fail "unit BINDIR"
	grep -qx "ExecStart=$prefix/bin/webhook -w 2 -t 16" "$prefix/lib/systemd/system/instlog@webhook.service.d/threads.conf" || fail "webhook drop-in BINDIR"
	# The stream binaries: one worker each, whatever the template's -w.
	for b in trace_stream operations_stream; do
		[ -x "$prefix/bin/$b" ] || fail "missing $prefix/bin/$b"
		grep -qx "ExecStart=" "$prefix/lib/systemd/system/instlog@$b.service.d/streams.conf" || fail "$b drop-in resets ExecStart"
		grep -qx "ExecStart=$prefix/bin/$b -w 1" "$prefix/lib/systemd/system/instlog@$b.service.d/streams.conf" || fail "$b drop-in: one worker"
	done
	grep -q "ListenStream=$run/%i.sock" "$prefix/lib/systemd/system/instlog@.socket" || fail "socket RUNDIR"
	grep -q "$prefix/bin/auth_check" "$prefix/share/instlog/cron/instlog" || fail "cron.d file without a dot, BINDIR filled in"
	ls "$prefix/share/instlog/cron" | grep -v "instlog.env.example" | grep -q "\\." && fail "a cron.d file name has a dot"
	# A database of its own, migrated by the installed command.
	sql "CREATE DATABASE instlog_prefix" >/dev/null
	db=${DATABASE_URL%/instlog}/instlog_prefix
	"$prefix/share/instlog/sql/migrate" "$db" >/dev/null || fail "installed migrate"
	assert_eq "$(ls "$prefix"/share/instlog/sql/*.sql | wc -l)" "$(psql "$db" -XAt -c "SELECT count(*) FROM schema_migrations")" "migrations recorded"
	# Run again: nothing left to apply.
	"$prefix/share/instlog/sql/migrate" "$db" | grep -q "0 applied" || fail "migrate not idempotent"
	mkdir -p "$run"
	cp "$prefix/share/instlog/nginx/instlog.conf" "$prefix/share/instlog/nginx/fastcgi.conf" "$run/"
	(
		export DATABASE_URL=$db
		start_route_in "$run" "$prefix/bin/webhook" webhook
		start_route_in "$run" "$prefix/bin/trace_payload" trace_payload
	)
	port=$(stack_free_port)
	start_nginx_for "$run" "$port"
	INSTLOG_URL=http://127.0.0.1:$port deliver ping "$(fixture ping)" prefix-1
	assert_status 200
	INSTLOG_URL=http://127.0.0.1:$port http GET "/trace/payload/$(printf '%s' "$BODY" | jq -r .id)" \
	    -H "Authorization: Bearer $TRACE_API_SECRET"
	assert_status 200
	assert_json .event ping
	assert_eq 1 "$(psql "$db" -XAt -c "SELECT count(*) FROM installation_events WHERE delivery_id = 'prefix-1'")" "row in the prefix database"
	# The operator page, from the installed folder.
	INSTLOG_URL=http://127.0.0.1:$port http GET /ui/
	assert_status 200
	cmp -s <(printf '%s' "$BODY") "$STACK_TOP/ui/index.html" || fail "installed /ui/ differs from ui/index.html"
	printf '%s' "$HEADERS" | grep -qi '^Content-Type: text/html' || fail "/ui/ content type"
	printf '%s' "$HEADERS" | grep -qi "^Content-Security-Policy: default-src 'none'" || fail "/ui/ CSP"
	stop_pids_in "$run"
	sql "DROP DATABASE instlog_prefix WITH (FORCE)" >/dev/null
}

test_restart_webhook_alone_while_traces_answer() {
	local codes=$TEST_TMP/trace-codes loop
	deliver installation "$(fixture installation.created)" restart-0
	assert_status 200
	( while :; do
		curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TRACE_API_SECRET" \
		    "$INSTLOG_URL/trace/entity/21031067?limit=1" >>"$codes"
		sleep 0.02
	  done ) &
	loop=$!
	sleep 0.3
	stack_route_stop webhook
	deliver ping "$(fixture ping)" restart-down
	assert_status 502
	stack_route_start webhook
	deliver ping "$(fixture ping)" restart-1
	assert_status 200
	sleep 0.3
	kill "$loop"; wait "$loop" 2>/dev/null
	[ "$(wc -l <"$codes")" -ge 10 ] || fail "too few trace requests: $(wc -l <"$codes")"
	assert_eq "200" "$(sort -u "$codes" | tr '\n' ' ' | xargs)" "trace statuses during the restart"
	assert_eq 1 "$(rows_for restart-1)" "webhook serves again"
}

test_healthz() {
	http GET /healthz
	assert_status 200
	assert_json .status ok
	assert_json .database ok
	assert_json .spool.configured true
	assert_json .spool.writable true
	printf '%s' "$BODY" | grep -q "$DATABASE_URL" && fail "healthz leaks the database URL"
	http POST /healthz --data-binary x
	assert_status 405
}

test_traces_served_from_streaming_replica() {
	local rdir=$TEST_TMP/replica rport run=$TEST_TMP/rrun port E=5201 url
	rport=$(stack_free_port)
	mkdir -p "$rdir"; chmod 755 "$rdir"
	[ "$(id -u)" = 0 ] && chown postgres: "$rdir"
	stack_as_pg "$PG_BINDIR/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U instlog \
	    -D "$rdir/pg" -R -X stream >/dev/null 2>&1 || { fail "pg_basebackup"; return; }
	stack_as_pg "$PG_BINDIR/pg_ctl" -D "$rdir/pg" -w -l "$rdir/pg/server.log" \
	    -o "-p $rport -c listen_addresses=127.0.0.1 -k $rdir/pg -c max_connections=200" start >/dev/null || { fail "replica start"; return; }
	assert_eq t "$(psql "postgresql://instlog@127.0.0.1:$rport/instlog" -XAt -c 'SELECT pg_is_in_recovery()')" "is a standby"
	# Written through the primary...
	deliver installation "$(fixture_edit installation.created ".installation.account.id = $E")" replica-1
	assert_status 200
	for _ in $(seq 1 100); do
		[ "$(psql "postgresql://instlog@127.0.0.1:$rport/instlog" -XAt -c "SELECT count(*) FROM installation_events WHERE delivery_id = 'replica-1'")" = 1 ] && break
		sleep 0.1
	done
	# ...read through a trace binary whose DATABASE_READ_URL lists the
	# primary first and asks libpq to prefer the standby.
	mkdir -p "$run"
	sed "s|@RUNDIR@|$run|g" "$STACK_TOP/nginx/instlog.conf" >"$run/instlog.conf"
	cp "$STACK_TOP/nginx/fastcgi.conf" "$run/"
	url="postgresql://instlog@127.0.0.1:$PG_PORT,127.0.0.1:$rport/instlog?target_session_attrs=prefer-standby"
	( export DATABASE_READ_URL=$url; start_route_in "$run" "$STACK_BIN/trace_entity" trace_entity )
	port=$(stack_free_port)
	start_nginx_for "$run" "$port"
	INSTLOG_URL=http://127.0.0.1:$port http GET "/trace/entity/$E" -H "Authorization: Bearer $TRACE_API_SECRET"
	assert_status 200
	assert_json '.events[0].delivery_id' replica-1
	assert_eq t "$(psql "postgresql://instlog@127.0.0.1:$rport/instlog" -XAt -c "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'instlog-trace'")" "the trace binary is connected to the replica"
	stop_pids_in "$run"
	stack_as_pg "$PG_BINDIR/pg_ctl" -D "$rdir/pg" -m fast -w stop >/dev/null
}

test_partition_routing() {
	local part
	# A live delivery lands in this month's partition.
	deliver installation "$(fixture installation.created)" part-now
	assert_status 200
	part=$(sql "SELECT tableoid::regclass FROM installation_events WHERE delivery_id = 'part-now'")
	assert_eq "installation_events_$(date -u +%Y_%m)" "$part" "current month partition"
	# Months ahead exist already, and creating them again is a no-op.
	assert_eq t "$(sql "SELECT to_regclass('installation_events_$(date -u -d "$(date -u +%Y-%m-15) +2 month" +%Y_%m)') IS NOT NULL")" "partition two months ahead"
	assert_eq 0 "$(sql 'SELECT instlog_ensure_partitions(3)')" "idempotent"
	assert_eq 1 "$(sql 'SELECT instlog_ensure_partitions(4)')" "one more month ahead"
	# A row far in the past (an old spooled delivery) goes to DEFAULT and
	# still shows in its entity's trace.
	sql "INSERT INTO installation_events (received_at, source, event, outcome, entity_id, entity_type, entity_name, installation_id, delivery_id, payload)
	     VALUES ('2019-05-01T00:00:00Z', 'webhook', 'installation.created', 'ok', 5301, 'User', 'old', 6301, 'part-old', '{}')" >/dev/null
	assert_eq installation_events_default "$(sql "SELECT tableoid::regclass FROM installation_events WHERE delivery_id = 'part-old'")" "default partition"
	http GET /trace/entity/5301 -H "Authorization: Bearer $TRACE_API_SECRET"
	assert_status 200
	assert_json '.events[0].delivery_id' part-old
	# Trace queries on one entity touch its index ranges only: every key
	# starts with the entity.
	assert_eq t "$(sql "SELECT bool_and(indexdef LIKE '%entity_id%' OR indexdef LIKE '%shard_key%' OR indexname = 'installation_events_id_idx') FROM pg_indexes WHERE tablename = 'installation_events'")" "entity in every key"
	# The log stays append-only through the partitions.
	sql "UPDATE installation_events SET outcome = 'x' WHERE delivery_id = 'part-now'" >/dev/null 2>&1 && fail "UPDATE allowed"
	sql "DELETE FROM installation_events WHERE delivery_id = 'part-old'" >/dev/null 2>&1 && fail "DELETE allowed"
	assert_eq 1 "$(rows_for part-old)" "row kept"
}

test_webhook_runs_as_plain_cgi() {
	local f out
	f=$(fixture ping)
	out=$(GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST DOCUMENT_URI=/webhook \
	    CONTENT_LENGTH=$(wc -c <"$f") HTTP_X_GITHUB_EVENT=ping HTTP_X_GITHUB_DELIVERY=cgi-1 \
	    HTTP_X_HUB_SIGNATURE_256="sha256=$(sign "$f")" "$STACK_BIN/webhook" <"$f")
	printf '%s' "$out" | head -1 | grep -q '^Status: 200' || fail "CGI status: $out"
	assert_eq 1 "$(rows_for cgi-1)" "row from the CGI run"
}

# Each binary reads only the secrets it uses: a trace route starts with no
# webhook secret and an unreadable GITHUB_WEBHOOK_SECRET_FILE and app key
# settings, and the webhook with an unreadable TRACE_API_SECRET_FILE
# (each would fail at start if it read them).
test_binaries_load_only_their_secrets() {
	local run=$TEST_TMP/secrets
	mkdir -p "$run"
	( unset GITHUB_WEBHOOK_SECRET GITHUB_WEBHOOK_SECRET_PREVIOUS
	  export GITHUB_WEBHOOK_SECRET_FILE=/nonexistent/hook GITHUB_APP_ORG_ID=x
	  start_route_in "$run" "$STACK_BIN/trace_entity" trace_entity )
	kill -0 "$(cat "$run/trace_entity.pid.test")" 2>/dev/null || fail "trace_entity did not start: $(cat "$run/trace_entity.log")"
	( unset TRACE_API_SECRET
	  export TRACE_API_SECRET_FILE=/nonexistent/trace GITHUB_APP_USER_ID=x
	  start_route_in "$run" "$STACK_BIN/webhook" webhook )
	kill -0 "$(cat "$run/webhook.pid.test")" 2>/dev/null || fail "webhook did not start: $(cat "$run/webhook.log")"
	stop_pids_in "$run"
	# The webhook still refuses to start without its own secret.
	( unset GITHUB_WEBHOOK_SECRET GITHUB_WEBHOOK_SECRET_PREVIOUS
	  "$STACK_BIN/webhook" -s "$run/w2.sock" -w 1 ) 2>"$run/w2.log" && fail "webhook started without its secret"
	grep -q GITHUB_WEBHOOK_SECRET "$run/w2.log" || fail "no clear error: $(cat "$run/w2.log")"
}

# /webhook is rate limited per client address (100/s, bursts of 1000, then
# 429): a flood from one address is cut, a delivery at a normal rate from
# another passes, and 127.0.0.1 (the tests' and benchmarks' own load) is
# not limited.
test_webhook_flood_gets_429() {
	local cfg=$TEST_TMP/flood.cfg codes=$TEST_TMP/flood.codes f i
	f=$(fixture ping)
	for i in $(seq 1 2500); do
		printf 'url = "%s/webhook"\noutput = "/dev/null"\n' "$INSTLOG_URL"
	done >"$cfg"
	curl -s --parallel --parallel-max 64 --interface 127.0.0.2 -X POST \
	    -H 'X-GitHub-Event: ping' -H 'X-Hub-Signature-256: sha256=00' \
	    --data-binary x -w '%{http_code}\n' -K "$cfg" >"$codes"
	assert_eq 2500 "$(wc -l <"$codes")" "answers"
	[ "$(grep -c '^429$' "$codes")" -gt 0 ] || fail "no 429 in a flood: $(sort "$codes" | uniq -c | xargs)"
	[ "$(grep -c '^401$' "$codes")" -ge 1000 ] || fail "the burst was not let through: $(sort "$codes" | uniq -c | xargs)"
	assert_eq "" "$(grep -v '^401$\|^429$' "$codes" | sort -u | xargs)" "other answers"
	# Another address at a normal rate: every delivery stored.
	for i in 1 2 3 4 5; do
		deliver ping "$f" "flood-normal-$i" --interface 127.0.0.3
		assert_status 200
		sleep 0.1
	done
	# Loopback itself is never limited.
	deliver ping "$f" flood-local
	assert_status 200
}

# nginx/github-hooks.sh turns GET /meta's "hooks" ranges into allow lines
# and a final deny; a list with anything but CIDR ranges is refused and
# the old file stays.
test_github_hooks_include() {
	local meta=$TEST_TMP/meta.json out=$TEST_TMP/hooks.conf
	# The shape of https://api.github.com/meta (the ranges of GitHub's docs).
	printf '{"verifiable_password_authentication":false,"hooks":["192.30.252.0/22","185.199.108.0/22","140.82.112.0/20","143.55.64.0/20","2a0a:a440::/29","2606:50c0::/32"],"web":["192.30.252.0/22"]}' >"$meta"
	GITHUB_META_URL=file://$meta GITHUB_HOOKS_NO_RELOAD=1 "$TOP/nginx/github-hooks.sh" "$out" || fail "script failed"
	assert_eq "allow 192.30.252.0/22;
allow 185.199.108.0/22;
allow 140.82.112.0/20;
allow 143.55.64.0/20;
allow 2a0a:a440::/29;
allow 2606:50c0::/32;
deny all;" "$(grep -v '^#' "$out")" "include"
	printf '{"hooks":["192.30.252.0/22; allow all"]}' >"$meta"
	GITHUB_META_URL=file://$meta GITHUB_HOOKS_NO_RELOAD=1 "$TOP/nginx/github-hooks.sh" "$out" 2>/dev/null && fail "injection accepted"
	printf '{"hooks":[]}' >"$meta"
	GITHUB_META_URL=file://$meta GITHUB_HOOKS_NO_RELOAD=1 "$TOP/nginx/github-hooks.sh" "$out" 2>/dev/null && fail "empty list accepted"
	grep -q '^allow 192.30.252.0/22;$' "$out" || fail "old file not kept"
}
