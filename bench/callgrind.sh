#!/bin/bash
# SPDX-License-Identifier: MIT
# CPU per delivery of the webhook worker, in instructions (callgrind): the
# count is repeatable on a shared machine where times are not.  One stack
# (tests/stack.sh) with the webhook and /healthz only, one webhook worker, under
# valgrind --tool=callgrind; N1 and then N2 signed deliveries through nginx
# (bench/loadgen, CONNS connections), the worker restarted for each;
# instructions per delivery = (Ir(N2) - Ir(N1)) / (N2 - N1), so that
# start-up and exit cancel out.
#
# Usage: bench/callgrind.sh [BIN_DIR]   (default build/bin; a "before" tree:
#   git archive COMMIT | tar -x -C /tmp/before && make -C /tmp/before all,
#   then bench/callgrind.sh /tmp/before/build/bin)
# Knobs: CG_N1 (default 1000), CG_N2 (3000), CG_CONNS (16), CG_KEEP,
# CG_FIXTURE (installation.suspend: a fixture's name; its event is the
# name's first part).  Prints
# "instructions_per_delivery=...".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/stack.sh"

FIXTURES=${FIXTURES:-$(cd "$TOP/.." && pwd)/shared/fixtures/github}
BIN=${1:-$TOP/build/bin}
N1=${CG_N1:-1000}
N2=${CG_N2:-3000}
CONNS=${CG_CONNS:-16}
FIXTURE=${CG_FIXTURE:-installation.suspend}
BODY=$FIXTURES/$FIXTURE.json
EVENT=${FIXTURE%%.*}
log() { printf 'callgrind: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

command -v valgrind >/dev/null || die "valgrind missing (apt-get install valgrind)"
make -s -C "$TOP" build/bench/loadgen >/dev/null || die "build failed"
DIR=$(mktemp -d /tmp/instlog-cg.XXXXXX)
trap 'stack_stop; rm -rf "$DIR"' EXIT
export GITHUB_WEBHOOK_SECRET="cg-$RANDOM$RANDOM"
export TRACE_API_SECRET="cg-trace-$RANDOM$RANDOM"
SIG=$(openssl dgst -sha256 -hmac "$GITHUB_WEBHOOK_SECRET" -r "$BODY" | cut -d' ' -f1)
STACK_ROUTES="webhook healthz" STACK_BIN=$BIN STACK_WORKERS_webhook=1 \
    stack_start "$DIR/run" >"$DIR/stack.log" 2>&1 ||
    { cat "$DIR/stack.log" "$DIR"/run/nginx-error.log >&2; die "stack failed"; }

# run N: the worker's instructions for N deliveries (plus start and exit).
run() {
	local n=$1 f l
	stack_route_stop webhook
	STACK_BIN=$BIN STACK_WORKERS_webhook=1 \
	    STACK_WRAPPER="valgrind --tool=callgrind --callgrind-out-file=$DIR/cg.$n.%p" \
	    stack_route_start webhook >>"$DIR/stack.log" 2>&1 || die "webhook did not start"
	l=$("$TOP/build/bench/loadgen" -u "$INSTLOG_URL/webhook" -b "$BODY" -g \
	    -c "$CONNS" -n "$n" -H "X-GitHub-Event: $EVENT" \
	    -H "X-GitHub-Hook-Installation-Target-ID: 29310" \
	    -H "X-Hub-Signature-256: sha256=$SIG")
	log "$n deliveries: $l"
	printf '%s\n' "$l" | grep -q ' non2xx=0 errors=0 ' ||
	    die "answers other than 2xx: $l"
	stack_route_stop webhook
	# The busiest process is the worker (the supervisor only waits).
	for f in "$DIR"/cg."$n".*; do
		sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f"
	done | sort -n | tail -1
}

i1=$(run "$N1")
i2=$(run "$N2")
# CG_KEEP=DIR keeps the callgrind files (callgrind_annotate them).
[ -n "${CG_KEEP:-}" ] && mkdir -p "$CG_KEEP" && cp "$DIR"/cg.* "$CG_KEEP"/
rows=$(psql "$DATABASE_URL" -X -q -At -c "SELECT count(*) FROM installation_events")
log "Ir: $N1 -> $i1, $N2 -> $i2; rows $rows"
[ "$rows" = $((N1 + N2)) ] || die "expected $((N1 + N2)) rows, found $rows"
echo "instructions_per_delivery=$(((i2 - i1) / (N2 - N1))) fixture=$FIXTURE conns=$CONNS bin=$BIN"
