#!/bin/bash
# SPDX-License-Identifier: MIT
# seed.sh FIXTURES CORPUS: write fuzz_delivery inputs built from GitHub's
# recorded deliveries into the (temporary) CORPUS directory.  The fixtures
# are read at run time and never copied into the repository.
set -eu
fixtures=$1 corpus=$2
mkdir -p "$corpus"
n=0
for f in "$fixtures"/*.json; do
	name=$(basename "$f" .json)
	event=${name%%.*}
	{ printf 'event: %s\ndelivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\n' "$event"
	  printf 'target-id: 29310\ntarget-type: integration\n\n'
	  cat "$f"; } >"$corpus/$name"
	n=$((n + 1))
done
# Runner labels, a trace query, a signature checked as given, no headers.
f=$fixtures/workflow_job.queued.json
if [ -f "$f" ]; then
	{ printf 'event: workflow_job\nlabels: 1\n\n'; cat "$f"; } >"$corpus/labels"
	n=$((n + 1))
fi
printf 'event: ping\nquery: since=7d&until=2026-11-24T10:00:00%%2B01:00&event=installation&limit=50&cursor=12&dedupe=1&at=1h\n\n{}' >"$corpus/query"
printf 'event: ping\nsignature: sha256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\n{}' >"$corpus/signature"
printf '{"action":"created","installation":{"id":1,"account":{"id":2,"login":"\\ud800"}}}' >"$corpus/bare"
echo "seed: $((n + 3)) inputs in $corpus"
