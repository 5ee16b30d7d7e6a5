/* SPDX-License-Identifier: MIT */
/* Typed getters over cJSON trees; every read checks the type. */
#ifndef INSTLOG_JSON_H
#define INSTLOG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

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

#endif
