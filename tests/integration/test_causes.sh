# SPDX-License-Identifier: MIT
# The causes of DESIGN §13, each built from real payloads (the recorded
# fixtures, and @octokit/webhooks-examples from tests/package.json for
# repository.* and marketplace_purchase.*) and real auth-check runs
# against fake_github, read back through /trace/entity.

# The auth check's helpers (ac_env, ac_fake_start, ac_queue, ac_run), not
# its tests.
. "$HERE/test_auth_check.sh"
for fn in $(declare -F | awk '{print $3}' | grep '^test_auth'); do unset -f "$fn"; done

CA_EXAMPLES=$TOP/tests/node_modules/@octokit/webhooks-examples/api.github.com/index.json

# ca_example EVENT ACTION JQ: the first published example of EVENT.ACTION,
# edited by JQ, in a file; its name on stdout.
ca_example() {
	local out
	out=$(mktemp "$TEST_TMP/ex.XXXXXX")
	jq -c --arg e "$1" --arg a "$2" \
	    "[.[] | select(.name == \$e) | .examples[] | select(.action == \$a)][0] | $3" \
	    "$CA_EXAMPLES" >"$out" || return 1
	[ -s "$out" ] && [ "$(cat "$out")" != null ] || return 1
	echo "$out"
}

# ca_causes ENTITY: the causes of the entity's trace, comma-separated.
ca_causes() {
	trace "/trace/entity/$1"
	printf '%s' "$BODY" | jq -r '[.diagnosis[].cause] | join(",")'
}

test_causes_examples_installed() {
	[ -s "$CA_EXAMPLES" ] || fail "run 'npm ci' in tests/ (@octokit/webhooks-examples)"
}

test_causes_from_auth_check_statuses() {
	db_reset
	ac_env
	ac_fake_start --answer 8101:401 --rate-limit 8102 --answer 8103:429 \
	    --answer 8104:503 --answer 8105:403
	ac_queue 800101 8101 Organization 9101 org-401 org-401/r
	ac_queue 800102 8102 Organization 9102 org-rl org-rl/r
	ac_queue 800103 8103 Organization 9103 org-429 org-429/r
	ac_queue 800104 8104 Organization 9104 org-503 org-503/r
	ac_queue 800105 8105 Organization 9105 org-403 org-403/r
	ac_run
	assert_eq bad_credentials "$(ca_causes 9101)" "401"
	trace /trace/entity/9101
	assert_json '.diagnosis[0].evidence | length' 1
	assert_eq rate_limited "$(ca_causes 9102)" "403 rate limit"
	assert_eq rate_limited "$(ca_causes 9103)" "429"
	assert_eq github_unavailable "$(ca_causes 9104)" "503"
	# A 403 that is no rate limit, with no suspend row: no cause.
	assert_eq "" "$(ca_causes 9105)" "plain 403"
}

test_causes_transport_failure_is_a_row() {
	db_reset
	ac_env
	ac_queue 800111 8111 Organization 9111 org-down org-down/r
	# Nothing listens there: GitHub unreachable.
	export GITHUB_API_URL=http://127.0.0.1:9
	ac_run
	assert_eq 1 "$RC" "exit status"
	assert_eq "auth_attempt.transport_error|auth_transport_error||org-down/r" \
	    "$(sql "SELECT event, outcome, payload->>'http_status', payload->'repository'->>'full_name' FROM installation_events WHERE source = 'scheduler'")" \
	    "the transport row"
	assert_eq pending "$(sql 'SELECT status FROM jobs WHERE job_id = 800111')" "job untouched"
	assert_eq github_unavailable "$(ca_causes 9111)" "transport"
	# Reached again and answering 201: cached, and a run logs no row.
	ac_fake_start
	ac_run
	assert_eq 0 "$RC" "exit status once reachable"
	assert_eq 1 "$(ac_scheduler_rows)" "no new row"
}

# The account of the examples: Octocoders (id 38302899) owns the renamed
# and transferred repository; octocat (id 1) is where it came from.
test_causes_repository_events() {
	local f
	db_reset
	ac_env
	ac_fake_start --answer 8121:404 --answer 8122:404
	# Renamed: the job still names the old full name.
	ac_queue 800121 8121 Organization 38302899 Octocoders Octocoders/Old-Name
	f=$(ca_example repository renamed '.changes.repository.name.from = "Old-Name"') ||
	    { fail "no repository.renamed example"; return; }
	deliver repository "$f"
	assert_status 200
	assert_json .outcome ok
	# Transferred away from octocat, whose job names octocat/Hello-World.
	ac_queue 800122 8122 User 1 octocat octocat/Hello-World
	f=$(ca_example repository transferred .) ||
	    { fail "no repository.transferred example"; return; }
	deliver repository "$f"
	assert_status 200
	ac_run
	assert_eq repo_renamed "$(ca_causes 38302899)" "renamed"
	trace /trace/entity/38302899
	assert_json '.diagnosis[0].evidence | length' 2
	assert_eq repo_transferred "$(ca_causes 1)" "transferred"
}

test_causes_plan_cancelled_until_purchased() {
	local f id
	db_reset
	f=$(ca_example marketplace_purchase cancelled .) ||
	    { fail "no marketplace_purchase.cancelled example"; return; }
	id=$(jq -r .marketplace_purchase.account.id "$f")
	deliver marketplace_purchase "$f"
	assert_status 200
	assert_json .outcome ok
	assert_eq plan_cancelled "$(ca_causes "$id")" "cancelled"
	# The published purchase is another account's: made this one's.
	f=$(ca_example marketplace_purchase purchased \
	    ".marketplace_purchase.account.id = $id")
	deliver marketplace_purchase "$f"
	assert_eq "" "$(ca_causes "$id")" "purchased again"
}

# repo_deleted, and no repository cause where the repository is not the
# failing one.  GitHub's published examples have no repository.deleted:
# the publicized one with its action set to deleted (the same repository
# object, which is what a deleted delivery carries).
test_causes_repository_deleted_and_healthy_neighbours() {
	local f
	db_reset
	ac_env
	ac_fake_start --answer 8131:404 --answer 8133:503
	ac_queue 800131 8131 User 21031067 Codertocat Codertocat/Hello-World
	f=$(ca_example repository publicized '.action = "deleted"') ||
	    { fail "no repository.publicized example"; return; }
	deliver repository "$f"
	assert_status 200
	assert_json .outcome ok
	# Octocoders renamed a repository and its jobs authenticate.
	ac_queue 800132 8132 Organization 38302899 Octocoders Octocoders/Old-Name
	f=$(ca_example repository renamed '.changes.repository.name.from = "Old-Name"')
	deliver repository "$f"
	assert_status 200
	# GitHub fails for an account that renamed another repository.
	ac_queue 800133 8133 Organization 9133 org-other org-other/r
	f=$(ca_example repository renamed '.repository.owner.id = 9133 |
	    .repository.owner.login = "org-other" | .repository.id = 1 |
	    .repository.full_name = "org-other/New" |
	    .changes.repository.name.from = "Old"')
	deliver repository "$f"
	assert_status 200
	ac_run
	assert_eq repo_deleted "$(ca_causes 21031067)" "deleted"
	trace /trace/entity/21031067
	assert_json '.diagnosis[0].evidence | length' 2
	assert_eq "" "$(ca_causes 38302899)" "renamed, and healthy"
	assert_eq github_unavailable "$(ca_causes 9133)" "another repository renamed"
}
