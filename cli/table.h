/* SPDX-License-Identifier: MIT */
/* Text rendering of trace documents for a terminal: table, state, diagnosis. */
#ifndef INSTLOG_TABLE_H
#define INSTLOG_TABLE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/str.h"

/* No rendered line is wider than this many columns. */
#define TABLE_WIDTH 100

/* Rendering flags. */
enum table_flag {
	TABLE_COLOR = 1 << 0, /* ANSI bold headers, red failures and causes */
};

/*
 * Append to 'out' at most 'width' columns of 's', made safe for a
 * terminal: control characters (C0, DEL, C1) and invalid UTF-8 become
 * '?'.  When 's' is wider, it is cut to width - 1 columns followed by an
 * ellipsis ("\u2026").  One code point counts as one column.  Returns the
 * number of columns appended, or -1 when out of memory.
 */
int table_fit(struct buf *out, const char *s, size_t width);

/*
 * Append to 'out' the list document 'doc' of a trace route
 * ({"entity_id","entity_name","events","next_cursor","state",
 * "diagnosis"}) as text: a title line; the events as a chronological
 * table (id, time in UTC to the second, event, outcome, entity, actor,
 * repo, job) whose cells are cut with an ellipsis so that no line is
 * wider than TABLE_WIDTH; a note when next_cursor is set; the state; the
 * diagnosis (cause, summary, evidence) or "no problem found".  'flags' is
 * a mask of enum table_flag.  Every field is read with a type check; a
 * missing or mistyped one shows as "-" or is left out.  Returns 0, or -1
 * when 'doc' has no "events" array or when out of memory.  'doc' is not
 * retained.
 */
int table_render(struct buf *out, const cJSON *doc, unsigned flags);

/*
 * Append to 'out' the document 'doc' of /trace/payload/{id}
 * ({"id","event","received_at","payload"}): a title line, then one
 * "path  value" line per leaf of the payload (paths like
 * "repository.full_name" or "labels[0]"), each at most TABLE_WIDTH
 * columns.  Returns 0, or -1 when 'doc' is not an object or when out of
 * memory.  'doc' is not retained.
 */
int table_render_payload(struct buf *out, const cJSON *doc, unsigned flags);

/*
 * Append to 'out' the document of GET /operations ({"operations":[…],
 * "next_cursor"}) as a table: id, type, status (failed in red), started
 * (UTC, to the second), duration, and the error of a failed operation or
 * else its steps summary, cut so that no line is wider than TABLE_WIDTH;
 * a note when next_cursor is set.  Returns 0, or -1 when 'doc' has no
 * "operations" array or when out of memory.
 */
int table_render_operations(struct buf *out, const cJSON *doc, unsigned flags);

/*
 * Append to 'out' the document of GET /operations/{id}: its fields, then
 * one line per step (✓ or ✗, name, duration, output or error), failed
 * steps highlighted and followed by their error_detail, indented.
 * Returns 0, or -1 when 'doc' is not an operation or when out of memory.
 */
int table_render_operation(struct buf *out, const cJSON *doc, unsigned flags);

/*
 * --follow: append to 'out' one line of the timeline table for the row
 * object 'e' of GET /trace/stream (fixed column widths, so that lines
 * printed one at a time line up; TABLE_WIDTH wide), or the header line
 * when 'e' is NULL.  Returns 0, or -1 when 'e' is not an object or when
 * out of memory.
 */
int table_follow_row(struct buf *out, const cJSON *e, unsigned flags);

/*
 * --follow: the same for the operation object 'o' of GET
 * /operations/stream (a line of the operations table), or the header
 * when 'o' is NULL.
 */
int table_follow_operation(struct buf *out, const cJSON *o, unsigned flags);

/*
 * Append to 'out' the document of GET /trace/failing ({"data":[…],
 * "next_cursor"}) as a table: cause (red), account (login and id), since
 * (the first failure, UTC to the second), failures, and the summary cut
 * so that no line is wider than TABLE_WIDTH; a note when next_cursor is
 * set.  Returns 0, or -1 when 'doc' has no "data" array or when out of
 * memory.  'doc' is not retained.
 */
int table_render_failing(struct buf *out, const cJSON *doc, unsigned flags);

#endif
