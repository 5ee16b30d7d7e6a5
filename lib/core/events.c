/* SPDX-License-Identifier: MIT */
/* The fold of an entity's rows into a state. */
#include "core/events.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/event_names.h"
#include "core/str.h"
#include "core/strset.h"

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
	char *at = NULL, *repo = NULL, *name = NULL, *msg = NULL;

	if (st->entity_name == NULL &&
	    str_set(&st->entity_name, r->entity_name) == -1)
		return -1;
	if (str_set(&at, r->received_at) == -1 ||
	    str_set(&repo, r->repo) == -1 ||
	    str_set(&name, r->entity_name) == -1 ||
	    str_set(&msg, r->message) == -1) {
		free(at);
		free(repo);
		free(name);
		free(msg);
		return -1;
	}
	free(f->at);
	free(f->repo);
	free(f->entity_name);
	free(f->message);
	f->present = true;
	f->is_404 = is_404;
	f->id = r->id;
	f->at = at;
	f->app_id = r->app_id;
	f->installation_id = r->installation_id;
	f->http_status = r->http_status;
	f->repo = repo;
	f->entity_name = name;
	f->message = msg;
	f->repo_id = r->repo_id;
	f->cleared = false;
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
	case EVENT_AUTH_TRANSPORT:
		return fold_auth_failure(st, r, k == EVENT_AUTH_404);
	case EVENT_RENAMED:
		return fold_rename(st, r);
	case EVENT_REPO_RENAMED:
	case EVENT_REPO_TRANSFERRED:
	case EVENT_REPO_DELETED:
		return 0;
	case EVENT_PLAN_CANCELLED:
		st->plan_cancelled_id = r->id;
		return 0;
	case EVENT_PLAN_PURCHASED:
		st->plan_cancelled_id = 0;
		return 0;
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
		st->last_auth_failure.cleared = true;
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
		st->last_auth_failure.cleared = true;
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
	free(st->last_auth_failure.message);
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
