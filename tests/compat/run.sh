#!/bin/bash
# SPDX-License-Identifier: MIT
# The compatibility test: every answer of every route, and the CLI's
# output, byte for byte the same from COMPAT_BASE's binaries and from this
# tree's, over one database.
#
# COMPAT_BASE (a git revision, default below) is taken with `git archive`
# and its route binaries and CLI built, as tests/upgrade/run.sh builds
# PREV_MAIN.  One throwaway PostgreSQL and this tree's stack
# (tests/stack.sh) start; the database is filled through this tree's
# webhook and cron programs: every fixture signed, timelines with each
# diagnosis, auth_check runs against fake_github (completed, killed and
# abandoned, failed), notify to fake_receiver sinks, maintenance, a
# spooled delivery replayed by spool_replay (a copy of its file put back:
# one waiting), a redelivery sweep and the delivery it asked for.  Then COMPAT_BASE's
# binaries start on their own sockets behind their own nginx (its nginx/
# files) on the same database, and every request below goes to both:
# status, Content-Type, the headers a binary sets (Allow,
# WWW-Authenticate, Cache-Control, Retry-After, Location) and the body
# must be the same bytes.  The allowed differences, each normalized in
# both answers before they are compared:
#   (a) /operations, /operations/{id} and the CLI's --operations and
#       --operation output: every ISO-8601 UTC time is cut (or padded)
#       to milliseconds (step times go from 3 decimals to 6);
#   (b) /metrics: instlog_spool_oldest_seconds, the age of the spool file
#       left waiting, grows between two scrapes a moment apart; the
#       families added since (instlog_failing_installations*, issue 24)
#       are left out;
#   (c) the CLI: the old stack's base URL in the old CLI's messages reads
#       as the new one's (the two stacks cannot share a port).
#   (d) /ui/app.js and /ui/style.css: files, not answers, which change
#       with the page's features (the live views of issue 26): their
#       status and headers are compared, not their bytes.
# A webhook delivery writes a row, so the new answer names the next id:
# that pair must differ by exactly that (old id + 1), nothing else.
# Prints one line per failed check with a diff -u (40 lines), then
# "compat: N passed, M failed"; exits non-zero on any failure.
# KEEP=1 keeps the temporary folder; VERBOSE=1 prints every check.

set -u
# The revision the answers must not change from: the main right before
# the change under test (bump it to the commit before a restructure).
COMPAT_BASE=${COMPAT_BASE:-602aea2}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
FIXTURES=${FIXTURES:-$TOP/../shared/fixtures/github}
. "$TOP/tests/stack.sh"
. "$TOP/tests/integration/lib.sh"

passed=0
failed=0
START=$SECONDS

summary() {
	echo
	echo "compat: $passed passed, $failed failed ($((SECONDS - START)) s)"
	[ "$failed" -eq 0 ]
	exit
}

# setup_failed WHAT [LOG]: the test cannot go on.
setup_failed() {
	failed=$((failed + 1))
	echo "not ok - setup: $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -20 "$2" | sed 's/^/    /'
	summary
}

[ -d "$FIXTURES" ] || setup_failed "fixtures not found at $FIXTURES"
if ! rev=$(git -C "$TOP" rev-parse --verify -q "$COMPAT_BASE^{commit}"); then
	setup_failed "COMPAT_BASE $COMPAT_BASE is not in this clone (a shallow clone?): fetch main's history (git fetch --unshallow)"
fi

ROOT=$(mktemp -d /tmp/instlog-compat.XXXXXX) || exit 1
chmod 755 "$ROOT"
export TEST_TMP=$ROOT/tmp
BASE=$ROOT/base
CMP=$ROOT/cmp
mkdir -p "$TEST_TMP" "$BASE" "$CMP"
unset DATABASE_URL DATABASE_READ_URL INSTLOG_RUNNER_LABELS PG_PORT PORT
unset INSTLOG_NOTIFY_URL INSTLOG_NOTIFY_SECRET INSTLOG_NOTIFY_SECRET_FILE
unset INSTLOG_SLACK_WEBHOOK_URL INSTLOG_SLACK_WEBHOOK_URL_FILE
unset INSTLOG_PUBLIC_URL INSTLOG_METRICS_FILE GITHUB_TOKEN GITHUB_TOKEN_FILE
unset GITHUB_WEBHOOK_SECRET_PREVIOUS TRACE_API_SECRET_PREVIOUS
export NO_COLOR=1

# Every process this script starts, by pid, for the cleanup.
PIDS=()
PG_STARTED=

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	[ -n "$PG_STARTED" ] && [ -f "$PGDATA_DIR/postmaster.pid" ] &&
	    stack_as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop \
	    >/dev/null 2>&1
	[ -n "${KEEP:-}" ] && echo "compat: kept $ROOT" || rm -rf "$ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# use_stack DIR: source DIR/tests/stack.sh, its defaults (STACK_BIN,
# STACK_ROUTES...) not kept from the stack.sh sourced before (as
# tests/upgrade/run.sh does).
use_stack() {
	local v
	for v in $(sed -n 's/^\(STACK_[A-Za-z_]*\)=.*/\1/p' \
	    "$1/tests/stack.sh"); do
		unset "$v"
	done
	. "$1/tests/stack.sh"
}

# --- The two builds ---------------------------------------------------

# This tree as `make all` builds it (nothing to do under `make compat`),
# not under a calling make's flags or jobserver.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u WERROR \
    make -C "$TOP" -j2 --no-print-directory all >"$ROOT/new-build.log" 2>&1 ||
    setup_failed "this tree builds (make all)" "$ROOT/new-build.log"

echo "compat: building COMPAT_BASE $COMPAT_BASE (${rev:0:12}) ($((SECONDS - START)) s)"
git -C "$TOP" archive "$rev" | tar -x -C "$BASE" ||
    setup_failed "git archive $COMPAT_BASE"
# Only what is compared: its route binaries (its stack.sh's list) and
# its CLI.
base_routes=$(unset STACK_ROUTES; . "$BASE/tests/stack.sh"; echo "$STACK_ROUTES")
targets=""
for r in $base_routes instlog-trace; do
	targets="$targets build/bin/$r"
done
# In the background, while this tree's stack starts and is filled.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u WERROR \
    make -C "$BASE" -j2 $targets >"$ROOT/base-build.log" 2>&1 &
BUILD_PID=$!
PIDS+=("$BUILD_PID")

# --- This tree's stack, filled ----------------------------------------

export GITHUB_WEBHOOK_SECRET="cmp-secret-$RANDOM$RANDOM"
export TRACE_API_SECRET="cmp-trace-$RANDOM$RANDOM"
export INSTLOG_SPOOL_DIR=$ROOT/spool
mkdir -m 700 "$INSTLOG_SPOOL_DIR"
# Fold snapshots every 3 rows: the two sets read each other's.
export INSTLOG_FOLD_CHECKPOINT_EVERY=3
# A small cap, so that the webhook's own 413 costs little.
export INSTLOG_MAX_BODY=131072
# One worker a route (40 processes in all on 2 cores); the stack's
# replayer loop makes its first pass at start, then sleeps: the spool is
# replayed by hand below, and one file stays.
export STACK_WORKERS=1 STACK_REPLAY_INTERVAL=86400

# GitHub's /users/{login} for the CLI's --entity-name, served by this
# tree's nginx (any other /users/ or /orgs/ path: its 404).
cat >"$ROOT/github.conf" <<'EOF'
location = /users/cmp-dave-new {
	return 200 '{"login":"cmp-dave-new","id":5204,"type":"User"}';
}
location = /users/cmp-alice {
	return 200 '{"login":"cmp-alice","id":5201,"type":"User"}';
}
EOF
STACK_NGINX_EXTRA=$ROOT/github.conf stack_start "$ROOT/new" \
    >"$ROOT/new-stack.log" 2>&1
rc=$?
PG_STARTED=1
PIDS+=("${STACK_PIDS[@]}")
[ $rc = 0 ] || setup_failed "this tree's stack starts" "$ROOT/new-stack.log"
NEW_URL=$INSTLOG_URL
GITHUB_URL=$NEW_URL
echo "compat: this tree's stack at $NEW_URL, database $DATABASE_URL ($((SECONDS - START)) s)"

# Every row as COMPAT_BASE's webhook also writes it: that code reads a
# delivery from payload only, where this tree keeps the body as sent
# (sql/020_body.sql) and reads it first.  A test-only trigger puts the
# same document in payload too, so that the two read one document, each
# its own way, in the rows of the fill and of the comparison alike.
sql "CREATE FUNCTION compat_payload_of_body() RETURNS trigger
    LANGUAGE plpgsql AS \$\$ BEGIN
	IF NEW.body IS NOT NULL THEN NEW.payload := NEW.body::jsonb; END IF;
	RETURN NEW;
    END \$\$;
    CREATE TRIGGER compat_payload_of_body BEFORE INSERT ON installation_events
    FOR EACH ROW EXECUTE FUNCTION compat_payload_of_body()" >/dev/null ||
    setup_failed "the test's payload trigger"

# send EVENT FILE [GUID]: a signed delivery this tree's webhook must store.
send() {
	deliver "$1" "$2" "${3:-}"
	case $STATUS in 200 | 400) ;; *)
		fail "webhook stores $1 $(basename "$2"): HTTP $STATUS $BODY" ;;
	esac
}

# Every fixture as GitHub sends it: the event is the name up to the dot.
for f in "$FIXTURES"/*.json; do
	n=$(basename "$f" .json)
	send "${n%%.*}" "$f"
done

# The app keys and the fake GitHub: installation 6201 and 6203 answer
# 404, 6202 403, the others 201; its delivery list (for redeliver) is
# written below.
app_keys "$ROOT/keys" || setup_failed "app keys"
echo '[]' >"$ROOT/deliveries.json"
# fake_start NAME [fake_github args...]: start one; sets FAKE_URL.
fake_start() {
	local name=$1 port
	shift
	"$TOP/build/tests/fake_github" --port 0 --log "$ROOT/$name.log" \
	    --app "101:$ROOT/keys/org.pub" --app "29310:$ROOT/keys/user.pub" \
	    "$@" >"$ROOT/$name.out" 2>&1 &
	PIDS+=("$!")
	FAKE_PID=$!
	port=$(listening_port "$ROOT/$name.out" fake_github) ||
	    setup_failed "fake_github $name starts" "$ROOT/$name.out"
	FAKE_URL=http://127.0.0.1:$port
}
fake_start fake --answer 6201:404 --answer 6202:403 --answer 6203:404 \
    --deliveries "$ROOT/deliveries.json"
export GITHUB_APP_ORG_ID=101 GITHUB_APP_ORG_PRIVATE_KEY_FILE=$ROOT/keys/org.pem
export GITHUB_APP_USER_ID=29310 GITHUB_APP_USER_PRIVATE_KEY_FILE=$ROOT/keys/user.pem

# run_cron NAME [ARGS...]: run this tree's cron program NAME once against
# the fake GitHub; its output goes to ROOT/NAME.log.
run_cron() {
	local name=$1
	shift
	GITHUB_API_URL=$FAKE_URL "$TOP/build/bin/$name" "$@" \
	    >>"$ROOT/$name.log" 2>&1
}

# 1. An auth check of the fixtures' pending jobs: every one answers 201,
# a completed run.
run_cron auth_check || setup_failed "auth_check (all 201)" "$ROOT/auth_check.log"

# 2. A run killed while GitHub is slow: left running, marked abandoned
# by the next one.
sql "UPDATE auth_cache SET ok_until = now() - interval '1 minute'" >/dev/null
main_fake=$FAKE_URL
fake_start slow --latency-ms 20000
GITHUB_API_URL=$FAKE_URL "$TOP/build/bin/auth_check" >>"$ROOT/auth_check.log" 2>&1 &
ac_pid=$!
for _ in $(seq 1 100); do
	[ "$(sql "SELECT count(*) FROM operations WHERE status = 'running'")" = 1 ] && break
	sleep 0.1
done
kill -9 "$ac_pid" 2>/dev/null
wait "$ac_pid" 2>/dev/null
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
FAKE_URL=$main_fake
[ "$(sql "SELECT count(*) FROM operations WHERE status = 'running'")" = 1 ] ||
    setup_failed "a killed auth_check leaves its operation running"

# 3. Timelines with a diagnosis each (lib.sh's trace helpers, app
# 29310): uninstalled, suspended, repo_removed (their scheduler rows
# from the real auth check below), renamed, wrong_app, repo_not_selected
# (rows as auth_check writes them), a healthy one, a redelivery, a long
# one for paging, a login taken over.
lib='{"id":2,"name":"lib","full_name":"cmp-carol/lib","private":false}'
install 5201 cmp-alice 6201
queue_job 5201 cmp-alice 6201 7201 cmp-alice/app
action installation installation.deleted 5201 cmp-alice 6201
install 5202 cmp-bob 6202
queue_job 5202 cmp-bob 6202 7202 cmp-bob/app
action installation installation.suspend 5202 cmp-bob 6202
install 5203 cmp-carol 6203 selected \
    '[{"id":1,"name":"app","full_name":"cmp-carol/app","private":false},'"$lib]"
action installation_repositories installation_repositories.added \
    5203 cmp-carol 6203 '| .repositories_added = [{"id":3,"name":"web","full_name":"cmp-carol/web","private":false}]'
queue_job 5203 cmp-carol 6203 7203 cmp-carol/lib
action installation_repositories installation_repositories.added \
    5203 cmp-carol 6203 "| .action = \"removed\" |
    .repositories_added = [] | .repositories_removed = [$lib]"
install 5204 cmp-dave-old 6204
rename 5204 cmp-dave-old cmp-dave-new 6204
auth_row 5204 cmp-dave-old 6204 29310 404 cmp-dave-old/app 7204
install 5205 cmp-erin 6205 selected '[{"id":1,"name":"app","full_name":"cmp-erin/app","private":false}]'
auth_row 5205 cmp-erin 6205 31337 404 cmp-erin/app 7205
# A status no cause claims: 5xx, 401, 429 and a rate-limit 403 are
# diagnosed since issue 24 (github_unavailable, bad_credentials,
# rate_limited: answers that change by design, tested by test_causes.sh
# and test_failing.sh), so an unexplained 400 here.
auth_row 5205 cmp-erin 6205 29310 400 cmp-erin/app 7205
install 5206 cmp-frank 6206 selected '[{"id":1,"name":"app","full_name":"cmp-frank/app","private":false}]'
auth_row 5206 cmp-frank 6206 29310 404 cmp-frank/secret 7206
install 5207 cmp-grace 6207 all '[]'
queue_job 5207 cmp-grace 6207 7207 cmp-grace/app
action workflow_job workflow_job.in_progress 5207 cmp-grace 6207 \
    '| .workflow_job.id = 7207 | .repository.owner.id = 5207 | .repository.owner.login = "cmp-grace" | .repository.full_name = "cmp-grace/app"'
f=$(fixture_edit installation.created "$(acct 5208 cmp-heidi 6208)")
send installation "$f" cmp-dup-5208
send installation "$f" cmp-dup-5208
action installation installation.suspend 5208 cmp-heidi 6208
action installation installation.unsuspend 5208 cmp-heidi 6208
install 5210 cmp-liz-old 6210
rename 5210 cmp-liz-old cmp-liz-new 6210
install 5211 CMP-LIZ-OLD 6211
queue_job 5212 cmp-only-jobs 6212 7212 cmp-only-jobs/app
# A long timeline: 600 rows, 40 sharing each second (ties broken by id),
# then the account's own installation.
sql "INSERT INTO installation_events (received_at, source, event, outcome,
    installation_id, entity_type, entity_id, entity_name, payload)
    SELECT '2026-01-01T00:00:00Z'::timestamptz + (g / 40) * interval
    '1 second', 'webhook', 'installation_repositories.added', 'ok', 6209,
    'User', 5209, 'cmp-ivan', '{}' FROM generate_series(1, 600) g" >/dev/null
install 5209 cmp-ivan 6209
# A signed body without its installation: 400, a failed delivery
# operation.
deliver workflow_job "$(fixture_edit workflow_job.queued 'del(.installation)')"
[ "$STATUS" = 400 ] || fail "a signed invalid body: HTTP $STATUS"
[ -e "$TEST_TMP/failed" ] &&
    setup_failed "this tree's webhook stores the timelines" "$TEST_TMP/failed"

# 4. The failing auth check: 404 for 6201 and 6203, 403 for 6202, 201
# for 6207; it marks run 2 abandoned.
run_cron auth_check
[ "$(sql "SELECT count(*) FROM installation_events WHERE source =
    'scheduler' AND operation_id IS NOT NULL")" = 3 ] ||
    setup_failed "auth_check writes 3 scheduler rows" "$ROOT/auth_check.log"

# 5. notify: a gateway sink that takes everything and a Slack one that
# answers 500 (failed attempts, a failed run).
printf 'cmp-notify-%s\n' "$RANDOM$RANDOM" >"$ROOT/notify_secret"
echo 500 >"$ROOT/slack.status"
# receiver NAME [args...]: start a fake_receiver; sets RCV_PORT.
receiver() {
	local name=$1
	shift
	"$TOP/build/tests/fake_receiver" --port 0 --log "$ROOT/$name.log" "$@" \
	    >"$ROOT/$name.out" 2>&1 &
	PIDS+=("$!")
	RCV_PORT=$(listening_port "$ROOT/$name.out" fake_receiver) ||
	    setup_failed "fake_receiver $name starts" "$ROOT/$name.out"
}
receiver gateway --secret-file "$ROOT/notify_secret"
gateway=http://127.0.0.1:$RCV_PORT/events
receiver slack --status-file "$ROOT/slack.status"
slack=http://127.0.0.1:$RCV_PORT/services/T0/B0/cmp
INSTLOG_NOTIFY_URL=$gateway INSTLOG_NOTIFY_SECRET_FILE=$ROOT/notify_secret \
    INSTLOG_SLACK_WEBHOOK_URL=$slack INSTLOG_PUBLIC_URL=$NEW_URL \
    run_cron notify
[ -s "$ROOT/gateway.log" ] || setup_failed "notify sends to the gateway" "$ROOT/notify.log"

# 6. maintenance: partitions and retention.
run_cron maintenance || setup_failed "maintenance" "$ROOT/maintenance.log"

# 7. The spool: a delivery while installation_events is locked (past
# lock_timeout: spooled, 202), replayed by spool_replay; a copy of its
# file is then put back: a delivery waiting in the spool.
lock_events 3 || setup_failed "lock on installation_events"
deliver ping "$(fixture ping)" cmp-spooled
wait "$LOCKER"
[ "$STATUS" = 202 ] || setup_failed "a delivery spooled (202): HTTP $STATUS"
mkdir "$ROOT/aside"
cp -p "$INSTLOG_SPOOL_DIR"/*.delivery "$ROOT/aside/"
run_cron spool_replay -1
mv "$ROOT"/aside/*.delivery "$INSTLOG_SPOOL_DIR/"
[ "$(spool_count)" = 1 ] || setup_failed "one delivery left in the spool"

# 8. A redelivery sweep: GitHub lists one delivery we stored and one we
# missed (502); the sweep asks for the missed one, which then arrives.
stored=$(sql "SELECT delivery_id FROM installation_events WHERE event = 'installation.created' ORDER BY id LIMIT 1")
missed=cmp-missed-$(new_guid)
at() { date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%SZ; }
jq -n --arg s "$stored" --arg m "$missed" --arg t1 "$(at 300)" --arg t2 "$(at 120)" '[
  {id: 9002, guid: $m, delivered_at: $t2, redelivery: false, duration: 0.2,
   status: "Invalid HTTP Response: 502", status_code: 502,
   event: "installation", action: "suspend", installation_id: 6205,
   repository_id: null, app_id: 29310},
  {id: 9001, guid: $s, delivered_at: $t1, redelivery: false, duration: 0.2,
   status: "OK", status_code: 200, event: "installation",
   action: "created", installation_id: 957387, repository_id: null,
   app_id: 29310}]' >"$ROOT/deliveries.json"
run_cron redeliver
[ "$(sql "SELECT count(*) FROM redelivery_requests")" = 1 ] ||
    setup_failed "redeliver asks for the missed delivery" "$ROOT/redeliver.log"
send installation "$(fixture_edit installation.suspend "$(acct 5205 cmp-erin 6205)")" "$missed"
[ -e "$TEST_TMP/failed" ] &&
    setup_failed "this tree's webhook stores the redelivery" "$TEST_TMP/failed"

nrows=$(sql "SELECT count(*) FROM installation_events")
nops=$(sql "SELECT string_agg(type || ':' || status, ' ' ORDER BY id) FROM operations")
echo "compat: filled: $nrows rows; operations: $nops ($((SECONDS - START)) s)"
for t in delivery auth_check maintenance notify spool_replay redeliver; do
	[ "$(sql "SELECT count(*) > 0 FROM operations WHERE type = '$t' AND jsonb_array_length(steps) > 0")" = t ] ||
	    setup_failed "a $t operation with steps"
done

# --- COMPAT_BASE's stack on the same database -------------------------

wait "$BUILD_PID" || setup_failed "COMPAT_BASE builds" "$ROOT/base-build.log"
use_stack "$BASE"
RUNDIR=$ROOT/old
mkdir -p "$RUNDIR"
chmod 750 "$RUNDIR"
[ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && chgrp postgres "$RUNDIR"
PORT=$(stack_free_port) || setup_failed "a free port"
rc=0
for r in $STACK_ROUTES; do
	stack_route_start "$r" >>"$ROOT/old-stack.log" 2>&1 || { rc=1; break; }
done
[ $rc = 0 ] && { stack_nginx_start >>"$ROOT/old-stack.log" 2>&1 || rc=1; }
PIDS+=("${STACK_PIDS[@]}")
[ $rc = 0 ] || setup_failed "COMPAT_BASE's stack starts" "$ROOT/old-stack.log"
OLD_URL=http://127.0.0.1:$PORT
echo "compat: COMPAT_BASE's stack at $OLD_URL ($((SECONDS - START)) s)"
export INSTLOG_URL=$NEW_URL

# --- Comparing --------------------------------------------------------

AUTH="Authorization: Bearer $TRACE_API_SECRET"
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'
# (a) every ISO-8601 UTC time to milliseconds: no fraction gets .000,
# longer ones are cut, shorter ones padded (sed -E arguments).
NORM_MS=(-e "s/($TS)(Z|\+00:00)/\1.000\2/g"
    -e "s/($TS\.[0-9]+)(Z|\+00:00)/\1000\2/g"
    -e "s/($TS\.[0-9]{3})[0-9]*(Z|\+00:00)/\1\2/g")
# (b) the age of the oldest spool file, which grows between two scrapes;
# and the families added since COMPAT_BASE (the fleet's, issue 24), which
# only this tree has: their HELP, TYPE and sample lines.
NORM_METRICS=(-e 's/^instlog_spool_oldest_seconds [0-9.e+-]+$/instlog_spool_oldest_seconds <age>/'
    -e '/^(# (HELP|TYPE) )?instlog_failing_installations(_complete)?[ {]/d')
# What is compared besides the body: status, Content-Type and the headers
# the binaries set, one answer a line ('|'-separated, after its URL).
WFMT='%{url_effective}|%{http_code}|%{content_type}|%header{allow}|%header{www-authenticate}|%header{cache-control}|%header{retry-after}|%header{location}\n'

# show_meta META: the compared fields, one a line (the headers that are
# there), then an empty line.
show_meta() {
	local f i names=(HTTP Content-Type: Allow: WWW-Authenticate: \
	    Cache-Control: Retry-After: Location:)
	IFS='|' read -r -a f <<<"$1|"
	for i in 0 1 2 3 4 5 6; do
		[ -n "${f[i]:-}" ] && printf '%s %s\n' "${names[i]}" "${f[i]}"
	done
	echo
}

# verdict LABEL SAME [WHAT]: count one check (VERBOSE=1: print it with
# WHAT); when SAME is not 0, show a diff -u (40 lines) of CMP/old.txt
# against CMP/new.txt.
verdict() {
	if [ "$2" = 0 ]; then
		passed=$((passed + 1))
		[ -n "${VERBOSE:-}" ] && echo "ok - $1: ${3:-}"
		return 0
	fi
	failed=$((failed + 1))
	echo "not ok - $1"
	# One JSON member a line, for the eye only: the bytes were compared.
	diff -u --label "COMPAT_BASE" --label "this tree" \
	    <(sed 's/,"/,\n"/g' "$CMP/old.txt") \
	    <(sed 's/,"/,\n"/g' "$CMP/new.txt") | head -40 | sed 's/^/    /'
	# A difference that split hides (a line break): where the bytes part.
	diff -q <(sed 's/,"/,\n"/g' "$CMP/old.txt") \
	    <(sed 's/,"/,\n"/g' "$CMP/new.txt") >/dev/null &&
	    cmp "$CMP/old.txt" "$CMP/new.txt" 2>&1 | sed 's/^/    /'
	return 1
}

# normalize PATH FILE...: the allowed differences of PATH's answers.
normalize() {
	local p=$1
	shift
	case $p in
	/operations*) sed -i -E "${NORM_MS[@]}" "$@" ;;
	/metrics*) sed -i -E "${NORM_METRICS[@]}" "$@" ;;
	/ui/app.js | /ui/style.css) for f in "$@"; do : >"$f"; done ;;
	esac
}

# compare LABEL PATH OLD_META NEW_META: the check over CMP/{old,new}.body.
compare() {
	local same=0
	normalize "$2" "$CMP/old.body" "$CMP/new.body"
	[ "$3" = "$4" ] && cmp -s "$CMP/old.body" "$CMP/new.body" || same=1
	if [ $same != 0 ]; then
		{ show_meta "$3"; cat "$CMP/old.body"; } >"$CMP/old.txt"
		{ show_meta "$4"; cat "$CMP/new.body"; } >"$CMP/new.txt"
	fi
	verdict "$1" $same "HTTP ${4%%|*}, $(wc -c <"$CMP/new.body") bytes"
}

# req METHOD PATH [curl args...]: the same request to both stacks at
# once (one curl, two transfers); one check, named by the request (the
# token as "token", long bodies cut).
req() {
	local m=$1 p=$2 out om="" nm="" line what
	shift 2
	out=$(curl -sS -m 60 --parallel -H 'Expect:' -X "$m" "$@" -w "$WFMT" \
	    -o "$CMP/old.body" "$OLD_URL$p" -o "$CMP/new.body" "$NEW_URL$p" 2>&1)
	while IFS= read -r line; do
		case $line in
		"$OLD_URL/"*) om=${line#*|} ;;
		"$NEW_URL/"*) nm=${line#*|} ;;
		*) om="$om $line" nm="$nm $line" ;; # a curl error: both
		esac
	done <<<"$out"
	what="$*"
	what=${what//-H $AUTH/token}
	compare "$m $p${what:+ (${what:0:60})}" "$p" "$om" "$nm"
}

# get PATH: GET with the bearer token.
get() { req GET "$1" -H "$AUTH"; }

# pages PATH: PATH, then each page its next_cursor names (the new
# answer's; the old one's was the same or the first check failed), at
# most 8.
pages() {
	local p=$1 cur n sep='?'
	case $p in *\?*) sep='&' ;; esac
	get "$p"
	for n in 1 2 3 4 5 6 7 8; do
		cur=$(jq -r '.next_cursor // empty' "$CMP/new.body" 2>/dev/null)
		[ -n "$cur" ] || return 0
		get "$p${sep}cursor=$cur"
	done
}

# cli ARGS...: both CLIs at once, each against its own stack; the exit
# status, stdout and stderr compared.
cli() {
	local rc_old rc_new same=0 s
	INSTLOG_URL=$OLD_URL GITHUB_API_URL=$GITHUB_URL \
	    "$BASE/build/bin/instlog-trace" "$@" >"$CMP/old.out" \
	    2>"$CMP/old.err" </dev/null &
	local pid=$!
	INSTLOG_URL=$NEW_URL GITHUB_API_URL=$GITHUB_URL \
	    "$TOP/build/bin/instlog-trace" "$@" >"$CMP/new.out" \
	    2>"$CMP/new.err" </dev/null
	rc_new=$?
	wait $pid
	rc_old=$?
	# (c) the old stack's URL reads as the new one's.
	local norm=(-e "s|$OLD_URL|$NEW_URL|g")
	case " $* " in
	*" --operations "* | *" --operation "*)
		norm+=("${NORM_MS[@]}")
		sed -i -E "${NORM_MS[@]}" "$CMP/new.out" "$CMP/new.err" ;;
	esac
	sed -i -E "${norm[@]}" "$CMP/old.out" "$CMP/old.err"
	[ $rc_old = $rc_new ] && cmp -s "$CMP/old.out" "$CMP/new.out" &&
	    cmp -s "$CMP/old.err" "$CMP/new.err" || same=1
	if [ $same != 0 ]; then
		for s in old new; do
			{
				[ $s = old ] && echo "exit $rc_old" || echo "exit $rc_new"
				echo "--- stdout"
				cat "$CMP/$s.out"
				echo "--- stderr"
				cat "$CMP/$s.err"
			} >"$CMP/$s.txt"
		done
	fi
	verdict "instlog-trace $*" $same \
	    "exit $rc_new, $(wc -l <"$CMP/new.out") lines out, $(wc -l <"$CMP/new.err") err"
}

# group NAME: a line with the checks since the previous group.
group_passed=0
group_failed=0
group() {
	echo "$([ $((failed - group_failed)) = 0 ] && echo ok || echo 'not ok') - $1: $((passed - group_passed)) same, $((failed - group_failed)) different ($((SECONDS - START)) s)"
	group_passed=$passed
	group_failed=$failed
}

# ids KIND: what the routes can be asked for.
ids() {
	case $1 in
	entity) sql "SELECT DISTINCT entity_id FROM installation_events
	    WHERE entity_id IS NOT NULL ORDER BY 1" ;;
	installation) sql "SELECT DISTINCT installation_id
	    FROM installation_events WHERE installation_id IS NOT NULL
	    ORDER BY 1" ;;
	job) sql "SELECT job_id FROM jobs UNION SELECT (payload ->
	    'workflow_job' ->> 'id')::bigint FROM installation_events
	    WHERE event LIKE 'workflow_job.%' AND
	    payload -> 'workflow_job' ->> 'id' ~ '^[0-9]+$' UNION
	    SELECT job_id FROM installation_events WHERE job_id IS NOT NULL
	    ORDER BY 1" ;;
	# Every row but the long timeline's (three of those).
	payload) sql "(SELECT id FROM installation_events WHERE entity_id
	    IS DISTINCT FROM 5209 UNION ALL (SELECT id FROM
	    installation_events WHERE entity_id = 5209 ORDER BY id LIMIT 3))
	    ORDER BY 1" ;;
	login) sql "SELECT DISTINCT entity_name FROM installation_events
	    WHERE entity_name IS NOT NULL AND entity_name ~
	    '^[A-Za-z0-9][A-Za-z0-9-]{0,38}\$' ORDER BY 1" ;;
	esac
}

# us SQL_TIME: a time as the routes print it.
us() { sql "SELECT to_char(($1) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"; }

# -- 1. Webhook answers that write: the new row is the next id. --
# wh_pair EVENT FILE: the same signed delivery to the old webhook, then
# to the new one: the new answer is the old one with id + 1.
wh_pair() {
	local side url id om nm meta
	for side in old new; do
		[ $side = old ] && url=$OLD_URL || url=$NEW_URL
		meta=$(curl -sS -m 60 -H 'Expect:' -X POST -w "$WFMT" \
		    -H "X-GitHub-Event: $1" -H "X-GitHub-Delivery: $(new_guid)" \
		    -H "X-Hub-Signature-256: sha256=$(sign "$2")" \
		    -H 'Content-Type: application/json' --data-binary @"$2" \
		    -o "$CMP/$side.body" "$url/webhook" 2>&1)
		[ $side = old ] && om=${meta#*|} || nm=${meta#*|}
	done
	id=$(jq -r '.id // empty' "$CMP/old.body" 2>/dev/null)
	[ -n "$id" ] && sed -i "s/^{\"id\":$id,/{\"id\":$((id + 1)),/" "$CMP/old.body"
	compare "POST /webhook ($1 $(basename "$2"): a new row, id + 1)" /webhook "$om" "$nm"
}
wh_pair ping "$(fixture ping)"
wh_pair installation "$(fixture_edit installation.created "$(acct 5213 cmp-kim 6213)")"
wh_pair issues "$(fixture issues.opened)"
wh_pair workflow_job "$(fixture_edit workflow_job.in_progress '.workflow_job.id = 7999')"
wh_pair workflow_job "$(fixture workflow_job.waiting)"
wh_pair workflow_job "$(fixture_edit workflow_job.queued 'del(.installation)')"
printf '{"zen":' >"$TEST_TMP/broken.json"
wh_pair ping "$TEST_TMP/broken.json"
group "webhook deliveries"

# -- 2. The trace routes. --
for e in $(ids entity); do
	get "/trace/entity/$e"
done
for i in $(ids installation); do
	get "/trace/installation/$i"
done
for j in $(ids job); do
	get "/trace/job/$j"
done
group "/trace/entity, /trace/installation, /trace/job: every id"

for id in $(ids payload); do
	get "/trace/payload/$id"
done
group "/trace/payload: every row"

for l in $(ids login); do
	get "/trace/entity-by-name/$l"
done
for l in cmp-ALICE CMP-Dave-Old cmp-liz-new cmp-liz-old; do
	get "/trace/entity-by-name/$l"
	get "/trace/entity-by-name/$l?event=installation"
done
group "/trace/entity-by-name: every login"

# Each timeline entity as of each of its rows, and the long one as of a
# few of its times.
for e in 5201 5202 5203 5204 5205 5206 5207 5208 5210 5211 21031067; do
	for t in $(sql "SELECT to_char(received_at AT TIME ZONE 'UTC',
	    'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM installation_events
	    WHERE entity_id = $e ORDER BY id"); do
		get "/trace/entity/$e?at=$t"
	done
done
for t in 2026-01-01T00:00:00Z 2026-01-01T00:00:07Z 2026-01-01T00:00:07.5Z \
    2026-01-01T00:00:15Z 2026-01-02; do
	get "/trace/entity/5209?at=$t"
done
group "/trace/entity?at=: every row of every timeline"

mid=$(us "(SELECT received_at FROM installation_events WHERE entity_id = 5203 ORDER BY id OFFSET 2 LIMIT 1)")
for q in dedupe=1 event=installation event=installation.created \
    event=installation_repositories event=auth_attempt event=workflow_job.queued \
    "since=$mid" "until=$mid" "since=$mid&until=2099-01-01T00:00:00Z" \
    since=7d since=2099-01-01 limit=1 limit=5000 "limit=2&dedupe=1" \
    "event=installation&limit=1"; do
	for e in 5203 5208 21031067; do
		get "/trace/entity/$e?$q"
	done
	get "/trace/installation/6203?$q"
	get "/trace/job/7203?$q"
	get "/trace/entity-by-name/cmp-carol?$q"
done
group "/trace/* filters: dedupe, event, since, until, limit"

pages "/trace/entity/5209?limit=100"
pages "/trace/entity/5209?limit=250&event=installation_repositories"
pages "/trace/entity/21031067?limit=2"
pages "/trace/entity/5208?limit=1&dedupe=1"
pages "/trace/installation/6203?limit=2"
pages "/trace/job/7201?limit=1"
pages "/trace/entity-by-name/cmp-heidi?limit=2"
group "/trace/* pages: limit and cursor"

# Errors: 400, 401, 404, 405, 413.
other=$(sql "SELECT min(id) FROM installation_events WHERE entity_id = 5202")
for r in entity installation job payload; do
	for bad in abc 0 -1 1.5 99999999999999999999 "1%27%20OR%201=1%20--" ""; do
		get "/trace/$r/$bad"
	done
	get "/trace/$r/987654321"
	req GET "/trace/$r/1"
	req GET "/trace/$r/1" -H 'Authorization: Bearer wrong'
	req GET "/trace/$r/1" -H "Authorization: Basic $TRACE_API_SECRET"
	req GET "/trace/$r/1" -H 'Authorization: Bearer '
	req POST "/trace/$r/1" -H "$AUTH" --data-binary x
	req DELETE "/trace/$r/1" -H "$AUTH"
	req POST "/trace/$r/1" -H "$AUTH" --data-binary "$(head -c 5000 /dev/zero | tr '\0' x)"
done
for bad in -cmp bad_name "dependabot%5Bbot%5D" "$(printf 'a%.0s' $(seq 1 40))" "a%20b"; do
	get "/trace/entity-by-name/$bad"
done
get /trace/entity-by-name/
get /trace/entity-by-name/cmp-nobody-here
get /trace/entity-by-name/cmp-only-jobs
req GET /trace/entity-by-name/cmp-alice
req POST /trace/entity-by-name/cmp-alice -H "$AUTH" --data-binary x
for q in since=yesterday until=2026-13-01 limit=0 limit=5001 limit=x \
    dedupe=2 "event=a%20b" cursor=abc cursor=987654321 "cursor=$other" \
    at=soon "event=%27%20OR%201=1%20--" "limit=1&limit=2" "bogus=1"; do
	get "/trace/entity/5201?$q"
	get "/trace/installation/6201?$q"
	get "/trace/job/7201?$q"
	get "/trace/entity-by-name/cmp-alice?$q"
done
group "/trace/* errors: 400, 401, 404, 405, 413"

# -- 3. Operations. --
get /operations
for q in status=failed status=completed status=running type=auth_check \
    type=delivery type=maintenance type=notify type=spool_replay \
    type=redeliver type=no_such_type "status=failed&type=auth_check" \
    installation_id=6201 installation_id=6202 entity_id=5201 \
    entity_id=21031067 since=1h since=2099-01-01 until=2000-01-01 \
    "since=$(us "(SELECT min(started_at) FROM operations)")" \
    "until=$(us "(SELECT max(started_at) FROM operations)")" \
    limit=1 limit=500; do
	get "/operations?$q"
done
pages "/operations?limit=2"
pages "/operations?limit=1&status=failed"
for id in $(sql "SELECT id FROM operations ORDER BY id"); do
	get "/operations/$id"
done
for q in status=done status= type=Auth type=a-b since=yesterday \
    until=2026-13-01 installation_id=0 installation_id=-1 installation_id=x \
    entity_id=0 limit=0 limit=501 limit=x cursor=0 cursor=abc; do
	get "/operations?$q"
done
for bad in 0 -1 abc 1x 99999999999999999999 999999999; do
	get "/operations/$bad"
done
for p in /operations /operations/1; do
	req GET "$p"
	req GET "$p" -H 'Authorization: Bearer wrong'
	req POST "$p" -H "$AUTH" --data-binary x
	req PUT "$p" -H "$AUTH"
	req POST "$p" -H "$AUTH" --data-binary "$(head -c 5000 /dev/zero | tr '\0' x)"
done
group "/operations and /operations/{id}: filters, cursor, every operation, errors"

# -- 4. The webhook's answers that write nothing. --
big=$TEST_TMP/big.json
head -c $((INSTLOG_MAX_BODY + 1)) /dev/zero | tr '\0' ' ' >"$big"
req GET /webhook
req PUT /webhook --data-binary x
req POST /webhook --data-binary '{}'
req POST /webhook -H 'X-GitHub-Event: ping' --data-binary '{}'
req POST /webhook -H 'X-GitHub-Event: ping' -H 'X-Hub-Signature-256: sha256=00' --data-binary '{}'
req POST /webhook -H 'X-GitHub-Event: ping' -H "X-Hub-Signature-256: sha256=$(sign "$(fixture ping)" wrong-secret)" --data-binary @"$(fixture ping)"
req POST /webhook -H 'X-GitHub-Event: ping' --data-binary @"$big"
group "/webhook errors: 400, 401, 405, 413"

# -- 5. healthz, metrics, the page, the rest. --
for p in /healthz /metrics; do
	req GET "$p"
	req POST "$p" --data-binary x
	req POST "$p" --data-binary "$(head -c 2000 /dev/zero | tr '\0' x)"
done
for p in /ui /ui/ /ui/index.html /ui/app.js /ui/style.css /ui/nope /nope /; do
	req GET "$p"
done
req POST /ui/ --data-binary x
group "/healthz, /metrics, /ui/, unknown paths"

# -- 6. The CLI. --
for a in "--entity-id 5201" "--entity-id 5203" "--entity-id 5205" \
    "--entity-id 5206" "--entity-id 5208" "--entity-id 21031067" \
    "--installation-id 6202" "--installation-id 6204" "--job-id 7203" \
    "--job-id 7207" "--entity-name cmp-dave-new" "--entity-name cmp-alice" \
    "--entity-id 5209 --limit 50" "--entity-id 5209 --all --limit 250" \
    "--entity-id 5208 --dedupe" "--entity-id 5203 --event installation" \
    "--entity-id 5203 --at $mid" "--entity-id 5203 --since $mid" \
    "--entity-id 5201 --until $mid" "--entity-id 5201 --verbose" \
    "--job-id 7201 --event auth_attempt --verbose" \
    "--entity-id 21031067 --all --limit 2"; do
	# shellcheck disable=SC2086
	cli $a
	# shellcheck disable=SC2086
	cli $a --json
done
for a in "--job-id 42" "--entity-id 5201 --since yesterday" \
    "--entity-name cmp-nobody" "--entity-name bad_name" \
    "--installation-id 1 --job-id 1" "--entity-id 0" "--entity-id 5201 --limit 0"; do
	# shellcheck disable=SC2086
	cli $a
done
TRACE_API_SECRET=wrong cli --installation-id 6201
group "instlog-trace: timelines, text and --json, errors"

for a in "--operations" "--operations --status failed" \
    "--operations --type auth_check" "--operations --type notify --status failed" \
    "--operations --limit 2" "--operations --since 1h" \
    "--operations --until 2000-01-01"; do
	# shellcheck disable=SC2086
	cli $a
	# shellcheck disable=SC2086
	cli $a --json
done
for id in $(sql "SELECT id FROM operations ORDER BY id"); do
	cli --operation "$id"
	cli --operation "$id" --json
done
cli --operation 999999999
cli --operations --status bogus
cli --operations --dedupe
group "instlog-trace: --operations and --operation, text and --json"

summary
