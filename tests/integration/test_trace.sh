#!/bin/bash
# SPDX-License-Identifier: MIT
# The trace routes through nginx: one timeline per diagnosis cause, built
# from the real payloads with ids edited, plus auth, errors and paging.

# causes: the diagnosis causes of the last BODY, comma-separated.
causes() { printf '%s' "$BODY" | jq -r '[.diagnosis[].cause] | join(",")'; }
evidence() { printf '%s' "$BODY" | jq -c "[.diagnosis[] | select(.cause == \"$1\") | .evidence[]]"; }

test_uninstalled_then_reinstalled() {
	local E=5101 I=6101 del a404
	install $E alice $I
	queue_job $E alice $I 7101 alice/app
	action installation installation.deleted $E alice $I; del=$LAST_ID
	auth_row $E alice $I 29310 404 alice/app 7101; a404=$LAST_ID
	for p in /trace/installation/$I /trace/job/7101 /trace/entity/$E; do
		trace "$p"
		assert_status 200
		assert_eq uninstalled "$(causes)" "$p causes"
		assert_eq "[$del,$a404]" "$(evidence uninstalled)" "$p evidence"
		assert_json .state.installed false
		assert_json .state.last_auth_failure.http_status 404
	done
	# Folding as of before the deletion: still installed, nothing wrong.
	local before
	before=$(sql "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM installation_events WHERE id = $del - 1")
	trace "/trace/entity/$E?at=$before"
	assert_json .state.installed true
	assert_eq "" "$(causes)" "as of before"
	install $E alice $I
	trace /trace/installation/$I
	# Reinstalled after the 404: no cause, and the trace says it
	# recovered, and from what (DESIGN §12).
	assert_eq recovered "$(causes)" "reinstall clears uninstalled"
	assert_eq "[$a404]" "$(evidence recovered)" "recovered evidence"
	printf '%s' "$BODY" | jq -r '.diagnosis[0].summary' | grep -q "; it had been uninstalled: the app was uninstalled from 'alice'" ||
	    fail "recovered summary: $(printf '%s' "$BODY" | jq -r '.diagnosis[0].summary')"
}

test_suspended_then_unsuspended() {
	local E=5102 I=6102 sus a403
	install $E bob $I
	action installation installation.suspend $E bob $I; sus=$LAST_ID
	auth_row $E bob $I 29310 403 bob/app 7102; a403=$LAST_ID
	trace /trace/installation/$I
	assert_eq suspended "$(causes)" "causes"
	assert_eq "[$sus,$a403]" "$(evidence suspended)" "evidence"
	assert_json .state.suspended true
	action installation installation.unsuspend $E bob $I
	trace /trace/installation/$I
	assert_eq recovered "$(causes)" "unsuspend clears suspended"
	assert_json .state.suspended false
}

test_repo_removed_then_readded() {
	local E=5103 I=6103 rem a404 repos
	repos='[{"id":1,"name":"app","full_name":"carol/app","private":false},{"id":2,"name":"lib","full_name":"carol/lib","private":false}]'
	install $E carol $I selected "$repos"
	action installation_repositories installation_repositories.added $E carol $I \
	    '| .repositories_added = [{"id":3,"name":"web","full_name":"carol/web","private":false}]'
	# installation_repositories.removed has no published example: the
	# added payload with the action and lists swapped, per the schema.
	action installation_repositories installation_repositories.added $E carol $I \
	    '| .action = "removed" | .repositories_removed = [{"id":2,"name":"lib","full_name":"carol/lib","private":false}] | .repositories_added = []'
	rem=$LAST_ID
	auth_row $E carol $I 29310 404 carol/lib 7103; a404=$LAST_ID
	trace /trace/entity/$E
	assert_eq repo_removed "$(causes)" "causes"
	assert_eq "[$rem,$a404]" "$(evidence repo_removed)" "evidence"
	assert_json '.state.repositories | join(",")' "carol/app,carol/web"
	action installation_repositories installation_repositories.added $E carol $I \
	    '| .repositories_added = [{"id":2,"name":"lib","full_name":"carol/lib","private":false}]'
	trace /trace/entity/$E
	assert_eq "" "$(causes)" "re-add clears repo_removed"
}

test_renamed() {
	local E=5104 I=6104 ren a404
	install $E dave-old $I
	rename $E dave-old dave-new $I; ren=$LAST_ID
	auth_row $E dave-old $I 29310 404 dave-old/app 7104; a404=$LAST_ID
	trace /trace/installation/$I
	assert_eq renamed "$(causes)" "causes"
	assert_eq "[$ren,$a404]" "$(evidence renamed)" "evidence"
	assert_json .entity_name dave-new
	assert_json '.state.previous_names | join(",")' dave-old
}

# /trace/entity-by-name/{login}: the account that last bore the login,
# ignoring case; an old login finds the renamed account until another
# account takes it; job rows do not count.
test_entity_by_name() {
	local plan
	install 5130 Kim-Lee 6130
	action installation installation.suspend 5130 Kim-Lee 6130
	for l in Kim-Lee kim-lee KIM-LEE; do
		trace /trace/entity-by-name/$l
		assert_status 200
		assert_json .entity_id 5130
		assert_json .entity_name Kim-Lee
		assert_eq suspended "$(causes)" "$l causes"
	done
	trace "/trace/entity-by-name/kim-lee?event=installation.suspend"
	assert_json '[.events[].event] | join(",")' installation.suspend
	install 5131 liz-old 6131
	rename 5131 liz-old liz-new 6131
	for l in liz-old liz-new; do
		trace /trace/entity-by-name/$l
		assert_status 200
		assert_json .entity_id 5131
		assert_json .entity_name liz-new
	done
	# Another account takes the freed login: it is theirs now.
	install 5132 LIZ-old 6132
	trace /trace/entity-by-name/liz-old
	assert_json .entity_id 5132
	trace /trace/entity-by-name/liz-new
	assert_json .entity_id 5131
	# A login seen only on a job's rows is no installation account.
	queue_job 5133 only-jobs 6133 7133 only-jobs/app
	trace /trace/entity-by-name/only-jobs
	assert_status 404
	assert_json .error "login not found"
	trace /trace/entity-by-name/nobody-here
	assert_status 404
	for bad in "dependabot%5Bbot%5D" "a.b" "a%20b" "" "-" \
	    "$(printf 'a%.0s' $(seq 40))" "x%27%20OR%201=1%20--" "5130/x"; do
		trace "/trace/entity-by-name/$bad"
		assert_status 400
		assert_json .error "login: expected a GitHub user or organization login (1 to 39 letters, digits and hyphens, not first)"
	done
	trace "/trace/entity-by-name/$(printf 'a%.0s' $(seq 39))"
	assert_status 404
	http GET /trace/entity-by-name/kim-lee
	assert_status 401
	http GET /trace/entity-by-name/kim-lee -H 'Authorization: Bearer wrong'
	assert_status 401
	http POST /trace/entity-by-name/kim-lee -H "$(TOKEN_HDR)" --data-binary x
	assert_status 405
	# The lookup is a backward scan of sql/012's index (its partitions'),
	# not a table scan.
	plan=$(psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 \
	    -c "SET enable_seqscan = off" \
	    -c "SET plan_cache_mode = force_generic_plan" \
	    -c "PREPARE q(text) AS $("$TOP/build/bench/trace_sql" | sed -n 's/^by_name\t//p')" \
	    -c "EXPLAIN EXECUTE q('kim-lee')")
	! printf '%s\n' "$plan" | grep -qE -- '->  (Seq Scan|Sort|Bitmap)' ||
	    fail "by-name lookup reads or sorts rows: $plan"
	local idx
	idx=$(sed -n 's/.*Index \(Only \)\{0,1\}Scan Backward using \([a-z0-9_]*\) on installation_events.*/\2/p' <<<"$plan" | head -1)
	[ -n "$idx" ] || { fail "by-name lookup not served by an index: $plan"; return; }
	assert_eq installation_events_login_idx \
	    "$(sql "SELECT inhparent::regclass FROM pg_inherits WHERE inhrelid = '$idx'::regclass")" \
	    "the index of the by-name lookup"
	assert_eq "" "$(sql "SELECT to_regclass('installation_events_entity_name_idx')")" \
	    "sql/011's index, replaced"
}

# The auth check writes the login it had for a job, which may be stale:
# scheduler rows do not make a login anyone's.
test_entity_by_name_ignores_scheduler_rows() {
	# An account renamed; the freed login taken by another account; a
	# scheduler row under the old login after that.
	install 5140 nora-old 6140
	rename 5140 nora-old nora-new 6140
	install 5141 NORA-OLD 6141
	auth_row 5140 nora-old 6140 29310 404 nora-old/app 7140
	trace /trace/entity-by-name/nora-old
	assert_status 200
	assert_json .entity_id 5141
	trace /trace/entity-by-name/nora-new
	assert_status 200
	assert_json .entity_id 5140
	# The old login on a scheduler row only: it is nobody's.
	rename 5142 oscar-old oscar-new 6142
	auth_row 5142 oscar-old 6142 29310 500 oscar-old/app 7142
	trace /trace/entity-by-name/oscar-old
	assert_status 404
	assert_json .error "login not found"
	trace /trace/entity-by-name/oscar-new
	assert_status 200
	assert_json .entity_id 5142
	assert_json '[.events[].event] | join(",")' \
	    "installation_target.renamed,auth_attempt.other_error"
}

test_wrong_app() {
	local E=5105 I=6105 cr a404
	install $E erin $I selected '[{"id":1,"name":"app","full_name":"erin/app","private":false}]'
	cr=$LAST_ID
	auth_row $E erin $I 31337 404 erin/app 7105; a404=$LAST_ID
	trace /trace/entity/$E
	assert_eq wrong_app "$(causes)" "causes"
	assert_eq "[$cr,$a404]" "$(evidence wrong_app)" "evidence"
	# The same 404 with the live installation's app is not wrong_app.
	auth_row $E erin $I 29310 500 erin/app 7105
	trace /trace/entity/$E
	# The 500 is explained by GitHub failing (DESIGN §13, the cause of
	# the failing status first); it does not hide the 404's cause.
	assert_eq github_unavailable,wrong_app "$(causes)" "an other_error does not hide the 404"
}

test_repo_not_selected() {
	local E=5106 I=6106 cr a404
	install $E frank $I selected '[{"id":1,"name":"app","full_name":"frank/app","private":false}]'
	cr=$LAST_ID
	auth_row $E frank $I 29310 404 frank/secret 7106; a404=$LAST_ID
	trace /trace/entity/$E
	assert_eq repo_not_selected "$(causes)" "causes"
	assert_eq "[$cr,$a404]" "$(evidence repo_not_selected)" "evidence"
	# A repository that was selected is fine.
	auth_row $E frank $I 29310 404 frank/app 7106
	trace /trace/entity/$E
	assert_eq "" "$(causes)" "selected repo"
}

test_healthy_timeline_has_no_diagnosis() {
	local E=5107 I=6107
	install $E grace $I all '[]'
	queue_job $E grace $I 7107 grace/app
	trace /trace/job/7107
	assert_status 200
	assert_json '.diagnosis | length' 0
	assert_json '[.events[].event] | join(",")' "installation.created,workflow_job.queued"
	assert_json '.events[1].job_id' 7107
	assert_json '.events[1].repo_full_name' grace/app
	assert_json '.events[0].actor' Codertocat
	assert_json '[.events[] | has("payload")] | any' false
	assert_json '.events[0].received_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$")' true
}

test_payload_route_returns_stored_json() {
	local f id
	f=$(fixture installation.created.with-requester)
	deliver installation "$f"
	id=$(printf '%s' "$BODY" | jq -r .id)
	trace /trace/payload/$id
	assert_status 200
	assert_json .id "$id"
	assert_json .event installation.created
	assert_eq true "$(jq -n --argjson a "$(printf '%s' "$BODY" | jq .payload)" --slurpfile b "$f" '$a == $b[0]')" "payload equals the delivered body"
}

test_trace_auth_401() {
	http GET /trace/entity/1
	assert_status 401
	printf '%s' "$HEADERS" | grep -qi '^WWW-Authenticate: Bearer' || fail "no WWW-Authenticate header"
	http GET /trace/entity/1 -H 'Authorization: Bearer wrong'
	assert_status 401
	http GET /trace/payload/1 -H "Authorization: Basic $TRACE_API_SECRET"
	assert_status 401
	for r in entity installation job payload; do
		http GET /trace/$r/1 -H 'Authorization: Bearer '
		assert_status 401
	done
}

test_trace_bad_ids_400_unknown_404_post_405() {
	local r
	for r in entity installation job payload; do
		for bad in abc 0 -1 1.5 99999999999999999999 "1%27%20OR%201=1%20--" ""; do
			trace "/trace/$r/$bad"
			assert_status 400
		done
		trace /trace/$r/987654321
		assert_status 404
		http POST /trace/$r/1 -H "$(TOKEN_HDR)" --data-binary x
		assert_status 405
	done
}

test_trace_bad_parameters_400() {
	install 5108 heidi 6108
	for q in "since=yesterday" "until=2026-13-01" "limit=0" "limit=5001" "limit=x" \
	    "dedupe=2" "event=a%20b" "cursor=abc" "at=soon" "event=%27%20OR%201=1%20--"; do
		trace "/trace/entity/5108?$q"
		assert_status 400
		assert_json .error "$(printf '%s' "$BODY" | jq -r .error)"
		case "$(printf '%s' "$BODY" | jq -r .error)" in "${q%%=*}"*) ;; *) fail "$q: error does not name the parameter: $BODY" ;; esac
	done
	trace "/trace/entity/5108?since=7d&until=2099-01-01T00:00:00Z&event=installation&limit=5"
	assert_status 200
	assert_json '.events | length' 1
	trace "/trace/entity/5108?since=2099-01-01"
	assert_json '.events | length' 0
	trace "/trace/entity/5108?event=installation.deleted"
	assert_json '.events | length' 0
}

# Issue 12, finding 12: a cursor that no page of this entity handed out
# (no such event, or another entity's) is a 400, not an empty page.
test_trace_bogus_cursor_400() {
	local other first
	install 5120 ivan 6120
	first=$LAST_ID
	action installation installation.suspend 5120 ivan 6120
	install 5121 judy 6121
	other=$LAST_ID
	for c in 987654321 "$other"; do
		trace "/trace/entity/5120?cursor=$c"
		assert_status 400
		assert_json .error "cursor: expected the next_cursor of a previous page"
		trace "/trace/installation/6120?cursor=$c&limit=1"
		assert_status 400
	done
	# A real cursor still pages, also onto an empty last page.
	trace "/trace/entity/5120?cursor=$first"
	assert_status 200
	assert_json '.events | length' 1
	trace "/trace/entity/5120?cursor=$first&event=installation.created"
	assert_status 200
	assert_json '.events | length' 0
}

test_pagination_1200_events_no_gap_no_duplicate() {
	local E=5109 cursor="" page=0 all="" n
	# 1,200 rows, 40 sharing each timestamp so ties are broken by id.
	sql "INSERT INTO installation_events (received_at, source, event, outcome, installation_id, entity_type, entity_id, entity_name, payload)
	     SELECT '2026-01-01T00:00:00Z'::timestamptz + (g / 40) * interval '1 second', 'webhook', 'installation_repositories.added', 'ok', 6109, 'User', $E, 'ivan', '{}'
	     FROM generate_series(1, 1200) g" >/dev/null
	while :; do
		trace "/trace/entity/$E?limit=500${cursor:+&cursor=$cursor}"
		assert_status 200
		all="$all $(printf '%s' "$BODY" | jq -r '[.events[].id] | map(tostring) | join(" ")')"
		cursor=$(printf '%s' "$BODY" | jq -r '.next_cursor // empty')
		page=$((page + 1))
		# A row arriving during the walk lands after it, never in a gap.
		[ $page = 1 ] && install $E ivan 6109
		[ -n "$cursor" ] || break
		[ $page -lt 10 ] || { fail "too many pages"; break; }
	done
	assert_eq 3 "$page" "pages"
	n=$(echo $all | wc -w)
	assert_eq 1201 "$n" "rows walked"
	assert_eq "$n" "$(echo $all | tr ' ' '\n' | sort -u | wc -l)" "no duplicate"
	assert_eq "$(sql "SELECT string_agg(id::text, ' ' ORDER BY received_at, id) FROM installation_events WHERE entity_id = $E")" "$(echo $all)" "order and no gap"
}

test_dedupe_after_redelivery() {
	local f
	f=$(fixture_edit installation.created "$(acct 5110 judy 6110)")
	deliver installation "$f" dup-5110
	deliver installation "$f" dup-5110
	trace /trace/entity/5110
	assert_json '.events | length' 2
	trace "/trace/entity/5110?dedupe=1"
	assert_json '.events | length' 1
	assert_json '.events[0].delivery_id' dup-5110
}
