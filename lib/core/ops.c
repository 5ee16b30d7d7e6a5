/* SPDX-License-Identifier: MIT */
/* Operations (docs/data-model.md#operations): steps, JSON, summary (pure). */
#include "core/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/str.h"
#include "core/utc.h"

#define CHECK "\xe2\x9c\x93"   /* ✓ */
#define CROSS "\xe2\x9c\x97"   /* ✗ */
#define ARROW " \xe2\x86\x92 " /* → */

void
ops_init(struct ops_run *op, const char *type, int64_t now_ms)
{
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->started_ms = now_ms;
}

static void
step_release(struct ops_step *s)
{
	free(s->name);
	free(s->output);
	free(s->error);
	free(s->error_detail);
}

void
ops_release(struct ops_run *op)
{
	if (op == NULL)
		return;
	for (size_t i = 0; i < op->nsteps; i++)
		step_release(&op->steps[i]);
	free(op->steps);
	free(op->installation_ids);
	free(op->entity_ids);
	memset(op, 0, sizeof(*op));
}

size_t
ops_utf8_cut(const char *p, size_t len, size_t max)
{
	size_t n = len;

	if (len <= max)
		return len;
	n = max;
	/* Back off the continuation bytes (10xxxxxx) of a split character. */
	while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	return n;
}

char *
ops_detail_dup(const char *p, size_t len)
{
	struct buf b;
	size_t start = 0;

	buf_init(&b);
	/* NUL cannot be stored in text: each becomes U+FFFD too. */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '\0')
			continue;
		if (buf_append_utf8(&b, p + start, i - start) == -1 ||
		    (i < len && buf_append(&b, "\xef\xbf\xbd", 3) == -1))
			goto fail;
		start = i + 1;
	}
	if (buf_append(&b, "", 1) == -1)
		goto fail;
	b.len--;
	b.buf[ops_utf8_cut(b.buf, b.len, OPS_DETAIL_MAX)] = '\0';
	return b.buf;
fail:
	buf_release(&b);
	return NULL;
}

/* Copy 's' (NULL gives NULL).  Returns 0, or -1 when out of memory. */
static int
dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	return (*out = strdup(s)) == NULL ? -1 : 0;
}

int
ops_step_add(struct ops_run *op, const struct ops_step *s)
{
	struct ops_step *d;

	if (op->nsteps == op->cap) {
		size_t cap = op->cap == 0 ? 8 : op->cap * 2;
		struct ops_step *v = realloc(op->steps, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		op->steps = v;
		op->cap = cap;
	}
	d = &op->steps[op->nsteps];
	memset(d, 0, sizeof(*d));
	d->failed = s->failed;
	d->started_ms = s->started_ms;
	d->duration_ms = s->duration_ms;
	d->count = s->count;
	if (dup_opt(s->name != NULL ? s->name : "", &d->name) == -1 ||
	    dup_opt(s->output, &d->output) == -1 ||
	    dup_opt(s->error, &d->error) == -1)
		goto fail;
	if (s->error_detail != NULL &&
	    (d->error_detail = ops_detail_dup(s->error_detail,
	         strlen(s->error_detail))) == NULL)
		goto fail;
	op->nsteps++;
	return 0;
fail:
	step_release(d);
	return -1;
}

int
ops_step(struct ops_run *op, const char *name, int64_t started_ms,
    const char *output, const char *error, const char *detail, size_t len)
{
	struct ops_step s;
	int64_t now = clock_wall_ms();
	int rc;

	memset(&s, 0, sizeof(s));
	s.name = (char *)(uintptr_t)name;
	s.failed = error != NULL;
	s.started_ms = started_ms;
	s.duration_ms = now > started_ms ? now - started_ms : 0;
	s.output = (char *)(uintptr_t)output;
	s.error = (char *)(uintptr_t)error;
	if (detail == NULL)
		return ops_step_add(op, &s);
	if ((s.error_detail = ops_detail_dup(detail, len)) == NULL)
		return -1;
	rc = ops_step_add(op, &s);
	free(s.error_detail);
	return rc;
}

/* Append 'v' to the array *a of *n.  Returns 0 or -1. */
static int
push_id(int64_t **a, size_t *n, int64_t v)
{
	int64_t *p;

	if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow */
		p = realloc(*a, (*n == 0 ? 1 : *n * 2) * sizeof(*p));
		if (p == NULL)
			return -1;
		*a = p;
	}
	(*a)[(*n)++] = v;
	return 0;
}

int
ops_touch(struct ops_run *op, int64_t installation_id, int64_t entity_id)
{
	if (installation_id != 0 &&
	    push_id(&op->installation_ids, &op->ninstallations,
	        installation_id) == -1)
		return -1;
	if (entity_id != 0 &&
	    push_id(&op->entity_ids, &op->nentities, entity_id) == -1)
		return -1;
	return 0;
}

bool
ops_has_failed(const struct ops_run *op)
{
	for (size_t i = 0; i < op->nsteps; i++)
		if (op->steps[i].failed)
			return true;
	return false;
}

/* How many actions step 's' stands for. */
static int64_t
step_count(const struct ops_step *s)
{
	return s->count > 1 ? s->count : 1;
}

int
ops_summary(const struct ops_step *v, size_t n, struct buf *out)
{
	size_t i = 0;
	bool first = true;

	while (i < n) {
		int64_t total = 0;
		size_t j;

		if (!first && buf_puts(out, ARROW) == -1)
			return -1;
		if (v[i].failed) {
			if (buf_puts(out, v[i].name) == -1 ||
			    buf_puts(out, " " CROSS) == -1)
				return -1;
			i++;
			first = false;
			continue;
		}
		for (j = i; j < n && !v[j].failed; j++)
			total += step_count(&v[j]);
		if (total == 1) {
			if (buf_puts(out, v[i].name) == -1 ||
			    buf_puts(out, " " CHECK) == -1)
				return -1;
		} else if (first) {
			/* Name what the operation began with. */
			if (buf_puts(out, v[i].name) == -1 ||
			    buf_puts(out, " " CHECK ARROW) == -1 ||
			    buf_printf(out, "%lld more " CHECK,
			        (long long)(total - 1)) == -1)
				return -1;
		} else if (buf_printf(out, "%lld more " CHECK,
		               (long long)total) == -1)
			return -1;
		i = j;
		first = false;
	}
	return 0;
}

/*
 * Write 'ms' (Unix milliseconds) into 'out' as every API time is written,
 * RFC 3339 UTC with microseconds.  Returns 'out', or NULL when it cannot.
 */
static const char *
step_time(int64_t ms, char *out, size_t size)
{
	int64_t secs = ms / 1000, rem = ms % 1000;

	if (rem < 0) {
		secs--;
		rem += 1000;
	}
	return utc_format(secs, (long)rem * 1000, UTC_MICROS, out, size) == 0
	    ? out
	    : NULL;
}

int
ops_steps_json(const struct ops_step *v, size_t n, struct buf *out)
{
	struct json_writer w;
	char at[UTC_SIZE];

	json_writer_init(&w, out);
	json_open_array(&w);
	for (size_t i = 0; i < n; i++) {
		const struct ops_step *s = &v[i];

		json_open_object(&w);
		json_member_string(&w, "name", s->name);
		json_member_string(&w, "status",
		    s->failed ? "failed" : "completed");
		json_member_string(&w, "started_at",
		    step_time(s->started_ms, at, sizeof(at)));
		json_member_int(&w, "duration_ms", s->duration_ms);
		if (s->count > 1)
			json_member_int(&w, "count", s->count);
		json_put_key(&w, "output");
		if (s->output != NULL)
			json_put_raw(&w, s->output, strlen(s->output));
		else
			json_put_null(&w);
		json_member_string(&w, "error", s->error);
		json_member_string(&w, "error_detail", s->error_detail);
		json_close_object(&w);
	}
	json_close_array(&w);
	return json_writer_finish(&w);
}

/*
 * The index just past the JSON string that starts at p[i] (a '"'), or
 * 'len' when it does not end.
 */
static size_t
string_end(const char *p, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '"')
			return i + 1;
	}
	return len;
}

int
ops_steps_retime(const char *p, size_t len, struct buf *out)
{
	static const char key[] = "\"started_at\"";
	char at[UTC_SIZE], was[UTC_SIZE + 8];
	size_t i = 0, copied = 0, end, j;
	struct utc_time t;
	bool is_at = false; /* the last key of a step was "started_at" */
	int depth = 0;      /* 1: in the array, 2: in a step */

	while (i < len) {
		if (p[i] == '{' || p[i] == '[')
			depth++;
		else if (p[i] == '}' || p[i] == ']')
			depth--;
		if (p[i] != '"') {
			i++;
			continue;
		}
		end = string_end(p, len, i);
		for (j = end; j < len && strchr(" \t\r\n", p[j]) != NULL; j++)
			;
		if (j < len && p[j] == ':') {
			is_at = depth == 2 && end - i == sizeof(key) - 1 &&
			    memcmp(p + i, key, end - i) == 0;
		} else if (is_at && depth == 2) {
			/* The step's time: "…" without its quotes. */
			is_at = false;
			if (end - i >= 2 && end - i - 2 < sizeof(was)) {
				memcpy(was, p + i + 1, end - i - 2);
				was[end - i - 2] = '\0';
			} else
				was[0] = '\0';
			if (utc_parse(was, 0, 0, &t) == 0 &&
			    utc_format(t.secs, t.usec, UTC_MICROS, at,
			        sizeof(at)) == 0) {
				if (buf_append(out, p + copied, i - copied) ==
				        -1 ||
				    buf_printf(out, "\"%s\"", at) == -1)
					return -1;
				copied = end;
			}
		}
		i = end;
	}
	return buf_append(out, p + copied, len - copied);
}

int
ops_error_line(const struct ops_run *op, struct buf *out, const char **detail)
{
	*detail = NULL;
	for (size_t i = 0; i < op->nsteps; i++) {
		const struct ops_step *s = &op->steps[i];

		if (!s->failed)
			continue;
		*detail = s->error_detail;
		return buf_printf(out, "%s: %s", s->name,
		    s->error != NULL ? s->error : "failed");
	}
	return 0;
}

bool
ops_is_abandoned(const char *type, const char *status, int64_t id,
    const char *run_type, bool locked, int64_t own_id)
{
	return locked && strcmp(status, "running") == 0 &&
	    strcmp(type, run_type) == 0 && id != own_id;
}

int
ops_json_ints(struct buf *out, const char *const *keys, const int64_t *vals,
    size_t n)
{
	struct json_writer w;

	json_writer_init(&w, out);
	json_open_object(&w);
	for (size_t i = 0; i < n; i++)
		json_member_int(&w, keys[i], vals[i]);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_append(out, "", 1) == -1)
		return -1;
	out->len--;
	return 0;
}
