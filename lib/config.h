/* SPDX-License-Identifier: MIT */
/* Configuration from the environment, with NAME_FILE for every secret. */
#ifndef INSTLOG_CONFIG_H
#define INSTLOG_CONFIG_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define CONFIG_MAX_BODY_DEFAULT (25u * 1024 * 1024)

/* A secret's bytes; 'buf' is NULL when unset.  Wiped on release. */
struct config_secret {
	unsigned char	*buf;
	size_t		 len;
};

/* One GitHub App variant (the org app or the user app). */
struct config_app {
	int64_t	 id;		/* 0 when unset */
	char	*key_file;	/* path of the PEM private key, or NULL */
};

struct config {
	char			*database_url;
	char			*database_read_url; /* NULL: use database_url */
	struct config_secret	 trace_secret;
	struct config_secret	 trace_secret_prev;
	struct config_secret	 webhook_secret;
	struct config_secret	 webhook_secret_prev;
	char			*github_api_url;
	struct config_app	 app_org;
	struct config_app	 app_user;
	char			**runner_labels; /* NULL-terminated, may be empty */
	size_t			 nrunner_labels;
	size_t			 max_body;
	char			*spool_dir; /* NULL: spooling disabled */
	char			*metrics_file; /* NULL: nothing counted */
};

/* What a program needs to be present; config_load() fails without it. */
enum config_need {
	CONFIG_NEED_DB = 1 << 0,
	CONFIG_NEED_WEBHOOK_SECRET = 1 << 1,
	CONFIG_NEED_APPS = 1 << 2,
};

/*
 * Read the configuration of DESIGN §7 from the environment into *cfg.
 * 'need' is a mask of enum config_need.  Each secret NAME may instead be
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
