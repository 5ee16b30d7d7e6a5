#!/bin/bash
# SPDX-License-Identifier: MIT
# `make run` (tests/stack.sh run) on its own var directory: a port taken by
# another server stops it at once with nothing left running, and the
# secrets it generates are kept and reused by the next start.

# The environment `make run` sees on a fresh machine (no valgrind wrapper
# of `make check` either): env "${RUN_ENV[@]}".
RUN_ENV=(-u DATABASE_URL -u GITHUB_WEBHOOK_SECRET -u GITHUB_WEBHOOK_SECRET_PREVIOUS
    -u TRACE_API_SECRET -u INSTLOG_SPOOL_DIR -u PORT -u RUNDIR -u STACK_WRAPPER)

# ours VAR: processes of a stack started in VAR (binaries, nginx,
# PostgreSQL), one per line.
ours() {
	pgrep -af -- "$1/" | grep -v pgrep || true
}

test_make_run_port_taken_exits_at_once() {
	local port var=$TEST_TMP/var-taken other out rc
	port=$(stack_free_port)
	python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 &
	other=$!
	trap "kill $other 2>/dev/null" EXIT
	for _ in $(seq 1 100); do stack_port_is_taken "$port" && break; sleep 0.05; done
	out=$(env "${RUN_ENV[@]}" STACK_VAR="$var" INSTLOG_PORT="$port" \
	    timeout 120 bash "$TOP/tests/stack.sh" run 2>&1)
	rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "exit status $rc"
	assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "one line: $out"
	case $out in *"port $port"*INSTLOG_PORT*) ;; *) fail "message: $out" ;; esac
	case $out in *"instlog ready"*) fail "said ready: $out" ;; esac
	assert_eq "" "$(ours "$var")" "processes left"
	kill -0 "$other" 2>/dev/null || fail "the other server was disturbed"
}

# run_start VAR PORT LOG: start the stack in the background; waits for its
# "ready" line.  Sets RUN_PID.
run_start() {
	# env execs bash: RUN_PID is the stack's shell, as make's child is.
	env "${RUN_ENV[@]}" STACK_VAR="$1" INSTLOG_PORT="$2" \
	    bash "$TOP/tests/stack.sh" run >"$3" 2>&1 &
	RUN_PID=$!
	for _ in $(seq 1 1200); do
		grep -q '^instlog ready at' "$3" && return 0
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "no ready line: $(tail -5 "$3")"
	return 1
}

run_stop() {
	kill -TERM "$RUN_PID" 2>/dev/null
	wait "$RUN_PID" 2>/dev/null
}

test_make_run_reuses_generated_secrets() {
	local var=$TEST_TMP/var-secrets port log1=$TEST_TMP/run1.log log2=$TEST_TMP/run2.log
	local s1 s2 t1 t2
	port=$(stack_free_port)
	trap 'run_stop' EXIT
	run_start "$var" "$port" "$log1" || return
	s1=$(sed -n 's/^GITHUB_WEBHOOK_SECRET=//p' "$log1")
	t1=$(sed -n 's/^TRACE_API_SECRET=//p' "$log1")
	grep -q "generated GITHUB_WEBHOOK_SECRET into $var/github_webhook_secret" "$log1" || fail "first start: $(head -5 "$log1")"
	curl -s "http://127.0.0.1:$port/healthz" | jq -e '.service == "instlog"' >/dev/null || fail "not serving"
	run_stop
	assert_eq "" "$(ours "$var")" "processes left after the first run"
	assert_eq 600 "$(stat -c %a "$var/github_webhook_secret")" "secret file mode"
	assert_eq 600 "$(stat -c %a "$var/trace_api_secret")" "secret file mode"
	run_start "$var" "$port" "$log2" || return
	s2=$(sed -n 's/^GITHUB_WEBHOOK_SECRET=//p' "$log2")
	t2=$(sed -n 's/^TRACE_API_SECRET=//p' "$log2")
	[ ${#s1} = 40 ] || fail "no secret printed: '$s1'"
	assert_eq "$s1" "$s2" "webhook secret reused"
	assert_eq "$t1" "$t2" "trace secret reused"
	grep -q "using GITHUB_WEBHOOK_SECRET from $var/github_webhook_secret" "$log2" || fail "second start: $(head -5 "$log2")"
	# The reused secret signs a delivery the new stack accepts.
	INSTLOG_URL=http://127.0.0.1:$port GITHUB_WEBHOOK_SECRET=$s1 deliver ping "$(fixture ping)" run-reuse
	assert_status 200
	run_stop
	assert_eq "" "$(ours "$var")" "processes left after the second run"
}
