/* SPDX-License-Identifier: MIT */
/*
 * The life of one cron run, shared by the cron programs: set-up
 * (configuration, app keys, GitHub client, database), the advisory lock,
 * the summary line and the exit statuses.
 */
#include "run/cronrun.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/str.h"
#include "db/db_ops.h"

int
cronrun_init(struct cronrun *r, const char *name, unsigned need)
{
	char agent[64];

	memset(r, 0, sizeof(*r));
	buf_init(&r->input);
	buf_init(&r->output);
	r->name = name;
	log_init(name);
	r->start_ms = clock_monotonic_ms();
	(void)snprintf(agent, sizeof(agent), "instlog-%s", name);
	/* "auth_check" is "instlog-auth-check" to GitHub and PostgreSQL. */
	for (char *p = agent; *p != '\0'; p++)
		if (*p == '_')
			*p = '-';
	if (config_load(&r->cfg, CONFIG_NEED_DB | need) == -1)
		return -1;
	if ((need & CONFIG_NEED_APPS) &&
	    (github_app_load(&r->apps, &r->cfg) == -1 ||
	        (r->client = github_client_new(r->cfg.github_api_url, agent)) ==
	            NULL))
		return -1;
	if ((r->db = db_new(r->cfg.database_url, agent)) == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	return 0;
}

int
cronrun_main(const struct cronrun_def *def, void *arg)
{
	struct cronrun r;
	bool got = false;
	int rc = CRONRUN_CONFIG;

	if (cronrun_init(&r, def->name, def->need) == -1 ||
	    (def->start != NULL && def->start(&r, arg) == -1))
		goto out;
	/* Counting is best effort: metrics_open() logged why not. */
	if (def->counters && r.cfg.metrics_file != NULL)
		r.counters = metrics_open(r.cfg.metrics_file);
	rc = CRONRUN_FAILED;
	if (db_lock_try(r.db, def->key, &got) != DB_OK)
		goto out;
	/* Without the lock another run is at work: end quietly. */
	rc = CRONRUN_OK;
	if (!got)
		goto out;
	cronrun_start(&r, r.input.len > 0 ? r.input.buf : NULL);
	rc = def->run(&r, arg);
	rc = cronrun_finish(&r, rc, r.output.len > 0 ? r.output.buf : NULL,
	    r.what != NULL ? r.what : "the database failed");
out:
	cronrun_release(&r);
	return rc;
}

void
cronrun_start(struct cronrun *r, const char *input)
{
	struct db_ops_origin origin;
	int64_t dead;

	memset(&origin, 0, sizeof(origin));
	origin.input = input;
	ops_init(&r->op, r->name, clock_wall_ms());
	if (db_ops_abandon(r->db, r->name, true, 0, &dead) == DB_OK && dead > 0)
		log_info("%lld earlier run(s) marked abandoned",
		    (long long)dead);
	if (db_ops_start(r->db, &r->op, &origin) != DB_OK)
		log_warnx("cannot record the operation: going on without");
}

int
cronrun_finish(struct cronrun *r, int rc, const char *output, const char *what)
{
	char error[160];
	const char *e = NULL;

	if (rc != CRONRUN_OK && !ops_has_failed(&r->op)) {
		(void)snprintf(error, sizeof(error), "run: %s",
		    what != NULL ? what : "failed");
		e = error;
	}
	if (db_ops_finish(r->db, &r->op, output, e) != DB_OK)
		return CRONRUN_FAILED;
	return rc;
}

int
cronrun_input_ints(struct cronrun *r, const char *const *keys,
    const int64_t *vals, size_t n)
{
	if (ops_json_ints(&r->input, keys, vals, n) == -1) {
		log_warnx("out of memory");
		return -1;
	}
	return 0;
}

void
cronrun_summary(const struct cronrun *r, const char *fmt, ...)
{
	va_list ap;
	long long ms = (long long)(clock_monotonic_ms() - r->start_ms);

	printf("%s: ", r->name);
	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
	printf(" ms=%lld\n", ms);
}

void
cronrun_release(struct cronrun *r)
{
	if (r == NULL)
		return;
	metrics_close(r->counters);
	ops_release(&r->op);
	buf_release(&r->input);
	buf_release(&r->output);
	db_free(r->db);
	github_client_free(r->client);
	github_app_release(&r->apps);
	config_release(&r->cfg);
	memset(r, 0, sizeof(*r));
}
