/* SPDX-License-Identifier: MIT */
/*
 * The life of one cron run, shared by the cron programs: set-up
 * (configuration, app keys, GitHub client, database), the advisory lock,
 * the run's operation (DESIGN §9), the summary line and the exit
 * statuses.
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
#include "ops.h"

/* The exit statuses of every cron program. */
enum cronrun_exit {
	CRONRUN_OK = 0,
	CRONRUN_FAILED = 1, /* a request or the database failed */
	CRONRUN_CONFIG = 2, /* bad configuration */
};

/* What cronrun_init() sets up besides the configuration and database. */
enum cronrun_need {
	CRONRUN_GITHUB = 1 << 0, /* the app keys and a GitHub client */
};

/* One run.  Zero it, then cronrun_init(); cronrun_release() at the end. */
struct cronrun {
	const char *name;
	struct config cfg;
	struct apps apps;             /* with CRONRUN_GITHUB */
	struct github_client *client; /* with CRONRUN_GITHUB */
	struct db *db;
	struct timespec start;
	struct ops_run op; /* started by cronrun_lock(), of type 'name' */
};

/*
 * Start run 'name' (the log prefix; "instlog-NAME" is the User-Agent and
 * the database application_name): load the configuration (DATABASE_URL
 * and, with CRONRUN_GITHUB, the apps), the app keys and a GitHub client
 * for GITHUB_API_URL, and make the database handle (not connected yet).
 * Returns 0, or -1 after one line on stderr; the caller exits with
 * CRONRUN_CONFIG.  Either way the caller calls cronrun_release().
 */
int cronrun_init(struct cronrun *r, const char *name, unsigned need);

/*
 * Read the integer variable 'name' in [min, max] into *out, 'dflt' when
 * unset or empty.  Returns 0, or -1 after one line naming it.
 */
int cronrun_env_size(const char *name, int64_t min, int64_t max, size_t dflt,
    size_t *out);

/*
 * Try the advisory lock 'key' (db_lock_try()) without waiting.  Returns
 * CRONRUN_OK and sets *got, or CRONRUN_FAILED when the database failed
 * (logged).  A run that did not get the lock ends quietly: another one
 * is running.  A run that got it starts its operation r->op (type: the
 * run's name; input: 'input', JSON text or NULL), after marking the
 * operations of its type still running abandoned: they belong to runs
 * that died, since the lock is held by one run at a time and released
 * with the dead run's connection.  When the operation cannot be
 * recorded the run goes on without (logged).
 */
int cronrun_lock(struct cronrun *r, int64_t key, const char *input,
    bool *got);

/*
 * End the run's operation: 'completed', or 'failed' when a step failed
 * or 'rc' is not CRONRUN_OK (error "run: <what>", 'what' saying why when
 * no step did), with 'output' (JSON text or NULL).  Returns 'rc', or
 * CRONRUN_FAILED when the operation could not be stored.
 */
int cronrun_finish(struct cronrun *r, int rc, const char *output,
    const char *what);

/*
 * Print the summary line "NAME: TEXT ms=N" on stdout, N the milliseconds
 * since cronrun_init().
 */
void cronrun_summary(const struct cronrun *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Free what 'r' holds (NULL accepted). */
void cronrun_release(struct cronrun *r);

#endif
