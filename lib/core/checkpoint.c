/* SPDX-License-Identifier: MIT */
/* Snapshots of an entity's fold, so that a trace folds only what follows. */
#include "core/checkpoint.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/events.h"
#include "core/events_diagnose.h"
#include "core/events_keep.h"

/*
 * The encoding: "ILFC", the version, the state, then the kept rows.
 * Integers are little-endian, 4 bytes for counts and 8 for values; a
 * string is its length + 1 then its bytes, 0 for NULL; a list of strings
 * is its count then the strings.  A decoder reads exactly 'len' bytes.
 */
static const unsigned char magic[4] = { 'I', 'L', 'F', 'C' };

/* A growable byte buffer whose writes become no-ops after a failure. */
struct wbuf {
	unsigned char *p;
	size_t len;
	size_t cap;
	bool failed;
};

static void
w_bytes(struct wbuf *w, const void *p, size_t n)
{
	unsigned char *np;
	size_t cap;

	if (w->failed)
		return;
	if (n > SIZE_MAX / 2 - w->len) {
		w->failed = true;
		return;
	}
	if (w->len + n > w->cap) {
		cap = w->cap == 0 ? 256 : w->cap;
		while (cap < w->len + n)
			cap *= 2;
		if ((np = realloc(w->p, cap)) == NULL) {
			w->failed = true;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void
w_uint(struct wbuf *w, uint64_t v, size_t size)
{
	unsigned char b[8];

	for (size_t i = 0; i < size; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	w_bytes(w, b, size);
}

static void
w_i64(struct wbuf *w, int64_t v)
{
	w_uint(w, (uint64_t)v, 8);
}

static void
w_count(struct wbuf *w, size_t n)
{
	if (n >= UINT32_MAX)
		w->failed = true;
	w_uint(w, n, 4);
}

static void
w_str(struct wbuf *w, const char *s)
{
	size_t n = s == NULL ? 0 : strlen(s);

	w_count(w, s == NULL ? 0 : n + 1);
	if (s != NULL)
		w_bytes(w, s, n);
}

static void
w_strv(struct wbuf *w, const char *const *v, size_t n)
{
	w_count(w, n);
	for (size_t i = 0; i < n; i++)
		w_str(w, v[i]);
}

static void
w_state(struct wbuf *w, const struct events_state *st)
{
	const struct events_auth_failure *f = &st->last_auth_failure;

	w_uint(w, st->installed, 1);
	w_uint(w, st->suspended, 1);
	w_i64(w, st->installation_id);
	w_i64(w, st->app_id);
	w_str(w, st->repository_selection);
	w_strv(w, (const char *const *)st->repos, st->nrepos);
	w_str(w, st->entity_name);
	w_strv(w, (const char *const *)st->previous_names, st->nprevious_names);
	w_uint(w, f->present, 1);
	w_uint(w, f->is_404, 1);
	w_i64(w, f->id);
	w_str(w, f->at);
	w_i64(w, f->app_id);
	w_i64(w, f->installation_id);
	w_i64(w, f->http_status);
	w_str(w, f->repo);
	w_str(w, f->entity_name);
	w_str(w, f->message);
	w_i64(w, f->repo_id);
	w_uint(w, f->cleared, 1);
	w_i64(w, st->created_id);
	w_i64(w, st->deleted_id);
	w_i64(w, st->suspend_id);
	w_i64(w, st->renamed_id);
	w_i64(w, st->plan_cancelled_id);
}

static void
w_row(struct wbuf *w, const struct events_row *r)
{
	w_i64(w, r->id);
	w_str(w, r->received_at);
	w_str(w, r->event);
	w_i64(w, r->app_id);
	w_i64(w, r->installation_id);
	w_str(w, r->entity_name);
	w_str(w, r->repository_selection);
	w_strv(w, r->repos, r->repos == NULL ? 0 : r->nrepos);
	w_str(w, r->old_login);
	w_str(w, r->new_login);
	w_i64(w, r->http_status);
	w_str(w, r->repo);
	w_str(w, r->repo_to);
	w_str(w, r->message);
	w_i64(w, r->repo_id);
}

int
ckpt_encode(const struct events_state *st, const struct events_row *rows,
    size_t n, unsigned char **out, size_t *outlen)
{
	struct wbuf w = { 0 };

	*out = NULL;
	*outlen = 0;
	if (st == NULL || (rows == NULL && n > 0))
		return -1;
	w_bytes(&w, magic, sizeof(magic));
	w_uint(&w, CKPT_VERSION, 4);
	w_state(&w, st);
	w_count(&w, n);
	for (size_t i = 0; i < n; i++)
		w_row(&w, &rows[i]);
	if (w.failed) {
		free(w.p);
		return -1;
	}
	*out = w.p;
	*outlen = w.len;
	return 0;
}

/*
 * A reader of an encoding.  Strings of rows go into 'pool' and their
 * repository lists into 'repos', both sized for the worst case; strings
 * of the state are allocated one by one, as events_state owns them.
 */
struct rbuf {
	const unsigned char *p;
	size_t len;
	size_t off;
	bool failed;
	char *pool;
	size_t pooloff;
	const char **repos;
	size_t nrepos;
};

static uint64_t
r_uint(struct rbuf *r, size_t size)
{
	uint64_t v = 0;

	if (r->failed || r->len - r->off < size) {
		r->failed = true;
		return 0;
	}
	for (size_t i = 0; i < size; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += size;
	return v;
}

static int64_t
r_i64(struct rbuf *r)
{
	return (int64_t)r_uint(r, 8);
}

static bool
r_bool(struct rbuf *r)
{
	uint64_t v = r_uint(r, 1);

	if (v > 1)
		r->failed = true;
	return v == 1;
}

static int
r_int(struct rbuf *r)
{
	int64_t v = r_i64(r);

	if (v < 0 || v > 999)
		r->failed = true;
	return (int)v;
}

/*
 * The next string, checked (no NUL inside): its length in *n and a
 * pointer to its bytes, or NULL for a NULL string or a failure.
 */
static const unsigned char *
r_span(struct rbuf *r, size_t *n)
{
	uint64_t v = r_uint(r, 4);
	const unsigned char *s;

	*n = 0;
	if (r->failed || v == 0)
		return NULL;
	if (v - 1 > r->len - r->off) {
		r->failed = true;
		return NULL;
	}
	s = r->p + r->off;
	*n = (size_t)v - 1;
	if (memchr(s, '\0', *n) != NULL) {
		r->failed = true;
		return NULL;
	}
	r->off += *n;
	return s;
}

/* A string of the state: a new copy, or NULL. */
static char *
r_dup(struct rbuf *r)
{
	const unsigned char *s;
	size_t n;
	char *p;

	if ((s = r_span(r, &n)) == NULL)
		return NULL;
	if ((p = malloc(n + 1)) == NULL) {
		r->failed = true;
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A count of items that each take at least 'min' more bytes. */
static size_t
r_count(struct rbuf *r, size_t min)
{
	uint64_t v = r_uint(r, 4);

	if (r->failed || v > (r->len - r->off) / min) {
		r->failed = true;
		return 0;
	}
	return (size_t)v;
}

/* A list of strings of the state, none NULL, into *v and *n. */
static void
r_dupv(struct rbuf *r, char ***v, size_t *n)
{
	size_t count = r_count(r, 4);

	if (r->failed || count == 0)
		return;
	if ((*v = calloc(count, sizeof(**v))) == NULL) {
		r->failed = true;
		return;
	}
	for (*n = 0; *n < count && !r->failed; (*n)++)
		if (((*v)[*n] = r_dup(r)) == NULL)
			r->failed = true;
}

/* A string of a row, in the pool: a pointer to it, or NULL. */
static const char *
r_pooled(struct rbuf *r)
{
	const unsigned char *s;
	char *p;
	size_t n;

	if ((s = r_span(r, &n)) == NULL)
		return NULL;
	/* n + 1 <= 4 + n bytes of the input: the pool never overflows. */
	p = r->pool + r->pooloff;
	memcpy(p, s, n);
	p[n] = '\0';
	r->pooloff += n + 1;
	return p;
}

static void
r_state(struct rbuf *r, struct events_state *st)
{
	struct events_auth_failure *f = &st->last_auth_failure;

	st->installed = r_bool(r);
	st->suspended = r_bool(r);
	st->installation_id = r_i64(r);
	st->app_id = r_i64(r);
	st->repository_selection = r_dup(r);
	r_dupv(r, &st->repos, &st->nrepos);
	st->entity_name = r_dup(r);
	r_dupv(r, &st->previous_names, &st->nprevious_names);
	f->present = r_bool(r);
	f->is_404 = r_bool(r);
	f->id = r_i64(r);
	f->at = r_dup(r);
	f->app_id = r_i64(r);
	f->installation_id = r_i64(r);
	f->http_status = r_int(r);
	f->repo = r_dup(r);
	f->entity_name = r_dup(r);
	f->message = r_dup(r);
	f->repo_id = r_i64(r);
	f->cleared = r_bool(r);
	st->created_id = r_i64(r);
	st->deleted_id = r_i64(r);
	st->suspend_id = r_i64(r);
	st->renamed_id = r_i64(r);
	st->plan_cancelled_id = r_i64(r);
}

static void
r_row(struct rbuf *r, struct events_row *row)
{
	size_t n;

	row->id = r_i64(r);
	row->received_at = r_pooled(r);
	row->event = r_pooled(r);
	row->app_id = r_i64(r);
	row->installation_id = r_i64(r);
	row->entity_name = r_pooled(r);
	row->repository_selection = r_pooled(r);
	n = r_count(r, 4);
	if (n > 0) {
		row->repos = r->repos + r->nrepos;
		for (row->nrepos = 0; row->nrepos < n; row->nrepos++)
			r->repos[r->nrepos++] = r_pooled(r);
	}
	row->old_login = r_pooled(r);
	row->new_login = r_pooled(r);
	row->http_status = r_int(r);
	row->repo = r_pooled(r);
	row->repo_to = r_pooled(r);
	row->message = r_pooled(r);
	row->repo_id = r_i64(r);
}

int
ckpt_decode(const unsigned char *p, size_t len, struct ckpt_snapshot *out)
{
	struct rbuf r = { .p = p, .len = len };

	memset(out, 0, sizeof(*out));
	events_state_init(&out->st);
	if (p == NULL || len < sizeof(magic) + 4 ||
	    memcmp(p, magic, sizeof(magic)) != 0)
		return -1;
	r.off = sizeof(magic);
	if (r_uint(&r, 4) != CKPT_VERSION)
		return -1;
	/* Every string and list entry takes 4 bytes or more of the input. */
	if ((out->pool = r.pool = malloc(len)) == NULL ||
	    (out->repos = r.repos = calloc(len / 4 + 1, sizeof(char *))) ==
	        NULL)
		goto fail;
	r_state(&r, &out->st);
	/* A row takes 8 * 4 + 4 * 8 bytes at least. */
	out->nrows = r_count(&r, 64);
	if (!r.failed && out->nrows > 0 &&
	    (out->rows = calloc(out->nrows, sizeof(*out->rows))) == NULL)
		r.failed = true;
	for (size_t i = 0; i < out->nrows && !r.failed; i++)
		r_row(&r, &out->rows[i]);
	if (!r.failed && r.off == len)
		return 0;
fail:
	ckpt_snapshot_release(out);
	return -1;
}

void
ckpt_snapshot_release(struct ckpt_snapshot *s)
{
	if (s == NULL)
		return;
	events_state_release(&s->st);
	free(s->rows);
	free(s->pool);
	free(s->repos);
	memset(s, 0, sizeof(*s));
	events_state_init(&s->st);
}

/*
 * The rows 'a' followed by the rows 'b', as a new array in *out (NULL
 * when both are empty).  Returns 0 or -1.
 */
static int
rows_concat(const struct events_row *a, size_t na, const struct events_row *b,
    size_t nb, struct events_row **out)
{
	*out = NULL;
	if (na + nb == 0)
		return 0;
	if (na > SIZE_MAX / sizeof(**out) - nb ||
	    (*out = malloc((na + nb) * sizeof(**out))) == NULL)
		return -1;
	if (na > 0)
		memcpy(*out, a, na * sizeof(**out));
	if (nb > 0)
		memcpy(*out + na, b, nb * sizeof(**out));
	return 0;
}

/*
 * Keep what the diagnosis needs of 'kept' followed by 'rows' (folded into
 * 'st'), encode the snapshot and hand it to the plan.  *kept becomes the
 * new kept rows.  Returns 0, 1 when the plan wants no more snapshots, or
 * -1 when out of memory; *len is the size of the snapshot.
 */
static int
snapshot(struct events_kept *kept, const struct events_row *rows, size_t n,
    const struct events_state *st, const struct ckpt_plan *plan, size_t i,
    size_t *len)
{
	struct events_row *seq = NULL;
	struct events_kept next;
	unsigned char *data = NULL;
	int rc = -1;

	if (rows_concat(kept->rows, kept->n, rows, n, &seq) == -1 ||
	    events_keep(seq, kept->n + n, st, &next) == -1)
		goto out;
	events_kept_release(kept);
	*kept = next;
	if (ckpt_encode(st, kept->rows, kept->n, &data, len) == -1)
		goto out;
	rc = plan->emit(plan->arg, i, data, *len) == -1 ? 1 : 0;
out:
	free(data);
	free(seq);
	return rc;
}

/*
 * Fold 'tail' after 'from' into *st (which takes 'from's state), handing
 * snapshots to the plan.  Leaves in *kept what the diagnosis needs of the
 * rows before tail[*rest], the rows after the last snapshot.  Returns 0 or
 * -1; *kept is the caller's to release either way.
 */
/* The rows of an empty tail, which may come as NULL: no offset from NULL. */
static const struct events_row no_rows[1];

static int
fold_on(struct ckpt_snapshot *from, const struct events_row *tail, size_t n,
    const struct ckpt_plan *plan, struct events_state *st,
    struct events_kept *kept, size_t *rest)
{
	size_t start = 0, limit = n, gap = 0, len = 0;
	bool emitting;
	int r;

	if (tail == NULL)
		tail = no_rows;

	memset(kept, 0, sizeof(*kept));
	*rest = 0;
	if (from != NULL) {
		*st = from->st;
		events_state_init(&from->st);
		/* The rows of 'from' are the first kept rows (a copy). */
		if (rows_concat(from->rows, from->nrows, NULL, 0,
		        &kept->rows) == -1)
			return -1;
		kept->n = from->nrows;
	}
	emitting = plan != NULL && plan->every > 0 && plan->emit != NULL;
	for (size_t i = 0; emitting && i < n; i++)
		if (tail[i].id > plan->max_id) {
			limit = i;
			break;
		}
	if (emitting)
		gap = plan->every;
	while (emitting && gap <= limit - start) {
		if (events_fold(tail + start, gap, st) == -1)
			return -1;
		if ((r = snapshot(kept, tail + start, gap, st, plan,
		         start + gap - 1, &len)) == -1)
			return -1;
		emitting = r == 0;
		start += gap;
		gap = plan->every > len / 64 ? plan->every : len / 64;
	}
	*rest = start;
	return events_fold(tail + start, n - start, st);
}

int
ckpt_fold(struct ckpt_snapshot *from, const struct events_row *tail, size_t n,
    const struct ckpt_plan *plan, struct events_state *st,
    struct events_diagnosis *dg)
{
	struct events_kept kept;
	struct events_row *seq = NULL;
	size_t rest;
	int rc = -1;

	if (tail == NULL)
		tail = no_rows;

	if (st == NULL || dg == NULL || (tail == NULL && n > 0))
		return -1;
	if (fold_on(from, tail, n, plan, st, &kept, &rest) == -1)
		goto out;
	if (kept.n == 0) {
		if (events_diagnose(tail + rest, n - rest, st, dg) == -1)
			goto out;
	} else if (rows_concat(kept.rows, kept.n, tail + rest, n - rest,
	               &seq) == -1 ||
	    events_diagnose(seq, kept.n + n - rest, st, dg) == -1)
		goto out;
	rc = 0;
out:
	events_kept_release(&kept);
	free(seq);
	return rc;
}

int
ckpt_fold_page(struct ckpt_snapshot *from, const struct events_row *tail,
    size_t n, const struct ckpt_plan *plan, unsigned char **out, size_t *outlen)
{
	struct events_state st;
	struct events_kept kept, last;
	struct events_row *seq = NULL;
	size_t rest;
	int rc = -1;

	if (tail == NULL)
		tail = no_rows;

	*out = NULL;
	*outlen = 0;
	events_state_init(&st);
	memset(&last, 0, sizeof(last));
	if (tail == NULL && n > 0)
		return -1;
	if (fold_on(from, tail, n, plan, &st, &kept, &rest) == -1 ||
	    rows_concat(kept.rows, kept.n, tail + rest, n - rest, &seq) == -1 ||
	    events_keep(seq, kept.n + n - rest, &st, &last) == -1 ||
	    ckpt_encode(&st, last.rows, last.n, out, outlen) == -1)
		goto out;
	rc = 0;
out:
	events_kept_release(&last);
	events_kept_release(&kept);
	events_state_release(&st);
	free(seq);
	return rc;
}
