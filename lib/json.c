/* SPDX-License-Identifier: MIT */
/* Typed getters over cJSON trees; every read checks the type. */
#include <math.h>
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
		} else if (c == ']' || c == '}')
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
		cur = cJSON_GetObjectItemCaseSensitive(cur, name);
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
	/* 2^63 is exactly representable; anything at or past it overflows. */
	if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 ||
	    d >= 9223372036854775808.0)
		return -1;
	if ((int64_t)d < min || (int64_t)d > max)
		return -1;
	*out = (int64_t)d;
	return 0;
}
