/* SPDX-License-Identifier: MIT */
/* The text of GET /trace/failing: the fleet's failing accounts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/json.h"
#include "core/str.h"
#include "table.h"

#define BOLD  "\033[1m"
#define RED   "\033[31m"
#define RESET "\033[0m"

/* The fixed columns, then the summary in what is left of TABLE_WIDTH. */
enum fail_col { FAIL_CAUSE, FAIL_ACCOUNT, FAIL_SINCE, FAIL_COUNT, FAIL__MAX };

static const struct {
	const char *title;
	size_t max;
} fail_cols[FAIL__MAX] = {
	[FAIL_CAUSE] = { "CAUSE", 18 },
	[FAIL_ACCOUNT] = { "ACCOUNT", 24 },
	[FAIL_SINCE] = { "SINCE (UTC)", 19 },
	[FAIL_COUNT] = { "FAILURES", 8 },
};

/* "2026-11-24T10:00:00.123456Z" as "2026-11-24 10:00:00", else "-". */
static void
fail_time(char *dst, size_t size, const char *at)
{
	if (at == NULL || strlen(at) < 19)
		(void)snprintf(dst, size, "-");
	else
		(void)snprintf(dst, size, "%.10s %.8s", at, at + 11);
}

/* Append 's' fitted to 'w' columns, padded to 'w' unless 'last'. */
static int
fail_cell(struct buf *out, const char *s, size_t w, bool last)
{
	int n = table_fit(out, s, w);

	if (n == -1)
		return -1;
	if (last)
		return 0;
	for (size_t i = (size_t)n; i < w + 2; i++)
		if (buf_puts(out, " ") == -1)
			return -1;
	return 0;
}

int
table_render_failing(struct buf *out, const cJSON *doc, unsigned flags)
{
	const cJSON *data = json_dig(doc, "data"), *it;
	const cJSON *cursor = json_dig(doc, "next_cursor");
	char cell[FAIL__MAX][64];
	size_t n, used = 0;
	int64_t v;

	if (!cJSON_IsArray(data))
		return -1;
	n = (size_t)cJSON_GetArraySize(data);
	if (((flags & TABLE_COLOR) && buf_puts(out, BOLD) == -1) ||
	    buf_printf(out, "%zu failing account%s", n, n == 1 ? "" : "s") ==
	        -1 ||
	    ((flags & TABLE_COLOR) && buf_puts(out, RESET) == -1) ||
	    buf_puts(out, ", newest failure first\n\n") == -1)
		return -1;
	if (n == 0)
		return buf_puts(out, "no account is failing\n");
	for (size_t c = 0; c < FAIL__MAX; c++)
		used += fail_cols[c].max + 2;
	if (((flags & TABLE_COLOR) && buf_puts(out, BOLD) == -1))
		return -1;
	for (size_t c = 0; c < FAIL__MAX; c++)
		if (fail_cell(out, fail_cols[c].title, fail_cols[c].max,
		        false) == -1)
			return -1;
	if (buf_puts(out, "SUMMARY") == -1 ||
	    ((flags & TABLE_COLOR) && buf_puts(out, RESET) == -1) ||
	    buf_puts(out, "\n") == -1)
		return -1;
	cJSON_ArrayForEach (it, data) {
		const char *cause = json_string(it, "cause");
		const char *name = json_string(it, "entity_name");
		const char *summary = json_string(it, "summary");

		if (!cJSON_IsObject(it))
			continue;
		(void)snprintf(cell[FAIL_CAUSE], 64, "%s",
		    cause != NULL ? cause : "-");
		if (json_int64(it, "entity_id", 1, INT64_MAX, &v) == 0)
			(void)snprintf(cell[FAIL_ACCOUNT], 64, "%.40s (%lld)",
			    name != NULL ? name : "-", (long long)v);
		else
			(void)snprintf(cell[FAIL_ACCOUNT], 64, "%.40s",
			    name != NULL ? name : "-");
		fail_time(cell[FAIL_SINCE], 64,
		    json_string(it, "first_failure_at"));
		if (json_int64(it, "failures", 0, INT64_MAX, &v) == 0)
			(void)snprintf(cell[FAIL_COUNT], 64, "%lld",
			    (long long)v);
		else
			(void)snprintf(cell[FAIL_COUNT], 64, "-");
		for (size_t c = 0; c < FAIL__MAX; c++) {
			bool red = c == FAIL_CAUSE && (flags & TABLE_COLOR);
			int k;

			if (red && buf_puts(out, RED) == -1)
				return -1;
			if ((k = table_fit(out, cell[c], fail_cols[c].max)) ==
			        -1 ||
			    (red && buf_puts(out, RESET) == -1))
				return -1;
			for (size_t i = (size_t)k; i < fail_cols[c].max + 2;
			     i++)
				if (buf_puts(out, " ") == -1)
					return -1;
		}
		if (fail_cell(out, summary != NULL ? summary : "",
		        TABLE_WIDTH - used, true) == -1 ||
		    buf_puts(out, "\n") == -1)
			return -1;
	}
	if ((cJSON_IsString(cursor) || cJSON_IsNumber(cursor)) &&
	    buf_puts(out, "more accounts follow: use a larger --limit\n") == -1)
		return -1;
	return 0;
}
