#!/bin/bash
# SPDX-License-Identifier: MIT
# cron/redeliver against fake_github (which verifies the App JWT and
# serves GET /app/hook/deliveries with cursor paging from a file) and the
# real PostgreSQL: which guids are missed, paging, the high-water mark,
# idempotence, the caps, the lock, GitHub unreachable, bad configuration.
# The rows in our log come from delivering the real fixtures through nginx
# and the webhook with the same guids as the deliveries file.

RD_ORG_APP=101
RD_USER_APP=202
RD_LOCK_KEY=7597136565293246210 # DB_REDELIVER_LOCK_KEY in lib/db/db_redeliver.h
RD_AUTH_LOCK_KEY=7597136565293246209
RD_BIN=${REDELIVER_BIN:-$TOP/build/bin/redeliver}
RD_FAKE=${FAKE_GITHUB_BIN:-$TOP/build/tests/fake_github}

# rd_keys: an RSA key pair per app in $TEST_TMP/rd-keys, made once.
rd_keys() {
	RD_KEYS=$TEST_TMP/rd-keys
	app_keys "$RD_KEYS"
}

# rd_setup: empty tables, both app variants configured, an empty
# deliveries file.
rd_setup() {
	db_reset
	sql "TRUNCATE redelivery_requests, redelivery_sweeps" >/dev/null
	rd_keys || fail "cannot generate keys"
	export GITHUB_APP_ORG_ID=$RD_ORG_APP
	export GITHUB_APP_ORG_PRIVATE_KEY_FILE=$RD_KEYS/org.pem
	export GITHUB_APP_USER_ID=$RD_USER_APP
	export GITHUB_APP_USER_PRIVATE_KEY_FILE=$RD_KEYS/user.pem
	unset INSTLOG_REDELIVER_MAX INSTLOG_REDELIVER_PAGES
	RD_FILE=$TEST_TMP/deliveries.json
	echo '[]' >"$RD_FILE"
	RD_ITEMS=()
}

# rd_fake_start [fake_github args...]: start the fake on a free port,
# serving $RD_FILE; GITHUB_API_URL points at it.  Killed with the subshell.
rd_fake_start() {
	local port=""
	RD_LOG=$TEST_TMP/fake.log
	: >"$RD_LOG"
	# Empty before the start: a fake of an earlier test left its port
	# there, which listening_port could read before this one writes.
	: >"$TEST_TMP/fake.out"
	"$RD_FAKE" --port 0 --log "$RD_LOG" --deliveries "$RD_FILE" \
	    --app "$RD_ORG_APP:$RD_KEYS/org.pub" \
	    --app "$RD_USER_APP:$RD_KEYS/user.pub" "$@" \
	    >"$TEST_TMP/fake.out" 2>&1 &
	RD_FAKE_PID=$!
	trap 'kill "$RD_FAKE_PID" 2>/dev/null; wait "$RD_FAKE_PID" 2>/dev/null' EXIT
	port=$(listening_port "$TEST_TMP/fake.out" fake_github) ||
	    { fail "fake_github did not start: $(cat "$TEST_TMP/fake.out")"; return 1; }
	export GITHUB_API_URL=http://127.0.0.1:$port
}

# rd_item APP ID GUID AGE_SECONDS STATUS [redelivery]: add one attempt,
# delivered AGE_SECONDS ago, to the items of the next rd_write.
rd_item() {
	local at
	at=$(date -u -d "@$(($(date +%s) - $4))" +%Y-%m-%dT%H:%M:%SZ)
	RD_ITEMS+=("$(jq -nc --argjson app "$1" --argjson id "$2" \
	    --arg guid "$3" --arg at "$at" --argjson sc "$5" \
	    --argjson re "$([ "${6:-}" = redelivery ] && echo true || echo false)" \
	    '{id: $id, guid: $guid, delivered_at: $at, redelivery: $re,
	      duration: 0.27,
	      status: (if $sc >= 200 and $sc < 300 then "OK"
	               else "Invalid HTTP Response: \($sc)" end),
	      status_code: $sc, event: "issues", action: "opened",
	      installation_id: 123, repository_id: 456, app_id: $app}')")
}

# rd_write: replace $RD_FILE with the items, newest first as GitHub lists.
rd_write() {
	printf '%s\n' "${RD_ITEMS[@]}" |
	    jq -s 'sort_by(.delivered_at, .id) | reverse' >"$RD_FILE.tmp" &&
	    mv "$RD_FILE.tmp" "$RD_FILE"
}

# rd_deliver GUID: our log gets a row for GUID (the real issues fixture).
rd_deliver() {
	deliver issues "$(fixture issues.opened)" "$1"
	assert_status 200
}

# rd_run: run redeliver once; sets RC, OUT (stdout) and ERR (stderr).
rd_run() {
	"$RD_BIN" >"$TEST_TMP/rd.out" 2>"$TEST_TMP/rd.err"
	RC=$?
	OUT=$(cat "$TEST_TMP/rd.out")
	ERR=$(cat "$TEST_TMP/rd.err")
}

# rd_summary COUNTS: the last run printed "redeliver: COUNTS ms=N".
rd_summary() {
	[[ "$OUT" =~ ^redeliver:\ (.*)\ ms=[0-9]+$ ]] ||
	    { fail "no summary line: '$OUT' (stderr: $ERR)"; return 1; }
	assert_eq "$1" "${BASH_REMATCH[1]}" "summary"
}

# rd_count PATTERN: lines of the fake's log matching the extended regex.
rd_count() { grep -cE -- "$1" "$RD_LOG"; }

# rd_posts: the redelivery requests the fake saw, "app id" per line.
rd_posts() {
	sed -n 's|^app=\([0-9]*\) POST /app/hook/deliveries/\([0-9]*\)/attempts status=202$|\1 \2|p' "$RD_LOG"
}

# rd_swept APP: the app's high-water mark, RFC 3339 UTC, or "".
rd_swept() {
	sql "SELECT to_char(swept_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM redelivery_sweeps WHERE app_id = $1"
}

# rd_newest APP: the newest delivered_at of the app's items in $RD_FILE.
rd_newest() { jq -r --argjson a "$1" '[.[] | select(.app_id == $a) | .delivered_at] | max' "$RD_FILE"; }

test_redeliver_missed_guids_over_pages() {
	rd_setup
	local missed twice inlog redelivered ok old user other
	missed=$(new_guid) twice=$(new_guid) inlog=$(new_guid)
	redelivered=$(new_guid) ok=$(new_guid) old=$(new_guid)
	user=$(new_guid) other=$(new_guid)
	rd_item 101 1001 "$missed" 600 502
	rd_item 101 1002 "$twice" 7200 500
	rd_item 101 1010 "$twice" 3600 0 redelivery
	rd_item 101 1003 "$inlog" 900 504
	rd_item 101 1004 "$redelivered" 86400 503
	rd_item 101 1011 "$redelivered" 80000 200 redelivery
	rd_item 101 1005 "$ok" 1200 200
	local i
	for i in 1 2 3 4 5; do rd_item 101 "$((1020 + i))" "$(new_guid)" "$((i * 5000))" 200; done
	# Older than GitHub's 3 days: not listed, not asked for.
	rd_item 101 1006 "$old" $((4 * 86400)) 502
	rd_item 202 2001 "$user" 300 500
	rd_item 202 2002 "$other" 400 202
	rd_write
	# Our log has these two, whatever GitHub thinks of the attempts.
	rd_deliver "$inlog"
	rd_deliver "$ok"
	rd_fake_start --page-size 4
	rd_run
	assert_eq 0 "$RC" "exit status"
	rd_summary "apps=2 listed=14 missed=3 requested=3 skipped=0 failed=0"
	# The latest attempt of each missed guid, each once, by its own app.
	assert_eq "101 1001
101 1010
202 2001" "$(rd_posts | sort)" "redelivery requests"
	assert_eq 3 "$(rd_count ' POST ')" "POST requests"
	# 13 items of app 101, 4 a page: 4 pages, each after the first by
	# the Link header's cursor; app 202 fits on one.
	assert_eq 4 "$(rd_count '^app=101 GET ')" "pages of app 101"
	assert_eq 1 "$(rd_count '^app=101 GET /app/hook/deliveries\?per_page=100 status=200$')" "first page"
	assert_eq 3 "$(rd_count '^app=101 GET /app/hook/deliveries\?per_page=4&cursor=v1_[0-9]+ status=200$')" "pages by cursor"
	assert_eq 1 "$(rd_count '^app=202 GET ')" "pages of app 202"
	assert_eq 3 "$(printf '%s\n' "$ERR" | grep -c ': redelivery 1 of 3 requested$')" "one line per request ($ERR)"
	assert_eq "$missed|101|1001|issues.opened|1|202
$twice|101|1010|issues.opened|1|202
$user|202|2001|issues.opened|1|202" \
	    "$(sql "SELECT guid, app_id, hook_delivery_id, event, attempts, last_status FROM redelivery_requests ORDER BY hook_delivery_id")" \
	    "requests recorded"
	assert_eq "$(rd_newest 101)" "$(rd_swept 101)" "high-water mark of app 101"
	assert_eq "$(rd_newest 202)" "$(rd_swept 202)" "high-water mark of app 202"
	# The sweep wrote nothing to the log itself.
	assert_eq 2 "$(sql 'SELECT count(*) FROM installation_events')" "log rows"
	# It is one operation: each page listed, each redelivery asked with
	# its guid.
	local op
	op=$(sql "SELECT max(id) FROM operations WHERE type = 'redeliver'")
	http GET "/operations/$op" -H "Authorization: Bearer $TRACE_API_SECRET"
	assert_status 200
	assert_json .status completed
	assert_json '[.steps[] | select(.name | startswith("app ")) | .name] | join(",")' \
	    "app 101 page 1,app 101 page 2,app 101 page 3,app 101 page 4,app 202 page 1"
	assert_json '[.steps[] | .output.guid // empty] | sort | join(",")' \
	    "$(printf '%s\n' "$missed" "$twice" "$user" | sort | paste -sd,)"
	assert_json '.output.requested' 3
	assert_json '.external_ref' null
	# GitHub sends one of them again: its row names the sweep.
	deliver installation "$(fixture installation.created)" "$missed"
	assert_status 200
	http GET "/trace/installation/$(jq .installation.id "$(fixture installation.created)")" \
	    -H "Authorization: Bearer $TRACE_API_SECRET"
	assert_json ".events[] | select(.delivery_id == \"$missed\") | .redelivered_by" "$op"
}

test_redeliver_second_run_asks_nothing_and_lists_only_new() {
	rd_setup
	local missed fresh i
	missed=$(new_guid) fresh=$(new_guid)
	rd_item 101 1001 "$missed" 300 502
	rd_item 101 1002 "$(new_guid)" 600 200
	rd_item 101 1003 "$(new_guid)" 900 200
	for i in 1 2 3 4 5 6 7 8; do rd_item 101 "$((1010 + i))" "$(new_guid)" "$((i * 7200))" 200; done
	rd_write
	rd_fake_start --page-size 2
	rd_run
	assert_eq 0 "$RC" "first exit status"
	rd_summary "apps=2 listed=11 missed=1 requested=1 skipped=0 failed=0"
	assert_eq 6 "$(rd_count '^app=101 GET ')" "first run: every page"
	# Again at once: the same guid is missed, but was just asked for.  Only
	# what is newer than the high-water mark less an hour is listed: the
	# three newest, on two pages.
	: >"$RD_LOG"
	rd_run
	assert_eq 0 "$RC" "second exit status"
	rd_summary "apps=2 listed=3 missed=1 requested=0 skipped=1 failed=0"
	assert_eq 0 "$(rd_count ' POST ')" "no request again"
	assert_eq 2 "$(rd_count '^app=101 GET ')" "second run: two pages"
	assert_eq 1 "$(sql "SELECT attempts FROM redelivery_requests WHERE guid = '$missed'")" "attempts"
	# A new delivery fails: only it is asked for.
	rd_item 101 1004 "$fresh" 60 502
	rd_write
	: >"$RD_LOG"
	rd_run
	assert_eq 0 "$RC" "third exit status"
	rd_summary "apps=2 listed=4 missed=2 requested=1 skipped=1 failed=0"
	assert_eq "101 1004" "$(rd_posts)" "only the new one"
	assert_eq "$(rd_newest 101)" "$(rd_swept 101)" "high-water mark moved"
	# The redelivery arrives: the guid is in our log and no longer missed.
	rd_deliver "$fresh"
	rd_run
	rd_summary "apps=2 listed=4 missed=1 requested=0 skipped=1 failed=0"
}

test_redeliver_retries_30_minutes_apart_three_times_at_most() {
	rd_setup
	local g
	g=$(new_guid)
	rd_item 101 1001 "$g" 300 502
	rd_write
	rd_fake_start
	rd_run
	rd_summary "apps=2 listed=1 missed=1 requested=1 skipped=0 failed=0"
	# 29 minutes later: too soon.
	sql "UPDATE redelivery_requests SET requested_at = now() - interval '29 minutes'" >/dev/null
	rd_run
	rd_summary "apps=2 listed=1 missed=1 requested=0 skipped=1 failed=0"
	# The redelivery failed too: GitHub lists a new attempt, the latest.
	rd_item 101 1002 "$g" 120 502 redelivery
	rd_write
	sql "UPDATE redelivery_requests SET requested_at = now() - interval '31 minutes'" >/dev/null
	rd_run
	rd_summary "apps=2 listed=2 missed=1 requested=1 skipped=0 failed=0"
	sql "UPDATE redelivery_requests SET requested_at = now() - interval '31 minutes'" >/dev/null
	rd_run
	rd_summary "apps=2 listed=2 missed=1 requested=1 skipped=0 failed=0"
	assert_eq "3|1002|202" "$(sql "SELECT attempts, hook_delivery_id, last_status FROM redelivery_requests WHERE guid = '$g'")" "three asks"
	[[ "$ERR" == *"delivery '$g' (issues.opened at "*", status 502): redelivery 3 of 3 requested" ]] || fail "stderr: '$ERR'"
	# Three times in all: never again.
	sql "UPDATE redelivery_requests SET requested_at = now() - interval '2 hours'" >/dev/null
	rd_run
	assert_eq 0 "$RC" "exit status"
	rd_summary "apps=2 listed=2 missed=1 requested=0 skipped=1 failed=0"
	assert_eq "101 1001
101 1002
101 1002" "$(rd_posts)" "requests"
}

test_redeliver_cap_per_run() {
	rd_setup
	local i
	for i in 1 2 3 4 5; do rd_item 101 "$((1000 + i))" "$(new_guid)" "$((600 * i))" 502; done
	rd_item 202 2001 "$(new_guid)" 100 502
	rd_write
	rd_fake_start
	export INSTLOG_REDELIVER_MAX=2
	# Oldest first (nearest to GitHub's 3 days); the cap is per run,
	# across apps, so the user app waits.
	rd_run
	assert_eq 0 "$RC" "exit status"
	rd_summary "apps=2 listed=6 missed=6 requested=2 skipped=4 failed=0"
	assert_eq "101 1004
101 1005" "$(rd_posts | sort)" "the two oldest first"
	[[ "$ERR" == *"app '101': 3 missed deliveries left for the next run (INSTLOG_REDELIVER_MAX reached)"* ]] || fail "stderr: '$ERR'"
	[[ "$ERR" == *"app '202': 1 missed deliveries left for the next run"* ]] || fail "stderr: '$ERR'"
	# Not every missed delivery was asked for: no high-water mark yet.
	assert_eq 0 "$(sql 'SELECT count(*) FROM redelivery_sweeps')" "no high-water mark"
	rd_run
	rd_summary "apps=2 listed=6 missed=6 requested=2 skipped=4 failed=0"
	assert_eq "101 1002
101 1003
101 1004
101 1005" "$(rd_posts | sort)" "the next two"
	rd_run
	rd_summary "apps=2 listed=6 missed=6 requested=2 skipped=4 failed=0"
	assert_eq "101 1001
101 1002
101 1003
101 1004
101 1005
202 2001" "$(rd_posts | sort)" "all, two per run"
	assert_eq 2 "$(sql 'SELECT count(*) FROM redelivery_sweeps')" "high-water marks once done"
	rd_run
	rd_summary "apps=2 listed=6 missed=6 requested=0 skipped=6 failed=0"
	assert_eq 6 "$(rd_count ' POST ')" "each once"
	# INSTLOG_REDELIVER_MAX=0 lists and counts, asks nothing.
	sql "UPDATE redelivery_requests SET requested_at = now() - interval '1 hour'" >/dev/null
	INSTLOG_REDELIVER_MAX=0 rd_run
	rd_summary "apps=2 listed=6 missed=6 requested=0 skipped=6 failed=0"
	assert_eq 6 "$(rd_count ' POST ')" "nothing asked with a cap of 0"
}

test_redeliver_page_bound_keeps_high_water_mark() {
	rd_setup
	local i
	for i in $(seq 1 9); do rd_item 101 "$((1000 + i))" "$(new_guid)" "$((600 * i))" 502; done
	rd_write
	rd_fake_start --page-size 3
	INSTLOG_REDELIVER_PAGES=2 rd_run
	assert_eq 0 "$RC" "exit status"
	rd_summary "apps=2 listed=6 missed=6 requested=6 skipped=0 failed=0"
	assert_eq 2 "$(rd_count '^app=101 GET ')" "two pages"
	[[ "$ERR" == *"app '101': 2 pages listed, none older than "*"Z yet: the rest is left, the high-water mark kept"* ]] || fail "stderr: '$ERR'"
	assert_eq "" "$(rd_swept 101)" "no high-water mark"
	rd_run
	rd_summary "apps=2 listed=9 missed=9 requested=3 skipped=6 failed=0"
	assert_eq "$(rd_newest 101)" "$(rd_swept 101)" "high-water mark once complete"
}

test_redeliver_lock_is_its_own() {
	rd_setup
	rd_item 101 1001 "$(new_guid)" 300 502
	rd_write
	rd_fake_start
	# The auth check's lock does not stop the sweep.
	PGAPPNAME=rd-auth-holder psql "$DATABASE_URL" -X -q \
	    -c "SELECT pg_advisory_lock($RD_AUTH_LOCK_KEY)" -c "SELECT pg_sleep(60)" \
	    >/dev/null 2>&1 &
	local auth_holder=$! holder held=0
	PGAPPNAME=rd-lock-holder psql "$DATABASE_URL" -X -q \
	    -c "SELECT pg_advisory_lock($RD_LOCK_KEY)" -c "SELECT pg_sleep(60)" \
	    >/dev/null 2>&1 &
	holder=$!
	for _ in $(seq 1 100); do
		held=$(sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.granted AND a.application_name IN ('rd-lock-holder', 'rd-auth-holder')")
		[ "$held" = 2 ] && break
		sleep 0.05
	done
	assert_eq 2 "$held" "locks held by psql"
	rd_run
	assert_eq 0 "$RC" "exit status while locked"
	assert_eq "" "$OUT" "quiet stdout"
	assert_eq "" "$ERR" "quiet stderr"
	assert_eq 0 "$(rd_count .)" "no request while locked"
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rd-lock-holder'" >/dev/null
	wait "$holder" 2>/dev/null
	# The auth check's lock is still held.
	rd_run
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rd-auth-holder'" >/dev/null
	wait "$auth_holder" 2>/dev/null
	assert_eq 0 "$RC" "exit status once released"
	rd_summary "apps=2 listed=1 missed=1 requested=1 skipped=0 failed=0"
}

test_redeliver_concurrent_runs_ask_once() {
	rd_setup
	local i
	for i in 1 2 3 4 5; do rd_item 101 "$((1000 + i))" "$(new_guid)" "$((60 * i))" 502; done
	rd_write
	rd_fake_start --latency-ms 200
	"$RD_BIN" >"$TEST_TMP/a.out" 2>/dev/null &
	local a=$!
	"$RD_BIN" >"$TEST_TMP/b.out" 2>/dev/null &
	local b=$!
	wait "$a"; local rca=$?
	wait "$b"; local rcb=$?
	assert_eq "0 0" "$rca $rcb" "both exit 0"
	assert_eq 5 "$(rd_count ' POST ')" "each guid asked for once"
	assert_eq 5 "$(sql 'SELECT sum(attempts) FROM redelivery_requests')" "attempts"
}

test_redeliver_list_refused_exit_1_other_app_swept() {
	rd_setup
	rd_item 101 1001 "$(new_guid)" 300 502
	rd_item 202 2001 "$(new_guid)" 300 502
	rd_write
	rd_fake_start
	# The org app's id with the user app's key: GitHub answers 401.
	export GITHUB_APP_ORG_PRIVATE_KEY_FILE=$RD_KEYS/user.pem
	rd_run
	assert_eq 1 "$RC" "exit status"
	rd_summary "apps=2 listed=1 missed=1 requested=1 skipped=0 failed=1"
	[[ "$ERR" == *"redeliver: app '101': listing deliveries: HTTP 401 'A JSON web token could not be decoded'"* ]] || fail "stderr: '$ERR'"
	assert_eq "202 2001" "$(rd_posts)" "the user app's request"
	assert_eq "" "$(rd_swept 101)" "no high-water mark for the refused app"
	assert_eq "$(rd_newest 202)" "$(rd_swept 202)" "high-water mark of the other"
}

test_redeliver_github_unreachable_exit_1() {
	rd_setup
	export GITHUB_API_URL=http://127.0.0.1:$(stack_free_port)
	rd_run
	assert_eq 1 "$RC" "exit status"
	rd_summary "apps=2 listed=0 missed=0 requested=0 skipped=0 failed=2"
	assert_eq 2 "$(printf '%s\n' "$ERR" | grep -c "^redeliver: app '[0-9]*': listing deliveries: ")" "one line per app ($ERR)"
	assert_eq 0 "$(sql 'SELECT count(*) FROM redelivery_sweeps')" "no high-water mark"
	assert_eq 0 "$(sql 'SELECT count(*) FROM redelivery_requests')" "no request"
}

# rd_expect_config_error WHAT PATTERN: exit 2, one stderr line matching
# PATTERN (a glob), nothing on stdout.
rd_expect_config_error() {
	rd_run
	assert_eq 2 "$RC" "$1: exit status"
	assert_eq "" "$OUT" "$1: stdout"
	assert_eq 1 "$(printf '%s\n' "$ERR" | wc -l)" "$1: one stderr line ($ERR)"
	# shellcheck disable=SC2053
	[[ "$ERR" == $2 ]] || fail "$1: stderr '$ERR' does not match '$2'"
}

test_redeliver_bad_config_exit_2() {
	rd_setup
	rd_item 101 1001 "$(new_guid)" 300 502
	rd_write
	rd_fake_start
	(export GITHUB_APP_ORG_PRIVATE_KEY_FILE=$TEST_TMP/missing.pem
	 rd_expect_config_error "missing key" "*'$TEST_TMP/missing.pem': cannot read: No such file or directory")
	(unset GITHUB_APP_ORG_ID GITHUB_APP_ORG_PRIVATE_KEY_FILE GITHUB_APP_USER_ID GITHUB_APP_USER_PRIVATE_KEY_FILE
	 rd_expect_config_error "no app" "*neither GITHUB_APP_ORG_ID nor GITHUB_APP_USER_ID*")
	(export INSTLOG_REDELIVER_MAX=lots
	 rd_expect_config_error "cap" "redeliver: config: INSTLOG_REDELIVER_MAX: not an integer in 0..1000: 'lots'")
	(export INSTLOG_REDELIVER_PAGES=0
	 rd_expect_config_error "pages" "redeliver: config: INSTLOG_REDELIVER_PAGES: not an integer in 1..1000: '0'")
	(export GITHUB_API_URL=http://api.github.com
	 rd_expect_config_error "plain http" "*must be https://*")
	# Issue 12, finding 4: user info is refused, not read as a port.
	(export GITHUB_API_URL=http://127.0.0.1:1@evil.example
	 rd_expect_config_error "user info" "*must be https://*no user info*")
	(unset DATABASE_URL
	 rd_expect_config_error "no database" "*DATABASE_URL*")
	assert_eq 0 "$(rd_count .)" "no request"
	assert_eq 0 "$(sql 'SELECT count(*) FROM redelivery_requests')" "nothing recorded"
}

# Issue 12, finding 1: with every proxy variable set, listing and asking
# go to the loopback API directly, never to the proxy.
test_redeliver_loopback_never_through_a_proxy() {
	rd_setup
	rd_item 101 1001 "$(new_guid)" 300 502
	rd_write
	rd_fake_start
	proxy_start || return
	rd_run
	assert_eq 0 "$RC" "exit status ($ERR)"
	assert_eq "101 1001" "$(rd_posts)" "the redelivery request"
	assert_proxy_unused redeliver
}

test_redeliver_installed_with_its_cron_entry() {
	local prefix=$TEST_TMP/rd-prefix f
	make -s -C "$TOP" install PREFIX="$prefix" >/dev/null || fail "make install"
	[ -x "$prefix/bin/redeliver" ] || fail "missing $prefix/bin/redeliver"
	f=$prefix/share/instlog/cron/instlog-redeliver
	[ -f "$f" ] || { fail "missing $f"; return 1; }
	grep -qxE "\*/10 \* \* \* \* instlog \{ set -a; \. /etc/instlog/instlog\.env; set \+a; $prefix/bin/redeliver; .*\} 2>&1 \| /usr/bin/logger -t instlog-redeliver -p cron\.info" "$f" ||
	    fail "cron line: $(grep -v '^#' "$f")"
	[ -f "$prefix/share/instlog/sql/004_redeliver.sql" ] || fail "migration not installed"
}
