#!/bin/bash
# SPDX-License-Identifier: MIT
# Operations (docs/data-model.md#operations): what instlog itself did,
# through the real
# binaries, nginx and PostgreSQL: a failed auth check traced to the step
# and GitHub's body, the links from rows and jobs, the filters and the
# cursor, abandoned runs, failed deliveries, the spool replayer's pass,
# X-Request-ID, retention, and every bad parameter.

# The auth check helpers (ac_env, ac_fake_start, ac_run, ac_queue, ...)
# without that file's tests.
. "$HERE/test_auth_check.sh"
for fn in $(declare -F | awk '{print $3}' | grep '^test_auth_'); do
	unset -f "$fn"
done

OP_AUTH="Authorization: Bearer $TRACE_API_SECRET"

# op_get PATH: GET PATH with the bearer token; sets STATUS, BODY, HEADERS.
op_get() { http GET "$1" -H "$OP_AUTH"; }

ops_reset() {
	db_reset
	sql "TRUNCATE operations" >/dev/null
}

# ops_failed_run BASE JOB: an auth check run where installation BASE+1
# (a User's, job JOB pending) answers 404 and BASE+2 (an Organization's,
# job JOB+1) answers 201.
ops_failed_run() {
	ops_reset
	ac_env
	ac_fake_start --answer "$(($1 + 1)):404"
	ac_queue "$2" "$(($1 + 1))" User 21031067 Codertocat Codertocat/Hello-World
	ac_queue "$(($2 + 1))" "$(($1 + 2))" Organization 38302899 Octocoders Octocoders/one
	ac_run
}

test_ops_failed_auth_check_traced_to_github_body() {
	local id
	ops_failed_run 6000 710001
	ac_summary "checked=2 cached=0 ok=1 404=1 other=0 transport_errors=0"
	op_get '/operations?status=failed'
	assert_status 200
	assert_json '.operations | length' 1
	assert_json '.operations[0].type' auth_check
	assert_json '.operations[0].status' failed
	assert_json '.operations[0].error' "6001: HTTP 404: Not Found; 1 pending jobs failed"
	assert_json '.operations[0].steps_summary' "jwt:org ✓ → 1 more ✓ → 6001 ✗ → 6002 ✓"
	assert_json '.operations[0] | has("steps")' false
	assert_json '.next_cursor' null
	id=$(printf '%s' "$BODY" | jq -r '.operations[0].id')
	op_get "/operations/$id"
	assert_status 200
	assert_json '.status' failed
	assert_json '.completed_at != null and .duration_ms >= 0' true
	assert_json '.installation_ids' "$(jq -n '[6001,6002]')"
	assert_json '.entity_ids' "$(jq -n '[21031067,38302899]')"
	assert_json '.steps | map(.name) | join(",")' "jwt:org,jwt:user,6001,6002"
	assert_json '.steps[2].status' failed
	assert_json '.steps[2].output.http_status' 404
	assert_json '.steps[2].output.jobs_failed' "$(jq -n '[710001]')"
	assert_json '.steps[2].error' "HTTP 404: Not Found; 1 pending jobs failed"
	assert_json '.steps[2].error_detail | fromjson | .message' "Not Found"
	assert_json '.error_detail | fromjson | .documentation_url | startswith("https://docs.github.com/rest")' true
	assert_json '.steps[3].status' completed
	assert_json '.output."404"' 1
	# Every time in the answer has microseconds, the steps' too, also
	# a step stored when they had milliseconds.
	assert_json '[.started_at, .completed_at, .steps[].started_at] | all(test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}Z$"))' true
	sql "UPDATE operations SET steps = jsonb_set(steps, '{0,started_at}', '\"2026-12-06T19:03:05.123Z\"') WHERE id = $id" >/dev/null
	op_get "/operations/$id"
	assert_json '.steps[0].started_at' 2026-12-06T19:03:05.123000Z
	# The operation is on the row, in the failed job and in the trace.
	assert_eq "$id|$id" "$(sql "SELECT operation_id, payload->>'operation_id' FROM installation_events WHERE event = 'auth_attempt.404'")" "auth_attempt.404 row"
	assert_eq "failed|$id" "$(sql "SELECT status, failure_info->>'operation_id' FROM jobs WHERE job_id = 710001")" "failed job"
	op_get /trace/installation/6001
	assert_status 200
	assert_json '.events[] | select(.event == "auth_attempt.404") | .operation_id' "$id"
	assert_json '[.events[] | select(.event != "auth_attempt.404") | has("operation_id")] | any' false
	# /healthz says when the last auth check ended and that it failed.
	http GET /healthz
	assert_status 200
	assert_json '.auth_check.failed' true
	assert_json '.auth_check.operation_id' "$id"
	assert_json ".auth_check.completed_at == \"$(sql "SELECT to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM operations WHERE id = $id")\"" true
	ac_run
	http GET /healthz
	assert_json '.auth_check.failed' false
}

# ops_runs N: N auth check runs with nothing to check (one operation each).
ops_runs() {
	local i
	for i in $(seq 1 "$1"); do
		ac_run
		assert_eq 0 "$RC" "exit status of run $i"
	done
}

test_ops_filters_and_cursor() {
	local failed all walked cursor page
	ops_reset
	ac_env
	ac_fake_start --answer 6101:404
	ac_queue 711001 6101 Organization 38302899 Octocoders Octocoders/one
	ac_run
	failed=$(sql "SELECT max(id) FROM operations")
	ac_queue 711002 6102 Organization 38302899 Octocoders Octocoders/two
	ops_runs 5
	# One operation a day old: since/until see it moved.
	sql "UPDATE operations SET started_at = now() - interval '20 hours' WHERE id = $failed" >/dev/null
	op_get '/operations?status=failed'
	assert_json '[.operations[].id] | join(",")' "$failed"
	op_get '/operations?status=completed&type=auth_check'
	assert_json '.operations | length' 5
	op_get '/operations?type=redeliver'
	assert_json '.operations | length' 0
	op_get '/operations?installation_id=6101'
	assert_json '[.operations[].id] | join(",")' "$failed"
	op_get '/operations?installation_id=6102'
	assert_json '.operations | length' 1
	op_get '/operations?entity_id=38302899'
	assert_json '.operations | length' 2
	op_get '/operations?since=1h'
	assert_json '.operations | length' 5
	op_get '/operations?until=1h'
	assert_json '[.operations[].id] | join(",")' "$failed"
	# Newest first; a walk of pages of 2 gives every id once.
	op_get '/operations'
	all=$(printf '%s' "$BODY" | jq -c '[.operations[].id]')
	assert_eq 6 "$(jq length <<<"$all")" "all operations"
	assert_eq "$(jq -c 'sort | reverse' <<<"$all")" "$all" "newest first"
	walked='[]'
	cursor=""
	for _ in 1 2 3 4; do
		op_get "/operations?limit=2${cursor:+&cursor=$cursor}"
		assert_status 200
		page=$(printf '%s' "$BODY" | jq -c '[.operations[].id]')
		walked=$(jq -c --argjson p "$page" '. + $p' <<<"$walked")
		cursor=$(printf '%s' "$BODY" | jq -r '.next_cursor // empty')
		[ -n "$cursor" ] || break
	done
	assert_eq "$all" "$walked" "the cursor walk"
	assert_eq "" "$cursor" "the last page has no next_cursor"
}

test_ops_killed_run_is_abandoned() {
	local pid first
	ops_reset
	ac_env
	ac_fake_start --latency-ms 20000
	ac_queue 712001 6201 Organization 38302899 Octocoders Octocoders/one
	"$AC_BIN" >/dev/null 2>&1 &
	pid=$!
	# GET /app waits too: the run is killed before any step ends.
	for _ in $(seq 1 100); do
		[ "$(sql "SELECT count(*) FROM operations WHERE status = 'running'")" = 1 ] && break
		sleep 0.1
	done
	first=$(sql "SELECT id FROM operations WHERE status = 'running'")
	[ -n "$first" ] || { fail "no running operation"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	assert_eq running "$(sql "SELECT status FROM operations WHERE id = $first")" "left running by the dead run"
	kill "$AC_FAKE_PID"
	wait "$AC_FAKE_PID" 2>/dev/null
	ac_fake_start
	ac_run
	assert_eq 0 "$RC" "the next run"
	assert_eq "failed|abandoned|t" "$(sql "SELECT status, error, completed_at IS NOT NULL FROM operations WHERE id = $first")" "the dead run's operation"
	assert_eq completed "$(sql "SELECT status FROM operations WHERE id > $first")" "the next run's own"
	op_get "/operations?status=failed&type=auth_check"
	assert_json '.operations[0].error' abandoned
}

test_ops_signed_invalid_body_is_a_delivery_operation() {
	local f id rid
	ops_reset
	f=$(fixture_edit workflow_job.queued 'del(.installation)')
	deliver workflow_job "$f" "" -D "$TEST_TMP/dh"
	assert_status 400
	id=$(printf '%s' "$BODY" | jq -r .id)
	rid=$(tr -d '\r' <"$TEST_TMP/dh" | sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: //p')
	op_get "/operations?type=delivery"
	assert_json '.operations | length' 1
	assert_json '.operations[0].status' failed
	assert_json '.operations[0].external_ref' "$LAST_DELIVERY"
	assert_json '.operations[0].request_id' "$rid"
	assert_json '.operations[0].steps_summary' "verify ✓ → parse ✗ → log row ✓"
	op_get "/operations/$(printf '%s' "$BODY" | jq -r '.operations[0].id')"
	assert_json '.steps[1].error' "invalid payload"
	assert_json '.steps[1].error_detail | length > 0' true
	assert_json '.output.event_id' "$id"
	assert_json '.output.outcome' invalid_payload
	# A delivery answered 200 leaves no operation.
	deliver ping "$(fixture ping)"
	assert_status 200
	assert_eq 1 "$(sql "SELECT count(*) FROM operations")" "operations"
}

test_ops_request_id_is_on_the_row() {
	local rid id
	ops_reset
	deliver ping "$(fixture ping)" "" -D "$TEST_TMP/dh"
	assert_status 200
	id=$(printf '%s' "$BODY" | jq -r .id)
	rid=$(tr -d '\r' <"$TEST_TMP/dh" | sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: //p')
	[[ "$rid" =~ ^[0-9a-f]{32}$ ]] || fail "X-Request-ID: '$rid'"
	assert_eq "$rid" "$(sql "SELECT request_id FROM installation_events WHERE id = $id")" "the row's request_id"
	# Every route answers one, errors too.
	http GET /operations
	assert_status 401
	grep -qi '^x-request-id: [0-9a-f]\{32\}' <<<"$HEADERS" || fail "no X-Request-ID on a 401"
}

# A delivery spooled while installation_events is locked (past
# lock_timeout: the statement never commits) gets its row from the
# replayer, with the request id the webhook answered it with.
test_ops_spooled_delivery_keeps_its_request_id() {
	local rid
	trap '[ -n "${LOCKER:-}" ] && kill "$LOCKER" 2>/dev/null; wait' EXIT
	lock_events 4
	deliver ping "$(fixture ping)" "" -D "$TEST_TMP/dh"
	assert_status 202
	rid=$(tr -d '\r' <"$TEST_TMP/dh" | sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: //p')
	[[ "$rid" =~ ^[0-9a-f]{32}$ ]] || fail "X-Request-ID: '$rid'"
	wait "$LOCKER"
	spool_drain 30
	assert_eq "1|$rid" "$(sql "SELECT count(*), max(request_id) FROM installation_events WHERE delivery_id = '$LAST_DELIVERY'")" \
	    "the replayed row's request_id"
}

test_ops_bad_parameters_are_400() {
	local q
	for q in status=done status= type=Auth type=a-b since=yesterday \
	    until=2026-13-01 installation_id=0 installation_id=-1 \
	    installation_id=x entity_id=0 limit=0 limit=501 limit=x \
	    cursor=0 cursor=abc; do
		op_get "/operations?$q"
		assert_status 400
		assert_json '.error | length > 0' true
	done
	for q in 0 -1 abc 1x; do
		op_get "/operations/$q"
		assert_status 400
	done
	op_get /operations/999999999
	assert_status 404
	http POST /operations -H "$OP_AUTH"
	assert_status 405
	http GET /operations/1 -H "Authorization: Bearer wrong"
	assert_status 401
	grep -qi '^www-authenticate: bearer' <<<"$HEADERS" || fail "no WWW-Authenticate"
	op_get '/operations?limit=500'
	assert_status 200
}

test_ops_retention_drops_only_what_is_past_the_limit() {
	local old young out id
	ops_reset
	# Days back to 40, and a row on each side of the 30-day limit: the
	# day 31 days back ended 30 days ago (dropped), the day 30 days back
	# ended 29 days ago (kept).
	sql "SELECT instlog_operations_ensure_partitions(0, 40)" >/dev/null
	old=operations_$(date -u -d '31 days ago' +%Y%m%d)
	young=operations_$(date -u -d '30 days ago' +%Y%m%d)
	sql "INSERT INTO operations (type, status, started_at) VALUES
	    ('auth_check', 'completed', (((now() AT TIME ZONE 'UTC')::date - 31) + time '12:00') AT TIME ZONE 'UTC'),
	    ('auth_check', 'completed', (((now() AT TIME ZONE 'UTC')::date - 30) + time '00:00:01') AT TIME ZONE 'UTC')" >/dev/null
	assert_eq 1 "$(sql "SELECT count(*) FROM $old")" "a row in the old partition"
	out=$(INSTLOG_OPERATIONS_RETENTION_DAYS=30 "$TOP/build/bin/maintenance" 2>&1)
	assert_eq 0 "$?" "exit status ($out)"
	assert_eq "" "$(sql "SELECT to_regclass('$old')")" "the old partition"
	assert_eq "" "$(sql "SELECT to_regclass('operations_$(date -u -d '40 days ago' +%Y%m%d)')")" "the oldest partition"
	assert_eq "$young" "$(sql "SELECT to_regclass('$young')")" "the young partition"
	assert_eq 1 "$(sql "SELECT count(*) FROM $young")" "the young row"
	assert_eq 0 "$(sql "SELECT count(*) FROM operations WHERE started_at < now() - interval '31 days'")" "old rows"
	# The run is an operation that names what it dropped.
	id=$(sql "SELECT max(id) FROM operations WHERE type = 'maintenance'")
	op_get "/operations/$id"
	assert_json '.status' completed
	assert_json '.steps | map(.name) | join(",")' "installation_events partitions,operations partitions,retention,notifications retention"
	assert_json ".output.dropped | index(\"$old\") != null" true
	assert_json ".output.dropped | index(\"$young\") == null" true
	assert_json '.output.keep_days' 30
	assert_eq 7 "$(sql "SELECT count(*) FROM pg_class WHERE relname IN ($(for d in 1 2 3 4 5 6 7; do printf "'operations_%s'," "$(date -u -d "$d days" +%Y%m%d)"; done | sed 's/,$//'))")" "partitions a week ahead"
	INSTLOG_OPERATIONS_RETENTION_DAYS=0 "$TOP/build/bin/maintenance" >/dev/null 2>&1
	assert_eq 2 "$?" "exit status of a bad retention"
}

test_ops_cli_list_and_one_operation() {
	local id out line cli=$TOP/build/bin/instlog-trace
	ops_failed_run 6300 713001
	id=$(sql "SELECT max(id) FROM operations")
	out=$("$cli" --operations --status failed --type auth_check --since 1h 2>&1)
	assert_eq 0 "$?" "exit status ($out)"
	# One line of 100 columns at most: the error is cut (where depends
	# on the width the id takes).
	line=$(grep -E "^ *$id  auth_check  failed  [0-9-]+ [0-9:]+ +[0-9.]+ m?s  6301: HTTP 404: Not Found; 1 pending jobs[ a-z]*…$" <<<"$out") ||
	    fail "list: $out"
	[ "${#line}" -eq 100 ] || fail "the cut line is ${#line} columns, not 100: '$line'"
	out=$("$cli" --operation "$id" 2>&1)
	assert_eq 0 "$?" "exit status ($out)"
	grep -q "^operation $id auth_check: failed$" <<<"$out" || fail "title: $out"
	grep -Eq '^  ✗ 6301 +[0-9]+ ms  HTTP 404: Not Found; 1 pending jobs failed$' <<<"$out" || fail "failed step: $out"
	grep -q '^      output: {' <<<"$out" || fail "failed step's output: $out"
	grep -q '"jobs_failed":\[713001\]' <<<"$(tr -d '\n ' <<<"$out")" || fail "the failed jobs: $out"
	grep -q '^      {"message":"Not Found","documentation_url":' <<<"$out" ||
	    fail "GitHub's body, indented: $out"
	while IFS= read -r line; do
		[ "${#line}" -le 100 ] || fail "a line over 100 columns: '$line'"
	done <<<"$out"
	grep -q 'create-an-installation-access-token-for-an-app","status":"404"}' <<<"$(sed 's/^ *//' <<<"$out" | tr -d '\n')" ||
	    fail "GitHub's whole body, broken at 100 columns: $out"
	grep -Eq '^  ✓ 6302 +[0-9]+ ms  \{"http_status":201,' <<<"$out" || fail "the success: $out"
	# --json is the server's document, as received.
	http GET "/operations/$id" -H "$OP_AUTH"
	assert_eq "$(printf '%s' "$BODY")" "$("$cli" --operation "$id" --json)" "--json"
	# The auth_attempt row of the trace table names the operation.
	out=$("$cli" --installation-id 6301 2>&1)
	grep -Eq "auth_attempt\.404 +auth_404 +Coderto… +op:$id" <<<"$out" || fail "trace row: $out"
	"$cli" --operation 999999999 >/dev/null 2>&1
	assert_eq 4 "$?" "unknown operation"
	"$cli" --entity-id 1 --status failed >/dev/null 2>&1
	assert_eq 2 "$?" "--status without --operations"
	"$cli" --operations --dedupe >/dev/null 2>&1
	assert_eq 2 "$?" "--dedupe with --operations"
	"$cli" --operations --status bogus >/dev/null 2>&1
	assert_eq 2 "$?" "a status the server refuses"
}
