# SPDX-License-Identifier: MIT
# instlog: plain GNU make.  `make run` and `make test` are the two entry points.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
BUILD   ?= build

PKGS    = libpq libcjson libcurl openssl fcgi
STD     = -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CSTD    = $(STD) -O2 -g
WARN    = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wold-style-definition -Wwrite-strings \
	  -Wpointer-arith -Wcast-qual -Wvla -Wundef \
	  -Wdeclaration-after-statement -fno-common
HARD    = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDHARD  = -pie -Wl,-z,relro,-z,now

ifeq ($(WERROR),1)
WARN   += -Werror
endif
# The sanitizer flags, for SANITIZE= and for the fuzzer's own link.
SANFLAGS = -fno-sanitize-recover=all -fno-omit-frame-pointer
ifneq ($(SANITIZE),)
CSTD    = $(STD) -g -O1
HARD    = -fsanitize=$(SANITIZE) $(SANFLAGS) -fPIE
LDHARD += -fsanitize=$(SANITIZE)
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CSTD) $(WARN) $(HARD) $(PKG_CFLAGS) -Ilib -MMD -MP -pthread
LDLIBS  += $(PKG_LIBS)
LDFLAGS += $(LDHARD) -pthread

LIB_SRC   = $(wildcard lib/*/*.c)
LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB       = $(BUILD)/libinstlog.a
# The CLI: cli/instlog-trace.c is its main, the other cli/*.c its modules
# (in an archive of their own, also linked into the unit tests).
CLI_MAIN  = cli/instlog-trace.c
CLI_SRC   = $(filter-out $(CLI_MAIN),$(wildcard cli/*.c))
CLI_LIB   = $(BUILD)/libinstlog-cli.a
PROG_SRC  = $(wildcard cgi-bin/*.c cron/*.c) $(CLI_MAIN)
PROGS     = $(foreach s,$(PROG_SRC),$(BUILD)/bin/$(notdir $(basename $(s))))
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNITS     = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
SUPP_SRC  = $(wildcard tests/support/*.c)
SUPPS     = $(SUPP_SRC:tests/support/%.c=$(BUILD)/tests/%)

# Debian 12 packages the build, `make run` and `make test` need (prometheus
# for promtool, which checks /metrics; on a host running systemd the package
# also enables a Prometheus server on :9090; pg_auto_failover for `make ha`).
DEB_PKGS = gcc make pkg-config libc6-dev libfcgi-dev libpq-dev libcjson-dev \
	   libcurl4-openssl-dev libssl-dev libcmocka-dev nginx-light \
	   postgresql postgresql-client curl jq openssl procps ca-certificates \
	   util-linux chromium prometheus python3 \
	   postgresql-15-auto-failover pg-auto-failover-cli

.PHONY: all deps run test unit integration browser browser-deps check layers \
	check-deps check-integration fuzz valgrind analyze format \
	format-check install clean bench
.DEFAULT_GOAL := all
.SECONDARY:

all: $(PROGS) $(UNITS) $(SUPPS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@$(AR) rcs $@ $^

$(CLI_LIB): $(CLI_SRC:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	@$(AR) rcs $@ $^

# The CLI's headers are for the CLI and its tests only.
$(BUILD)/cli/%.o $(BUILD)/tests/unit/%.o: CFLAGS += -Icli

define prog_rule
$(BUILD)/bin/$(notdir $(basename $(1))): $(BUILD)/$(basename $(1)).o \
    $(if $(filter cli/%,$(1)),$(CLI_LIB)) $(LIB)
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	@$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(PROG_SRC),$(eval $(call prog_rule,$(s))))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(CLI_LIB) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/tests/support/%.o $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# $(call apt_missing,TARGET,PACKAGES[,CHECKS]): install the Debian PACKAGES
# that are missing (as root), and nothing else; CHECKS are shell commands
# that add more names to $$missing; TARGET names the target in the message
# when not root.
define apt_missing
	@missing=""; for p in $(2); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q '^install ok installed' || missing="$$missing $$p"; done; \
	$(3) \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "$(1): run as root to install:$$missing" >&2; exit 1; fi; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq \
	        --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
endef

# Node.js and npm (the browser test's driver) count as present when the
# machine has them from anywhere; else Debian's.
NODE_CHECK = command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm";

deps:
	$(call apt_missing,deps,$(DEB_PKGS),$(NODE_CHECK))

run: deps
	@$(MAKE) --no-print-directory all
	@exec bash tests/stack.sh run

unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; \
	    INSTLOG_FIXTURES=$(FIXTURES) $$t; done

FIXTURES ?= $(abspath ../shared/fixtures/github)
export FIXTURES

# GitHub's published examples of the events the recorded fixtures lack
# (repository.*, marketplace_purchase.*: test_causes.sh), pinned by
# tests/package-lock.json and installed by `npm ci`.
PAYLOAD_MODS = tests/node_modules/.package-lock.json

$(PAYLOAD_MODS): tests/package.json tests/package-lock.json
	@echo "  NPM     tests"
	@cd tests && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

# trace_sql: test_trace.sh checks the plan of the exact SQL of a route.
integration: all $(BUILD)/bench/trace_sql $(PAYLOAD_MODS)
	@bash tests/integration/run.sh

# A database filled by PREV_MAIN (tests/upgrade/run.sh) migrates and
# traces the same under this tree.
.PHONY: upgrade
upgrade: all
	@bash tests/upgrade/run.sh

# Every answer of every route, and the CLI's output, byte for byte the
# same from COMPAT_BASE's binaries (tests/compat/run.sh) and this tree's,
# over one database.
.PHONY: compat
compat: all
	@bash tests/compat/run.sh

# instlog on a pg_auto_failover formation (a monitor, a primary and a
# synchronous secondary from Debian's packages, as the postgres user):
# planned and unplanned failovers under a sender (tests/ha/run.sh, about
# 2 minutes).  Without the packages it prints "ha: SKIPPED: ...".
.PHONY: ha
ha: all
	@bash tests/ha/run.sh

# The operator page in Debian's headless Chromium, driven by playwright-core
# (pinned by tests/browser/package-lock.json, installed by `npm ci`).
BROWSER_DIR  = tests/browser
BROWSER_MODS = $(BROWSER_DIR)/node_modules/.package-lock.json

$(BROWSER_MODS): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	@echo "  NPM     $(BROWSER_DIR)"
	@cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --loglevel=error \
	    >/dev/null
	@touch $@

browser-deps: $(BROWSER_MODS)

browser: all browser-deps
	@bash $(BROWSER_DIR)/run.sh

test: deps
	@$(MAKE) --no-print-directory layers
	@$(MAKE) --no-print-directory WERROR=1 all
	@$(MAKE) --no-print-directory WERROR=1 unit
	@$(MAKE) --no-print-directory WERROR=1 integration
	@$(MAKE) --no-print-directory WERROR=1 ha
	@$(MAKE) --no-print-directory WERROR=1 upgrade
	@$(MAKE) --no-print-directory WERROR=1 compat
	@$(MAKE) --no-print-directory WERROR=1 browser

# `make check`: the unit tests under ASan+UBSan (clang, in a build tree of
# their own), the integration suite once with every FastCGI binary and the
# spool replayer under valgrind, then FUZZ_SECONDS of libFuzzer.
CHECK_DEB_PKGS = clang libclang-rt-14-dev valgrind
FUZZ_SECONDS  ?= 60
FUZZ_BUILD     = build/fuzz
VALGRIND_LOGS  = build/valgrind
VALGRIND_RUN   = valgrind --leak-check=full --errors-for-leak-kinds=definite \
		 --show-leak-kinds=definite --num-callers=30 \
		 --log-file=$(abspath $(VALGRIND_LOGS))/%p.log

# lib/'s include direction (tests/layers/check.sh), and its own proof
# that a planted upward include fails.
layers:
	@bash tests/layers/check.sh
	@bash tests/layers/check.sh --self-test

check: deps check-deps layers
	@$(MAKE) --no-print-directory CC=clang SANITIZE=address,undefined \
	    BUILD=build/asan unit
	@$(MAKE) --no-print-directory check-integration
	@$(MAKE) --no-print-directory fuzz

# Installs what `make check` needs beyond `make deps` (as root).
check-deps:
	$(call apt_missing,check-deps,$(CHECK_DEB_PKGS))

# The integration suite with the binaries under valgrind (they fork their
# workers; one log per process), then no error and no definite leak in any
# log.
check-integration: all $(BUILD)/bench/trace_sql $(PAYLOAD_MODS)
	@rm -rf $(VALGRIND_LOGS) && mkdir -p $(VALGRIND_LOGS)
	@STACK_WRAPPER="$(VALGRIND_RUN)" bash tests/integration/run.sh
	@bash tests/valgrind-logs.sh $(VALGRIND_LOGS)

# libFuzzer over headers + body -> verify -> delivery_parse, the lib built
# with the sanitizers in a tree of its own, seeded from the fixtures into a
# temporary corpus.  Inputs that crashed land in $(FUZZ_BUILD)/artifacts/.
$(FUZZ_BUILD)/fuzz_delivery: tests/fuzz/fuzz_delivery.c $(LIB_SRC) \
    $(wildcard lib/*/*.h)
	@$(MAKE) --no-print-directory CC=clang \
	    SANITIZE=fuzzer-no-link,address,undefined BUILD=$(FUZZ_BUILD) \
	    $(FUZZ_BUILD)/libinstlog.a
	@echo "  LD      $@"
	@clang $(STD) -g -O1 $(WARN) -fsanitize=fuzzer,address,undefined \
	    $(SANFLAGS) $(PKG_CFLAGS) -Ilib -o $@ $< \
	    $(FUZZ_BUILD)/libinstlog.a $(PKG_LIBS)

fuzz: $(FUZZ_BUILD)/fuzz_delivery
	@corpus=$$(mktemp -d /tmp/instlog-fuzz.XXXXXX); \
	trap 'rm -rf "$$corpus"' EXIT; \
	bash tests/fuzz/seed.sh "$(FIXTURES)" "$$corpus" || exit 1; \
	mkdir -p $(FUZZ_BUILD)/artifacts; \
	echo "fuzz: $(FUZZ_SECONDS) s"; \
	$(FUZZ_BUILD)/fuzz_delivery -max_total_time=$(FUZZ_SECONDS) \
	    -timeout=10 -print_final_stats=1 -dict=tests/fuzz/delivery.dict \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/ "$$corpus" \
	    $(wildcard tests/fuzz/regressions) >$(FUZZ_BUILD)/fuzz.log 2>&1; \
	rc=$$?; \
	execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    $(FUZZ_BUILD)/fuzz.log); \
	if [ $$rc -ne 0 ]; then tail -40 $(FUZZ_BUILD)/fuzz.log; \
	    echo "fuzz: FAILED after $${execs:-?} executions; inputs in" \
	        "$(FUZZ_BUILD)/artifacts/"; exit 1; fi; \
	echo "fuzz: $$execs executions in $(FUZZ_SECONDS) s, no crash" | \
	    tee $(FUZZ_BUILD)/summary.txt

valgrind: all
	@set -e; for t in $(UNITS); do \
	    valgrind -q --leak-check=full --error-exitcode=1 \
	    --errors-for-leak-kinds=definite $$t; done

analyze:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --std=c11 -Ilib -Icli lib cgi-bin cron cli

# Every C file of the project, for format and format-check.
FORMAT_SRC = $(wildcard lib/*/*.[ch] cgi-bin/*.c cron/*.c cli/*.[ch] \
	     tests/unit/*.c tests/support/*.c tests/fuzz/*.c bench/*.c)

format:
	clang-format -i $(FORMAT_SRC)

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

# `make install` (PREFIX, DESTDIR, RUNDIR): the binaries, sql/, the operator
# page, the nginx snippet with RUNDIR and the page's folder filled in, the
# cron.d files and the systemd units.
BINDIR  = $(PREFIX)/bin
SHARE   = $(PREFIX)/share/instlog
UNITDIR ?= $(PREFIX)/lib/systemd/system
RUNDIR  ?= /run/instlog
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHARE)/sql \
	    $(DESTDIR)$(SHARE)/nginx $(DESTDIR)$(SHARE)/cron $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SHARE)/ui
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/
	install -m 0644 sql/*.sql $(DESTDIR)$(SHARE)/sql/
	install -m 0755 sql/migrate $(DESTDIR)$(SHARE)/sql/
	install -m 0644 ui/index.html ui/app.js ui/style.css $(DESTDIR)$(SHARE)/ui/
	sed -e 's|@RUNDIR@|$(RUNDIR)|g' -e 's|@UIDIR@|$(SHARE)/ui|g' \
	    nginx/instlog.conf >$(DESTDIR)$(SHARE)/nginx/instlog.conf
	install -m 0644 nginx/fastcgi.conf $(DESTDIR)$(SHARE)/nginx/
	# cron.d ignores names with a dot: instlog.cron becomes "instlog",
	# maintenance.cron "instlog-maintenance", and so on.
	for f in cron/*.cron; do [ -e "$$f" ] || continue; \
	    n=$$(basename $$f .cron | tr _ -); \
	    case $$n in instlog*) ;; *) n=instlog-$$n ;; esac; \
	    sed 's|/usr/local/bin|$(BINDIR)|g' $$f \
	    >$(DESTDIR)$(SHARE)/cron/$$n; done
	install -m 0644 cron/instlog.env.example $(DESTDIR)$(SHARE)/cron/
	for f in cgi-bin/*.service cgi-bin/*.socket; do \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@RUNDIR@|$(RUNDIR)|g' $$f \
	    >$(DESTDIR)$(UNITDIR)/$$(basename $$f); done
	# The routes' own drop-ins: the webhook's two workers of 16 threads,
	# the stream binaries' one worker (INSTLOG_STREAMS is per worker).
	for f in cgi-bin/instlog@*.service.d/*.conf; do \
	    d=$$(dirname "$$f"); d=$${d#cgi-bin/}; \
	    install -d "$(DESTDIR)$(UNITDIR)/$$d" && \
	    sed 's|@BINDIR@|$(BINDIR)|g' "$$f" \
	    >"$(DESTDIR)$(UNITDIR)/$$d/$$(basename "$$f")" || exit 1; done

# `make bench`: bench/run.sh (installs wrk and fcgiwrap if missing, npm ci
# of bench/peer; about 12 minutes plus waiting for a quiet machine; see
# bench/RESULTS.md).  Its two
# helpers build here.
BENCH_TOOLS = $(BUILD)/bench/loadgen $(BUILD)/bench/trace_sql

$(BUILD)/bench/loadgen: bench/loadgen.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CSTD) $(WARN) -o $@ $<

# Prints the exact SQL the trace routes run, from lib/db/db_trace_sql.h and
# lib/db/db_checkpoint_sql.h.
$(BUILD)/bench/trace_sql: bench/trace_sql.c lib/db/db_trace_sql.h \
    lib/db/db_checkpoint_sql.h lib/core/checkpoint.h lib/core/events.h
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CSTD) $(WARN) -Ilib -o $@ $<

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_TOOLS)
	@bash bench/run.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
