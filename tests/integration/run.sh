#!/bin/bash
# SPDX-License-Identifier: MIT
# Integration tests: one real stack (PostgreSQL from initdb, every FastCGI
# binary, nginx with the real nginx/ config) and every tests/integration/
# test_*.sh against it.  Each test_* function runs in its own subshell.
# Prints "N passed, N failed"; exits non-zero on any failure.
# Usage: run.sh [FILE_PATTERN [FUNCTION_PATTERN]]

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/stack.sh"
. "$HERE/lib.sh"

[ -d "$FIXTURES" ] || { echo "integration: fixtures not found at $FIXTURES" >&2; exit 1; }

test_root it
export GITHUB_WEBHOOK_SECRET="it-secret-$RANDOM$RANDOM"
export GITHUB_WEBHOOK_SECRET_PREVIOUS="it-previous-$RANDOM$RANDOM"
export TRACE_API_SECRET="it-trace-$RANDOM$RANDOM"
export INSTLOG_SPOOL_DIR=$TEST_ROOT/spool
# Fold snapshots every 3 rows, not 256: every trace suite's small timelines
# are then folded from snapshots (tests/integration/test_checkpoint.sh).
export INSTLOG_FOLD_CHECKPOINT_EVERY=${INSTLOG_FOLD_CHECKPOINT_EVERY:-3}
# The stack's spool_replay loop: quick, so tests that spool see it drain.
export STACK_REPLAY_INTERVAL=${STACK_REPLAY_INTERVAL:-1}

stack_start "$TEST_ROOT/run" || { echo "integration: stack failed to start" >&2; exit 1; }
echo "integration: stack up at $INSTLOG_URL, database $DATABASE_URL"

passed=0
failed=0
failures=()
for file in "$HERE"/test_*.sh; do
	case "$(basename "$file")" in *${1:-}*) ;; *) continue ;; esac
	# Load the file's functions into a clean namespace per file (lib.sh's
	# test_root and test_root_cleanup, which the exit trap calls, stay).
	for fn in $(declare -F | awk '{print $3}' | grep '^test_' | grep -v '^test_root'); do unset -f "$fn"; done
	. "$file"
	for fn in $(declare -F | awk '{print $3}' | grep '^test_' | grep -v '^test_root'); do
		case "$fn" in *${2:-}*) ;; *) continue ;; esac
		rm -f "$TEST_TMP/failed"
		( "$fn" ) >"$TEST_TMP/out" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ] && [ ! -e "$TEST_TMP/failed" ]; then
			passed=$((passed + 1))
			echo "ok - $(basename "$file" .sh) $fn"
		else
			failed=$((failed + 1))
			failures+=("$fn")
			echo "not ok - $(basename "$file" .sh) $fn"
			[ "$rc" -eq 0 ] || echo "    exit status $rc"
			sed 's/^/    /' "$TEST_TMP/out" | tail -20
		fi
	done
done
echo
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
