#!/bin/bash
# SPDX-License-Identifier: MIT
# cron/notify against two fake_receiver sinks on loopback (the gateway one
# verifies X-Instlog-Signature-256 with the shared secret and refuses a
# bad one), the real PostgreSQL and the real webhook: each announced event
# once, signed, with its actor; nothing twice; a dead receiver loses
# nothing; one notification per installation and cause until healthy (the
# causes of DESIGN §13 from real auth-check runs, each named); the
# repository and marketplace deliveries; a late-committed row; failed
# operations; the Slack body; bad configuration.

NT_BIN=$TOP/build/bin/notify
NT_RECEIVER=$TOP/build/tests/fake_receiver

# nt_reset: an empty log and no notification; failed operations of other
# tests are history (op_floor), as they are for a new deployment.
nt_reset() {
	db_reset
	sql "TRUNCATE notifications, notification_sends RESTART IDENTITY;
	    UPDATE notify_cursor SET settled_id = 0, seen_id = NULL,
	    pending_id = NULL, pending_xmax = NULL,
	    op_floor = (SELECT coalesce(max(id), 0) FROM operations)" >/dev/null
	unset INSTLOG_NOTIFY_URL INSTLOG_NOTIFY_SECRET INSTLOG_NOTIFY_SECRET_FILE
	unset INSTLOG_SLACK_WEBHOOK_URL INSTLOG_SLACK_WEBHOOK_URL_FILE
	unset INSTLOG_PUBLIC_URL INSTLOG_NOTIFY_BACKOFF_SECONDS
}

# nt_receiver NAME [PORT] [fake_receiver args...]: start a receiver that
# logs to $TEST_TMP/NAME.log; sets NT_PORT.  Killed at exit.
nt_receiver() {
	local name=$1 port=${2:-0}
	shift 2 2>/dev/null || shift $#
	# Emptied first: listening_port must not read an earlier receiver's
	# port while this one is still starting.
	: >"$TEST_TMP/$name.out"
	"$NT_RECEIVER" --port "$port" --log "$TEST_TMP/$name.log" "$@" \
	    >"$TEST_TMP/$name.out" 2>&1 &
	eval "NT_PID_$name=$!"
	NT_PIDS="${NT_PIDS:-} $!"
	trap 'kill $NT_PIDS 2>/dev/null; wait $NT_PIDS 2>/dev/null' EXIT
	NT_PORT=$(listening_port "$TEST_TMP/$name.out" fake_receiver) ||
	    { fail "fake_receiver $name did not start: $(cat "$TEST_TMP/$name.out")"; return 1; }
}

# nt_stop NAME: stop receiver NAME (the sink is down).
nt_stop() {
	local pid_var="NT_PID_$1"
	kill "${!pid_var}" 2>/dev/null
	wait "${!pid_var}" 2>/dev/null
	: >"$TEST_TMP/$1.out"
}

# nt_sinks: both sinks on fresh receivers, the secret in a file, the
# page's URL for the links.
nt_sinks() {
	NT_SECRET=nt-secret-$RANDOM$RANDOM
	printf '%s\n' "$NT_SECRET" >"$TEST_TMP/notify_secret"
	: >"$TEST_TMP/gateway.log"
	: >"$TEST_TMP/slack.log"
	nt_receiver gateway 0 --secret-file "$TEST_TMP/notify_secret" \
	    --status-file "$TEST_TMP/gateway.status" || return 1
	NT_GATEWAY_PORT=$NT_PORT
	nt_receiver slack 0 || return 1
	export INSTLOG_NOTIFY_URL=http://127.0.0.1:$NT_GATEWAY_PORT/events
	export INSTLOG_NOTIFY_SECRET_FILE=$TEST_TMP/notify_secret
	export INSTLOG_SLACK_WEBHOOK_URL=http://127.0.0.1:$NT_PORT/services/T0/B0/s3cr3t
	export INSTLOG_PUBLIC_URL=$INSTLOG_URL
}

# nt_run: one notify run; sets RC, OUT and ERR.
nt_run() {
	"$NT_BIN" >"$TEST_TMP/nt.out" 2>"$TEST_TMP/nt.err"
	RC=$?
	OUT=$(cat "$TEST_TMP/nt.out")
	ERR=$(cat "$TEST_TMP/nt.err")
}

# nt_notified SINK RESULT: instlog_notifications_total of that pair on a
# fresh GET /metrics (0 when absent), the page passing promtool.
nt_notified() {
	local out
	http GET /metrics
	assert_status 200
	out=$(promtool check metrics <<<"$BODY" 2>&1) ||
	    fail "promtool check metrics: $out"
	awk -v s="instlog_notifications_total{sink=\"$1\",result=\"$2\"}" \
	    '$1 == s { print $2; f = 1 } END { if (!f) print 0 }' <<<"$BODY"
}

# nt_counted SINK RESULT BEFORE N: that pair is now BEFORE + N.
nt_counted() {
	assert_eq "$(($3 + $4))" "$(nt_notified "$1" "$2")" \
	    "instlog_notifications_total $1 $2"
}

# nt_summary COUNTS: the last run printed "notify: COUNTS ms=N".
nt_summary() {
	[[ "$OUT" =~ ^notify:\ (.*)\ ms=[0-9]+$ ]] ||
	    { fail "no summary line: '$OUT' (stderr: $ERR)"; return 1; }
	assert_eq "$1" "${BASH_REMATCH[1]}" "summary" || echo "stderr: $ERR" >&2
}

# nt_got SINK JQ: jq -r JQ over the bodies SINK accepted, one per line.
nt_got() {
	jq -r '.body' "$TEST_TMP/$1.log" | jq -rc "$2"
}

# nt_row EVENT: the id of the only row of EVENT.
nt_row() { sql "SELECT id FROM installation_events WHERE event = '$1'"; }

# The installation_repositories.removed and installation_target.renamed
# bodies: no published example; built from fixtures as their schemas say
# (as test_trace does).
nt_removed() {
	fixture_edit installation_repositories.added '.action = "removed"
	    | .repositories_removed = .repositories_added
	    | .repositories_added = []'
}

nt_renamed() {
	fixture_edit installation.created '{action: "renamed",
	    target_type: "User", account: (.installation.account
	    | .login = "Codertocat-new"), changes: {login: {from:
	    "Codertocat"}}, installation: {id: .installation.id,
	    node_id: .installation.node_id}, sender: .sender}'
}

# nt_lifecycle: deliver installation.created, deleted, suspend and
# unsuspend, in that order.
nt_lifecycle() {
	local a
	for a in created deleted suspend unsuspend; do
		deliver installation "$(fixture "installation.$a")"
	done
}

test_notify_each_event_once_signed_with_its_actor() {
	local want got f
	nt_reset
	nt_sinks || return 1
	nt_lifecycle
	deliver installation_repositories "$(nt_removed)"
	deliver installation_target "$(nt_renamed)"
	assert_status 200
	# Not announced: a job, an added repository, a ping.
	deliver workflow_job "$(fixture workflow_job.queued)"
	deliver installation_repositories "$(fixture installation_repositories.added)"
	deliver ping "$(fixture ping)"
	nt_run
	assert_eq 0 "$RC" "exit status"
	nt_summary "sinks=2 queued=6 repeats=0 attempted=12 sent=12 failed=0 given_up=0 abandoned=0"
	assert_eq "" "$ERR" "stderr"
	want="installation.created Codertocat
installation.deleted octocat
installation.suspend Codertocat
installation.unsuspend Codertocat
installation_repositories.removed Codertocat
installation_target.renamed Codertocat"
	# Sent at once, they arrive in any order.
	assert_eq "$want" "$(nt_got gateway '"\(.action) \(.actor)"' | sort)" "gateway events and actors"
	assert_eq "instlog.event/v1" "$(nt_got gateway .schema | sort -u)" "schema"
	# The members of the schema, in its order, and nothing else.
	assert_eq '["schema","id","occurred_at","action","reason","cause","installation_id","app_id","entity","actor","repo","operation_id","trace_url"]' \
	    "$(nt_got gateway 'keys_unsorted' | sort -u)" "members"
	# The id is the row's, in the body and the header alike.
	assert_eq "ev-$(nt_row installation.deleted)" \
	    "$(nt_got gateway 'select(.action == "installation.deleted") | .id')" "id"
	assert_eq "$(jq -r '.body | fromjson | .id' "$TEST_TMP/gateway.log")" \
	    "$(jq -r .event_id "$TEST_TMP/gateway.log")" "X-Instlog-Event-ID"
	assert_eq "uninstalled by octocat|2|5725|1|octocat|User|$INSTLOG_URL/ui/#/entity/1" \
	    "$(nt_got gateway 'select(.action == "installation.deleted") | "\(.reason)|\(.installation_id)|\(.app_id)|\(.entity.id)|\(.entity.login)|\(.entity.type)|\(.trace_url)"')" \
	    "deleted document"
	assert_eq "Codertocat/Space removed by Codertocat|Codertocat/Space" \
	    "$(nt_got gateway 'select(.action == "installation_repositories.removed") | "\(.reason)|\(.repo)"')" "removed"
	assert_eq "renamed from Codertocat to Codertocat-new by Codertocat" \
	    "$(nt_got gateway 'select(.action == "installation_target.renamed") | .reason')" "renamed"
	# Every signature is the HMAC of the exact bytes received.
	while IFS= read -r f; do
		got=$(jq -r .signature <<<"$f")
		want=sha256=$(jq -j .body <<<"$f" | openssl dgst -sha256 -hmac "$NT_SECRET" -r | cut -d' ' -f1)
		assert_eq "$want" "$got" "signature"
	done <"$TEST_TMP/gateway.log"
	assert_eq 6 "$(wc -l <"$TEST_TMP/slack.log")" "Slack messages"

	# A second run sends nothing new; a redelivery is no new event.
	deliver installation "$(fixture installation.deleted)" \
	    "$(sql "SELECT delivery_id FROM installation_events WHERE event = 'installation.deleted'")"
	assert_status 200
	nt_run
	assert_eq 0 "$RC" "second exit status"
	nt_summary "sinks=2 queued=0 repeats=0 attempted=0 sent=0 failed=0 given_up=0 abandoned=0"
	assert_eq 6 "$(wc -l <"$TEST_TMP/gateway.log")" "gateway events after the second run"
	assert_eq 6 "$(wc -l <"$TEST_TMP/slack.log")" "Slack messages after the second run"
}

test_notify_slack_body_shape() {
	nt_reset
	nt_sinks || return 1
	deliver installation "$(fixture installation.deleted)"
	nt_run
	assert_eq 0 "$RC" "exit status"
	assert_eq '["text"]' "$(nt_got slack 'keys | tostring')" "members"
	assert_eq "installation.deleted octocat (User 1): uninstalled by octocat <$INSTLOG_URL/ui/#/entity/1|trace>" \
	    "$(nt_got slack .text)" "text"
	assert_eq "application/json" "$(jq -r .content_type "$TEST_TMP/slack.log")" "content type"
	assert_eq "/services/T0/B0/s3cr3t" "$(jq -r .path "$TEST_TMP/slack.log")" "path"
}

# nt_wait_due: wait until every pending send is due.
nt_wait_due() {
	for _ in $(seq 1 200); do
		[ "$(sql "SELECT count(*) FROM notification_sends WHERE sent_at IS NULL AND next_attempt_at > now()")" = 0 ] && return 0
		sleep 0.1
	done
	fail "sends not due after 20 s"
}

# nt_suspend_with_down SINK BACKOFF: fresh sinks but SINK stopped, the
# first retry BACKOFF seconds after a failure, and installation.suspend
# delivered; NT_KEY is its event id.
nt_suspend_with_down() {
	nt_reset
	nt_sinks || return 1
	export INSTLOG_NOTIFY_BACKOFF_SECONDS=$2
	nt_stop "$1"
	deliver installation "$(fixture installation.suspend)"
	NT_KEY=ev-$(nt_row installation.suspend)
}

test_notify_dead_receiver_loses_nothing() {
	local key gf gs sf ss
	nt_suspend_with_down gateway 2 || return 1
	key=$NT_KEY
	gf=$(nt_notified gateway failed)
	gs=$(nt_notified gateway sent)
	sf=$(nt_notified slack failed)
	ss=$(nt_notified slack sent)
	nt_run
	assert_eq 1 "$RC" "exit status with the gateway down"
	nt_summary "sinks=2 queued=1 repeats=0 attempted=2 sent=1 failed=1 given_up=0 abandoned=0"
	# /metrics counts each attempt by sink and how it ended.
	nt_counted gateway failed "$gf" 1
	nt_counted gateway sent "$gs" 0
	nt_counted slack sent "$ss" 1
	nt_counted slack failed "$sf" 0
	[[ "$ERR" == *"gateway $key installation.suspend: "*"again in 2 s"* ]] ||
	    fail "stderr does not name the failed send: $ERR"
	assert_eq 1 "$(wc -l <"$TEST_TMP/slack.log")" "Slack got it all the same"
	# The failure is recorded: the send, and a failed step of the run.
	assert_eq "1|t|2" "$(sql "SELECT attempts, last_error LIKE '%onnect%', extract(epoch FROM next_attempt_at - last_attempt_at)::int FROM notification_sends WHERE sink = 'gateway'")" "send state"
	http GET '/operations?type=notify&status=failed' -H "Authorization: Bearer $TRACE_API_SECRET"
	assert_status 200
	# The newest first: this run's.
	assert_json '.operations[0].steps_summary' "gateway $key installation.suspend ✗ → slack $key installation.suspend ✓"
	# Back, but answering 500: a second failed attempt, 4 s later this time.
	nt_receiver gateway "$NT_GATEWAY_PORT" --secret-file "$TEST_TMP/notify_secret" \
	    --status-file "$TEST_TMP/gateway.status" || return 1
	echo 500 >"$TEST_TMP/gateway.status"
	nt_wait_due
	nt_run
	assert_eq 1 "$RC" "exit status with the gateway failing"
	nt_summary "sinks=2 queued=0 repeats=0 attempted=1 sent=0 failed=1 given_up=0 abandoned=0"
	nt_counted gateway failed "$gf" 2
	assert_eq "POST /events status=500 event_id=$key" "$(grep '^POST' "$TEST_TMP/gateway.out")" "the 500"
	assert_eq "2|500|HTTP 500|4" "$(sql "SELECT attempts, last_status, last_error, extract(epoch FROM next_attempt_at - last_attempt_at)::int FROM notification_sends WHERE sink = 'gateway'")" "send state after the 500"
	# Healthy: it arrives once, with the same id.
	rm -f "$TEST_TMP/gateway.status"
	nt_wait_due
	nt_run
	assert_eq 0 "$RC" "exit status when back"
	nt_summary "sinks=2 queued=0 repeats=0 attempted=1 sent=1 failed=0 given_up=0 abandoned=0"
	nt_counted gateway sent "$gs" 1
	nt_counted gateway failed "$gf" 2
	nt_counted slack sent "$ss" 1
	assert_eq "$key|$key|installation.suspend" "$(jq -r '"\(.event_id)|\(.body | fromjson | .id)|\(.body | fromjson | .action)"' "$TEST_TMP/gateway.log")" "delivered once"
	nt_run
	assert_eq 0 "$RC" "exit status after"
	assert_eq 1 "$(wc -l <"$TEST_TMP/gateway.log")" "still once"
	# notify's own failed runs are not announced (their sinks are the ones failing).
	assert_eq 0 "$(sql "SELECT count(*) FROM notifications WHERE action = 'operation.failed'")" "no operation.failed for notify"
}

test_notify_gives_up_after_24_hours() {
	local gf gg
	nt_reset
	nt_sinks || return 1
	echo 503 >"$TEST_TMP/gateway.status"
	deliver installation "$(fixture installation.deleted)"
	nt_run
	assert_eq 1 "$RC" "exit status"
	# A day has passed since it was queued: the next failure is the last.
	sql "UPDATE notifications SET created_at = now() - interval '24 hours';
	    UPDATE notification_sends SET next_attempt_at = now()" >/dev/null
	gf=$(nt_notified gateway failed)
	gg=$(nt_notified gateway given_up)
	nt_run
	assert_eq 1 "$RC" "exit status of the last attempt"
	nt_summary "sinks=2 queued=0 repeats=0 attempted=1 sent=0 failed=1 given_up=1 abandoned=0"
	# The last attempt counts as given up, not failed.
	nt_counted gateway given_up "$gg" 1
	nt_counted gateway failed "$gf" 0
	assert_eq "2|t|HTTP 503, given up" "$(sql "SELECT attempts, given_up_at IS NOT NULL, last_error FROM notification_sends WHERE sink = 'gateway'")" "given up"
	rm -f "$TEST_TMP/gateway.status"
	nt_run
	assert_eq 0 "$RC" "exit status after"
	nt_summary "sinks=2 queued=0 repeats=0 attempted=0 sent=0 failed=0 given_up=0 abandoned=0"
}

# The auth check against fake_github, with its suite's helpers (loaded in
# this test's subshell only).
nt_auth_check() {
	. "$HERE/test_auth_check.sh"
	ac_env
}

# nt_github ANSWER: (re)start fake_github answering ANSWER
# (INSTALLATION:STATUS) to access_tokens.
nt_github() {
	[ -n "${AC_FAKE_PID:-}" ] && { kill "$AC_FAKE_PID"; wait "$AC_FAKE_PID"; } 2>/dev/null
	ac_fake_start --answer "$1"
	trap 'kill $NT_PIDS $AC_FAKE_PID 2>/dev/null; wait $NT_PIDS $AC_FAKE_PID 2>/dev/null' EXIT
}

test_notify_one_auth_failure_per_installation_and_cause_until_healthy() {
	nt_reset
	nt_sinks || return 1
	nt_auth_check
	nt_github 5001:404
	# Three runs, three refusals of installation 5001: three rows.
	for j in 1 2 3; do
		ac_queue 71000$j 5001 Organization 38302899 Octocoders Octocoders/one
		ac_run
	done
	assert_eq 3 "$(sql "SELECT count(*) FROM installation_events WHERE event = 'auth_attempt.404' AND installation_id = 5001")" "404 rows"
	nt_run
	assert_eq 0 "$RC" "exit status"
	assert_eq "auth_attempt.404|GitHub answered 404 to the app 101 token request|5001|101|Octocoders/one|null" \
	    "$(nt_got gateway 'select(.action == "auth_attempt.404") | "\(.action)|\(.reason)|\(.installation_id)|\(.app_id)|\(.repo)|\(.actor)"')" \
	    "one notification for three rows"
	assert_eq 2 "$(sql "SELECT count(*) FROM notifications WHERE repeat_of IS NOT NULL")" "two repeats remembered"
	# Another cause is announced apart: GitHub failing (500).
	nt_github 5001:500
	ac_queue 710004 5001 Organization 38302899 Octocoders Octocoders/one
	ac_run
	ac_run
	nt_run
	assert_eq "1 1" "$(echo $(nt_got gateway 'select(.action | startswith("auth_attempt")) | .action' | sort | uniq -c | awk '{print $1}'))" "one per cause"
	assert_eq "GitHub answered 500 to the app 101 token request" \
	    "$(nt_got gateway 'select(.action == "auth_attempt.other_error") | .reason')" "other_error reason"
	# Healthy again: GitHub gives a token.  The next 404 is news.
	nt_github 5001:201
	ac_run
	assert_eq 1 "$(sql "SELECT count(*) FROM auth_cache WHERE installation_id = 5001 AND ok_at IS NOT NULL")" "success recorded"
	sql "UPDATE auth_cache SET ok_until = now() - interval '1 minute'" >/dev/null
	nt_github 5001:404
	ac_run
	nt_run
	assert_eq 0 "$RC" "exit status after the new 404"
	assert_eq 2 "$(nt_got gateway 'select(.action == "auth_attempt.404") | .id' | sort -u | wc -l)" "a second 404 notification"
	assert_eq 4 "$(sql "SELECT count(*) FROM installation_events WHERE event = 'auth_attempt.404'")" "404 rows in all"
}

# nt_auth_counts: "announced|repeats" of the auth failures stored (the
# failed auth_check operations are announced too: not counted here).
nt_auth_counts() {
	sql "SELECT count(*) FILTER (WHERE repeat_of IS NULL) || '|' ||
	    count(*) FILTER (WHERE repeat_of IS NOT NULL) FROM notifications
	    WHERE action LIKE 'auth_attempt.%'"
}

# nt_causes: "installation action cause" of each gateway document of an
# auth failure, sorted.
nt_causes() {
	nt_got gateway 'select(.action | startswith("auth_attempt")) | "\(.installation_id) \(.action) \(.cause)"' | sort
}

# The status causes of DESIGN §13 from real auth-check runs, each
# announced once with its cause, in the document and the Slack line; a
# plain 403 has none and is announced as before.
test_notify_auth_causes_announced_once_each() {
	local want i
	nt_reset
	nt_sinks || return 1
	nt_auth_check
	ac_fake_start --answer 8101:401 --rate-limit 8102 --answer 8103:429 \
	    --answer 8104:503 --answer 8105:403
	trap 'kill $NT_PIDS $AC_FAKE_PID 2>/dev/null; wait $NT_PIDS $AC_FAKE_PID 2>/dev/null' EXIT
	# Installation 810N, account 910N "org-N", job 80010N.
	for i in 1 2 3 4 5; do
		ac_queue 80010$i 810$i Organization 910$i org-$i org-$i/r
	done
	# Two runs: each installation fails twice.
	ac_run
	ac_run
	assert_eq 10 "$(ac_scheduler_rows)" "two failure rows each"
	nt_run
	assert_eq 0 "$RC" "exit status"
	assert_eq "5|5" "$(nt_auth_counts)" "announced|repeats"
	want="8101 auth_attempt.other_error bad_credentials
8102 auth_attempt.other_error rate_limited
8103 auth_attempt.other_error rate_limited
8104 auth_attempt.other_error github_unavailable
8105 auth_attempt.other_error null"
	assert_eq "$want" "$(nt_causes)" "one per installation, with its cause"
	assert_eq "bad_credentials|bad_credentials" \
	    "$(sql "SELECT string_agg(DISTINCT cause, ',') FROM notifications WHERE installation_id = 8101")|$(sql "SELECT cause FROM notifications WHERE installation_id = 8101 AND repeat_of IS NULL")" \
	    "the cause stored, repeat and all"
	assert_eq "auth_attempt.other_error org-4 (Organization 9104): GitHub answered 503 to the app 101 token request (cause: github_unavailable) <$INSTLOG_URL/ui/#/entity/9104|trace>" \
	    "$(nt_got slack .text | grep -F 'org-4 ')" "Slack line names the cause"
	assert_eq 0 "$(nt_got slack .text | grep -F 'org-5 ' | grep -c 'cause:')" "no cause in the plain 403's line"
}

# One installation through the causes: a second 503 is a repeat, and so
# is GitHub unreached (the same cause); a 401 after them is news; healthy
# again (a token), the next 503 is news.
test_notify_auth_cause_change_and_recovery_announced() {
	local ids
	nt_reset
	nt_sinks || return 1
	nt_auth_check
	nt_github 5001:503
	ac_queue 710001 5001 Organization 38302899 Octocoders Octocoders/one
	ac_run
	ac_run
	nt_run
	assert_eq 0 "$RC" "exit status"
	assert_eq "1|1" "$(nt_auth_counts)" "announced|repeats"
	assert_eq "5001 auth_attempt.other_error github_unavailable" "$(nt_causes)" "the first 503"
	# GitHub unreached: a transport failure, the same cause.
	kill "$AC_FAKE_PID" 2>/dev/null
	wait "$AC_FAKE_PID" 2>/dev/null
	AC_FAKE_PID=
	export GITHUB_API_URL=http://127.0.0.1:9
	ac_run
	assert_eq 1 "$(sql "SELECT count(*) FROM installation_events WHERE event = 'auth_attempt.transport_error'")" "transport row"
	nt_run
	assert_eq "1|2" "$(nt_auth_counts)" "announced|repeats"
	# A 401 after them: another cause.
	nt_github 5001:401
	ac_run
	ac_run
	nt_run
	assert_eq "2|3" "$(nt_auth_counts)" "announced|repeats"
	assert_eq "5001 auth_attempt.other_error bad_credentials
5001 auth_attempt.other_error github_unavailable" "$(nt_causes)" "the 401 announced"
	# Healthy again, then a 503: announced again.
	nt_github 5001:201
	ac_run
	assert_eq 1 "$(sql "SELECT count(*) FROM auth_cache WHERE installation_id = 5001 AND ok_at IS NOT NULL")" "success recorded"
	sql "UPDATE auth_cache SET ok_until = now() - interval '1 minute'" >/dev/null
	nt_github 5001:503
	ac_run
	nt_run
	assert_eq "3|3" "$(nt_auth_counts)" "announced|repeats"
	assert_eq "5001 auth_attempt.other_error bad_credentials
5001 auth_attempt.other_error github_unavailable
5001 auth_attempt.other_error github_unavailable" "$(nt_causes)" "after recovery"
	ids=$(nt_got gateway 'select(.cause == "github_unavailable") | .id' | sort -u | wc -l)
	assert_eq 2 "$ids" "two github_unavailable notifications, two ids"
}

# A notification stored before sql/019 has no cause: it keeps its action
# as its key, so that it still makes a later failure of no cause a
# repeat, and no failure with a cause.
test_notify_auth_failure_before_causes_dedupes_by_action() {
	nt_reset
	nt_sinks || return 1
	nt_auth_check
	nt_github 5001:403
	ac_queue 710001 5001 Organization 38302899 Octocoders Octocoders/one
	ac_run
	nt_run
	assert_eq "5001 auth_attempt.other_error null" "$(nt_causes)" "a plain 403"
	# As an older notify stored it, of any status: no cause.
	sql "UPDATE notifications SET cause = NULL" >/dev/null
	ac_run
	nt_run
	assert_eq "1|1" "$(nt_auth_counts)" "announced|repeats"
	nt_github 5001:503
	ac_run
	nt_run
	assert_eq "2|1" "$(nt_auth_counts)" "announced|repeats"
}

# The repository and marketplace deliveries of DESIGN §13 (GitHub's
# published examples, test_causes.sh's helper): each announced once with
# its cause and a reason that says what happened; a redelivery is no new
# event; a purchase or a new repository is not announced.
test_notify_repository_and_plan_events_announced_once() {
	local f want
	nt_reset
	nt_sinks || return 1
	. "$HERE/test_causes.sh"
	f=$(ca_example repository renamed '.changes.repository.name.from = "Old-Name"') ||
	    { fail "no repository.renamed example"; return; }
	deliver repository "$f"
	assert_status 200
	NT_RENAMED=$LAST_DELIVERY
	NT_RENAMED_FILE=$f
	f=$(ca_example repository transferred .) ||
	    { fail "no repository.transferred example"; return; }
	deliver repository "$f"
	assert_status 200
	# No published repository.deleted: the created one, deleted (the
	# payload of both is the repository, its owner and the sender).
	f=$(ca_example repository created '.action = "deleted"') ||
	    { fail "no repository.created example"; return; }
	deliver repository "$f"
	assert_status 200
	f=$(ca_example marketplace_purchase cancelled .) ||
	    { fail "no marketplace_purchase.cancelled example"; return; }
	deliver marketplace_purchase "$f"
	assert_status 200
	# Not announced: a purchase, a new repository.
	deliver marketplace_purchase "$(ca_example marketplace_purchase purchased .)"
	deliver repository "$(ca_example repository created .)"
	assert_status 200
	nt_run
	assert_eq 0 "$RC" "exit status"
	nt_summary "sinks=2 queued=4 repeats=0 attempted=8 sent=8 failed=0 given_up=0 abandoned=0"
	want="marketplace_purchase.cancelled|plan_cancelled|Marketplace plan 'Premium Plan' cancelled by username, effective 2017-10-25T00:00:00+00:00|null|organizationUsername
repository.deleted|repo_deleted|repository Octocoders/Hello-World deleted by Codertocat|Octocoders/Hello-World|Octocoders
repository.renamed|repo_renamed|repository Octocoders/Old-Name renamed to Octocoders/Hello-World by Codertocat|Octocoders/Hello-World|Octocoders
repository.transferred|repo_transferred|repository octocat/Hello-World transferred to Octocoders/Hello-World by Codertocat|Octocoders/Hello-World|octocat"
	assert_eq "$want" \
	    "$(nt_got gateway '"\(.action)|\(.cause)|\(.reason)|\(.repo)|\(.entity.login)"' | sort)" \
	    "each once, with its cause and reason"
	assert_eq "repository.renamed Octocoders (Organization 38302899): repository Octocoders/Old-Name renamed to Octocoders/Hello-World by Codertocat (cause: repo_renamed) <$INSTLOG_URL/ui/#/entity/38302899|trace>" \
	    "$(nt_got slack .text | grep '^repository.renamed')" "Slack line"
	# The same delivery again: the webhook's, not a new event.
	deliver repository "$NT_RENAMED_FILE" "$NT_RENAMED"
	assert_status 200
	nt_run
	assert_eq 0 "$RC" "second exit status"
	nt_summary "sinks=2 queued=0 repeats=0 attempted=0 sent=0 failed=0 given_up=0 abandoned=0"
	assert_eq 4 "$(wc -l <"$TEST_TMP/gateway.log")" "gateway events after the redelivery"
}

test_notify_failed_operation_announced() {
	local op
	nt_reset
	nt_sinks || return 1
	nt_auth_check
	nt_github 5002:404
	ac_queue 720001 5002 Organization 38302899 Octocoders Octocoders/two
	ac_run
	op=$(sql "SELECT max(id) FROM operations WHERE type = 'auth_check' AND status = 'failed'")
	[ -n "$op" ] || { fail "no failed auth check operation"; return 1; }
	nt_run
	assert_eq 0 "$RC" "exit status"
	assert_eq "op-$op|$op|$INSTLOG_URL/ui/#/operation/$op|null" \
	    "$(nt_got gateway 'select(.action == "operation.failed") | "\(.id)|\(.operation_id)|\(.trace_url)|\(.entity)"')" "operation.failed"
	[[ "$(nt_got gateway 'select(.action == "operation.failed") | .reason')" == "auth_check operation $op failed: 5002: "* ]] ||
	    fail "reason: $(nt_got gateway 'select(.action == "operation.failed") | .reason')"
	# The 404 row names the operation that wrote it.
	assert_eq "$op" "$(nt_got gateway 'select(.action == "auth_attempt.404") | .operation_id')" "the row's operation"
	nt_run
	assert_eq 2 "$(wc -l <"$TEST_TMP/gateway.log")" "nothing twice"
}

# A row whose transaction began first (the lower id) commits after a
# higher one, and after notify ran: it is still announced.
test_notify_late_commit_still_announced() {
	local late early
	nt_reset
	nt_sinks || return 1
	mkfifo "$TEST_TMP/late.sql"
	psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -v p="$(jq -c . "$(fixture installation.deleted)")" \
	    <"$TEST_TMP/late.sql" >"$TEST_TMP/late.out" 2>&1 &
	local psql_pid=$!
	exec 7>"$TEST_TMP/late.sql"
	cat >&7 <<'EOF'
BEGIN;
INSERT INTO installation_events (source, event, outcome, delivery_id,
    app_id, installation_id, entity_type, entity_id, entity_name, payload)
VALUES ('webhook', 'installation.deleted', 'ok', 'late-1', 5725, 2, 'User',
    1, 'octocat', :'p'::jsonb);
EOF
	# The insert has its id once the session waits on nothing else.
	for _ in $(seq 1 100); do
		[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND backend_xid IS NOT NULL")" -ge 1 ] && break
		sleep 0.05
	done
	deliver installation "$(fixture installation.suspend)"
	assert_status 200
	early=$(nt_row installation.suspend)
	# Several runs while the lower id is still uncommitted.
	nt_run
	nt_run
	nt_run
	assert_eq 0 "$RC" "exit status"
	assert_eq "ev-$early" "$(nt_got gateway .id)" "only the committed row so far"
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$psql_pid" || fail "psql: $(cat "$TEST_TMP/late.out")"
	late=$(nt_row installation.deleted)
	[ "$late" -lt "$early" ] || fail "the late row has id $late, not below $early"
	nt_run
	assert_eq 0 "$RC" "exit status after the commit"
	assert_eq "ev-$early ev-$late" "$(echo $(nt_got gateway .id))" "the late row announced"
	nt_run
	nt_run
	assert_eq 2 "$(wc -l <"$TEST_TMP/gateway.log")" "once each"
	assert_eq "$early" "$(sql "SELECT settled_id FROM notify_cursor")" "the cursor settled past both"
}

test_notify_plain_http_never_via_a_proxy() {
	nt_reset
	nt_sinks || return 1
	deliver installation "$(fixture installation.created)"
	proxy_start || return 1
	nt_run
	assert_eq 0 "$RC" "exit status"
	assert_proxy_unused notify
	assert_eq 1 "$(wc -l <"$TEST_TMP/gateway.log")" "delivered directly"
}

test_notify_overlapping_run_exits_quietly() {
	nt_reset
	nt_sinks || return 1
	deliver installation "$(fixture installation.created)"
	mkfifo "$TEST_TMP/lock.sql"
	psql "$DATABASE_URL" -X -q <"$TEST_TMP/lock.sql" >/dev/null 2>&1 &
	local psql_pid=$!
	exec 8>"$TEST_TMP/lock.sql"
	echo "SELECT pg_advisory_lock(7597136565293246212);" >&8
	for _ in $(seq 1 100); do
		[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ] && break
		sleep 0.05
	done
	nt_run
	assert_eq "0||" "$RC|$OUT|$ERR" "a run that finds the lock taken"
	assert_eq 0 "$(wc -l <"$TEST_TMP/gateway.log")" "nothing sent"
	exec 8>&-
	wait "$psql_pid"
	nt_run
	assert_eq 1 "$(wc -l <"$TEST_TMP/gateway.log")" "sent by the next run"
}

test_notify_bad_configuration_is_one_line_and_exit_2() {
	local secret=$TEST_TMP/s
	nt_reset
	deliver installation "$(fixture installation.created)"
	printf 'x\n' >"$secret"
	while IFS='|' read -r vars want; do
		(
			unset INSTLOG_NOTIFY_URL INSTLOG_NOTIFY_SECRET_FILE
			for v in $vars; do export "${v?}"; done
			nt_run
			assert_eq "2|" "$RC|$OUT" "$vars: exit status and stdout"
			assert_eq 1 "$(printf '%s\n' "$ERR" | wc -l)" "$vars: one line"
			[[ "$ERR" == "notify: "*"$want"* ]] || fail "$vars: stderr '$ERR' does not say '$want'"
			[[ "$ERR" != *hunter2* ]] || fail "$vars: the secret URL shown: $ERR"
		)
	done <<EOF
INSTLOG_NOTIFY_URL=http://events.example.com/in INSTLOG_NOTIFY_SECRET_FILE=$secret|plain http is only allowed to a loopback host
INSTLOG_NOTIFY_URL=https://events.example.com/in|INSTLOG_NOTIFY_SECRET
INSTLOG_NOTIFY_URL=https://u:p@events.example.com/in INSTLOG_NOTIFY_SECRET_FILE=$secret|no user info
INSTLOG_NOTIFY_URL=ftp://events.example.com/in INSTLOG_NOTIFY_SECRET_FILE=$secret|not an http(s) URL
INSTLOG_SLACK_WEBHOOK_URL=http://hooks.example.com/services/hunter2|INSTLOG_SLACK_WEBHOOK_URL
INSTLOG_PUBLIC_URL=https://instlog.example.com/?x=1|INSTLOG_PUBLIC_URL
INSTLOG_NOTIFY_BACKOFF_SECONDS=0|INSTLOG_NOTIFY_BACKOFF_SECONDS
INSTLOG_NOTIFY_SECRET=a INSTLOG_NOTIFY_SECRET_FILE=$secret|INSTLOG_NOTIFY_SECRET
EOF
	assert_eq 0 "$(sql "SELECT count(*) FROM notifications")" "nothing queued"
}

test_notify_installed_with_its_cron_entry() {
	local prefix=$TEST_TMP/prefix
	make -s -C "$TOP" install PREFIX="$prefix" >/dev/null || fail "make install"
	[ -x "$prefix/bin/notify" ] || fail "missing $prefix/bin/notify"
	grep -q "^\* \* \* \* \* instlog .*$prefix/bin/notify;" \
	    "$prefix/share/instlog/cron/instlog-notify" ||
	    fail "no every-minute line running $prefix/bin/notify in instlog-notify"
	grep -q "^# INSTLOG_NOTIFY_URL=" "$prefix/share/instlog/cron/instlog.env.example" ||
	    fail "the environment example does not name the sinks"
}

# The receiver checks what it is sent: signed with another secret, the
# event is refused (401), recorded as a failed attempt, and not accepted.
test_notify_wrong_secret_is_refused_by_the_receiver() {
	nt_reset
	nt_sinks || return 1
	printf 'not-the-receivers\n' >"$TEST_TMP/other_secret"
	export INSTLOG_NOTIFY_SECRET_FILE=$TEST_TMP/other_secret
	deliver installation "$(fixture installation.deleted)"
	nt_run
	assert_eq 1 "$RC" "exit status"
	nt_summary "sinks=2 queued=1 repeats=0 attempted=2 sent=1 failed=1 given_up=0 abandoned=0"
	assert_eq 0 "$(wc -l <"$TEST_TMP/gateway.log")" "nothing accepted"
	assert_eq "POST /events status=401 event_id=ev-$(nt_row installation.deleted)" \
	    "$(grep '^POST' "$TEST_TMP/gateway.out")" "refused"
	assert_eq "401|HTTP 401" "$(sql "SELECT last_status, last_error FROM notification_sends WHERE sink = 'gateway'")" "recorded"
}

# A sink taken out of the configuration: its pending sends are ended
# abandoned by the next run (a failed step each, counted on /metrics),
# never retried, and no later run touches them, even with the sink back.
test_notify_send_to_a_removed_sink_is_abandoned() {
	local key ab sf
	nt_suspend_with_down slack 1 || return 1
	key=$NT_KEY
	nt_run
	assert_eq 1 "$RC" "exit status with Slack down"
	nt_summary "sinks=2 queued=1 repeats=0 attempted=2 sent=1 failed=1 given_up=0 abandoned=0"
	ab=$(nt_notified slack abandoned)
	sf=$(nt_notified slack failed)
	unset INSTLOG_SLACK_WEBHOOK_URL
	nt_wait_due
	nt_run
	assert_eq 1 "$RC" "exit status of the run that abandons"
	nt_summary "sinks=1 queued=0 repeats=0 attempted=0 sent=0 failed=0 given_up=0 abandoned=1"
	[[ "$ERR" == *"slack $key installation.suspend: abandoned: the sink is no longer configured"* ]] ||
	    fail "stderr does not name the abandoned send: $ERR"
	assert_eq "1|t|f|f" "$(sql "SELECT attempts, abandoned_at IS NOT NULL, sent_at IS NOT NULL, given_up_at IS NOT NULL FROM notification_sends WHERE sink = 'slack'")" "the Slack send"
	assert_eq "t|f" "$(sql "SELECT sent_at IS NOT NULL, abandoned_at IS NOT NULL FROM notification_sends WHERE sink = 'gateway'")" "the gateway send"
	nt_counted slack abandoned "$ab" 1
	nt_counted slack failed "$sf" 0
	http GET '/operations?type=notify' -H "Authorization: Bearer $TRACE_API_SECRET"
	assert_json '.operations[0].status' failed
	assert_json '.operations[0].steps_summary' "slack $key installation.suspend ✗"
	assert_json '.operations[0].error' "slack $key installation.suspend: abandoned: the sink is no longer configured"
	# Slack configured again and up: the abandoned send stays so.
	nt_receiver slack 0 || return 1
	export INSTLOG_SLACK_WEBHOOK_URL=http://127.0.0.1:$NT_PORT/services/T0/B0/s3cr3t
	sleep 1.1
	nt_run
	assert_eq 0 "$RC" "exit status of a later run"
	nt_summary "sinks=2 queued=0 repeats=0 attempted=0 sent=0 failed=0 given_up=0 abandoned=0"
	assert_eq 0 "$(wc -l <"$TEST_TMP/slack.log")" "nothing sent to Slack"
	assert_eq "1|t" "$(sql "SELECT attempts, abandoned_at IS NOT NULL FROM notification_sends WHERE sink = 'slack'")" "the Slack send after"
	nt_counted slack abandoned "$ab" 1
}

# nt_maintenance: one maintenance run keeping 30 days; sets RC and OUT.
nt_maintenance() {
	OUT=$(INSTLOG_OPERATIONS_RETENTION_DAYS=30 "$TOP/build/bin/maintenance" 2>&1)
	RC=$?
}

# nt_kept: the actions of the notifications left, in id order.
nt_kept() { echo $(sql "SELECT action FROM notifications ORDER BY id"); }

# Retention: maintenance prunes the notifications (and their sends) older
# than the operations' retention whose every send ended (sent, given up,
# abandoned); a send still pending, a younger repeat of an announced auth
# failure, or a failed operation still kept holds a notification back.
# The log is never touched.
test_notify_retention_prunes_old_ended_notifications() {
	local rows op i id
	nt_reset
	nt_sinks || return 1
	nt_lifecycle
	# An auth failure, announced once, then two repeats.
	for i in 1 2 3; do
		auth_row 5150 pia 6501 29310 404 pia/app 75000$i
	done
	op=$(sql "INSERT INTO operations (type, status, error, completed_at)
	    VALUES ('it_notify', 'failed', 'it: failed', now()) RETURNING id")
	# Until the cursor has settled past every row.
	for i in 1 2 3 4 5; do
		nt_run
		[ "$(sql "SELECT settled_id >= (SELECT max(id) FROM installation_events) FROM notify_cursor")" = t ] && break
	done
	assert_eq 0 "$RC" "exit status"
	assert_eq "installation.created installation.deleted installation.suspend installation.unsuspend auth_attempt.404 auth_attempt.404 auth_attempt.404 operation.failed" \
	    "$(nt_kept)" "notifications"
	assert_eq 0 "$(sql "SELECT count(*) FROM notification_sends WHERE sent_at IS NULL")" "every send sent"
	rows=$(sql "SELECT count(*) FROM installation_events")
	# created: old, sent.  deleted: old, given up and abandoned.
	# suspend: old, its gateway send still pending.  unsuspend: young.
	# The announced 404 and its first repeat old, the second repeat
	# young; the failed operation old, the operation still there.
	sql "UPDATE notifications SET created_at = now() - interval '31 days'
	    WHERE action <> 'installation.unsuspend'
	    AND id <> (SELECT max(id) FROM notifications WHERE repeat_of IS NOT NULL);
	    UPDATE notification_sends SET sent_at = NULL, given_up_at = now()
	    WHERE sink = 'gateway' AND notification_id = (SELECT id FROM notifications WHERE action = 'installation.deleted');
	    UPDATE notification_sends SET sent_at = NULL, abandoned_at = now()
	    WHERE sink = 'slack' AND notification_id = (SELECT id FROM notifications WHERE action = 'installation.deleted');
	    UPDATE notification_sends SET sent_at = NULL
	    WHERE sink = 'gateway' AND notification_id = (SELECT id FROM notifications WHERE action = 'installation.suspend')" >/dev/null
	nt_maintenance
	assert_eq 0 "$RC" "maintenance exit status ($OUT)"
	assert_eq "installation.suspend installation.unsuspend auth_attempt.404 auth_attempt.404 operation.failed" \
	    "$(nt_kept)" "notifications kept"
	assert_eq 8 "$(sql "SELECT count(*) FROM notification_sends")" "sends kept"
	assert_eq "$rows" "$(sql "SELECT count(*) FROM installation_events")" "log rows"
	# A step of the maintenance operation, with what it pruned.
	id=$(sql "SELECT max(id) FROM operations WHERE type = 'maintenance'")
	http GET "/operations/$id" -H "Authorization: Bearer $TRACE_API_SECRET"
	assert_json '.status' completed
	assert_json '.steps | map(.name) | join(",")' "installation_events partitions,operations partitions,retention,notifications retention"
	assert_json '.steps[3].output | "\(.keep_days) \(.notifications) \(.sends)"' "30 3 4"
	assert_json '.output.notifications_pruned' 3
	# The young repeat ages, the operation goes (its partition
	# dropped): the announced 404, its repeat and the operation's
	# notification go too.
	sql "UPDATE notifications SET created_at = now() - interval '31 days'
	    WHERE action <> 'installation.unsuspend';
	    DELETE FROM operations WHERE id = $op" >/dev/null
	nt_maintenance
	assert_eq 0 "$RC" "second maintenance exit status ($OUT)"
	assert_eq "installation.suspend installation.unsuspend" "$(nt_kept)" "notifications kept at last"
	assert_eq 4 "$(sql "SELECT count(*) FROM notification_sends")" "sends kept at last"
	assert_eq "$rows" "$(sql "SELECT count(*) FROM installation_events")" "log rows at last"
	# The pending send is still sent when due.
	sql "UPDATE notification_sends SET next_attempt_at = now() WHERE sent_at IS NULL" >/dev/null
	nt_run
	assert_eq 0 "$RC" "exit status after retention"
	nt_summary "sinks=2 queued=0 repeats=0 attempted=1 sent=1 failed=0 given_up=0 abandoned=0"
}
