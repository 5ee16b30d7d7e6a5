/* SPDX-License-Identifier: MIT */
/* The fleet view: parameters, one account's line, the page's JSON. */
#include "core/fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/query.h"
#include "core/utc.h"

/* Fetch parameter 'name' into 'v'.  Returns 1 present, 0 absent, -1. */
static int
param(const char *query, const char *name, char *v, size_t size, char *err,
    size_t errlen)
{
	int r = query_get(query, name, v, size);

	if (r == -1) {
		(void)snprintf(err, errlen,
		    "%s: value too long or badly encoded", name);
		return -1;
	}
	return r == 0 ? 1 : 0;
}

/* True when 's' is a cause a listed account can have, or "unknown". */
static int
is_cause(const char *s)
{
	if (strcmp(s, FLEET_CAUSE_UNKNOWN) == 0)
		return 1;
	for (int c = 0; c < EVENTS_CAUSE__MAX; c++)
		if (c != EVENTS_CAUSE_RECOVERED &&
		    strcmp(s, events_cause_name((enum events_cause)c)) == 0)
			return 1;
	return 0;
}

int
fleet_params_parse(const char *query, time_t now, struct fleet_params *p,
    char *err, size_t errlen)
{
	struct utc_time t;
	char v[128];
	int r;

	memset(p, 0, sizeof(*p));
	p->limit = FLEET_LIMIT_DEFAULT;
	if ((r = param(query, "since", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 0)
		(void)snprintf(v, sizeof(v), "24h");
	if (utc_parse(v, UTC_LENIENT | UTC_AGO, now, &t) == -1 ||
	    utc_format(t.secs, t.usec, UTC_MICROS, p->since,
	        sizeof(p->since)) == -1) {
		(void)snprintf(err, errlen,
		    "since: expected an RFC 3339 time or a relative one like "
		    "30m, 1h, 7d");
		return -1;
	}
	if ((r = param(query, "cause", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1) {
		if (strlen(v) >= sizeof(p->cause) || !is_cause(v)) {
			(void)snprintf(err, errlen,
			    "cause: expected a cause like 'uninstalled' or "
			    "'unknown'");
			return -1;
		}
		(void)snprintf(p->cause, sizeof(p->cause), "%s", v);
	}
	if ((r = param(query, "limit", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1 && parse_int64(v, 1, FLEET_LIMIT_MAX, &p->limit) == -1) {
		(void)snprintf(err, errlen,
		    "limit: expected an integer from 1 to %d", FLEET_LIMIT_MAX);
		return -1;
	}
	if ((r = param(query, "cursor", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1 && parse_int64(v, 1, INT64_MAX, &p->cursor) == -1) {
		(void)snprintf(err, errlen,
		    "cursor: expected the next_cursor of a previous page");
		return -1;
	}
	return 0;
}

int
fleet_item_diagnose(struct fleet_item *it, const struct events_state *st,
    const struct events_diagnosis *dg)
{
	const struct events_auth_failure *f = &st->last_auth_failure;
	const struct events_finding *fd;
	struct buf b;

	it->summary = NULL;
	it->nevidence = 0;
	if (dg->nfindings > 0) {
		fd = &dg->findings[0];
		it->cause = events_cause_name(fd->cause);
		if ((it->summary = strdup(fd->summary)) == NULL)
			return -1;
		memcpy(it->evidence, fd->evidence, sizeof(it->evidence));
		it->nevidence = fd->nevidence;
		return 0;
	}
	it->cause = FLEET_CAUSE_UNKNOWN;
	buf_init(&b);
	if ((f->present && f->http_status == 0 && !f->is_404
	            ? buf_puts(&b, "auth fails: GitHub was not reached")
	            : buf_printf(&b, "auth fails with HTTP %d",
	                  f->present ? f->http_status : 0)) == -1 ||
	    (f->message != NULL &&
	        buf_printf(&b, " ('%.200s')", f->message) == -1)) {
		buf_release(&b);
		return -1;
	}
	it->summary = b.buf;
	if (f->present)
		it->evidence[it->nevidence++] = f->id;
	return 0;
}

void
fleet_item_release(struct fleet_item *it)
{
	if (it == NULL)
		return;
	free(it->summary);
	it->summary = NULL;
}

int
fleet_write(struct buf *out, const struct fleet_item *items, size_t n,
    int64_t next_cursor)
{
	struct json_writer w;

	json_writer_init(&w, out);
	json_open_object(&w);
	json_put_key(&w, "data");
	json_open_array(&w);
	for (size_t i = 0; i < n; i++) {
		const struct fleet_item *it = &items[i];

		json_open_object(&w);
		json_member_int(&w, "entity_id", it->entity_id);
		json_member_string(&w, "entity_name", it->entity_name);
		json_member_string(&w, "entity_type", it->entity_type);
		json_member_int(&w, "installation_id", it->installation_id);
		json_member_string(&w, "cause", it->cause);
		json_member_string(&w, "summary", it->summary);
		json_member_string(&w, "first_failure_at",
		    it->first_failure_at);
		json_member_string(&w, "last_failure_at", it->last_failure_at);
		json_member_int(&w, "failures", it->failures);
		json_put_key(&w, "evidence");
		json_open_array(&w);
		for (size_t j = 0; j < it->nevidence; j++)
			json_put_int(&w, it->evidence[j]);
		json_close_array(&w);
		json_close_object(&w);
	}
	json_close_array(&w);
	json_put_key(&w, "next_cursor");
	if (next_cursor > 0)
		json_put_int(&w, next_cursor);
	else
		json_put_null(&w);
	json_close_object(&w);
	return json_writer_finish(&w);
}
