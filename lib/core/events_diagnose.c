/* SPDX-License-Identifier: MIT */
/* The diagnoses of an entity's timeline and their one-line summaries. */
#include "core/events_diagnose.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/event_names.h"
#include "core/events.h"
#include "core/str.h"

static const char *const cause_names[EVENTS_CAUSE__MAX] = {
	[EVENTS_CAUSE_UNINSTALLED] = "uninstalled",
	[EVENTS_CAUSE_SUSPENDED] = "suspended",
	[EVENTS_CAUSE_REPO_REMOVED] = "repo_removed",
	[EVENTS_CAUSE_RENAMED] = "renamed",
	[EVENTS_CAUSE_WRONG_APP] = "wrong_app",
	[EVENTS_CAUSE_REPO_NOT_SELECTED] = "repo_not_selected",
	[EVENTS_CAUSE_REPO_RENAMED] = "repo_renamed",
	[EVENTS_CAUSE_REPO_TRANSFERRED] = "repo_transferred",
	[EVENTS_CAUSE_REPO_DELETED] = "repo_deleted",
	[EVENTS_CAUSE_PLAN_CANCELLED] = "plan_cancelled",
	[EVENTS_CAUSE_BAD_CREDENTIALS] = "bad_credentials",
	[EVENTS_CAUSE_RATE_LIMITED] = "rate_limited",
	[EVENTS_CAUSE_GITHUB_UNAVAILABLE] = "github_unavailable",
	[EVENTS_CAUSE_RECOVERED] = "recovered",
};

/* The output order: the most specific cause first. */
static const enum events_cause cause_order[EVENTS_CAUSE__MAX] = {
	EVENTS_CAUSE_REPO_RENAMED,
	EVENTS_CAUSE_REPO_TRANSFERRED,
	EVENTS_CAUSE_REPO_DELETED,
	EVENTS_CAUSE_BAD_CREDENTIALS,
	EVENTS_CAUSE_RATE_LIMITED,
	EVENTS_CAUSE_GITHUB_UNAVAILABLE,
	EVENTS_CAUSE_UNINSTALLED,
	EVENTS_CAUSE_SUSPENDED,
	EVENTS_CAUSE_REPO_REMOVED,
	EVENTS_CAUSE_RENAMED,
	EVENTS_CAUSE_WRONG_APP,
	EVENTS_CAUSE_REPO_NOT_SELECTED,
	EVENTS_CAUSE_PLAN_CANCELLED,
	EVENTS_CAUSE_RECOVERED,
};

/* Append " <prefix> 'value'" when 'value' is not NULL.  Returns 0 or -1. */
static int
put_quoted(struct buf *b, const char *prefix, const char *value)
{
	return value == NULL ? 0 : buf_printf(b, " %s '%s'", prefix, value);
}

/* Append " 'id'" when 'id' is not 0.  Returns 0 or -1. */
static int
put_id(struct buf *b, int64_t id)
{
	return id == 0 ? 0 : buf_printf(b, " '%" PRId64 "'", id);
}

/*
 * Append " <prefix> <at>" without fractional seconds, when 'at' is set.
 * Returns 0 or -1.
 */
static int
put_time(struct buf *b, const char *prefix, const char *at)
{
	const char *dot, *end;
	size_t len;

	if (at == NULL)
		return 0;
	if ((dot = strchr(at, '.')) == NULL)
		return buf_printf(b, " %s %s", prefix, at);
	for (end = dot + 1; *end >= '0' && *end <= '9'; end++)
		continue;
	len = (size_t)(dot - at);
	return buf_printf(b, " %s %.*s%s", prefix,
	    len > INT_MAX ? INT_MAX : (int)len, at, end);
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
	/* The last repository.renamed/transferred/deleted of the failing
	 * repo before the failure, n when absent. */
	size_t repo_event[3];
	size_t plan_cancelled;
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

/*
 * True when repository row 'r' is about the failing repo of 'f': the same
 * repository id when both have one, else the name the repository had
 * before the event.
 */
static bool
row_is_failing_repo(const struct events_state *st,
    const struct events_auth_failure *f, const struct events_row *r)
{
	if (r->repo_id != 0 && f->repo_id != 0)
		return r->repo_id == f->repo_id;
	return f->repo != NULL && r->repo != NULL &&
	    repo_match(st, r->repo, f->repo);
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
	sc->repo_event[0] = sc->repo_event[1] = sc->repo_event[2] = n;
	sc->plan_cancelled = n;
	for (size_t i = 0; i < n; i++) {
		k = event_find(rows[i].event);
		if (k == EVENT_PLAN_CANCELLED &&
		    rows[i].id == st->plan_cancelled_id)
			sc->plan_cancelled = i;
		if ((k == EVENT_REPO_RENAMED || k == EVENT_REPO_TRANSFERRED ||
		        k == EVENT_REPO_DELETED) &&
		    f->present && row_is_failing_repo(st, f, &rows[i]))
			sc->repo_event[k - EVENT_REPO_RENAMED] = i;
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
		    (!only_404 && event_is_auth_failure(k))) {
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

/*
 * The diag_*() functions add the evidence of their cause to 'fd' and
 * append its summary to 'b'.  Each returns 0, or -1 when out of memory.
 */

static int
diag_uninstalled(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct buf *b)
{
	size_t first, last;

	failures_after(rows, n, sc->deleted, true, &first, &last);
	evidence_add(fd, st->deleted_id);
	evidence_range(fd, rows, n, first, last);
	if (buf_puts(b, "the app was uninstalled") == -1 ||
	    put_quoted(b, "from", name_at(rows, n, sc->deleted, st)) == -1 ||
	    put_time(b, "on", at_of(rows, n, sc->deleted)) == -1)
		return -1;
	if (first < n &&
	    (buf_puts(b, "; jobs fail with 404") == -1 ||
	        put_time(b, "since", rows[first].received_at) == -1))
		return -1;
	return 0;
}

static int
diag_suspended(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct buf *b)
{
	size_t first, last;

	failures_after(rows, n, sc->suspend, false, &first, &last);
	evidence_add(fd, st->suspend_id);
	evidence_range(fd, rows, n, first, last);
	if (buf_puts(b, "the installation") == -1 ||
	    put_id(b, st->installation_id) == -1 ||
	    put_quoted(b, "of", name_at(rows, n, sc->suspend, st)) == -1 ||
	    buf_puts(b, " was suspended") == -1 ||
	    put_time(b, "on", at_of(rows, n, sc->suspend)) == -1 ||
	    buf_puts(b, " and not unsuspended; GitHub answers 403 to it") == -1)
		return -1;
	if (first < n &&
	    (buf_puts(b, "; auth fails") == -1 ||
	        put_time(b, "since", rows[first].received_at) == -1))
		return -1;
	return 0;
}

static int
diag_repo_removed(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct buf *b)
{
	(void)n;
	evidence_add(fd, rows[sc->touch].id);
	evidence_add(fd, st->last_auth_failure.id);
	if (buf_printf(b, "'%s' was removed from the installation",
	        st->last_auth_failure.repo) == -1 ||
	    put_id(b, rows[sc->touch].installation_id) == -1 ||
	    put_time(b, "on", rows[sc->touch].received_at) == -1 ||
	    buf_puts(b, " and not added back; its jobs cannot authenticate") ==
	        -1)
		return -1;
	return 0;
}

static int
diag_renamed(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct buf *b)
{
	const struct events_auth_failure *f = &st->last_auth_failure;
	const char *from;

	(void)n;
	if ((from = rows[sc->renamed].old_login) == NULL)
		from = f->entity_name;
	evidence_add(fd, st->renamed_id);
	evidence_add(fd, f->id);
	if (buf_puts(b, "the account was renamed") == -1 ||
	    put_quoted(b, "from", from) == -1 ||
	    put_quoted(b, "to", st->entity_name) == -1 ||
	    put_time(b, "on", rows[sc->renamed].received_at) == -1 ||
	    buf_printf(b, "; jobs still use '%s'", f->entity_name) == -1)
		return -1;
	return 0;
}

static int
diag_wrong_app(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct buf *b)
{
	(void)n;
	evidence_add(fd, st->created_id);
	evidence_add(fd, rows[sc->last_404].id);
	if (buf_printf(b,
	        "the scheduler used app '%" PRId64
	        "' but the live installation",
	        rows[sc->last_404].app_id) == -1 ||
	    put_id(b, st->installation_id) == -1 ||
	    put_quoted(b, "on", st->entity_name) == -1 ||
	    buf_printf(b, " belongs to app '%" PRId64 "'; GitHub answers 404",
	        st->app_id) == -1)
		return -1;
	return 0;
}

static int
diag_repo_not_selected(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct buf *b)
{
	(void)rows;
	(void)n;
	(void)sc;
	evidence_add(fd, st->created_id);
	evidence_add(fd, st->last_auth_failure.id);
	if (buf_printf(b, "'%s' was never added to the installation",
	        st->last_auth_failure.repo) == -1 ||
	    put_id(b, st->installation_id) == -1 ||
	    buf_puts(b, ", which has access to selected repositories only") ==
	        -1)
		return -1;
	return 0;
}

/* The position of repository event 'c' of the failing repo, n if none. */
static size_t
repo_event_at(enum events_cause c, const struct scan *sc)
{
	return sc->repo_event[c - EVENTS_CAUSE_REPO_RENAMED];
}

/*
 * repo_renamed, repo_transferred and repo_deleted, told apart by the
 * cause events_diagnose() has already put in fd->cause.
 */
static int
diag_repo_event(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct buf *b)
{
	enum events_cause c = fd->cause;
	const struct events_row *r = &rows[repo_event_at(c, sc)];
	const char *what = c == EVENTS_CAUSE_REPO_RENAMED ? "renamed"
	    : c == EVENTS_CAUSE_REPO_TRANSFERRED          ? "transferred"
	                                                  : "deleted";

	(void)n;
	evidence_add(fd, r->id);
	evidence_add(fd, st->last_auth_failure.id);
	if (buf_printf(b, "the repository '%s' was %s",
	        st->last_auth_failure.repo != NULL ? st->last_auth_failure.repo
	                                           : r->repo,
	        what) == -1 ||
	    (c != EVENTS_CAUSE_REPO_DELETED &&
	        put_quoted(b, "to", r->repo_to) == -1) ||
	    put_time(b, "on", r->received_at) == -1 ||
	    buf_puts(b, "; its jobs cannot authenticate under the old name") ==
	        -1)
		return -1;
	return 0;
}

static int
diag_plan_cancelled(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct buf *b)
{
	const struct events_auth_failure *f = &st->last_auth_failure;

	evidence_add(fd, st->plan_cancelled_id);
	if (f->present && sc->failure < n && sc->failure > sc->plan_cancelled)
		evidence_add(fd, f->id);
	if (buf_puts(b, "the Marketplace plan") == -1 ||
	    put_quoted(b, "of", name_at(rows, n, sc->plan_cancelled, st)) ==
	        -1 ||
	    buf_puts(b, " was cancelled") == -1 ||
	    put_time(b, "on", at_of(rows, n, sc->plan_cancelled)) == -1 ||
	    buf_puts(b, " and not purchased again") == -1)
		return -1;
	return 0;
}

/* Append " (GitHub: '<message>')" when the failure has a message. */
static int
put_message(struct buf *b, const struct events_auth_failure *f)
{
	if (f->message == NULL || *f->message == '\0')
		return 0;
	return buf_printf(b, " (GitHub: '%.200s')", f->message);
}

/*
 * bad_credentials, rate_limited and github_unavailable: the last
 * failure's status (or that GitHub was not reached), GitHub's message and
 * when, told apart by the cause events_diagnose() has already put in
 * fd->cause.
 */
static int
diag_status(const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc,
    struct events_finding *fd, struct buf *b)
{
	const struct events_auth_failure *f = &st->last_auth_failure;
	int rc;

	(void)rows;
	(void)n;
	(void)sc;
	evidence_add(fd, f->id);
	if (fd->cause == EVENTS_CAUSE_BAD_CREDENTIALS)
		rc = buf_printf(b,
		    "GitHub refused the JWT of app '%" PRId64 "' with 401",
		    f->app_id);
	else if (fd->cause == EVENTS_CAUSE_RATE_LIMITED)
		rc = buf_printf(b,
		    "GitHub rate-limited app '%" PRId64 "' with %d", f->app_id,
		    f->http_status);
	else if (f->http_status == 0)
		rc = buf_printf(b, "GitHub could not be reached: '%.200s'",
		    f->message != NULL ? f->message : "");
	else
		rc = buf_printf(b, "GitHub answered %d", f->http_status);
	if (rc == -1 || (f->http_status != 0 && put_message(b, f) == -1) ||
	    put_time(b, "at", f->at) == -1)
		return -1;
	if (fd->cause == EVENTS_CAUSE_BAD_CREDENTIALS &&
	    buf_puts(b,
	        "; the private key or app id is wrong, and every "
	        "installation of the app fails alike") == -1)
		return -1;
	return 0;
}

/* True when 's' contains "rate limit", ignoring case. */
static bool
says_rate_limit(const char *s)
{
	static const char want[] = "rate limit";

	if (s == NULL)
		return false;
	for (; *s != '\0'; s++)
		if (ascii_ncasecmp(s, want, sizeof(want) - 1) == 0)
			return true;
	return false;
}

enum events_cause
events_auth_cause(int http_status, const char *message)
{
	if (http_status == 401)
		return EVENTS_CAUSE_BAD_CREDENTIALS;
	if (http_status == 429 ||
	    (http_status == 403 && says_rate_limit(message)))
		return EVENTS_CAUSE_RATE_LIMITED;
	if (http_status == 0 || (http_status >= 500 && http_status <= 599))
		return EVENTS_CAUSE_GITHUB_UNAVAILABLE;
	return EVENTS_CAUSE__MAX;
}

/* The status of a last failure no created or unsuspend cleared, or -1. */
static int
failing_status(const struct events_state *st, const struct scan *sc, size_t n)
{
	const struct events_auth_failure *f = &st->last_auth_failure;

	if (!f->present || f->cleared || sc->failure >= n || f->is_404)
		return -1;
	return f->http_status;
}

/* True when a repository cause explains the failing repo. */
static bool
repo_left(const struct scan *sc, size_t n)
{
	for (size_t i = 0; i < 3; i++)
		if (sc->repo_event[i] < n && sc->repo_event[i] < sc->failure)
			return true;
	return false;
}

/* Whether each cause holds, given the state and the scan. */
static bool
holds(enum events_cause c, const struct events_row *rows, size_t n,
    const struct events_state *st, const struct scan *sc)
{
	const struct events_auth_failure *f = &st->last_auth_failure;
	bool failing_repo = f->present && f->repo != NULL && sc->failure < n;
	bool stale;
	int status;

	switch (c) {
	case EVENTS_CAUSE_UNINSTALLED:
		return !st->installed && st->deleted_id != 0;
	case EVENTS_CAUSE_SUSPENDED:
		return st->suspended && st->suspend_id != 0;
	case EVENTS_CAUSE_REPO_REMOVED:
		return failing_repo && sc->touch < sc->failure &&
		    sc->touch_removed && !repo_left(sc, n);
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
		    sc->failure > sc->created && !sc->ever_added &&
		    !repo_left(sc, n);
	case EVENTS_CAUSE_REPO_RENAMED:
	case EVENTS_CAUSE_REPO_TRANSFERRED:
	case EVENTS_CAUSE_REPO_DELETED:
		return f->present && sc->failure < n &&
		    repo_event_at(c, sc) < sc->failure;
	case EVENTS_CAUSE_PLAN_CANCELLED:
		return st->plan_cancelled_id != 0 && sc->plan_cancelled < n;
	case EVENTS_CAUSE_BAD_CREDENTIALS:
	case EVENTS_CAUSE_RATE_LIMITED:
	case EVENTS_CAUSE_GITHUB_UNAVAILABLE:
		status = failing_status(st, sc, n);
		return status != -1 &&
		    events_auth_cause(status, f->message) == c;
	default:
		return false;
	}
}

static int (*const diag_fns[EVENTS_CAUSE__MAX])(const struct events_row *,
    size_t, const struct events_state *, const struct scan *,
    struct events_finding *, struct buf *) = {
	[EVENTS_CAUSE_UNINSTALLED] = diag_uninstalled,
	[EVENTS_CAUSE_SUSPENDED] = diag_suspended,
	[EVENTS_CAUSE_REPO_REMOVED] = diag_repo_removed,
	[EVENTS_CAUSE_RENAMED] = diag_renamed,
	[EVENTS_CAUSE_WRONG_APP] = diag_wrong_app,
	[EVENTS_CAUSE_REPO_NOT_SELECTED] = diag_repo_not_selected,
	[EVENTS_CAUSE_REPO_RENAMED] = diag_repo_event,
	[EVENTS_CAUSE_REPO_TRANSFERRED] = diag_repo_event,
	[EVENTS_CAUSE_REPO_DELETED] = diag_repo_event,
	[EVENTS_CAUSE_PLAN_CANCELLED] = diag_plan_cancelled,
	[EVENTS_CAUSE_BAD_CREDENTIALS] = diag_status,
	[EVENTS_CAUSE_RATE_LIMITED] = diag_status,
	[EVENTS_CAUSE_GITHUB_UNAVAILABLE] = diag_status,
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
	struct buf b;
	int rc = -1;

	if (out == NULL)
		return -1;
	events_diagnosis_init(out);
	if (st == NULL || (rows == NULL && n > 0))
		return -1;
	scan_rows(rows, n, st, &sc);
	for (size_t i = 0; i < EVENTS_CAUSE__MAX; i++) {
		enum events_cause c = cause_order[i];

		if (!holds(c, rows, n, st, &sc))
			continue;
		fd = &out->findings[out->nfindings];
		fd->cause = c;
		buf_init(&b);
		if (diag_fns[c](rows, n, st, &sc, fd, &b) == -1) {
			buf_release(&b);
			goto out;
		}
		fd->summary = b.buf;
		out->nfindings++;
	}
	rc = 0;
out:
	if (rc == -1)
		events_diagnosis_release(out);
	return rc;
}

const char *
events_cause_name(enum events_cause c)
{
	if ((unsigned)c >= EVENTS_CAUSE__MAX)
		return NULL;
	return cause_names[c];
}
