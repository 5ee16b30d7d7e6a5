#!/bin/bash
# SPDX-License-Identifier: MIT
# The include direction of lib/ (README, "Source tour"): each folder is a
# layer and may include only the layers below it,
#   core  pure: strings, JSON, time, parsing, fold and diagnoses, ...
#   db    every query (returns rows and structs, never documents)   -> core
#   net   FastCGI serving, HTTP client, GitHub, spool, counters      -> core
#   run   route, cron and webhook lifecycles, ingest, group commit  -> all
# and every include of a lib/ header names its folder ("core/str.h").
# One more rule: no file under lib/db/ includes "core/json.h".  The
# database layer returns rows and structs; the routes and programs write
# every document with the one JSON writer (a jsonb column's text is handed
# up as a string, a list parameter goes as an array literal, db_array_add).
# Usage: check.sh [DIR]   (DIR: a tree with lib/, default this one)
#        check.sh --self-test   (a planted upward include must fail)
# Prints one line per offending include; exits 1 on any.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

allowed() {
	case $1 in
	core) echo "core" ;;
	db) echo "core db" ;;
	net) echo "core net" ;;
	run) echo "core db net run" ;;
	*) echo "" ;;
	esac
}

check() {
	local dir=$1 bad=0 f layer inc to name
	for f in "$dir"/lib/*/*.[ch]; do
		layer=$(basename "$(dirname "$f")")
		[ -n "$(allowed "$layer")" ] || { echo "layers: $f: no such layer '$layer'"; bad=1; continue; }
		while IFS= read -r inc; do
			name=${inc#*\"}
			name=${name%\"*}
			case $name in
			*/*) to=${name%%/*} ;;
			*)
				# A bare name of a lib header hides its layer.
				if ls "$dir"/lib/*/"$name" >/dev/null 2>&1; then
					echo "layers: ${f#"$dir"/}: '#include \"$name\"' must name its folder"
					bad=1
				fi
				continue
				;;
			esac
			[ -e "$dir/lib/$name" ] || { echo "layers: ${f#"$dir"/}: no lib/$name"; bad=1; continue; }
			if [ "$layer" = db ] && [ "$name" = core/json.h ]; then
				echo "layers: ${f#"$dir"/}: db may not include core/json.h (it returns rows, not documents)"
				bad=1
				continue
			fi
			case " $(allowed "$layer") " in
			*" $to "*) ;;
			*)
				echo "layers: ${f#"$dir"/}: $layer may not include $name (it points up or across)"
				bad=1
				;;
			esac
		done < <(grep -E '^#include "' "$f")
	done
	return $bad
}

if [ "${1:-}" = --self-test ]; then
	tmp=$(mktemp -d /tmp/instlog-layers.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	cp -r "$TOP/lib" "$tmp/lib"
	check "$tmp" >/dev/null || { echo "layers: self-test: the tree itself fails"; exit 1; }
	printf '#include "run/app.h"\n' >>"$tmp/lib/core/str.c"
	if check "$tmp" >"$tmp/out"; then
		echo "layers: self-test: a planted upward include passed"
		exit 1
	fi
	grep -q 'core may not include run/app.h' "$tmp/out" || { echo "layers: self-test: wrong line: $(cat "$tmp/out")"; exit 1; }
	sed -i '$d' "$tmp/lib/core/str.c"
	printf '#include "str.h"\n' >>"$tmp/lib/db/db.c"
	if check "$tmp" >"$tmp/out"; then
		echo "layers: self-test: a bare include passed"
		exit 1
	fi
	sed -i '$d' "$tmp/lib/db/db.c"
	printf '#include "core/json.h"\n' >>"$tmp/lib/db/db_ops.c"
	if check "$tmp" >"$tmp/out"; then
		echo "layers: self-test: core/json.h in lib/db passed"
		exit 1
	fi
	grep -q 'db may not include core/json.h' "$tmp/out" || { echo "layers: self-test: wrong line: $(cat "$tmp/out")"; exit 1; }
	echo "layers: self-test: 3 planted includes refused"
	exit 0
fi
check "${1:-$TOP}" || exit 1
echo "layers: every include points down"
