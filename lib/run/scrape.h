/* SPDX-License-Identifier: MIT */
/* The /metrics page: instlog's state as Prometheus families. */
#ifndef INSTLOG_SCRAPE_H
#define INSTLOG_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/fleet.h"
#include "core/str.h"
#include "db/db_metrics.h"
#include "net/metrics.h"

/* What one scrape gathered; everything is borrowed. */
struct scrape {
	const struct metrics *counters; /* NULL: no counter file */
	bool spool_configured;
	int spool_files;      /* -1: unreadable */
	bool spool_more;      /* spool_files: a lower bound */
	int64_t spool_oldest; /* Unix time; 0: none */
	int64_t now;          /* Unix time */
	bool database_up;
	bool ops_known; /* the operations were read */
	const struct db_metrics_count *ops;
	size_t nops;
	const struct db_metrics_run *runs;
	size_t nruns;
	bool failing_known; /* the fleet's failing accounts were read */
	const struct fleet_item *failing;
	size_t nfailing;
	bool failing_more; /* more failing than those: a lower bound */
};

/*
 * Append the Prometheus text page of 's' to 'out' (families in a fixed
 * order, each contiguous).  Returns 0, or -1 (logged) when out of memory.
 */
int scrape_write(const struct scrape *s, struct buf *out);

#endif
