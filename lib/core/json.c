/* SPDX-License-Identifier: MIT */
/*
 * JSON in and out: typed getters over cJSON trees (every read checks the
 * type) and the one writer of JSON text, which places commas itself.
 */
#include "core/json.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The arena (json_arena_begin()): a thread's trees take their nodes and
 * strings from one block of the thread's by moving a pointer, instead of
 * a malloc() and a free() each (an 8 KB delivery is some 400 nodes and
 * as many strings).  What does not fit is malloc()ed; the block grows for
 * the next tree up to ARENA_KEEP.  cJSON's hooks are the process's: every
 * allocation outside an arena goes to malloc() and free() as before.
 */
#define ARENA_KEEP  ((size_t)1 << 20)
#define ARENA_ALIGN ((size_t)16)

/*
 * Under AddressSanitizer the block is poisoned but for what was handed
 * out, with a poisoned gap after each piece: reading past a string of a
 * tree is caught as it is with malloc().
 */
#if defined(__SANITIZE_ADDRESS__)
# define ARENA_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define ARENA_ASAN 1
# endif
#endif
#ifdef ARENA_ASAN
# include <sanitizer/asan_interface.h>
# define ARENA_GAP ARENA_ALIGN
#else
# define ASAN_POISON_MEMORY_REGION(p, n)   ((void)(p), (void)(n))
# define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
# define ARENA_GAP                         ((size_t)0)
#endif

struct arena {
	char *base;    /* the block, or NULL */
	size_t cap;    /* its size */
	size_t used;   /* bytes handed out from it since json_arena_begin() */
	size_t wanted; /* bytes asked for since then, fitting or not */
	bool on;
};

static _Thread_local struct arena arena;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static pthread_key_t arena_key; /* frees a thread's block when it exits */

static void *
arena_malloc(size_t n)
{
	struct arena *a = &arena;
	size_t sz;

	if (!a->on || n > SIZE_MAX - ARENA_ALIGN - ARENA_GAP)
		return malloc(n);
	sz = ((n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1)) + ARENA_GAP;
	a->wanted = a->wanted > SIZE_MAX - sz ? SIZE_MAX : a->wanted + sz;
	if (a->base == NULL || sz > a->cap - a->used)
		return malloc(n);
	a->used += sz;
	ASAN_UNPOISON_MEMORY_REGION(a->base + a->used - sz, n);
	return a->base + a->used - sz;
}

/* Memory of this thread's block is given back all at once (end). */
static void
arena_free(void *p)
{
	const struct arena *a = &arena;

	if (a->base != NULL && (char *)p >= a->base &&
	    (char *)p < a->base + a->cap)
		return;
	free(p);
}

static void
arena_init(void)
{
	cJSON_Hooks hooks = { arena_malloc, arena_free };

	(void)pthread_key_create(&arena_key, free);
	cJSON_InitHooks(&hooks);
}

void
json_arena_begin(void)
{
	(void)pthread_once(&arena_once, arena_init);
	arena.on = true;
	arena.used = 0;
	arena.wanted = 0;
	if (arena.base != NULL)
		ASAN_POISON_MEMORY_REGION(arena.base, arena.cap);
}

size_t
json_arena_used(void)
{
	return arena.used;
}

void
json_arena_end(void)
{
	struct arena *a = &arena;
	size_t cap;

	a->on = false;
	a->used = 0;
	if (a->wanted <= a->cap || a->cap == ARENA_KEEP)
		return;
	/* Room for the next tree as large as this one. */
	cap = a->wanted < ARENA_KEEP / 2 ? a->wanted * 2 : ARENA_KEEP;
	if (a->base != NULL)
		ASAN_UNPOISON_MEMORY_REGION(a->base, a->cap);
	free(a->base);
	/* NULL: the next trees from malloc(), and another try at the end. */
	a->base = malloc(cap);
	a->cap = a->base != NULL ? cap : 0;
	(void)pthread_setspecific(arena_key, a->base);
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
 * The index of the '"' that closes the string whose text starts at p[i]
 * (after its opening quote), or 'len' when it is not closed.  Looks only
 * at quotes and backslashes (memchr()), not at each byte.  With 'jsonb'
 * set, clears *jsonb at a \u escape that json_jsonb_takes() refuses and
 * returns there.
 */
static size_t
string_end(const char *p, size_t len, size_t i, bool *jsonb)
{
	while (i < len) {
		const char *q = memchr(p + i, '"', len - i);
		size_t end = q == NULL ? len : (size_t)(q - p);
		const char *esc = memchr(p + i, '\\', end - i);
		long cu;

		if (esc == NULL)
			return end;
		i = (size_t)(esc - p) + 1; /* the escape's letter */
		if (jsonb != NULL &&
		    (i == len ||
		        (p[i] == 'u' &&
		            (len - i < 5 || (cu = hex4(p + i + 1)) <= 0 ||
		                cu >= 0x80)))) {
			*jsonb = false; /* \u0000, non-ASCII, cut short */
			return i;
		}
		i++;
	}
	return len;
}

/*
 * Return the deepest nesting of '[' and '{' in 'p' outside strings, or
 * stop counting once 'limit' is passed.  Cheap pre-check so cJSON's
 * recursion stays bounded whatever its compile-time limit.
 */
static int
json_depth_exceeds(const char *p, size_t len, int limit)
{
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (c == '"')
			i = string_end(p, len, i + 1, NULL);
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

/* The longest number json_jsonb_takes() lets through. */
#define JSONB_NUMBER_MAX 300

bool
json_jsonb_takes(const char *p, size_t len)
{
	size_t num = 0; /* length of the number being read, 0: none */
	bool ok = true;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (num > 0 || c == '-' || (c >= '0' && c <= '9')) {
			if (c == 'e' || c == 'E')
				return false; /* numeric may overflow */
			if (c == '-' || c == '+' || c == '.' ||
			    (c >= '0' && c <= '9')) {
				if (++num > JSONB_NUMBER_MAX)
					return false;
				continue;
			}
			num = 0;
		}
		if (c == '"') {
			i = string_end(p, len, i + 1, &ok);
			if (!ok)
				return false;
		}
	}
	return true;
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

/* True for the bytes a JSON string literal cannot hold as they are. */
static bool
json_needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

/*
 * json_quote(): the short escapes where JSON has one (\b and \f too, as
 * PostgreSQL's JSON functions write them), \u00XX for the other control
 * bytes.
 */
static int
quote(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;
	char esc[8];
	size_t n;

	if (buf_append(b, "\"", 1) == -1)
		return -1;
	while (*p != '\0') {
		const char *rep;

		/* Copy the run of bytes that need no escape in one go. */
		for (run = p; *p != '\0';) {
			if (!json_needs_escape(*p))
				p++;
			else if (*p >= 0x80 &&
			    (n = utf8_seq(p, strnlen((const char *)p, 4))) > 0)
				p += n;
			else
				break;
		}
		if (p > run && buf_append(b, run, (size_t)(p - run)) == -1)
			return -1;
		if (*p == '\0')
			break;
		switch (*p) {
		case '"':
			rep = "\\\"";
			break;
		case '\\':
			rep = "\\\\";
			break;
		case '\n':
			rep = "\\n";
			break;
		case '\r':
			rep = "\\r";
			break;
		case '\t':
			rep = "\\t";
			break;
		case '\b':
			rep = "\\b";
			break;
		case '\f':
			rep = "\\f";
			break;
		default:
			if (*p >= 0x80) {
				/* Not well-formed UTF-8: U+FFFD. */
				rep = "\xef\xbf\xbd";
				break;
			}
			(void)snprintf(esc, sizeof(esc), "\\u%04x", *p);
			rep = esc;
			break;
		}
		if (buf_puts(b, rep) == -1)
			return -1;
		p++;
	}
	return buf_append(b, "\"", 1);
}

int
json_quote(struct buf *b, const char *s)
{
	return quote(b, s);
}

void
json_writer_init(struct json_writer *w, struct buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

int
json_writer_finish(const struct json_writer *w)
{
	return w->failed || w->depth != 0 || w->after_key ? -1 : 0;
}

/*
 * Begin a value: the comma before it when it is not the first item of its
 * array or object.  Returns 0, or -1 (and the writer failed) when a value
 * cannot stand here: a member of an object with no key.
 */
static int
json_begin_value(struct json_writer *w)
{
	if (w->failed)
		return -1;
	if (w->after_key) {
		w->after_key = false;
		return 0;
	}
	if (w->depth > 0) {
		if (w->is_object[w->depth - 1]) {
			w->failed = true;
			return -1;
		}
		if (w->has_item[w->depth - 1] &&
		    buf_append(w->out, ",", 1) == -1)
			w->failed = true;
		w->has_item[w->depth - 1] = true;
	}
	return w->failed ? -1 : 0;
}

/* Append 'len' bytes of 'p', or fail the writer. */
static void
json_emit(struct json_writer *w, const char *p, size_t len)
{
	if (!w->failed && buf_append(w->out, p, len) == -1)
		w->failed = true;
}

static void
json_open(struct json_writer *w, bool object)
{
	if (json_begin_value(w) == -1)
		return;
	if (w->depth == JSON_WRITER_DEPTH) {
		w->failed = true;
		return;
	}
	w->is_object[w->depth] = object;
	w->has_item[w->depth] = false;
	w->depth++;
	json_emit(w, object ? "{" : "[", 1);
}

static void
json_close(struct json_writer *w, bool object)
{
	if (w->failed)
		return;
	if (w->depth == 0 || w->is_object[w->depth - 1] != object ||
	    w->after_key) {
		w->failed = true;
		return;
	}
	w->depth--;
	json_emit(w, object ? "}" : "]", 1);
}

void
json_open_object(struct json_writer *w)
{
	json_open(w, true);
}

void
json_close_object(struct json_writer *w)
{
	json_close(w, true);
}

void
json_open_array(struct json_writer *w)
{
	json_open(w, false);
}

void
json_close_array(struct json_writer *w)
{
	json_close(w, false);
}

void
json_put_key(struct json_writer *w, const char *key)
{
	if (w->failed)
		return;
	if (w->depth == 0 || !w->is_object[w->depth - 1] || w->after_key) {
		w->failed = true;
		return;
	}
	if (w->has_item[w->depth - 1])
		json_emit(w, ",", 1);
	w->has_item[w->depth - 1] = true;
	if (!w->failed && quote(w->out, key) == -1)
		w->failed = true;
	json_emit(w, ":", 1);
	w->after_key = !w->failed;
}

void
json_put_string(struct json_writer *w, const char *s)
{
	if (s == NULL) {
		json_put_null(w);
		return;
	}
	if (json_begin_value(w) == 0 && quote(w->out, s) == -1)
		w->failed = true;
}

void
json_put_int(struct json_writer *w, int64_t v)
{
	if (json_begin_value(w) == 0 && buf_put_int64(w->out, v) == -1)
		w->failed = true;
}

void
json_put_bool(struct json_writer *w, bool v)
{
	if (json_begin_value(w) == 0)
		json_emit(w, v ? "true" : "false", v ? 4 : 5);
}

void
json_put_null(struct json_writer *w)
{
	if (json_begin_value(w) == 0)
		json_emit(w, "null", 4);
}

void
json_put_raw(struct json_writer *w, const char *text, size_t len)
{
	if (json_begin_value(w) == 0)
		json_emit(w, text, len);
}

void
json_put_tree(struct json_writer *w, const cJSON *v)
{
	const cJSON *c;
	char num[32];
	double d;

	if (cJSON_IsObject(v)) {
		json_open_object(w);
		for (c = v->child; c != NULL; c = c->next) {
			json_put_key(w, c->string != NULL ? c->string : "");
			json_put_tree(w, c);
		}
		json_close_object(w);
	} else if (cJSON_IsArray(v)) {
		json_open_array(w);
		for (c = v->child; c != NULL; c = c->next)
			json_put_tree(w, c);
		json_close_array(w);
	} else if (cJSON_IsString(v))
		json_put_string(w, v->valuestring);
	else if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
		if (!isfinite(d))
			json_put_null(w);
		else if (d == floor(d) && fabs(d) < 9007199254740992.0)
			json_put_int(w, (int64_t)d);
		else {
			(void)snprintf(num, sizeof(num), "%.17g", d);
			json_put_raw(w, num, strlen(num));
		}
	} else if (cJSON_IsBool(v))
		json_put_bool(w, cJSON_IsTrue(v));
	else if (cJSON_IsRaw(v) && v->valuestring != NULL)
		json_put_raw(w, v->valuestring, strlen(v->valuestring));
	else
		json_put_null(w);
}

void
json_member_string(struct json_writer *w, const char *key, const char *s)
{
	json_put_key(w, key);
	json_put_string(w, s);
}

void
json_member_int(struct json_writer *w, const char *key, int64_t v)
{
	json_put_key(w, key);
	json_put_int(w, v);
}

void
json_member_bool(struct json_writer *w, const char *key, bool v)
{
	json_put_key(w, key);
	json_put_bool(w, v);
}
