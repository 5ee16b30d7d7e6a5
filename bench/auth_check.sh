#!/bin/bash
# SPDX-License-Identifier: MIT
# Wall time of one auth_check run over many installations against
# fake_github with a fixed answer latency: a throwaway PostgreSQL (initdb),
# the migrations, N pending jobs on N installations (half Organization,
# half User), the cache emptied before every run.
#
# Usage: bench/auth_check.sh [INSTALLATIONS [LATENCY_MS [RUNS [PARALLEL...]]]]
#   defaults: 1000 installations, 50 ms, 3 runs per setting, and the
#   built-in default parallelism followed by 16 and 64.
# Prints one line per run: the setting, the wall time measured around the
# process, and auth_check's own summary line.
#
# BASE_BIN=path/to/another/auth_check runs that binary too, alternating
# with ours run by run on the same database (e.g. one built without the
# operation rows, to measure what they cost); its lines say bin=base.

set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-1000}
LATENCY=${2:-50}
RUNS=${3:-3}
shift $(($# < 3 ? $# : 3))
PARALLELS=("default" 16 64)
[ $# -gt 0 ] && PARALLELS=("$@")

. "$TOP/tests/stack.sh"
make -s -C "$TOP" all >/dev/null

BENCH=$(mktemp -d /tmp/instlog-bench.XXXXXX)
chmod 755 "$BENCH"
FAKE_PID=""
# Under set -e a failing step here would end the trap before PostgreSQL is
# stopped: every step is allowed to fail.
cleanup() {
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null || :
		wait "$FAKE_PID" 2>/dev/null || :
	fi
	stack_pg_stop || :
	rm -rf "$BENCH" || :
}
trap cleanup EXIT
trap 'exit 130' INT TERM

unset DATABASE_URL
stack_pg_start "$BENCH" >/dev/null
export DATABASE_URL=$STACK_DATABASE_URL
"$TOP/sql/migrate" "$DATABASE_URL" >/dev/null
sql() { psql "$DATABASE_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

for v in org user; do
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$BENCH/$v.pem" 2>/dev/null
	openssl pkey -in "$BENCH/$v.pem" -pubout -out "$BENCH/$v.pub"
done
export GITHUB_APP_ORG_ID=101 GITHUB_APP_ORG_PRIVATE_KEY_FILE=$BENCH/org.pem
export GITHUB_APP_USER_ID=202 GITHUB_APP_USER_PRIVATE_KEY_FILE=$BENCH/user.pem

"$TOP/build/tests/fake_github" --port 0 --log "$BENCH/fake.log" \
    --latency-ms "$LATENCY" --app "101:$BENCH/org.pub" \
    --app "202:$BENCH/user.pub" >"$BENCH/fake.out" 2>&1 &
FAKE_PID=$!
port=""
for _ in $(seq 1 100); do
	port=$(sed -n 's/^fake_github: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$BENCH/fake.out")
	[ -n "$port" ] && break
	sleep 0.05
done
[ -n "$port" ] || { echo "bench: fake_github did not start" >&2; exit 1; }
export GITHUB_API_URL=http://127.0.0.1:$port

sql "INSERT INTO jobs (job_id, status, entity_id, entity_type, entity_name,
	installation_id, app_id, repo_full_name)
     SELECT g, 'pending', 1000000 + g,
	CASE WHEN g % 2 = 0 THEN 'Organization' ELSE 'User' END,
	'acct' || g, 100000 + g, 29310, 'acct' || g || '/repo'
     FROM generate_series(1, $N) g" >/dev/null

echo "bench: auth_check, $N installations, fake_github --latency-ms $LATENCY, $RUNS runs per setting"
for p in "${PARALLELS[@]}"; do
	for r in $(seq 1 "$RUNS"); do
		for bin in ours ${BASE_BIN:+base}; do
			exe=$TOP/build/bin/auth_check
			[ "$bin" = base ] && exe=$BASE_BIN
			sql "TRUNCATE auth_cache" >/dev/null
			t0=$(date +%s%N)
			if [ "$p" = default ]; then
				out=$(env -u INSTLOG_AUTH_PARALLEL "$exe")
			else
				out=$(INSTLOG_AUTH_PARALLEL=$p "$exe")
			fi
			t1=$(date +%s%N)
			printf 'parallel=%s run=%d bin=%s wall_ms=%d  %s\n' "$p" \
			    "$r" "$bin" $(((t1 - t0) / 1000000)) "$out"
		done
	done
done
