/* SPDX-License-Identifier: MIT */
/* Fold of an entity's installation events into a state, and its diagnosis. */
#include "core/events.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event_names.h"
#include "core/str.h"
#include "core/strset.h"

static const char *const cause_names[EVENTS_CAUSE__MAX] = {
	[EVENTS_CAUSE_UNINSTALLED] = "uninstalled",
	[EVENTS_CAUSE_SUSPENDED] = "suspended",
	[EVENTS_CAUSE_REPO_REMOVED] = "repo_removed",
	[EVENTS_CAUSE_RENAMED] = "renamed",
	[EVENTS_CAUSE_WRONG_APP] = "wrong_app",
	[EVENTS_CAUSE_REPO_NOT_SELECTED] = "repo_not_selected",
};

/* A growable string whose appends become no-ops after a failure. */
struct sb {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;
};

/* Replace *dst by a copy of 'src' (NULL accepted).  Returns 0 or -1. */
static int
str_set(char **dst, const char *src)
{
	char *p = NULL;

	if (src != NULL && (p = strdup(src)) == NULL)
		return -1;
	free(*dst);
	*dst = p;
	return 0;
}

/* Append a copy of 'name' to the previous names unless it is there. */
static int
names_add(struct events_state *st, const char *name)
{
	char **v, *p;

	for (size_t i = 0; i < st->nprevious_names; i++)
		if (ascii_casecmp(st->previous_names[i], name) == 0)
			return 0;
	if (st->nprevious_names >= SIZE_MAX / sizeof(*v) - 1)
		return -1;
	if ((p = strdup(name)) == NULL)
		return -1;
	v = realloc(st->previous_names, (st->nprevious_names + 1) * sizeof(*v));
	if (v == NULL) {
		free(p);
		return -1;
	}
	v[st->nprevious_names++] = p;
	st->previous_names = v;
	return 0;
}

/* Make 'name' (NULL: no change) the current login.  Returns 0 or -1. */
static int
name_follow(struct events_state *st, const char *name)
{
	if (name == NULL ||
	    (st->entity_name != NULL && strcmp(st->entity_name, name) == 0))
		return 0;
	if (st->entity_name != NULL &&
	    ascii_casecmp(st->entity_name, name) != 0 &&
	    names_add(st, st->entity_name) == -1)
		return -1;
	return str_set(&st->entity_name, name);
}

static int
fold_rename(struct events_state *st, const struct events_row *r)
{
	const char *from, *to;

	from = r->old_login != NULL ? r->old_login : st->entity_name;
	to = r->new_login != NULL ? r->new_login : r->entity_name;
	st->renamed_id = r->id;
	if (to == NULL)
		return 0;
	if (from != NULL && ascii_casecmp(from, to) != 0) {
		if (names_add(st, from) == -1 ||
		    strset_rename_owner(st->repos, &st->nrepos, from, to) == -1)
			return -1;
	}
	return str_set(&st->entity_name, to);
}

static int
fold_auth_failure(struct events_state *st, const struct events_row *r,
    bool is_404)
{
	struct events_auth_failure *f = &st->last_auth_failure;
	char *at = NULL, *repo = NULL, *name = NULL;

	if (st->entity_name == NULL &&
	    str_set(&st->entity_name, r->entity_name) == -1)
		return -1;
	if (str_set(&at, r->received_at) == -1 ||
	    str_set(&repo, r->repo) == -1 ||
	    str_set(&name, r->entity_name) == -1) {
		free(at);
		free(repo);
		free(name);
		return -1;
	}
	free(f->at);
	free(f->repo);
	free(f->entity_name);
	f->present = true;
	f->is_404 = is_404;
	f->id = r->id;
	f->at = at;
	f->app_id = r->app_id;
	f->installation_id = r->installation_id;
	f->http_status = r->http_status;
	f->repo = repo;
	f->entity_name = name;
	return 0;
}

/* Apply one row to 'st'.  Returns 0 or -1. */
static int
fold_row(struct events_state *st, const struct events_row *r)
{
	enum event k = event_find(r->event);

	/* workflow_job.*, NULL and events of no account tell nothing. */
	if (k == EVENT_OTHER && !event_is_account(r->event))
		return 0;
	switch (k) {
	case EVENT_AUTH_404:
	case EVENT_AUTH_OTHER_ERROR:
		return fold_auth_failure(st, r, k == EVENT_AUTH_404);
	case EVENT_RENAMED:
		return fold_rename(st, r);
	default:
		break;
	}
	if (name_follow(st, r->entity_name) == -1)
		return -1;
	switch (k) {
	case EVENT_CREATED:
		st->installed = true;
		st->suspended = false;
		st->installation_id = r->installation_id;
		st->app_id = r->app_id;
		st->created_id = r->id;
		st->deleted_id = 0;
		st->suspend_id = 0;
		strset_clear(&st->repos, &st->nrepos);
		if (str_set(&st->repository_selection,
		        r->repository_selection) == -1)
			return -1;
		return strset_add(&st->repos, &st->nrepos, r->repos, r->nrepos);
	case EVENT_DELETED:
		st->installed = false;
		st->suspended = false;
		st->deleted_id = r->id;
		st->suspend_id = 0;
		strset_clear(&st->repos, &st->nrepos);
		return 0;
	case EVENT_SUSPEND:
		st->suspended = true;
		st->suspend_id = r->id;
		return 0;
	case EVENT_UNSUSPEND:
		st->suspended = false;
		st->suspend_id = 0;
		return 0;
	case EVENT_REPOS_ADDED:
	case EVENT_REPOS_REMOVED:
		if (r->repository_selection != NULL &&
		    str_set(&st->repository_selection,
		        r->repository_selection) == -1)
			return -1;
		if (k == EVENT_REPOS_ADDED)
			return strset_add(&st->repos, &st->nrepos, r->repos,
			    r->nrepos);
		return strset_remove(st->repos, &st->nrepos, r->repos,
		    r->nrepos);
	default:
		return 0;
	}
}

void
events_state_init(struct events_state *st)
{
	memset(st, 0, sizeof(*st));
}

void
events_state_release(struct events_state *st)
{
	if (st == NULL)
		return;
	free(st->repository_selection);
	strset_clear(&st->repos, &st->nrepos);
	free(st->entity_name);
	strset_clear(&st->previous_names, &st->nprevious_names);
	free(st->last_auth_failure.at);
	free(st->last_auth_failure.repo);
	free(st->last_auth_failure.entity_name);
	events_state_init(st);
}

int
events_fold(const struct events_row *rows, size_t n, struct events_state *st)
{
	if (st == NULL || (rows == NULL && n > 0))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (fold_row(st, &rows[i]) == -1)
			return -1;
	return 0;
}

static void sb_printf(struct sb *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *p;
	int len;

	if (sb->failed)
		return;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= SIZE_MAX / 2 - sb->len) {
		sb->failed = true;
		return;
	}
	if (sb->len + (size_t)len + 1 > sb->cap) {
		cap = sb->cap == 0 ? 128 : sb->cap;
		while (cap < sb->len + (size_t)len + 1)
			cap *= 2;
		if ((p = realloc(sb->buf, cap)) == NULL) {
			sb->failed = true;
			return;
		}
		sb->buf = p;
		sb->cap = cap;
	}
	va_start(ap, fmt);
	(void)vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	sb->len += (size_t)len;
}

/* Append " <prefix> 'value'" when 'value' is not NULL. */
static void
sb_quoted(struct sb *sb, const char *prefix, const char *value)
{
	if (value != NULL)
		sb_printf(sb, " %s '%s'", prefix, value);
}

/* Append " 'id'" when 'id' is not 0. */
static void
sb_id(struct sb *sb, int64_t id)
{
	if (id != 0)
		sb_printf(sb, " '%" PRId64 "'", id);
}

/* Append " <prefix> <at>" without fractional seconds, when 'at' is set. */
static void
sb_time(struct sb *sb, const char *prefix, const char *at)
{
	const char *dot, *end;
	size_t len;

	if (at == NULL)
		return;
	if ((dot = strchr(at, '.')) == NULL) {
		sb_printf(sb, " %s %s", prefix, at);
		return;
	}
	for (end = dot + 1; *end >= '0' && *end <= '9'; end++)
		continue;
	len = (size_t)(dot - at);
	sb_printf(sb, " %s %.*s%s", prefix, len > INT_MAX ? INT_MAX : (int)len,
	    at, end);
}

/* Everything the diagnosis reads off the rows besides the state. */
struct scan {
	size_t created; /* positions in rows, n when absent */
	size_t deleted;
	size_t suspend;
	size_t renamed;
	size_t failure; /* the state's last auth failure */
	size_t last_404;
	size_t touch;       /* last created/added/removed naming the repo */
	bool touch_removed; /* ... and it was a removal */
	bool ever_added;    /* a created or added row named the repo */
};

/* True when the 'len' bytes of 's' are a login the entity had. */
static bool
is_entity_login(const struct events_state *st, const char *s, size_t len)
{
	if (st->entity_name != NULL && strlen(st->entity_name) == len &&
	    ascii_ncasecmp(st->entity_name, s, len) == 0)
		return true;
	for (size_t i = 0; i < st->nprevious_names; i++)
		if (strlen(st->previous_names[i]) == len &&
		    ascii_ncasecmp(st->previous_names[i], s, len) == 0)
			return true;
	return false;
}

/*
 * True when full_names 'a' and 'b' name the same repository: equal but
 * for case, or the same name under two logins of the entity (a rename).
 */
static bool
repo_match(const struct events_state *st, const char *a, const char *b)
{
	const char *sa, *sb;

	if (ascii_casecmp(a, b) == 0)
		return true;
	if ((sa = strchr(a, '/')) == NULL || (sb = strchr(b, '/')) == NULL ||
	    ascii_casecmp(sa, sb) != 0)
		return false;
	return is_entity_login(st, a, (size_t)(sa - a)) &&
	    is_entity_login(st, b, (size_t)(sb - b));
}

static bool
row_names_repo(const struct events_state *st, const struct events_row *r,
    const char *repo)
{
	if (r->repos == NULL)
		return false;
	for (size_t i = 0; i < r->nrepos; i++)
		if (r->repos[i] != NULL && repo_match(st, r->repos[i], repo))
			return true;
	return false;
}

static void
scan_rows(const struct events_row *rows, size_t n,
    const struct events_state *st, struct scan *sc)
{
	const struct events_auth_failure *f = &st->last_auth_failure;
	const char *repo = f->present ? f->repo : NULL;
	enum event k;

	sc->created = sc->deleted = sc->suspend = sc->renamed = n;
	sc->failure = sc->last_404 = sc->touch = n;
	sc->touch_removed = sc->ever_added = false;
	for (size_t i = 0; i < n; i++) {
		k = event_find(rows[i].event);
		if (k == EVENT_CREATED && rows[i].id == st->created_id)
			sc->created = i;
		else if (k == EVENT_DELETED && rows[i].id == st->deleted_id)
			sc->deleted = i;
		else if (k == EVENT_SUSPEND && rows[i].id == st->suspend_id)
			sc->suspend = i;
		else if (k == EVENT_RENAMED && rows[i].id == st->renamed_id)
			sc->renamed = i;
		else if (event_is_auth_failure(k) && f->present &&
		    rows[i].id == f->id)
			sc->failure = i;
		if (k == EVENT_AUTH_404)
			sc->last_404 = i;
		if (repo == NULL ||
		    (k != EVENT_CREATED && k != EVENT_REPOS_ADDED &&
		        k != EVENT_REPOS_REMOVED) ||
		    !row_names_repo(st, &rows[i], repo))
			continue;
		sc->touch = i;
		sc->touch_removed = k == EVENT_REPOS_REMOVED;
		if (k != EVENT_REPOS_REMOVED)
			sc->ever_added = true;
	}
}

/*
 * Find the first and last auth failures (only 404s when 'only_404')
 * after position 'from'.  Leaves both at n when there is none.
 */
static void
failures_after(const struct events_row *rows, size_t n, size_t from,
    bool only_404, size_t *first, size_t *last)
{
	enum event k;

	*first = *last = n;
	for (size_t i = from + 1; i < n; i++) {
		k = event_find(rows[i].event);
		if (k == EVENT_AUTH_404 ||
		    (!only_404 && k == EVENT_AUTH_OTHER_ERROR)) {
			if (*first == n)
				*first = i;
			*last = i;
		}
	}
}

static void
evidence_add(struct events_finding *fd, int64_t id)
{
	if (id != 0 && fd->nevidence < EVENTS_EVIDENCE_MAX)
		fd->evidence[fd->nevidence++] = id;
}

/* Add the evidence of the first and last of 'first'/'last' that exist. */
static void
evidence_range(struct events_finding *fd, const struct events_row *rows,
    size_t n, size_t first, size_t last)
{
	if (first < n)
		evidence_add(fd, rows[first].id);
	if (last < n && last != first)
		evidence_add(fd, rows[last].id);
}

static const char *
name_at(const struct events_row *rows, size_t n, size_t pos,
    const struct events_state *st)
{
	if (pos < n && rows[pos].entity_name != NULL)
		return rows[pos].entity_name;
	return st->entity_name;
}

static const char *
at_of(const struct events_row *rows, size_t n, size_t pos)
{
	return pos < n ? rows[pos].received_at : NULL;
}

static void
diag_uninstalled(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct sb *sb)
{
	size_t first, last;

	failures_after(rows, n, sc->deleted, true, &first, &last);
	evidence_add(fd, st->deleted_id);
	evidence_range(fd, rows, n, first, last);
	sb_printf(sb, "the app was uninstalled");
	sb_quoted(sb, "from", name_at(rows, n, sc->deleted, st));
	sb_time(sb, "on", at_of(rows, n, sc->deleted));
	if (first < n) {
		sb_printf(sb, "; jobs fail with 404");
		sb_time(sb, "since", rows[first].received_at);
	}
}

static void
diag_suspended(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct sb *sb)
{
	size_t first, last;

	failures_after(rows, n, sc->suspend, false, &first, &last);
	evidence_add(fd, st->suspend_id);
	evidence_range(fd, rows, n, first, last);
	sb_printf(sb, "the installation");
	sb_id(sb, st->installation_id);
	sb_quoted(sb, "of", name_at(rows, n, sc->suspend, st));
	sb_printf(sb, " was suspended");
	sb_time(sb, "on", at_of(rows, n, sc->suspend));
	sb_printf(sb, " and not unsuspended; GitHub answers 403 to it");
	if (first < n) {
		sb_printf(sb, "; auth fails");
		sb_time(sb, "since", rows[first].received_at);
	}
}

static void
diag_repo_removed(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct sb *sb)
{
	(void)n;
	evidence_add(fd, rows[sc->touch].id);
	evidence_add(fd, st->last_auth_failure.id);
	sb_printf(sb, "'%s' was removed from the installation",
	    st->last_auth_failure.repo);
	sb_id(sb, rows[sc->touch].installation_id);
	sb_time(sb, "on", rows[sc->touch].received_at);
	sb_printf(sb, " and not added back; its jobs cannot authenticate");
}

static void
diag_renamed(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct sb *sb)
{
	const struct events_auth_failure *f = &st->last_auth_failure;
	const char *from;

	(void)n;
	if ((from = rows[sc->renamed].old_login) == NULL)
		from = f->entity_name;
	evidence_add(fd, st->renamed_id);
	evidence_add(fd, f->id);
	sb_printf(sb, "the account was renamed");
	sb_quoted(sb, "from", from);
	sb_quoted(sb, "to", st->entity_name);
	sb_time(sb, "on", rows[sc->renamed].received_at);
	sb_printf(sb, "; jobs still use '%s'", f->entity_name);
}

static void
diag_wrong_app(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct sb *sb)
{
	(void)n;
	evidence_add(fd, st->created_id);
	evidence_add(fd, rows[sc->last_404].id);
	sb_printf(sb,
	    "the scheduler used app '%" PRId64 "' but the live installation",
	    rows[sc->last_404].app_id);
	sb_id(sb, st->installation_id);
	sb_quoted(sb, "on", st->entity_name);
	sb_printf(sb, " belongs to app '%" PRId64 "'; GitHub answers 404",
	    st->app_id);
}

static void
diag_repo_not_selected(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct sb *sb)
{
	(void)rows;
	(void)n;
	(void)sc;
	evidence_add(fd, st->created_id);
	evidence_add(fd, st->last_auth_failure.id);
	sb_printf(sb, "'%s' was never added to the installation",
	    st->last_auth_failure.repo);
	sb_id(sb, st->installation_id);
	sb_printf(sb, ", which has access to selected repositories only");
}

/* Whether each cause holds, given the state and the scan. */
static bool
holds(enum events_cause c, const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc)
{
	const struct events_auth_failure *f = &st->last_auth_failure;
	bool failing_repo = f->present && f->repo != NULL && sc->failure < n;
	bool stale;

	switch (c) {
	case EVENTS_CAUSE_UNINSTALLED:
		return !st->installed && st->deleted_id != 0;
	case EVENTS_CAUSE_SUSPENDED:
		return st->suspended && st->suspend_id != 0;
	case EVENTS_CAUSE_REPO_REMOVED:
		return failing_repo && sc->touch < sc->failure &&
		    sc->touch_removed;
	case EVENTS_CAUSE_RENAMED:
		if (!f->present || f->entity_name == NULL || sc->renamed >= n ||
		    sc->failure >= n || sc->failure < sc->renamed)
			return false;
		if (st->entity_name != NULL)
			stale =
			    ascii_casecmp(f->entity_name, st->entity_name) != 0;
		else
			stale = is_entity_login(st, f->entity_name,
			    strlen(f->entity_name));
		return stale;
	case EVENTS_CAUSE_WRONG_APP:
		return st->installed && st->app_id != 0 && sc->created < n &&
		    sc->last_404 < n && sc->last_404 > sc->created &&
		    rows[sc->last_404].app_id != 0 &&
		    rows[sc->last_404].app_id != st->app_id;
	case EVENTS_CAUSE_REPO_NOT_SELECTED:
		return st->installed && st->repository_selection != NULL &&
		    strcmp(st->repository_selection, "selected") == 0 &&
		    failing_repo && sc->created < n &&
		    sc->failure > sc->created && !sc->ever_added;
	default:
		return false;
	}
}

static void (*const diag_fns[EVENTS_CAUSE__MAX])(const struct events_row *,
    size_t, const struct events_state *, const struct scan *,
    struct events_finding *, struct sb *) = {
	[EVENTS_CAUSE_UNINSTALLED] = diag_uninstalled,
	[EVENTS_CAUSE_SUSPENDED] = diag_suspended,
	[EVENTS_CAUSE_REPO_REMOVED] = diag_repo_removed,
	[EVENTS_CAUSE_RENAMED] = diag_renamed,
	[EVENTS_CAUSE_WRONG_APP] = diag_wrong_app,
	[EVENTS_CAUSE_REPO_NOT_SELECTED] = diag_repo_not_selected,
};

void
events_diagnosis_init(struct events_diagnosis *d)
{
	memset(d, 0, sizeof(*d));
}

void
events_diagnosis_release(struct events_diagnosis *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nfindings; i++)
		free(d->findings[i].summary);
	events_diagnosis_init(d);
}

int
events_diagnose(const struct events_row *rows, size_t n,
    const struct events_state *st, struct events_diagnosis *out)
{
	struct events_finding *fd;
	struct scan sc;
	struct sb sb;
	int rc = -1;

	if (out == NULL)
		return -1;
	events_diagnosis_init(out);
	if (st == NULL || (rows == NULL && n > 0))
		return -1;
	scan_rows(rows, n, st, &sc);
	for (int c = 0; c < EVENTS_CAUSE__MAX; c++) {
		if (!holds((enum events_cause)c, rows, n, st, &sc))
			continue;
		fd = &out->findings[out->nfindings];
		fd->cause = (enum events_cause)c;
		memset(&sb, 0, sizeof(sb));
		diag_fns[c](rows, n, st, &sc, fd, &sb);
		if (sb.failed) {
			free(sb.buf);
			goto out;
		}
		fd->summary = sb.buf;
		out->nfindings++;
	}
	rc = 0;
out:
	if (rc == -1)
		events_diagnosis_release(out);
	return rc;
}

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
 * Mark the rows the scan finds by the state's ids, the last 404, and the
 * first failures after the deletion and the suspension: what
 * failures_after() returns (the last failure after either is the last
 * 404 or the state's failure, both kept).
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
 * mention, and their rows: the scan's "touch" of the failing repo is the
 * latest of the last mentions of the names matching it, and "ever_added"
 * holds when one of them has an adding mention.  Returns 0 or -1.
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

const char *
events_cause_name(enum events_cause c)
{
	if ((unsigned)c >= EVENTS_CAUSE__MAX)
		return NULL;
	return cause_names[c];
}
