#!/bin/bash
# SPDX-License-Identifier: MIT
# The upgrade test: a database filled by the previous main migrates under
# the new `make run` and every old row traces the same.
#
# PREV_MAIN (a git revision, default below) is the main of the last
# release: bump it at each release.  Its tree is taken with `git archive`
# and built; its own tests/stack.sh starts the old stack (initdb cluster,
# old migrations, old binaries, old nginx config) in ROOT/var, as the old
# `make run` would in var/.  The old webhook takes every real fixture,
# signed, and three timelines with a diagnosis (uninstalled, suspended,
# repo_removed) whose scheduler rows the old auth_check writes against
# the old fake_github.  Every entity, installation, job and payload is
# read back through the old trace routes.  Then the old binaries and nginx
# stop, the cluster stays, and the new tests/stack.sh starts in the same
# ROOT/var: it reuses the cluster and applies the new sql/ (only the new
# files), and the new binaries must answer the same for every old row.
# Prints "upgrade: N passed, M failed"; exits non-zero on any failure.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# The main of the last release (bump at each release; README.md).
PREV_MAIN=${PREV_MAIN:-17d4790}
FIXTURES=${FIXTURES:-$TOP/../shared/fixtures/github}
. "$TOP/tests/integration/lib.sh"

passed=0
failed=0

# ok WHAT / bad WHAT [DETAIL...]: count one check.
ok() { passed=$((passed + 1)); echo "ok - $1"; }
# Each DETAIL line is printed indented.
bad() {
	failed=$((failed + 1))
	echo "not ok - $1"
	shift
	[ $# -eq 0 ] || printf '%s\n' "$@" | sed 's/^/    /'
}

summary() {
	echo
	echo "upgrade: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# setup_failed WHAT [LOG]: the test cannot go on.
setup_failed() {
	bad "$1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -20 "$2" | sed 's/^/    /'
	summary
}

[ -d "$FIXTURES" ] || setup_failed "fixtures not found at $FIXTURES"
if ! rev=$(git -C "$TOP" rev-parse --verify -q "$PREV_MAIN^{commit}"); then
	m="PREV_MAIN $PREV_MAIN is not in this clone (a shallow clone?):"
	setup_failed "$m fetch main's history (git fetch --unshallow)"
fi

ROOT=$(mktemp -d /tmp/instlog-upgrade.XXXXXX) || exit 1
chmod 755 "$ROOT"
export TEST_TMP=$ROOT/tmp
OLD=$ROOT/old
VAR=$ROOT/var
CAP=$ROOT/captured
mkdir -p "$TEST_TMP" "$OLD" "$CAP"
unset DATABASE_URL DATABASE_READ_URL INSTLOG_SPOOL_DIR INSTLOG_RUNNER_LABELS
FAKE_PID=

cleanup() {
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null &&
	    wait "$FAKE_PID" 2>/dev/null
	declare -F stack_stop >/dev/null && stack_stop
	[ -n "${KEEP:-}" ] || rm -rf "$ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export GITHUB_WEBHOOK_SECRET="upg-secret-$RANDOM$RANDOM"
export TRACE_API_SECRET="upg-trace-$RANDOM$RANDOM"

# use_stack DIR: source DIR/tests/stack.sh, its defaults (STACK_BIN,
# STACK_ROUTES...) not kept from the stack.sh sourced before.
use_stack() {
	local v
	for v in $(sed -n 's/^\(STACK_[A-Za-z_]*\)=.*/\1/p' \
	    "$1/tests/stack.sh"); do
		unset "$v"
	done
	. "$1/tests/stack.sh"
}

# --- The old tree -----------------------------------------------------

echo "upgrade: building PREV_MAIN $PREV_MAIN (${rev:0:12})"
git -C "$TOP" archive "$rev" | tar -x -C "$OLD" ||
    setup_failed "git archive $PREV_MAIN"
# As its own `make all` (not under this make's WERROR=1 or jobserver).
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u WERROR \
    make -C "$OLD" -j2 all >"$ROOT/old-build.log" 2>&1 ||
    setup_failed "old tree builds" "$ROOT/old-build.log"

use_stack "$OLD"
stack_start "$VAR" >"$ROOT/old-stack.log" 2>&1 ||
    setup_failed "old stack starts" "$ROOT/old-stack.log"
ok "old stack up at $INSTLOG_URL"

# --- Filling it through the old webhook -------------------------------

# send EVENT FILE: a signed delivery to the old webhook, which must store
# it.
send() {
	deliver "$1" "$2"
	[ "$STATUS" = 200 ] ||
	    setup_failed "old webhook stores $1 $(basename "$2")" \
	    "$VAR/webhook.log"
}

# Every fixture as GitHub sends it: the event is the name up to the dot.
for f in "$FIXTURES"/*.json; do
	n=$(basename "$f" .json)
	send "${n%%.*}" "$f"
done

# Three timelines with a diagnosis, through lib.sh's trace helpers (app
# 29310, a job queued in each).  installation_repositories.removed has no
# published example: the added payload with the action and lists swapped,
# per the schema (as tests/integration/test_trace.sh does).
lib='{"id":2,"name":"lib","full_name":"upg-carol/lib","private":false}'
install 5201 upg-alice 6201
queue_job 5201 upg-alice 6201 7201 upg-alice/app
action installation installation.deleted 5201 upg-alice 6201
install 5202 upg-bob 6202
queue_job 5202 upg-bob 6202 7202 upg-bob/app
action installation installation.suspend 5202 upg-bob 6202
install 5203 upg-carol 6203 selected \
    '[{"id":1,"name":"app","full_name":"upg-carol/app","private":false},'"$lib]"
queue_job 5203 upg-carol 6203 7203 upg-carol/lib
action installation_repositories installation_repositories.added \
    5203 upg-carol 6203 "| .action = \"removed\" |
    .repositories_added = [] | .repositories_removed = [$lib]"
[ -e "$TEST_TMP/failed" ] &&
    setup_failed "old webhook stores the timelines" "$TEST_TMP/failed"

# The old auth_check against the old fake_github: 404 for the uninstalled
# and the repo_removed installations, 403 for the suspended one.
app_keys "$ROOT/keys" || setup_failed "app keys"
"$OLD/build/tests/fake_github" --port 0 --log "$ROOT/fake.log" \
    --app "101:$ROOT/keys/org.pub" --app "29310:$ROOT/keys/user.pub" \
    --answer 6201:404 --answer 6202:403 --answer 6203:404 \
    >"$ROOT/fake.out" 2>&1 &
FAKE_PID=$!
fport=$(listening_port "$ROOT/fake.out" fake_github)
[ -n "$fport" ] || setup_failed "old fake_github starts" "$ROOT/fake.out"
GITHUB_API_URL=http://127.0.0.1:$fport \
    GITHUB_APP_ORG_ID=101 GITHUB_APP_ORG_PRIVATE_KEY_FILE=$ROOT/keys/org.pem \
    GITHUB_APP_USER_ID=29310 \
    GITHUB_APP_USER_PRIVATE_KEY_FILE=$ROOT/keys/user.pem \
    "$OLD/build/bin/auth_check" >"$ROOT/auth_check.log" 2>&1
kill "$FAKE_PID" && wait "$FAKE_PID" 2>/dev/null
FAKE_PID=
[ "$(sql "SELECT count(*) FROM installation_events WHERE source =
    'scheduler' AND installation_id IN (6201, 6202, 6203)")" = 3 ] ||
    setup_failed "old auth_check writes 3 scheduler rows" "$ROOT/auth_check.log"

# --- What the old code answers ----------------------------------------

# ids KIND: the ids the trace route KIND can be asked for.
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
	    payload -> 'workflow_job' ->> 'id' ~ '^[0-9]+$' ORDER BY 1" ;;
	payload) sql "SELECT id FROM installation_events ORDER BY id" ;;
	esac
}

# paths: every trace request to compare: each id of each route, and each
# entity folded as of each of its rows (?at=).
paths() {
	local kind id
	for kind in entity installation job payload; do
		for id in $(ids $kind); do
			echo "/trace/$kind/$id"
		done
	done
	sql "SELECT '/trace/entity/' || entity_id || '?at=' ||
	    to_char(received_at AT TIME ZONE 'UTC',
	    'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM installation_events
	    WHERE entity_id IS NOT NULL ORDER BY id"
}

# get PATH FILE: GET PATH with the trace token into FILE; prints the HTTP
# status.
get() {
	curl -sS -o "$2" -w '%{http_code}' \
	    -H "Authorization: Bearer $TRACE_API_SECRET" "$INSTLOG_URL$1"
}

# The tables, columns, row counts and row digests of the old schema.
# tables: the tables of the schema (partitions fold into their parent).
tables() {
	sql "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON
	    n.oid = c.relnamespace WHERE n.nspname = 'public' AND
	    c.relkind IN ('r', 'p') AND NOT c.relispartition AND
	    c.relname <> 'schema_migrations' ORDER BY 1"
}
columns() {
	sql "SELECT table_name || '.' || column_name || ' ' || data_type
	    FROM information_schema.columns WHERE table_schema = 'public'
	    AND table_name = '$1' ORDER BY 1"
}
# digest TABLE COLS: the row count and an md5 of every row's COLS.
digest() {
	sql "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text,
	    E'\n' ORDER BY t::text)), '-') FROM (SELECT $2 FROM $1) t"
}
col_list() {
	sql "SELECT string_agg(quote_ident(column_name), ', '
	    ORDER BY ordinal_position) FROM information_schema.columns
	    WHERE table_schema = 'public' AND table_name = '$1'"
}

# CAP/N.json and CAP/N.status: the answer to line N of CAP/paths.
paths >"$CAP/paths"
ndocs=0
while read -r path; do
	ndocs=$((ndocs + 1))
	get "$path" "$CAP/$ndocs.json" >"$CAP/$ndocs.status"
done <"$CAP/paths"
: >"$ROOT/old-columns"
for t in $(tables); do
	columns "$t" >>"$ROOT/old-columns"
	cols=$(col_list "$t")
	echo "$t|$cols|$(digest "$t" "$cols")" >>"$ROOT/old-rows"
done
nrows=$(sql "SELECT count(*) FROM installation_events")
ok "old stack filled: $nrows rows, $ndocs trace answers captured"

# --- The upgrade ------------------------------------------------------

# The old binaries and nginx stop; so does the cluster, which the new
# stack.sh finds in VAR/pg and starts again, as `make run` reuses var/.
stack_stop
unset DATABASE_URL
use_stack "$TOP"
# Fold snapshots (when this tree has them) every 2 rows, so that the old
# timelines, short as they are, get some.
export INSTLOG_FOLD_CHECKPOINT_EVERY=2
if ! stack_start "$VAR" >"$ROOT/new-stack.log" 2>&1; then
	# Name the migrations the database still lacks: the first failed.
	for f in "$TOP"/sql/[0-9][0-9][0-9]_*.sql; do
		v=$(basename "$f" .sql)
		[ "$(sql "SELECT 1 FROM schema_migrations WHERE version =
		    '$v'" 2>/dev/null)" = 1 ] ||
		    echo "not applied: $v" >>"$ROOT/new-stack.log"
	done
	setup_failed "new stack starts on the old database (new sql/migrate)" \
	    "$ROOT/new-stack.log"
fi
ok "new stack up on the old database at $INSTLOG_URL"

# The new migrate applied exactly the files the old tree did not have.
want=$(comm -13 <(cd "$OLD/sql" && ls [0-9][0-9][0-9]_*.sql) \
    <(cd "$TOP/sql" && ls [0-9][0-9][0-9]_*.sql) | sed 's/\.sql$//')
got=$(sed -n 's/^migrate: applied //p' "$VAR/migrate.log")
if [ "$want" = "$got" ]; then
	ok "sql/migrate applied only the new files: $(echo $got)"
else
	bad "sql/migrate applied only the new files" \
	    "expected: $(echo $want)" "applied: $(echo $got)"
fi

# Migrations only add: every old column is still there, same type.
missing=$(comm -23 <(sort "$ROOT/old-columns") \
    <(for t in $(tables); do columns "$t"; done | sort))
if [ -z "$missing" ]; then
	ok "every old column kept, same type"
else
	bad "every old column kept, same type" "gone: $missing"
fi

# Every old row unchanged: the same count and the same values in the old
# columns.
while IFS='|' read -r t cols was; do
	now=$(digest "$t" "$cols" 2>&1)
	if [ "$now" = "$was" ]; then
		ok "$t: ${was%% *} rows, unchanged"
	else
		bad "$t: rows unchanged" "before: $was" "after: $now"
	fi
done <"$ROOT/old-rows"

# The old trace answers, one check per route and id (tests/upgrade/cmp.jq
# lists the differences).
# Twice: the second round reads the fold snapshots the first wrote.
for round in first second; do
	n=0
	same=0
	while read -r path; do
		n=$((n + 1))
		st=$(get "$path" "$ROOT/new.json")
		d=$( [ "$st" = "$(cat "$CAP/$n.status")" ] ||
		    echo "HTTP status: was $(cat "$CAP/$n.status"), now $st"
		    jq -n -r --slurpfile o "$CAP/$n.json" \
		    --slurpfile n "$ROOT/new.json" -f "$HERE/cmp.jq" 2>&1)
		if [ -z "$d" ]; then
			same=$((same + 1))
		else
			bad "$path traces the same ($round round)" \
			    "$(head -5 <<<"$d")"
		fi
	done <"$CAP/paths"
	passed=$((passed + same))
	echo "ok - $same of $n old trace answers the same ($round round)"
done

# A new delivery through the new webhook lands next to the old rows.
f=$(fixture installation.created)
deliver installation "$f"
new_id=$(printf '%s' "$BODY" | jq -r '.id // empty' 2>/dev/null)
ent=$(jq -r .installation.account.id "$f")
if [ "$STATUS" = 200 ] && [ -n "$new_id" ] &&
    get "/trace/entity/$ent" "$ROOT/new.json" >/dev/null &&
    jq -e --argjson id "$new_id" --slurpfile o \
    "$CAP/$(grep -nx "/trace/entity/$ent" "$CAP/paths" | cut -d: -f1).json" \
    '[.events[].id] == [$o[0].events[].id] + [$id]' "$ROOT/new.json" \
    >/dev/null; then
	ok "a new delivery ($new_id) traces after the old rows of entity $ent"
else
	bad "a new delivery traces after the old rows of entity $ent" \
	    "HTTP $STATUS ${BODY:0:200}"
fi
# It is kept as sent (sql/020_body.sql) beside the old rows' payloads, and
# the fold reads both: the account installed again, the actor from the
# body.
if [ -n "$new_id" ] &&
    [ "$(sql "SELECT md5(body::text) FROM installation_events WHERE id = $new_id")" = \
    "$(md5sum <"$f" | cut -d' ' -f1)" ] &&
    jq -e --arg who "$(jq -r .sender.login "$f")" \
    '.state.installed == true and .events[-1].actor == $who' \
    "$ROOT/new.json" >/dev/null; then
	ok "the new delivery is kept as sent and folds with the old rows"
else
	bad "the new delivery is kept as sent and folds with the old rows" \
	    "$(jq -c '{state, last: .events[-1]}' "$ROOT/new.json" 2>&1 | head -c 400)"
fi

# And the schema is up to date: a second migrate applies nothing.
out=$("$TOP/sql/migrate" "$DATABASE_URL" 2>&1)
if printf '%s\n' "$out" | grep -qx 'migrate: 0 applied, schema up to date'
then
	ok "sql/migrate a second time applies nothing"
else
	bad "sql/migrate a second time applies nothing" "$out"
fi

summary
