/* SPDX-License-Identifier: MIT */
/*
 * The life of one cron run, shared by the cron programs: set-up
 * (configuration, app keys, GitHub client, database), the advisory lock,
 * the summary line and the exit statuses.
 */
#ifndef INSTLOG_CRONRUN_H
#define INSTLOG_CRONRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "apps.h"
#include "config.h"
#include "db.h"
#include "github.h"

/* The exit statuses of every cron program. */
enum cronrun_exit {
	CRONRUN_OK = 0,
	CRONRUN_FAILED = 1, /* a request or the database failed */
	CRONRUN_CONFIG = 2, /* bad configuration */
};

/* One run.  Zero it, then cronrun_init(); cronrun_release() at the end. */
struct cronrun {
	const char *name;
	struct config cfg;
	struct apps apps;             /* with CRONRUN_GITHUB */
	struct github_client *client; /* with CRONRUN_GITHUB */
	struct db *db;
	struct timespec start;
};

/*
 * Start run 'name' (the log prefix; "instlog-NAME" is the User-Agent and
 * the database application_name): load the configuration 'need' asks for
 * (config_load(); CONFIG_NEED_DB always), with CONFIG_NEED_APPS the app
 * keys and a GitHub client for GITHUB_API_URL, and make the database
 * handle (not connected yet).  Returns 0, or -1 after one line on stderr;
 * the caller exits with CRONRUN_CONFIG.  Either way the caller calls
 * cronrun_release().
 */
int cronrun_init(struct cronrun *r, const char *name, unsigned need);

/*
 * The whole main of a cron run that holds the advisory lock 'key':
 * cronrun_init() (bad configuration: CRONRUN_CONFIG), the lock without
 * waiting (held by another run: CRONRUN_OK quietly; the query failed:
 * CRONRUN_FAILED), then run(r, arg), which prints its summary with
 * cronrun_summary() and returns the exit status; cronrun_release().
 */
int cronrun_main(const char *name, unsigned need, int64_t key,
    int (*run)(struct cronrun *r, void *arg), void *arg);

/*
 * Print the summary line "NAME: TEXT ms=N" on stdout, N the milliseconds
 * since cronrun_init().
 */
void cronrun_summary(const struct cronrun *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Free what 'r' holds (NULL accepted). */
void cronrun_release(struct cronrun *r);

#endif
