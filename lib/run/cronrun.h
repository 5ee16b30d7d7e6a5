/* SPDX-License-Identifier: MIT */
/*
 * The life of one cron run, shared by the cron programs: set-up
 * (configuration, app keys, GitHub client, database), the advisory lock,
 * the run's operation (docs/data-model.md#operations), the summary line
 * and the exit statuses.
 */
#ifndef INSTLOG_CRONRUN_H
#define INSTLOG_CRONRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/config.h"
#include "core/github_app.h"
#include "core/ops.h"
#include "core/str.h"
#include "db/db.h"
#include "net/github.h"
#include "net/metrics.h"

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
	struct github_apps apps;      /* with CRONRUN_GITHUB */
	struct github_client *client; /* with CRONRUN_GITHUB */
	struct db *db;
	int64_t start_ms;  /* clock_monotonic_ms() at the start */
	struct ops_run op; /* started by cronrun_main(), of type 'name' */
	struct buf input;  /* the operation's input (JSON), or empty */
	struct buf output; /* the operation's output (JSON), or empty */
	const char *what;  /* why the run failed when no step says */
	/* With def->counters and a counter file: the shared counters. */
	struct metrics *counters;
};

/* What one cron program is, for cronrun_main(). */
struct cronrun_def {
	const char *name; /* log prefix; "instlog-NAME" to GitHub, PostgreSQL */
	unsigned need;    /* a mask of enum config_need */
	int64_t key;      /* the advisory lock held for the run */
	/*
	 * After the configuration, before the lock (NULL: none): more set-up
	 * and the operation's input into r->input.  Returns 0, or -1 after
	 * one line on stderr (CRONRUN_CONFIG).
	 */
	int (*start)(struct cronrun *r, void *arg);
	/* The run itself, the lock held: prints its summary, exit status. */
	int (*run)(struct cronrun *r, void *arg);
	/*
	 * Map the counter file (cfg.metrics_file) as r->counters; none, or
	 * one that cannot be mapped (logged), counts nothing.
	 */
	bool counters;
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
 * The whole main of cron run 'def': cronrun_init() and def->start (bad
 * configuration: CRONRUN_CONFIG), with def->counters the counter file,
 * the advisory lock def->key without
 * waiting (held by another run: CRONRUN_OK quietly; the query failed:
 * CRONRUN_FAILED), the run's operation (cronrun_start() with r->input),
 * then def->run(r, arg), which prints its summary with cronrun_summary()
 * and returns the exit status; the operation's end (cronrun_finish()
 * with r->output and r->what); cronrun_release().
 */
int cronrun_main(const struct cronrun_def *def, void *arg);

/*
 * Start the run's operation r->op (type: the run's name; input: 'input',
 * JSON text or NULL), after marking the operations of its type still
 * running abandoned: they belong to runs that died, since the lock is
 * held by one run at a time and released with the dead run's connection.
 * When the operation cannot be recorded the run goes on without
 * (logged).  cronrun_main() calls it once it holds the lock.
 */
void cronrun_start(struct cronrun *r, const char *input);

/*
 * End the run's operation: 'completed', or 'failed' when a step failed
 * or 'rc' is not CRONRUN_OK (error "run: <what>", 'what' saying why when
 * no step did), with 'output' (JSON text or NULL).  Returns 'rc', or
 * CRONRUN_FAILED when the operation could not be stored.
 */
int cronrun_finish(struct cronrun *r, int rc, const char *output,
    const char *what);

/*
 * Set the operation's input (r->input) to {keys[i]: vals[i]}, the run's
 * knobs, from a def->start.  Returns 0, or -1 (logged) when out of memory.
 */
int cronrun_input_ints(struct cronrun *r, const char *const *keys,
    const int64_t *vals, size_t n);

/*
 * Print the summary line "NAME: TEXT ms=N" on stdout, N the milliseconds
 * since cronrun_init().
 */
void cronrun_summary(const struct cronrun *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Free what 'r' holds (NULL accepted). */
void cronrun_release(struct cronrun *r);

#endif
