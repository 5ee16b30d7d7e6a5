#!/bin/bash
# SPDX-License-Identifier: MIT
# Live tail (DESIGN §14): GET /trace/stream and /operations/stream through
# nginx, as a client sees them: each new matching row within 1 s of its
# commit and no other, a resume that gets exactly what was missed, a row
# committed late with a lower id delivered once, the bound on streams (the
# N+1st a 503, a closed stream's slot free at once), the keepalive.

ST_AUTH="Authorization: Bearer $TRACE_API_SECRET"

# st_open NAME PATH [curl args...]: a stream in the background, its events
# in $TEST_TMP/NAME.sse; returns once its first line ("retry:") came.
st_open() {
	local name=$1 path=$2 i
	shift 2
	: >"$TEST_TMP/$name.sse"
	curl -sS -N -H "$ST_AUTH" "$@" "$INSTLOG_URL$path" \
	    >"$TEST_TMP/$name.sse" 2>/dev/null &
	eval "ST_PID_$name=$!"
	for i in $(seq 1 100); do
		grep -q '^retry:' "$TEST_TMP/$name.sse" && return 0
		sleep 0.05
	done
	fail "stream $name ($path) did not open"
}

# st_close NAME: the client goes away.
st_close() {
	local v="ST_PID_$1"
	kill "${!v}" 2>/dev/null
	wait "${!v}" 2>/dev/null
	return 0
}

# st_ids NAME: the ids of the events the stream sent, one a line (not the
# id alone a stream that did not resume starts with: its position).
st_ids() {
	awk '/^id: / { id = $2; next } /^event: / { if (id != "") print id; id = "" }
	    /^$/ { id = "" }' "$TEST_TMP/$1.sse"
}

# st_start NAME: the position a stream that did not resume began at.
st_start() { awk '/^id: / { id = $2; next } /^$/ { if (id != "") { print id; exit } }' "$TEST_TMP/$1.sse"; }

# st_wait NAME ID [MS]: wait up to MS (1000) for ID; fail after.
st_wait() {
	local end=$(($(date +%s%3N) + ${3:-1000}))
	while [ "$(date +%s%3N)" -le "$end" ]; do
		st_ids "$1" | grep -qx "$2" && return 0
		sleep 0.02
	done
	fail "stream $1: id $2 not seen within ${3:-1000} ms (got: $(st_ids "$1" | tr '\n' ' '))"
}

# st_row E EVENT: insert a row for entity E straight into the log (as a
# writer would), print its id.
st_row() {
	sql "INSERT INTO installation_events (source, event, outcome, payload, entity_id, installation_id)
	     VALUES ('webhook', '$2', 'ok', '{}', $1, $1 + 1) RETURNING id" | head -1
}

test_stream_new_rows_within_1s_and_filters() {
	local r1 r2 r3
	st_open ent '/trace/stream?entity_id=910001'
	st_open inst '/trace/stream?installation_id=910012'
	st_open ev '/trace/stream?event=installation_repositories'
	st_open all '/trace/stream'
	action installation installation.created 910001 streamer 910002
	r1=$LAST_ID
	st_wait ent "$r1"
	st_wait all "$r1"
	action installation_repositories installation_repositories.added 910011 other 910012
	r2=$LAST_ID
	st_wait inst "$r2"
	st_wait ev "$r2"
	st_wait all "$r2"
	r3=$(st_row 910001 installation.suspend)
	st_wait ent "$r3"
	st_wait all "$r3"
	sleep 0.3
	assert_eq "$r1 $r3" "$(st_ids ent | tr '\n' ' ' | sed 's/ $//')" "entity stream"
	assert_eq "$r2" "$(st_ids inst | tr '\n' ' ' | sed 's/ $//')" "installation stream"
	assert_eq "$r2" "$(st_ids ev | tr '\n' ' ' | sed 's/ $//')" "event stream"
	assert_eq "$r1 $r2 $r3" "$(st_ids all | tr '\n' ' ' | sed 's/ $//')" "unfiltered stream"
	# The data is the row as the timeline lists it.
	assert_eq "installation.created streamer" \
	    "$(sed -n 's/^data: //p' "$TEST_TMP/ent.sse" | head -1 | jq -r '"\(.event) \(.entity_name)"')" "row data"
	grep -q '^event: row$' "$TEST_TMP/ent.sse" || fail "no 'event: row'"
	for s in ent inst ev all; do st_close $s; done
}

test_stream_resume_gets_exactly_what_was_missed() {
	local r1 r2 r3 r4
	st_open a '/trace/stream?entity_id=920001'
	r1=$(st_row 920001 ping)
	st_wait a "$r1"
	st_close a
	r2=$(st_row 920001 ping)
	r3=$(st_row 920002 ping)
	r4=$(st_row 920001 ping)
	st_open b '/trace/stream?entity_id=920001' -H "Last-Event-ID: $r1"
	st_wait b "$r4"
	st_open c "/trace/stream?entity_id=920001&after=$r1"
	st_wait c "$r4"
	sleep 0.3
	assert_eq "$r2 $r4" "$(st_ids b | tr '\n' ' ' | sed 's/ $//')" "resumed by Last-Event-ID"
	assert_eq "$r2 $r4" "$(st_ids c | tr '\n' ' ' | sed 's/ $//')" "resumed by ?after="
	st_close b
	st_close c
}

# Two transactions: the lower id inserted first, committed last.
test_stream_row_committed_late_with_lower_id_delivered_once() {
	local low high
	st_open a '/trace/stream?entity_id=930001'
	# Transaction one takes its id, then holds its commit for 1.5 s.
	psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 >"$TEST_TMP/low" <<'SQL' &
BEGIN;
INSERT INTO installation_events (source, event, outcome, payload, entity_id)
VALUES ('webhook', 'installation.created', 'ok', '{}', 930001) RETURNING id;
SELECT pg_sleep(1.5);
COMMIT;
SQL
	local pid=$! i
	for i in $(seq 1 100); do
		[ -s "$TEST_TMP/low" ] && break
		sleep 0.02
	done
	low=$(head -1 "$TEST_TMP/low")
	high=$(st_row 930001 installation.suspend)
	[ "$high" -gt "$low" ] || fail "ids: $low then $high"
	sleep 0.5
	assert_eq "" "$(st_ids a)" "nothing passed before the lower id commits"
	wait "$pid"
	st_wait a "$low" 1000
	st_wait a "$high" 1000
	sleep 0.3
	assert_eq "$low $high" "$(st_ids a | tr '\n' ' ' | sed 's/ $//')" "each once, in id order"
	st_close a
	# A resume from before both still gets both once.
	st_open b "/trace/stream?entity_id=930001&after=$((low - 1))"
	st_wait b "$high"
	sleep 0.2
	assert_eq "$low $high" "$(st_ids b | tr '\n' ' ' | sed 's/ $//')" "resumed"
	st_close b
}

test_stream_operations_start_steps_end() {
	local id s1 n
	sql "SELECT instlog_operations_ensure_partitions(7)" >/dev/null
	st_open ops '/operations/stream'
	id=$(sql "INSERT INTO operations (type) VALUES ('maintenance') RETURNING id" | head -1)
	sql "UPDATE operations SET steps_summary = 'partitions ✓' WHERE id = $id" >/dev/null
	sql "UPDATE operations SET status = 'completed', completed_at = now() WHERE id = $id" >/dev/null
	s1=$(sql "SELECT stream_seq FROM operations WHERE id = $id")
	st_wait ops "$s1"
	sleep 0.2
	grep -q '^event: operation$' "$TEST_TMP/ops.sse" || fail "no 'event: operation'"
	n=$(sed -n 's/^data: //p' "$TEST_TMP/ops.sse" | jq -r "select(.id == $id) | .status" | tail -1)
	assert_eq completed "$n" "the operation's last state"
	st_close ops
}

# ?last=N: a stream from now begins with the last N matching rows, tells
# where it began (an id alone), then goes on live: no gap, no repeat
# between history and new rows.  A resume point wins over it.
test_stream_last_rows_first_then_live() {
	local h=() i r s
	for i in $(seq 1 5); do h+=("$(st_row 960001 ping)"); done
	st_row 960002 ping >/dev/null
	st_open a '/trace/stream?entity_id=960001&last=3'
	st_wait a "${h[4]}" 5000
	assert_eq "$((h[2] - 1))" "$(st_start a)" "where it began: before the third last row"
	r=$(st_row 960001 installation.suspend)
	st_wait a "$r" 5000
	st_open b '/trace/stream?entity_id=960001&last=3' -H "Last-Event-ID: ${h[3]}"
	st_wait b "$r" 5000
	st_open c '/trace/stream?entity_id=960003&last=3'
	sleep 0.3
	assert_eq "${h[2]} ${h[3]} ${h[4]} $r" "$(st_ids a | tr '\n' ' ' | sed 's/ $//')" "the last 3, then the new row"
	assert_eq "${h[4]} $r" "$(st_ids b | tr '\n' ' ' | sed 's/ $//')" "Last-Event-ID wins over last"
	assert_eq "" "$(st_ids c)" "an entity without rows: no history"
	[ -n "$(st_start c)" ] || fail "no start position for an empty history"
	# The operations' last changes the same way.
	sql "SELECT instlog_operations_ensure_partitions(7)" >/dev/null
	sql "INSERT INTO operations (type) VALUES ('maintenance')" >/dev/null
	sql "INSERT INTO operations (type) VALUES ('maintenance')" >/dev/null
	s=$(sql "SELECT max(stream_seq) FROM operations")
	st_open o '/operations/stream?last=2'
	st_wait o "$s" 5000
	sleep 0.3
	assert_eq "$((s - 1)) $s" "$(st_ids o | tr '\n' ' ' | sed 's/ $//')" "the last 2 operation changes"
	http GET '/trace/stream?last=0' -H "$ST_AUTH"
	assert_status 400
	for s in a b c o; do st_close $s; done
}

test_stream_errors() {
	http GET /trace/stream
	assert_status 401
	http GET '/trace/stream?entity_id=x' -H "$ST_AUTH"
	assert_status 400
	http GET '/trace/stream?event=Bad%20Name' -H "$ST_AUTH"
	assert_status 400
	http GET /trace/stream -H "$ST_AUTH" -H 'Last-Event-ID: -3'
	assert_status 400
	http POST /operations/stream -H "$ST_AUTH"
	assert_status 405
}

# The bound (INSTLOG_STREAMS=2 for this test) and the keepalive.
test_stream_bound_and_keepalive() {
	stack_route_stop operations_stream
	INSTLOG_STREAMS=2 stack_route_start operations_stream ||
	    fail "operations_stream with INSTLOG_STREAMS=2 did not start"
	trap 'trap - RETURN; stack_route_stop operations_stream; stack_route_start operations_stream' RETURN
	st_open a /operations/stream
	st_open b /operations/stream
	http GET /operations/stream -H "$ST_AUTH" --max-time 5
	assert_status 503
	printf '%s' "$HEADERS" | grep -qi '^Retry-After: ' || fail "503 without Retry-After"
	# A client that goes away frees its slot at once.
	st_close a
	sleep 0.2
	st_open c /operations/stream
	http GET /operations/stream -H "$ST_AUTH" --max-time 5
	assert_status 503
	sleep 16
	grep -q '^: keepalive$' "$TEST_TMP/b.sse" || fail "no keepalive within 16 s"
	st_close b
	st_close c
}

# The CLI's --follow: new rows as JSON lines (and table lines), and a
# dropped connection (the stream binary restarted) resumed by
# Last-Event-ID: the row written while it was down comes once.
test_stream_cli_follow_resumes_after_a_drop() {
	local r1 r2 r3 i
	"$STACK_BIN/instlog-trace" --entity-id 940001 --follow --json \
	    >"$TEST_TMP/follow.json" 2>"$TEST_TMP/follow.err" &
	local pid=$!
	"$STACK_BIN/instlog-trace" --entity-id 940001 --follow \
	    >"$TEST_TMP/follow.txt" 2>/dev/null &
	local tpid=$!
	trap 'kill $pid $tpid 2>/dev/null' RETURN
	sleep 0.5
	r1=$(st_row 940001 installation.created)
	for i in $(seq 1 50); do
		grep -q "\"id\":$r1," "$TEST_TMP/follow.json" && break
		sleep 0.02
	done
	grep -q "\"id\":$r1," "$TEST_TMP/follow.json" || fail "follow: row $r1 not printed"
	stack_route_stop trace_stream
	r2=$(st_row 940001 installation.suspend)
	st_row 940002 ping >/dev/null
	stack_route_start trace_stream || fail "trace_stream did not start again"
	r3=$(st_row 940001 installation.unsuspend)
	for i in $(seq 1 300); do
		grep -q "\"id\":$r3," "$TEST_TMP/follow.json" && break
		sleep 0.02
	done
	assert_eq "$r1 $r2 $r3" "$(jq -r .id "$TEST_TMP/follow.json" | tr '\n' ' ' | sed 's/ $//')" "followed rows"
	grep -q 'resuming after id' "$TEST_TMP/follow.err" || fail "no resume message: $(cat "$TEST_TMP/follow.err")"
	grep -q '^ *ID *TIME (UTC) *EVENT' "$TEST_TMP/follow.txt" || fail "no table header"
	grep -q "^ *$r1 .*installation.created" "$TEST_TMP/follow.txt" || fail "no table line for $r1: $(cat "$TEST_TMP/follow.txt")"
}

# The CLI's --follow prints the history first, like tail -f: the last 10
# rows (or --limit), then the new ones, each once.
test_stream_cli_follow_prints_the_last_rows_first() {
	local h=() i r p1 p2
	for i in $(seq 1 12); do h+=("$(st_row 970001 ping)"); done
	st_row 970002 ping >/dev/null
	"$STACK_BIN/instlog-trace" --entity-id 970001 --follow --json \
	    >"$TEST_TMP/h10.json" 2>"$TEST_TMP/h10.err" &
	p1=$!
	"$STACK_BIN/instlog-trace" --entity-id 970001 --follow --limit 2 \
	    >"$TEST_TMP/h2.txt" 2>/dev/null &
	p2=$!
	trap 'kill $p1 $p2 2>/dev/null' RETURN
	for i in $(seq 1 250); do
		grep -q "\"id\":${h[11]}," "$TEST_TMP/h10.json" &&
		    grep -q "^ *${h[11]} " "$TEST_TMP/h2.txt" && break
		sleep 0.02
	done
	r=$(st_row 970001 installation.suspend)
	for i in $(seq 1 250); do
		grep -q "\"id\":$r," "$TEST_TMP/h10.json" &&
		    grep -q "^ *$r " "$TEST_TMP/h2.txt" && break
		sleep 0.02
	done
	assert_eq "${h[*]:2} $r" "$(jq -r .id "$TEST_TMP/h10.json" | tr '\n' ' ' | sed 's/ $//')" "the last 10 rows, then the new one"
	assert_eq "${h[10]} ${h[11]} $r" "$(grep -o "^ *[0-9][0-9]* " "$TEST_TMP/h2.txt" | tr -d ' ' | tr '\n' ' ' | sed 's/ $//')" "--limit 2: the last 2, then the new one"
}
