# SPDX-License-Identifier: MIT
# GET /trace/failing (DESIGN §12): the fleet's failing accounts from real
# auth-check runs against fake_github and real installation deliveries,
# newest failure first, recovered ones gone, paged and filtered.

. "$HERE/test_auth_check.sh"
for fn in $(declare -F | awk '{print $3}' | grep '^test_auth'); do unset -f "$fn"; done
# And /metrics' helpers (scrape, metric, families_contiguous).
. "$HERE/test_metrics.sh"
for fn in $(declare -F | awk '{print $3}' | grep '^test_metrics'); do unset -f "$fn"; done

# fl_install EVENT INSTALLATION ACCOUNT LOGIN: the recorded installation
# delivery EVENT (installation.deleted, ...) for that installation and
# account.
fl_install() {
	local f
	f=$(fixture_edit "$1" ".installation.id = $2 |
	    .installation.account.id = $3 | .installation.account.login = \"$4\" |
	    .installation.account.type = \"Organization\"")
	deliver installation "$f"
	assert_status 200
}

# fl_get QUERY: GET /trace/failing?QUERY (BODY), and LINES its lines
# "entity cause failures".
fl_get() {
	trace "/trace/failing${1:+?$1}"
	[ "$STATUS" = 200 ] || { fail "GET /trace/failing?${1:-}: $STATUS $BODY"; return 1; }
	LINES=$(printf '%s' "$BODY" | jq -r '.data[] | "\(.entity_id) \(.cause) \(.failures)"')
}

# fl_list QUERY: LINES of fl_get on stdout.
fl_list() { fl_get "${1:-}" && printf '%s' "$LINES"; }

# Six accounts: uninstalled (404), GitHub failing (503), a refused JWT
# (401), a 403 nothing explains (unknown), one that failed then
# authenticated (recovered by the auth check), one suspended then
# unsuspended after its failures (recovered by the webhook).
fl_fleet() {
	db_reset
	ac_env
	ac_fake_start --answer 8201:404 --answer 8202:503 --answer 8203:401 \
	    --answer 8204:403 --answer 8205:503 --answer 8206:403
	fl_install installation.deleted 8201 9201 fl-gone
	fl_install installation.suspend 8206 9206 fl-susp
	ac_queue 820101 8201 Organization 9201 fl-gone fl-gone/r
	ac_queue 820201 8202 Organization 9202 fl-down fl-down/r
	ac_queue 820301 8203 Organization 9203 fl-key fl-key/r
	ac_queue 820401 8204 Organization 9204 fl-odd fl-odd/r
	ac_queue 820501 8205 Organization 9205 fl-back fl-back/r
	ac_queue 820601 8206 Organization 9206 fl-susp fl-susp/r
	ac_run
	kill "$AC_FAKE_PID"; wait "$AC_FAKE_PID" 2>/dev/null
	# Again: 8205 now authenticates (201, cached); the 404's jobs failed.
	ac_fake_start --answer 8202:503 --answer 8203:401 --answer 8204:403 \
	    --answer 8206:403
	ac_run
	fl_install installation.unsuspend 8206 9206 fl-susp
}

test_failing_list_exact() {
	local list e
	fl_fleet
	assert_eq "9201 uninstalled 1
9202 github_unavailable 2
9203 bad_credentials 2
9204 unknown 2" "$(fl_list | sort)" "the failing accounts"
	fl_get
	# Newest failure first: the 404 of the first run comes last.
	assert_eq 9201 "$(printf '%s' "$BODY" | jq -r '.data[-1].entity_id')" "oldest last"
	assert_eq true "$(printf '%s' "$BODY" | jq '[.data[].last_failure_at] | . == (sort | reverse)')" "ordered"
	assert_json .next_cursor null
	assert_eq "fl-key|Organization|8203|1" \
	    "$(printf '%s' "$BODY" | jq -r '.data[] | select(.entity_id == 9203) | "\(.entity_name)|\(.entity_type)|\(.installation_id)|\(.evidence | length)"')" \
	    "the 401's line"
	assert_eq "auth fails with HTTP 403 ('This installation has been suspended')" \
	    "$(printf '%s' "$BODY" | jq -r '.data[] | select(.entity_id == 9204) | .summary')" "unknown with the status"
	# The evidence rows are the account's own.
	assert_eq "$(sql "SELECT max(id) FROM installation_events WHERE entity_id = 9203 AND source = 'scheduler'")" \
	    "$(printf '%s' "$BODY" | jq -r '.data[] | select(.entity_id == 9203) | .evidence[0]')" "401 evidence"
	assert_eq true "$(printf '%s' "$BODY" | jq '[.data[] | .first_failure_at <= .last_failure_at] | all')" "first before last"
	# Folded together, each line is what the account's own trace says:
	# its first diagnosis, summary and evidence.
	list=$BODY
	for e in $(printf '%s' "$list" | jq -r '.data[] | select(.cause != "unknown") | .entity_id'); do
		trace "/trace/entity/$e"
		assert_eq "$(printf '%s' "$BODY" | jq -c '.diagnosis[0] | [.cause, .summary, .evidence]')" \
		    "$(printf '%s' "$list" | jq -c --argjson e "$e" '.data[] | select(.entity_id == $e) | [.cause, .summary, .evidence]')" \
		    "account $e as its trace"
	done
	# The recovered ones left the list; their traces say so, and from what.
	trace /trace/entity/9205
	assert_eq recovered "$(printf '%s' "$BODY" | jq -r '[.diagnosis[].cause] | join(",")')" "9205 authenticated again"
	printf '%s' "$BODY" | jq -r '.diagnosis[0].summary' | grep -q '; it had been github_unavailable: GitHub answered 503' ||
	    fail "9205 summary: $(printf '%s' "$BODY" | jq -r '.diagnosis[0].summary')"
	trace /trace/entity/9206
	assert_eq recovered "$(printf '%s' "$BODY" | jq -r '[.diagnosis[].cause] | join(",")')" "9206 unsuspended"
	printf '%s' "$BODY" | jq -r '.diagnosis[0].summary' | grep -q '; it had been suspended: ' ||
	    fail "9206 summary: $(printf '%s' "$BODY" | jq -r '.diagnosis[0].summary')"
	# A failing one does not say recovered.
	trace /trace/entity/9203
	assert_eq bad_credentials "$(printf '%s' "$BODY" | jq -r '[.diagnosis[].cause] | join(",")')" "9203"
}

test_failing_paged_and_filtered() {
	local all cur n=0 got=""
	fl_fleet
	all=$(fl_list)
	cur=""
	while :; do
		fl_get "limit=3${cur:+&cursor=$cur}" || return
		[ -n "$LINES" ] && got+="$LINES"$'\n'
		cur=$(printf '%s' "$BODY" | jq -r '.next_cursor // empty')
		n=$((n + 1))
		[ -z "$cur" ] && break
		[ "$n" -lt 5 ] || { fail "paging does not end"; return; }
	done
	assert_eq 2 "$n" "two pages of 3"
	assert_eq "$all" "${got%$'\n'}" "pages, in order, are the list"
	assert_eq "9203 bad_credentials 2" "$(fl_list cause=bad_credentials)" "cause filter"
	assert_eq "9204 unknown 2" "$(fl_list cause=unknown)" "unknown filter"
	# A page of one: folded one, then two, ... until one matches.
	assert_eq "9204 unknown 2" "$(fl_list 'cause=unknown&limit=1')" "filter over several batches"
	assert_eq "9201 uninstalled 1" "$(fl_list 'cause=uninstalled&limit=1')" "the oldest, after three batches"
	assert_eq "" "$(fl_list since=2099-01-01T00:00:00Z)" "nothing since the future"
	assert_eq 4 "$(fl_list since=1h | grep -c .)" "relative since"
	for q in cause=bogus limit=0 limit=1001 since=yesterday cursor=abc cursor=-1; do
		trace "/trace/failing?$q"
		assert_status 400
	done
	trace "/trace/failing?cursor=1"
	assert_status 400
	http GET /trace/failing
	assert_status 401
}

# /metrics counts the list by cause: every cause a line, 0 included.
test_failing_metrics_by_cause() {
	local out c got=""
	fl_fleet
	scrape
	out=$(promtool check metrics <"$TEST_TMP/metrics" 2>&1) ||
	    fail "promtool check metrics: $out"
	out=$(families_contiguous) || fail "$out"
	for c in uninstalled github_unavailable bad_credentials unknown \
	    suspended rate_limited repo_deleted plan_cancelled; do
		got+="$c=$(metric "instlog_failing_installations{cause=\"$c\"}") "
	done
	assert_eq "uninstalled=1 github_unavailable=1 bad_credentials=1 unknown=1 suspended=0 rate_limited=0 repo_deleted=0 plan_cancelled=0 " \
	    "$got" "failing by cause"
	assert_eq 4 "$(awk '/^instlog_failing_installations\{/ { n += $2 } END { print n }' "$TEST_TMP/metrics")" "the list's length"
	assert_eq 0 "$(grep -c 'cause="recovered"' "$TEST_TMP/metrics")" "recovered is no failing cause"
	assert_eq 1 "$(metric instlog_failing_installations_complete)" "complete"
}
