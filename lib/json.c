/* SPDX-License-Identifier: MIT */
/* Typed getters over cJSON trees; every read checks the type. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/*
 * Return the deepest nesting of '[' and '{' in 'p' outside strings, or
 * stop counting once 'limit' is passed.  Cheap pre-check so cJSON's
 * recursion stays bounded whatever its compile-time limit.
 */
static int
json_depth_exceeds(const char *p, size_t len, int limit)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '[' || c == '{') {
			if (++depth > limit)
				return 1;
		} else if ((c == ']' || c == '}') && depth > 0)
			depth--;
	}
	return 0;
}

cJSON *
json_parse(const char *p, size_t len)
{
	const char *end = NULL;
	cJSON *root;

	if (len == 0 || json_depth_exceeds(p, len, JSON_MAX_DEPTH))
		return NULL;
	root = cJSON_ParseWithLengthOpts(p, len, &end, 0);
	if (root == NULL)
		return NULL;
	/* Only white space may follow the value. */
	while (end != NULL && (size_t)(end - p) < len &&
	    (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
		end++;
	if (end == NULL || (size_t)(end - p) != len) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* The value of the 4 hex digits at 'p' (at least 4 bytes), or -1. */
static long
hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Replace, in the JSON text 'p', each \uD800-\uDFFF escape inside a string
 * that is not a high surrogate directly followed by a low one with
 * \uFFFD (same length).  Returns how many were replaced.
 */
static size_t
fix_surrogates(char *p, size_t len)
{
	size_t n = 0;
	bool in_str = false;
	long cu, lo;

	for (size_t i = 0; i < len; i++) {
		if (!in_str) {
			in_str = p[i] == '"';
			continue;
		}
		if (p[i] == '"') {
			in_str = false;
			continue;
		}
		if (p[i] != '\\')
			continue;
		if (i + 1 >= len)
			break;
		if (p[i + 1] != 'u' || len - i < 6 ||
		    (cu = hex4(p + i + 2)) < 0) {
			i++; /* another escape: skip its letter */
			continue;
		}
		if (cu >= 0xd800 && cu <= 0xdbff && len - i >= 12 &&
		    p[i + 6] == '\\' && p[i + 7] == 'u' &&
		    (lo = hex4(p + i + 8)) >= 0xdc00 && lo <= 0xdfff) {
			i += 11; /* a valid pair */
			continue;
		}
		if (cu >= 0xd800 && cu <= 0xdfff) {
			memcpy(p + i + 2, "fffd", 4);
			n++;
		}
		i += 5;
	}
	return n;
}

cJSON *
json_parse_lenient(const char *p, size_t len, bool *repaired)
{
	cJSON *root;
	char *copy;

	*repaired = false;
	if ((root = json_parse(p, len)) != NULL || len == 0)
		return root;
	if ((copy = malloc(len)) == NULL)
		return NULL;
	memcpy(copy, p, len);
	if (fix_surrogates(copy, len) > 0 &&
	    (root = json_parse(copy, len)) != NULL)
		*repaired = true;
	free(copy);
	return root;
}

/* The last member 'name' of object 'obj', or NULL. */
static const cJSON *
member(const cJSON *obj, const char *name)
{
	const cJSON *c, *found = NULL;

	cJSON_ArrayForEach (c, obj)
		if (c->string != NULL && strcmp(c->string, name) == 0)
			found = c;
	return found;
}

const cJSON *
json_dig(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	char name[128];
	const char *p = path, *dot;

	while (cur != NULL) {
		size_t n;

		if (!cJSON_IsObject(cur))
			return NULL;
		dot = strchr(p, '.');
		n = dot == NULL ? strlen(p) : (size_t)(dot - p);
		if (n >= sizeof(name))
			return NULL;
		memcpy(name, p, n);
		name[n] = '\0';
		cur = member(cur, name);
		if (dot == NULL)
			return cur;
		p = dot + 1;
	}
	return NULL;
}

const char *
json_string(const cJSON *root, const char *path)
{
	const cJSON *v = json_dig(root, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *
json_object(const cJSON *root, const char *path)
{
	const cJSON *v = json_dig(root, path);

	return cJSON_IsObject(v) ? v : NULL;
}

int
json_int64(const cJSON *root, const char *path, int64_t min, int64_t max,
    int64_t *out)
{
	const cJSON *v = json_dig(root, path);
	double d;

	if (v == NULL || cJSON_IsNull(v))
		return 1;
	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	/* From 2^53 on, 2^53 + 1 parses as 2^53: the id may be rounded. */
	if (!isfinite(d) || d != floor(d) || d <= -9007199254740992.0 ||
	    d >= 9007199254740992.0)
		return -1;
	if ((int64_t)d < min || (int64_t)d > max)
		return -1;
	*out = (int64_t)d;
	return 0;
}
