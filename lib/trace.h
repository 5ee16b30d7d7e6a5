/* SPDX-License-Identifier: MIT */
/* The trace view: query parameters, timeline page, state and diagnosis. */
#ifndef INSTLOG_TRACE_H
#define INSTLOG_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "str.h"

#define TRACE_LIMIT_DEFAULT 500
#define TRACE_LIMIT_MAX	    5000

/* Validated query parameters of a list route.  Times are RFC 3339 UTC. */
struct trace_params {
	char	since[40];	/* "" when absent */
	char	until[40];
	char	at[40];
	char	event[72];	/* "" when absent */
	int64_t	limit;
	int64_t	cursor;		/* id of the last row of the previous page */
	bool	dedupe;
};

/*
 * Parse the RFC 3339 time 's' ("2026-11-24T10:00:00Z", with optional
 * fraction and a Z or +hh:mm offset; a date alone means its midnight UTC)
 * or a relative one ("30s", "15m", "1h", "7d", "2w": that long before
 * 'now') into 'out' as RFC 3339 UTC with microseconds.  Returns 0 or -1.
 */
int trace_time_parse(const char *s, time_t now, char *out, size_t size);

/*
 * Parse and validate the query string of a list route into *p: since,
 * until, at, event, limit (1..5000, default 500), cursor, dedupe (0 or
 * 1).  Returns 0; or -1 with a message naming the parameter in 'err'.
 */
int trace_params_parse(const char *query, time_t now, struct trace_params *p,
    char *err, size_t errlen);

/* One row of the timeline; its strings are borrowed from the page. */
struct trace_event {
	int64_t		 id;
	const char	*received_at;
	const char	*source;
	const char	*event;
	const char	*outcome;
	const char	*delivery_id;
	int64_t		 app_id;
	int64_t		 installation_id;
	const char	*entity_type;
	int64_t		 entity_id;
	const char	*entity_name;
	const char	*actor;
	int64_t		 job_id;	/* workflow_job.* rows only, else 0 */
	const char	*repo_full_name; /* workflow_job.* rows only */
	const char *request_id;          /* nginx's, of the delivery */
	int64_t operation_id;            /* the operation that wrote it, or 0 */
	int64_t redelivered_by;          /* the sweep that asked for it, or 0 */
};

/*
 * A page of the timeline.  The events' strings point into 'strings', one
 * allocation for the whole page.  Release with trace_page_release().
 */
struct trace_page {
	struct trace_event	*events;
	size_t			 nevents;
	int64_t			 next_cursor; /* 0: no next page */
	char			*strings;
};

/* Free what 'page' owns (NULL accepted). */
void trace_page_release(struct trace_page *page);

struct events_state;
struct events_diagnosis;

/*
 * Write the list response {"entity_id","entity_name","events",
 * "next_cursor","state","diagnosis"} for 'entity_id' into 'out'.  Returns
 * 0 or -1 (out of memory).
 */
int trace_write_list(struct buf *out, int64_t entity_id,
    const struct trace_page *page, const struct events_state *st,
    const struct events_diagnosis *dg, const char *at);

#endif
