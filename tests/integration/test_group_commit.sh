#!/bin/bash
# SPDX-License-Identifier: MIT
# Group commit (lib/run/batch.c) in the threaded webhook: concurrent
# deliveries share one INSERT and one commit, each answered only once its
# row is committed, with its own row's id.  A burst, a row jsonb refuses in
# the middle of one, PostgreSQL frozen mid-burst, the jobs side effect.

# gc_post DIR PARALLEL: POST the deliveries read from stdin, one a line
# "N DELIVERY EVENT SIGNATURE FILE", PARALLEL at a time from one curl
# (--parallel: the requests leave as fast as they can); DIR/N gets
# "status seconds id outcome" of each (id and outcome "-" when the answer
# has none), once all are answered; curl's files go in DIR.curl.
gc_post() {
	local dir=$1 aux=$1.curl n id ev sig f code t
	mkdir -p "$dir" "$aux"
	while read -r n id ev sig f; do
		[ "$n" = 1 ] || echo next
		printf 'url = "%s/webhook"\nsilent\nshow-error\nmax-time = 30\n' \
		    "$INSTLOG_URL"
		printf 'header = "%s"\n' "X-GitHub-Event: $ev" \
		    "X-GitHub-Delivery: $id" "X-Hub-Signature-256: sha256=$sig" \
		    "X-GitHub-Hook-Installation-Target-Type: integration" \
		    "X-GitHub-Hook-Installation-Target-ID: 29310"
		printf 'data-binary = "@%s"\noutput = "%s"\n' "$f" "$aux/$n"
		printf 'write-out = "%%{filename_effective} %%{http_code} %%{time_total}\\n"\n'
	done >"$aux/conf"
	curl -sS --parallel --parallel-max "$2" -K "$aux/conf" >"$aux/answers"
	while read -r f code t; do
		n=${f##*/}
		printf '%s %s %s\n' "$code" "$t" \
		    "$(jq -r '"\(.id // "-") \(.outcome // "-")"' "$f" 2>/dev/null || echo "- -")" >"$dir/$n"
	done <"$aux/answers"
}

# gc_burst DIR PREFIX N PARALLEL EVENT FILE...: POST N signed deliveries
# EVENT, ids PREFIX-1..N, PARALLEL at a time; delivery i carries
# FILE[i % count] (see gc_post for DIR).
gc_burst() {
	local dir=$1 prefix=$2 n=$3 par=$4 event=$5 i k
	shift 5
	local files=("$@") sigs=()
	for k in "${!files[@]}"; do sigs+=("$(sign "${files[k]}")"); done
	for ((i = 1; i <= n; i++)); do
		k=$((i % ${#files[@]}))
		echo "$i $prefix-$i $event ${sigs[k]} ${files[k]}"
	done | gc_post "$dir" "$par"
}

# gc_rows PREFIX: "deliveries rows" among the rows of PREFIX-*.
gc_rows() {
	sql "SELECT count(DISTINCT delivery_id), count(*) FROM installation_events
	     WHERE delivery_id LIKE '$1-%'" | tr '|' ' '
}

# gc_not_own DIR PREFIX: how many answers of DIR with an id carry an id
# that is not the row of their own delivery PREFIX-N.
gc_not_own() {
	local values
	values=$(awk -v p="$2" '$3 != "-" {
	    f = FILENAME; sub(/.*\//, "", f)
	    printf "%s(%s, '\''%s-%s'\'')", (n++ ? ", " : ""), $3, p, f }' "$1"/*)
	[ -n "$values" ] || { echo none; return; }
	sql "SELECT count(*) FROM (VALUES $values) a(id, d)
	     LEFT JOIN installation_events e ON e.id = a.id
	     WHERE e.delivery_id IS DISTINCT FROM a.d"
}

# The next transaction id: the write transactions between two calls.
gc_xid() { sql "SELECT pg_snapshot_xmax(pg_current_snapshot())"; }

# A burst of 320 deliveries, 32 at a time: each answered 200 with the id
# of its own row, exactly one row each, each row with its own request's
# id.  How many write transactions the rows took is printed (grouping
# depends on the machine's speed, so it is not asserted here; the lock
# test below forces it).
test_burst_each_answer_its_own_row() {
	local dir=$TEST_TMP/burst prefix=burst-$RANDOM n=320 x0 x1
	x0=$(gc_xid)
	gc_burst "$dir" "$prefix" "$n" 32 installation \
	    "$(fixture installation.created)" "$(fixture installation.deleted)" \
	    "$(fixture installation.suspend)" "$(fixture installation.created.with-requester)"
	x1=$(gc_xid)
	assert_eq "200 $n" "$(statuses "$dir" | tr '\n' ' ' | xargs)" "answers"
	assert_eq "$n $n" "$(gc_rows "$prefix")" "deliveries and rows"
	assert_eq 0 "$(gc_not_own "$dir" "$prefix")" "answers carrying another row's id"
	assert_eq "$n" "$(sql "SELECT count(DISTINCT request_id) FROM installation_events WHERE delivery_id LIKE '$prefix-%'")" "distinct request ids"
	# Each row is its own delivery's body (the event's action).
	assert_eq 0 "$(sql "SELECT count(*) FROM installation_events WHERE delivery_id LIKE '$prefix-%' AND event <> ('installation.' || ($DOC->>'action'))")" "rows whose event is not their payload's"
	record gc-burst "burst: $n rows in $((x1 - x0)) write transactions, slowest answer $(slowest "$dir") s"
}

# While a lock holds the first INSERT of every worker, a burst queues
# behind it; once it is released the queued rows of a worker go in one
# statement.  Every third body has a \u0000 that jsonb refuses: a group
# holding one fails and is written row by row, so only those rows are
# stored raw, their neighbours as jsonb, each answered 200 with its row.
test_refused_row_does_not_fail_its_neighbours() {
	local dir=$TEST_TMP/refused prefix=refused-$RANDOM n=60 good bad log lines groups
	log=$PGDATA_DIR/server.log
	good=$(fixture installation.created)
	bad=$(fixture_edit installation.created '.installation.account.login = "Coder\u0000tocat"')
	grep -q 'u0000' "$bad" || fail "jq did not keep the escape"
	lines=$(wc -l <"$log")
	lock_events 1.5
	# Delivery i carries the bad body when i % 3 == 2.
	gc_burst "$dir" "$prefix" "$n" 32 installation "$good" "$good" "$bad"
	wait "$LOCKER"
	assert_eq "200 $n" "$(statuses "$dir" | tr '\n' ' ' | xargs)" "answers"
	assert_eq "$n $n" "$(gc_rows "$prefix")" "deliveries and rows"
	assert_eq 0 "$(gc_not_own "$dir" "$prefix")" "answers carrying another row's id"
	assert_eq "$((n / 3)) $((n / 3))" "$(sql "SELECT count(*), count(*) FILTER (WHERE split_part(delivery_id, '-', 3)::int % 3 = 2) FROM installation_events WHERE delivery_id LIKE '$prefix-%' AND payload->>'stored_raw' = 'true' AND raw_body IS NOT NULL" | tr '|' ' ')" "rows stored raw, and of them the bad ones"
	assert_eq "$((n - n / 3))" "$(sql "SELECT count(*) FROM installation_events WHERE delivery_id LIKE '$prefix-%' AND raw_body IS NULL AND $DOC->'installation'->'account'->>'login' = 'Codertocat'")" "neighbours stored as sent"
	# The refusal came from a statement of several rows (a second
	# row's received_at), which was then written row by row.
	groups=$(tail -n +"$((lines + 1))" "$log" | awk '
	    /ERROR: / { refused = /unsupported Unicode escape sequence/ }
	    /STATEMENT: / && refused && /\), \(COALESCE\(\$[0-9]+::timestamptz/ { n++ }
	    END { print n + 0 }')
	[ "$groups" -gt 0 ] ||
	    fail "no multi-row INSERT refused in the server log ($(tail -n +"$((lines + 1))" "$log" | grep -c ERROR) errors)"
	record gc-refused "refused row: $groups multi-row INSERTs refused, then written row by row"
}

# PostgreSQL frozen (SIGSTOP) in the middle of a burst: every delivery is
# answered 200 (committed before the freeze) or 202 (spooled), never 5xx,
# so within nginx's 8 s; after the thaw and the replay each has exactly
# one row, also those whose INSERT was in flight when it froze.
test_frozen_mid_burst_one_row_each() {
	local dir=$TEST_TMP/gcfrozen prefix=gcfrozen-$RANDOM n=300 f sender
	f=$(fixture installation.created)
	trap pg_ensure_up EXIT
	gc_burst "$dir" "$prefix" "$n" 16 installation "$f" &
	sender=$!
	# Freeze once some are answered (curl's body files, see gc_post).
	for _ in $(seq 1 1000); do
		[ "$(find "$dir.curl" -name '[0-9]*' 2>/dev/null | wc -l)" -ge 10 ] && break
		sleep 0.005
	done
	pg_freeze
	wait "$sender"
	pg_thaw
	assert_eq 0 "$(awk '$1 != 200 && $1 != 202' "$dir"/* | wc -l)" "answers other than 200 and 202: $(statuses "$dir" | tr '\n' ' ')"
	[ "$(awk '$1 == 202' "$dir"/* | wc -l)" -gt 0 ] || fail "nothing spooled: was PostgreSQL frozen?"
	# Past the hold-off the workers use PostgreSQL again.
	sleep 3.5
	spool_drain 60
	assert_eq "$n $n" "$(gc_rows "$prefix")" "deliveries and rows after the replay"
	record gc-frozen "frozen mid-burst: $(statuses "$dir" | tr '\n' ' ')slowest answer $(slowest "$dir") s"
	deliver installation "$f" "$prefix-after"
	assert_status 200
}

# The jobs side effect from request threads: 16 jobs queued at once, then
# all in progress at once, each job's write in its row's statement; every
# job ends running, every delivery with its row.
test_jobs_advance_from_concurrent_deliveries() {
	local dir=$TEST_TMP/gcjobs prefix=gcjobs-$RANDOM i f
	for i in $(seq 1 16); do
		f=$(fixture_edit workflow_job.queued ".workflow_job.id = $((990000 + i))")
		echo "$i $prefix-q-$i workflow_job $(sign "$f") $f"
	done | gc_post "$dir/q" 16
	assert_eq "200 job_stored 16" "$(awk '{print $1, $4}' "$dir"/q/* | sort | uniq -c | awk '{print $2, $3, $1}' | xargs)" "queued answers"
	for i in $(seq 1 16); do
		f=$(fixture_edit workflow_job.in_progress ".workflow_job.id = $((990000 + i))")
		echo "$i $prefix-r-$i workflow_job $(sign "$f") $f"
	done | gc_post "$dir/r" 16
	assert_eq "200 job_marked_running 16" "$(awk '{print $1, $4}' "$dir"/r/* | sort | uniq -c | awk '{print $2, $3, $1}' | xargs)" "in_progress answers"
	assert_eq "running 16" "$(sql "SELECT status, count(*) FROM jobs WHERE job_id BETWEEN 990001 AND 990016 GROUP BY status" | tr '|' ' ')" "jobs"
	assert_eq "32 32" "$(gc_rows "$prefix")" "deliveries and rows"
	assert_eq 0 "$(gc_not_own "$dir/q" "$prefix-q")" "queued answers carrying another row's id"
	assert_eq 0 "$(gc_not_own "$dir/r" "$prefix-r")" "in_progress answers carrying another row's id"
}

# gc_three_jobs FILE: three workflow_job deliveries of FILE, one row each.
gc_three_jobs() {
	local g
	for _ in 1 2 3; do
		g=$(new_guid)
		deliver workflow_job "$1" "$g"
		assert_status 200
		assert_eq 1 "$(rows_for "$g")" "one row"
	done
}

# The webhook's writes run as statements prepared once per connection
# (lib/db/db.c db_exec_prepared()), unless INSTLOG_DB_PREPARED=0 keeps
# every statement unnamed (PgBouncer's transaction pooling before 1.21).
# The server logs each execution with the statement's name.
test_writes_prepared_or_unnamed_as_configured() {
	local log=$PGDATA_DIR/server.log lines f
	f=$(fixture workflow_job.queued)
	sql "ALTER SYSTEM SET log_statement = 'all'" >/dev/null
	sql "SELECT pg_reload_conf()" >/dev/null
	trap 'trap - RETURN; sql "ALTER SYSTEM RESET log_statement" >/dev/null;
	    sql "SELECT pg_reload_conf()" >/dev/null; unset INSTLOG_DB_PREPARED;
	    stack_route_stop webhook; stack_route_start webhook' RETURN
	sleep 0.5
	lines=$(wc -l <"$log")
	gc_three_jobs "$f"
	# A job's write and its row are one statement (decisions #6).
	tail -n +"$((lines + 1))" "$log" | grep -q 'execute instlog_[0-9]*: WITH job_insert AS (INSERT INTO jobs .*INSERT INTO installation_events' ||
	    fail "no prepared INSERT of the job and the log row in the server log"
	export INSTLOG_DB_PREPARED=0
	stack_route_stop webhook
	stack_route_start webhook || fail "webhook with INSTLOG_DB_PREPARED=0 did not start"
	lines=$(wc -l <"$log")
	gc_three_jobs "$f"
	tail -n +"$((lines + 1))" "$log" | grep -q 'execute <unnamed>: WITH job_insert AS (INSERT INTO jobs .*INSERT INTO installation_events' ||
	    fail "no unnamed INSERT of the job and the log row in the server log"
	if tail -n +"$((lines + 1))" "$log" | grep -q 'execute instlog_'; then
		fail "a prepared statement with INSTLOG_DB_PREPARED=0"
	fi
}

# Queued deliveries that arrive together insert their jobs with their
# rows, in one statement (decisions #6).  A job queued three times at once
# is stored by exactly one of them, the others find it
# (job_already_exists), and the row holds the delivery's values.
test_jobs_queued_together_each_stored_once() {
	local dir=$TEST_TMP/gcdup prefix=gcdup-$RANDOM i f n=0
	for i in $(seq 1 8); do
		f=$(fixture_edit workflow_job.queued ".workflow_job.id = $((880000 + i))")
		for _ in 1 2 3; do
			n=$((n + 1))
			echo "$n $prefix-$n workflow_job $(sign "$f") $f"
		done
	done | gc_post "$dir" 24
	assert_eq "200 job_already_exists 16 200 job_stored 8" "$(awk '{print $1, $4}' "$dir"/* | sort | uniq -c | awk '{print $2, $3, $1}' | xargs)" "answers"
	assert_eq "pending 8" "$(sql "SELECT status, count(*) FROM jobs WHERE job_id BETWEEN 880001 AND 880008 GROUP BY status" | tr '|' ' ')" "jobs"
	assert_eq "Octocoders|Organization|38302899|3456996|Codertocat/Hello-World|t" \
	    "$(sql "SELECT entity_name, entity_type, entity_id, installation_id, repo_full_name, labels = '$(jq -c .workflow_job.labels "$(fixture workflow_job.queued)")'::jsonb FROM jobs WHERE job_id = 880003")" "job 880003"
	assert_eq "24 24" "$(gc_rows "$prefix")" "deliveries and rows"
	assert_eq 0 "$(gc_not_own "$dir" "$prefix")" "answers carrying another row's id"
}

# Several writes of one job in one group.  With one worker and one write
# slot, while a trigger holds the first delivery's statement, the next five
# queue in their order and go as one group once it is let go: job A queued
# twice and in progress, job B (queued before) in progress and completed.
# They end as they would one after the other (db_event_write()): the second
# queued of A finds the job, B's two moves take it to the higher status,
# and A's move, which must see A's insert, is written after the group (in
# one statement it would not see it).
test_jobs_writes_of_one_job_in_one_group() {
	local dir=$TEST_TMP/gcsame prefix=gcsame-$RANDOM a=770001 b=770002 i f ev senders=()
	trap 'trap - RETURN; unset STACK_WORKERS_webhook INSTLOG_WRITE_SLOTS;
	    sql "DROP TRIGGER IF EXISTS it_hold ON installation_events; DROP FUNCTION IF EXISTS it_hold(); DROP TABLE IF EXISTS it_go" >/dev/null
	    stack_route_stop webhook; stack_route_start webhook' RETURN
	export STACK_WORKERS_webhook=1 INSTLOG_WRITE_SLOTS=1
	stack_route_stop webhook
	stack_route_start webhook || fail "webhook with one worker did not start"
	deliver workflow_job "$(fixture_edit workflow_job.queued ".workflow_job.id = $b")" "$prefix-0"
	assert_status 200
	mkdir -p "$dir"
	i=0
	for f in "installation.created ." \
	    "workflow_job.queued .workflow_job.id = $a" \
	    "workflow_job.queued .workflow_job.id = $a" \
	    "workflow_job.in_progress .workflow_job.id = $a" \
	    "workflow_job.in_progress .workflow_job.id = $b" \
	    "workflow_job.completed.success .workflow_job.id = $b"; do
		i=$((i + 1))
		fixture_edit "${f%% *}" "${f#* }" >"$dir/f$i"
	done
	# The first delivery's row waits in a trigger until it_go has a row.
	sql "CREATE TABLE it_go ();
	     CREATE FUNCTION it_hold() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN IF NEW.delivery_id = '$prefix-1' THEN WHILE NOT EXISTS (SELECT FROM it_go) LOOP PERFORM pg_sleep(0.02); END LOOP; END IF; RETURN NEW; END \$\$;
	     CREATE TRIGGER it_hold BEFORE INSERT ON installation_events FOR EACH ROW EXECUTE FUNCTION it_hold();" >/dev/null
	for i in 1 2 3 4 5 6; do
		f=$(cat "$dir/f$i")
		ev=workflow_job
		[ "$i" = 1 ] && ev=installation
		(deliver "$ev" "$f" "$prefix-$i"; echo "$STATUS" >"$dir/$i") &
		senders+=($!)
		if [ "$i" = 1 ]; then
			for _ in $(seq 1 100); do
				[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" -gt 0 ] && break
				sleep 0.05
			done
		fi
		# Apart enough to arrive in order on a busy machine too, all
		# within the first delivery's 5 s database budget.
		sleep 0.4
	done
	sql "INSERT INTO it_go DEFAULT VALUES" >/dev/null
	wait "${senders[@]}"
	assert_eq "200 200 200 200 200 200" "$(cat "$dir"/[1-6] | xargs)" "answers"
	# A's move was written after the group that held B's two.
	assert_eq t "$(sql "SELECT (SELECT id FROM installation_events WHERE delivery_id = '$prefix-4') > (SELECT max(id) FROM installation_events WHERE delivery_id IN ('$prefix-5', '$prefix-6'))")" "A's move after the group"
	assert_eq "running completed" "$(sql "SELECT string_agg(status, ' ' ORDER BY job_id) FROM jobs WHERE job_id IN ($a, $b)")" "jobs"
	assert_eq "workflow_job.queued job_stored workflow_job.queued job_already_exists workflow_job.in_progress job_marked_running workflow_job.in_progress job_marked_running workflow_job.completed job_marked_completed" \
	    "$(sql "SELECT event, outcome FROM installation_events WHERE delivery_id IN ('$prefix-2', '$prefix-3', '$prefix-4', '$prefix-5', '$prefix-6') ORDER BY delivery_id" | tr '|\n' '  ' | xargs)" "rows"
}
