#!/bin/bash
# SPDX-License-Identifier: MIT
# POST /webhook through nginx into PostgreSQL: every fixture, every error.

# file|X-GitHub-Event|event|outcome|entity_type|entity_id|entity_name|installation_id
# Sent in this order: the workflow_job rows depend on it.
WEBHOOK_TABLE='
ping|ping|ping|ok||||
ping.organization|ping|ping|ok||||
ping.repository|ping|ping|ok||||
ping.repository.with-app_id|ping|ping|ok||||
installation.created|installation|installation.created|ok|User|21031067|Codertocat|957387
installation.created.with-requester|installation|installation.created|ok|User|21031067|Codertocat|957387
installation.deleted|installation|installation.deleted|ok|User|1|octocat|2
installation.suspend|installation|installation.suspend|ok|User|21031067|Codertocat|16598467
installation.unsuspend|installation|installation.unsuspend|ok|User|21031067|Codertocat|16598467
installation_repositories.added|installation_repositories|installation_repositories.added|ok|User|21031067|Codertocat|957387
workflow_job.queued|workflow_job|workflow_job.queued|job_stored|Organization|38302899|Octocoders|3456996
workflow_job.in_progress|workflow_job|workflow_job.in_progress|job_marked_running|Organization|38302899|Octocoders|1
workflow_job.completed.success|workflow_job|workflow_job.completed|job_marked_completed|Organization|38302899|Octocoders|
workflow_job.completed.failure|workflow_job|workflow_job.completed|job_marked_completed|Organization|38302899|Octocoders|
workflow_job.in_progress.with-queued-steps|workflow_job|workflow_job.in_progress|job_not_found|User|4595477|wolfy1339|3456996
workflow_job.queued.with-deployment|workflow_job|workflow_job.queued|job_stored|User|25349044|lineville|23154469
workflow_job.waiting|workflow_job|workflow_job.waiting|ignored_action|User|25349044|lineville|23154469
push.with-installation|push|push|unhandled_event||||1
issues.opened|issues|issues.opened|unhandled_event||||
check_run.created|check_run|check_run.created|unhandled_event||||
github_app_authorization.revoked|github_app_authorization|github_app_authorization.revoked|unhandled_event||||
'

test_every_fixture_gives_one_row() {
	db_reset
	local n=0
	while IFS='|' read -r file ev event outcome etype eid ename inst; do
		[ -n "$file" ] || continue
		n=$((n + 1))
		local guid app
		guid=$(new_guid)
		# The signed body's app id, else the header's (29310).
		app=$(jq '.installation.app_id // .hook.app_id // 29310' "$(fixture "$file")")
		deliver "$ev" "$(fixture "$file")" "$guid"
		assert_status 200
		assert_json .event "$event"
		assert_json .outcome "$outcome"
		assert_json '.id | type' number
		assert_eq 1 "$(rows_for "$guid")" "$file: rows"
		assert_eq "webhook|$event|$outcome|$app|$inst|$etype|$eid|$ename" \
		    "$(sql "SELECT source, event, outcome, app_id, installation_id, entity_type, entity_id, entity_name FROM installation_events WHERE delivery_id = '$guid'")" \
		    "$file: row"
		# The body as sent, its document the body's.
		assert_eq t "$(sql "SELECT md5(body::text) = '$(md5sum <"$(fixture "$file")" | cut -d' ' -f1)' AND $DOC = '$(sed "s/'/''/g" "$(fixture "$file")")'::jsonb AND payload = '{}' AND raw_body IS NULL FROM installation_events WHERE delivery_id = '$guid'")" \
		    "$file: payload"
	done <<<"$WEBHOOK_TABLE"
	assert_eq "$n" "$(sql 'SELECT count(*) FROM installation_events')" "total rows"
	# The job went queued -> running -> completed and the late failure
	# delivery did not move it anywhere else.
	assert_eq "completed|Octocoders|Organization|38302899|3456996|29310|Codertocat/Hello-World" \
	    "$(sql 'SELECT status, entity_name, entity_type, entity_id, installation_id, app_id, repo_full_name FROM jobs WHERE job_id = 289782451')" "job 289782451"
	assert_eq "pending" "$(sql 'SELECT status FROM jobs WHERE job_id = 12877621891')" "job 12877621891"
	assert_eq 0 "$(sql 'SELECT count(*) FROM jobs WHERE job_id = 14541957942')" "unknown job not created"
}

test_job_status_never_moves_back() {
	db_reset
	local q ip c
	q=$(fixture_edit workflow_job.queued '.workflow_job.id = 777001')
	ip=$(fixture_edit workflow_job.in_progress '.workflow_job.id = 777001')
	c=$(fixture_edit workflow_job.completed.success '.workflow_job.id = 777001')
	deliver workflow_job "$q"; assert_json .outcome job_stored
	deliver workflow_job "$q"; assert_json .outcome job_already_exists
	assert_eq pending "$(sql 'SELECT status FROM jobs WHERE job_id = 777001')" "after queued"
	deliver workflow_job "$c"; assert_json .outcome job_marked_completed
	assert_eq completed "$(sql 'SELECT status FROM jobs WHERE job_id = 777001')" "after completed"
	# Out of order: in_progress after completed, then queued again.
	deliver workflow_job "$ip"; assert_status 200
	deliver workflow_job "$q"; assert_json .outcome job_already_exists
	assert_eq completed "$(sql 'SELECT status FROM jobs WHERE job_id = 777001')" "never moves back"
	assert_eq 5 "$(sql "SELECT count(*) FROM installation_events WHERE event LIKE 'workflow_job.%'")" "one row per delivery"
}

test_same_delivery_twice_gives_two_rows() {
	db_reset
	local f guid
	f=$(fixture installation.created)
	guid=$(new_guid)
	deliver installation "$f" "$guid"; assert_status 200
	deliver installation "$f" "$guid"; assert_status 200
	assert_eq 2 "$(rows_for "$guid")" "redelivery rows"
}

test_bad_signature_401_no_row() {
	db_reset
	local f guid
	f=$(fixture installation.created)
	guid=$(new_guid)
	http POST /webhook -H 'X-GitHub-Event: installation' -H "X-GitHub-Delivery: $guid" \
	    -H "X-Hub-Signature-256: sha256=$(sign "$f" wrong-secret)" --data-binary @"$f"
	assert_status 401
	assert_json .error "signature does not match"
	http POST /webhook -H 'X-GitHub-Event: installation' -H "X-GitHub-Delivery: $guid" --data-binary @"$f"
	assert_status 401
	http POST /webhook -H 'X-GitHub-Event: installation' -H "X-GitHub-Delivery: $guid" \
	    -H 'X-Hub-Signature-256: sha256=zz' --data-binary @"$f"
	assert_status 401
	# The SHA-1 header alone is not enough.
	http POST /webhook -H 'X-GitHub-Event: installation' -H "X-GitHub-Delivery: $guid" \
	    -H "X-Hub-Signature: sha1=$(openssl dgst -sha1 -hmac "$GITHUB_WEBHOOK_SECRET" -r "$f" | cut -d' ' -f1)" \
	    --data-binary @"$f"
	assert_status 401
	assert_eq 0 "$(sql 'SELECT count(*) FROM installation_events')" "no row"
}

test_previous_secret_accepted() {
	db_reset
	local f
	f=$(fixture ping)
	http POST /webhook -H 'X-GitHub-Event: ping' -H 'X-GitHub-Delivery: prev-1' \
	    -H "X-Hub-Signature-256: sha256=$(sign "$f" "$GITHUB_WEBHOOK_SECRET_PREVIOUS")" --data-binary @"$f"
	assert_status 200
	assert_eq 1 "$(rows_for prev-1)" "row"
}

test_method_not_allowed_405() {
	http GET /webhook
	assert_status 405
	assert_json .error "method not allowed: use POST"
	http PUT /webhook --data-binary x
	assert_status 405
}

test_missing_event_header_400() {
	db_reset
	local f
	f=$(fixture ping)
	http POST /webhook -H "X-Hub-Signature-256: sha256=$(sign "$f")" --data-binary @"$f"
	assert_status 400
	assert_json .error "missing X-GitHub-Event header"
	assert_eq 0 "$(sql 'SELECT count(*) FROM installation_events')" "no row"
}

test_oversized_body_413() {
	db_reset
	local big
	big=$TEST_TMP/big.json
	# 26 MiB: over GitHub's (and our default) 25 MiB cap.
	head -c $((26 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$big"
	deliver ping "$big"
	assert_status 413
	assert_eq 0 "$(sql 'SELECT count(*) FROM installation_events')" "no row"
	rm -f "$big"
}

test_malformed_json_400_row_kept_raw() {
	db_reset
	local f
	f=$TEST_TMP/broken.json
	head -c 200 "$(fixture installation.created)" >"$f"
	deliver installation "$f" broken-1
	assert_status 400
	assert_json .outcome invalid_payload
	assert_eq "installation|invalid_payload|true|malformed json" \
	    "$(sql "SELECT event, outcome, payload->>'stored_raw', payload->>'reason' FROM installation_events WHERE delivery_id = 'broken-1'")" "raw row"
	assert_eq "$(md5sum <"$f" | cut -d' ' -f1)" "$(sql "SELECT md5(raw_body) FROM installation_events WHERE delivery_id = 'broken-1'")" "raw bytes kept"
}

test_nul_escape_stored_raw() {
	db_reset
	local f
	f=$(fixture_edit installation.created '.installation.account.login = "Coder\u0000tocat"')
	grep -q 'u0000' "$f" || fail "jq did not keep the escape"
	deliver installation "$f" nul-1
	assert_status 200
	assert_json .outcome ok
	assert_eq "installation.created|ok|21031067|true" \
	    "$(sql "SELECT event, outcome, entity_id, payload->>'stored_raw' FROM installation_events WHERE delivery_id = 'nul-1'")" "row"
	assert_eq "$(md5sum <"$f" | cut -d' ' -f1)" "$(sql "SELECT md5(raw_body) FROM installation_events WHERE delivery_id = 'nul-1'")" "raw bytes kept"
}

test_queued_without_installation_is_invalid() {
	db_reset
	local f
	f=$(fixture_edit workflow_job.queued 'del(.installation)')
	deliver workflow_job "$f" inv-1
	assert_status 400
	assert_json .outcome invalid_payload
	assert_eq 1 "$(rows_for inv-1)" "row kept"
	assert_eq 0 "$(sql 'SELECT count(*) FROM jobs')" "no job"
	f=$(fixture_edit workflow_job.queued '.installation.id = "3456996"')
	deliver workflow_job "$f" inv-2
	assert_status 400
	assert_json .outcome invalid_payload
}

test_jobs_write_failure_keeps_log_row() {
	db_reset
	sql "CREATE OR REPLACE FUNCTION it_fail() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'jobs broken'; END \$\$;
	     CREATE TRIGGER it_fail BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION it_fail();" >/dev/null
	deliver workflow_job "$(fixture workflow_job.queued)" jwf-1
	sql "DROP TRIGGER it_fail ON jobs; DROP FUNCTION it_fail();" >/dev/null
	assert_status 503
	assert_json .outcome job_write_failed
	assert_eq "workflow_job.queued|job_write_failed" \
	    "$(sql "SELECT event, outcome FROM installation_events WHERE delivery_id = 'jwf-1'")" "log row"
	assert_eq 0 "$(sql 'SELECT count(*) FROM jobs')" "no job"
}

# A job's write and its row are one statement (decisions #6); when that
# fails for the row's sake, the two are written apart, the job in its own
# transaction first.  A trigger refuses the first row it sees (a sequence
# counts the tries: its value survives the rollback).
test_row_failure_writes_job_and_row_apart() {
	db_reset
	sql "CREATE SEQUENCE it_once;
	     CREATE FUNCTION it_once() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN IF nextval('it_once') = 1 THEN RAISE EXCEPTION 'row refused once'; END IF; RETURN NEW; END \$\$;
	     CREATE TRIGGER it_once BEFORE INSERT ON installation_events FOR EACH ROW EXECUTE FUNCTION it_once();" >/dev/null
	deliver workflow_job "$(fixture workflow_job.queued)" rfa-1
	local tries
	tries=$(sql "SELECT last_value FROM it_once")
	sql "DROP TRIGGER it_once ON installation_events; DROP FUNCTION it_once(); DROP SEQUENCE it_once;" >/dev/null
	assert_status 200
	assert_json .outcome job_stored
	assert_eq 2 "$tries" "row tries: in one statement with the job, then alone"
	assert_eq "workflow_job.queued|job_stored" \
	    "$(sql "SELECT event, outcome FROM installation_events WHERE delivery_id = 'rfa-1'")" "log row"
	assert_eq "pending" "$(sql "SELECT status FROM jobs WHERE job_id = $(jq .workflow_job.id "$(fixture workflow_job.queued)")")" "job"
}

# sql/005 and sql/020: a delivery is kept as the exact bytes GitHub signed
# (its HMAC can be checked again from the row), compressed with lz4 (the
# server has it) in every partition, and read back as the same document.
test_body_kept_as_signed_lz4() {
	db_reset
	local f
	f=$(fixture workflow_job.queued.with-deployment)
	deliver workflow_job "$f"
	assert_status 200
	assert_eq "$(md5sum <"$f" | cut -d' ' -f1)|{}|t" \
	    "$(sql "SELECT md5(body::text), payload, raw_body IS NULL FROM installation_events")" "the exact bytes in body, payload empty"
	assert_eq "$(jq -r '[.workflow_job.id, .sender.login, .repository.full_name] | join("|")' "$f")" \
	    "$(sql "SELECT job_id, actor, repo_full_name FROM installation_events")" "job_id and what a timeline row shows"
	assert_eq lz4 "$(sql "SELECT pg_column_compression(body) FROM installation_events")" "body compression"
	assert_eq "$(jq -S . "$f")" "$(sql "SELECT $DOC FROM installation_events" | jq -S .)" "document read back"
	assert_eq 0 "$(sql "SELECT count(*) FROM pg_attribute a JOIN pg_inherits i ON a.attrelid = i.inhrelid WHERE i.inhparent = 'installation_events'::regclass AND a.attname IN ('payload', 'body') AND a.attcompression <> 'l'")" "partitions not on lz4"
	# Anyone can check the signature again from the stored bytes.
	assert_eq "$(openssl dgst -sha256 -hmac "$GITHUB_WEBHOOK_SECRET" -r "$f" | cut -d' ' -f1)" \
	    "$(sql "SELECT body FROM installation_events" | head -c "$(wc -c <"$f")" |
	        openssl dgst -sha256 -hmac "$GITHUB_WEBHOOK_SECRET" -r | cut -d' ' -f1)" \
	    "HMAC of the stored body"
}

# A large body (an organization adding 20,000 repositories at once: the
# real delivery with its one repository repeated, 2.5 MB) is stored as
# the exact bytes sent, and so is an 11 KB one: a statement larger than
# the connection's send buffer leaves in several writes (db_run() waits
# for the socket between them), one past libpq's 8 KiB block in two.
test_large_body_stored_whole() {
	db_reset
	local f=$TEST_TMP/large.json g=$TEST_TMP/small.json src b
	src=$(fixture installation_repositories.added)
	jq -c '.repositories_added = [range(20000) as $i | .repositories_added[0] | .id += $i]' "$src" >"$f"
	jq -c '.repositories_added = [range(60) as $i | .repositories_added[0] | .id += $i]' "$src" >"$g"
	[ "$(wc -c <"$f")" -gt 2000000 ] || fail "large body only $(wc -c <"$f") bytes"
	[ "$(wc -c <"$g")" -gt 8192 ] || fail "11 KB body only $(wc -c <"$g") bytes"
	for b in "$f" "$g"; do
		deliver installation_repositories "$b"
		assert_status 200
		assert_json .outcome ok
		assert_eq "$(md5sum <"$b" | cut -d' ' -f1)|$(wc -c <"$b")" \
		    "$(sql "SELECT md5(body::text), octet_length(body::text) FROM installation_events WHERE delivery_id = '$LAST_DELIVERY'")" \
		    "$(basename "$b"): the exact bytes stored"
	done
}

# A body whose text jsonb might refuse where json takes it (an escape of a
# non-ASCII character, a number with an exponent) goes to payload as jsonb,
# as before sql/020, and traces as the same document.
test_body_only_jsonb_decides_goes_to_payload() {
	db_reset
	local f g
	g=$(fixture_edit installation.created '.')
	f=$TEST_TMP/esc.json
	sed 's/"login":"Codertocat"/"login":"Cod\\u00e9rtocat"/' "$g" >"$f"
	grep -qF 'Cod\u00e9rtocat' "$f" || fail "no \\u00e9 escape in the body"
	deliver installation "$f" esc-1
	assert_status 200
	assert_eq "ok|t|Codértocat|Codértocat" \
	    "$(sql "SELECT outcome, body IS NULL, payload->'installation'->'account'->>'login', entity_name FROM installation_events WHERE delivery_id = 'esc-1'")" "escape: row in payload"
	sed 's/"id":957387/"id":957387,"x":1.5e3/' "$g" >"$TEST_TMP/exp.json"
	grep -q '1.5e3' "$TEST_TMP/exp.json" || fail "no exponent in the body"
	deliver installation "$TEST_TMP/exp.json" exp-1
	assert_status 200
	assert_eq "ok|t|1500" \
	    "$(sql "SELECT outcome, body IS NULL, payload->'installation'->>'x' FROM installation_events WHERE delivery_id = 'exp-1'")" "exponent: row in payload"
	trace "/trace/payload/$(sql "SELECT id FROM installation_events WHERE delivery_id = 'exp-1'")"
	assert_status 200
	assert_json .payload.installation.x 1500
}

# A workflow_job delivery whose sender.login is no string is read from its
# payload (sql/021): its timeline row shows what jsonb gives, as a row kept
# as sent shows its columns.
test_body_timeline_rows_from_columns_or_payload() {
	db_reset
	local f g
	f=$(fixture workflow_job.queued)
	g=$TEST_TMP/num-login.json
	jq -c '.sender.login = 42' "$f" >"$g"
	deliver workflow_job "$f" cols-1
	assert_status 200
	deliver workflow_job "$g" cols-2
	assert_status 200
	assert_eq "cols-1|f|Codertocat
cols-2|t|" "$(sql "SELECT delivery_id, body IS NULL, actor FROM installation_events ORDER BY id")" "rows"
	trace "/trace/entity/$(jq -r .repository.owner.id "$f")"
	assert_status 200
	assert_eq "Codertocat|$(jq -r .workflow_job.id "$f")|$(jq -r .repository.full_name "$f")
42|$(jq -r .workflow_job.id "$f")|$(jq -r .repository.full_name "$f")" \
	    "$(printf '%s' "$BODY" | jq -r '.events[] | [.actor, .job_id, .repo_full_name] | map(tostring) | join("|")')" "timeline rows"
}

# The app id comes from the signed body; the unsigned header only fills in
# one the body lacks (a ping of a repository hook has none).
test_app_id_from_signed_body_over_header() {
	APP_ID=4242 deliver installation "$(fixture installation.created)" appid-body
	assert_status 200
	assert_eq 29310 "$(sql "SELECT app_id FROM installation_events WHERE delivery_id = 'appid-body'")" "body's installation.app_id wins"
	APP_ID=4242 deliver ping "$(fixture ping.repository)" appid-header
	assert_status 200
	assert_eq 4242 "$(sql "SELECT app_id FROM installation_events WHERE delivery_id = 'appid-header'")" "header as the fallback"
}

# Signed deliveries whose headers are unusable are still recorded, as
# invalid_payload with the values cut to what a row holds; unsigned ones
# with the same headers are 401 and leave nothing.
test_signed_delivery_with_bad_headers_is_stored() {
	local f long
	f=$(fixture installation.created)
	deliver 'installation;DROP' "$f" badhdr-event
	assert_status 400
	assert_eq 'installation_DROP|invalid_payload|957387' \
	    "$(sql "SELECT event, outcome, installation_id FROM installation_events WHERE delivery_id = 'badhdr-event'")" "sanitised event"
	deliver "$(printf 'e%.0s' $(seq 1 80))" "$f" badhdr-long
	assert_status 400
	assert_eq "$(printf 'e%.0s' $(seq 1 64))|invalid_payload" \
	    "$(sql "SELECT event, outcome FROM installation_events WHERE delivery_id = 'badhdr-long'")" "event cut at 64"
	long=badhdr-id-$(printf 'x%.0s' $(seq 1 300))
	deliver installation "$f" "$long"
	assert_status 400
	assert_eq "installation|invalid_payload|${long:0:200}" \
	    "$(sql "SELECT event, outcome, delivery_id FROM installation_events WHERE delivery_id LIKE 'badhdr-id-%'")" "delivery id cut at 200"
	http POST /webhook -H 'X-GitHub-Event: installation;DROP' \
	    -H 'X-GitHub-Delivery: badhdr-unsigned' -H 'X-Hub-Signature-256: sha256=00' \
	    --data-binary @"$f"
	assert_status 401
	assert_eq 0 "$(rows_for badhdr-unsigned)" "unsigned: no row"
}

# A Content-Length that is not a number is a bad request, not too large.
# nginx refuses one itself, so the binary is run as plain CGI.
test_content_length_not_numeric_400() {
	local f out
	f=$(fixture ping)
	out=$(GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST DOCUMENT_URI=/webhook \
	    CONTENT_LENGTH=12abc HTTP_X_GITHUB_EVENT=ping HTTP_X_GITHUB_DELIVERY=cl-bad \
	    HTTP_X_HUB_SIGNATURE_256="sha256=$(sign "$f")" "$STACK_BIN/webhook" <"$f")
	printf '%s' "$out" | head -1 | grep -q '^Status: 400' || fail "status: $out"
	assert_eq 0 "$(rows_for cl-bad)" "no row"
}
