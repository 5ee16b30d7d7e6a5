/* SPDX-License-Identifier: MIT */
/* Operations (docs/data-model.md#operations): steps, JSON, summary (pure). */
#ifndef INSTLOG_OPS_H
#define INSTLOG_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

/* The most bytes of error_detail kept (GitHub's body, libpq's message). */
#define OPS_DETAIL_MAX 10240

/* The error of an operation whose run died before it ended. */
#define OPS_ABANDONED "abandoned"

/* One finished step of an operation. */
struct ops_step {
	char *name; /* "jwt:org", "957387", "page 1", ... */
	bool failed;
	int64_t started_ms; /* Unix time in milliseconds */
	int64_t duration_ms;
	/*
	 * How many like actions this step stands for: a run over thousands
	 * of installations groups its successes into one step with a count.
	 * 0 or 1: one.
	 */
	int64_t count;
	char *output;       /* JSON text, or NULL */
	char *error;        /* one line, or NULL */
	char *error_detail; /* at most OPS_DETAIL_MAX bytes, or NULL */
};

/*
 * An operation being run: its steps in the order they finished and what
 * it touched.  'nwritten' and the touched ids are the db module's
 * bookkeeping of what is already stored.  Initialise with ops_init(),
 * release with ops_release().
 */
struct ops_run {
	const char *type;    /* borrowed: a string literal */
	int64_t id;          /* 0 until stored */
	char started_at[40]; /* as stored: the partition key */
	int64_t started_ms;
	struct ops_step *steps;
	size_t nsteps;
	size_t cap;
	size_t nwritten;           /* steps already stored */
	int64_t *installation_ids; /* touched, not stored yet */
	size_t ninstallations;
	int64_t *entity_ids;
	size_t nentities;
	/* Set before the next store to record what it acted on (borrowed). */
	const char *external_ref;
};

/* Start an empty operation of 'type' (retained) at 'now_ms'. */
void ops_init(struct ops_run *op, const char *type, int64_t now_ms);

/* Free what 'op' holds (NULL accepted) and empty it. */
void ops_release(struct ops_run *op);

/*
 * Append a copy of step 's' to 'op' (its strings are copied; 'detail' is
 * made well-formed UTF-8 without NUL bytes and cut to OPS_DETAIL_MAX
 * bytes, see ops_detail_dup()).  Returns 0, or -1 when out of memory.
 */
int ops_step_add(struct ops_run *op, const struct ops_step *s);

/*
 * Convenience for ops_step_add(): a step named 'name' that ran from
 * 'started_ms' to now, failed when 'error' is not NULL, with 'output'
 * (JSON text), 'error' and 'detail' (len bytes, any content) or NULL.
 * Returns 0 or -1.
 */
int ops_step(struct ops_run *op, const char *name, int64_t started_ms,
    const char *output, const char *error, const char *detail, size_t len);

/*
 * Note that 'op' touched installation 'installation_id' and entity
 * 'entity_id' (0: none).  Returns 0 or -1.
 */
int ops_touch(struct ops_run *op, int64_t installation_id, int64_t entity_id);

/* Whether any step of 'op' failed. */
bool ops_has_failed(const struct ops_run *op);

/*
 * Return a copy of 'len' bytes of 'p' fit for error_detail: ill-formed
 * UTF-8 and NUL bytes become U+FFFD, then it is cut to at most
 * OPS_DETAIL_MAX bytes on a character boundary.  The caller frees it.
 * NULL when out of memory.
 */
char *ops_detail_dup(const char *p, size_t len);

/*
 * The length of the longest prefix of the well-formed UTF-8 'p' (len
 * bytes) that is at most 'max' bytes and does not split a character.
 */
size_t ops_utf8_cut(const char *p, size_t len, size_t max);

/*
 * Append the one-line digest of the 'n' steps 'v' to 'out', e.g.
 * "jwt:org ✓ → 957387 ✗ → 41 more ✓": every failed step is named; a run
 * of successes is named by its first step when it stands for one action,
 * else counted ("41 more ✓"; at the start "jwt:org ✓ → 42 more ✓").
 * Returns 0 or -1.
 */
int ops_summary(const struct ops_step *v, size_t n, struct buf *out);

/*
 * Append the JSON array of the 'n' steps 'v' to 'out': each
 * {"name","status":"completed"|"failed","started_at","duration_ms",
 * ["count",]"output","error","error_detail"}, "started_at" RFC 3339 UTC
 * with microseconds (utc_format()), as every time an API shows.  Returns
 * 0 or -1.
 */
int ops_steps_json(const struct ops_step *v, size_t n, struct buf *out);

/*
 * Append to 'out' the 'len' bytes of 'steps', a JSON array of steps as
 * stored (ops_steps_json()'s, in jsonb's text), with the "started_at" of
 * every step rewritten as RFC 3339 UTC with microseconds: steps stored
 * before that format have milliseconds ("…:05.123Z" becomes
 * "…:05.123000Z").  Every other byte is kept, also a "started_at" inside a
 * step's output and a value that is not an RFC 3339 time (null).
 * Returns 0 or -1 (out of memory).
 */
int ops_steps_retime(const char *steps, size_t len, struct buf *out);

/*
 * Append the operation's error line "<step>: <message>" of its first
 * failed step to 'out' (nothing when none failed), and set *detail to
 * that step's error_detail (borrowed from 'op', or NULL).  Returns 0 or
 * -1.
 */
int ops_error_line(const struct ops_run *op, struct buf *out,
    const char **detail);

/*
 * The abandoned rule: an operation of type 'type' still 'status' is
 * abandoned when the run of 'run_type' looking at it holds that type's
 * lock ('locked': the advisory lock or flock every run of the type holds
 * for its whole life, released by the kernel or the server when the
 * process dies) and it is not the run's own operation ('id' != 'own_id').
 * A run that holds the lock is the only live one, so any other row still
 * running was left by a run that died.
 */
bool ops_is_abandoned(const char *type, const char *status, int64_t id,
    const char *run_type, bool locked, int64_t own_id);

/*
 * Append the JSON object {"keys[0]":vals[0],...} of 'n' integers to 'out',
 * NUL-terminated (the NUL not counted in out->len): the output or input
 * of most operations and steps.  Returns 0 or -1.
 */
int ops_json_ints(struct buf *out, const char *const *keys, const int64_t *vals,
    size_t n);

#endif
