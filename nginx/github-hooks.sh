#!/bin/sh
# SPDX-License-Identifier: MIT
# Write an nginx include that lets only GitHub's webhook senders reach
# /webhook: the "hooks" ranges of GET https://api.github.com/meta, as
# "allow CIDR;" lines and a final "deny all;".  Nothing is hard-coded: run
# it from cron (daily) and at install.  The file is replaced atomically and
# nginx reloaded only when the list is well-formed, non-empty and nginx -t
# accepts it; on any failure the old file stays and the exit status is 1.
# Usage: github-hooks.sh [OUT]   (default /etc/nginx/instlog-github-hooks.conf)
# Environment: GITHUB_META_URL (default https://api.github.com/meta).
set -eu
out=${1:-/etc/nginx/instlog-github-hooks.conf}
url=${GITHUB_META_URL:-https://api.github.com/meta}
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
meta=$(curl -fsS --max-time 30 -H 'Accept: application/vnd.github+json' "$url") || {
	echo "github-hooks: cannot fetch $url" >&2; exit 1; }
ranges=$(printf '%s' "$meta" | jq -r '.hooks // [] | .[]') || {
	echo "github-hooks: $url: not the meta document" >&2; exit 1; }
[ -n "$ranges" ] || { echo "github-hooks: $url lists no hooks ranges" >&2; exit 1; }
{
	echo "# GitHub's webhook senders, from $url at $(date -u +%Y-%m-%dT%H:%M:%SZ)."
	for r in $ranges; do
		# IPv4 or IPv6 CIDR only: nothing else reaches the config.
		printf '%s\n' "$r" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$|^[0-9a-fA-F:]+/[0-9]{1,3}$' || {
			echo "github-hooks: not a CIDR range: '$r'" >&2; exit 1; }
		echo "allow $r;"
	done
	echo "deny all;"
} >"$tmp"
chmod 0644 "$tmp"
[ -f "$out" ] && cp -p "$out" "$out.old"
mv "$tmp" "$out"
trap - EXIT
[ -n "${GITHUB_HOOKS_NO_RELOAD:-}" ] && exit 0
if ! nginx -t -q; then
	echo "github-hooks: nginx -t refused the new list: the old one is back" >&2
	if [ -f "$out.old" ]; then mv "$out.old" "$out"; else rm -f "$out"; fi
	exit 1
fi
nginx -s reload
