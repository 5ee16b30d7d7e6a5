/* SPDX-License-Identifier: MIT */
/*
 * JSON in and out: typed getters over cJSON trees (every read checks the
 * type) and the one writer of JSON text, which places commas itself.
 */
#ifndef INSTLOG_JSON_H
#define INSTLOG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/str.h"

/* Deepest nesting a parsed body may have; deeper input is refused. */
#define JSON_MAX_DEPTH 256

/*
 * Parse 'len' bytes of 'p' as one JSON value, refusing input nested deeper
 * than JSON_MAX_DEPTH.  Returns a tree the caller frees with cJSON_Delete(),
 * or NULL when 'p' is not valid JSON.
 */
cJSON *json_parse(const char *p, size_t len);

/*
 * Parse like json_parse(); when that fails and 'p' holds \u escapes of
 * UTF-16 surrogates that do not form a pair (a lone "\ud800", which cJSON
 * and jsonb both refuse), parse a copy with each such escape replaced by
 * "\ufffd" instead, and set *repaired when that succeeded.  'p' is not
 * modified.  Returns a tree the caller frees with cJSON_Delete(), or NULL.
 */
cJSON *json_parse_lenient(const char *p, size_t len, bool *repaired);

/*
 * True when PostgreSQL's jsonb input takes the JSON text 'p' (its 'len'
 * bytes) whenever its json input does: 'p' has no \u escape of a NUL or
 * of a code point above U+007F (jsonb refuses "\u0000", a lone surrogate,
 * and an escape its database encoding cannot hold) and no number with an
 * exponent or of over 300 characters (numeric's range).  False when in
 * doubt.  The webhook keeps a body as its exact text only when this holds
 * (sql/020_body.sql), so that every stored body reads back as jsonb.
 */
bool json_jsonb_takes(const char *p, size_t len);

/*
 * Between json_arena_begin() and json_arena_end(), every cJSON allocation
 * of the calling thread (trees, printed text) comes from a block of the
 * thread's that json_arena_end() takes back all at once: cJSON_Delete()
 * and cJSON_free() of them cost nothing, and the caller must be done with
 * them all before json_arena_end().  Other threads and other code keep
 * malloc() and free().
 */
void json_arena_begin(void);
void json_arena_end(void);

/* Bytes the calling thread's arena has handed out since it began. */
size_t json_arena_used(void);

/*
 * Follow 'path', member names separated by '.', from object 'root'.  When
 * an object has a member name twice the last one counts, as in jsonb.
 * Returns the member (borrowed from 'root'), or NULL when any step is
 * missing or is not an object.
 */
const cJSON *json_dig(const cJSON *root, const char *path);

/* The string at 'path', or NULL when missing or not a string. */
const char *json_string(const cJSON *root, const char *path);

/* The object at 'path', or NULL when missing or not an object. */
const cJSON *json_object(const cJSON *root, const char *path);

/*
 * Read the integer at 'path' into *out.  Returns 0; 1 when the member is
 * missing or null; -1 when it is present but not an integral number in
 * [min, max], or 2^53 or more in magnitude (cJSON holds numbers as
 * doubles, which no longer keep every integer there: the id may have been
 * rounded).
 */
int json_int64(const cJSON *root, const char *path, int64_t min, int64_t max,
    int64_t *out);

/*
 * Append 's' as a JSON string literal, quotes included: '"', backslash
 * and the control characters escaped ("\n", "\u001f"), bytes that do not
 * start well-formed UTF-8 (see is_utf8()) replaced by U+FFFD, the rest as
 * it is.  Returns 0 or -1.
 */
int json_quote(struct buf *b, const char *s);

/* Deepest nesting the writer accepts; deeper output is an error. */
#define JSON_WRITER_DEPTH 32

/*
 * A JSON text being written into a buffer.  The writer places the commas
 * between members and elements and the colon after a key, and escapes
 * strings; the caller says what comes in which order.  Errors are sticky:
 * after the first failure (out of memory, too deep, a key outside an
 * object, a close that matches no open) nothing more is written and
 * json_writer_finish() returns -1, so a sequence of calls needs one check
 * at its end.  Initialise with json_writer_init(); there is nothing to
 * release.
 */
struct json_writer {
	struct buf *out;
	int depth; /* open objects and arrays */
	bool is_object[JSON_WRITER_DEPTH];
	bool has_item[JSON_WRITER_DEPTH];
	bool after_key; /* a key waits for its value */
	bool failed;
};

/* Start writing at the end of 'out' (borrowed for the writer's life). */
void json_writer_init(struct json_writer *w, struct buf *out);

/*
 * Return 0 when every call succeeded and every object and array opened was
 * closed, else -1.
 */
int json_writer_finish(const struct json_writer *w);

/* Open or close an object or an array. */
void json_open_object(struct json_writer *w);
void json_close_object(struct json_writer *w);
void json_open_array(struct json_writer *w);
void json_close_array(struct json_writer *w);

/* Write the member name 'key' (escaped) of the object being written. */
void json_put_key(struct json_writer *w, const char *key);

/*
 * Write the string 's' (json_quote(): quote, backslash and
 * control characters escaped, each byte that does not start well-formed
 * UTF-8 replaced by U+FFFD); null when 's' is NULL.
 */
void json_put_string(struct json_writer *w, const char *s);

/* Write the integer 'v'. */
void json_put_int(struct json_writer *w, int64_t v);

/* Write true or false. */
void json_put_bool(struct json_writer *w, bool v);

/* Write null. */
void json_put_null(struct json_writer *w);

/*
 * Write the 'len' bytes of 'text' as they are: a JSON value the caller
 * vouches for (a jsonb column's text, say).
 */
void json_put_raw(struct json_writer *w, const char *text, size_t len);

/*
 * Write the parsed tree 'v': numbers that hold an integer below 2^53 in
 * magnitude as integers, others with 17 significant digits.
 */
void json_put_tree(struct json_writer *w, const cJSON *v);

/* json_put_key() then json_put_string(), json_put_int(), json_put_bool(). */
void json_member_string(struct json_writer *w, const char *key, const char *s);
void json_member_int(struct json_writer *w, const char *key, int64_t v);
void json_member_bool(struct json_writer *w, const char *key, bool v);

#endif
