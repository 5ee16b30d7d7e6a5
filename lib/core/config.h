/* SPDX-License-Identifier: MIT */
/* Configuration from the environment, with NAME_FILE for every secret. */
#ifndef INSTLOG_CONFIG_H
#define INSTLOG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_BODY_DEFAULT (25u * 1024 * 1024)

/*
 * The bytes of large request bodies (over APP_BODY_SMALL) that one worker
 * reads at once, across its threads (INSTLOG_BODY_BUDGET); never below
 * max_body, so that the largest body allowed can always be read alone.
 */
#define CONFIG_BODY_BUDGET_DEFAULT (32u * 1024 * 1024)

/*
 * The auth check's requests in flight at once (INSTLOG_AUTH_PARALLEL).
 * 64, not 16: 1,000 installations at 50 ms each take 3.2 s at 16 and
 * 0.9 s at 64 (bench/RESULTS.md), and 64 stays under GitHub's limit of 100
 * concurrent requests.
 */
#define CONFIG_AUTH_PARALLEL_DEFAULT 64
#define CONFIG_AUTH_PARALLEL_MAX     256
/* Redeliveries asked per sweep (INSTLOG_REDELIVER_MAX). */
#define CONFIG_REDELIVER_MAX_DEFAULT 50
#define CONFIG_REDELIVER_MAX_MAX     1000
/* Pages of the delivery list read per app per sweep (..._PAGES). */
#define CONFIG_REDELIVER_PAGES_DEFAULT 50
#define CONFIG_REDELIVER_PAGES_MAX     1000
/* Days of operations kept (INSTLOG_OPERATIONS_RETENTION_DAYS). */
#define CONFIG_OPS_RETENTION_DEFAULT 30
#define CONFIG_OPS_RETENTION_MAX     3650
/*
 * notify's first retry comes this long after the first failure (then 2x,
 * 4x; INSTLOG_NOTIFY_BACKOFF_SECONDS).
 */
#define CONFIG_NOTIFY_BACKOFF_DEFAULT 60
#define CONFIG_NOTIFY_BACKOFF_MAX     3600
/*
 * Rows cron/snapshot folds per run at most (INSTLOG_SNAPSHOT_ROWS): a
 * 1,000,000-event history in one run, 25-40 s on 2 cores.
 */
#define CONFIG_SNAPSHOT_ROWS_DEFAULT 1000000
#define CONFIG_SNAPSHOT_ROWS_MAX     100000000
/* The webhook's concurrent group-commit writes (INSTLOG_WRITE_SLOTS). */
#define CONFIG_WRITE_SLOTS_MAX 8

/* A secret's bytes; 'buf' is NULL when unset.  Wiped on release. */
struct config_secret {
	unsigned char *buf;
	size_t len;
};

/* One GitHub App variant (the org app or the user app). */
struct config_app {
	int64_t id;     /* 0 when unset */
	char *key_file; /* path of the PEM private key, or NULL */
};

struct config {
	char *database_url;
	char *database_read_url; /* NULL: use database_url */
	struct config_secret trace_secret;
	struct config_secret trace_secret_prev;
	struct config_secret webhook_secret;
	struct config_secret webhook_secret_prev;
	char *github_api_url;
	struct config_app app_org;
	struct config_app app_user;
	char **runner_labels; /* NULL-terminated, may be empty */
	size_t nrunner_labels;
	size_t max_body;
	size_t body_budget; /* INSTLOG_BODY_BUDGET, at least max_body */
	char *spool_dir;    /* NULL: spooling disabled */
	char *metrics_file; /* NULL: nothing counted */
	/* INSTLOG_FOLD_CHECKPOINT_EVERY: rows between fold snapshots of
	 * the trace routes, at most 20000 (a page of lib/db/fold.c); 0
	 * disables them; default CKPT_EVERY_DEFAULT. */
	size_t fold_checkpoint_every;
	size_t auth_parallel;      /* CONFIG_USE_AUTH_CHECK */
	size_t redeliver_max;      /* CONFIG_USE_REDELIVER */
	size_t redeliver_pages;    /* CONFIG_USE_REDELIVER */
	size_t ops_retention_days; /* CONFIG_USE_MAINTENANCE */
	size_t notify_backoff;     /* CONFIG_USE_NOTIFY, seconds */
	/*
	 * CONFIG_USE_NOTIFY: the sinks, as set (NULL/empty when unset);
	 * cron/notify checks the URLs.
	 */
	char *notify_url;                   /* INSTLOG_NOTIFY_URL */
	char *public_url;                   /* INSTLOG_PUBLIC_URL */
	struct config_secret notify_secret; /* INSTLOG_NOTIFY_SECRET */
	struct config_secret slack_url;     /* INSTLOG_SLACK_WEBHOOK_URL */
	/* CONFIG_USE_WRITE_SLOTS: INSTLOG_WRITE_SLOTS, 1..8; 0: unset. */
	size_t write_slots;
	/* CONFIG_USE_WRITE_SLOTS: INSTLOG_DB_PREPARED, 0 or 1 (default). */
	size_t db_prepared;
	size_t snapshot_rows; /* CONFIG_USE_SNAPSHOT */
};

/*
 * What a program needs (CONFIG_NEED_*: loaded, and config_load() fails
 * without it) or uses (CONFIG_USE_*: loaded when set).  A secret or key
 * that no flag asks for is never read, so that each binary holds only
 * what it uses: the webhook not the trace token, the trace routes neither
 * the webhook secret nor the app keys.
 */
enum config_need {
	CONFIG_NEED_DB = 1 << 0,
	CONFIG_NEED_WEBHOOK_SECRET = 1 << 1, /* and its _PREVIOUS */
	CONFIG_NEED_APPS = 1 << 2,           /* the app ids and key files */
	CONFIG_USE_TRACE_SECRET = 1 << 3,    /* and its _PREVIOUS */
	CONFIG_USE_AUTH_CHECK = 1 << 4,      /* INSTLOG_AUTH_PARALLEL */
	CONFIG_USE_REDELIVER = 1 << 5,       /* INSTLOG_REDELIVER_MAX, _PAGES */
	CONFIG_USE_MAINTENANCE = 1 << 6,     /* ..._OPERATIONS_RETENTION_DAYS */
	CONFIG_USE_NOTIFY = 1 << 7,      /* INSTLOG_NOTIFY_BACKOFF_SECONDS */
	CONFIG_USE_WRITE_SLOTS = 1 << 8, /* ..._WRITE_SLOTS, ..._DB_PREPARED */
	CONFIG_USE_SNAPSHOT = 1 << 9,    /* INSTLOG_SNAPSHOT_ROWS */
};

/*
 * Read the configuration (docs/architecture.md#configuration) into *cfg.
 * 'need' is a mask of enum config_need; what it does not name stays
 * empty.  Each secret NAME may instead be
 * given as NAME_FILE, a path whose contents (less trailing newlines) are
 * the secret.  Returns 0; or -1 after logging one line naming the
 * offending variable.  Either way the caller releases *cfg with
 * config_release().
 */
int config_load(struct config *cfg, unsigned need);

/* Free everything in *cfg (NULL accepted), wiping secrets first. */
void config_release(struct config *cfg);

/*
 * Return true when 'label' is one of the configured runner labels, or
 * when none is configured (every job is ours).
 */
bool config_label_is_ours(const struct config *cfg, const char *label);

/*
 * Load the one secret 'name' from the environment, or from the file named
 * by name_FILE (trailing newlines removed), into *s.  Returns 0, with
 * s->buf NULL when neither is set; or -1 after logging one line (both
 * set, unreadable, empty or oversized file), with *s empty.  The caller
 * releases *s with config_secret_release(), which wipes it.
 */
int config_secret_load(const char *name, struct config_secret *s);

/* Wipe and free the secret 's' (NULL accepted) and make it empty. */
void config_secret_release(struct config_secret *s);

#endif
