/* SPDX-License-Identifier: MIT */
/* The /metrics page: instlog's state as Prometheus families. */
#include "run/scrape.h"

#include <stddef.h>
#include <string.h>

#include "core/events_diagnose.h"
#include "core/prom.h"

/* The label names of one counter table's two label values. */
struct cells {
	struct prom *p;
	const char *name;
	const char *row;
	const char *col;
};

static int
put_cell(const char *row, const char *col, uint64_t n, void *arg)
{
	const struct cells *c = arg;
	const struct prom_label l[] = { { c->row, row }, { c->col, col } };

	prom_sample_u64(c->p, c->name, l, 2, n);
	return 0;
}

/* One counter table as a family of counters with two labels. */
static void
put_table(struct prom *p, const struct scrape *s, enum metrics_table t,
    const char *name, const char *row, const char *col, const char *help)
{
	struct cells c = { p, name, row, col };

	prom_family(p, name, PROM_COUNTER, help);
	if (s->counters != NULL)
		(void)metrics_table_foreach(s->counters, t, put_cell, &c);
}

static void
put_counters(struct prom *p, const struct scrape *s)
{
	prom_family(p, "instlog_counters_up", PROM_GAUGE,
	    "1 when the shared counter file (INSTLOG_METRICS_FILE) is "
	    "mapped; 0: the *_total counters below are missing.");
	prom_sample_u64(p, "instlog_counters_up", NULL, 0, s->counters != NULL);
	put_table(p, s, METRICS_DELIVERIES, "instlog_deliveries_total", "event",
	    "outcome",
	    "Signed webhook deliveries by X-GitHub-Event and outcome "
	    "(spooled: kept for the replayer; unavailable: answered 503).");
	prom_family(p, "instlog_signature_failures_total", PROM_COUNTER,
	    "Webhook requests refused for a missing or wrong "
	    "X-Hub-Signature-256.");
	if (s->counters != NULL)
		prom_sample_u64(p, "instlog_signature_failures_total", NULL, 0,
		    metrics_counter(s->counters, METRICS_SIGNATURE_FAILURES));
	put_table(p, s, METRICS_NOTIFICATIONS, "instlog_notifications_total",
	    "sink", "result", "Notifications by sink and result.");
}

static void
put_spool(struct prom *p, const struct scrape *s)
{
	if (!s->spool_configured || s->spool_files < 0)
		return;
	prom_family(p, "instlog_spool_files", PROM_GAUGE,
	    "Deliveries waiting in the spool for the database.");
	prom_sample_u64(p, "instlog_spool_files", NULL, 0,
	    (uint64_t)s->spool_files);
	prom_family(p, "instlog_spool_scan_complete", PROM_GAUGE,
	    "0 when the spool held too many entries to look at all: "
	    "instlog_spool_files is then a lower bound.");
	prom_sample_u64(p, "instlog_spool_scan_complete", NULL, 0,
	    !s->spool_more);
	prom_family(p, "instlog_spool_oldest_seconds", PROM_GAUGE,
	    "Age of the oldest spooled delivery; 0 when the spool is empty.");
	prom_sample_u64(p, "instlog_spool_oldest_seconds", NULL, 0,
	    s->spool_oldest == 0 || s->spool_oldest > s->now
	        ? 0
	        : (uint64_t)(s->now - s->spool_oldest));
}

static void
put_operations(struct prom *p, const struct scrape *s)
{
	prom_family(p, "instlog_last_run_timestamp_seconds", PROM_GAUGE,
	    "When the last run of each operation type ended, completed or "
	    "failed (Unix time); a run found dead later does not count.");
	for (size_t i = 0; s->ops_known && i < s->nruns; i++) {
		const struct prom_label l[] = { { "type", s->runs[i].type } };

		prom_sample_f64(p, "instlog_last_run_timestamp_seconds", l, 1,
		    (double)s->runs[i].ended_ms / 1000.0);
	}
	prom_family(p, "instlog_operations", PROM_GAUGE,
	    "Operations by type and status over the retention window.");
	for (size_t i = 0; s->ops_known && i < s->nops; i++) {
		const struct prom_label l[] = { { "type", s->ops[i].type },
			{ "status", s->ops[i].status } };

		prom_sample_u64(p, "instlog_operations", l, 2,
		    (uint64_t)s->ops[i].count);
	}
}

/*
 * The fleet (DESIGN §12): failing accounts by cause, every cause a line
 * (0 included) so that a cause that clears reads 0, not absent.
 */
static void
put_failing(struct prom *p, const struct scrape *s)
{
	prom_family(p, "instlog_failing_installations", PROM_GAUGE,
	    "Accounts whose scheduler auth failed in the last 24 h and that "
	    "have not recovered, by cause (GET /trace/failing); at most "
	    "1000 are looked at.");
	for (int c = 0; s->failing_known && c <= EVENTS_CAUSE__MAX; c++) {
		const char *name = c == EVENTS_CAUSE__MAX
		    ? FLEET_CAUSE_UNKNOWN
		    : events_cause_name((enum events_cause)c);
		const struct prom_label l[] = { { "cause", name } };
		uint64_t n = 0;

		if (c == EVENTS_CAUSE_RECOVERED)
			continue;
		for (size_t i = 0; i < s->nfailing; i++)
			n += strcmp(s->failing[i].cause, name) == 0;
		prom_sample_u64(p, "instlog_failing_installations", l, 1, n);
	}
	prom_family(p, "instlog_failing_installations_complete", PROM_GAUGE,
	    "0 when more accounts fail than instlog_failing_installations "
	    "looked at (its counts are then lower bounds).");
	if (s->failing_known)
		prom_sample_u64(p, "instlog_failing_installations_complete",
		    NULL, 0, !s->failing_more);
}

int
scrape_write(const struct scrape *s, struct buf *out)
{
	struct prom p;

	prom_init(&p, out);
	put_counters(&p, s);
	put_spool(&p, s);
	prom_family(&p, "instlog_database_up", PROM_GAUGE,
	    "1 when PostgreSQL answered a trivial query within 2 s.");
	prom_sample_u64(&p, "instlog_database_up", NULL, 0, s->database_up);
	put_operations(&p, s);
	put_failing(&p, s);
	return prom_finish(&p);
}
