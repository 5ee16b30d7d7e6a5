/* SPDX-License-Identifier: MIT */
/* events_keep(): the rows of a timeline that a later diagnosis may read. */
#include "core/events_keep.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/event_names.h"
#include "core/events.h"

/* One repository name that a created, added or removed row names. */
struct mention {
	const char *name;
	size_t row;  /* position of the row */
	size_t slot; /* position among all mentions, in timeline order */
	bool adds;   /* created or added, not removed */
};

static int
mention_qcmp(const void *a, const void *b)
{
	const struct mention *ma = a, *mb = b;
	int c;

	if ((c = strcmp(ma->name, mb->name)) != 0)
		return c;
	return ma->slot < mb->slot ? -1 : ma->slot > mb->slot;
}

static bool
names_repos(const struct events_row *r)
{
	enum event k = event_find(r->event);

	return r->repos != NULL &&
	    (k == EVENT_CREATED || k == EVENT_REPOS_ADDED ||
	        k == EVENT_REPOS_REMOVED);
}

/*
 * Mark the rows the diagnosis's scan finds by the state's ids, every
 * repository.renamed, transferred and deleted (any may name a later
 * failing repo; an account has few), the last 404, and the first failures
 * after the deletion and the suspension: what
 * failures_after() of events_diagnose.c returns (the last failure after
 * either is the last 404 or the state's failure, both kept).
 */
static void
keep_evidence(const struct events_row *rows, size_t n,
    const struct events_state *st, bool *keep)
{
	const struct events_auth_failure *f = &st->last_auth_failure;
	bool want_404 = false, want_failure = false;
	size_t last_404 = n;
	enum event k;

	for (size_t i = 0; i < n; i++) {
		k = event_find(rows[i].event);
		if ((k == EVENT_CREATED && rows[i].id == st->created_id) ||
		    (k == EVENT_RENAMED && rows[i].id == st->renamed_id) ||
		    (k == EVENT_PLAN_CANCELLED &&
		        rows[i].id == st->plan_cancelled_id) ||
		    k == EVENT_REPO_RENAMED || k == EVENT_REPO_TRANSFERRED ||
		    k == EVENT_REPO_DELETED ||
		    (event_is_auth_failure(k) && f->present &&
		        rows[i].id == f->id))
			keep[i] = true;
		if (k == EVENT_DELETED && rows[i].id == st->deleted_id)
			keep[i] = want_404 = true;
		if (k == EVENT_SUSPEND && rows[i].id == st->suspend_id)
			keep[i] = want_failure = true;
		if (k == EVENT_AUTH_404) {
			last_404 = i;
			if (want_404)
				keep[i] = true;
			want_404 = false;
		}
		if (event_is_auth_failure(k)) {
			if (want_failure)
				keep[i] = true;
			want_failure = false;
		}
	}
	if (last_404 < n)
		keep[last_404] = true;
}

/*
 * Mark, per repository name, its last mention and its last adding
 * mention, and their rows: the diagnosis's "touch" of the failing repo is
 * the latest of the last mentions of the names matching it, and
 * "ever_added" holds when one of them has an adding mention.  Returns 0
 * or -1.
 */
static int
keep_mentions(const struct events_row *rows, size_t n, bool *keep,
    bool *slot_kept, size_t nm)
{
	struct mention *m;
	size_t s = 0, i, j, last_add;

	if (nm == 0)
		return 0;
	if ((m = calloc(nm, sizeof(*m))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (!names_repos(&rows[i]))
			continue;
		for (j = 0; j < rows[i].nrepos; j++) {
			if (rows[i].repos[j] == NULL)
				continue;
			m[s].name = rows[i].repos[j];
			m[s].row = i;
			m[s].slot = s;
			m[s].adds =
			    event_find(rows[i].event) != EVENT_REPOS_REMOVED;
			s++;
		}
	}
	qsort(m, nm, sizeof(*m), mention_qcmp);
	for (i = 0; i < nm; i = j) {
		last_add = nm;
		for (j = i; j < nm && strcmp(m[j].name, m[i].name) == 0; j++)
			if (m[j].adds)
				last_add = j;
		slot_kept[m[j - 1].slot] = keep[m[j - 1].row] = true;
		if (last_add < nm)
			slot_kept[m[last_add].slot] = keep[m[last_add].row] =
			    true;
	}
	free(m);
	return 0;
}

int
events_keep(const struct events_row *rows, size_t n,
    const struct events_state *st, struct events_kept *out)
{
	bool *keep = NULL, *slot_kept = NULL;
	size_t nm = 0, nkeep = 0, nrepos = 0, s = 0, i, j;
	struct events_row *r;
	int rc = -1;

	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	if (st == NULL || (rows == NULL && n > 0))
		return -1;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		for (j = 0; names_repos(&rows[i]) && j < rows[i].nrepos; j++)
			if (rows[i].repos[j] != NULL)
				nm++;
	if ((keep = calloc(n, sizeof(*keep))) == NULL ||
	    (slot_kept = calloc(nm + 1, sizeof(*slot_kept))) == NULL)
		goto out;
	keep_evidence(rows, n, st, keep);
	if (keep_mentions(rows, n, keep, slot_kept, nm) == -1)
		goto out;
	for (i = 0; i < n; i++)
		nkeep += keep[i];
	for (i = 0; i < nm; i++)
		nrepos += slot_kept[i];
	if ((out->rows = calloc(nkeep + 1, sizeof(*out->rows))) == NULL ||
	    (out->repos = calloc(nrepos + 1, sizeof(*out->repos))) == NULL)
		goto out;
	nrepos = 0;
	for (i = 0; i < n; i++) {
		r = keep[i] ? &out->rows[out->n++] : NULL;
		if (r != NULL) {
			*r = rows[i];
			r->repos = NULL;
			r->nrepos = 0;
		}
		for (j = 0; names_repos(&rows[i]) && j < rows[i].nrepos; j++) {
			if (rows[i].repos[j] == NULL || !slot_kept[s++] ||
			    r == NULL)
				continue;
			if (r->repos == NULL)
				r->repos = &out->repos[nrepos];
			out->repos[nrepos++] = rows[i].repos[j];
			r->nrepos++;
		}
	}
	rc = 0;
out:
	free(keep);
	free(slot_kept);
	if (rc == -1)
		events_kept_release(out);
	return rc;
}

void
events_kept_release(struct events_kept *k)
{
	if (k == NULL)
		return;
	free(k->rows);
	free(k->repos);
	memset(k, 0, sizeof(*k));
}
