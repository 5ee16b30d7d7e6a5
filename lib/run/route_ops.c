/* SPDX-License-Identifier: MIT */
/* The operations routes' views: GET /operations and /operations/{id}. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "core/log.h"
#include "core/ops.h"
#include "core/query.h"
#include "core/str.h"
#include "core/utc.h"
#include "db/db_ops.h"
#include "net/http.h"
#include "run/route.h"

/*
 * Read query parameter 'name' into 'v'.  Returns 1 present, 0 absent, or
 * -1 with a message in 'err'.
 */
static int
param(const char *query, const char *name, char *v, size_t size, char *err,
    size_t errlen)
{
	int r = query_get(query, name, v, size);

	if (r == -1)
		(void)snprintf(err, errlen,
		    "%s: value too long or badly "
		    "encoded",
		    name);
	return r == -1 ? -1 : r == 0 ? 1 : 0;
}

/* Whether 's' is a type name: 1..31 of [a-z0-9_]. */
static bool
is_type_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

int
route_ops_filter_parse(const char *query, time_t now, struct db_ops_filter *f,
    char *err, size_t errlen)
{
	static const char *const ids[] = { "installation_id", "entity_id",
		"cursor" };
	struct utc_time t;
	char v[128];
	int r;

	memset(f, 0, sizeof(*f));
	f->limit = DB_OPS_LIMIT_DEFAULT;
	if ((r = param(query, "status", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1) {
		if (strcmp(v, "running") != 0 && strcmp(v, "completed") != 0 &&
		    strcmp(v, "failed") != 0) {
			(void)snprintf(err, errlen,
			    "status: expected running, "
			    "completed or failed");
			return -1;
		}
		memcpy(f->status, v, strlen(v) + 1); /* one of the three */
	}
	if ((r = param(query, "type", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1) {
		if (!is_type_name(v)) {
			(void)snprintf(err, errlen,
			    "type: expected an "
			    "operation type like auth_check");
			return -1;
		}
		memcpy(f->type, v, strlen(v) + 1); /* under 32 bytes */
	}
	for (int i = 0; i < 2; i++) {
		const char *name = i == 0 ? "since" : "until";
		char *dst = i == 0 ? f->since : f->until;

		if ((r = param(query, name, v, sizeof(v), err, errlen)) == -1)
			return -1;
		if (r == 1 &&
		    (utc_parse(v, UTC_LENIENT | UTC_AGO, now, &t) == -1 ||
		        utc_format(t.secs, t.usec, UTC_MICROS, dst,
		            sizeof(f->since)) == -1)) {
			(void)snprintf(err, errlen,
			    "%s: expected an RFC 3339 "
			    "time or a relative one like 30m, 1h, 7d",
			    name);
			return -1;
		}
	}
	for (size_t i = 0; i < 3; i++) {
		int64_t *dst = i == 0 ? &f->installation_id
		    : i == 1          ? &f->entity_id
		                      : &f->cursor;

		if ((r = param(query, ids[i], v, sizeof(v), err, errlen)) == -1)
			return -1;
		if (r == 1 &&
		    (v[0] == '-' || parse_int64(v, 1, INT64_MAX, dst) == -1)) {
			(void)snprintf(err, errlen,
			    "%s: expected a positive "
			    "decimal integer",
			    ids[i]);
			return -1;
		}
	}
	if ((r = param(query, "limit", v, sizeof(v), err, errlen)) == -1)
		return -1;
	if (r == 1 && parse_int64(v, 1, DB_OPS_LIMIT_MAX, &f->limit) == -1) {
		(void)snprintf(err, errlen,
		    "limit: expected an integer from 1 "
		    "to %d",
		    DB_OPS_LIMIT_MAX);
		return -1;
	}
	return 0;
}

/* Write a bigint[] column: an array of integers. */
static void
put_ids(struct json_writer *w, const char *key, const int64_t *v, size_t n)
{
	json_put_key(w, key);
	json_open_array(w);
	for (size_t i = 0; i < n; i++)
		json_put_int(w, v[i]);
	json_close_array(w);
}

/* Write a jsonb column's text as it is, or null. */
static void
put_jsonb(struct json_writer *w, const char *key, const char *text)
{
	json_put_key(w, key);
	if (text != NULL)
		json_put_raw(w, text, strlen(text));
	else
		json_put_null(w);
}

/*
 * Write operation 'r': the members of a list item, then, when 'steps' is
 * not NULL, the rest with 'steps' as the steps' JSON text; in the order
 * and with the escapes PostgreSQL's row_to_json() gave them when it wrote
 * these answers.
 */
static void
put_op(struct json_writer *w, const struct db_ops_row *r,
    const struct buf *steps)
{
	json_open_object(w);
	json_member_int(w, "id", r->id);
	json_member_string(w, "type", r->type);
	json_member_string(w, "status", r->status);
	json_member_string(w, "started_at", r->started_at);
	json_member_string(w, "completed_at", r->completed_at);
	json_put_key(w, "duration_ms");
	if (r->has_duration)
		json_put_int(w, r->duration_ms);
	else
		json_put_null(w);
	json_member_string(w, "error", r->error);
	json_put_key(w, "triggered_by");
	if (r->triggered_by != 0)
		json_put_int(w, r->triggered_by);
	else
		json_put_null(w);
	json_member_string(w, "request_id", r->request_id);
	json_member_string(w, "external_ref", r->external_ref);
	json_member_string(w, "steps_summary", r->steps_summary);
	if (steps != NULL) {
		put_jsonb(w, "input", r->input);
		put_jsonb(w, "output", r->output);
		json_member_string(w, "error_detail", r->error_detail);
		put_ids(w, "installation_ids", r->installation_ids,
		    r->ninstallation_ids);
		put_ids(w, "entity_ids", r->entity_ids, r->nentity_ids);
		json_put_key(w, "steps");
		json_put_raw(w, steps->buf, steps->len);
	}
	json_close_object(w);
}

int
route_ops_write_item(struct buf *out, const struct db_ops_row *r)
{
	struct json_writer w;

	json_writer_init(&w, out);
	put_op(&w, r, NULL);
	return json_writer_finish(&w);
}

/* End the answer in 'resp' written by 'w': a newline, or a 500. */
static void
answer(struct http_response *resp, const struct json_writer *w)
{
	if (json_writer_finish(w) == -1 || buf_puts(&resp->body, "\n") == -1) {
		log_warnx("%s: out of memory", __func__);
		http_error(resp, 500, "internal error");
		return;
	}
	resp->status = 200;
}

void
route_ops_list(struct app *app, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	struct db_ops_filter f;
	struct db_ops_page page;
	struct json_writer w;
	enum db_status st;
	char err[160], cur[24];

	(void)id;
	if (route_ops_filter_parse(req->query, time(NULL), &f, err,
	        sizeof(err)) == -1) {
		http_error(resp, 400, err);
		return;
	}
	if ((st = db_ops_list(app->db, &f, &page)) != DB_OK) {
		route_db_error(resp, st == DB_NOTFOUND ? DB_ERROR : st,
		    "operation");
		goto out;
	}
	json_writer_init(&w, &resp->body);
	json_open_object(&w);
	json_put_key(&w, "operations");
	json_open_array(&w);
	for (size_t i = 0; i < page.n; i++)
		put_op(&w, &page.v[i], NULL);
	json_close_array(&w);
	/* A string, as the trace's: ids may pass 2^53. */
	(void)snprintf(cur, sizeof(cur), "%" PRId64, page.next_cursor);
	json_member_string(&w, "next_cursor",
	    page.next_cursor != 0 ? cur : NULL);
	json_close_object(&w);
	answer(resp, &w);
out:
	db_ops_page_release(&page);
}

void
route_ops_get(struct app *app, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	struct db_ops_row r;
	struct json_writer w;
	struct buf steps;
	enum db_status st;

	(void)req;
	buf_init(&steps);
	if ((st = db_ops_get(app->db, id, &r)) != DB_OK) {
		route_db_error(resp, st, "operation");
		goto out;
	}
	/* Steps stored before microseconds show them too. */
	if (ops_steps_retime(r.steps != NULL ? r.steps : "null",
	        strlen(r.steps != NULL ? r.steps : "null"), &steps) == -1) {
		log_warnx("%s: out of memory", __func__);
		http_error(resp, 500, "internal error");
		goto out;
	}
	json_writer_init(&w, &resp->body);
	put_op(&w, &r, &steps);
	answer(resp, &w);
out:
	db_ops_row_release(&r);
	buf_release(&steps);
}
