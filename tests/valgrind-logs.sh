#!/bin/bash
# SPDX-License-Identifier: MIT
# valgrind-logs.sh DIR: fail unless the valgrind logs in DIR (one per
# process, from `make check-integration`) show no error and no definite
# leak.  A process killed by SIGKILL (the integration tests kill a worker
# on purpose) has no summary; its log still counts for any error in it.
set -u
dir=$1
logs=("$dir"/*.log)
[ -e "${logs[0]}" ] || { echo "valgrind: no logs in $dir" >&2; exit 1; }
bad=0 summaries=0
for f in "${logs[@]}"; do
	grep -q 'ERROR SUMMARY:' "$f" && summaries=$((summaries + 1))
	if grep -qE 'ERROR SUMMARY: [1-9]|Invalid (read|write|free)|uninitialised|Mismatched free|definitely lost in|overlap in memcpy|Syscall param' "$f"; then
		echo "valgrind: errors in $f:" >&2
		grep -E -A12 'Invalid|uninitialised|Mismatched|definitely lost in|overlap|Syscall param' "$f" | head -60 >&2
		bad=$((bad + 1))
	fi
done
echo "valgrind: ${#logs[@]} processes, $summaries with a summary, $bad with errors"
[ "$bad" -eq 0 ]
