#!/bin/bash
# SPDX-License-Identifier: MIT
# Fold checkpoints (lib/db/fold.c): a trace folded from stored snapshots says
# exactly what the fold of every row says, also after a rules version
# change, a row replayed into the past, and for a role that cannot write.

# ckpt_route EVERY [VAR=VALUE...]: the stack's trace_entity binary again,
# with INSTLOG_FOLD_CHECKPOINT_EVERY=EVERY and the given environment.
ckpt_route() {
	local every=$1
	shift
	stack_route_stop trace_entity
	env INSTLOG_FOLD_CHECKPOINT_EVERY="$every" "$@" bash -c \
	    '. "$0/tests/stack.sh"; RUNDIR=$1 STACK_BIN=$2 stack_route_start trace_entity' \
	    "$STACK_TOP" "$RUNDIR" "$STACK_BIN" || fail "trace_entity did not start"
}
# Put the suite's trace_entity back, whatever the test did.
ckpt_restore() { ckpt_route "$INSTLOG_FOLD_CHECKPOINT_EVERY"; }

# ckpt_timeline E L I: 14 rows of every kind the fold knows, with auth
# failures between them, for account E (login L, installation I).
ckpt_timeline() {
	local E=$1 L=$2 I=$3 repos
	repos='[{"id":1,"name":"app","full_name":"'$L'/app","private":false},{"id":2,"name":"lib","full_name":"'$L'/lib","private":false}]'
	install "$E" "$L" "$I" selected "$repos"
	action installation_repositories installation_repositories.added "$E" "$L" "$I" \
	    '| .repositories_added = [{"id":3,"name":"web","full_name":"'$L'/web","private":false}]'
	auth_row "$E" "$L" "$I" 29310 404 "$L/lib" 1
	action installation_repositories installation_repositories.added "$E" "$L" "$I" \
	    '| .action = "removed" | .repositories_removed = [{"id":2,"name":"lib","full_name":"'$L'/lib","private":false}] | .repositories_added = []'
	auth_row "$E" "$L" "$I" 29310 404 "$L/lib" 2
	action installation installation.suspend "$E" "$L" "$I"
	auth_row "$E" "$L" "$I" 29310 403 "$L/app" 3
	action installation installation.unsuspend "$E" "$L" "$I"
	deliver installation_target "$(fixture_edit installation.created "$(acct "$E" "$L" "$I") | {action: \"renamed\", target_type: \"User\",
	    account: (.installation.account | .login = \"$L-new\"), changes: {login: {from: \"$L\"}},
	    installation: {id: .installation.id}, sender: .sender}")"
	assert_status 200
	auth_row "$E" "$L" "$I" 29310 404 "$L/app" 4
	auth_row "$E" "$L" "$I" 4242 404 "$L-new/web" 5
	action installation installation.deleted "$E" "$L-new" "$I"
	auth_row "$E" "$L-new" "$I" 29310 404 "$L-new/app" 6
	auth_row "$E" "$L-new" "$I" 29310 404 "$L-new/app" 7
}

# ckpt_times E: the received_at of each row of E, in timeline order.
ckpt_times() {
	sql "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM installation_events WHERE entity_id = $1 ORDER BY received_at, id"
}

# ckpt_traces E DIR: the trace of E as of each of its rows, and now, into
# DIR/<n>.json.
ckpt_traces() {
	local n=0 t
	mkdir -p "$2"
	for t in $(ckpt_times "$1") ""; do
		trace "/trace/entity/$1?limit=5${t:+&at=$t}"
		assert_status 200
		printf '%s' "$BODY" >"$2/$n.json"
		n=$((n + 1))
	done
}

# ckpt_same DIR1 DIR2 WHAT: the same traces, byte for byte.
ckpt_same() {
	local f
	for f in "$1"/*.json; do
		cmp -s "$f" "$2/$(basename "$f")" ||
		    fail "$3: $(basename "$f") differs: $(diff <(jq -S . "$f") <(jq -S . "$2/$(basename "$f")") | head -5)"
	done
}

# ckpt_count E [WHERE]: how many snapshots E has.
ckpt_count() { sql "SELECT count(*) FROM fold_checkpoints WHERE entity_id = $1 ${2:+AND $2}"; }

test_checkpoint_trace_equals_full_fold() {
	local E=5301 d=$TEST_TMP/ckpt1
	trap ckpt_restore EXIT
	ckpt_timeline $E erin 6301
	# The reference: no snapshot read or written.
	ckpt_route 0
	ckpt_traces $E "$d/full"
	assert_eq 0 "$(ckpt_count $E)" "snapshots written with checkpoints off"
	# A snapshot every 2 rows: the first pass writes them, the second
	# folds from them; both say what the full fold says, for every at.
	ckpt_route 2
	ckpt_traces $E "$d/first"
	[ "$(ckpt_count $E)" -ge 6 ] || fail "expected 6 snapshots or more, got $(ckpt_count $E)"
	ckpt_traces $E "$d/second"
	ckpt_same "$d/full" "$d/first" "first pass"
	ckpt_same "$d/full" "$d/second" "second pass"
	# The diagnosis came out of the snapshots too: evidence and all.
	jq -e '.diagnosis | map(.cause) == ["uninstalled"]' "$d/second/$(ls "$d/second" | wc -l | awk '{print $1 - 1}').json" >/dev/null ||
	    fail "expected uninstalled as of now: $(cat "$d/second/"*.json | tail -c 400)"
}

test_checkpoint_older_rules_version_ignored_and_rebuilt() {
	local E=5302 F=5303 d=$TEST_TMP/ckpt2 v
	trap ckpt_restore EXIT
	ckpt_timeline $E frank 6302
	install $F grace 6303 all '[]'
	action installation installation.suspend $F grace 6303
	action installation installation.unsuspend $F grace 6303
	ckpt_route 0
	ckpt_traces $E "$d/full"
	ckpt_route 2
	trace "/trace/entity/$F"
	[ "$(ckpt_count $F)" -ge 1 ] || fail "no snapshot of $F"
	trace "/trace/entity/$E"
	v=$(sql "SELECT max(version) FROM fold_checkpoints WHERE entity_id = $E")
	# Made under older rules: every snapshot of E, and one that would be
	# wrong (F's fold) placed after them, all of the previous version.
	sql "UPDATE fold_checkpoints SET version = version - 1 WHERE entity_id = $E" >/dev/null
	sql "INSERT INTO fold_checkpoints (entity_id, version, received_at, event_id, max_id, nrows, snapshot)
	    SELECT $E, f.version - 1, e.received_at, e.id, 1000000000, 99, f.snapshot
	    FROM (SELECT * FROM fold_checkpoints WHERE entity_id = $F LIMIT 1) f,
	    (SELECT * FROM installation_events WHERE entity_id = $E ORDER BY received_at DESC, id DESC LIMIT 1) e
	    ON CONFLICT (entity_id, version, received_at, event_id) DO UPDATE SET snapshot = EXCLUDED.snapshot, max_id = EXCLUDED.max_id" >/dev/null
	assert_eq 0 "$(ckpt_count $E "version = $v")" "current snapshots left"
	trace "/trace/entity/$E?limit=5"
	printf '%s' "$BODY" | cmp -s - "$d/full/$(ckpt_times $E | wc -l).json" ||
	    fail "trace now differs from the full fold: $(printf '%s' "$BODY" | jq -c .state)"
	ckpt_traces $E "$d/after"
	ckpt_same "$d/full" "$d/after" "with older snapshots only"
	assert_eq 0 "$(ckpt_count $E "version < $v")" "older snapshots left"
	[ "$(ckpt_count $E "version = $v")" -ge 6 ] || fail "snapshots not rebuilt: $(ckpt_count $E "version = $v")"
	# A snapshot whose bytes are not of this version is ignored too.
	sql "UPDATE fold_checkpoints SET snapshot = overlay(snapshot placing '\\x00'::bytea from 5) WHERE entity_id = $E" >/dev/null
	ckpt_traces $E "$d/garbled"
	ckpt_same "$d/full" "$d/garbled" "with snapshots of another format"
}

test_checkpoint_row_replayed_before_snapshot() {
	local E=5304 d=$TEST_TMP/ckpt3 first t del
	trap ckpt_restore EXIT
	install $E heidi 6304
	for _ in 1 2 3 4; do
		action installation installation.suspend $E heidi 6304
		action installation installation.unsuspend $E heidi 6304
	done
	auth_row $E heidi 6304 29310 404 heidi/app 1
	ckpt_route 3
	trace "/trace/entity/$E"
	assert_json .state.installed true
	[ "$(ckpt_count $E)" -ge 1 ] || fail "no snapshot written"
	# A deletion that arrived while the database was down, replayed from
	# the spool with its arrival time: before every snapshot.
	first=$(sql "SELECT to_char(min(received_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM fold_checkpoints WHERE entity_id = $E")
	t=$(sql "SELECT received_at + (timestamptz '$first' - received_at) / 2 FROM installation_events WHERE entity_id = $E ORDER BY received_at, id LIMIT 1")
	action installation installation.deleted $E heidi 6304
	del=$(sql "INSERT INTO installation_events (received_at, source, event, outcome, delivery_id, app_id, installation_id, entity_type, entity_id, entity_name, payload)
	    SELECT '$t', source, event, outcome, 'replayed-' || delivery_id, app_id, installation_id, entity_type, entity_id, entity_name, payload
	    FROM installation_events WHERE id = $LAST_ID RETURNING id")
	# The live deletion is taken back by a new installation; the replayed
	# one stays in the past.
	install $E heidi 6304
	trace "/trace/entity/$E?at=$first"
	assert_json .state.installed false
	assert_eq "uninstalled" "$(printf '%s' "$BODY" | jq -r '[.diagnosis[].cause] | join(",")')" "causes as of the first snapshot"
	assert_eq "[$del]" "$(printf '%s' "$BODY" | jq -c '[.diagnosis[0].evidence[0]]')" "evidence"
	# And everywhere else, as the full fold has it.
	ckpt_traces $E "$d/ckpt"
	ckpt_route 0
	ckpt_traces $E "$d/full"
	ckpt_same "$d/full" "$d/ckpt" "after the replay"
	# The stale snapshots were replaced.
	assert_eq 0 "$(sql "SELECT count(*) FROM fold_checkpoints c WHERE entity_id = $E AND EXISTS (SELECT 1 FROM installation_events e WHERE e.entity_id = c.entity_id AND e.id > c.max_id AND (e.received_at, e.id) <= (c.received_at, c.event_id))")" "stale snapshots left"
}

test_checkpoint_read_only_role_traces_without_writing() {
	local E=5305 d=$TEST_TMP/ckpt4 url n
	trap ckpt_restore EXIT
	ckpt_timeline $E ivan 6305
	ckpt_route 0
	ckpt_traces $E "$d/full"
	sql "DO \$\$ BEGIN CREATE ROLE instlog_ro LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
	    GRANT SELECT ON ALL TABLES IN SCHEMA public TO instlog_ro" >/dev/null
	url=$(printf '%s' "$DATABASE_URL" | sed 's|://[^@]*@|://instlog_ro@|')
	: >"$RUNDIR/trace_entity.log"
	ckpt_route 2 DATABASE_READ_URL="$url"
	ckpt_traces $E "$d/ro"
	ckpt_same "$d/full" "$d/ro" "read-only role"
	assert_eq 0 "$(ckpt_count $E)" "snapshots written by a read-only role"
	# Said once by each of the 2 workers that served the 15 traces.
	n=$(grep -c 'may not write' "$RUNDIR/trace_entity.log")
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "expected 1 or 2 log lines, got $n"
	# Snapshots that exist (written by a role that may) are used.
	ckpt_route 2
	trace "/trace/entity/$E"
	ckpt_route 2 DATABASE_READ_URL="$url"
	ckpt_traces $E "$d/ro2"
	ckpt_same "$d/full" "$d/ro2" "read-only role, from snapshots"
}

test_checkpoint_long_history_read_in_pages() {
	local E=5306 d=$TEST_TMP/ckpt5 t at
	trap ckpt_restore EXIT
	# 45,000 rows, more than two pages of the fold (20,000): the
	# payload fields the fold reads, in the shape GitHub sends them.
	sql "INSERT INTO installation_events (received_at, source, event, outcome, app_id, installation_id, entity_type, entity_id, entity_name, payload)
	    SELECT now() - interval '1 day' + g * interval '1 ms', 'webhook', ev, 'ok', 29310, 6306, 'User', $E, 'judy',
	      jsonb_build_object('installation', jsonb_build_object('id', 6306, 'repository_selection', 'selected'),
	        CASE ev WHEN 'installation.created' THEN 'repositories' WHEN 'installation_repositories.removed' THEN 'repositories_removed'
	          ELSE 'repositories_added' END,
	        jsonb_build_array(jsonb_build_object('full_name', 'judy/repo' || g % 7)))
	    FROM generate_series(1, 45000) g,
	    LATERAL (SELECT CASE WHEN g = 1 THEN 'installation.created'
	      ELSE (ARRAY['installation_repositories.added', 'installation_repositories.removed',
	        'installation.suspend', 'installation.unsuspend'])[1 + g % 4] END AS ev) e" >/dev/null
	auth_row $E judy 6306 29310 404 judy/repo3 1
	at="&at=$(ckpt_times $E | sed -n 30001p)"
	ckpt_route 0
	mkdir -p "$d/full" "$d/ckpt"
	for t in "" "$at"; do
		trace "/trace/entity/$E?limit=5$t"
		assert_status 200
		printf '%s' "$BODY" >"$d/full/${#t}.json"
	done
	ckpt_route 256
	for pass in 1 2; do
		for t in "" "$at"; do
			trace "/trace/entity/$E?limit=5$t"
			assert_status 200
			printf '%s' "$BODY" >"$d/ckpt/${#t}.json"
		done
		ckpt_same "$d/full" "$d/ckpt" "pass $pass"
	done
	[ "$(ckpt_count $E)" -ge 150 ] || fail "expected 150 snapshots or more, got $(ckpt_count $E)"
}
