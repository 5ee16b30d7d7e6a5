#!/bin/bash
# SPDX-License-Identifier: MIT
# cron/auth_check against fake_github (which verifies the App JWT with the
# apps' public keys) and the real PostgreSQL: cache, 404, app variants,
# other errors, transport errors, bad configuration, the lock, and scale.
# Pending jobs come from signed workflow_job.queued deliveries through
# nginx and the webhook, as in production.

AC_ORG_APP=101
AC_USER_APP=202
AC_LOCK_KEY=7597136565293246209 # DB_AUTH_CHECK_LOCK_KEY in lib/db/db_auth_check.h
# Overridable, e.g. to run the cases with sanitizer builds.
AC_BIN=${AUTH_CHECK_BIN:-$TOP/build/bin/auth_check}
AC_FAKE=${FAKE_GITHUB_BIN:-$TOP/build/tests/fake_github}

# ac_keys: an RSA key pair per app in $TEST_TMP/ac-keys, made once.
ac_keys() {
	AC_KEYS=$TEST_TMP/ac-keys
	app_keys "$AC_KEYS"
}

# ac_env: both app variants configured, defaults for the rest.
ac_env() {
	ac_keys || fail "cannot generate keys"
	export GITHUB_APP_ORG_ID=$AC_ORG_APP
	export GITHUB_APP_ORG_PRIVATE_KEY_FILE=$AC_KEYS/org.pem
	export GITHUB_APP_USER_ID=$AC_USER_APP
	export GITHUB_APP_USER_PRIVATE_KEY_FILE=$AC_KEYS/user.pem
	unset INSTLOG_AUTH_PARALLEL
}

# ac_fake_start [fake_github args...]: start the fake on a free port and
# point GITHUB_API_URL at it; it is killed when the test's subshell exits.
ac_fake_start() {
	local port=""
	AC_LOG=$TEST_TMP/fake.log
	: >"$AC_LOG"
	# Empty before the start: a fake of an earlier test left its port
	# there, which listening_port could read before this one writes.
	: >"$TEST_TMP/fake.out"
	"$AC_FAKE" --port 0 --log "$AC_LOG" \
	    --app "$AC_ORG_APP:$AC_KEYS/org.pub" \
	    --app "$AC_USER_APP:$AC_KEYS/user.pub" "$@" \
	    >"$TEST_TMP/fake.out" 2>&1 &
	AC_FAKE_PID=$!
	trap 'kill "$AC_FAKE_PID" 2>/dev/null; wait "$AC_FAKE_PID" 2>/dev/null' EXIT
	port=$(listening_port "$TEST_TMP/fake.out" fake_github) ||
	    { fail "fake_github did not start: $(cat "$TEST_TMP/fake.out")"; return 1; }
	export GITHUB_API_URL=http://127.0.0.1:$port
}

# ac_run: run auth_check once; sets RC, OUT (stdout) and ERR (stderr).
ac_run() {
	"$AC_BIN" >"$TEST_TMP/ac.out" 2>"$TEST_TMP/ac.err"
	RC=$?
	OUT=$(cat "$TEST_TMP/ac.out")
	ERR=$(cat "$TEST_TMP/ac.err")
}

# ac_summary COUNTS: the last run printed "auth_check: COUNTS ms=N".
ac_summary() {
	[[ "$OUT" =~ ^auth_check:\ (.*)\ ms=[0-9]+$ ]] ||
	    { fail "no summary line: '$OUT'"; return 1; }
	assert_eq "$1" "${BASH_REMATCH[1]}" "summary" ||
	    echo "auth_check stderr: $ERR; fake: $(tail -3 "$TEST_TMP/fake.out")" >&2
}

# ac_requests [LINE]: access_tokens requests the fake logged (those equal
# to LINE); ac_app_checks: its GET /app requests.
ac_requests() {
	if [ $# -eq 0 ]; then
		grep -cv ' GET /app ' "$AC_LOG"
	else
		grep -cxF -- "$1" "$AC_LOG"
	fi
}

ac_app_checks() { grep -c ' GET /app ' "$AC_LOG"; }

# ac_queue JOB INSTALLATION TYPE OWNER_ID LOGIN REPO: deliver the real
# workflow_job.queued fixture, edited, so that job JOB is pending.
ac_queue() {
	local f
	f=$(fixture_edit workflow_job.queued ".workflow_job.id = $1 |
	    .installation.id = $2 | .repository.owner.type = \"$3\" |
	    .repository.owner.id = $4 | .repository.owner.login = \"$5\" |
	    .repository.full_name = \"$6\"")
	deliver workflow_job "$f"
	assert_status 200
	assert_json .outcome job_stored
}

# ac_scheduler_rows: how many rows the auth check wrote.
ac_scheduler_rows() { sql "SELECT count(*) FROM installation_events WHERE source = 'scheduler'"; }

test_auth_ok_is_cached() {
	db_reset
	ac_env
	ac_fake_start
	ac_queue 700001 5001 Organization 38302899 Octocoders Octocoders/one
	ac_run
	assert_eq 0 "$RC" "exit status"
	ac_summary "checked=1 cached=0 ok=1 404=0 other=0 transport_errors=0"
	assert_eq "" "$ERR" "stderr"
	assert_eq 1 "$(ac_requests 'app=101 installation=5001 status=201')" "request"
	assert_eq "101|t" "$(sql "SELECT app_id, ok_until BETWEEN now() + interval '58 minutes' AND now() + interval '59 minutes' FROM auth_cache WHERE installation_id = 5001")" "cache entry"
	assert_eq 0 "$(ac_scheduler_rows)" "no row for a success"
	assert_eq pending "$(sql 'SELECT status FROM jobs WHERE job_id = 700001')" "job"
	# Cached: the next run asks GitHub nothing.
	ac_run
	assert_eq 0 "$RC" "second exit status"
	ac_summary "checked=0 cached=1 ok=0 404=0 other=0 transport_errors=0"
	assert_eq 1 "$(ac_requests)" "requests after the second run"
}

test_auth_cache_expiry() {
	db_reset
	ac_env
	ac_fake_start
	ac_queue 700002 5001 Organization 38302899 Octocoders Octocoders/one
	ac_run
	assert_eq 1 "$(ac_requests)" "first request"
	sql "UPDATE auth_cache SET ok_until = now() - interval '1 minute'" >/dev/null
	ac_run
	assert_eq 0 "$RC" "exit status"
	ac_summary "checked=1 cached=0 ok=1 404=0 other=0 transport_errors=0"
	assert_eq 2 "$(ac_requests 'app=101 installation=5001 status=201')" "a new request once expired"
	assert_eq t "$(sql "SELECT ok_until > now() + interval '58 minutes' FROM auth_cache WHERE installation_id = 5001")" "renewed"
	assert_eq 1 "$(sql 'SELECT count(*) FROM auth_cache')" "one entry"
}

test_auth_404_logs_one_row_and_fails_pending_jobs() {
	db_reset
	ac_env
	ac_fake_start --answer 5002:404
	ac_queue 700012 5002 Organization 38302899 Octocoders Octocoders/alpha
	ac_queue 700011 5002 Organization 38302899 Octocoders Octocoders/beta
	ac_queue 700013 5002 Organization 38302899 Octocoders Octocoders/alpha
	deliver workflow_job "$(fixture_edit workflow_job.in_progress '.workflow_job.id = 700013')"
	assert_json .outcome job_marked_running
	ac_queue 700021 5003 Organization 38302900 Others Others/gamma
	ac_run
	assert_eq 0 "$RC" "exit status"
	ac_summary "checked=2 cached=0 ok=1 404=1 other=0 transport_errors=0"
	assert_eq 1 "$(ac_requests 'app=101 installation=5002 status=404')" "404 request"
	assert_eq 1 "$(ac_scheduler_rows)" "exactly one row"
	assert_eq "scheduler|auth_attempt.404|auth_404|101|5002|Organization|38302899|Octocoders|t" \
	    "$(sql "SELECT source, event, outcome, app_id, installation_id, entity_type, entity_id, entity_name, delivery_id IS NULL FROM installation_events WHERE source = 'scheduler'")" \
	    "row"
	# The payload, exactly; the job is the lowest pending one.
	assert_eq t "$(sql "SELECT payload - 'operation_id' = '{\"installation_id\":5002,\"app_id\":101,\"entity_type\":\"Organization\",\"entity_id\":38302899,\"entity_name\":\"Octocoders\",\"repository\":{\"full_name\":\"Octocoders/beta\"},\"workflow_job\":{\"id\":700011},\"http_status\":404,\"message\":\"Not Found\"}'::jsonb FROM installation_events WHERE source = 'scheduler'")" \
	    "payload ($(sql "SELECT payload FROM installation_events WHERE source = 'scheduler'"))"
	local want='{"version":1,"message":"installation not found for installation_id=5002 entity_type=Organization"}'
	assert_eq "700011|failed|t
700012|failed|t
700013|running|
700021|pending|" \
	    "$(sql "SELECT job_id, status, failure_info - 'operation_id' = '$want'::jsonb FROM jobs ORDER BY job_id")" \
	    "jobs"
	# The operation of the run is named by the row and the jobs.
	assert_eq "1|1|2" "$(sql "SELECT count(DISTINCT o.id), count(DISTINCT e.id), count(DISTINCT j.job_id) FROM operations o JOIN installation_events e ON e.operation_id = o.id AND (e.payload->>'operation_id')::bigint = o.id JOIN jobs j ON (j.failure_info->>'operation_id')::bigint = o.id")" "operation links"
	assert_eq 0 "$(sql 'SELECT count(*) FROM auth_cache WHERE installation_id = 5002')" "404 not cached"
	# Nothing pending is left for 5002: no more requests, no more rows.
	ac_run
	ac_summary "checked=0 cached=1 ok=0 404=0 other=0 transport_errors=0"
	assert_eq 2 "$(ac_requests)" "requests"
	assert_eq 1 "$(ac_scheduler_rows)" "still one row"
}

test_auth_rows_ready_for_the_trace() {
	db_reset
	ac_env
	ac_fake_start --answer 5004:404 --answer 5005:403
	ac_queue 700051 5004 User 4595477 wolfy1339 wolfy1339/app
	ac_queue 700052 5005 User 4595478 suspended-user suspended-user/lib
	ac_run
	assert_eq 0 "$RC" "exit status"
	# An entity's timeline in (received_at, id) order: the webhook row that
	# queued the job, then the auth attempt naming the failing repo.
	assert_eq "workflow_job.queued|job_stored|wolfy1339/app|700051|29310|
auth_attempt.404|auth_404|wolfy1339/app|700051|202|404" \
	    "$(sql "SELECT event, outcome, $DOC->'repository'->>'full_name', $DOC->'workflow_job'->>'id', app_id, $DOC->>'http_status' FROM installation_events WHERE entity_id = 4595477 ORDER BY received_at, id")" \
	    "timeline of 4595477"
	assert_eq "auth_attempt.other_error|auth_other_error|suspended-user/lib|403|This installation has been suspended|5005" \
	    "$(sql "SELECT event, outcome, payload->'repository'->>'full_name', payload->>'http_status', payload->>'message', installation_id FROM installation_events WHERE entity_id = 4595478 AND source = 'scheduler'")" \
	    "403 row of 4595478"
	# Found by installation too, as /trace/installation resolves it.
	assert_eq 4595477 "$(sql "SELECT entity_id FROM installation_events WHERE installation_id = 5004 AND entity_id IS NOT NULL ORDER BY received_at DESC, id DESC LIMIT 1")" \
	    "installation resolves to the entity"
}

test_auth_variant_by_entity_type() {
	db_reset
	ac_env
	# 6002 is installed on the org app: the user app's JWT gets a 404.
	ac_fake_start --owner 6002:101 --owner 6001:202
	ac_queue 700031 6001 User 4001 octo-user octo-user/one
	ac_queue 700032 6002 User 4002 wrong-variant wrong-variant/two
	ac_queue 700033 6003 Organization 4003 an-org an-org/three
	ac_run
	assert_eq 0 "$RC" "exit status"
	ac_summary "checked=3 cached=0 ok=2 404=1 other=0 transport_errors=0"
	assert_eq 1 "$(ac_requests 'app=202 installation=6001 status=201')" "user app for a User"
	assert_eq 1 "$(ac_requests 'app=202 installation=6002 status=404')" "user app tried for 6002"
	assert_eq 1 "$(ac_requests 'app=101 installation=6003 status=201')" "org app for an Organization"
	assert_eq "6001|202
6003|101" "$(sql 'SELECT installation_id, app_id FROM auth_cache ORDER BY 1')" "cache by app"
	assert_eq "202|6002|User|4002|wrong-variant|202|wrong-variant/two" \
	    "$(sql "SELECT app_id, installation_id, entity_type, entity_id, entity_name, payload->>'app_id', payload->'repository'->>'full_name' FROM installation_events WHERE source = 'scheduler'")" \
	    "404 row records the app tried"
	assert_eq "failed|installation not found for installation_id=6002 entity_type=User" \
	    "$(sql "SELECT status, failure_info->>'message' FROM jobs WHERE job_id = 700032")" "job"
}

test_auth_unconfigured_variant_is_skipped() {
	db_reset
	ac_env
	unset GITHUB_APP_USER_ID GITHUB_APP_USER_PRIVATE_KEY_FILE
	ac_fake_start
	ac_queue 700061 6101 User 4101 lonely-user lonely-user/one
	ac_queue 700062 6102 Organization 4102 an-org an-org/two
	ac_run
	assert_eq 0 "$RC" "exit status"
	ac_summary "checked=1 cached=0 ok=1 404=0 other=0 transport_errors=0"
	assert_eq "auth_check: installation '6101': no app configured for entity type 'User': skipped" "$ERR" "stderr"
	assert_eq 1 "$(ac_requests)" "only the org installation"
	assert_eq 0 "$(ac_scheduler_rows)" "no row"
	assert_eq pending "$(sql 'SELECT status FROM jobs WHERE job_id = 700061')" "job untouched"
}

test_auth_other_status_logs_row_jobs_untouched() {
	db_reset
	ac_env
	ac_fake_start --answer 7001:403 --answer 7002:500
	ac_queue 700041 7001 Organization 5001 org-a org-a/r
	ac_queue 700042 7002 User 5002 user-b user-b/r
	ac_run
	assert_eq 0 "$RC" "exit status"
	ac_summary "checked=2 cached=0 ok=0 404=0 other=2 transport_errors=0"
	assert_eq "7001|101|auth_attempt.other_error|auth_other_error|403|This installation has been suspended
7002|202|auth_attempt.other_error|auth_other_error|500|Internal Server Error" \
	    "$(sql "SELECT installation_id, app_id, event, outcome, payload->>'http_status', payload->>'message' FROM installation_events WHERE source = 'scheduler' ORDER BY installation_id")" \
	    "rows"
	assert_eq "pending|
pending|" "$(sql 'SELECT status, failure_info FROM jobs ORDER BY job_id')" "jobs untouched"
	assert_eq 0 "$(sql 'SELECT count(*) FROM auth_cache')" "nothing cached"
	# Not cached: the next run asks again and logs again.
	ac_run
	assert_eq 4 "$(ac_requests)" "requests after two runs"
	assert_eq 4 "$(ac_scheduler_rows)" "rows after two runs"
}

test_auth_github_unreachable_exit_1_transport_row() {
	db_reset
	ac_env
	export GITHUB_API_URL=http://127.0.0.1:$(stack_free_port)
	ac_queue 700071 8001 Organization 6001 org-c org-c/r
	ac_run
	assert_eq 1 "$RC" "exit status"
	# GET /app, before any installation, fails: the run stops there.
	assert_eq "" "$OUT" "no summary"
	[[ "$ERR" == "auth_check: app '101': GET $GITHUB_API_URL/app: "*"; nothing checked" ]] || fail "stderr: '$ERR'"
	assert_eq 1 "$(printf '%s\n' "$ERR" | wc -l)" "one stderr line"
	# The installation it stopped gets a transport_error row (DESIGN §13:
	# github_unavailable), its job untouched.
	assert_eq "8001|auth_attempt.transport_error|" \
	    "$(sql "SELECT installation_id, event, payload->>'http_status' FROM installation_events WHERE source = 'scheduler'")" \
	    "the transport row"
	assert_eq 0 "$(sql 'SELECT count(*) FROM auth_cache')" "nothing cached"
	assert_eq pending "$(sql 'SELECT status FROM jobs WHERE job_id = 700071')" "job"
}

# ac_expect_config_error WHAT PATTERN: the run exits 2 with one stderr line
# matching PATTERN (a glob), nothing on stdout, and asks GitHub nothing.
ac_expect_config_error() {
	ac_run
	assert_eq 2 "$RC" "$1: exit status"
	assert_eq "" "$OUT" "$1: stdout"
	assert_eq 1 "$(printf '%s\n' "$ERR" | wc -l)" "$1: one stderr line ($ERR)"
	# shellcheck disable=SC2053
	[[ "$ERR" == $2 ]] || fail "$1: stderr '$ERR' does not match '$2'"
}

test_auth_bad_config_exit_2() {
	db_reset
	ac_env
	ac_fake_start
	ac_queue 700081 8101 Organization 7001 org-d org-d/r
	(export GITHUB_APP_ORG_PRIVATE_KEY_FILE=$TEST_TMP/missing.pem
	 ac_expect_config_error "missing key" "*'$TEST_TMP/missing.pem': cannot read: No such file or directory")
	printf 'this is not a key\n' >"$TEST_TMP/garbage.pem"
	(export GITHUB_APP_USER_PRIVATE_KEY_FILE=$TEST_TMP/garbage.pem
	 ac_expect_config_error "garbage key" "*'$TEST_TMP/garbage.pem': not an unencrypted PEM private key")
	(export GITHUB_APP_ORG_PRIVATE_KEY_FILE=$AC_KEYS/org.pub
	 ac_expect_config_error "public key" "*'$AC_KEYS/org.pub': not an unencrypted PEM private key")
	(unset GITHUB_APP_ORG_PRIVATE_KEY_FILE
	 ac_expect_config_error "id without key" "*GITHUB_APP_ORG_ID*GITHUB_APP_ORG_PRIVATE_KEY_FILE*")
	(unset GITHUB_APP_ORG_ID GITHUB_APP_ORG_PRIVATE_KEY_FILE GITHUB_APP_USER_ID GITHUB_APP_USER_PRIVATE_KEY_FILE
	 ac_expect_config_error "no app" "*neither GITHUB_APP_ORG_ID nor GITHUB_APP_USER_ID*")
	(export GITHUB_APP_ORG_ID=abc
	 ac_expect_config_error "bad app id" "*GITHUB_APP_ORG_ID*'abc'*")
	(export GITHUB_API_URL=http://api.github.com
	 ac_expect_config_error "plain http" "*must be https://*")
	# Issue 12, finding 4: user info is refused, not read as a port.
	(export GITHUB_API_URL=http://127.0.0.1:1@evil.example
	 ac_expect_config_error "user info" "*must be https://*no user info*")
	(export INSTLOG_AUTH_PARALLEL=0
	 ac_expect_config_error "parallelism" "*INSTLOG_AUTH_PARALLEL*'0'*")
	(unset DATABASE_URL
	 ac_expect_config_error "no database" "*DATABASE_URL*")
	assert_eq 0 "$(ac_requests)" "no request"
	assert_eq 0 "$(ac_scheduler_rows)" "no row"
	assert_eq pending "$(sql 'SELECT status FROM jobs WHERE job_id = 700081')" "job"
}

# Issue 12, finding 1: with every proxy variable set, the JWT goes to the
# loopback API directly, never to the proxy.
test_auth_loopback_never_through_a_proxy() {
	db_reset
	ac_env
	ac_fake_start
	ac_queue 700091 8191 Organization 7091 org-p org-p/r
	proxy_start || return
	ac_run
	assert_eq 0 "$RC" "exit status ($ERR)"
	assert_eq 1 "$(ac_requests 'app=101 installation=8191 status=201')" "request"
	assert_proxy_unused auth_check
}

test_auth_lock_held_exits_quietly() {
	db_reset
	ac_env
	ac_fake_start
	ac_queue 700091 9001 Organization 8001 org-e org-e/r
	# An operator holds the lock from psql.
	PGAPPNAME=ac-lock-holder psql "$DATABASE_URL" -X -q \
	    -c "SELECT pg_advisory_lock($AC_LOCK_KEY)" -c "SELECT pg_sleep(60)" \
	    >/dev/null 2>&1 &
	local holder=$! held=0
	for _ in $(seq 1 100); do
		held=$(sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'ac-lock-holder'")
		[ "$held" = 1 ] && break
		sleep 0.05
	done
	assert_eq 1 "$held" "lock held by psql"
	ac_run
	assert_eq 0 "$RC" "exit status while locked"
	assert_eq "" "$OUT" "quiet stdout"
	assert_eq "" "$ERR" "quiet stderr"
	assert_eq 0 "$(ac_requests)" "no request while locked"
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ac-lock-holder'" >/dev/null
	wait "$holder" 2>/dev/null
	ac_run
	assert_eq 0 "$RC" "exit status once released"
	assert_eq 1 "$(ac_requests)" "request once released"
}

test_auth_concurrent_runs_no_duplicate_rows() {
	db_reset
	ac_env
	local i args=()
	for i in 1 2 3 4 5; do args+=(--answer "910$i:404"); done
	ac_fake_start --latency-ms 300 "${args[@]}"
	for i in 1 2 3 4 5; do
		ac_queue "70010$i" "910$i" Organization "900$i" "org-$i" "org-$i/r"
	done
	"$AC_BIN" >"$TEST_TMP/a.out" 2>"$TEST_TMP/a.err" &
	local a=$!
	"$AC_BIN" >"$TEST_TMP/b.out" 2>"$TEST_TMP/b.err" &
	local b=$!
	wait "$a"; local rca=$?
	wait "$b"; local rcb=$?
	assert_eq "0 0" "$rca $rcb" "both exit 0"
	assert_eq 5 "$(ac_requests)" "one request per installation"
	assert_eq 5 "$(ac_scheduler_rows)" "one row per installation"
	assert_eq 5 "$(sql "SELECT count(DISTINCT installation_id) FROM installation_events WHERE source = 'scheduler'")" "distinct installations"
	# One run did the work; the other found the lock taken (or, if it
	# started late, nothing left to do).
	local outs
	outs=$(cat "$TEST_TMP/a.out" "$TEST_TMP/b.out" | sed 's/ ms=[0-9]*$//')
	case "$outs" in
	"auth_check: checked=5 cached=0 ok=0 404=5 other=0 transport_errors=0" | \
	"auth_check: checked=5 cached=0 ok=0 404=5 other=0 transport_errors=0"$'\n'"auth_check: checked=0 cached=0 ok=0 404=0 other=0 transport_errors=0" | \
	"auth_check: checked=0 cached=0 ok=0 404=0 other=0 transport_errors=0"$'\n'"auth_check: checked=5 cached=0 ok=0 404=5 other=0 transport_errors=0") ;;
	*) fail "outputs: '$outs'" ;;
	esac
}

test_auth_200_installations_in_one_run() {
	db_reset
	ac_env
	ac_fake_start
	# 200 signed deliveries would dominate the suite's time, and the
	# webhook path is covered above: these jobs are inserted directly.
	# Half Organization, half User; 50 installations get a second job.
	sql "INSERT INTO jobs (job_id, status, entity_id, entity_type, entity_name, installation_id, app_id, repo_full_name)
	     SELECT 800000 + g, 'pending', 500000 + g,
	            CASE WHEN g % 2 = 0 THEN 'Organization' ELSE 'User' END,
	            'acct' || g, 10000 + g, 29310, 'acct' || g || '/repo'
	     FROM generate_series(1, 200) g
	     UNION ALL
	     SELECT 900000 + g, 'pending', 500000 + g,
	            CASE WHEN g % 2 = 0 THEN 'Organization' ELSE 'User' END,
	            'acct' || g, 10000 + g, 29310, 'acct' || g || '/other'
	     FROM generate_series(1, 50) g" >/dev/null
	ac_run
	assert_eq 0 "$RC" "exit status"
	ac_summary "checked=200 cached=0 ok=200 404=0 other=0 transport_errors=0"
	assert_eq 200 "$(ac_requests)" "requests"
	assert_eq 200 "$(grep -c ' status=201$' "$AC_LOG")" "all answered 201"
	assert_eq "101|100
202|100" "$(sql 'SELECT app_id, count(*) FROM auth_cache GROUP BY 1 ORDER BY 1')" "200 cache entries by app"
	assert_eq 200 "$(sql "SELECT count(*) FROM auth_cache WHERE ok_until > now() + interval '58 minutes'")" "all fresh"
	ac_run
	ac_summary "checked=0 cached=200 ok=0 404=0 other=0 transport_errors=0"
	# Again with every request in flight at once: 200 connections.
	sql "UPDATE auth_cache SET ok_until = now() - interval '1 minute'" >/dev/null
	INSTLOG_AUTH_PARALLEL=200 ac_run
	assert_eq 0 "$RC" "exit status, 200 in parallel"
	ac_summary "checked=200 cached=0 ok=200 404=0 other=0 transport_errors=0"
	assert_eq 400 "$(grep -c ' status=201$' "$AC_LOG")" "all answered again"
}

# The wrong key is found by GET /app (issue 12, finding 2), before any
# installation is asked: no 401 row per installation, one line, exit 2.
test_auth_jwt_of_the_wrong_key_stops_the_run() {
	db_reset
	ac_env
	ac_fake_start
	# The org app id with the user app's key: the fake's RS256 check fails.
	export GITHUB_APP_ORG_PRIVATE_KEY_FILE=$AC_KEYS/user.pem
	ac_queue 700111 9201 Organization 9201 org-f org-f/r
	ac_run
	assert_eq 2 "$RC" "exit status"
	assert_eq "" "$OUT" "no summary"
	assert_eq "auth_check: app '101': GET $GITHUB_API_URL/app: HTTP 401 'A JSON web token could not be decoded': check GITHUB_API_URL and the app's id and key; nothing checked" "$ERR" "stderr"
	assert_eq 1 "$(grep -c ' GET /app status=401$' "$AC_LOG")" "the app check"
	assert_eq 0 "$(ac_requests)" "no installation asked"
	assert_eq 0 "$(ac_scheduler_rows)" "no row"
	assert_eq pending "$(sql 'SELECT status FROM jobs WHERE job_id = 700111')" "job untouched"
}

# Issue 12, finding 2: a 404 that is not GitHub's JSON error body (a
# wrong GITHUB_API_URL, a proxy's page) is no proof the installation is
# gone: auth_attempt.other_error, and the jobs stay pending.
test_auth_html_404_is_other_error_jobs_pending() {
	db_reset
	ac_env
	ac_fake_start --answer 9301:404 --html-404 9301 --answer 9302:404
	ac_queue 700121 9301 Organization 9301 org-h org-h/r
	ac_queue 700122 9302 Organization 9302 org-j org-j/r
	ac_run
	assert_eq 0 "$RC" "exit status ($ERR)"
	ac_summary "checked=2 cached=0 ok=0 404=1 other=1 transport_errors=0"
	assert_eq 1 "$(ac_app_checks)" "one GET /app for the org app"
	assert_eq "9301|auth_attempt.other_error|auth_other_error|404|
9302|auth_attempt.404|auth_404|404|Not Found" \
	    "$(sql "SELECT installation_id, event, outcome, payload->>'http_status', payload->>'message' FROM installation_events WHERE source = 'scheduler' ORDER BY installation_id")" \
	    "rows"
	assert_eq "pending
failed" "$(sql 'SELECT status FROM jobs WHERE job_id IN (700121, 700122) ORDER BY job_id')" "jobs"
}

# Issue 12, finding 2: GET /app answered by something that is not the API
# (here an HTML 404) stops the run before any installation: no row.
test_auth_get_app_failing_stops_the_run() {
	db_reset
	ac_env
	ac_fake_start --app-status 404
	ac_queue 700131 9401 Organization 9401 org-k org-k/r
	ac_queue 700132 9402 User 9402 user-k user-k/r
	ac_run
	assert_eq 2 "$RC" "exit status"
	assert_eq "" "$OUT" "no summary"
	assert_eq "auth_check: app '101': GET $GITHUB_API_URL/app: HTTP 404 '': check GITHUB_API_URL and the app's id and key; nothing checked" "$ERR" "stderr"
	assert_eq 0 "$(ac_requests)" "no installation asked"
	assert_eq 0 "$(ac_scheduler_rows)" "no row"
	assert_eq "pending
pending" "$(sql 'SELECT status FROM jobs WHERE job_id IN (700131, 700132) ORDER BY job_id')" "jobs"
	# The run's operation failed at the app's step, with GitHub's answer.
	assert_eq "failed|jwt:org: GET /app: HTTP 404: |jwt:org|404" \
	    "$(sql "SELECT status, error, steps->0->>'name', steps->0->'output'->>'http_status' FROM operations WHERE type = 'auth_check' ORDER BY id DESC LIMIT 1")" \
	    "the operation"
	# A 5xx is GitHub failing, not a wrong setup: exit 1, as transport.
	kill "$AC_FAKE_PID"; wait "$AC_FAKE_PID" 2>/dev/null
	ac_fake_start --app-status 503
	ac_run
	assert_eq 1 "$RC" "exit status on 503"
	# GitHub failing is recorded for the installations it stopped, so
	# that their traces say github_unavailable (DESIGN §13).
	assert_eq "9401|auth_attempt.other_error|503" \
	    "$(sql "SELECT installation_id, event, payload->>'http_status' FROM installation_events WHERE source = 'scheduler'")" \
	    "the org installation's row on 503"
}
