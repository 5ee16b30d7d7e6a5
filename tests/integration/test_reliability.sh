#!/bin/bash
# SPDX-License-Identifier: MIT
# Never lose a delivery, never crash: PostgreSQL stopped, stalled and
# frozen under load, a worker killed mid-load, the spool replayer, and a
# table of hostile inputs.  The outage test takes ~30 s; the rest seconds.

REPLAY=${STACK_BIN:-$TOP/build/bin}/spool_replay

# spool_file DIR NAME RECEIVED_AT DELIVERY EVENT FILE [SIGNATURE] [KEY]:
# write DIR/NAME.delivery as spool_write() does (version 2: the attempt,
# the headers, the signature, the length, the body and a SHA-256 trailer
# over all of it).  SIGNATURE defaults to FILE's with the current secret.
spool_file() {
	local dir=$1 name=$2 at=$3 id=$4 ev=$5 f=$6 t
	local sig=${7:-} key=${8:-}
	[ -n "$sig" ] || sig=sha256=$(sign "$f")
	[ -n "$key" ] || key=$(openssl rand -hex 16)
	t=$dir/$name.tmp
	{ printf 'instlog-spool 2\nreceived_at: %s\nattempt: %s\nevent: %s\ndelivery: %s\ntarget_id: 29310\ntarget_type: integration\nrefused: \nsignature: %s\nlength: %s\n\n' \
	      "$at" "$key" "$ev" "$id" "$sig" "$(wc -c <"$f")"
	  cat "$f"; } >"$t" || return 1
	printf '\nsha256: %s\n' "$(sha256sum "$t" | cut -d' ' -f1)" >>"$t"
	mv "$t" "$dir/$name.delivery"
}

# post SIGNATURE_HEADER EVENT FILE ID [curl args...]: POST FILE as a
# delivery with that X-Hub-Signature-256 value ("" for none).
post() {
	local sig=$1 event=$2 file=$3 id=$4
	shift 4
	local sigh=()
	[ -n "$sig" ] && sigh=(-H "X-Hub-Signature-256: $sig")
	http POST /webhook -H "X-GitHub-Event: $event" -H "X-GitHub-Delivery: $id" \
	    -H "X-GitHub-Hook-Installation-Target-Type: integration" \
	    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
	    "${sigh[@]}" "$@" --data-binary @"$file"
}

# send_paced N RATE PREFIX DIR: POST N signed deliveries (ping,
# installation.created, workflow_job.queued in turn) at RATE per second,
# ids PREFIX-1..N; DIR/i gets "status seconds" of each.  Waits for all.
send_paced() {
	local n=$1 rate=$2 prefix=$3 dir=$4 i k start now due
	local events=(ping installation workflow_job) files=() sigs=()
	files=("$(fixture ping)" "$(fixture installation.created)" \
	    "$(fixture_edit workflow_job.queued '.workflow_job.id = 880001')")
	for k in 0 1 2; do sigs+=("$(sign "${files[k]}")"); done
	mkdir -p "$dir"
	start=${EPOCHREALTIME/./}
	for ((i = 1; i <= n; i++)); do
		k=$((i % 3))
		curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 20 \
		    -X POST -H "X-GitHub-Event: ${events[k]}" \
		    -H "X-GitHub-Delivery: $prefix-$i" \
		    -H "X-GitHub-Hook-Installation-Target-Type: integration" \
		    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
		    -H "X-Hub-Signature-256: sha256=${sigs[k]}" \
		    --data-binary @"${files[k]}" "$INSTLOG_URL/webhook" \
		    >"$dir/$i" 2>/dev/null &
		# Steady: the i-th request leaves at start + i / RATE.
		due=$((start + i * 1000000 / rate))
		now=${EPOCHREALTIME/./}
		[ "$now" -lt "$due" ] &&
		    sleep "$(((due - now) / 1000000)).$(printf '%06d' $(((due - now) % 1000000)))"
	done
	wait
}

# ids_with DIR PREFIX CODE...: comma list of the ids answered with CODE.
ids_with() {
	local dir=$1 prefix=$2
	shift 2
	awk -v codes=" $* " -v p="$prefix" 'index(codes, " " $1 " ") {
	    n = FILENAME; sub(".*/", "", n); print p "-" n}' "$dir"/* | paste -sd,
}

# rows_check PREFIX N: "stored duplicates" for ids PREFIX-1..N.
rows_check() {
	sql "SELECT count(*), count(*) FILTER (WHERE c > 1) FROM (
	       SELECT delivery_id, count(*) c FROM installation_events
	       WHERE delivery_id LIKE '$1-%' GROUP BY delivery_id) t" | tr '|' ' '
}

# A sender posts N signed deliveries at a steady 20/s while PostgreSQL is
# stopped (pg_ctl stop -m fast) for ~20 s and started again; then the
# spool is replayed.  Every delivery must be answered 200 or 202, within
# nginx's timeout, and be in the log exactly once.
test_outage_no_delivery_lost() {
	local n=${OUTAGE_N:-500} rate=20 dir=$TEST_TMP/outage prefix t_stop t_start
	local sender ok spooled other stored dups slowest down back
	prefix=outage-$RANDOM$RANDOM
	trap pg_ensure_up EXIT
	send_paced "$n" "$rate" "$prefix" "$dir" &
	sender=$!
	sleep 2
	t_stop=${EPOCHREALTIME/./}
	stack_pg_stop
	pg_is_up && fail "PostgreSQL still up"
	sleep 20
	stack_pg_resume || fail "PostgreSQL did not start again"
	t_start=${EPOCHREALTIME/./}
	back=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
	wait "$sender"
	spool_drain 120
	ok=$(statuses "$dir" | awk '$1 == 200 {print $2}')
	spooled=$(statuses "$dir" | awk '$1 == 202 {print $2}')
	other=$(statuses "$dir" | awk '$1 != 200 && $1 != 202 {printf "%s%s x%s", sep, $1, $2; sep=", "}')
	slowest=$(slowest "$dir")
	read -r stored dups <<<"$(rows_check "$prefix")"
	down=$(((t_start - t_stop) / 100000))
	down="${down%?}.${down: -1}"
	# The spooled rows keep the time they arrived, not the replay's.
	assert_eq 0 "$(sql "SELECT count(*) FROM installation_events WHERE delivery_id = ANY (string_to_array('$(ids_with "$dir" "$prefix" 202)', ',')) AND received_at > '$back'")" \
	    "spooled rows stamped after PostgreSQL came back"
	local line="outage: sent=$n acknowledged=$((${ok:-0} + ${spooled:-0})) (200: ${ok:-0}, 202 spooled: ${spooled:-0}) other=${other:-none} stored=$stored duplicates=$dups lost=$((n - stored)) postgres_down=${down}s slowest_answer=${slowest}s"
	record outage "$line"
	assert_eq "" "$other" "answers other than 200/202"
	assert_eq "$n" "$stored" "deliveries in the log"
	assert_eq 0 "$dups" "deliveries logged twice"
	[ "${spooled:-0}" -gt 0 ] || fail "nothing was spooled: was PostgreSQL really down?"
	awk -v s="$slowest" 'BEGIN {exit !(s < 8)}' || fail "slowest answer ${slowest}s: nginx gives up at 8 s"
	assert_eq "0" "$(spool_count)" "spool left"
}

# SIGKILL one webhook worker while both hold deliveries (their rows
# waiting on a lock, so that the kill lands mid-request, every time): what
# it costs is what the victim held, at most its threads (16 of the 32 the
# webhook has), answered 502; every other delivery is answered 200 and
# logged once, nginx and the other routes keep serving, and the supervisor
# starts a new worker.  A 502'd delivery's row may still commit (the
# victim's INSERT was sent); either way GitHub shows it failed and the
# redelivery sweep sends it again (RELIABILITY.md).
test_worker_killed_mid_load() {
	local n=24 dir=$TEST_TMP/kill prefix before after victim i f threads=16
	local workers=${STACK_WORKERS_webhook:-${STACK_WORKERS:-${STACK_DEFAULT_WORKERS_webhook:-2}}} failed missing acked
	prefix=kill-$RANDOM$RANDOM
	mkdir -p "$dir"
	# One write slot a worker, so that one waiting INSERT a worker shows
	# that both hold deliveries (a second slot takes queued rows too);
	# started from another shell: not a job of this one, which waits for
	# its jobs below.
	kill_webhook_slots 1
	trap 'trap - RETURN; kill_webhook_slots ""' RETURN
	before=$(pgrep -P "$(stack_route_pid webhook)" | sort)
	assert_eq "$workers" "$(echo "$before" | wc -l)" "workers before"
	[ "$workers" -ge 2 ] || { fail "the kill test needs 2 workers, not $workers"; return; }
	f=$(fixture installation.created)
	trap release_lock EXIT
	lock_events 60
	for i in $(seq 1 $n); do post_bg "$dir" "$i" "$INSTLOG_URL" installation "$f" "$prefix-$i"; done
	# Both workers hold deliveries: each one's write waits on the lock.
	for i in $(seq 1 400); do [ "$(waiting_inserts)" -ge 2 ] && break; sleep 0.05; done
	assert_eq 2 "$(waiting_inserts)" "workers whose write waits"
	victim=$(echo "$before" | head -1)
	kill -KILL "$victim"
	release_lock
	# Another route answers meanwhile.
	http GET /trace/payload/1 -H "Authorization: Bearer $TRACE_API_SECRET"
	case $STATUS in 200 | 404) ;; *) fail "trace route answered $STATUS" ;; esac
	wait $(jobs -p) 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		after=$(pgrep -P "$(stack_route_pid webhook)" | sort)
		[ "$(echo "$after" | wc -l)" = "$workers" ] &&
		    ! echo "$after" | grep -qx "$victim" && break
		sleep 0.1
	done
	assert_eq "$workers" "$(echo "$after" | wc -l)" "workers after the restart"
	echo "$after" | grep -qx "$victim" && fail "worker $victim still there"
	spool_drain 30
	record kill "kill: $n deliveries held by $workers workers x $threads threads, one worker SIGKILLed: answers $(statuses "$dir" | tr '\n' ' ')workers $(echo $before) -> $(echo $after)"
	failed=$(awk '$1 == 502' "$dir"/* | wc -l)
	[ "$failed" -ge 1 ] && [ "$failed" -le "$threads" ] ||
	    fail "$failed answered 502: the victim's share is 1..$threads ($(statuses "$dir" | tr '\n' ' '))"
	awk '$1 != 200 && $1 != 202 && $1 != 502 {exit 1}' "$dir"/* ||
	    fail "unexpected answers: $(statuses "$dir" | tr '\n' ' ')"
	acked=$(ids_with "$dir" "$prefix" 200 202)
	missing=$(sql "SELECT count(*) FROM unnest(string_to_array('$acked', ',')) a(id)
	               WHERE (SELECT count(*) FROM installation_events e WHERE e.delivery_id = a.id) <> 1")
	assert_eq 0 "$missing" "acknowledged deliveries not logged exactly once"
}

# Statement timeout and lock timeout: the delivery is spooled (202) within
# the webhook's budget, not answered 500 and lost; replayed once PostgreSQL
# is well again.
test_database_timeouts_spool() {
	local f t0 t1 locker
	f=$(fixture ping)
	trap 'sql "DROP TRIGGER IF EXISTS it_cancel ON installation_events; DROP FUNCTION IF EXISTS it_cancel()" >/dev/null 2>&1' EXIT
	# What statement_timeout raises (57014), without waiting 5 s for it.
	sql "CREATE FUNCTION it_cancel() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
	       RAISE EXCEPTION 'canceling statement due to statement timeout' USING ERRCODE = 'query_canceled';
	     END \$\$;
	     CREATE TRIGGER it_cancel BEFORE INSERT ON installation_events FOR EACH ROW EXECUTE FUNCTION it_cancel();" >/dev/null
	deliver ping "$f" timeout-57014
	assert_status 202
	assert_json .spooled true
	sql "DROP TRIGGER it_cancel ON installation_events; DROP FUNCTION it_cancel()" >/dev/null
	spool_drain 30
	assert_eq 1 "$(rows_for timeout-57014)" "row after replay"

	# A lock held past lock_timeout (2 s).
	lock_events 4
	locker=$LOCKER
	t0=${EPOCHREALTIME/./}
	deliver ping "$f" timeout-55P03
	t1=${EPOCHREALTIME/./}
	assert_status 202
	[ $((t1 - t0)) -lt 4000000 ] || fail "answered after $(((t1 - t0) / 1000)) ms"
	record lock "lock: 55P03 after lock_timeout, answered 202 in $(((t1 - t0) / 1000)) ms"
	wait "$locker"
	spool_drain 30
	assert_eq 1 "$(rows_for timeout-55P03)" "row after replay"
}

# PostgreSQL frozen (SIGSTOP): it accepts connections and never answers.
# Six deliveries at once are all answered 202 well within nginx's 8 s: the
# first ones wait out the 5 s budget, the rest find the worker failing fast.
# A frozen statement may still commit when PostgreSQL resumes, so a
# delivery may be logged twice (at least once; reads dedupe by delivery_id).
test_frozen_database_answers_in_time() {
	local f dir=$TEST_TMP/frozen i s t slowest
	f=$(fixture ping)
	mkdir -p "$dir"
	trap pg_ensure_up EXIT
	pg_freeze
	for i in 1 2 3 4 5 6; do
		curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 20 -X POST \
		    -H 'X-GitHub-Event: ping' -H "X-GitHub-Delivery: frozen-$i" \
		    -H "X-Hub-Signature-256: sha256=$(sign "$f")" \
		    --data-binary @"$f" "$INSTLOG_URL/webhook" >"$dir/$i" &
	done
	wait
	pg_thaw
	for i in 1 2 3 4 5 6; do
		read -r s t <"$dir/$i"
		assert_eq 202 "$s" "frozen-$i status"
	done
	slowest=$(slowest "$dir")
	awk -v s="$slowest" 'BEGIN {exit !(s < 7.5)}' || fail "slowest answer ${slowest}s"
	# Past the hold-off the workers use PostgreSQL again.
	sleep 3.5
	spool_drain 60
	for i in 1 2 3 4 5 6; do
		# One row each: a statement whose reply was lost committed
		# once the server thawed, and its spool file added nothing.
		assert_eq 1 "$(rows_for "frozen-$i")" "frozen-$i rows"
	done
	record frozen "frozen: 6 concurrent deliveries: $(statuses "$dir" | tr '\n' ' ')slowest_answer=${slowest}s rows: $(sql "SELECT string_agg(c::text, ' ' ORDER BY d) FROM (SELECT delivery_id d, count(*) c FROM installation_events WHERE delivery_id LIKE 'frozen-_' GROUP BY 1) t")"
	deliver ping "$f" frozen-after
	assert_status 200
}

# The replayer: a held lock keeps a second one out; files are replayed in
# arrival order through the live path, keeping their time; a file that is
# not a spool file is moved aside, never deleted.
test_spool_replay_lock_order_and_bad_files() {
	local sp=$INSTLOG_SPOOL_DIR q ip c out rc
	q=$(fixture_edit workflow_job.queued '.workflow_job.id = 881001')
	ip=$(fixture_edit workflow_job.in_progress '.workflow_job.id = 881001')
	c=$(fixture_edit workflow_job.completed.success '.workflow_job.id = 881001')
	# Pause the stack's replayer loop (between passes) so that the runs
	# here are the ones that meet the files.
	trap 'kill -CONT $STACK_PID_spool_replay 2>/dev/null' EXIT
	exec 9>"$sp/spool_replay.lock"
	for _ in $(seq 1 50); do
		kill -STOP "$STACK_PID_spool_replay"
		flock -n 9 && break
		kill -CONT "$STACK_PID_spool_replay"
		sleep 0.1
	done
	flock -n 9 || fail "cannot take the replayer lock"
	local tamp=$TEST_TMP/tampered.json
	jq -c '.workflow_job.id = 881002' "$q" >"$tamp"
	spool_file "$sp" 1577836800000003-1-2 2020-01-01T00:00:00.000003Z replay-3 workflow_job "$c"
	spool_file "$sp" 1577836800000001-1-0 2020-01-01T00:00:00.000001Z replay-1 workflow_job "$q"
	# Signed with the previous secret: verified, replayed.
	spool_file "$sp" 1577836800000002-1-1 2020-01-01T00:00:00.000002Z replay-2 workflow_job "$ip" \
	    "sha256=$(sign "$ip" "$GITHUB_WEBHOOK_SECRET_PREVIOUS")"
	printf 'not a spool file\n' >"$sp/1577836800000004-1-3.delivery"
	# A body changed after signing, with a trailer that matches.
	spool_file "$sp" 1577836800000005-1-4 2020-01-01T00:00:00.000005Z replay-5 workflow_job "$tamp" \
	    "sha256=$(sign "$q")"
	# Cut short: a crash or a full disk mid-write.
	spool_file "$sp" 1577836800000006-1-5 2020-01-01T00:00:00.000006Z replay-6 workflow_job "$q"
	truncate -s -20 "$sp/1577836800000006-1-5.delivery"
	# Written by the previous version: no signature to verify.
	{ printf 'instlog-spool 1\nreceived_at: 2020-01-01T00:00:00.000007Z\nevent: workflow_job\ndelivery: replay-7\ntarget_id: 29310\ntarget_type: integration\n\n'
	  cat "$q"; } >"$sp/1577836800000007-1-6.delivery"
	out=$("$REPLAY" -1 2>&1)
	rc=$?
	assert_eq 0 "$rc" "exit status with the lock held"
	assert_eq "" "$out" "output with the lock held"
	assert_eq 7 "$(spool_count)" "files kept while locked"
	exec 9>&-
	out=$(${STACK_WRAPPER:-} "$REPLAY" -1 2>&1)
	rc=$?
	assert_eq 1 "$rc" "exit status after moving a file aside"
	case $out in *"replayed=3 bad=4 failed=0 left=0"*) ;; *) fail "summary: $out" ;; esac
	case $out in *"1577836800000005-1-4.delivery': the signature does not verify"*) ;; *) fail "no line for the bad signature: $out" ;; esac
	case $out in *"1577836800000006-1-5.delivery' is truncated or damaged"*) ;; *) fail "no line for the truncated file: $out" ;; esac
	case $out in *"1577836800000007-1-6.delivery' is a version 1 spool file"*) ;; *) fail "no line for the old file: $out" ;; esac
	assert_eq 0 "$(spool_count)" "spool left"
	assert_eq "replay-1|job_stored|2020-01-01 00:00:00.000001+00
replay-2|job_marked_running|2020-01-01 00:00:00.000002+00
replay-3|job_marked_completed|2020-01-01 00:00:00.000003+00" \
	    "$(sql "SET timezone = 'UTC'; SELECT delivery_id, outcome, received_at FROM installation_events WHERE delivery_id LIKE 'replay-%' ORDER BY id")" \
	    "replayed in arrival order, at their time; nothing unverified"
	assert_eq completed "$(sql 'SELECT status FROM jobs WHERE job_id = 881001')" "job"
	assert_eq 0 "$(sql 'SELECT count(*) FROM jobs WHERE job_id = 881002')" "tampered job not stored"
	# The pass is one operation: each file's row id, or why it was moved.
	assert_eq "$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM installation_events WHERE delivery_id LIKE 'replay-%'")" \
	    "$(sql "SELECT string_agg(s->'output'->>'event_id', ',' ORDER BY n) FROM operations, jsonb_array_elements(steps) WITH ORDINALITY AS x(s, n) WHERE type = 'spool_replay' AND s->>'status' = 'completed' AND id = (SELECT max(id) FROM operations WHERE type = 'spool_replay')")" \
	    "the operation's row ids"
	assert_eq "failed|1577836800000004-1-3.delivery: not a spool file: moved aside as *.bad|3" \
	    "$(sql "SELECT status, error, output->>'replayed' FROM operations WHERE id = (SELECT max(id) FROM operations WHERE type = 'spool_replay')")" \
	    "the operation"
	assert_eq "not a spool file" "$(cat "$sp/1577836800000004-1-3.delivery.bad")" "bad file kept as it was"
	for f in 1577836800000004-1-3 1577836800000005-1-4 1577836800000006-1-5 1577836800000007-1-6; do
		[ -f "$sp/$f.delivery.bad" ] || fail "$f not moved aside"
		rm -f "$sp/$f.delivery.bad"
	done
	out=$("$REPLAY" -1 2>&1)
	assert_eq 0 "$?" "exit status with nothing to do"
	INSTLOG_SPOOL_DIR= "$REPLAY" -1 >/dev/null 2>&1
	assert_eq 2 "$?" "exit status without INSTLOG_SPOOL_DIR"
}

# Hostile and broken requests: name|expected status|rows for the delivery.
# Already covered elsewhere (not repeated): wrong secret, missing and
# "sha256=zz" signatures, SHA-1 only (test_bad_signature_401_no_row);
# previous secret, one row (test_previous_secret_accepted); 26 MiB body,
# 413 (test_oversized_body_413); truncated JSON, 400 raw
# (test_malformed_json_400_row_kept_raw); \u0000, raw kept
# (test_nul_escape_stored_raw); workflow_job.queued installation.id as a
# string (test_queued_without_installation_is_invalid); ' OR 1=1 -- as a
# path id and in event= (test_trace_bad_ids_400_unknown_404_post_405,
# test_trace_bad_parameters_400); missing and wrong bearer
# (test_trace_auth_401).
BAD_INPUTS='
sig_short_hex|401|0
sig_long|401|0
sig_nonhex_64|401|0
sig_without_prefix|401|0
sig_uppercase_prefix|401|0
sig_of_other_body|401|0
event_bad_chars|400|1
event_too_long|400|1
event_bad_chars_unsigned|401|0
huge_event_header|400 431 494|0
huge_custom_header|400 431 494|0
headers_over_32k|400 431 494|0
delivery_id_201|400|1
delivery_id_ill_formed_utf8|200|1
chunked_body|200|1
chunked_oversized|413|0
empty_body_ping|200|1
empty_body_installation|400|1
deep_nesting_100k|400|1
top_level_array|400|1
lone_surrogate|200|1
ill_formed_utf8_body|200|1
duplicate_members|200|1
installation_id_string|400|1
installation_id_1e30|400|1
installation_id_past_2_53|400|1
installation_id_negative|400|1
action_injection|400|1
'

# bad_send NAME ID: send the request of row NAME with delivery id ID.
bad_send() {
	local name=$1 id=$2 f sig hs i
	f=$(fixture ping)
	sig=$(sign "$f")
	case $name in
	sig_short_hex) post "sha256=${sig:0:32}" ping "$f" "$id" ;;
	sig_long) post "sha256=${sig}00" ping "$f" "$id" ;;
	sig_nonhex_64) post "sha256=$(printf 'g%.0s' $(seq 1 64))" ping "$f" "$id" ;;
	sig_without_prefix) post "$sig" ping "$f" "$id" ;;
	sig_uppercase_prefix) post "SHA256=$sig" ping "$f" "$id" ;;
	sig_of_other_body) post "sha256=$(sign "$(fixture ping.organization)")" ping "$f" "$id" ;;
	event_bad_chars) post "sha256=$sig" "ping;DROP" "$f" "$id" ;;
	event_bad_chars_unsigned) post "sha256=$(sign "$(fixture ping.organization)")" "ping;DROP" "$f" "$id" ;;
	event_too_long) post "sha256=$sig" "$(printf 'a%.0s' $(seq 1 65))" "$f" "$id" ;;
	huge_event_header) post "sha256=$sig" "$(head -c 65536 /dev/zero | tr '\0' a)" "$f" "$id" ;;
	huge_custom_header) post "sha256=$sig" ping "$f" "$id" -H "X-Junk: $(head -c 65536 /dev/zero | tr '\0' a)" ;;
	headers_over_32k)
		hs=()
		for i in $(seq 1 60); do hs+=(-H "X-Junk-$i: $(head -c 700 /dev/zero | tr '\0' b)"); done
		post "sha256=$sig" ping "$f" "$id" "${hs[@]}" ;;
	delivery_id_201) post "sha256=$sig" ping "$f" "$id$(printf 'x%.0s' $(seq 1 201))" ;;
	delivery_id_ill_formed_utf8) post "sha256=$sig" ping "$f" "$id"$'\xff\xfe' ;;
	chunked_body) post "sha256=$sig" ping "$f" "$id" -H 'Transfer-Encoding: chunked' ;;
	chunked_oversized)
		f=$TEST_TMP/big.json
		head -c $((26 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$f"
		post "sha256=$(sign "$f")" ping "$f" "$id" -H 'Transfer-Encoding: chunked'
		rm -f "$f" ;;
	empty_body_ping | empty_body_installation)
		f=$TEST_TMP/empty.json
		: >"$f"
		post "sha256=$(sign "$f")" "${name#empty_body_}" "$f" "$id" ;;
	deep_nesting_100k)
		f=$TEST_TMP/deep.json
		head -c 100000 /dev/zero | tr '\0' '[' >"$f"
		post "sha256=$(sign "$f")" ping "$f" "$id" ;;
	top_level_array)
		f=$TEST_TMP/array.json
		printf '[{"action":"created"}]' >"$f"
		post "sha256=$(sign "$f")" installation "$f" "$id" ;;
	lone_surrogate | ill_formed_utf8_body | duplicate_members | installation_id_* | action_injection)
		f=$TEST_TMP/$name.json
		case $name in
		lone_surrogate) sed 's/"login": "Codertocat"/"login": "Coder\\ud800tocat"/' ;;
		ill_formed_utf8_body) LC_ALL=C sed $'s/"login": "Codertocat"/"login": "Coder\xff\xfetocat"/' ;;
		duplicate_members) sed 's/^  "installation": {/  "installation": {"id": 1, "account": {"id": 2}},\n  "installation": {/' ;;
		installation_id_string) sed 's/"id": 957387/"id": "957387"/' ;;
		installation_id_1e30) sed 's/"id": 957387/"id": 1e30/' ;;
		installation_id_past_2_53) sed 's/"id": 957387/"id": 9007199254740993/' ;;
		installation_id_negative) sed 's/"id": 957387/"id": -957387/' ;;
		action_injection) sed "s/\"action\": \"created\"/\"action\": \"created' OR 1=1 --\"/" ;;
		esac <"$(fixture installation.created)" >"$f"
		cmp -s "$f" "$(fixture installation.created)" && fail "$name: edit did nothing"
		post "sha256=$(sign "$f")" installation "$f" "$id" ;;
	*) fail "no request for $name" ;;
	esac
	LAST_FILE=$f
}

# bad_check NAME ID: what the row of NAME must hold, beyond its count.
bad_check() {
	local name=$1 id=$2 row
	row() { sql "SELECT $1 FROM installation_events WHERE delivery_id = '$id'"; }
	case $name in
	empty_body_ping) assert_eq 'ping|ok|{}' "$(row "event, outcome, payload::text")" "$name" ;;
	empty_body_installation) assert_eq 'installation|invalid_payload|{}' "$(row "event, outcome, payload::text")" "$name" ;;
	deep_nesting_100k | top_level_array)
		assert_eq "invalid_payload|true|$(md5sum <"$LAST_FILE" | cut -d' ' -f1)" \
		    "$(row "outcome, payload->>'stored_raw', md5(raw_body)")" "$name: raw kept" ;;
	lone_surrogate)
		assert_eq "installation.created|ok|21031067|Coder�tocat|957387|unpaired UTF-16 surrogate escape|$(md5sum <"$LAST_FILE" | cut -d' ' -f1)" \
		    "$(row "event, outcome, entity_id, entity_name, installation_id, payload->>'reason', md5(raw_body)")" "$name" ;;
	ill_formed_utf8_body)
		assert_eq "installation.created|ok|21031067|Coder��tocat|true|$(md5sum <"$LAST_FILE" | cut -d' ' -f1)" \
		    "$(row "event, outcome, entity_id, entity_name, payload->>'stored_raw', md5(raw_body)")" "$name" ;;
	duplicate_members)
		# The row and the payload agree: the last member counts.
		assert_eq "957387|957387|21031067" \
		    "$(row "installation_id, $DOC->'installation'->>'id', entity_id")" "$name" ;;
	installation_id_*) assert_eq "installation.created|invalid_payload" "$(row "event, outcome")" "$name" ;;
	action_injection) assert_eq "installation|invalid_payload" "$(row "event, outcome")" "$name" ;;
	event_bad_chars) assert_eq "ping_DROP|invalid_payload" "$(row "event, outcome")" "$name" ;;
	event_too_long) assert_eq "$(printf 'a%.0s' $(seq 1 64))|invalid_payload" "$(row "event, outcome")" "$name" ;;
	esac
}

test_bad_inputs_table() {
	local prefix=bad-$RANDOM name want rows id got
	while IFS='|' read -r name want rows; do
		[ -n "$name" ] || continue
		id=$prefix-$name
		bad_send "$name" "$id"
		case " $want " in *" $STATUS "*) ;; *) fail "$name: expected HTTP $want, got $STATUS (${BODY:0:120})" ;; esac
		if [ "$name" = delivery_id_ill_formed_utf8 ]; then
			got=$(sql "SELECT count(*) FROM installation_events WHERE delivery_id = '$id' || E'\\uFFFD\\uFFFD'")
		elif [ "$name" = delivery_id_201 ]; then
			# Stored cut at 200 characters.
			got=$(sql "SELECT count(*) FROM installation_events WHERE delivery_id = left('$id' || repeat('x', 201), 200)")
		else
			got=$(rows_for "$id")
		fi
		assert_eq "$rows" "$got" "$name: rows"
		[ "$rows" = 1 ] && bad_check "$name" "$id"
	done <<<"$BAD_INPUTS"
}

# The trace routes' side of the table: ' OR 1=1 -- and friends in every
# query parameter, times PostgreSQL cannot hold, bearer near-misses.
test_trace_hostile_parameters() {
	local auth="Authorization: Bearer $TRACE_API_SECRET" q r
	for q in "since=%27%20OR%201=1%20--" "until=1%27%20OR%20%271%27=%271" \
	    "at=%27;DROP%20TABLE%20jobs;--" "limit=1%20OR%201=1" "cursor=1%27--" \
	    "dedupe=1%27" "event=%00" "since=0000-01-01" "until=2026-02-30" \
	    "since=100000000w" "at=9999-12-31T23:59:59-01:00" "limit=99999999999999999999" \
	    "since=$(printf '1%.0s' $(seq 1 200))h"; do
		http GET "/trace/entity/1?$q" -H "$auth"
		assert_status 400
	done
	for r in entity installation job payload; do
		http GET "/trace/$r/1'%20OR%20'1'='1" -H "$auth"
		assert_status 400
		http GET "/trace/$r/9223372036854775808" -H "$auth"
		assert_status 400
	done
	http GET "/trace/entity/1?x=$(head -c 100000 /dev/zero | tr '\0' a)" -H "$auth"
	case $STATUS in 400 | 414) ;; *) fail "100 KB query: HTTP $STATUS" ;; esac
	http GET /trace/entity/1 -H "Authorization: Bearer ${TRACE_API_SECRET}x"
	assert_status 401
	http GET /trace/entity/1 -H "Authorization: Bearer ${TRACE_API_SECRET%?}"
	assert_status 401
	http GET /trace/entity/1 -H "Authorization: Bearer $(head -c 7000 /dev/zero | tr '\0' a)"
	assert_status 401
}

# healthz_cgi DIR: run healthz as plain CGI with spool DIR; sets BODY.
healthz_cgi() {
	BODY=$(INSTLOG_SPOOL_DIR=$1 GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	    DOCUMENT_URI=/healthz "$STACK_BIN/healthz" </dev/null | sed '1,/^\r$/d')
}

# /healthz counts the spool without listing and sorting it all: a spool
# of any size costs a bounded scan, and says when the count is a lower
# bound.  A frozen PostgreSQL is reported down within the ping's deadline
# (nginx would otherwise give up first and answer 504).
test_healthz_bounded_spool_and_frozen_database() {
	local dir=$TEST_TMP/bigspool
	mkdir -p "$dir"
	(cd "$dir" && seq -f '%012g.delivery' 1 500 | xargs touch)
	healthz_cgi "$dir"
	assert_json .service instlog
	assert_json .spool.pending 500
	assert_json .spool.pending_more false
	(cd "$dir" && seq -f '%012g.delivery' 501 12000 | xargs touch)
	healthz_cgi "$dir"
	assert_json .spool.pending_more true
	assert_json '.spool.pending >= 9998 and .spool.pending <= 10000' true
	rm -rf "$dir"

	http GET /healthz
	assert_status 200
	trap pg_ensure_up EXIT
	pg_freeze
	http GET /healthz --max-time 20
	pg_thaw
	assert_status 503
	assert_json .database unavailable
	assert_json .status degraded
}

# A spool directory others can write to, or owned by someone else, is
# refused at start by the webhook and the replayer, with one clear line.
test_spool_dir_writable_by_others_refused() {
	local dir=$TEST_TMP/openspool out rc
	mkdir -p "$dir"
	chmod 0770 "$dir"
	out=$(INSTLOG_SPOOL_DIR=$dir "$REPLAY" -1 2>&1)
	rc=$?
	assert_eq 2 "$rc" "replayer exit status"
	case $out in *"'$dir' is group- or world-writable (mode 0770)"*) ;; *) fail "replayer message: $out" ;; esac
	out=$(INSTLOG_SPOOL_DIR=$dir timeout 20 "$STACK_BIN/webhook" -s "$dir/w.sock" -w 1 2>&1)
	rc=$?
	assert_eq 2 "$rc" "webhook exit status"
	case $out in *"group- or world-writable"*) ;; *) fail "webhook message: $out" ;; esac
	if [ "$(id -u)" = 0 ]; then
		chmod 0700 "$dir"
		chown nobody "$dir"
		out=$(INSTLOG_SPOOL_DIR=$dir "$REPLAY" -1 2>&1)
		assert_eq 2 "$?" "replayer exit status, other owner"
		case $out in *"'$dir' is owned by uid $(id -u nobody), not by this process's uid 0"*) ;; *) fail "owner message: $out" ;; esac
	fi
	rm -rf "$dir"
}

# The spool file of an attempt whose row is committed already (its reply
# was lost: the webhook spooled it too) is replayed without a second row.
test_replay_of_committed_attempt_adds_no_row() {
	local f at key id
	f=$(fixture installation.created)
	deliver installation "$f" attempt-once
	assert_status 200
	id=$(printf '%s' "$BODY" | jq -r .id)
	read -r at key <<<"$(sql "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), attempt_key FROM installation_events WHERE delivery_id = 'attempt-once'" | tr '|' ' ')"
	[ ${#key} = 32 ] || fail "no attempt key on the row: '$key'"
	spool_file "$INSTLOG_SPOOL_DIR" "0000000001$RANDOM-1-0" "$at" attempt-once installation "$f" "" "$key"
	spool_drain 30
	assert_eq 1 "$(rows_for attempt-once)" "rows after the replay"
	assert_eq "$id" "$(sql "SELECT id FROM installation_events WHERE delivery_id = 'attempt-once'")" "the first row stays"
	# Another attempt of the same delivery (a redelivery) is a new row.
	spool_file "$INSTLOG_SPOOL_DIR" "0000000002$RANDOM-1-0" "$at" attempt-once installation "$f"
	spool_drain 30
	assert_eq 2 "$(rows_for attempt-once)" "a new attempt is a new row"
}

# A body trickled straight into a worker's socket (past nginx, which
# buffers bodies) is dropped at the read deadline: the one worker is free
# again for the next delivery instead of held for as long as the sender
# likes.  And the sockets are 0660 in a 0750 directory, nginx still
# reaching them.
test_slow_body_frees_the_worker_and_sockets_are_private() {
	local dir=$TEST_TMP/slow f slow fast
	mkdir -p "$dir"
	f=$(fixture ping)
	start_webhook_in() {
		"$STACK_BIN/webhook" -s "$1/webhook.sock" -w 1 -t 1 2>>"$1/webhook.log" &
		echo $! >"$1/webhook.pid"
		for _ in $(seq 1 100); do [ -S "$1/webhook.sock" ] && return 0; sleep 0.05; done
		fail "webhook did not start"
	}
	start_webhook_in "$dir"
	trap "kill -TERM \$(cat '$dir/webhook.pid') 2>/dev/null" EXIT
	python3 "$TOP/tests/support/fcgi_post.py" "$dir/webhook.sock" 0.5 "$f" \
	    "sha256=$(sign "$f")" slow-1 40 >"$dir/slow.out" &
	slow=$!
	sleep 1
	fast=$(python3 "$TOP/tests/support/fcgi_post.py" "$dir/webhook.sock" 0 "$f" \
	    "sha256=$(sign "$f")" slow-2 30)
	wait "$slow"
	assert_eq "Status: 200 OK" "$fast" "the delivery behind the trickled one"
	assert_eq "Status: 400 Bad Request" "$(cat "$dir/slow.out")" "the trickled one"
	assert_eq 1 "$(rows_for slow-2)" "row of the delivery behind"
	assert_eq 0 "$(rows_for slow-1)" "no row for the trickled one"
	grep -q "body not read within" "$dir/webhook.log" || fail "no log line: $(cat "$dir/webhook.log")"
	assert_eq 660 "$(stat -c %a "$dir/webhook.sock")" "socket mode"
	# The stack's own sockets and their directory.
	assert_eq 660 "$(stat -c %a "$RUNDIR/webhook.sock")" "stack socket mode"
	assert_eq 750 "$(stat -c %a "$RUNDIR")" "socket directory mode"
	deliver ping "$f" slow-nginx
	assert_status 200
}

# PostgreSQL restarted between requests: every worker's idle connection
# was closed by the server, and is replaced before anything is sent on it
# (a statement that may have reached the server is never retried), so the
# first requests after the restart are served as usual.
test_restart_between_requests_costs_nothing() {
	local f i
	f=$(fixture installation.created)
	trap pg_ensure_up EXIT
	for i in $(seq 1 16); do
		deliver installation "$f" "restart-warm-$i"
		http GET /trace/installation/957387 -H "Authorization: Bearer $TRACE_API_SECRET"
	done
	stack_pg_stop
	stack_pg_resume || fail "PostgreSQL did not start again"
	for i in $(seq 1 16); do
		deliver installation "$f" "restart-after-$i"
		assert_status 200
		assert_eq 1 "$(rows_for "restart-after-$i")" "restart-after-$i rows"
	done
	for i in 1 2 3 4 5 6; do
		http GET /trace/installation/957387 -H "Authorization: Bearer $TRACE_API_SECRET"
		assert_status 200
	done
}

# release_lock: end lock_events' transaction now (its psql sleeps on).
release_lock() {
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	     WHERE query LIKE '%LOCK TABLE installation_events%'
	       AND pid <> pg_backend_pid()" >/dev/null
	wait "$LOCKER" 2>/dev/null
	return 0
}

# waiting_inserts: log row INSERTs waiting for a lock.
# kill_webhook_slots N: restart the webhook with INSTLOG_WRITE_SLOTS=N
# (empty: unset), from a shell of its own.
kill_webhook_slots() {
	stack_route_stop webhook
	env ${1:+INSTLOG_WRITE_SLOTS=$1} bash -c \
	    '. "$0/tests/stack.sh"; RUNDIR=$1 STACK_BIN=$2 stack_route_start webhook' \
	    "$STACK_TOP" "$RUNDIR" "$STACK_BIN" || fail "webhook did not start"
}

waiting_inserts() {
	sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
	     AND query LIKE 'INSERT INTO installation_events%'"
}

# post_bg DIR NAME URL EVENT FILE ID: POST a signed delivery in the
# background; DIR/NAME gets "status seconds".
post_bg() {
	curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 30 \
	    -X POST -H "X-GitHub-Event: $4" -H "X-GitHub-Delivery: $6" \
	    -H "X-GitHub-Hook-Installation-Target-Type: integration" \
	    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
	    -H "X-Hub-Signature-256: sha256=$(sign "$5")" \
	    --data-binary @"$5" "$3/webhook" >"$1/$2" 2>/dev/null &
}

# `systemctl restart` under load, as the socket unit does it (sock_hold
# holds the listening socket across the restart): deliveries held by the
# old webhook when SIGTERM arrives (their rows waiting on a lock) are
# answered by it, which exits only then; deliveries sent during its drain
# wait in the socket's queue for the new webhook.  Every one 200, one row
# each.
test_sigterm_drains_deliveries_in_flight() {
	local dir=$TEST_TMP/drain hold f n=6 i prefix=drain-$RANDOM$RANDOM
	mkdir -p "$dir/answers"
	f=$(fixture installation.created)
	mini_nginx drain "upstream drain_webhook { server unix:$dir/webhook.sock; keepalive 4; }
		server { listen 127.0.0.1:@PORT@;
		location = /webhook { fastcgi_keep_conn on; fastcgi_read_timeout 20s;
		include $RUNDIR/fastcgi.conf; fastcgi_pass drain_webhook; } }"
	"$TOP/build/tests/sock_hold" "$dir/webhook.sock" "$STACK_BIN/webhook" \
	    -w 2 -t 4 >"$dir/hold.out" 2>"$dir/webhook.log" &
	hold=$!
	# mini_nginx's trap, and ours.
	trap "release_lock; kill -TERM $hold $MINI_PID 2>/dev/null; wait $hold $MINI_PID" EXIT
	for i in $(seq 1 100); do [ -S "$dir/webhook.sock" ] && break; sleep 0.05; done
	# Kept connections first, as under steady load.
	for i in 1 2 3; do
		curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-GitHub-Event: installation" \
		    -H "X-GitHub-Delivery: $prefix-warm-$i" -H "X-Hub-Signature-256: sha256=$(sign "$f")" \
		    --data-binary @"$f" "$MINI_URL/webhook" >"$dir/answers/warm-$i"
	done
	lock_events 60
	for i in $(seq 1 $n); do post_bg "$dir/answers" "$i" "$MINI_URL" installation "$f" "$prefix-$i"; done
	for i in $(seq 1 200); do [ "$(waiting_inserts)" -ge 1 ] && break; sleep 0.05; done
	[ "$(waiting_inserts)" -ge 1 ] || fail "no delivery reached the database"
	kill -HUP "$hold"
	sleep 1
	grep -q exited "$dir/hold.out" && fail "the webhook exited with deliveries in flight: $(cat "$dir/hold.out")"
	# Sent while the old webhook drains: they wait in the socket's queue.
	for i in $(seq 1 3); do post_bg "$dir/answers" "late-$i" "$MINI_URL" installation "$f" "$prefix-late-$i"; done
	sleep 0.5
	release_lock
	wait $(jobs -p | grep -vx "$hold" | grep -vx "${MINI_PID:-0}") 2>/dev/null
	for i in $(seq 1 100); do [ "$(grep -c started "$dir/hold.out")" = 2 ] && break; sleep 0.05; done
	assert_eq 2 "$(grep -c started "$dir/hold.out")" "webhooks started (before and after the restart)"
	assert_eq "exited" "$(awk '/exited/ {print $2; exit}' "$dir/hold.out")" "the old webhook's end"
	awk '/exited/ {exit !($4 == 0)}' "$dir/hold.out" || fail "the old webhook did not exit 0: $(cat "$dir/hold.out")"
	spool_drain 30
	record drain "drain: answers $(statuses "$dir/answers" | tr '\n' ' ')held_at_sigterm=$n late=3 slowest=$(slowest "$dir/answers")s"
	assert_eq "" "$(awk '$1 != 200 && $1 != 202 {print FILENAME ": " $0}' "$dir/answers"/*)" "answers other than 200/202"
	for i in $(seq 1 $n) late-1 late-2 late-3; do
		assert_eq 1 "$(rows_for "$prefix-$i")" "rows of $prefix-$i"
	done
}

# The spool's filesystem full (a 256 KiB tmpfs filled with dd) after the
# webhook made its counter file there, then the counter file cut to
# nothing: every delivery still 200 with its row (before, the first count
# on a page the disk had no room for was a SIGBUS that took the worker
# and every request it held).
test_full_disk_and_cut_counter_file() {
	local dir=$TEST_TMP/full f i pid size prefix=full-$RANDOM$RANDOM
	mkdir -p "$dir/fs"
	mini_nginx full "server { listen 127.0.0.1:@PORT@; location = /webhook {
		include $RUNDIR/fastcgi.conf; fastcgi_pass unix:$dir/webhook.sock; } }"
	mount -t tmpfs -o size=256k,mode=0700 tmpfs "$dir/fs" || { fail "cannot mount a tmpfs"; return; }
	mkdir -m 0700 "$dir/fs/spool"
	INSTLOG_SPOOL_DIR=$dir/fs/spool "$STACK_BIN/webhook" -s "$dir/webhook.sock" -w 1 -t 2 \
	    2>>"$dir/webhook.log" &
	pid=$!
	# mini_nginx's trap, and ours.
	trap "kill -TERM $pid $MINI_PID 2>/dev/null; wait $pid $MINI_PID; umount -l '$dir/fs'" EXIT
	for i in $(seq 1 100); do [ -S "$dir/webhook.sock" ] && break; sleep 0.05; done
	f=$(fixture installation.created)
	size=$(stat -c %s "$dir/fs/spool/metrics") || fail "no counter file"
	dd if=/dev/zero of="$dir/fs/fill" bs=4k >/dev/null 2>&1
	[ "$(df --output=avail "$dir/fs" | tail -1 | tr -d ' ')" = 0 ] || fail "the tmpfs is not full"
	for i in $(seq 1 8); do
		[ "$i" = 5 ] && : >"$dir/fs/spool/metrics"
		curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "X-GitHub-Event: installation" \
		    -H "X-GitHub-Delivery: $prefix-$i" -H "X-Hub-Signature-256: sha256=$(sign "$f")" \
		    --data-binary @"$f" "$MINI_URL/webhook" >>"$dir/answers"
	done
	record full_disk "full disk: answers $(sort "$dir/answers" | uniq -c | tr -s ' \n' ' ')counter file $(stat -c %s "$dir/fs/spool/metrics") bytes (was $size, cut to 0 before delivery 5)"
	assert_eq "8" "$(grep -c '^200$' "$dir/answers")" "deliveries answered 200"
	for i in $(seq 1 8); do assert_eq 1 "$(rows_for "$prefix-$i")" "rows of $prefix-$i"; done
	# The cut file was made whole again (its blocks were still free).
	assert_eq "$size" "$(stat -c %s "$dir/fs/spool/metrics")" "counter file size"
	grep -q "cut short" "$dir/webhook.log" || fail "no log line for the cut file: $(cat "$dir/webhook.log")"
}

# vmhwm PID: the peak resident memory of a process, in kB.
vmhwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# A flood of large unsigned bodies (16 at once, 12 MiB each) at a webhook
# worker of 16 threads: it holds at most its body budget of them
# (INSTLOG_BODY_BUDGET, 32 MiB here, the default) and answers the rest a
# fast 503 with Retry-After, so its peak memory stays bounded; signed
# deliveries sent during the flood are served (small bodies never wait
# for the budget).  Before, every thread read its body whole first: 16 x
# 12 MiB in memory at once.
test_unsigned_flood_bounded_memory() {
	local dir=$TEST_TMP/flood big f i worker hwm prefix=flood-$RANDOM$RANDOM
	mkdir -p "$dir/answers"
	mini_nginx flood "server { listen 127.0.0.1:@PORT@; client_max_body_size 25m;
		location = /webhook { include $RUNDIR/fastcgi.conf; fastcgi_read_timeout 20s;
		fastcgi_pass unix:$dir/webhook.sock; } }"
	"$STACK_BIN/webhook" -s "$dir/webhook.sock" -w 1 -t 16 2>>"$dir/webhook.log" &
	pid=$!
	trap "kill -TERM $pid $MINI_PID 2>/dev/null; wait $pid $MINI_PID" EXIT
	for i in $(seq 1 100); do [ -S "$dir/webhook.sock" ] && break; sleep 0.05; done
	worker=$(pgrep -P "$pid" | head -1)
	[ -n "$worker" ] || { fail "no worker"; return; }
	big=$dir/big.json
	head -c $((12 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$big"
	f=$(fixture installation.created)
	for i in $(seq 1 16); do
		curl -s -o /dev/null -D "$dir/answers/h$i" -w '%{http_code}\n' --max-time 60 -X POST \
		    -H "X-GitHub-Event: installation" -H "X-GitHub-Delivery: $prefix-u$i" \
		    -H "X-Hub-Signature-256: sha256=$(printf '%064d' 0)" \
		    --data-binary @"$big" "$MINI_URL/webhook" >"$dir/answers/u$i" &
	done
	for i in $(seq 1 4); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 -X POST \
		    -H "X-GitHub-Event: installation" -H "X-GitHub-Delivery: $prefix-s$i" \
		    -H "X-Hub-Signature-256: sha256=$(sign "$f")" \
		    --data-binary @"$f" "$MINI_URL/webhook" >"$dir/answers/s$i" &
	done
	wait $(jobs -p | grep -vx "$pid" | grep -vx "$MINI_PID") 2>/dev/null
	hwm=$(vmhwm "$worker")
	record flood "unsigned flood: 16 x 12 MiB at once, answers $(cat "$dir"/answers/u* | sort | uniq -c | tr -s ' \n' ' ')signed during it: $(cat "$dir"/answers/s* | sort | uniq -c | tr -s ' \n' ' ')worker peak RSS ${hwm} kB"
	for i in $(seq 1 16); do
		case $(cat "$dir/answers/u$i") in
		401) ;;
		503) grep -qi '^Retry-After: ' "$dir/answers/h$i" || fail "503 without Retry-After" ;;
		*) fail "unsigned $i answered $(cat "$dir/answers/u$i")" ;;
		esac
	done
	grep -qx 503 "$dir"/answers/u* || fail "no body was turned away: was the budget reached?"
	for i in $(seq 1 4); do
		assert_eq 200 "$(cat "$dir/answers/s$i")" "signed delivery $i during the flood"
		assert_eq 1 "$(rows_for "$prefix-s$i")" "rows of signed delivery $i"
	done
	assert_eq 0 "$(sql "SELECT count(*) FROM installation_events WHERE delivery_id LIKE '$prefix-u%'")" "rows of unsigned bodies"
	# The budget (32 MiB) and 16 threads' small bodies, plus the
	# worker's own ~10 MB: far below the 192 MiB of reading all at once.
	[ "$hwm" -lt 80000 ] || fail "worker peak RSS $hwm kB"
}
