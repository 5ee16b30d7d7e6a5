/* SPDX-License-Identifier: MIT */
/*
 * The fleet view (GET /trace/failing): its query parameters, one listed
 * account from its fold and diagnosis, and the JSON of a page.
 */
#ifndef INSTLOG_FLEET_H
#define INSTLOG_FLEET_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/events.h"
#include "core/events_diagnose.h"
#include "core/str.h"

#define FLEET_LIMIT_DEFAULT 100
#define FLEET_LIMIT_MAX     1000
/* The cause filter value of accounts no diagnosis explains. */
#define FLEET_CAUSE_UNKNOWN "unknown"

/* The parsed query of GET /trace/failing. */
struct fleet_params {
	char since[40]; /* RFC 3339 UTC with microseconds */
	/* The cause filter: "" for any, a cause name or "unknown". */
	char cause[32];
	int64_t limit;
	int64_t cursor; /* 0: the first page */
};

/*
 * Parse 'query' (NULL accepted) into *p: since (RFC 3339 or relative
 * like 30m, 24h, 7d; default 24h before 'now'), cause (a cause of
 * events_cause_name() or "unknown"), limit (1..FLEET_LIMIT_MAX, default
 * FLEET_LIMIT_DEFAULT), cursor (a positive integer).  Returns 0, or -1
 * with 'err' (size 'errlen') naming the bad parameter.
 */
int fleet_params_parse(const char *query, time_t now, struct fleet_params *p,
    char *err, size_t errlen);

/* One failing account as listed.  Strings are borrowed but 'summary'. */
struct fleet_item {
	int64_t entity_id;
	const char *entity_name;
	const char *entity_type;
	int64_t installation_id;
	const char *cause; /* static */
	char *summary;     /* owned */
	const char *first_failure_at;
	const char *last_failure_at;
	int64_t failures;
	int64_t evidence[EVENTS_EVIDENCE_MAX];
	size_t nevidence;
};

/*
 * Fill the cause, summary and evidence of 'it' from the fold 'st' and
 * diagnosis 'dg' of its account: the first finding, or "unknown" with the
 * last failure's status (or transport error) and that row as evidence.
 * Nothing of 'st' or 'dg' is retained.  Returns 0, or -1 when out of
 * memory.  Release with fleet_item_release().
 */
int fleet_item_diagnose(struct fleet_item *it, const struct events_state *st,
    const struct events_diagnosis *dg);

/* Free the summary of 'it' (NULL accepted). */
void fleet_item_release(struct fleet_item *it);

/*
 * Append the page {"data":[items],"next_cursor":N or null} to 'out'.
 * Returns 0, or -1 when out of memory.
 */
int fleet_write(struct buf *out, const struct fleet_item *items, size_t n,
    int64_t next_cursor);

#endif
