/* SPDX-License-Identifier: MIT */
/* The trace view: query parameters, timeline page, state and diagnosis. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "http.h"
#include "str.h"
#include "trace.h"

/* Seconds from 1970 of 0001-01-01 and of 10000-01-01, PostgreSQL's
 * timestamptz covering both. */
#define TIME_MIN (-62135596800LL)
#define TIME_END (253402300800LL)

/*
 * Write 'secs' (within [TIME_MIN, TIME_END)) and 'usec' as RFC 3339 UTC
 * with a four-digit year.  Returns 0, or -1 when out of range.
 */
static int
format_utc(int64_t secs, long usec, char *out, size_t size)
{
	struct tm tm;
	time_t t = (time_t)secs;

	if (secs < TIME_MIN || secs >= TIME_END || gmtime_r(&t, &tm) == NULL)
		return -1;
	if (snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	        tm.tm_min, tm.tm_sec, usec) >= (int)size)
		return -1;
	return 0;
}

/* Days in month 'm' of year 'y'. */
static int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

int
trace_time_parse(const char *s, time_t now, char *out, size_t size)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	long usec = 0;
	int64_t secs, n;
	char unit;
	size_t len = strlen(s);

	/* Relative: digits and one unit letter. */
	if (len >= 2 && len < 12 && strchr("smhdw", s[len - 1]) != NULL) {
		char num[16];

		memcpy(num, s, len - 1);
		num[len - 1] = '\0';
		unit = s[len - 1];
		if (parse_int64(num, 0, 100000000, &n) == -1)
			return -1;
		n *= unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 :
		    unit == 'd' ? 86400 : 604800;
		return format_utc((int64_t)now - n, 0, out, size);
	}
	if (parse_digits(&p, 4, &y) == -1 || *p++ != '-' ||
	    parse_digits(&p, 2, &mo) == -1 || *p++ != '-' ||
	    parse_digits(&p, 2, &d) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		p++;
		if (parse_digits(&p, 2, &h) == -1 || *p++ != ':' ||
		    parse_digits(&p, 2, &mi) == -1 || *p++ != ':' ||
		    parse_digits(&p, 2, &sec) == -1)
			return -1;
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (*p == '.') {
			int nd = 0;

			p++;
			while (isdigit((unsigned char)*p)) {
				if (nd < 6) {
					usec = usec * 10 + (*p - '0');
					nd++;
				}
				p++;
			}
			if (nd == 0)
				return -1;
			while (nd++ < 6)
				usec *= 10;
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-' || *p == ' ') {
			/* ' ' is a '+' that the URL decoding turned. */
			int sign = *p == '-' ? -1 : 1;

			p++;
			if (parse_digits(&p, 2, &oh) == -1 || *p++ != ':' ||
			    parse_digits(&p, 2, &om) == -1 || oh > 23 || om > 59)
				return -1;
			oh *= sign;
			om *= sign;
		} else
			return -1;
		if (*p != '\0')
			return -1;
	}
	secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    (oh * 3600 + om * 60);
	return format_utc(secs, usec, out, size);
}

/* Fetch query parameter 'name' into 'v'.  Returns 1 present, 0 absent, -1. */
static int
param(const char *query, const char *name, char *v, size_t size, char *err,
    size_t errlen)
{
	int r = http_query_get(query, name, v, size);

	if (r == -1) {
		(void)snprintf(err, errlen, "%s: value too long or badly "
		    "encoded", name);
		return -1;
	}
	return r == 0 ? 1 : 0;
}

int
trace_params_parse(const char *query, time_t now, struct trace_params *p,
    char *err, size_t errlen)
{
	static const char *const times[] = { "since", "until", "at" };
	char v[128];
	int r;

	memset(p, 0, sizeof(*p));
	p->limit = TRACE_LIMIT_DEFAULT;
	for (size_t i = 0; i < 3; i++) {
		char *dst = i == 0 ? p->since : i == 1 ? p->until : p->at;

		if ((r = param(query, times[i], v, sizeof(v), err, errlen)) ==
		    -1)
			return -1;
		if (r == 1 && trace_time_parse(v, now, dst, sizeof(p->since)) ==
		    -1) {
			(void)snprintf(err, errlen, "%s: expected an RFC 3339 "
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
			(void)snprintf(err, errlen, "event: expected an event "
			    "name or prefix like 'installation'");
			return -1;
		}
		memcpy(p->event, v, n + 1);
	}
	if ((r = param(query, "limit", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1 && parse_int64(v, 1, TRACE_LIMIT_MAX, &p->limit) == -1) {
		(void)snprintf(err, errlen, "limit: expected an integer from 1 "
		    "to %d", TRACE_LIMIT_MAX);
		return -1;
	}
	if ((r = param(query, "cursor", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1 && parse_int64(v, 1, INT64_MAX, &p->cursor) == -1) {
		(void)snprintf(err, errlen, "cursor: expected the next_cursor "
		    "of a previous page");
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

/* "key": preceded by a comma unless 'first' (no printf: hot path). */
static int
put_key(struct buf *b, const char *key, bool first)
{
	if (buf_puts(b, first ? "\"" : ",\"") == -1 ||
	    buf_puts(b, key) == -1 || buf_append(b, "\":", 2) == -1)
		return -1;
	return 0;
}

/* ,"key":"value" or ,"key":null */
static int
put_str(struct buf *b, const char *key, const char *v, bool first)
{
	if (put_key(b, key, first) == -1)
		return -1;
	return v == NULL ? buf_puts(b, "null") : buf_put_json_string(b, v);
}

/* ,"key":123 or ,"key":null for 0 */
static int
put_id(struct buf *b, const char *key, int64_t v)
{
	if (put_key(b, key, false) == -1)
		return -1;
	return v == 0 ? buf_puts(b, "null") : buf_put_int64(b, v);
}

static int
put_event(struct buf *b, const struct trace_event *e)
{
	if (buf_puts(b, "{\"id\":") == -1 || buf_put_int64(b, e->id) == -1 ||
	    put_str(b, "received_at", e->received_at, false) == -1 ||
	    put_str(b, "source", e->source, false) == -1 ||
	    put_str(b, "event", e->event, false) == -1 ||
	    put_str(b, "outcome", e->outcome, false) == -1 ||
	    put_str(b, "delivery_id", e->delivery_id, false) == -1 ||
	    put_id(b, "app_id", e->app_id) == -1 ||
	    put_id(b, "installation_id", e->installation_id) == -1 ||
	    put_str(b, "entity_type", e->entity_type, false) == -1 ||
	    put_id(b, "entity_id", e->entity_id) == -1 ||
	    put_str(b, "entity_name", e->entity_name, false) == -1 ||
	    put_str(b, "actor", e->actor, false) == -1 ||
	    put_str(b, "request_id", e->request_id, false) == -1 ||
	    (e->operation_id != 0 &&
	        put_id(b, "operation_id", e->operation_id) == -1) ||
	    (e->redelivered_by != 0 &&
	        put_id(b, "redelivered_by", e->redelivered_by) == -1))
		return -1;
	if (e->event != NULL && has_prefix(e->event, "workflow_job.") &&
	    (put_id(b, "job_id", e->job_id) == -1 ||
	    put_str(b, "repo_full_name", e->repo_full_name, false) == -1))
		return -1;
	return buf_puts(b, "}");
}

static int
put_str_array(struct buf *b, char *const *v, size_t n)
{
	if (buf_puts(b, "[") == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && buf_puts(b, ",") == -1) ||
		    buf_put_json_string(b, v[i]) == -1)
			return -1;
	return buf_puts(b, "]");
}

static int
put_state(struct buf *b, const struct events_state *st, const char *at)
{
	const struct events_auth_failure *f = &st->last_auth_failure;

	if (buf_printf(b, "{\"installed\":%s,\"suspended\":%s",
		st->installed ? "true" : "false",
		st->suspended ? "true" : "false") == -1 ||
	    put_id(b, "installation_id", st->installation_id) == -1 ||
	    put_id(b, "app_id", st->app_id) == -1 ||
	    put_str(b, "repository_selection", st->repository_selection,
		false) == -1 ||
	    buf_puts(b, ",\"repositories\":") == -1 ||
	    put_str_array(b, st->repos, st->nrepos) == -1 ||
	    put_str(b, "entity_name", st->entity_name, false) == -1 ||
	    buf_puts(b, ",\"previous_names\":") == -1 ||
	    put_str_array(b, st->previous_names, st->nprevious_names) == -1 ||
	    put_str(b, "as_of", at != NULL && *at != '\0' ? at : NULL,
		false) == -1 ||
	    buf_puts(b, ",\"last_auth_failure\":") == -1)
		return -1;
	if (!f->present)
		return buf_puts(b, "null}");
	if (buf_printf(b, "{\"event_id\":%lld", (long long)f->id) == -1 ||
	    put_str(b, "at", f->at, false) == -1 ||
	    put_str(b, "event", f->is_404 ? "auth_attempt.404" :
		"auth_attempt.other_error", false) == -1 ||
	    put_id(b, "app_id", f->app_id) == -1 ||
	    put_id(b, "installation_id", f->installation_id) == -1 ||
	    buf_printf(b, ",\"http_status\":%d", f->http_status) == -1 ||
	    put_str(b, "repo", f->repo, false) == -1 ||
	    put_str(b, "entity_name", f->entity_name, false) == -1)
		return -1;
	return buf_puts(b, "}}");
}

static int
put_diagnosis(struct buf *b, const struct events_diagnosis *dg)
{
	if (buf_puts(b, "[") == -1)
		return -1;
	for (size_t i = 0; i < dg->nfindings; i++) {
		const struct events_finding *f = &dg->findings[i];

		if ((i > 0 && buf_puts(b, ",") == -1) ||
		    buf_puts(b, "{") == -1 ||
		    put_str(b, "cause", events_cause_name(f->cause), true) ==
			-1)
			return -1;
		if (put_str(b, "summary", f->summary, false) == -1 ||
		    buf_puts(b, ",\"evidence\":[") == -1)
			return -1;
		for (size_t j = 0; j < f->nevidence; j++)
			if (buf_printf(b, "%s%lld", j > 0 ? "," : "",
				(long long)f->evidence[j]) == -1)
				return -1;
		if (buf_puts(b, "]}") == -1)
			return -1;
	}
	return buf_puts(b, "]");
}

int
trace_write_list(struct buf *out, int64_t entity_id,
    const struct trace_page *page, const struct events_state *st,
    const struct events_diagnosis *dg, const char *at)
{
	const char *name = st->entity_name;

	if (name == NULL && page->nevents > 0)
		name = page->events[page->nevents - 1].entity_name;
	if (buf_printf(out, "{\"entity_id\":%lld", (long long)entity_id) ==
		-1 ||
	    put_str(out, "entity_name", name, false) == -1 ||
	    buf_puts(out, ",\"events\":[") == -1)
		return -1;
	for (size_t i = 0; i < page->nevents; i++)
		if ((i > 0 && buf_puts(out, ",") == -1) ||
		    put_event(out, &page->events[i]) == -1)
			return -1;
	if (buf_puts(out, "]") == -1)
		return -1;
	if (page->next_cursor == 0) {
		if (buf_puts(out, ",\"next_cursor\":null") == -1)
			return -1;
	} else if (buf_printf(out, ",\"next_cursor\":\"%lld\"",
		       (long long)page->next_cursor) == -1)
		return -1;
	if (buf_puts(out, ",\"state\":") == -1 || put_state(out, st, at) == -1 ||
	    buf_puts(out, ",\"diagnosis\":") == -1 ||
	    put_diagnosis(out, dg) == -1)
		return -1;
	return buf_puts(out, "}\n");
}
