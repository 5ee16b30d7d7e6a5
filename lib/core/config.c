/* SPDX-License-Identifier: MIT */
/* Configuration from the environment, with NAME_FILE for every secret. */
#include "core/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "core/checkpoint.h"
#include "core/log.h"
#include "core/str.h"

/* Secrets larger than this in a _FILE are refused as misconfiguration. */
#define SECRET_FILE_MAX (64 * 1024)

static char *
xstrdup_or_null(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/*
 * Read the file at 'path' into a fresh buffer, trailing CR/LF removed.
 * Returns 0 and sets *out, *outlen; -1 (logged) on error.
 */
static int
read_secret_file(const char *name, const char *path, unsigned char **out,
    size_t *outlen)
{
	FILE *f = NULL;
	struct buf b;
	char chunk[4096];
	size_t n;
	int rc = -1;

	buf_init(&b);
	if ((f = fopen(path, "r")) == NULL) {
		log_warnx("config: %s_FILE: cannot read '%s': %s", name, path,
		    strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > SECRET_FILE_MAX || buf_append(&b, chunk, n)) {
			log_warnx("config: %s_FILE: '%s' is too large", name,
			    path);
			goto out;
		}
	}
	if (ferror(f)) {
		log_warnx("config: %s_FILE: error reading '%s'", name, path);
		goto out;
	}
	while (
	    b.len > 0 && (b.buf[b.len - 1] == '\n' || b.buf[b.len - 1] == '\r'))
		b.len--;
	if (b.len == 0) {
		log_warnx("config: %s_FILE: '%s' is empty", name, path);
		goto out;
	}
	*out = (unsigned char *)b.buf;
	*outlen = b.len;
	b.buf = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(chunk, sizeof(chunk));
	buf_wipe(&b);
	if (f != NULL)
		(void)fclose(f);
	return rc;
}

/* Load secret NAME or NAME_FILE into *s.  Returns 0 (unset is fine) or -1. */
static int
load_secret(const char *name, struct config_secret *s)
{
	char fname[128];
	const char *val, *file;

	(void)snprintf(fname, sizeof(fname), "%s_FILE", name);
	val = getenv(name);
	file = getenv(fname);
	if (val != NULL && *val == '\0')
		val = NULL;
	if (file != NULL && *file == '\0')
		file = NULL;
	if (val != NULL && file != NULL) {
		log_warnx("config: set either %s or %s, not both", name, fname);
		return -1;
	}
	if (file != NULL)
		return read_secret_file(name, file, &s->buf, &s->len);
	if (val == NULL)
		return 0;
	s->len = strlen(val);
	if ((s->buf = malloc(s->len)) == NULL)
		return -1;
	memcpy(s->buf, val, s->len);
	return 0;
}

static void
secret_release(struct config_secret *s)
{
	if (s->buf != NULL) {
		OPENSSL_cleanse(s->buf, s->len);
		free(s->buf);
	}
	s->buf = NULL;
	s->len = 0;
}

/* Split the comma list 'list' into cfg->runner_labels.  Returns 0 or -1. */
static int
load_labels(struct config *cfg, const char *list)
{
	char *copy, *tok, *save = NULL;
	size_t n = 0;

	if (list == NULL || *list == '\0')
		return 0;
	if ((copy = strdup(list)) == NULL)
		return -1;
	for (const char *p = list; *p != '\0'; p++)
		if (*p == ',')
			n++;
	cfg->runner_labels = calloc(n + 2, sizeof(char *));
	if (cfg->runner_labels == NULL) {
		free(copy);
		return -1;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*tok == '\0')
			continue;
		if ((cfg->runner_labels[cfg->nrunner_labels] = strdup(tok)) ==
		    NULL) {
			free(copy);
			return -1;
		}
		cfg->nrunner_labels++;
	}
	free(copy);
	return 0;
}

/* Load one app variant from PREFIX_ID and PREFIX_PRIVATE_KEY_FILE. */
static int
load_app(const char *prefix, struct config_app *app)
{
	char idname[96], keyname[96];
	const char *id, *key;

	(void)snprintf(idname, sizeof(idname), "%s_ID", prefix);
	(void)snprintf(keyname, sizeof(keyname), "%s_PRIVATE_KEY_FILE", prefix);
	id = getenv(idname);
	key = getenv(keyname);
	if (id != NULL && *id != '\0' &&
	    parse_int64(id, 1, INT64_MAX, &app->id) == -1) {
		log_warnx("config: %s: not a positive integer: '%s'", idname,
		    id);
		return -1;
	}
	if (key != NULL && *key != '\0' &&
	    (app->key_file = strdup(key)) == NULL)
		return -1;
	if ((app->id == 0) != (app->key_file == NULL)) {
		log_warnx("config: set both %s and %s, or neither", idname,
		    keyname);
		return -1;
	}
	return 0;
}

/*
 * Read the integer variable 'name' in [min, max] into *out, 'dflt' when
 * unset or empty.  Returns 0, or -1 after one line naming it.
 */
static int
env_size(const char *name, int64_t min, int64_t max, size_t dflt, size_t *out)
{
	const char *v = getenv(name);
	int64_t n;

	*out = dflt;
	if (v == NULL || *v == '\0')
		return 0;
	if (parse_int64(v, min, max, &n) == -1) {
		log_warnx("config: %s: not an integer in %" PRId64 "..%" PRId64
		          ": '%s'",
		    name, min, max, v);
		return -1;
	}
	*out = (size_t)n;
	return 0;
}

/*
 * Copy the variable 'name' into *out when set and not empty (else NULL).
 * Returns 0, or -1 when out of memory.
 */
static int
env_string(const char *name, char **out)
{
	const char *v = getenv(name);

	*out = NULL;
	if (v == NULL || *v == '\0')
		return 0;
	return (*out = strdup(v)) == NULL ? -1 : 0;
}

/*
 * INSTLOG_METRICS_FILE, else "metrics" in the spool directory (which the
 * replayer ignores: it reads only *.delivery files), else none.  Returns
 * 0 or -1 when out of memory.
 */
static int
load_metrics_file(struct config *cfg)
{
	const char *v = getenv("INSTLOG_METRICS_FILE");
	struct buf b;

	if (v != NULL && *v != '\0') {
		cfg->metrics_file = xstrdup_or_null(v);
		return cfg->metrics_file == NULL ? -1 : 0;
	}
	if (cfg->spool_dir == NULL)
		return 0;
	buf_init(&b);
	if (buf_printf(&b, "%s/metrics", cfg->spool_dir) == -1)
		return -1;
	cfg->metrics_file = b.buf;
	return 0;
}

int
config_load(struct config *cfg, unsigned need)
{
	const char *v;
	int64_t n;

	memset(cfg, 0, sizeof(*cfg));
	cfg->max_body = CONFIG_MAX_BODY_DEFAULT;

	v = getenv("DATABASE_URL");
	if (v != NULL && *v != '\0' && (cfg->database_url = strdup(v)) == NULL)
		return -1;
	if ((need & CONFIG_NEED_DB) && cfg->database_url == NULL) {
		log_warnx("config: DATABASE_URL is not set");
		return -1;
	}
	v = getenv("DATABASE_READ_URL");
	if (v != NULL && *v != '\0' &&
	    (cfg->database_read_url = strdup(v)) == NULL)
		return -1;

	if ((need & CONFIG_USE_TRACE_SECRET) &&
	    (load_secret("TRACE_API_SECRET", &cfg->trace_secret) == -1 ||
	        load_secret("TRACE_API_SECRET_PREVIOUS",
	            &cfg->trace_secret_prev) == -1))
		return -1;
	if ((need & CONFIG_NEED_WEBHOOK_SECRET) &&
	    (load_secret("GITHUB_WEBHOOK_SECRET", &cfg->webhook_secret) == -1 ||
	        load_secret("GITHUB_WEBHOOK_SECRET_PREVIOUS",
	            &cfg->webhook_secret_prev) == -1))
		return -1;
	if ((need & CONFIG_NEED_WEBHOOK_SECRET) &&
	    cfg->webhook_secret.buf == NULL) {
		log_warnx("config: GITHUB_WEBHOOK_SECRET is not set");
		return -1;
	}

	v = getenv("GITHUB_API_URL");
	cfg->github_api_url =
	    strdup(v != NULL && *v != '\0' ? v : "https://api.github.com");
	if (cfg->github_api_url == NULL)
		return -1;
	n = (int64_t)strlen(cfg->github_api_url);
	while (n > 0 && cfg->github_api_url[n - 1] == '/')
		cfg->github_api_url[--n] = '\0';
	if (!has_prefix(cfg->github_api_url, "https://") &&
	    !has_prefix(cfg->github_api_url, "http://")) {
		log_warnx("config: GITHUB_API_URL: not an http(s) URL: '%s'",
		    cfg->github_api_url);
		return -1;
	}

	if ((need & CONFIG_NEED_APPS) &&
	    (load_app("GITHUB_APP_ORG", &cfg->app_org) == -1 ||
	        load_app("GITHUB_APP_USER", &cfg->app_user) == -1))
		return -1;
	if ((need & CONFIG_NEED_APPS) && cfg->app_org.id == 0 &&
	    cfg->app_user.id == 0) {
		log_warnx("config: neither GITHUB_APP_ORG_ID nor "
		          "GITHUB_APP_USER_ID is set");
		return -1;
	}

	if (load_labels(cfg, getenv("INSTLOG_RUNNER_LABELS")) == -1)
		return -1;

	v = getenv("INSTLOG_MAX_BODY");
	if (v != NULL && *v != '\0') {
		if (parse_int64(v, 1, 1024LL * 1024 * 1024, &n) == -1) {
			log_warnx("config: INSTLOG_MAX_BODY: not a size in "
			          "bytes (1..1073741824): '%s'",
			    v);
			return -1;
		}
		cfg->max_body = (size_t)n;
	}
	if (env_size("INSTLOG_BODY_BUDGET", 1, 16LL * 1024 * 1024 * 1024,
	        CONFIG_BODY_BUDGET_DEFAULT, &cfg->body_budget) == -1)
		return -1;
	if (cfg->body_budget < cfg->max_body)
		cfg->body_budget = cfg->max_body;
	v = getenv("INSTLOG_SPOOL_DIR");
	if (v != NULL && *v != '\0' &&
	    (cfg->spool_dir = xstrdup_or_null(v)) == NULL)
		return -1;
	if (load_metrics_file(cfg) == -1)
		return -1;
	cfg->fold_checkpoint_every = CKPT_EVERY_DEFAULT;
	v = getenv("INSTLOG_FOLD_CHECKPOINT_EVERY");
	if (v != NULL && *v != '\0') {
		if (parse_int64(v, 0, 20000, &n) == -1) {
			log_warnx(
			    "config: INSTLOG_FOLD_CHECKPOINT_EVERY: not a "
			    "row count (0..20000): '%s'",
			    v);
			return -1;
		}
		cfg->fold_checkpoint_every = (size_t)n;
	}
	if ((need & CONFIG_USE_AUTH_CHECK) &&
	    env_size("INSTLOG_AUTH_PARALLEL", 1, CONFIG_AUTH_PARALLEL_MAX,
	        CONFIG_AUTH_PARALLEL_DEFAULT, &cfg->auth_parallel) == -1)
		return -1;
	if ((need & CONFIG_USE_REDELIVER) &&
	    (env_size("INSTLOG_REDELIVER_MAX", 0, CONFIG_REDELIVER_MAX_MAX,
	         CONFIG_REDELIVER_MAX_DEFAULT, &cfg->redeliver_max) == -1 ||
	        env_size("INSTLOG_REDELIVER_PAGES", 1,
	            CONFIG_REDELIVER_PAGES_MAX, CONFIG_REDELIVER_PAGES_DEFAULT,
	            &cfg->redeliver_pages) == -1))
		return -1;
	if ((need & CONFIG_USE_MAINTENANCE) &&
	    env_size("INSTLOG_OPERATIONS_RETENTION_DAYS", 1,
	        CONFIG_OPS_RETENTION_MAX, CONFIG_OPS_RETENTION_DEFAULT,
	        &cfg->ops_retention_days) == -1)
		return -1;
	if ((need & CONFIG_USE_NOTIFY) &&
	    (env_string("INSTLOG_NOTIFY_URL", &cfg->notify_url) == -1 ||
	        env_string("INSTLOG_PUBLIC_URL", &cfg->public_url) == -1 ||
	        load_secret("INSTLOG_NOTIFY_SECRET", &cfg->notify_secret) ==
	            -1 ||
	        load_secret("INSTLOG_SLACK_WEBHOOK_URL", &cfg->slack_url) ==
	            -1))
		return -1;
	if ((need & CONFIG_USE_NOTIFY) &&
	    env_size("INSTLOG_NOTIFY_BACKOFF_SECONDS", 1,
	        CONFIG_NOTIFY_BACKOFF_MAX, CONFIG_NOTIFY_BACKOFF_DEFAULT,
	        &cfg->notify_backoff) == -1)
		return -1;
	if ((need & CONFIG_USE_WRITE_SLOTS) &&
	    (env_size("INSTLOG_WRITE_SLOTS", 1, CONFIG_WRITE_SLOTS_MAX, 0,
	         &cfg->write_slots) == -1 ||
	        env_size("INSTLOG_DB_PREPARED", 0, 1, 1, &cfg->db_prepared) ==
	            -1))
		return -1;
	if ((need & CONFIG_USE_SNAPSHOT) &&
	    env_size("INSTLOG_SNAPSHOT_ROWS", 1, CONFIG_SNAPSHOT_ROWS_MAX,
	        CONFIG_SNAPSHOT_ROWS_DEFAULT, &cfg->snapshot_rows) == -1)
		return -1;
	return 0;
}

void
config_release(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->database_url);
	free(cfg->database_read_url);
	secret_release(&cfg->trace_secret);
	secret_release(&cfg->trace_secret_prev);
	secret_release(&cfg->webhook_secret);
	secret_release(&cfg->webhook_secret_prev);
	free(cfg->github_api_url);
	free(cfg->app_org.key_file);
	free(cfg->app_user.key_file);
	for (size_t i = 0; i < cfg->nrunner_labels; i++)
		free(cfg->runner_labels[i]);
	free(cfg->runner_labels);
	free(cfg->spool_dir);
	free(cfg->metrics_file);
	free(cfg->notify_url);
	free(cfg->public_url);
	secret_release(&cfg->notify_secret);
	secret_release(&cfg->slack_url);
	memset(cfg, 0, sizeof(*cfg));
}

bool
config_label_is_ours(const struct config *cfg, const char *label)
{
	if (cfg->nrunner_labels == 0)
		return true;
	for (size_t i = 0; i < cfg->nrunner_labels; i++)
		if (strcasecmp(cfg->runner_labels[i], label) == 0)
			return true;
	return false;
}

int
config_secret_load(const char *name, struct config_secret *s)
{
	s->buf = NULL;
	s->len = 0;
	if (load_secret(name, s) == -1) {
		secret_release(s);
		return -1;
	}
	return 0;
}

void
config_secret_release(struct config_secret *s)
{
	if (s != NULL)
		secret_release(s);
}
