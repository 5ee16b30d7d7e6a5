/* SPDX-License-Identifier: MIT */
/* The trace view: query parameters, timeline page, state and diagnosis. */
#ifndef INSTLOG_TRACE_H
#define INSTLOG_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/str.h"

/* The 400 message for a cursor that is no next_cursor of this entity. */
#define TRACE_CURSOR_ERROR "cursor: expected the next_cursor of a previous page"

#define TRACE_LIMIT_DEFAULT 500
#define TRACE_LIMIT_MAX     5000

/* Validated query parameters of a list route.  Times are RFC 3339 UTC. */
struct trace_params {
	char since[40]; /* "" when absent */
	char until[40];
	char at[40];
	char event[72]; /* "" when absent */
	int64_t limit;
	int64_t cursor; /* id of the last row of the previous page */
	bool dedupe;
};

/*
 * Parse and validate the query string of a list route into *p: since,
 * until, at (utc_parse() with UTC_LENIENT and UTC_AGO, relative to 'now';
 * kept as RFC 3339 UTC with microseconds), event, limit (1..5000, default
 * 500), cursor, dedupe (0 or 1).  Returns 0; or -1 with a message naming
 * the parameter in 'err'.
 */
int trace_params_parse(const char *query, time_t now, struct trace_params *p,
    char *err, size_t errlen);

/* One row of the timeline; its strings are borrowed from the page. */
struct trace_event {
	int64_t id;
	const char *received_at;
	const char *source;
	const char *event;
	const char *outcome;
	const char *delivery_id;
	int64_t app_id;
	int64_t installation_id;
	const char *entity_type;
	int64_t entity_id;
	const char *entity_name;
	const char *actor;
	int64_t job_id;             /* workflow_job.* rows only, else 0 */
	const char *repo_full_name; /* workflow_job.* rows only */
	const char *request_id;     /* nginx's, of the delivery */
	int64_t operation_id;       /* the operation that wrote it, or 0 */
	int64_t redelivered_by;     /* the sweep that asked for it, or 0 */
};

/*
 * A page of the timeline.  The events' strings point into 'strings', one
 * allocation for the whole page.  Release with trace_page_release().
 */
struct trace_page {
	struct trace_event *events;
	size_t nevents;
	int64_t next_cursor; /* 0: no next page */
	char *strings;
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

/*
 * Write one row of the timeline as the list shows it (an object, no
 * newline) into 'out'.  Returns 0 or -1 (out of memory).
 */
int trace_write_event(struct buf *out, const struct trace_event *e);

/* One event with its payload, as /trace/payload/{id} answers it. */
struct trace_payload {
	int64_t id;
	const char *event;
	const char *received_at;
	const char *payload;         /* the stored JSON, as text */
	const char *raw_body_base64; /* NULL: raw bytes not kept */
	char *strings;               /* where the strings above live */
};

/* Free what 'p' owns (NULL accepted). */
void trace_payload_release(struct trace_payload *p);

/*
 * Write the payload response {"id","event","received_at","payload"[,
 * "raw_body_base64"]} of 'p' into 'out'.  Returns 0 or -1 (out of memory).
 */
int trace_write_payload(struct buf *out, const struct trace_payload *p);

#endif
