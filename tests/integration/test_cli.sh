#!/bin/bash
# SPDX-License-Identifier: MIT
# instlog-trace against the running stack: every flag, every exit code,
# --json byte for byte, the table against a golden text, paging, and
# --entity-name against a fake GitHub served by a throwaway nginx.

CLI=${TOP:?}/build/bin/instlog-trace

# cli ARGS...: run the CLI; sets RC, OUT (stdout) and ERR (stderr).
cli() {
	"$CLI" "$@" >"$TEST_TMP/cli.out" 2>"$TEST_TMP/cli.err"
	RC=$?
	OUT=$(cat "$TEST_TMP/cli.out")
	ERR=$(cat "$TEST_TMP/cli.err")
}

assert_rc() {
	[ "$RC" = "$1" ] || fail "exit status: expected $1, got $RC (stderr: ${ERR:0:300})"
}

# assert_error RC PATTERN: the run failed with RC, printed nothing on
# stdout and exactly one "instlog-trace: ..." line matching *PATTERN* on
# stderr.
assert_error() {
	assert_rc "$1"
	[ -z "$OUT" ] || fail "stdout not empty on error: ${OUT:0:200}"
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "stderr is not one line: $ERR"
	case "$ERR" in
	"instlog-trace: "*$2*) ;;
	*) fail "stderr '$ERR' does not match '$2'" ;;
	esac
}

# get PATH: the server's answer to PATH, as curl receives it, in a file.
get() {
	curl -sS -H "Authorization: Bearer $TRACE_API_SECRET" "$INSTLOG_URL$1" >"$TEST_TMP/curl.out"
}

# cli_row ID TIME EVENT OUTCOME E L I FIXTURE JQ: a webhook row with a
# fixed id and time, its payload the fixture rewritten by JQ.
cli_row() {
	local payload
	payload=$(jq -c "$9" "$(fixture "$8")") || return 1
	sql "INSERT INTO installation_events (id, received_at, source, event, outcome, delivery_id, app_id, installation_id, entity_type, entity_id, entity_name, payload)
	    OVERRIDING SYSTEM VALUE VALUES ($1, '$2', 'webhook', '$3', '$4', 'golden-$1', 29310, $7, 'User', $5, '$6', \$j\$$payload\$j\$::jsonb)" >/dev/null
}

test_help_lists_flags_and_exit_codes() {
	local f
	cli --help
	assert_rc 0
	for f in --installation-id --entity-id --entity-name --job-id --json --at --since --until \
	    --event --dedupe --all --limit --url --verbose TRACE_API_SECRET INSTLOG_URL GITHUB_TOKEN \
	    GITHUB_API_URL NO_COLOR "0  ok" "2  usage" "3  auth" "4  not found" "5  server" "6  network"; do
		case "$OUT" in *"$f"*) ;; *) fail "--help does not mention $f" ;; esac
	done
	[ -z "$ERR" ] || fail "stderr: $ERR"
	cli -h --bogus
	assert_rc 0
}

test_usage_errors_exit_2() {
	cli
	assert_error 2 "give exactly one of --installation-id, --entity-id, --entity-name, --job-id"
	cli --entity-id 1 --job-id 2
	assert_error 2 "give only one of"
	cli --entity-id abc
	assert_error 2 "--entity-id: not a positive integer: 'abc'"
	cli --installation-id 0
	assert_error 2 "--installation-id: not a positive integer"
	cli --job-id -3
	assert_error 2 "--job-id: not a positive integer"
	cli --entity-id 1 --frobnicate
	assert_error 2 "unknown option '--frobnicate' (see --help)"
	cli --entity-id 1 --limit 5001
	assert_error 2 "--limit: not an integer in 1..5000"
	cli --entity-id
	assert_error 2 "--entity-id needs a value"
	cli --entity-name 'bad_login'
	assert_error 2 "--entity-name: not a GitHub login"
	cli --entity-name '-bad'
	assert_error 2 "--entity-name: not a GitHub login: '-bad'"
	cli --entity-id 1 --url ftp://127.0.0.1/
	assert_error 2 "--url: not an http(s) URL"
	cli --entity-id 1 --url http://example.com
	assert_error 2 "--url: plain http is only allowed to a loopback host"
	INSTLOG_URL='http://127.0.0.1:1/?x=1' cli --entity-id 1
	assert_error 2 "INSTLOG_URL: no query or fragment allowed"
	# Values the server refuses (400) are usage errors too, quoted.
	action installation installation.created 8210 uma 8310
	cli --entity-id 8210 --since yesterday
	assert_error 2 "the server refused the request (since: "
	cli --entity-id 8210 --at soon
	assert_error 2 "(at: "
	# A space must reach the server encoded, and be refused there.
	cli --entity-id 8210 --event 'installation created'
	assert_error 2 "(event: "
}

test_auth_errors_exit_3() {
	action installation installation.created 8211 una 8311
	TRACE_API_SECRET=wrong cli --entity-id 8211
	assert_error 3 "HTTP 401: the server refused the token; check TRACE_API_SECRET"
	env -u TRACE_API_SECRET "$CLI" --entity-id 8211 >"$TEST_TMP/o" 2>"$TEST_TMP/e"
	RC=$? OUT=$(cat "$TEST_TMP/o") ERR=$(cat "$TEST_TMP/e")
	assert_error 3 "TRACE_API_SECRET (or TRACE_API_SECRET_FILE) is not set"
	TRACE_API_SECRET= TRACE_API_SECRET_FILE=$TEST_TMP/nonexistent cli --entity-id 8211
	assert_error 3 "TRACE_API_SECRET_FILE: cannot read"
	printf '%s\n' "$TRACE_API_SECRET" >"$TEST_TMP/token"
	TRACE_API_SECRET= TRACE_API_SECRET_FILE=$TEST_TMP/token cli --entity-id 8211
	assert_rc 0
	case "$OUT" in "entity 8211 una: 1 event"*) ;; *) fail "with the token file: $OUT" ;; esac
}

test_not_found_exit_4() {
	cli --entity-id 987654321
	assert_error 4 "entity 987654321: not found (entity not found)"
	cli --installation-id 987654321
	assert_error 4 "installation 987654321: not found"
	cli --job-id 987654321
	assert_error 4 "job 987654321: not found"
}

test_network_error_exit_6() {
	local port
	port=$(stack_free_port)
	cli --entity-id 1 --url "http://127.0.0.1:$port"
	assert_error 6 "cannot reach http://127.0.0.1:$port/trace/entity/1: "
	INSTLOG_URL="http://127.0.0.1:$port" cli --entity-id 1
	assert_error 6 "cannot reach http://127.0.0.1:$port/"
	cli --entity-id 1 --url https://no-such-host.invalid
	assert_error 6 "cannot reach https://no-such-host.invalid/trace/entity/1"
}

test_server_errors_exit_5() {
	mini_nginx broken 'server {
		listen 127.0.0.1:@PORT@;
		location = /trace/entity/2 { return 200 "this is not JSON"; }
		location = /trace/entity/3 { return 200 "{\"error\":\"not a list\"}"; }
		location = /trace/entity/4 { return 302 http://127.0.0.1/; }
		location = /trace/entity/5 { return 200 "{\"events\":[],\"next_cursor\":\"9\"}"; }
		location / { return 503 "{\"error\":\"database unavailable\"}"; }
	}'
	cli --entity-id 1 --url "$MINI_URL"
	assert_error 5 "$MINI_URL/trace/entity/1: HTTP 503 from the server (database unavailable)"
	cli --entity-id 2 --url "$MINI_URL"
	assert_error 5 "/trace/entity/2: not a trace document"
	cli --entity-id 3 --url "$MINI_URL" --json
	assert_error 5 "/trace/entity/3: not a trace document"
	cli --entity-id 4 --url "$MINI_URL"
	assert_error 5 "HTTP 302 from the server"
	# A cursor that never moves on is refused, not followed for ever.
	cli --entity-id 5 --url "$MINI_URL" --all
	assert_error 5 "bad next_cursor"
}

test_json_is_the_servers_json() {
	local E=8212 I=8312 q
	action installation installation.created $E vic $I
	queue_job $E vic $I 8412 vic/app
	action installation installation.deleted $E vic $I
	auth_row $E vic $I 29310 404 vic/app 8412
	for q in "--entity-id $E:/trace/entity/$E" "--installation-id $I:/trace/installation/$I" \
	    "--job-id 8412:/trace/job/8412"; do
		cli ${q%%:*} --json
		assert_rc 0
		get "${q#*:}"
		cmp -s "$TEST_TMP/cli.out" "$TEST_TMP/curl.out" || fail "${q%%:*} --json differs from the server's JSON"
		assert_eq "$(jq -S . "$TEST_TMP/curl.out")" "$(jq -S . "$TEST_TMP/cli.out")" "${q%%:*} --json (jq -S)"
	done
	cli --entity-id $E --json --since 7d --until 2099-01-01T00:00:00+00:00 --event installation \
	    --dedupe --limit 2 --at 2099-01-01
	assert_rc 0
	get "/trace/entity/$E?since=7d&until=2099-01-01T00%3A00%3A00%2B00%3A00&event=installation&at=2099-01-01&limit=2&dedupe=1"
	cmp -s "$TEST_TMP/cli.out" "$TEST_TMP/curl.out" || fail "--json with every parameter differs"
	assert_eq 2 "$(jq '.events | length' "$TEST_TMP/cli.out")" "events with --limit 2"
	assert_eq "installation.created,installation.deleted" "$(jq -r '[.events[].event] | join(",")' "$TEST_TMP/cli.out")" "--event installation"
}

test_table_golden() {
	local E=8213 I=8313 repos
	repos='.installation.repository_selection = "selected" | .repositories = [{"id":1,"name":"app","full_name":"wanda/app","private":false}]'
	cli_row 990001 2026-11-24T10:00:00.250Z installation.created ok $E wanda $I installation.created "$(acct $E wanda $I) | $repos"
	cli_row 990002 2026-11-24T10:05:00Z workflow_job.queued job_stored $E wanda $I workflow_job.queued \
	    '.repository.owner.id = 8213 | .repository.owner.login = "wanda" | .installation.id = 8313 | .workflow_job.id = 8413 | .repository.full_name = "wanda/app"'
	cli_row 990003 2026-11-24T10:10:00Z installation.suspend ok $E wanda $I installation.suspend "$(acct $E wanda $I)"
	auth_row $E wanda $I 29310 403 wanda/app 8413 2026-11-24T10:15:00.999Z 990004
	cli --entity-id $E
	assert_rc 0
	assert_eq "$(cat <<'EOF'
entity 8213 wanda: 4 events

    ID TIME (UTC)          EVENT                    OUTCOME          ENTITY ACTOR     REPO       JOB
990001 2026-11-24 10:00:00 installation.created     ok               wanda  Codertoc…
990002 2026-11-24 10:05:00 workflow_job.queued      job_stored       wanda  Codertoc… wanda/app 8413
990003 2026-11-24 10:10:00 installation.suspend     ok               wanda  Codertoc…
990004 2026-11-24 10:15:00 auth_attempt.other_error auth_other_error wanda  -

STATE
  installed          yes
  suspended          yes
  installation       8313
  app                29310
  selection          selected
  repos              wanda/app
  name               wanda
  previous names     none
  last auth failure  auth_attempt.other_error (id 990004) at 2026-11-24 10:15:00: HTTP 403, app
                     29310, installation 8313, repo wanda/app, login wanda

DIAGNOSIS
  suspended          the installation '8313' of 'wanda' was suspended on 2026-11-24T10:10:00Z and
                     not unsuspended; GitHub answers 403 to it; auth fails since
                     2026-11-24T10:15:00Z
                     evidence: 990003, 990004
EOF
)" "$OUT" "table"
	# No line is wider than 100 columns, nothing is coloured off a terminal.
	printf '%s\n' "$OUT" | sed 's/…/./g' | awk 'length($0) > 100 { print "too wide: " $0; bad = 1 } END { exit bad }' ||
	    fail "a line is wider than 100 columns"
	case "$OUT" in *$'\033'*) fail "escape codes off a terminal" ;; esac
}

test_colour_only_on_a_terminal() {
	local E=8214
	action installation installation.created $E xena 8314
	script -qec "$CLI --entity-id $E" /dev/null >"$TEST_TMP/tty.out" 2>&1
	grep -q $'\033\\[1mID' "$TEST_TMP/tty.out" || fail "no bold header on a terminal: $(head -3 "$TEST_TMP/tty.out")"
	NO_COLOR= script -qec "$CLI --entity-id $E" /dev/null >"$TEST_TMP/tty.out" 2>&1
	! grep -q $'\033' "$TEST_TMP/tty.out" || fail "colour despite NO_COLOR"
	grep -q "installation.created" "$TEST_TMP/tty.out" || fail "no table with NO_COLOR"
}

test_all_follows_every_page() {
	local E=8215 want
	sql "INSERT INTO installation_events (received_at, source, event, outcome, installation_id, entity_type, entity_id, entity_name, payload)
	     SELECT '2026-02-01T00:00:00Z'::timestamptz + (g / 4) * interval '1 second', 'webhook', 'installation_repositories.added', 'ok', 8315, 'User', $E, 'yuri', '{}'
	     FROM generate_series(1, 25) g" >/dev/null
	want=$(sql "SELECT string_agg(id::text, ',' ORDER BY received_at, id) FROM installation_events WHERE entity_id = $E")
	cli --entity-id $E --limit 10 --json
	assert_rc 0
	assert_eq 10 "$(jq '.events | length' "$TEST_TMP/cli.out")" "one page"
	[ "$(jq -r .next_cursor "$TEST_TMP/cli.out")" != null ] || fail "no next_cursor on page 1"
	cli --entity-id $E --limit 10 --all --json
	assert_rc 0
	assert_eq "$want" "$(jq -r '[.events[].id | tostring] | join(",")' "$TEST_TMP/cli.out")" "--all ids in order"
	assert_eq null "$(jq -r .next_cursor "$TEST_TMP/cli.out")" "merged next_cursor"
	get "/trace/entity/$E?limit=10&cursor=$(echo "$want" | cut -d, -f20)"
	assert_eq "$(jq -S '.state, .diagnosis, .entity_name' "$TEST_TMP/curl.out")" \
	    "$(jq -S '.state, .diagnosis, .entity_name' "$TEST_TMP/cli.out")" "state of the last page"
	cli --entity-id $E --limit 10 --all
	assert_rc 0
	assert_eq 25 "$(printf '%s\n' "$OUT" | grep -c 'installation_repositories.added')" "table rows with --all"
	case "$OUT" in *"more events follow"*) fail "--all left a next page" ;; esac
	cli --entity-id $E --limit 10
	assert_eq 10 "$(printf '%s\n' "$OUT" | grep -c 'installation_repositories.added')" "table rows of one page"
	case "$OUT" in *"more events follow: use --all, or a larger --limit"*) ;; *) fail "no note of the next page" ;; esac
}

# Issue 12, finding 3: a spool-replayed row keeps its arrival time but
# gets a new, higher id, so next_cursor may go down from page to page;
# --all must follow it and still stop.
test_all_accepts_cursors_that_do_not_grow() {
	local E=8221 want c1 c2
	sql "INSERT INTO installation_events (received_at, source, event, outcome, installation_id, entity_type, entity_id, entity_name, payload)
	     SELECT '2026-03-01T00:00:00Z'::timestamptz + g * interval '1 minute', 'webhook', 'installation_repositories.added', 'ok', 8321, 'User', $E, 'zed', '{}'
	     FROM generate_series(1, 4) g" >/dev/null
	sql "INSERT INTO installation_events (received_at, source, event, outcome, installation_id, entity_type, entity_id, entity_name, payload)
	     VALUES ('2026-03-01T00:01:30Z', 'webhook', 'installation_repositories.removed', 'ok', 8321, 'User', $E, 'zed', '{}')" >/dev/null
	want=$(sql "SELECT string_agg(id::text, ',' ORDER BY received_at, id) FROM installation_events WHERE entity_id = $E")
	get "/trace/entity/$E?limit=2"
	c1=$(jq -r .next_cursor "$TEST_TMP/curl.out")
	get "/trace/entity/$E?limit=2&cursor=$c1"
	c2=$(jq -r .next_cursor "$TEST_TMP/curl.out")
	[ "$c2" -lt "$c1" ] || fail "the cursor did not go down ($c1, then $c2)"
	cli --entity-id $E --limit 2 --all --json
	assert_rc 0
	assert_eq "$want" "$(jq -r '[.events[].id | tostring] | join(",")' "$TEST_TMP/cli.out")" "--all ids in order"
	cli --entity-id $E --limit 2 --all
	assert_rc 0
	assert_eq 5 "$(printf '%s\n' "$OUT" | grep -c 'installation_repositories')" "table rows"
}

test_filters_reach_the_server() {
	local E=8216 I=8316 del before f
	action installation installation.created $E zoe $I
	f=$(fixture_edit installation.deleted "$(acct $E zoe $I)")
	deliver installation "$f" dup-8216
	deliver installation "$f" dup-8216
	del=$(printf '%s' "$BODY" | jq -r .id)
	before=$(sql "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM installation_events WHERE entity_id = $E ORDER BY id LIMIT 1")
	cli --entity-id $E
	assert_rc 0
	case "$OUT" in "entity $E zoe: 3 events"*) ;; *) fail "all rows: ${OUT%%$'\n'*}" ;; esac
	cli --entity-id $E --dedupe
	case "$OUT" in "entity $E zoe: 2 events"*) ;; *) fail "--dedupe: ${OUT%%$'\n'*}" ;; esac
	cli --entity-id $E --event installation.deleted
	case "$OUT" in "entity $E zoe: 2 events"*) ;; *) fail "--event: ${OUT%%$'\n'*}" ;; esac
	cli --entity-id $E --since 2099-01-01
	case "$OUT" in "entity $E zoe: 0 events"$'\n\n'"no events"*) ;; *) fail "--since: ${OUT%%$'\n'*}" ;; esac
	cli --entity-id $E --until 2000-01-01
	case "$OUT" in "entity $E zoe: 0 events"*) ;; *) fail "--until: ${OUT%%$'\n'*}" ;; esac
	cli --entity-id $E --at "$before"
	assert_rc 0
	printf '%s\n' "$OUT" | grep -q '^STATE as of ' || fail "--at: no as-of title"
	printf '%s\n' "$OUT" | grep -q '^  installed          yes$' || fail "--at: not installed as of then"
	cli --entity-id $E
	printf '%s\n' "$OUT" | grep -q '^  installed          no$' || fail "now: still installed"
	# --url beats INSTLOG_URL.
	INSTLOG_URL="http://127.0.0.1:$(stack_free_port)" cli --entity-id $E --url "$INSTLOG_URL/"
	assert_rc 0
}

test_verbose_prints_auth_failure_payloads() {
	local E=8217 I=8317 a404
	action installation installation.created $E vera $I
	queue_job $E vera $I 8417 vera/app
	action installation installation.deleted $E vera $I
	auth_row $E vera $I 29310 404 vera/app 8417; a404=$LAST_ID
	cli --installation-id $I --verbose
	assert_rc 0
	printf '%s\n' "$OUT" | grep -q "^PAYLOAD of event $a404 (auth_attempt.404) at " || fail "no payload title: $OUT"
	printf '%s\n' "$OUT" | grep -q '^  repository.full_name  *vera/app$' || fail "no repository line"
	printf '%s\n' "$OUT" | grep -q '^  message  *Not Found$' || fail "no message line"
	printf '%s\n' "$OUT" | grep -q "^ *$a404 .*auth_attempt.404 .*vera/app *8417$" || fail "auth row without repo and job"
	printf '%s\n' "$OUT" | grep -q '^  uninstalled ' || fail "no diagnosis"
	# With --json: the list, then each payload document, as received.
	cli --installation-id $I --verbose --json
	assert_rc 0
	get "/trace/installation/$I"
	cp "$TEST_TMP/curl.out" "$TEST_TMP/want"
	get "/trace/payload/$a404"
	cat "$TEST_TMP/curl.out" >>"$TEST_TMP/want"
	cmp -s "$TEST_TMP/want" "$TEST_TMP/cli.out" || fail "--json --verbose is not the list then the payload"
	assert_eq 2 "$(jq -s length "$TEST_TMP/cli.out")" "documents"
}

test_entity_name_through_fake_github() {
	action installation installation.created 8218 octo-user 8318
	action installation installation.created 8219 octo-org 8319
	action installation installation.created 8223 a--b 8323
	action installation installation.created 8224 old-name- 8324
	mini_nginx github 'map $http_authorization $gh_auth { "Bearer tkn" 1; default 0; }
	map "$http_accept|$http_x_github_api_version" $gh_hdrs { "application/vnd.github+json|2022-11-28" 1; default 0; }
	server {
		listen 127.0.0.1:@PORT@;
		if ($gh_auth = 0) { return 401 "{\"message\":\"Bad credentials\"}"; }
		if ($gh_hdrs = 0) { return 400 "{\"message\":\"missing Accept or X-GitHub-Api-Version\"}"; }
		location = /users/octo-user { return 200 "{\"login\":\"octo-user\",\"id\":8218,\"type\":\"User\"}"; }
		location = /orgs/octo-org { return 200 "{\"login\":\"octo-org\",\"id\":8219,\"type\":\"Organization\"}"; }
		location = /users/boom { return 500 "{\"message\":\"Server Error\"}"; }
		location = /users/broken { return 200 "{\"login\":\"broken\"}"; }
		location = /users/ghost { return 200 "{\"login\":\"ghost\",\"id\":8299,\"type\":\"User\"}"; }
		location = /users/a--b { return 200 "{\"login\":\"a--b\",\"id\":8223,\"type\":\"User\"}"; }
		location = /orgs/old-name- { return 200 "{\"login\":\"old-name-\",\"id\":8224,\"type\":\"Organization\"}"; }
		location / { return 404 "{\"message\":\"Not Found\"}"; }
	}'
	export GITHUB_API_URL=$MINI_URL GITHUB_TOKEN=tkn
	# Old logins the current signup rules refuse, accepted as the server
	# accepts them (/trace/entity-by-name/ answers them too).
	cli --entity-name a--b
	assert_rc 0
	case "$OUT" in "entity 8223 a--b: 1 event"*) ;; *) fail "a--b: ${OUT%%$'\n'*}" ;; esac
	cli --entity-name old-name- --json
	assert_rc 0
	assert_eq 8224 "$(jq .entity_id "$TEST_TMP/cli.out")" "old-name- entity id"
	get /trace/entity-by-name/old-name-
	assert_eq 8224 "$(jq .entity_id "$TEST_TMP/curl.out")" "old-name- by name"
	cli --entity-name octo-user
	assert_rc 0
	case "$OUT" in "entity 8218 octo-user: 1 event"*) ;; *) fail "user: ${OUT%%$'\n'*}" ;; esac
	# An organization answers on /orgs/ only.
	cli --entity-name octo-org --json
	assert_rc 0
	assert_eq 8219 "$(jq .entity_id "$TEST_TMP/cli.out")" "org entity id"
	cli --entity-name nobody
	assert_error 4 "no GitHub user or organization named 'nobody'"
	cli --entity-name ghost
	assert_error 4 "entity 8299 ('ghost'): not found"
	cli --entity-name boom
	assert_error 5 "github: $MINI_URL/users/boom: HTTP 500 (Server Error)"
	cli --entity-name broken
	assert_error 5 "github: $MINI_URL/users/broken: no account id in the reply"
	GITHUB_TOKEN=wrong cli --entity-name octo-user
	assert_error 3 "github: $MINI_URL/users/octo-user: HTTP 401 (Bad credentials); check GITHUB_TOKEN"
	env -u GITHUB_TOKEN "$CLI" --entity-name octo-user >"$TEST_TMP/o" 2>"$TEST_TMP/e"
	RC=$? OUT=$(cat "$TEST_TMP/o") ERR=$(cat "$TEST_TMP/e")
	assert_error 3 "HTTP 401"
	printf 'tkn\n' >"$TEST_TMP/gh-token"
	GITHUB_TOKEN= GITHUB_TOKEN_FILE=$TEST_TMP/gh-token cli --entity-name octo-user
	assert_rc 0
	GITHUB_API_URL="http://127.0.0.1:$(stack_free_port)" cli --entity-name octo-user
	assert_error 6 "cannot reach"
	GITHUB_API_URL=http://api.example.com cli --entity-name octo-user
	assert_error 2 "GITHUB_API_URL: plain http is only allowed to a loopback host"
}

# Issue 12, finding 1: with every proxy variable set, neither the trace
# requests (and their token) nor the GitHub lookup leave for the proxy.
test_loopback_never_through_a_proxy() {
	action installation installation.created 8220 proxy-user 8320
	mini_nginx github 'server {
		listen 127.0.0.1:@PORT@;
		location = /users/proxy-user { return 200 "{\"login\":\"proxy-user\",\"id\":8220,\"type\":\"User\"}"; }
		location / { return 404 "{\"message\":\"Not Found\"}"; }
	}'
	proxy_start || return
	GITHUB_API_URL=$MINI_URL cli --entity-name proxy-user --verbose
	assert_rc 0
	cli --installation-id 8320 --json
	assert_rc 0
	assert_eq 8220 "$(jq .entity_id "$TEST_TMP/cli.out")" "entity through the stack"
	assert_proxy_unused instlog-trace
}

test_make_install_honours_prefix() {
	local dest=$TEST_TMP/dest
	make -s -C "$TOP" install DESTDIR="$dest" PREFIX=/opt/instlog >"$TEST_TMP/make.out" 2>&1 ||
	    { fail "make install: $(tail -5 "$TEST_TMP/make.out")"; return; }
	[ -x "$dest/opt/instlog/bin/instlog-trace" ] || fail "instlog-trace not installed under PREFIX"
	[ -x "$dest/opt/instlog/bin/webhook" ] || fail "webhook not installed with it"
	"$dest/opt/instlog/bin/instlog-trace" --help | grep -q '^usage: instlog-trace' || fail "installed binary does not run"
}

# --failing: the fleet's failing accounts (GET /trace/failing) as a table
# and as the server's JSON, with --cause and --since; the options that do
# not apply refused.
test_cli_failing() {
	db_reset
	install 5301 fay 6301
	action installation installation.deleted 5301 fay 6301
	auth_row 5301 fay 6301 29310 404 fay/app 7301
	install 5302 gus 6302
	auth_row 5302 gus 6302 29310 503 gus/app 7302
	cli --failing
	assert_rc 0
	assert_eq "2 failing accounts, newest failure first" "$(printf '%s\n' "$OUT" | head -1)" "title"
	assert_eq "CAUSE               ACCOUNT                   SINCE (UTC)          FAILURES  SUMMARY" \
	    "$(printf '%s\n' "$OUT" | sed -n 3p)" "header"
	printf '%s\n' "$OUT" | sed -n 4p | grep -q '^github_unavailable  gus (5302) .* 1         GitHub answered 503' ||
	    fail "first line: $(printf '%s\n' "$OUT" | sed -n 4p)"
	printf '%s\n' "$OUT" | sed -n 5p | grep -q '^uninstalled         fay (5301) .* 1         the app was uninstall' ||
	    fail "second line: $(printf '%s\n' "$OUT" | sed -n 5p)"
	[ "$(printf '%s' "$OUT" | python3 -c 'import sys; print(max(len(l) for l in sys.stdin.read().split("\n")))')" -le 100 ] || fail "a line wider than 100"
	cli --failing --json
	assert_rc 0
	trace /trace/failing
	assert_eq "$BODY" "$OUT" "--json is the server's reply"
	cli --failing --cause uninstalled --since 1h --json
	assert_rc 0
	assert_eq 5301 "$(printf '%s' "$OUT" | jq -r '[.data[].entity_id] | join(",")')" "--cause"
	cli --failing --since 2099-01-01
	assert_rc 0
	assert_eq "no account is failing" "$(printf '%s\n' "$OUT" | sed -n 3p)" "empty"
	cli --failing --cause bogus
	assert_error 2 "cause"
	cli --failing --event installation
	assert_error 2 "--event does not apply to --failing"
	cli --entity-id 5301 --cause uninstalled
	assert_error 2 "--cause goes with --failing only"
	cli --failing --entity-id 5301
	assert_error 2 "only one of"
}
