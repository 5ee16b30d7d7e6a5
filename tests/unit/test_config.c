/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/config: environment, _FILE secrets, bad values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"

static const char *const vars[] = { "DATABASE_URL", "DATABASE_READ_URL",
	"TRACE_API_SECRET", "TRACE_API_SECRET_FILE",
	"TRACE_API_SECRET_PREVIOUS", "TRACE_API_SECRET_PREVIOUS_FILE",
	"GITHUB_WEBHOOK_SECRET", "GITHUB_WEBHOOK_SECRET_FILE",
	"GITHUB_WEBHOOK_SECRET_PREVIOUS", "GITHUB_WEBHOOK_SECRET_PREVIOUS_FILE",
	"GITHUB_API_URL", "GITHUB_APP_ORG_ID",
	"GITHUB_APP_ORG_PRIVATE_KEY_FILE", "GITHUB_APP_USER_ID",
	"GITHUB_APP_USER_PRIVATE_KEY_FILE", "INSTLOG_RUNNER_LABELS",
	"INSTLOG_MAX_BODY", "INSTLOG_SPOOL_DIR", "GITHUB_TOKEN",
	"GITHUB_TOKEN_FILE", "INSTLOG_FOLD_CHECKPOINT_EVERY",
	"INSTLOG_METRICS_FILE", "INSTLOG_SNAPSHOT_ROWS" };

static int
clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	return 0;
}

static void
config_defaults(void **state)
{
	struct config cfg;

	(void)state;
	assert_int_equal(config_load(&cfg, 0), 0);
	assert_null(cfg.database_url);
	assert_string_equal(cfg.github_api_url, "https://api.github.com");
	assert_int_equal(cfg.max_body, 25 * 1024 * 1024);
	assert_int_equal(cfg.fold_checkpoint_every, 256);
	assert_int_equal(cfg.nrunner_labels, 0);
	assert_true(config_label_is_ours(&cfg, "anything"));
	assert_null(cfg.webhook_secret.buf);
	config_release(&cfg);
}

static void
config_required(void **state)
{
	struct config cfg;

	(void)state;
	assert_int_equal(config_load(&cfg, CONFIG_NEED_DB), -1);
	config_release(&cfg);
	setenv("DATABASE_URL", "postgresql:///x", 1);
	assert_int_equal(config_load(&cfg,
	                     CONFIG_NEED_DB | CONFIG_NEED_WEBHOOK_SECRET),
	    -1);
	config_release(&cfg);
	setenv("GITHUB_WEBHOOK_SECRET", "s", 1);
	assert_int_equal(config_load(&cfg,
	                     CONFIG_NEED_DB | CONFIG_NEED_WEBHOOK_SECRET),
	    0);
	assert_int_equal(cfg.webhook_secret.len, 1);
	config_release(&cfg);
	assert_int_equal(config_load(&cfg, CONFIG_NEED_APPS), -1);
	config_release(&cfg);
}

static void
config_secret_file(void **state)
{
	char path[] = "/tmp/instlog-test-secret.XXXXXX";
	struct config cfg;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "from-file\n", 10), 10);
	(void)close(fd);
	setenv("TRACE_API_SECRET_FILE", path, 1);
	assert_int_equal(config_load(&cfg, CONFIG_USE_TRACE_SECRET), 0);
	assert_int_equal(cfg.trace_secret.len, 9);
	assert_memory_equal(cfg.trace_secret.buf, "from-file", 9);
	config_release(&cfg);
	/* Both forms at once is ambiguous. */
	setenv("TRACE_API_SECRET", "x", 1);
	assert_int_equal(config_load(&cfg, CONFIG_USE_TRACE_SECRET), -1);
	config_release(&cfg);
	unsetenv("TRACE_API_SECRET");
	(void)unlink(path);
	/* A missing file is an error, not an unset secret. */
	assert_int_equal(config_load(&cfg, CONFIG_USE_TRACE_SECRET), -1);
	config_release(&cfg);
}

static void
config_one_secret(void **state)
{
	char path[] = "/tmp/instlog-test-secret.XXXXXX";
	struct config_secret s;
	int fd;

	(void)state;
	assert_int_equal(config_secret_load("GITHUB_TOKEN", &s), 0);
	assert_null(s.buf);
	assert_int_equal(s.len, 0);
	config_secret_release(&s);
	setenv("GITHUB_TOKEN", "", 1);
	assert_int_equal(config_secret_load("GITHUB_TOKEN", &s), 0);
	assert_null(s.buf);
	setenv("GITHUB_TOKEN", "tkn", 1);
	assert_int_equal(config_secret_load("GITHUB_TOKEN", &s), 0);
	assert_int_equal(s.len, 3);
	assert_memory_equal(s.buf, "tkn", 3);
	config_secret_release(&s);
	assert_null(s.buf);
	config_secret_release(NULL);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "from-file\r\n", 11), 11);
	(void)close(fd);
	setenv("GITHUB_TOKEN_FILE", path, 1);
	/* Both forms at once is ambiguous. */
	assert_int_equal(config_secret_load("GITHUB_TOKEN", &s), -1);
	assert_null(s.buf);
	unsetenv("GITHUB_TOKEN");
	assert_int_equal(config_secret_load("GITHUB_TOKEN", &s), 0);
	assert_int_equal(s.len, 9);
	assert_memory_equal(s.buf, "from-file", 9);
	config_secret_release(&s);
	(void)unlink(path);
	assert_int_equal(config_secret_load("GITHUB_TOKEN", &s), -1);
	assert_null(s.buf);
}

static void
config_bad_values(void **state)
{
	static const struct {
		const char *name, *value;
	} bad[] = {
		{ "INSTLOG_MAX_BODY", "0" }, { "INSTLOG_MAX_BODY", "12abc" },
		{ "INSTLOG_MAX_BODY", "-5" },
		{ "INSTLOG_MAX_BODY", "99999999999999999999" },
		{ "INSTLOG_FOLD_CHECKPOINT_EVERY", "-1" },
		{ "INSTLOG_FOLD_CHECKPOINT_EVERY", "ten" },
		{ "INSTLOG_FOLD_CHECKPOINT_EVERY", "20001" },
		{ "GITHUB_API_URL", "ftp://x" }, { "GITHUB_APP_ORG_ID", "abc" },
		{ "GITHUB_APP_ORG_ID", "12" }, /* without its key file */
	};
	struct config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(bad[i].name, bad[i].value, 1);
		assert_int_equal(config_load(&cfg, CONFIG_NEED_APPS), -1);
		config_release(&cfg);
		unsetenv(bad[i].name);
	}
}

static void
config_labels_and_url(void **state)
{
	struct config cfg;

	(void)state;
	setenv("INSTLOG_RUNNER_LABELS", " self-hosted, linux ,,x64", 1);
	setenv("GITHUB_API_URL", "http://127.0.0.1:9/api/", 1);
	setenv("INSTLOG_MAX_BODY", "1024", 1);
	setenv("INSTLOG_FOLD_CHECKPOINT_EVERY", "0", 1);
	assert_int_equal(config_load(&cfg, 0), 0);
	assert_int_equal(cfg.fold_checkpoint_every, 0);
	assert_int_equal(cfg.nrunner_labels, 3);
	assert_string_equal(cfg.runner_labels[0], "self-hosted");
	assert_string_equal(cfg.runner_labels[1], "linux");
	assert_string_equal(cfg.runner_labels[2], "x64");
	assert_true(config_label_is_ours(&cfg, "Linux"));
	assert_false(config_label_is_ours(&cfg, "ubuntu-latest"));
	assert_string_equal(cfg.github_api_url, "http://127.0.0.1:9/api");
	assert_int_equal(cfg.max_body, 1024);
	config_release(&cfg);
}

/* Is every byte of 's' unset? */
static bool
is_unset(const struct config_secret *s)
{
	return s->buf == NULL && s->len == 0;
}

/*
 * Each binary's mask loads what that binary uses and nothing else: a
 * secret it does not use is not read even when it is set, and a broken
 * _FILE of such a secret does not stop it.
 */
static void
config_loads_only_what_is_asked(void **state)
{
	static const unsigned webhook =
	    CONFIG_NEED_DB | CONFIG_NEED_WEBHOOK_SECRET;
	static const unsigned trace = CONFIG_NEED_DB | CONFIG_USE_TRACE_SECRET;
	/* Per binary: its mask and which of the three it must hold. */
	static const struct {
		unsigned mask;
		bool hook, trace, apps;
	} bins[] = {
		{ webhook, true, false, false }, /* webhook, replay */
		{ trace, false, true, false },   /* trace routes */
		{ CONFIG_NEED_DB | CONFIG_NEED_APPS, false, false, true },
		{ CONFIG_NEED_DB, false, false, false }, /* healthz */
	};
	struct config cfg;

	(void)state;
	setenv("DATABASE_URL", "postgresql:///x", 1);
	setenv("TRACE_API_SECRET", "trace", 1);
	setenv("TRACE_API_SECRET_PREVIOUS", "trace-prev", 1);
	setenv("GITHUB_WEBHOOK_SECRET", "hook", 1);
	setenv("GITHUB_WEBHOOK_SECRET_PREVIOUS", "hook-prev", 1);
	setenv("GITHUB_APP_ORG_ID", "12", 1);
	setenv("GITHUB_APP_ORG_PRIVATE_KEY_FILE", "/nonexistent/org.pem", 1);
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		assert_int_equal(config_load(&cfg, bins[i].mask), 0);
		assert_int_equal(cfg.webhook_secret.len, bins[i].hook ? 4 : 0);
		assert_int_equal(cfg.webhook_secret_prev.len,
		    bins[i].hook ? 9 : 0);
		assert_int_equal(is_unset(&cfg.webhook_secret), !bins[i].hook);
		assert_int_equal(cfg.trace_secret.len, bins[i].trace ? 5 : 0);
		assert_int_equal(cfg.trace_secret_prev.len,
		    bins[i].trace ? 10 : 0);
		assert_int_equal(is_unset(&cfg.trace_secret), !bins[i].trace);
		assert_int_equal(cfg.app_org.id, bins[i].apps ? 12 : 0);
		assert_int_equal(cfg.app_org.key_file != NULL, bins[i].apps);
		config_release(&cfg);
	}

	/* What a binary does not use cannot stop it from starting. */
	unsetenv("GITHUB_WEBHOOK_SECRET");
	setenv("GITHUB_WEBHOOK_SECRET_FILE", "/nonexistent/hook", 1);
	setenv("GITHUB_APP_USER_ID", "not-a-number", 1);
	assert_int_equal(config_load(&cfg, trace), 0);
	config_release(&cfg);
	unsetenv("TRACE_API_SECRET");
	setenv("TRACE_API_SECRET_FILE", "/nonexistent/trace", 1);
	unsetenv("GITHUB_WEBHOOK_SECRET_FILE");
	setenv("GITHUB_WEBHOOK_SECRET", "hook", 1);
	assert_int_equal(config_load(&cfg, webhook), 0);
	config_release(&cfg);
	assert_int_equal(config_load(&cfg, webhook | CONFIG_USE_TRACE_SECRET),
	    -1);
	config_release(&cfg);
}

/* The counter file: explicit, else in the spool directory, else none. */
static void
config_metrics_file(void **state)
{
	struct config cfg;

	(void)state;
	assert_int_equal(config_load(&cfg, 0), 0);
	assert_null(cfg.metrics_file);
	config_release(&cfg);
	setenv("INSTLOG_SPOOL_DIR", "/var/spool/instlog", 1);
	assert_int_equal(config_load(&cfg, 0), 0);
	assert_string_equal(cfg.metrics_file, "/var/spool/instlog/metrics");
	config_release(&cfg);
	setenv("INSTLOG_METRICS_FILE", "/run/instlog/metrics", 1);
	assert_int_equal(config_load(&cfg, 0), 0);
	assert_string_equal(cfg.metrics_file, "/run/instlog/metrics");
	config_release(&cfg);
}

/* cron/snapshot's rows per run: read only when asked for, in range. */
static void
config_snapshot_rows(void **state)
{
	static const char *const bad[] = { "0", "-1", "1e6", "100000001" };
	struct config cfg;

	(void)state;
	assert_int_equal(config_load(&cfg, CONFIG_USE_SNAPSHOT), 0);
	assert_int_equal(cfg.snapshot_rows, 1000000);
	config_release(&cfg);
	setenv("INSTLOG_SNAPSHOT_ROWS", "30000", 1);
	assert_int_equal(config_load(&cfg, CONFIG_USE_SNAPSHOT), 0);
	assert_int_equal(cfg.snapshot_rows, 30000);
	config_release(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("INSTLOG_SNAPSHOT_ROWS", bad[i], 1);
		assert_int_equal(config_load(&cfg, CONFIG_USE_SNAPSHOT), -1);
		config_release(&cfg);
		/* A program that does not fold ahead never reads it. */
		assert_int_equal(config_load(&cfg, 0), 0);
		assert_int_equal(cfg.snapshot_rows, 0);
		config_release(&cfg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(config_defaults, clear_env),
		cmocka_unit_test_setup(config_required, clear_env),
		cmocka_unit_test_setup(config_secret_file, clear_env),
		cmocka_unit_test_setup(config_one_secret, clear_env),
		cmocka_unit_test_setup(config_bad_values, clear_env),
		cmocka_unit_test_setup(config_labels_and_url, clear_env),
		cmocka_unit_test_setup(config_metrics_file, clear_env),
		cmocka_unit_test_setup(config_snapshot_rows, clear_env),
		cmocka_unit_test_setup(config_loads_only_what_is_asked,
		    clear_env),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
