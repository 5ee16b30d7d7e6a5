/* SPDX-License-Identifier: MIT */
/* Text rendering of trace documents for a terminal: table, state, diagnosis. */
#include "table.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/outcome.h"

#define ELLIPSIS "\xe2\x80\xa6"
#define BOLD     "\033[1m"
#define RED      "\033[31m"
#define GREEN    "\033[32m"
#define RESET    "\033[0m"

/* The gap between columns (at most), the indent of state and diagnosis. */
#define GAP    2
#define INDENT 2
/* Width of the labels of the state and diagnosis lines. */
#define LABEL 19
/* Most lines one payload may print. */
#define PAYLOAD_LINES 200

enum table_col {
	TABLE_COL_ID,
	TABLE_COL_TIME,
	TABLE_COL_EVENT,
	TABLE_COL_OUTCOME,
	TABLE_COL_ENTITY,
	TABLE_COL_ACTOR,
	TABLE_COL_REPO,
	TABLE_COL_JOB,
	TABLE_COL__MAX
};

/* The columns: titles, and the numbers aligned right. */
static const struct {
	const char *title;
	bool right;
} table_cols[TABLE_COL__MAX] = {
	[TABLE_COL_ID] = { "ID", true },
	[TABLE_COL_TIME] = { "TIME (UTC)", false },
	[TABLE_COL_EVENT] = { "EVENT", false },
	[TABLE_COL_OUTCOME] = { "OUTCOME", false },
	[TABLE_COL_ENTITY] = { "ENTITY", false },
	[TABLE_COL_ACTOR] = { "ACTOR", false },
	[TABLE_COL_REPO] = { "REPO", false },
	[TABLE_COL_JOB] = { "JOB", true },
};

/*
 * When the table would be wider than TABLE_WIDTH, columns are cut in this
 * order, the least telling first: each to 'min' (enough for most of its
 * values: every event but installation_repositories.* and
 * installation_target.renamed, most outcomes); if that is not enough,
 * each to 'floor'; then each to 3.  Ids, times and job ids are never cut.
 */
static const struct {
	enum table_col col;
	size_t min;
	size_t floor;
} table_cut[] = {
	{ TABLE_COL_ACTOR, 8, 5 },
	{ TABLE_COL_ENTITY, 8, 6 },
	{ TABLE_COL_REPO, 16, 8 },
	{ TABLE_COL_OUTCOME, 16, 8 },
	{ TABLE_COL_EVENT, 24, 12 },
};

/*
 * Decode the code point at 'p' (NUL-terminated).  Sets *len to the bytes
 * it takes (at least 1) and returns true when it may be shown as is;
 * false for control characters, C1 controls and invalid UTF-8, which
 * are shown as one '?' in place of *len bytes.
 */
static bool
table_decode(const unsigned char *p, size_t *len)
{
	unsigned char c = p[0];
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	*len = 1;
	if (c < 0x20 || c == 0x7f)
		return false;
	if (c < 0x80)
		return true;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return false;
	for (i = 1; i < n; i++) {
		unsigned char lim_lo = i == 1 ? lo : 0x80;
		unsigned char lim_hi = i == 1 ? hi : 0xbf;

		if (p[i] < lim_lo || p[i] > lim_hi)
			return false;
	}
	*len = n;
	/* U+0080..U+009F: C1 controls, which some terminals obey. */
	return !(c == 0xc2 && p[1] <= 0x9f);
}

/* The columns 's' takes once made safe (see table_fit()). */
static size_t
table_columns(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols = 0, len;

	while (*p != '\0') {
		(void)table_decode(p, &len);
		p += len;
		cols++;
	}
	return cols;
}

int
table_fit(struct buf *out, const char *s, size_t width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cols, keep, len, n = 0;

	if (s == NULL || width == 0)
		return 0;
	cols = table_columns(s);
	keep = cols <= width ? cols : width - 1;
	while (n < keep) {
		if (table_decode(p, &len)) {
			if (buf_append(out, p, len) == -1)
				return -1;
		} else if (buf_append(out, "?", 1) == -1)
			return -1;
		p += len;
		n++;
	}
	if (keep < cols) {
		if (buf_puts(out, ELLIPSIS) == -1)
			return -1;
		n++;
	}
	return (int)n;
}

/* Append 'n' spaces.  Returns 0 or -1. */
static int
table_pad(struct buf *out, size_t n)
{
	static const char spaces[] = "                                ";

	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		if (buf_append(out, spaces, k) == -1)
			return -1;
		n -= k;
	}
	return 0;
}

/* Drop the spaces at the end of 'out', then end the line. */
static int
table_eol(struct buf *out)
{
	while (out->len > 0 && out->buf[out->len - 1] == ' ')
		out->buf[--out->len] = '\0';
	return buf_puts(out, "\n");
}

/*
 * Append 's', made safe like every string from a server (table_fit()),
 * between 'on' and RESET when colouring, else plain.  Returns 0 or -1.
 */
static int
table_styled(struct buf *out, unsigned flags, const char *on, const char *s)
{
	if ((flags & TABLE_COLOR) && buf_puts(out, on) == -1)
		return -1;
	if (table_fit(out, s, TABLE_WIDTH) == -1)
		return -1;
	return (flags & TABLE_COLOR) ? buf_puts(out, RESET) : 0;
}

/*
 * Append 's' cut to 'width' and padded to it (on the left when 'right'),
 * in 'color' (NULL: none).  Returns 0 or -1.
 */
static int
table_cell(struct buf *out, const char *s, size_t width, bool right,
    const char *color)
{
	struct buf cell;
	int n, rc = -1;

	buf_init(&cell);
	if ((n = table_fit(&cell, s, width)) == -1)
		goto out;
	if (right && table_pad(out, width - (size_t)n) == -1)
		goto out;
	if ((color != NULL && buf_puts(out, color) == -1) ||
	    (cell.len > 0 && buf_append(out, cell.buf, cell.len) == -1) ||
	    (color != NULL && buf_puts(out, RESET) == -1))
		goto out;
	if (!right && table_pad(out, width - (size_t)n) == -1)
		goto out;
	rc = 0;
out:
	buf_release(&cell);
	return rc;
}

/* Format the integer at 'key' of 'o' into 'dst', or "" when absent. */
static void
table_id(char *dst, size_t size, const cJSON *o, const char *key)
{
	int64_t v;

	if (json_int64(o, key, INT64_MIN, INT64_MAX, &v) == 0)
		(void)snprintf(dst, size, "%lld", (long long)v);
	else
		dst[0] = '\0';
}

/*
 * Format the RFC 3339 UTC time 's' as "YYYY-MM-DD HH:MM:SS" into 'dst'
 * (at least 20 bytes); other text is copied as is, NULL gives "-".
 */
static void
table_time(char *dst, size_t size, const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (s == NULL) {
		(void)snprintf(dst, size, "-");
		return;
	}
	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9')
		                    : shape[i] != s[i])
			break;
	}
	if (shape[i] != '\0' || size < sizeof(shape)) {
		(void)snprintf(dst, size, "%s", s);
		return;
	}
	memcpy(dst, s, sizeof(shape) - 1);
	dst[10] = ' ';
	dst[sizeof(shape) - 1] = '\0';
}

/* Return true when 'name' is an outcome the table calls a failure. */
static bool
table_is_failure(const char *name)
{
	enum outcome o;

	return name != NULL && outcome_from_name(name, &o) == 0 &&
	    outcome_is_failure(o);
}

/* The cells of one row, owned. */
struct table_row {
	char *cell[TABLE_COL__MAX];
	bool failure;
};

static void
table_rows_free(struct table_row *rows, size_t n)
{
	if (rows == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < TABLE_COL__MAX; c++)
			free(rows[i].cell[c]);
	free(rows);
}

/* Fill 'r' from the event object 'e'.  Returns 0 or -1. */
static int
table_row_fill(struct table_row *r, const cJSON *e)
{
	char id[24], job[24], when[40];
	const char *actor = json_string(e, "actor");
	const char *v[TABLE_COL__MAX];
	char op[32];

	table_id(id, sizeof(id), e, "id");
	/* A row an operation wrote (the auth check's): that is who did it. */
	table_id(op, sizeof(op) - 3, e, "operation_id");
	if (actor == NULL && op[0] != '\0') {
		memmove(op + 3, op, strlen(op) + 1);
		memcpy(op, "op:", 3);
		actor = op;
	}
	table_id(job, sizeof(job), e, "job_id");
	table_time(when, sizeof(when), json_string(e, "received_at"));
	v[TABLE_COL_ID] = id;
	v[TABLE_COL_TIME] = when;
	v[TABLE_COL_EVENT] = json_string(e, "event");
	v[TABLE_COL_OUTCOME] = json_string(e, "outcome");
	v[TABLE_COL_ENTITY] = json_string(e, "entity_name");
	v[TABLE_COL_ACTOR] = actor;
	v[TABLE_COL_REPO] = json_string(e, "repo_full_name");
	v[TABLE_COL_JOB] = job;
	for (size_t c = 0; c < TABLE_COL__MAX; c++) {
		const char *s = v[c];

		if (s == NULL)
			s = c == TABLE_COL_REPO ? "" : "-";
		if ((r->cell[c] = strdup(s)) == NULL)
			return -1;
	}
	r->failure = table_is_failure(v[TABLE_COL_OUTCOME]);
	return 0;
}

/*
 * Choose the width of each column for 'rows', and the gap between
 * columns (two spaces, one when space is short), so that a line fits in
 * TABLE_WIDTH.
 */
static void
table_widths(const struct table_row *rows, size_t n, size_t *w, size_t *gap)
{
	size_t avail, sum = 0;

	for (size_t c = 0; c < TABLE_COL__MAX; c++) {
		w[c] = strlen(table_cols[c].title);
		for (size_t i = 0; i < n; i++) {
			size_t k = table_columns(rows[i].cell[c]);

			if (k > w[c])
				w[c] = k;
		}
		sum += w[c];
	}
	*gap = sum + GAP * (TABLE_COL__MAX - 1) <= TABLE_WIDTH ? GAP : 1;
	avail = TABLE_WIDTH - *gap * (TABLE_COL__MAX - 1);
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < sizeof(table_cut) / sizeof(table_cut[0]);
		     i++) {
			size_t c = table_cut[i].col;
			const size_t to[] = { table_cut[i].min,
				table_cut[i].floor, 3 };

			while (sum > avail && w[c] > to[pass]) {
				w[c]--;
				sum--;
			}
		}
}

/* Append one line of the table: the header when 'r' is NULL. */
static int
table_line(struct buf *out, const struct table_row *r, const size_t *w,
    size_t gap, unsigned flags)
{
	bool color = (flags & TABLE_COLOR) != 0;

	for (size_t c = 0; c < TABLE_COL__MAX; c++) {
		const char *s = r == NULL ? table_cols[c].title : r->cell[c];
		const char *on = NULL;

		if (color && r == NULL)
			on = BOLD;
		else if (color && r->failure && c == TABLE_COL_OUTCOME)
			on = RED;
		if (c > 0 && table_pad(out, gap) == -1)
			return -1;
		if (table_cell(out, s, w[c], table_cols[c].right, on) == -1)
			return -1;
	}
	return table_eol(out);
}

/*
 * Append 'text' word-wrapped at TABLE_WIDTH, the line holding 'col'
 * columns already; continuation lines start with 'indent' spaces.  A word
 * wider than a line is cut.  Ends the line.  Returns 0 or -1.
 */
static int
table_wrap(struct buf *out, const char *text, size_t col, size_t indent)
{
	struct buf safe;
	char *p, *word, *save = NULL;
	bool first = true;
	int rc = -1;

	buf_init(&safe);
	if (table_fit(&safe, text, SIZE_MAX) == -1 ||
	    buf_append(&safe, "", 0) == -1)
		goto out;
	for (p = safe.buf; (word = strtok_r(p, " ", &save)) != NULL; p = NULL) {
		size_t k = table_columns(word);
		size_t sep = first ? 0 : 1;

		if (!first && col + sep + k > TABLE_WIDTH) {
			if (table_eol(out) == -1 ||
			    table_pad(out, indent) == -1)
				goto out;
			col = indent;
			sep = 0;
		}
		if (sep > 0 && buf_puts(out, " ") == -1)
			goto out;
		col += sep;
		if (col >= TABLE_WIDTH)
			break;
		k = (size_t)table_fit(out, word, TABLE_WIDTH - col);
		col += k;
		first = false;
	}
	rc = table_eol(out);
out:
	buf_release(&safe);
	return rc;
}

/* Append "  label  value" with 'value' wrapped under itself. */
static int
table_field(struct buf *out, const char *label, const char *value,
    unsigned flags, const char *color)
{
	int n;

	if (table_pad(out, INDENT) == -1)
		return -1;
	if (color != NULL && (flags & TABLE_COLOR) &&
	    buf_puts(out, color) == -1)
		return -1;
	if ((n = table_fit(out, label, LABEL - 1)) == -1)
		return -1;
	if (color != NULL && (flags & TABLE_COLOR) &&
	    buf_puts(out, RESET) == -1)
		return -1;
	if (table_pad(out, LABEL - (size_t)n) == -1)
		return -1;
	return table_wrap(out, value, INDENT + LABEL, INDENT + LABEL);
}

/* Append a section title line. */
static int
table_title(struct buf *out, const char *title, unsigned flags)
{
	if (buf_puts(out, "\n") == -1 ||
	    table_styled(out, flags, BOLD, title) == -1)
		return -1;
	return buf_puts(out, "\n");
}

/* Format the integer at 'key' of 'o' into 'dst', or "-" when absent. */
static void
table_id_or_dash(char *dst, size_t size, const cJSON *o, const char *key)
{
	table_id(dst, size, o, key);
	if (dst[0] == '\0')
		(void)snprintf(dst, size, "-");
}

/* Join the strings of the array at 'key' of 'o' with ", " into 'out'. */
static int
table_join(struct buf *out, const cJSON *o, const char *key)
{
	const cJSON *a = json_dig(o, key), *it;
	size_t n = 0;

	if (cJSON_IsArray(a)) {
		cJSON_ArrayForEach (it, a) {
			if (!cJSON_IsString(it))
				continue;
			if ((n++ > 0 && buf_puts(out, ", ") == -1) ||
			    buf_puts(out, it->valuestring) == -1)
				return -1;
		}
	}
	if (n == 0)
		return buf_puts(out, "none");
	return 0;
}

/* Append "yes", "no" or "-" for the boolean at 'key' of 'o'. */
static const char *
table_bool(const cJSON *o, const char *key)
{
	const cJSON *v = json_dig(o, key);

	if (!cJSON_IsBool(v))
		return "-";
	return cJSON_IsTrue(v) ? "yes" : "no";
}

/* Describe the last auth failure 'f' in one (long) line into 'out'. */
static int
table_failure(struct buf *out, const cJSON *f)
{
	char id[24], app[24], inst[24], status[24], when[40];
	const char *ev = json_string(f, "event"), *repo, *name;

	if (!cJSON_IsObject(f))
		return buf_puts(out, "none");
	table_id_or_dash(id, sizeof(id), f, "event_id");
	table_id_or_dash(app, sizeof(app), f, "app_id");
	table_id_or_dash(inst, sizeof(inst), f, "installation_id");
	table_id_or_dash(status, sizeof(status), f, "http_status");
	table_time(when, sizeof(when), json_string(f, "at"));
	repo = json_string(f, "repo");
	name = json_string(f, "entity_name");
	return buf_printf(out,
	    "%s (id %s) at %s: HTTP %s, app %s, installation %s, repo %s, "
	    "login %s",
	    ev != NULL ? ev : "-", id, when, status, app, inst,
	    repo != NULL ? repo : "-", name != NULL ? name : "-");
}

/* Append the STATE section for the state object 'st'. */
static int
table_state(struct buf *out, const cJSON *st, unsigned flags)
{
	char inst[24], app[24], asof[40], title[64];
	const char *sel = json_string(st, "repository_selection");
	const char *name = json_string(st, "entity_name");
	const char *at = json_string(st, "as_of");
	struct buf v;
	int rc = -1;

	buf_init(&v);
	if (at != NULL) {
		table_time(asof, sizeof(asof), at);
		(void)snprintf(title, sizeof(title), "STATE as of %s", asof);
	} else
		(void)snprintf(title, sizeof(title), "STATE");
	if (table_title(out, title, flags) == -1)
		goto out;
	table_id_or_dash(inst, sizeof(inst), st, "installation_id");
	table_id_or_dash(app, sizeof(app), st, "app_id");
	if (table_field(out, "installed", table_bool(st, "installed"), flags,
	        NULL) == -1 ||
	    table_field(out, "suspended", table_bool(st, "suspended"), flags,
	        NULL) == -1 ||
	    table_field(out, "installation", inst, flags, NULL) == -1 ||
	    table_field(out, "app", app, flags, NULL) == -1 ||
	    table_field(out, "selection", sel != NULL ? sel : "-", flags,
	        NULL) == -1)
		goto out;
	if (table_join(&v, st, "repositories") == -1 ||
	    table_field(out, "repos", v.buf, flags, NULL) == -1)
		goto out;
	buf_reset(&v);
	if (table_field(out, "name", name != NULL ? name : "-", flags, NULL) ==
	        -1 ||
	    table_join(&v, st, "previous_names") == -1 ||
	    table_field(out, "previous names", v.buf, flags, NULL) == -1)
		goto out;
	buf_reset(&v);
	if (table_failure(&v, json_dig(st, "last_auth_failure")) == -1 ||
	    table_field(out, "last auth failure", v.buf, flags, NULL) == -1)
		goto out;
	rc = 0;
out:
	buf_release(&v);
	return rc;
}

/* Append the DIAGNOSIS section for the diagnosis array 'dg'. */
static int
table_diagnosis(struct buf *out, const cJSON *dg, unsigned flags)
{
	const cJSON *f, *it;
	struct buf v;
	size_t n = 0;
	int rc = -1;

	buf_init(&v);
	if (table_title(out, "DIAGNOSIS", flags) == -1)
		goto out;
	cJSON_ArrayForEach (f, dg) {
		const char *cause = json_string(f, "cause");
		const char *summary = json_string(f, "summary");
		const cJSON *ev = json_dig(f, "evidence");
		const cJSON *ids = cJSON_IsArray(ev) ? ev : NULL;
		size_t k = 0;

		if (!cJSON_IsObject(f))
			continue;
		if (table_field(out, cause != NULL ? cause : "-",
		        summary != NULL ? summary : "-", flags, RED) == -1)
			goto out;
		buf_reset(&v);
		if (buf_puts(&v, "evidence:") == -1)
			goto out;
		cJSON_ArrayForEach (it, ids) {
			double d = cJSON_IsNumber(it) ? it->valuedouble : 0;

			/* Row ids: positive integers below 2^63. */
			if (!(d >= 1 && d < 9223372036854775808.0 &&
			        d == floor(d)))
				continue;
			if (buf_printf(&v, "%s %lld", k++ > 0 ? "," : "",
			        (long long)d) == -1)
				goto out;
		}
		if (k == 0 && buf_puts(&v, " none") == -1)
			goto out;
		if (table_field(out, "", v.buf, flags, NULL) == -1)
			goto out;
		n++;
	}
	if (n == 0) {
		if (table_pad(out, INDENT) == -1 ||
		    table_styled(out, flags, GREEN, "no problem found") == -1 ||
		    buf_puts(out, "\n") == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&v);
	return rc;
}

int
table_render(struct buf *out, const cJSON *doc, unsigned flags)
{
	const cJSON *events = json_dig(doc, "events"), *e;
	const cJSON *cursor = json_dig(doc, "next_cursor");
	const cJSON *st = json_object(doc, "state");
	const cJSON *dg = json_dig(doc, "diagnosis");
	const char *name = json_string(doc, "entity_name");
	struct table_row *rows = NULL;
	size_t n = 0, w[TABLE_COL__MAX], gap;
	char id[24];
	int rc = -1;

	if (!cJSON_IsArray(events))
		return -1;
	if ((rows = calloc((size_t)cJSON_GetArraySize(events) + 1,
	         sizeof(*rows))) == NULL)
		return -1;
	cJSON_ArrayForEach (e, events) {
		if (!cJSON_IsObject(e))
			continue;
		if (table_row_fill(&rows[n++], e) == -1)
			goto out;
	}
	table_id_or_dash(id, sizeof(id), doc, "entity_id");
	if ((flags & TABLE_COLOR) && buf_puts(out, BOLD) == -1)
		goto out;
	if (buf_puts(out, "entity ") == -1 || table_fit(out, id, 20) == -1 ||
	    (name != NULL &&
	        (buf_puts(out, " ") == -1 || table_fit(out, name, 40) == -1)) ||
	    ((flags & TABLE_COLOR) && buf_puts(out, RESET) == -1) ||
	    buf_printf(out, ": %zu event%s\n\n", n, n == 1 ? "" : "s") == -1)
		goto out;
	if (n == 0) {
		if (buf_puts(out, "no events\n") == -1)
			goto out;
	} else {
		table_widths(rows, n, w, &gap);
		if (table_line(out, NULL, w, gap, flags) == -1)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (table_line(out, &rows[i], w, gap, flags) == -1)
				goto out;
	}
	if ((cJSON_IsString(cursor) || cJSON_IsNumber(cursor)) &&
	    buf_puts(out,
	        "more events follow: use --all, or a larger "
	        "--limit\n") == -1)
		goto out;
	if (st != NULL && table_state(out, st, flags) == -1)
		goto out;
	if (cJSON_IsArray(dg) && table_diagnosis(out, dg, flags) == -1)
		goto out;
	rc = 0;
out:
	table_rows_free(rows, n);
	return rc;
}

/* Where table_leaf() appends, and how many lines it may still write. */
struct table_walk {
	struct buf *out;
	struct buf path;
	size_t lines;
	size_t skipped;
};

/* Append one "  path  value" line, both cut to fit. */
static int
table_leaf_line(struct table_walk *w, const char *value)
{
	size_t label = 28;
	int n;

	if (w->lines == 0) {
		w->skipped++;
		return 0;
	}
	w->lines--;
	if (table_pad(w->out, INDENT) == -1 ||
	    (n = table_fit(w->out, w->path.buf != NULL ? w->path.buf : "",
	         label - 1)) == -1 ||
	    table_pad(w->out, label - (size_t)n) == -1 ||
	    table_fit(w->out, value, TABLE_WIDTH - INDENT - label) == -1)
		return -1;
	return table_eol(w->out);
}

/* Append the lines of 'v' under the current path, recursively. */
static int
table_leaf(struct table_walk *w, const cJSON *v, int depth)
{
	const cJSON *it;
	size_t mark = w->path.len, i = 0;
	char num[48];

	if (depth > JSON_MAX_DEPTH)
		return 0;
	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		if (v->child == NULL)
			return table_leaf_line(w,
			    cJSON_IsObject(v) ? "{}" : "[]");
		cJSON_ArrayForEach (it, v) {
			int rc;

			if (cJSON_IsObject(v))
				rc = buf_printf(&w->path, "%s%s",
				    mark > 0 ? "." : "",
				    it->string != NULL ? it->string : "");
			else
				rc = buf_printf(&w->path, "[%zu]", i);
			i++;
			if (rc == -1 || table_leaf(w, it, depth + 1) == -1)
				return -1;
			w->path.len = mark;
			w->path.buf[mark] = '\0';
		}
		return 0;
	}
	if (cJSON_IsString(v))
		return table_leaf_line(w, v->valuestring);
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (isfinite(d) && d == floor(d) && fabs(d) < 9.0e15)
			(void)snprintf(num, sizeof(num), "%lld", (long long)d);
		else
			(void)snprintf(num, sizeof(num), "%.17g", d);
		return table_leaf_line(w, num);
	}
	if (cJSON_IsBool(v))
		return table_leaf_line(w, cJSON_IsTrue(v) ? "true" : "false");
	return table_leaf_line(w, "null");
}

int
table_render_payload(struct buf *out, const cJSON *doc, unsigned flags)
{
	struct table_walk w;
	const cJSON *payload = json_dig(doc, "payload");
	const char *ev = json_string(doc, "event");
	char id[24], when[40];
	struct buf title;
	int rc = -1;

	if (!cJSON_IsObject(doc))
		return -1;
	buf_init(&title);
	w.out = out;
	buf_init(&w.path);
	w.lines = PAYLOAD_LINES;
	w.skipped = 0;
	table_id_or_dash(id, sizeof(id), doc, "id");
	table_time(when, sizeof(when), json_string(doc, "received_at"));
	if (buf_printf(&title, "PAYLOAD of event %s (%s) at %s", id,
	        ev != NULL ? ev : "-", when) == -1 ||
	    buf_puts(out, "\n") == -1)
		goto out;
	if ((flags & TABLE_COLOR) && buf_puts(out, BOLD) == -1)
		goto out;
	if (table_fit(out, title.buf, TABLE_WIDTH) == -1 ||
	    ((flags & TABLE_COLOR) && buf_puts(out, RESET) == -1) ||
	    buf_puts(out, "\n") == -1)
		goto out;
	if (payload == NULL) {
		if (table_pad(out, INDENT) == -1 ||
		    buf_puts(out, "no payload\n") == -1)
			goto out;
	} else if (table_leaf(&w, payload, 0) == -1)
		goto out;
	if (w.skipped > 0 &&
	    buf_printf(out, "  " ELLIPSIS " %zu more\n", w.skipped) == -1)
		goto out;
	rc = 0;
out:
	buf_release(&title);
	buf_release(&w.path);
	return rc;
}

/* Format the duration 'ms' of 'o' into 'dst': "312 ms", "4.2 s", or "-". */
static void
table_duration(char *dst, size_t size, const cJSON *o, const char *key)
{
	int64_t ms;

	if (json_int64(o, key, 0, INT64_MAX, &ms) != 0)
		(void)snprintf(dst, size, "-");
	else if (ms < 10000)
		(void)snprintf(dst, size, "%lld ms", (long long)ms);
	else
		(void)snprintf(dst, size, "%.1f s", (double)ms / 1000.0);
}

/* The columns of the operations table but the last (the summary). */
enum table_ops_col {
	TABLE_OPS_ID,
	TABLE_OPS_TYPE,
	TABLE_OPS_STATUS,
	TABLE_OPS_STARTED,
	TABLE_OPS_DURATION,
	TABLE_OPS__MAX
};

static const struct {
	const char *title;
	bool right;
} table_ops_cols[TABLE_OPS__MAX] = {
	[TABLE_OPS_ID] = { "ID", true },
	[TABLE_OPS_TYPE] = { "TYPE", false },
	[TABLE_OPS_STATUS] = { "STATUS", false },
	[TABLE_OPS_STARTED] = { "STARTED (UTC)", false },
	[TABLE_OPS_DURATION] = { "DURATION", true },
};

/* The cells of one operation: the fixed columns, then the summary. */
struct table_ops_row {
	char cell[TABLE_OPS__MAX][40];
	const char *summary;
	bool failed;
};

/* Append one line of the operations table: the header when 'r' is NULL. */
static int
table_ops_line(struct buf *out, const struct table_ops_row *r, const size_t *w,
    unsigned flags)
{
	bool color = (flags & TABLE_COLOR) != 0;
	size_t used = 0;

	for (size_t c = 0; c < TABLE_OPS__MAX; c++) {
		const char *on = NULL;

		if (color && r == NULL)
			on = BOLD;
		else if (color && r->failed && c == TABLE_OPS_STATUS)
			on = RED;
		if (table_cell(out,
		        r == NULL ? table_ops_cols[c].title : r->cell[c], w[c],
		        table_ops_cols[c].right, on) == -1 ||
		    table_pad(out, GAP) == -1)
			return -1;
		used += w[c] + GAP;
	}
	if (table_cell(out, r == NULL ? "SUMMARY OR ERROR" : r->summary,
	        used < TABLE_WIDTH ? TABLE_WIDTH - used : 1, false,
	        color && r == NULL ? BOLD : NULL) == -1)
		return -1;
	return table_eol(out);
}

int
table_render_operations(struct buf *out, const cJSON *doc, unsigned flags)
{
	const cJSON *ops = json_dig(doc, "operations"), *o;
	const cJSON *cursor = json_dig(doc, "next_cursor");
	struct table_ops_row *rows = NULL;
	size_t n = 0, w[TABLE_OPS__MAX];
	int rc = -1;

	if (!cJSON_IsArray(ops))
		return -1;
	if ((rows = calloc((size_t)cJSON_GetArraySize(ops) + 1,
	         sizeof(*rows))) == NULL)
		return -1;
	cJSON_ArrayForEach (o, ops) {
		struct table_ops_row *r = &rows[n];
		const char *type = json_string(o, "type");
		const char *status = json_string(o, "status");
		const char *error = json_string(o, "error");
		const char *summary = json_string(o, "steps_summary");

		if (!cJSON_IsObject(o))
			continue;
		n++;
		table_id_or_dash(r->cell[TABLE_OPS_ID], 40, o, "id");
		(void)snprintf(r->cell[TABLE_OPS_TYPE], 40, "%s",
		    type != NULL ? type : "-");
		(void)snprintf(r->cell[TABLE_OPS_STATUS], 40, "%s",
		    status != NULL ? status : "-");
		table_time(r->cell[TABLE_OPS_STARTED], 40,
		    json_string(o, "started_at"));
		table_duration(r->cell[TABLE_OPS_DURATION], 40, o,
		    "duration_ms");
		r->failed = status != NULL && strcmp(status, "failed") == 0;
		r->summary = r->failed && error != NULL ? error
		    : summary != NULL                   ? summary
		                                        : "";
	}
	for (size_t c = 0; c < TABLE_OPS__MAX; c++) {
		w[c] = strlen(table_ops_cols[c].title);
		for (size_t i = 0; i < n; i++)
			if (table_columns(rows[i].cell[c]) > w[c])
				w[c] = table_columns(rows[i].cell[c]);
	}
	if (((flags & TABLE_COLOR) && buf_puts(out, BOLD) == -1) ||
	    buf_printf(out, "%zu operation%s", n, n == 1 ? "" : "s") == -1 ||
	    ((flags & TABLE_COLOR) && buf_puts(out, RESET) == -1) ||
	    buf_puts(out, ", newest first\n\n") == -1)
		goto out;
	if (n == 0 && buf_puts(out, "no operations\n") == -1)
		goto out;
	if (n > 0 && table_ops_line(out, NULL, w, flags) == -1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (table_ops_line(out, &rows[i], w, flags) == -1)
			goto out;
	if ((cJSON_IsString(cursor) || cJSON_IsNumber(cursor)) &&
	    buf_puts(out,
	        "more operations follow: use a larger --limit, or --until\n") ==
	        -1)
		goto out;
	rc = 0;
out:
	free(rows);
	return rc;
}

/* Most lines of one step's error_detail that are printed. */
#define DETAIL_LINES 20
/* The indent of a step's output, error and detail lines. */
#define DETAIL_INDENT 6

/* Append 'v' (any JSON) on one line, or "-" when absent. */
static int
table_json_value(struct buf *out, const cJSON *v, size_t width)
{
	char *s;
	int rc;

	if (v == NULL || cJSON_IsNull(v))
		return buf_puts(out, "-");
	if (cJSON_IsString(v))
		return table_fit(out, v->valuestring, width) == -1 ? -1 : 0;
	if ((s = cJSON_PrintUnformatted(v)) == NULL)
		return -1;
	rc = table_fit(out, s, width) == -1 ? -1 : 0;
	cJSON_free(s);
	return rc;
}

/* Append "  label  <JSON value>" for member 'key' of 'o'. */
static int
table_json_field(struct buf *out, const char *label, const cJSON *o,
    const char *key)
{
	int n;

	if (table_pad(out, INDENT) == -1 ||
	    (n = table_fit(out, label, LABEL - 1)) == -1 ||
	    table_pad(out, LABEL - (size_t)n) == -1 ||
	    table_json_value(out, json_dig(o, key),
	        TABLE_WIDTH - INDENT - LABEL) == -1)
		return -1;
	return table_eol(out);
}

/*
 * Append the text 'detail' line by line, each indented by DETAIL_INDENT
 * and broken every TABLE_WIDTH - DETAIL_INDENT columns (a JSON body is
 * one long line), at most DETAIL_LINES lines, made safe by table_fit().
 */
static int
table_detail(struct buf *out, const char *detail)
{
	size_t width = TABLE_WIDTH - DETAIL_INDENT, lines = 0;
	const char *p = detail;
	struct buf line;
	int rc = -1;

	buf_init(&line);
	while (*p != '\0') {
		size_t k = 0, cols = 0;

		/* Up to 'width' code points, not past the end of the line. */
		while (p[k] != '\0' && p[k] != '\n' && cols < width) {
			k++;
			while (((unsigned char)p[k] & 0xc0) == 0x80)
				k++;
			cols++;
		}
		if (lines == DETAIL_LINES) {
			if (table_pad(out, DETAIL_INDENT) == -1 ||
			    buf_puts(out, ELLIPSIS "\n") == -1)
				goto out;
			break;
		}
		buf_reset(&line);
		if (buf_append(&line, p, k) == -1 ||
		    buf_append(&line, "", 1) == -1 ||
		    table_pad(out, DETAIL_INDENT) == -1 ||
		    table_fit(out, line.buf, width) == -1 ||
		    table_eol(out) == -1)
			goto out;
		lines++;
		p += k;
		if (*p == '\n')
			p++;
	}
	rc = 0;
out:
	buf_release(&line);
	return rc;
}

/* Append "output: <JSON>" of a failed step, broken as table_detail(). */
static int
table_step_output(struct buf *out, const cJSON *v)
{
	struct buf text;
	char *s;
	int rc;

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if ((s = cJSON_PrintUnformatted(v)) == NULL)
		return -1;
	buf_init(&text);
	rc = buf_printf(&text, "output: %s", s) == -1
	    ? -1
	    : table_detail(out, text.buf);
	buf_release(&text);
	cJSON_free(s);
	return rc;
}

/* Append the line of step 's', and for a failure its output and detail. */
static int
table_step(struct buf *out, const cJSON *s, unsigned flags)
{
	const char *name = json_string(s, "name");
	const char *status = json_string(s, "status");
	const char *error = json_string(s, "error");
	const char *detail = json_string(s, "error_detail");
	bool failed = status != NULL && strcmp(status, "failed") == 0;
	bool color = (flags & TABLE_COLOR) != 0;
	char dur[24], label[96];
	int64_t n;

	table_duration(dur, sizeof(dur), s, "duration_ms");
	/* A step standing for many actions says how many. */
	if (json_int64(s, "count", 2, INT64_MAX, &n) == 0)
		(void)snprintf(label, sizeof(label), "%.60s (%lld)",
		    name != NULL ? name : "-", (long long)n);
	else
		(void)snprintf(label, sizeof(label), "%s",
		    name != NULL ? name : "-");
	if (table_pad(out, INDENT) == -1 ||
	    table_cell(out, failed ? "\xe2\x9c\x97" : "\xe2\x9c\x93", 1, false,
	        color && failed ? RED : NULL) == -1 ||
	    buf_puts(out, " ") == -1 ||
	    table_cell(out, label, 24, false, NULL) == -1 ||
	    table_cell(out, dur, 9, true, NULL) == -1 ||
	    buf_puts(out, "  ") == -1)
		return -1;
	if (failed) {
		if ((color && buf_puts(out, RED) == -1) ||
		    table_fit(out, error != NULL ? error : "failed",
		        TABLE_WIDTH - INDENT - 2 - 24 - 9 - 2) == -1 ||
		    (color && buf_puts(out, RESET) == -1) ||
		    table_eol(out) == -1)
			return -1;
		if (table_step_output(out, json_dig(s, "output")) == -1)
			return -1;
		return detail != NULL && *detail != '\0'
		    ? table_detail(out, detail)
		    : 0;
	}
	if (table_json_value(out, json_dig(s, "output"),
	        TABLE_WIDTH - INDENT - 2 - 24 - 9 - 2) == -1)
		return -1;
	return table_eol(out);
}

int
table_render_operation(struct buf *out, const cJSON *doc, unsigned flags)
{
	static const struct {
		const char *label;
		const char *key;
	} fields[] = { { "request", "request_id" },
		{ "triggered by", "triggered_by" },
		{ "external ref", "external_ref" },
		{ "installations", "installation_ids" },
		{ "entities", "entity_ids" }, { "input", "input" },
		{ "output", "output" } };
	const cJSON *steps = json_dig(doc, "steps"), *s;
	const char *type = json_string(doc, "type");
	const char *status = json_string(doc, "status");
	const char *error = json_string(doc, "error");
	const char *detail = json_string(doc, "error_detail");
	bool failed = status != NULL && strcmp(status, "failed") == 0;
	char id[24], started[40], completed[40], dur[24], line[96];

	if (!cJSON_IsObject(doc) || !cJSON_IsArray(steps))
		return -1;
	table_id_or_dash(id, sizeof(id), doc, "id");
	table_time(started, sizeof(started), json_string(doc, "started_at"));
	table_time(completed, sizeof(completed),
	    json_string(doc, "completed_at"));
	table_duration(dur, sizeof(dur), doc, "duration_ms");
	(void)snprintf(line, sizeof(line), "operation %s %s", id,
	    type != NULL ? type : "-");
	if (table_styled(out, flags, BOLD, line) == -1 ||
	    buf_puts(out, ": ") == -1 ||
	    table_styled(out, failed ? flags : 0, RED,
	        status != NULL ? status : "-") == -1 ||
	    buf_puts(out, "\n\n") == -1)
		return -1;
	(void)snprintf(line, sizeof(line), "%s, %s", completed, dur);
	if (table_field(out, "started", started, flags, NULL) == -1 ||
	    table_field(out, "completed", line, flags, NULL) == -1 ||
	    (error != NULL &&
	        table_field(out, "error", error, flags, RED) == -1))
		return -1;
	if (detail != NULL && *detail != '\0' &&
	    table_detail(out, detail) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (table_json_field(out, fields[i].label, doc,
		        fields[i].key) == -1)
			return -1;
	if (table_title(out, "STEPS", flags) == -1)
		return -1;
	if (steps->child == NULL &&
	    (table_pad(out, INDENT) == -1 || buf_puts(out, "no steps\n") == -1))
		return -1;
	cJSON_ArrayForEach (s, steps)
		if (cJSON_IsObject(s) && table_step(out, s, flags) == -1)
			return -1;
	return 0;
}

/* --follow (issue 26): one line per row or operation as it comes. */

/* The fixed widths of the follow lines of rows, gaps of one: 100. */
static const size_t table_follow_w[TABLE_COL__MAX] = { 7, 19, 22, 14, 10, 8, 9,
	4 };

int
table_follow_row(struct buf *out, const cJSON *e, unsigned flags)
{
	struct table_row r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (e == NULL)
		return table_line(out, NULL, table_follow_w, 1, flags);
	if (!cJSON_IsObject(e))
		return -1;
	if (table_row_fill(&r, e) == 0)
		rc = table_line(out, &r, table_follow_w, 1, flags);
	for (size_t c = 0; c < TABLE_COL__MAX; c++)
		free(r.cell[c]);
	return rc;
}

/* The fixed widths of the follow lines of operations. */
static const size_t table_follow_ops_w[TABLE_OPS__MAX] = { 7, 12, 9, 19, 8 };

int
table_follow_operation(struct buf *out, const cJSON *o, unsigned flags)
{
	struct table_ops_row r;
	const char *type, *status, *error, *summary;

	if (o == NULL)
		return table_ops_line(out, NULL, table_follow_ops_w, flags);
	if (!cJSON_IsObject(o))
		return -1;
	memset(&r, 0, sizeof(r));
	type = json_string(o, "type");
	status = json_string(o, "status");
	error = json_string(o, "error");
	summary = json_string(o, "steps_summary");
	table_id_or_dash(r.cell[TABLE_OPS_ID], 40, o, "id");
	(void)snprintf(r.cell[TABLE_OPS_TYPE], 40, "%s",
	    type != NULL ? type : "-");
	(void)snprintf(r.cell[TABLE_OPS_STATUS], 40, "%s",
	    status != NULL ? status : "-");
	table_time(r.cell[TABLE_OPS_STARTED], 40, json_string(o, "started_at"));
	table_duration(r.cell[TABLE_OPS_DURATION], 40, o, "duration_ms");
	r.failed = status != NULL && strcmp(status, "failed") == 0;
	r.summary = r.failed && error != NULL ? error
	    : summary != NULL                 ? summary
	                                      : "";
	return table_ops_line(out, &r, table_follow_ops_w, flags);
}
