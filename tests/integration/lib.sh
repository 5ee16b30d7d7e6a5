#!/bin/bash
# SPDX-License-Identifier: MIT
# Helpers for the integration tests: signed deliveries, SQL, assertions.
# Sourced by tests/integration/run.sh after the stack is up.

FIXTURES=${FIXTURES:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/shared/fixtures/github}

# test_root NAME: a fresh TEST_ROOT (/tmp/instlog-NAME.XXXXXX) with
# TEST_TMP in it, for a runner (tests/integration/run.sh,
# tests/browser/run.sh) to start its stack in; at exit the stack stops and
# TEST_ROOT goes, unless KEEP is set.
test_root() {
	TEST_ROOT=$(mktemp -d "/tmp/instlog-$1.XXXXXX") || exit 1
	chmod 755 "$TEST_ROOT"
	export TEST_TMP=$TEST_ROOT/tmp
	mkdir -p "$TEST_TMP"
	unset DATABASE_URL INSTLOG_RUNNER_LABELS
	trap test_root_cleanup EXIT
	trap 'exit 130' INT TERM
}

test_root_cleanup() {
	stack_stop
	[ -n "${KEEP:-}" ] || rm -rf "$TEST_ROOT"
}

# fixture NAME: path of ../shared/fixtures/github/NAME.json (must exist).
fixture() {
	local f="$FIXTURES/$1.json"
	[ -f "$f" ] || { echo "missing fixture $f" >&2; return 1; }
	echo "$f"
}

# fixture_edit NAME JQ: a temp copy of fixture NAME rewritten by jq -c.
fixture_edit() {
	local out
	out=$(mktemp "$TEST_TMP/fx.XXXXXX")
	jq -c "$2" "$(fixture "$1")" >"$out" || return 1
	echo "$out"
}

# sign FILE [SECRET]: the hex HMAC-SHA256 of FILE.
sign() {
	openssl dgst -sha256 -hmac "${2:-$GITHUB_WEBHOOK_SECRET}" -r "$1" | cut -d' ' -f1
}

new_guid() { cat /proc/sys/kernel/random/uuid; }

# deliver EVENT FILE [DELIVERY_ID] [curl args...]: POST a signed delivery.
# Sets STATUS and BODY (the response).
deliver() {
	local event=$1 file=$2 id=${3:-$(new_guid)}
	shift 3 2>/dev/null || shift $#
	LAST_DELIVERY=$id
	BODY=$(curl -sS -o - -w '\n%{http_code}' -X POST \
	    -H "X-GitHub-Event: $event" -H "X-GitHub-Delivery: $id" \
	    -H "X-GitHub-Hook-Installation-Target-Type: integration" \
	    -H "X-GitHub-Hook-Installation-Target-ID: ${APP_ID:-29310}" \
	    -H "X-Hub-Signature-256: sha256=$(sign "$file")" \
	    -H 'Content-Type: application/json' \
	    "$@" --data-binary @"$file" "$INSTLOG_URL/webhook")
	STATUS=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
}

# http METHOD PATH [curl args...]: any request; sets STATUS, BODY, HEADERS.
http() {
	local m=$1 p=$2 hf
	shift 2
	hf=$(mktemp "$TEST_TMP/h.XXXXXX")
	BODY=$(curl -sS -o - -D "$hf" -w '\n%{http_code}' -X "$m" "$@" "$INSTLOG_URL$p")
	STATUS=${BODY##*$'\n'}
	BODY=${BODY%$'\n'*}
	HEADERS=$(cat "$hf")
}

# sql QUERY: run QUERY, print unaligned tuples.
sql() { psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

# The delivery document of a row, as the routes read it: the body kept as
# sent, or the payload of a row before sql/020 (or one only jsonb took).
DOC="COALESCE(body::jsonb, payload)"

# db_reset: empty every table (TRUNCATE, not DELETE: the log is append-only).
db_reset() { sql "TRUNCATE installation_events, jobs, auth_cache, fold_checkpoints, fold_checkpoint_scan RESTART IDENTITY" >/dev/null; }

# fail MESSAGE: record a failed assertion; the runner fails the test.
fail() {
	echo "FAIL: $*" >&2
	echo "$*" >>"$TEST_TMP/failed"
	return 1
}

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# assert_status EXPECTED: the last STATUS.
assert_status() {
	[ "$STATUS" = "$1" ] || fail "expected HTTP $1, got $STATUS (body: ${BODY:0:200})"
}

# assert_json JQ EXPECTED: jq -r JQ over BODY equals EXPECTED.
assert_json() {
	local got
	got=$(printf '%s' "$BODY" | jq -r "$1" 2>/dev/null) || { fail "body is not JSON: ${BODY:0:200}"; return 1; }
	[ "$got" = "$2" ] || fail "$1: expected '$2', got '$got'"
}

# app_keys DIR: an RSA key pair per app variant (org.pem/org.pub,
# user.pem/user.pub) in DIR, made once; never committed.
app_keys() {
	[ -f "$1/user.pub" ] && return 0
	mkdir -p "$1"
	local v
	for v in org user; do
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		    -out "$1/$v.pem" 2>/dev/null &&
		    openssl pkey -in "$1/$v.pem" -pubout -out "$1/$v.pub" ||
		    return 1
	done
}

# rows_for DELIVERY: how many rows carry that delivery id.
rows_for() { sql "SELECT count(*) FROM installation_events WHERE delivery_id = '$1'"; }

# mini_nginx NAME CONFIG: start a throwaway nginx on a free loopback port
# whose http block holds CONFIG (with @PORT@ for its port).  Sets
# MINI_URL; the nginx stops when the test's subshell exits.
mini_nginx() {
	local dir=$TEST_TMP/$1 port i
	port=$(stack_free_port) || return 1
	mkdir -p "$dir"
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<-EOF
		worker_processes 1;
		pid $dir/nginx.pid;
		error_log $dir/error.log warn;
		events { worker_connections 64; }
		http {
			access_log off;
			client_body_temp_path $dir/body;
			proxy_temp_path $dir/proxy;
			fastcgi_temp_path $dir/fastcgi;
			uwsgi_temp_path $dir/uwsgi;
			scgi_temp_path $dir/scgi;
			default_type application/json;
			${2//@PORT@/$port}
		}
		EOF
	} >"$dir/nginx.conf"
	nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' &
	MINI_PID=$!
	trap 'kill -TERM $MINI_PID 2>/dev/null; wait $MINI_PID 2>/dev/null' EXIT
	MINI_URL="http://127.0.0.1:$port"
	for i in $(seq 1 100); do
		curl -s -o /dev/null "$MINI_URL/" && return 0
		sleep 0.05
	done
	fail "mini nginx $1 did not start: $(cat "$dir/error.log")"
}

# Outages, for test_reliability.sh and test_group_commit.sh.

# spool_count: deliveries waiting in the spool.
spool_count() {
	find "$INSTLOG_SPOOL_DIR" -maxdepth 1 -name '*.delivery' | wc -l
}

# spool_drain [SECONDS]: replay until the spool is empty (the stack's own
# replayer loop may take turns with us: the lock keeps us apart).
spool_drain() {
	local limit=$((${1:-60} * 10)) i
	for ((i = 0; i < limit; i++)); do
		[ "$(spool_count)" = 0 ] && return 0
		${STACK_WRAPPER:-} "$STACK_BIN/spool_replay" -1 >>"$TEST_TMP/replay.log" 2>&1
		[ "$(spool_count)" = 0 ] && return 0
		sleep 0.1
	done
	fail "spool not drained after ${1:-60} s: $(spool_count) left"
}

pg_is_up() { stack_as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; }

# pg_ensure_up: for traps; later tests share this PostgreSQL.
pg_ensure_up() {
	pg_thaw
	pg_is_up || stack_pg_resume
}

# The postmaster and its children.
pg_pids() {
	local pm
	pm=$(head -1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null) || return 0
	echo "$pm"
	pgrep -P "$pm"
}
pg_freeze() { kill -STOP $(pg_pids) 2>/dev/null; }
pg_thaw() { kill -CONT $(pg_pids) 2>/dev/null; return 0; }

# lock_events SECONDS: hold an ACCESS EXCLUSIVE lock on installation_events
# for SECONDS in the background (psql's pid in LOCKER); returns once the
# lock is granted.
lock_events() {
	psql "$DATABASE_URL" -X -q -c "BEGIN; LOCK TABLE installation_events IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($1); COMMIT;" >/dev/null &
	LOCKER=$!
	for _ in $(seq 1 50); do
		[ "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'installation_events' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ] && return 0
		sleep 0.1
	done
	fail "lock on installation_events not granted"
}

# record NAME LINE: print the numbers of a test and keep them in
# build/reliability-NAME.txt for tests/RELIABILITY.md.
record() {
	echo "$2"
	[ -d "$TOP/build" ] && echo "$2" >"$TOP/build/reliability-$1.txt"
	return 0
}

# statuses DIR: "code count" lines over DIR/* (lines "code seconds ...").
statuses() { awk '{print $1}' "$1"/* | sort | uniq -c | awk '{print $2, $1}'; }

# slowest DIR: the longest answer time over DIR/*, in seconds.
slowest() { awk '$2 > m {m = $2} END {print m + 0}' "$1"/*; }

# Timelines of one account, and their traces, for the trace suites.

TOKEN_HDR() { echo "Authorization: Bearer $TRACE_API_SECRET"; }
trace() { http GET "$1" -H "$(TOKEN_HDR)"; }

# Edits giving fixture payloads the account E (login L), installation I.
acct() { echo ".installation.account.id = $1 | .installation.account.login = \"$2\" | .installation.id = $3 | .installation.app_id = 29310"; }

# install E L I [SELECTION REPOS_JSON]: deliver installation.created.
install() {
	local sel=${4:-selected} repos=${5:-'[{"id":1,"name":"app","full_name":"'$2'/app","private":false}]'}
	deliver installation "$(fixture_edit installation.created "$(acct "$1" "$2" "$3") | .installation.repository_selection = \"$sel\" | .repositories = $repos")"
	assert_status 200
	LAST_ID=$(printf '%s' "$BODY" | jq -r .id)
}

# action EVENT FIXTURE E L I [EXTRA_JQ]: deliver a fixture for account E;
# LAST_ID is its row.
action() {
	deliver "$1" "$(fixture_edit "$2" "$(acct "$3" "$4" "$5") ${6:-}")"
	assert_status 200
	LAST_ID=$(printf '%s' "$BODY" | jq -r .id)
}

# queue_job E L I JOB REPO: a pending job for the account, from the fixture;
# LAST_ID is its row.
queue_job() {
	deliver workflow_job "$(fixture_edit workflow_job.queued ".repository.owner.id = $1 | .repository.owner.login = \"$2\" | .repository.owner.type = \"User\" | .installation.id = $3 | .workflow_job.id = $4 | .repository.full_name = \"$5\"")"
	assert_json .outcome job_stored
	LAST_ID=$(printf '%s' "$BODY" | jq -r .id)
}

# rename E OLD NEW I: deliver installation_target.renamed for account E.
# It has no published example: built from the schema (account,
# changes.login.from, installation) over the fields of a real installation
# payload.  LAST_ID is its row.
rename() {
	deliver installation_target "$(fixture_edit installation.created "$(acct "$1" "$2" "$4") | {action: \"renamed\", target_type: \"User\",
	    account: (.installation.account | .login = \"$3\"), changes: {login: {from: \"$2\"}},
	    installation: {id: .installation.id, node_id: \"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNjEwNA==\"}, sender: .sender}")"
	assert_json .outcome ok
	LAST_ID=$(printf '%s' "$BODY" | jq -r .id)
}

# auth_row E L I APP STATUS REPO JOB [TIME [ID]]: a scheduler row as
# cron/auth_check writes it (docs/data-model.md#scheduler-rows),
# optionally at TIME with row id ID.
auth_row() {
	local ev=auth_attempt.other_error oc=auth_other_error cols="" vals=""
	[ "$5" = 404 ] && { ev=auth_attempt.404; oc=auth_404; }
	[ -n "${8:-}" ] && { cols="received_at, "; vals="'$8', "; }
	[ -n "${9:-}" ] && { cols="id, $cols"; vals="$9, $vals"; }
	LAST_ID=$(sql "INSERT INTO installation_events ($cols source, event, outcome, app_id, installation_id, entity_type, entity_id, entity_name, payload)
	    OVERRIDING SYSTEM VALUE VALUES ($vals 'scheduler', '$ev', '$oc', $4, $3, 'User', $1, '$2',
	    jsonb_build_object('installation_id', $3, 'app_id', $4, 'entity_type', 'User', 'entity_id', $1, 'entity_name', '$2',
	      'repository', jsonb_build_object('full_name', '$6'), 'workflow_job', jsonb_build_object('id', $7),
	      'http_status', $5, 'message', 'Not Found')) RETURNING id")
}

# listening_port FILE NAME: wait for the line "NAME: listening on
# 127.0.0.1:PORT" in FILE (a test server's stdout) and print PORT.
listening_port() {
	local port=""
	for _ in $(seq 1 100); do
		port=$(sed -n "s/^$2: listening on 127\.0\.0\.1:\([0-9]*\)\$/\1/p" "$1")
		[ -n "$port" ] && { echo "$port"; return 0; }
		sleep 0.05
	done
	return 1
}

# proxy_start: a fake_proxy (tests/support/fake_proxy.c) on a free port,
# named by every proxy variable libcurl reads, NO_PROXY unset.  PROXY_LOG
# records every connection it gets.  First checks, with curl(1) told to
# use it, that it records a request, so that an empty log later means
# nothing was sent.  Killed when the test's subshell exits.
proxy_start() {
	local port="" prev
	PROXY_LOG=$TEST_TMP/proxy.log
	: >"$PROXY_LOG"
	: >"$TEST_TMP/proxy.out" # no earlier proxy's port for listening_port
	"$TOP/build/tests/fake_proxy" --log "$PROXY_LOG" >"$TEST_TMP/proxy.out" 2>&1 &
	PROXY_PID=$!
	prev=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\\1/")
	trap "kill $PROXY_PID 2>/dev/null; wait $PROXY_PID 2>/dev/null; $prev" EXIT
	port=$(listening_port "$TEST_TMP/proxy.out" fake_proxy) ||
	    { fail "fake_proxy did not start: $(cat "$TEST_TMP/proxy.out")"; return 1; }
	curl -s -o /dev/null --proxy "http://127.0.0.1:$port" http://127.0.0.1:9/probe
	grep -q '^GET http://127.0.0.1:9/probe ' "$PROXY_LOG" ||
	    { fail "fake_proxy recorded nothing: $(cat "$PROXY_LOG")"; return 1; }
	: >"$PROXY_LOG"
	export http_proxy=http://127.0.0.1:$port HTTP_PROXY=http://127.0.0.1:$port
	export https_proxy=http://127.0.0.1:$port HTTPS_PROXY=http://127.0.0.1:$port
	export ALL_PROXY=http://127.0.0.1:$port all_proxy=http://127.0.0.1:$port
	unset NO_PROXY no_proxy
}

# assert_proxy_unused WHAT: nothing reached the fake proxy.
assert_proxy_unused() {
	[ ! -s "$PROXY_LOG" ] || fail "$1 went through the proxy: $(head -3 "$PROXY_LOG" | tr '\n' ' ')"
}
