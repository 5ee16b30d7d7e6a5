/* SPDX-License-Identifier: MIT */
/* The live tail (GET /trace/stream, /operations/stream): watermark, filters,
 * frames. */
#include "core/stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/query.h"
#include "core/str.h"

void
stream_watermark_init(struct stream_watermark *w, int64_t settled)
{
	memset(w, 0, sizeof(*w));
	w->settled = settled;
}

bool
stream_watermark_advance(struct stream_watermark *w, uint64_t xmin,
    uint64_t xmax, int64_t max_id)
{
	int64_t before = w->settled;

	if (w->pending_id != 0 && xmin >= w->pending_xmax) {
		if (w->pending_id > w->settled)
			w->settled = w->pending_id;
		w->pending_id = 0;
	}
	if (w->pending_id == 0 && max_id > w->settled) {
		w->pending_id = max_id;
		w->pending_xmax = xmax;
	}
	return w->settled != before;
}

bool
stream_watermark_is_waiting(const struct stream_watermark *w)
{
	return w->pending_id != 0;
}

int
stream_xid_parse(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* Whether 's' is an event name or prefix: [a-z0-9_.], 1 to 71. */
static bool
is_event_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 71)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.") == n;
}

/* Read positive id 'name' from 'query' into *out (0 absent). */
static int
id_param(const char *query, const char *name, int64_t min, int64_t *out,
    char *err, size_t errlen)
{
	char v[32];
	int r = query_get(query, name, v, sizeof(v));

	if (r == 1)
		return 0;
	if (r == -1 || parse_int64(v, min, INT64_MAX, out) == -1) {
		(void)snprintf(err, errlen, "%s: expected a %s decimal integer",
		    name, min == 0 ? "non-negative" : "positive");
		return -1;
	}
	return 0;
}

int
stream_filter_parse(const char *query, const char *last_id, bool trace,
    struct stream_filter *f, char *err, size_t errlen)
{
	char v[32];
	int64_t after = 0;
	int r;

	memset(f, 0, sizeof(*f));
	f->after = -1;
	if (trace) {
		if (id_param(query, "entity_id", 1, &f->entity_id, err,
		        errlen) == -1 ||
		    id_param(query, "installation_id", 1, &f->installation_id,
		        err, errlen) == -1)
			return -1;
		r = query_get(query, "event", f->event, sizeof(f->event));
		if (r == -1 || (r == 0 && !is_event_name(f->event))) {
			(void)snprintf(err, errlen,
			    "event: expected an event name or prefix "
			    "([a-z0-9_.], up to 71)");
			return -1;
		}
		if (r == 1)
			f->event[0] = '\0';
	}
	r = query_get(query, "last", v, sizeof(v));
	if (r == -1 ||
	    (r == 0 && parse_int64(v, 1, STREAM_LAST_MAX, &f->last) == -1)) {
		(void)snprintf(err, errlen, "last: expected 1..%d",
		    STREAM_LAST_MAX);
		return -1;
	}
	if (last_id != NULL && *last_id != '\0') {
		if (parse_int64(last_id, 0, INT64_MAX, &f->after) == -1) {
			(void)snprintf(err, errlen,
			    "Last-Event-ID: expected a non-negative decimal "
			    "integer");
			return -1;
		}
		return 0;
	}
	if (id_param(query, "after", 0, &after, err, errlen) == -1)
		return -1;
	if (query_get(query, "after", v, sizeof(v)) == 0)
		f->after = after;
	return 0;
}

bool
stream_filter_match(const struct stream_filter *f, int64_t entity_id,
    int64_t installation_id, const char *event)
{
	size_t n = strlen(f->event);

	if (f->entity_id != 0 && f->entity_id != entity_id)
		return false;
	if (f->installation_id != 0 && f->installation_id != installation_id)
		return false;
	return n == 0 ||
	    (strncmp(event, f->event, n) == 0 &&
	        (event[n] == '\0' || event[n] == '.'));
}

int
stream_frame(struct buf *out, int64_t id, const char *event, const char *data,
    size_t len)
{
	char head[96];
	int n;

	n = snprintf(head, sizeof(head),
	    "id: %" PRId64 "\nevent: %s\ndata: ", id, event);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if (buf_append(out, head, (size_t)n) == -1 ||
	    buf_append(out, data, len) == -1 || buf_puts(out, "\n\n") == -1)
		return -1;
	return 0;
}

void
stream_parser_init(struct stream_parser *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->line);
	buf_init(&p->data);
}

void
stream_parser_release(struct stream_parser *p)
{
	if (p == NULL)
		return;
	buf_release(&p->line);
	buf_release(&p->data);
}

/* One whole line (no end of line) of 'n' bytes.  Returns 0 or -1. */
static int
parser_line(struct stream_parser *p, const char *l, size_t n,
    stream_event_fn *fn, void *arg)
{
	const char *colon, *v;
	size_t flen, vlen;
	int rc = 0;

	if (n == 0) {
		_Static_assert(sizeof(p->resume) == sizeof(p->id), "ids");
		(void)memcpy(p->resume, p->id, sizeof(p->resume));
		if (p->data.len > 0) {
			/* The last data line's newline is not part of it. */
			p->data.len--;
			p->data.buf[p->data.len] = '\0';
			rc = fn(arg, p->id,
			    p->event[0] != '\0' ? p->event : "message",
			    p->data.buf, p->data.len);
		}
		buf_reset(&p->data);
		p->event[0] = '\0';
		return rc;
	}
	if (l[0] == ':')
		return 0;
	colon = memchr(l, ':', n);
	flen = colon != NULL ? (size_t)(colon - l) : n;
	v = colon != NULL ? colon + 1 : l + n;
	vlen = n - (size_t)(v - l);
	if (vlen > 0 && *v == ' ') {
		v++;
		vlen--;
	}
	if (flen == 4 && memcmp(l, "data", 4) == 0)
		return buf_append(&p->data, v, vlen) == -1 ||
		        buf_append(&p->data, "\n", 1) == -1
		    ? -1
		    : 0;
	if (flen == 2 && memcmp(l, "id", 2) == 0 && vlen < sizeof(p->id) &&
	    memchr(v, '\0', vlen) == NULL) {
		memcpy(p->id, v, vlen);
		p->id[vlen] = '\0';
	} else if (flen == 5 && memcmp(l, "event", 5) == 0 &&
	    vlen < sizeof(p->event)) {
		memcpy(p->event, v, vlen);
		p->event[vlen] = '\0';
	}
	return 0;
}

int
stream_parser_feed(struct stream_parser *p, const char *bytes, size_t len,
    stream_event_fn *fn, void *arg)
{
	const char *nl;
	size_t n;

	if (p->bad)
		return -1;
	while (len > 0) {
		nl = memchr(bytes, '\n', len);
		n = nl != NULL ? (size_t)(nl - bytes) : len;
		if (p->line.len + n > STREAM_LINE_MAX) {
			p->bad = true;
			return -1;
		}
		if (buf_append(&p->line, bytes, n) == -1)
			return -1;
		if (nl == NULL)
			return 0;
		bytes += n + 1;
		len -= n + 1;
		n = p->line.len;
		if (n > 0 && p->line.buf[n - 1] == '\r')
			n--;
		if (parser_line(p, p->line.buf != NULL ? p->line.buf : "", n,
		        fn, arg) == -1)
			return -1;
		buf_reset(&p->line);
	}
	return 0;
}
