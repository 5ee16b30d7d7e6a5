/* SPDX-License-Identifier: MIT */
/* The trace view: query parameters, timeline page, state and diagnosis. */
#include "core/trace.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/events.h"
#include "core/events_diagnose.h"
#include "core/json.h"
#include "core/outcome.h"
#include "core/query.h"
#include "core/str.h"
#include "core/utc.h"

/* Fetch query parameter 'name' into 'v'.  Returns 1 present, 0 absent, -1. */
static int
param(const char *query, const char *name, char *v, size_t size, char *err,
    size_t errlen)
{
	int r = query_get(query, name, v, size);

	if (r == -1) {
		(void)snprintf(err, errlen,
		    "%s: value too long or badly "
		    "encoded",
		    name);
		return -1;
	}
	return r == 0 ? 1 : 0;
}

int
trace_params_parse(const char *query, time_t now, struct trace_params *p,
    char *err, size_t errlen)
{
	static const char *const times[] = { "since", "until", "at" };
	struct utc_time t;
	char v[128];
	int r;

	memset(p, 0, sizeof(*p));
	p->limit = TRACE_LIMIT_DEFAULT;
	for (size_t i = 0; i < 3; i++) {
		char *dst = i == 0 ? p->since : i == 1 ? p->until : p->at;

		if ((r = param(query, times[i], v, sizeof(v), err, errlen)) ==
		    -1)
			return -1;
		if (r == 1 &&
		    (utc_parse(v, UTC_LENIENT | UTC_AGO, now, &t) == -1 ||
		        utc_format(t.secs, t.usec, UTC_MICROS, dst,
		            sizeof(p->since)) == -1)) {
			(void)snprintf(err, errlen,
			    "%s: expected an RFC 3339 "
			    "time or a relative one like 30m, 1h, 7d",
			    times[i]);
			return -1;
		}
	}
	if ((r = param(query, "event", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1) {
		size_t n = strlen(v);
		bool ok = n > 0 && n < sizeof(p->event);

		for (size_t i = 0; ok && i < n; i++)
			ok = isalnum((unsigned char)v[i]) || v[i] == '_' ||
			    v[i] == '.' || v[i] == '-';
		if (!ok) {
			(void)snprintf(err, errlen,
			    "event: expected an event "
			    "name or prefix like 'installation'");
			return -1;
		}
		memcpy(p->event, v, n + 1);
	}
	if ((r = param(query, "limit", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1 && parse_int64(v, 1, TRACE_LIMIT_MAX, &p->limit) == -1) {
		(void)snprintf(err, errlen,
		    "limit: expected an integer from 1 "
		    "to %d",
		    TRACE_LIMIT_MAX);
		return -1;
	}
	if ((r = param(query, "cursor", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1 && parse_int64(v, 1, INT64_MAX, &p->cursor) == -1) {
		(void)snprintf(err, errlen, "%s", TRACE_CURSOR_ERROR);
		return -1;
	}
	if ((r = param(query, "dedupe", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1) {
		if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0)
			p->dedupe = true;
		else if (strcmp(v, "0") != 0 && strcmp(v, "false") != 0) {
			(void)snprintf(err, errlen, "dedupe: expected 0 or 1");
			return -1;
		}
	}
	return 0;
}

void
trace_page_release(struct trace_page *page)
{
	if (page == NULL)
		return;
	free(page->strings);
	free(page->events);
	memset(page, 0, sizeof(*page));
}

/* "key": id, or null for 0 (no such id). */
static void
put_id(struct json_writer *w, const char *key, int64_t v)
{
	json_put_key(w, key);
	if (v == 0)
		json_put_null(w);
	else
		json_put_int(w, v);
}

static void
put_event(struct json_writer *w, const struct trace_event *e)
{
	json_open_object(w);
	json_member_int(w, "id", e->id);
	json_member_string(w, "received_at", e->received_at);
	json_member_string(w, "source", e->source);
	json_member_string(w, "event", e->event);
	json_member_string(w, "outcome", e->outcome);
	json_member_string(w, "delivery_id", e->delivery_id);
	put_id(w, "app_id", e->app_id);
	put_id(w, "installation_id", e->installation_id);
	json_member_string(w, "entity_type", e->entity_type);
	put_id(w, "entity_id", e->entity_id);
	json_member_string(w, "entity_name", e->entity_name);
	json_member_string(w, "actor", e->actor);
	json_member_string(w, "request_id", e->request_id);
	if (e->operation_id != 0)
		json_member_int(w, "operation_id", e->operation_id);
	if (e->redelivered_by != 0)
		json_member_int(w, "redelivered_by", e->redelivered_by);
	if (e->event != NULL && has_prefix(e->event, "workflow_job.")) {
		put_id(w, "job_id", e->job_id);
		json_member_string(w, "repo_full_name", e->repo_full_name);
	}
	json_close_object(w);
}

static void
put_str_array(struct json_writer *w, const char *key, char *const *v, size_t n)
{
	json_put_key(w, key);
	json_open_array(w);
	for (size_t i = 0; i < n; i++)
		json_put_string(w, v[i]);
	json_close_array(w);
}

static void
put_state(struct json_writer *w, const struct events_state *st, const char *at)
{
	const struct events_auth_failure *f = &st->last_auth_failure;

	json_open_object(w);
	json_put_key(w, "installed");
	json_put_bool(w, st->installed);
	json_put_key(w, "suspended");
	json_put_bool(w, st->suspended);
	put_id(w, "installation_id", st->installation_id);
	put_id(w, "app_id", st->app_id);
	json_member_string(w, "repository_selection", st->repository_selection);
	put_str_array(w, "repositories", st->repos, st->nrepos);
	json_member_string(w, "entity_name", st->entity_name);
	put_str_array(w, "previous_names", st->previous_names,
	    st->nprevious_names);
	json_member_string(w, "as_of", at != NULL && *at != '\0' ? at : NULL);
	json_put_key(w, "last_auth_failure");
	if (!f->present)
		json_put_null(w);
	else {
		json_open_object(w);
		json_member_int(w, "event_id", f->id);
		json_member_string(w, "at", f->at);
		json_member_string(w, "event",
		    outcome_event(f->is_404 ? OUTCOME_AUTH_404
		                            : OUTCOME_AUTH_OTHER_ERROR));
		put_id(w, "app_id", f->app_id);
		put_id(w, "installation_id", f->installation_id);
		json_member_int(w, "http_status", f->http_status);
		json_member_string(w, "repo", f->repo);
		json_member_string(w, "entity_name", f->entity_name);
		json_close_object(w);
	}
	json_close_object(w);
}

static void
put_diagnosis(struct json_writer *w, const struct events_diagnosis *dg)
{
	json_open_array(w);
	for (size_t i = 0; i < dg->nfindings; i++) {
		const struct events_finding *f = &dg->findings[i];

		json_open_object(w);
		json_member_string(w, "cause", events_cause_name(f->cause));
		json_member_string(w, "summary", f->summary);
		json_put_key(w, "evidence");
		json_open_array(w);
		for (size_t j = 0; j < f->nevidence; j++)
			json_put_int(w, f->evidence[j]);
		json_close_array(w);
		json_close_object(w);
	}
	json_close_array(w);
}

int
trace_write_event(struct buf *out, const struct trace_event *e)
{
	struct json_writer w;

	json_writer_init(&w, out);
	put_event(&w, e);
	return json_writer_finish(&w);
}

int
trace_write_list(struct buf *out, int64_t entity_id,
    const struct trace_page *page, const struct events_state *st,
    const struct events_diagnosis *dg, const char *at)
{
	struct json_writer w;
	const char *name = st->entity_name;
	char cursor[24];

	if (name == NULL && page->nevents > 0)
		name = page->events[page->nevents - 1].entity_name;
	json_writer_init(&w, out);
	json_open_object(&w);
	json_member_int(&w, "entity_id", entity_id);
	json_member_string(&w, "entity_name", name);
	json_put_key(&w, "events");
	json_open_array(&w);
	for (size_t i = 0; i < page->nevents; i++)
		put_event(&w, &page->events[i]);
	json_close_array(&w);
	/* A string: ids may pass 2^53, which JSON readers round. */
	(void)snprintf(cursor, sizeof(cursor), "%lld",
	    (long long)page->next_cursor);
	json_member_string(&w, "next_cursor",
	    page->next_cursor == 0 ? NULL : cursor);
	json_put_key(&w, "state");
	put_state(&w, st, at);
	json_put_key(&w, "diagnosis");
	put_diagnosis(&w, dg);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1)
		return -1;
	return buf_puts(out, "\n");
}

void
trace_payload_release(struct trace_payload *p)
{
	if (p == NULL)
		return;
	free(p->strings);
	memset(p, 0, sizeof(*p));
}

int
trace_write_payload(struct buf *out, const struct trace_payload *p)
{
	struct json_writer w;

	json_writer_init(&w, out);
	json_open_object(&w);
	json_member_int(&w, "id", p->id);
	json_member_string(&w, "event", p->event);
	json_member_string(&w, "received_at", p->received_at);
	json_put_key(&w, "payload");
	json_put_raw(&w, p->payload, strlen(p->payload));
	if (p->raw_body_base64 != NULL)
		json_member_string(&w, "raw_body_base64", p->raw_body_base64);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1)
		return -1;
	return buf_puts(out, "\n");
}
