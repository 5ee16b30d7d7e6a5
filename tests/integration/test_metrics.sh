#!/bin/bash
# SPDX-License-Identifier: MIT
# GET /metrics: a page promtool accepts, delivery and signature counters
# that add up exactly across the webhook's workers, the spool and database
# gauges through a real outage, and nginx refusing every address but
# loopback.

metrics_pg_up() {
	stack_as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1
}

# scrape: GET /metrics (200, Prometheus text) into $TEST_TMP/metrics.
scrape() {
	http GET /metrics
	assert_status 200
	case "$HEADERS" in
	*'Content-Type: text/plain; version=0.0.4'*) ;;
	*) fail "content type: $(grep -i '^content-type' <<<"$HEADERS")" ;;
	esac
	printf '%s\n' "$BODY" >"$TEST_TMP/metrics"
}

# metric SERIES: the value of exactly that series in the last scrape, 0
# when it is absent (a counter not incremented yet).
metric() {
	awk -v s="$1" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }' \
	    "$TEST_TMP/metrics"
}

# delivered EVENT OUTCOME: instlog_deliveries_total of that pair.
delivered() {
	metric "instlog_deliveries_total{event=\"$1\",outcome=\"$2\"}"
}

# ops_count TYPE STATUS: instlog_operations of that pair.
ops_count() {
	metric "instlog_operations{type=\"$1\",status=\"$2\"}"
}

# has_family NAME: the last scrape has its HELP and TYPE lines.
has_family() {
	grep -q "^# TYPE $1 " "$TEST_TMP/metrics" ||
	    fail "no family $1 in: $(cat "$TEST_TMP/metrics")"
}

# What promtool does not check: each family once and contiguous, each
# series once, every sample under its family's TYPE line.
families_contiguous() {
	awk '
	/^# TYPE / { if (seen[$3]++) { print "family twice: " $3; bad = 1 }
		cur = $3; next }
	/^#/ || /^$/ { next }
	{ n = $1; sub(/\{.*/, "", n)
	  if (n != cur) { print "sample outside its family: " $0; bad = 1 }
	  if (dup[$1]++) { print "series twice: " $1; bad = 1 } }
	END { exit bad }' "$TEST_TMP/metrics"
}

test_metrics_page_passes_promtool() {
	local out f
	deliver ping "$(fixture ping)"
	assert_status 200
	GITHUB_WEBHOOK_SECRET=wrong deliver ping "$(fixture ping)"
	assert_status 401
	scrape
	out=$(promtool check metrics <"$TEST_TMP/metrics" 2>&1) ||
	    fail "promtool check metrics: $out"
	assert_eq "" "$out" "promtool's complaints"
	out=$(families_contiguous) || fail "$out"
	for f in instlog_counters_up instlog_deliveries_total \
	    instlog_signature_failures_total instlog_notifications_total \
	    instlog_spool_files instlog_spool_scan_complete \
	    instlog_spool_oldest_seconds instlog_database_up \
	    instlog_last_run_timestamp_seconds instlog_operations \
	    instlog_failing_installations \
	    instlog_failing_installations_complete; do
		has_family "$f"
	done
	assert_eq 1 "$(metric instlog_counters_up)" "instlog_counters_up"
	assert_eq 1 "$(metric instlog_database_up)" "instlog_database_up"
	assert_eq 1 "$(metric instlog_spool_scan_complete)" "spool scan"
	http POST /metrics
	assert_status 405
}

# N signed deliveries sent 8 at a time (3 under valgrind) raise the (event, outcome) counter
# by exactly N, although several webhook workers served them.  The
# webhook runs 2 single-threaded workers for this test and the deliveries
# go straight to its socket, one connection each, so that both workers
# take turns in accept() (through nginx, kept connections would pin the
# threads that took them first).
test_metrics_deliveries_add_up_across_workers() {
	local n=48 par=8 before after spooled0 ok codes t0 workers i f
	f=$(fixture installation.created)
	stack_route_stop webhook
	STACK_WORKERS_webhook=2 STACK_THREADS_webhook=1 stack_route_start webhook ||
	    fail "webhook with 2 workers did not start"
	trap 'trap - RETURN; stack_route_stop webhook; stack_route_start webhook' RETURN
	[ -n "${STACK_WRAPPER:-}" ] && par=3
	scrape
	before=$(delivered installation ok)
	spooled0=$(delivered installation spooled)
	t0=$(sql "SELECT clock_timestamp()")
	for i in $(seq 1 "$n"); do
		echo "$i"
	done | FCGI_POST_EVENT=installation xargs -P "$par" -I{} python3 \
	    "$TOP/tests/support/fcgi_post.py" "$RUNDIR/webhook.sock" 0 "$f" \
	    "sha256=$(sign "$f")" "metrics-{}-$RANDOM$RANDOM" 30 \
	    >"$TEST_TMP/codes"
	codes=$(sort "$TEST_TMP/codes" | uniq -c | tr -s ' \n' ' ')
	# Stored (200), or spooled (202) if the database was briefly
	# unavailable to a fresh worker: each is counted under its outcome.
	assert_eq "$n" "$(grep -c '^Status: 20[02] ' "$TEST_TMP/codes")" "answered 200 or 202 ($codes)"
	ok=$(grep -c '^Status: 200 ' "$TEST_TMP/codes")
	# Each worker holds its own session: those that ran a statement
	# since t0 served deliveries.
	workers=$(sql "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'instlog-webhook'
	    AND state_change > '$t0'")
	[ "$workers" -ge 2 ] ||
	    fail "only $workers webhook worker(s) served the deliveries"
	scrape
	after=$(delivered installation ok)
	assert_eq "$((before + ok))" "$after" \
	    "installation/ok after $ok deliveries stored ($codes)"
	assert_eq "$((spooled0 + n - ok))" "$(delivered installation spooled)" \
	    "installation/spooled after $((n - ok)) spooled"
	echo "workers that served: $workers"
}

test_metrics_outcomes_and_signature_failures() {
	local sig0 ok0 ign0 inv0 bad
	scrape
	sig0=$(metric instlog_signature_failures_total)
	ok0=$(delivered workflow_job job_stored)
	ign0=$(delivered workflow_job ignored_action)
	inv0=$(delivered installation invalid_payload)
	deliver workflow_job \
	    "$(fixture_edit workflow_job.queued '.workflow_job.id = 7700001')"
	assert_status 200
	deliver workflow_job "$(fixture workflow_job.waiting)"
	assert_status 200
	bad=$(mktemp "$TEST_TMP/bad.XXXXXX")
	printf '{"action": "created", "installation": ' >"$bad"
	deliver installation "$bad"
	assert_status 400
	GITHUB_WEBHOOK_SECRET=wrong deliver installation \
	    "$(fixture installation.created)"
	assert_status 401
	http POST /webhook -H 'X-GitHub-Event: ping' --data-binary '{}'
	assert_status 401
	scrape
	assert_eq "$((sig0 + 2))" "$(metric instlog_signature_failures_total)" \
	    "signature failures"
	assert_eq "$((ok0 + 1))" "$(delivered workflow_job job_stored)" \
	    "workflow_job/job_stored"
	assert_eq "$((ign0 + 1))" "$(delivered workflow_job ignored_action)" \
	    "workflow_job/ignored_action"
	assert_eq "$((inv0 + 1))" "$(delivered installation invalid_payload)" \
	    "installation/invalid_payload"
}

# PostgreSQL stopped: deliveries are spooled and counted so, the spool
# gauges see them (one made an hour old), the database is down; once it
# is back and the stack's replayer has drained the spool, the gauges say
# so.
test_metrics_spool_and_database_through_an_outage() {
	local sp0 i
	# The stack's replayer keeps running: with PostgreSQL away it
	# leaves every file where it is.
	trap 'metrics_pg_up || stack_pg_resume' EXIT
	scrape
	sp0=$(delivered ping spooled)
	assert_eq 0 "$(metric instlog_spool_files)" "spool files before"
	assert_eq 0 "$(metric instlog_spool_oldest_seconds)" "oldest before"
	stack_pg_stop
	for i in 1 2; do
		deliver ping "$(fixture ping)"
		assert_status 202
	done
	touch -d '-1 hour' "$(ls "$INSTLOG_SPOOL_DIR"/*.delivery | head -1)"
	scrape
	assert_eq 0 "$(metric instlog_database_up)" "database up while stopped"
	assert_eq 2 "$(metric instlog_spool_files)" "spool files"
	awk -v s="$(metric instlog_spool_oldest_seconds)" \
	    'BEGIN { exit !(s >= 3600 && s < 4000) }' ||
	    fail "oldest: $(metric instlog_spool_oldest_seconds)"
	assert_eq "$((sp0 + 2))" "$(delivered ping spooled)" "ping/spooled"
	stack_pg_resume || fail "PostgreSQL did not start again"
	for _ in $(seq 1 100); do
		scrape
		[ "$(metric instlog_spool_files)" = 0 ] && break
		sleep 0.2
	done
	assert_eq 1 "$(metric instlog_database_up)" "database up again"
	assert_eq 0 "$(metric instlog_spool_files)" "spool files after replay"
	assert_eq 0 "$(metric instlog_spool_oldest_seconds)" "oldest after"
}

# Requests from an address of this machine that is not loopback get 403
# from /metrics (the same server answers /healthz, so it is the allow
# rule that refuses).  The address is the machine's own when it has one;
# else a veth pair into a network namespace, the client inside it.
test_metrics_refused_from_other_addresses() {
	local addr ns="" peer veth rc
	addr=$(ip -4 -o addr show scope global 2>/dev/null |
	    awk '{ sub(/\/.*/, "", $4); print $4; exit }')
	if [ -z "$addr" ] || [ -n "${METRICS_TEST_NETNS:-}" ]; then
		ns=instlog-it-$$
		veth=ilm$$
		addr=10.213.$((RANDOM % 250)).1
		peer=${addr%.1}.2
		ip netns add "$ns" &&
		    ip link add "${veth}a" type veth \
		    peer name "${veth}b" netns "$ns" &&
		    ip addr add "$addr/30" dev "${veth}a" &&
		    ip link set "${veth}a" up &&
		    ip -n "$ns" addr add "$peer/30" dev "${veth}b" &&
		    ip -n "$ns" link set "${veth}b" up ||
		    { fail "no non-loopback address, no network namespace"
		      return; }
	fi
	# The real route config (this stack's sockets), on loopback and on
	# that address; the webhook's rate limit zone and upstream as
	# nginx.conf.in has them.
	mini_nginx ext "limit_req_zone \$binary_remote_addr
		zone=instlog_webhook:1m rate=100r/s;
	upstream instlog_webhook {
		server unix:$RUNDIR/webhook.sock;
		keepalive 8;
	}
	server {
		listen 127.0.0.1:@PORT@;
		listen $addr:@PORT@;
		include $RUNDIR/instlog.conf;
	}"
	rc=$?
	[ -n "$ns" ] &&
	    trap 'kill -TERM $MINI_PID; ip netns del '"$ns"';
		ip link del '"$veth"'a' EXIT
	[ "$rc" = 0 ] || return
	ext() {
		if [ -n "$ns" ]; then
			ip netns exec "$ns" curl -sS -o /dev/null \
			    -w '%{http_code}' "http://$addr:${MINI_URL##*:}$1"
		else
			curl -sS -o /dev/null -w '%{http_code}' \
			    --interface "$addr" "http://$addr:${MINI_URL##*:}$1"
		fi
	}
	assert_eq 200 "$(ext /healthz)" "/healthz from $addr"
	assert_eq 403 "$(ext /metrics)" "/metrics from $addr"
	assert_eq 200 "$(curl -sS -o /dev/null -w '%{http_code}' \
	    "$MINI_URL/metrics")" "/metrics from loopback, same server"
	echo "refused from $addr${ns:+ (namespace $ns)}"
}

# Operations by type and status, and the last completed run of each type,
# from the operations table: a maintenance run, a delivery answered 400
# (a failed delivery operation), a row left running.
test_metrics_operations_and_last_run() {
	local c0 f0 t0 last want bad out
	scrape
	c0=$(ops_count maintenance completed)
	f0=$(ops_count delivery failed)
	t0=$(date +%s)
	INSTLOG_OPERATIONS_RETENTION_DAYS=30 "$STACK_BIN/maintenance" \
	    >"$TEST_TMP/maintenance.log" 2>&1 ||
	    fail "maintenance: $(cat "$TEST_TMP/maintenance.log")"
	bad=$(mktemp "$TEST_TMP/bad.XXXXXX")
	printf '{"action": "created", "installation": ' >"$bad"
	deliver installation "$bad"
	assert_status 400
	trap 'sql "DELETE FROM operations WHERE type = '"'it_metrics'"'" \
	    >/dev/null' EXIT
	sql "INSERT INTO operations (type) VALUES ('it_metrics')" >/dev/null
	scrape
	assert_eq "$((c0 + 1))" "$(ops_count maintenance completed)" \
	    "maintenance/completed"
	assert_eq "$((f0 + 1))" "$(ops_count delivery failed)" "delivery/failed"
	assert_eq 1 "$(ops_count it_metrics running)" "it_metrics/running"
	grep -q '^instlog_operations{type="it_metrics",status="completed"} 0$' \
	    "$TEST_TMP/metrics" || fail "no it_metrics/completed sample of 0"
	# The last completed maintenance run, to the millisecond.
	last=$(metric 'instlog_last_run_timestamp_seconds{type="maintenance"}')
	want=$(sql "SELECT floor(extract(epoch FROM completed_at) * 1000)
	    FROM operations WHERE type = 'maintenance' AND status = 'completed'
	    ORDER BY id DESC LIMIT 1")
	awk -v l="$last" -v w="$want" -v t="$t0" \
	    'BEGIN { exit !(sprintf("%.0f", l * 1000) == w && l >= t - 1) }' ||
	    fail "last maintenance run: $last, want ${want} ms (after $t0)"
	grep -q 'instlog_last_run_timestamp_seconds{type="it_metrics"}' \
	    "$TEST_TMP/metrics" && fail "a type never completed has a last run"
	out=$(promtool check metrics <"$TEST_TMP/metrics" 2>&1) ||
	    fail "promtool check metrics: $out"
}

# metric_ms SERIES: the value of SERIES in milliseconds, rounded ("" when
# absent).
metric_ms() {
	awk -v s="$1" '$1 == s { printf "%.0f\n", $2 * 1000 }' "$TEST_TMP/metrics"
}

# ended_ms TYPE [STATUS]: completed_at of the last operation of TYPE that
# ended by itself (with STATUS), in milliseconds.
ended_ms() {
	local status="<> 'running'"
	[ -n "${2:-}" ] && status="= '$2'"
	sql "SELECT floor(extract(epoch FROM completed_at) * 1000) FROM operations
	    WHERE type = '$1' AND status $status
	    AND error IS DISTINCT FROM 'abandoned' ORDER BY id DESC LIMIT 1"
}

# Every auth check run fails when one installation is refused: the
# liveness gauge still says when the last one ended (InstlogAuthCheckStale
# must not fire while runs keep ending); the failed runs are counted under
# instlog_operations{status="failed"}.  A run found dead by the next one
# (abandoned) did not end by itself.
test_metrics_last_run_of_failing_auth_checks() {
	local t0 out
	# The auth check helpers, in this test's subshell only.
	. "$HERE/test_auth_check.sh"
	sql "DELETE FROM operations WHERE type = 'auth_check'" >/dev/null
	ac_env
	ac_fake_start --answer 6401:404
	t0=$(date +%s)
	ac_queue 740001 6401 Organization 38302899 Octocoders Octocoders/one
	ac_run
	ac_queue 740002 6401 Organization 38302899 Octocoders Octocoders/one
	ac_run
	assert_eq "failed failed" \
	    "$(echo $(sql "SELECT status FROM operations WHERE type = 'auth_check' ORDER BY id"))" \
	    "two failed auth check runs"
	scrape
	assert_eq "$(ended_ms auth_check)" \
	    "$(metric_ms 'instlog_last_run_timestamp_seconds{type="auth_check"}')" \
	    "liveness after failed runs only"
	awk -v l="$(metric 'instlog_last_run_timestamp_seconds{type="auth_check"}')" \
	    -v t="$t0" 'BEGIN { exit !(l >= t - 1) }' ||
	    fail "liveness older than the runs: $(metric 'instlog_last_run_timestamp_seconds{type="auth_check"}')"
	assert_eq 2 "$(ops_count auth_check failed)" "auth_check/failed"
	assert_eq 0 "$(ops_count auth_check completed)" "auth_check/completed"
	# A dead run, marked abandoned later, is no run that ended.
	sql "INSERT INTO operations (type, status, error, completed_at)
	    VALUES ('auth_check', 'failed', 'abandoned', now() + interval '1 minute')" >/dev/null
	scrape
	assert_eq "$(ended_ms auth_check failed)" \
	    "$(metric_ms 'instlog_last_run_timestamp_seconds{type="auth_check"}')" \
	    "liveness with an abandoned run"
	# A run that completes: liveness moves on.
	ac_run
	assert_eq completed "$(sql "SELECT status FROM operations WHERE type = 'auth_check' ORDER BY id DESC LIMIT 1")" "a completed run"
	scrape
	assert_eq "$(ended_ms auth_check completed)" \
	    "$(metric_ms 'instlog_last_run_timestamp_seconds{type="auth_check"}')" \
	    "liveness after a completed run"
	assert_eq 3 "$(ops_count auth_check failed)" "auth_check/failed after"
	out=$(promtool check metrics <"$TEST_TMP/metrics" 2>&1) ||
	    fail "promtool check metrics: $out"
	out=$(families_contiguous) || fail "$out"
}

# The README's alert rules, as written: promtool accepts them, and
# InstlogAuthCheckStale stays quiet while runs keep ending (the gauge of
# the test above follows every run, failed or not) and fires once they
# stop.
test_metrics_readme_alert_rules() {
	local dir=$TEST_TMP/rules out
	mkdir -p "$dir"
	sed -n '/^Alert rules:$/,/^`promtool check/p' "$TOP/README.md" |
	    sed -n '/^```yaml$/,/^```$/p' | sed '1d;$d' >"$dir/rules.yml"
	grep -q 'alert: InstlogAuthCheckStale' "$dir/rules.yml" ||
	    { fail "no alert rules in README.md: $(cat "$dir/rules.yml")"; return; }
	out=$(promtool check rules "$dir/rules.yml" 2>&1) ||
	    fail "promtool check rules: $out"
	# A run ends every minute for 40 minutes (the gauge is the time of
	# the scrape), then none for 40 more.
	cat >"$dir/test.yml" <<-'YAML'
	rule_files: [rules.yml]
	evaluation_interval: 1m
	tests:
	  - interval: 1m
	    input_series:
	      - series: 'instlog_last_run_timestamp_seconds{type="auth_check"}'
	        values: '0+60x40 2400x40'
	    alert_rule_test:
	      - eval_time: 39m
	        alertname: InstlogAuthCheckStale
	        exp_alerts: []
	      - eval_time: 52m
	        alertname: InstlogAuthCheckStale
	        exp_alerts: []
	      - eval_time: 58m
	        alertname: InstlogAuthCheckStale
	        exp_alerts:
	          - exp_labels: { type: auth_check }
	            exp_annotations:
	              summary: "no scheduler auth check run has ended for 10 minutes"
	YAML
	out=$(cd "$dir" && promtool test rules test.yml 2>&1) ||
	    fail "promtool test rules: $out"
}
