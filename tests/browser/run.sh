#!/bin/bash
# SPDX-License-Identifier: MIT
# Browser tests of the operator page (ui/): one real stack (tests/stack.sh,
# as the integration suite starts it), a few timelines seeded with signed
# deliveries of the real fixtures, then ui.test.mjs drives /ui/ in Debian's
# headless Chromium through playwright-core.
# Prints "browser: N passed, N failed"; exits non-zero on any failure.
# KEEP=1 keeps the temporary folder (screenshots, logs); UI_SCREENSHOT=PATH
# copies the laptop-width screenshot there (docs/ui.png for the README), and
# the fleet home's beside it as ui-fleet.png.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/stack.sh"
# acct, install, action, queue_job, auth_row: the trace suites' seeding
# helpers.
. "$TOP/tests/integration/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "browser: no $CHROMIUM (make deps)" >&2; exit 1; }
[ -d "$HERE/node_modules/playwright-core" ] ||
    { echo "browser: run make browser-deps first" >&2; exit 1; }
[ -d "$FIXTURES" ] ||
    { echo "browser: fixtures not found at $FIXTURES" >&2; exit 1; }

test_root browser
export GITHUB_WEBHOOK_SECRET="br-secret-$RANDOM$RANDOM"
export TRACE_API_SECRET="br-trace-$(openssl rand -hex 16)"
unset INSTLOG_SPOOL_DIR

stack_start "$TEST_ROOT/run" ||
    { echo "browser: stack failed to start" >&2; exit 1; }
echo "browser: stack up at $INSTLOG_URL"

# Operations, seeded first so that only these jobs are pending: an auth
# check run where installation I4 answers 404 (its pending job fails),
# then one that completes.  The failed run is the older one; the page
# lists it first all the same.
. "$TOP/tests/integration/test_auth_check.sh"
E4=8104 L4=ops-ui I4=9104 J4=9704 I5=9105 J5=9705
(
	ac_env
	ac_fake_start --answer "$I4:404"
	ac_queue $J4 $I4 User $E4 $L4 $L4/app
	ac_queue $J5 $I5 Organization 8105 ops-org ops-org/app
	ac_run
	ac_summary "checked=2 cached=0 ok=1 404=1 other=0 transport_errors=0"
	sql "UPDATE auth_cache SET ok_until = now() - interval '1 minute'" >/dev/null
	ac_run
	ac_summary "checked=1 cached=0 ok=1 404=0 other=0 transport_errors=0"
)
op_failed=$(sql "SELECT id FROM operations WHERE type = 'auth_check' AND status = 'failed'")
op_done=$(sql "SELECT max(id) FROM operations WHERE type = 'auth_check' AND status = 'completed'")

# The fleet (the page's home, /trace/failing), as test_failing.sh builds
# it: real auth-check runs against fake_github.  Two runs: fl-key's JWT
# refused (401) and fl-down's GitHub failing (503) both times; fl-busy
# rate-limited (429) in the second only; fl-back failing (503) then
# authenticated again, so it is not listed.  Seeded before the account
# below whose job must stay pending and unchecked; its runs are the newest
# operations.
FL_KEY=8301 FL_DOWN=8302 FL_BUSY=8303 FL_BACK=8304
(
	ac_env
	ac_fake_start --answer 9301:401 --answer 9302:503 --answer 9304:503
	ac_queue 930101 9301 Organization $FL_KEY fl-key fl-key/app
	ac_queue 930201 9302 Organization $FL_DOWN fl-down fl-down/app
	ac_queue 930401 9304 Organization $FL_BACK fl-back fl-back/app
	ac_run
	ac_summary "checked=3 cached=1 ok=0 404=0 other=3 transport_errors=0"
	kill "$AC_FAKE_PID"; wait "$AC_FAKE_PID" 2>/dev/null
	ac_fake_start --answer 9301:401 --answer 9302:503 --answer 9303:429
	ac_queue 930301 9303 Organization $FL_BUSY fl-busy fl-busy/app
	ac_run
	ac_summary "checked=4 cached=1 ok=1 404=0 other=3 transport_errors=0"
)

# An account whose app was uninstalled while a job waited: the diagnosis
# is `uninstalled`, with the deletion and the scheduler's 404 as evidence.
E=8101 L=octo-ui I=9101 J=9701
install $E $L $I
created=$LAST_ID
queue_job $E $L $I $J $L/app
job_row=$(printf '%s' "$BODY" | jq -r .id)
deleted_file=$(fixture_edit installation.deleted "$(acct $E $L $I)")
deliver installation "$deleted_file"
assert_status 200
deleted=$(printf '%s' "$BODY" | jq -r .id)
auth_row $E $L $I 29310 404 $L/app $J
a404=$LAST_ID
# An account whose login and sender are markup: the page must show them
# as text.
E2=8102 L2='<b>bold-login</b>' I2=9102
hostile_actor='<img src=x onerror=window.__pwned=1>'
action installation installation.created $E2 "$L2" $I2 \
    "| .sender.login = \"$hostile_actor\""
hostile=$LAST_ID
# An account renamed: its old login still finds it.
E3=8103 L3_old=old-name-ui L3_new=new-name-ui I3=9103
install $E3 $L3_old $I3
rename $E3 $L3_old $L3_new $I3
# Sent by the live tail's test once the page is open (not now).
live_file=$(fixture_edit installation.suspend "$(acct $E $L $I)")
[ -e "$TEST_TMP/failed" ] && { echo "browser: seeding failed" >&2; exit 1; }

jq -n --argjson E $E --arg L $L --argjson I $I --argjson J $J \
    --argjson created "$created" --argjson job_row "$job_row" \
    --argjson deleted "$deleted" --argjson a404 "$a404" \
    --arg deleted_file "$deleted_file" --argjson E2 $E2 --arg L2 "$L2" \
    --arg hostile_actor "$hostile_actor" --argjson hostile "$hostile" \
    --argjson E3 $E3 --arg L3_old $L3_old --arg L3_new $L3_new \
    --argjson I4 $I4 --argjson op_failed "$op_failed" \
    --argjson op_done "$op_done" --arg live_file "$live_file" \
    --argjson FL_KEY $FL_KEY --argjson FL_DOWN $FL_DOWN \
    --argjson FL_BUSY $FL_BUSY --argjson FL_BACK $FL_BACK \
    '$ARGS.named' >"$TEST_ROOT/seed.json"

BROWSER_SEED=$TEST_ROOT/seed.json BROWSER_OUT=$TEST_ROOT CHROMIUM=$CHROMIUM \
    node "$HERE/ui.test.mjs"
rc=$?
if [ -n "${KEEP:-}" ]; then
	echo "browser: screenshots kept in $TEST_ROOT"
else
	echo "browser: screenshots in $TEST_ROOT (removed at exit; KEEP=1 keeps them)"
fi
if [ -n "${UI_SCREENSHOT:-}" ] && [ -f "$TEST_ROOT/ui-laptop.png" ]; then
	cp "$TEST_ROOT/ui-laptop.png" "$UI_SCREENSHOT" &&
	    echo "browser: laptop screenshot copied to $UI_SCREENSHOT"
fi
# The fleet home's beside it (docs/ui-fleet.png).
if [ -n "${UI_SCREENSHOT:-}" ] && [ -f "$TEST_ROOT/ui-fleet.png" ]; then
	fleet_png=$(dirname "$UI_SCREENSHOT")/ui-fleet.png
	cp "$TEST_ROOT/ui-fleet.png" "$fleet_png" &&
	    echo "browser: fleet screenshot copied to $fleet_png"
fi
exit $rc
