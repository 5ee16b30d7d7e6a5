#!/bin/bash
# SPDX-License-Identifier: MIT
# Fold checkpoints (lib/db/fold.c): a trace folded from stored snapshots says
# exactly what the fold of every row says, also after a rules version
# change, a row replayed into the past, and for a role that cannot write;
# cron/snapshot makes them ahead of the first trace, within its rows per
# run, with rows that come late or out of order.

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

# ckpt_ro_url: the URL of a role that may only SELECT (a read replica's).
ckpt_ro_url() {
	sql "DO \$\$ BEGIN CREATE ROLE instlog_ro LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
	    GRANT SELECT ON ALL TABLES IN SCHEMA public TO instlog_ro" >/dev/null
	printf '%s' "$DATABASE_URL" | sed 's|://[^@]*@|://instlog_ro@|'
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
	url=$(ckpt_ro_url)
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

# snap_run [VAR=VALUE...]: one run of cron/snapshot with snapshots every
# 256 rows (as the trace route of ckpt_route 256); sets RC and OUT.
snap_run() {
	OUT=$(env INSTLOG_FOLD_CHECKPOINT_EVERY=256 "$@" "$STACK_BIN/snapshot" 2>&1)
	RC=$?
}

# snap_ok [VAR=VALUE...]: snap_run, which must exit 0.
snap_ok() {
	snap_run "$@"
	assert_eq 0 "$RC" "snapshot's exit status ($OUT)"
}

# snap_scanned: how far the last run read the log (its summary line).
snap_scanned() { printf '%s' "$OUT" | sed -n 's/.* scanned_to=\([0-9]*\) .*/\1/p'; }

# snap_load E N: N events of account E as the benchmark writes them
# (bench/checkpoint_data.sql: real payloads, over the last 300 days).
snap_load() {
	sql "SELECT instlog_ensure_partitions(3, 11)" >/dev/null
	psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -v ent="$1" -v n="$2" \
	    -v created="$(cat "$(fixture installation.created)")" \
	    -v added="$(cat "$(fixture installation_repositories.added)")" \
	    -v suspend="$(cat "$(fixture installation.suspend)")" \
	    -v unsuspend="$(cat "$(fixture installation.unsuspend)")" \
	    -f "$STACK_TOP/bench/checkpoint_data.sql" >/dev/null ||
	    fail "loading $2 events of $1 failed"
}

# snap_written: how many snapshots there are, and the latest write.
snap_written() { sql "SELECT count(*) || ' ' || coalesce(max(created_at)::text, '-') FROM fold_checkpoints"; }

# snap_pages E DIR AT...: E's first page as of each AT ("" for now) into
# DIR/<n>.json.
snap_pages() {
	local e=$1 dir=$2 n=0 t
	shift 2
	mkdir -p "$dir"
	for t in "$@"; do
		trace "/trace/entity/$e?limit=50${t:+&at=$t}"
		assert_status 200
		printf '%s' "$BODY" >"$dir/$n.json"
		n=$((n + 1))
	done
}

# snap_step OP NAME: the output of step NAME of operation OP.
snap_step() { sql "SELECT s->'output' FROM operations, jsonb_array_elements(steps) s WHERE id = $1 AND s->>'name' = '$2'"; }

# snap_last_op: the id of the latest snapshot operation.
snap_last_op() { sql "SELECT max(id) FROM operations WHERE type = 'snapshot'"; }

# snap_stale E: E's snapshots that a row inserted later makes unusable.
snap_stale() { sql "SELECT count(*) FROM fold_checkpoints c WHERE entity_id = $1 AND EXISTS (SELECT 1 FROM installation_events e WHERE e.entity_id = c.entity_id AND e.id > c.max_id AND (e.received_at, e.id) <= (c.received_at, c.event_id))"; }

# snap_covered E: the most rows one of E's snapshots covers.
snap_covered() { sql "SELECT coalesce(max(nrows), 0) FROM fold_checkpoints WHERE entity_id = $1"; }

# After one run of cron/snapshot, the first trace of a long history folds
# from its snapshots: it writes none, and says what the fold of every row
# says; a route that may only read gets the same without trying to write.
test_checkpoint_snapshot_made_ahead_of_the_first_trace() {
	local E=5311 d=$TEST_TMP/snap1 mid before op url
	trap ckpt_restore EXIT
	# Off, it does nothing.
	snap_ok INSTLOG_FOLD_CHECKPOINT_EVERY=0
	case $OUT in *"snapshots off"*) ;; *) fail "with snapshots off: $OUT" ;; esac
	# What earlier tests left, first: the next run reads E's rows alone.
	snap_ok
	snap_load $E 3000
	mid=$(ckpt_times $E | sed -n 1500p)
	ckpt_route 0
	snap_pages $E "$d/full" "" "$mid"
	assert_eq 0 "$(ckpt_count $E)" "snapshots before the run"
	snap_ok
	case $OUT in *" accounts=1 rows=3000 "*" more=no "*) ;; *) fail "one run, all of E: $OUT" ;; esac
	[ "$(ckpt_count $E)" -ge 11 ] || fail "expected 11 snapshots or more, got $(ckpt_count $E)"
	ckpt_route 256
	before=$(snap_written)
	snap_pages $E "$d/ahead" "" "$mid"
	assert_eq "$before" "$(snap_written)" "snapshots written by the first traces"
	ckpt_same "$d/full" "$d/ahead" "from snapshots made ahead"
	# The run is an operation: a step for E, and the scan's.
	op=$(snap_last_op)
	assert_eq completed "$(sql "SELECT status FROM operations WHERE id = $op")" "status"
	assert_eq '{"end": true, "rows": 3000, "snapshots": '"$(ckpt_count $E)"'}' \
	    "$(snap_step "$op" "entity $E")" "E's step"
	assert_eq false "$(snap_step "$op" scan | jq .more)" "the scan's step"
	assert_eq t "$(sql "SELECT $E = ANY (entity_ids) FROM operations WHERE id = $op")" "E among the accounts touched"
	# A route that may only SELECT (a replica's) folds from them too, and
	# never tries to write one.
	url=$(ckpt_ro_url)
	: >"$RUNDIR/trace_entity.log"
	ckpt_route 256 DATABASE_READ_URL="$url"
	snap_pages $E "$d/ro" "" "$mid"
	ckpt_same "$d/full" "$d/ro" "read-only route"
	assert_eq 0 "$(grep -c 'may not write' "$RUNDIR/trace_entity.log")" "refused writes"
}

# A row whose transaction took its id before a run and commits after it,
# at an earlier position, and rows placed among those already folded (as
# replayed spool files are): the scan never passes the id still in
# flight, stale snapshots are made again, and the traces stay those of
# the full fold.
test_checkpoint_snapshot_rows_late_and_out_of_order() {
	local E=5312 d=$TEST_TMP/snap2 at t late="" pid
	trap ckpt_restore EXIT
	snap_ok
	snap_load $E 2000
	snap_ok
	[ "$(ckpt_count $E)" -ge 7 ] || fail "expected 7 snapshots or more, got $(ckpt_count $E)"
	# 600 more over the same 300 days: most before the latest snapshot.
	snap_load $E 600
	[ "$(snap_stale $E)" -ge 1 ] || fail "no snapshot made stale"
	# The late row: an uninstall in the middle of the timeline.
	at=$(sql "SELECT to_char((received_at + interval '1 microsecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM installation_events WHERE entity_id = $E ORDER BY received_at, id OFFSET 1300 LIMIT 1")
	mkfifo "$TEST_TMP/late.sql"
	psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 \
	    -v p="$(jq -c ".installation.account.id = $E" "$(fixture installation.deleted)")" \
	    <"$TEST_TMP/late.sql" >"$TEST_TMP/late.out" 2>&1 &
	pid=$!
	exec 7>"$TEST_TMP/late.sql"
	printf '%s\n' "BEGIN;" \
	    "INSERT INTO installation_events (received_at, source, event, outcome, delivery_id, app_id, installation_id, entity_type, entity_id, entity_name, payload)" \
	    "VALUES ('$at', 'webhook', 'installation.deleted', 'ok', 'late-$E', 29310, 8005312, 'Organization', $E, 'bench-fleet', :'p'::jsonb) RETURNING id;" >&7
	for _ in $(seq 1 100); do
		late=$(head -1 "$TEST_TMP/late.out")
		[ -n "$late" ] && break
		sleep 0.05
	done
	[ -n "$late" ] || fail "no id for the late row: $(cat "$TEST_TMP/late.out")"
	# Rows after it that commit first: another account's, a short tail.
	install 5314 kate 6314
	action installation installation.suspend 5314 kate 6314
	[ "$LAST_ID" -gt "$late" ] || fail "row $LAST_ID is not after the late row $late"
	snap_ok
	[ "$(snap_scanned)" -lt "$late" ] || fail "the scan passed row $late, still uncommitted: $OUT"
	assert_eq 0 "$(snap_stale $E)" "stale snapshots after the run"
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$pid" || fail "psql: $(cat "$TEST_TMP/late.out")"
	# Committed: it makes the snapshots after it stale; the next run
	# reads it and makes them again.
	[ "$(snap_stale $E)" -ge 1 ] || fail "no snapshot made stale by the late row"
	snap_ok
	case $OUT in *" more=no "*) ;; *) fail "work left: $OUT" ;; esac
	[ "$(snap_scanned)" -ge "$late" ] || fail "the scan did not read row $late: $OUT"
	# (One made stale may stay past the last one made again: never used.)
	[ "$(sql "SELECT count(*) FROM fold_checkpoints WHERE entity_id = $E AND received_at > '$at' AND max_id >= $late")" -ge 4 ] ||
	    fail "the snapshots after the late row were not made again"
	t=$(ckpt_times $E | sed -n 1000p)
	ckpt_route 0
	snap_pages $E "$d/full" "" "$t" "$at"
	ckpt_route 256
	before=$(snap_written)
	snap_pages $E "$d/ahead" "" "$t" "$at"
	assert_eq "$before" "$(snap_written)" "snapshots written by the traces"
	ckpt_same "$d/full" "$d/ahead" "after late and out-of-order rows"
	jq -e '.state.installed == false' "$d/ahead/0.json" >/dev/null ||
	    fail "the late uninstall is not in the state: $(jq -c .state "$d/ahead/0.json")"
}

# A tail longer than a run's rows (INSTLOG_SNAPSHOT_ROWS) takes two runs,
# the second going on from the first's last snapshot.
test_checkpoint_snapshot_run_bounded_by_its_rows() {
	local E=5313 d=$TEST_TMP/snap3 op before
	trap ckpt_restore EXIT
	snap_ok
	snap_load $E 45000
	snap_ok INSTLOG_SNAPSHOT_ROWS=30000
	case $OUT in *" accounts=1 rows=30000 "*" more=yes "*) ;; *) fail "first run: $OUT" ;; esac
	op=$(snap_last_op)
	assert_eq false "$(snap_step "$op" "entity $E" | jq .end)" "E's fold ended by the first run"
	[ "$(snap_covered $E)" -le 30000 ] && [ "$(snap_covered $E)" -gt $((30000 - 256)) ] ||
	    fail "the first run covered $(snap_covered $E) rows, not 30000"
	snap_ok INSTLOG_SNAPSHOT_ROWS=30000
	case $OUT in *" accounts=1 rows=15"*" more=no "*) ;; *) fail "second run: $OUT" ;; esac
	op=$(snap_last_op)
	assert_eq true "$(snap_step "$op" "entity $E" | jq .end)" "E's fold ended by the second run"
	[ "$(snap_covered $E)" -gt $((45000 - 256)) ] || fail "the second run covered $(snap_covered $E) rows"
	ckpt_route 0
	snap_pages $E "$d/full" ""
	ckpt_route 256
	before=$(snap_written)
	snap_pages $E "$d/ahead" ""
	assert_eq "$before" "$(snap_written)" "snapshots written by the trace"
	ckpt_same "$d/full" "$d/ahead" "after two runs"
}
