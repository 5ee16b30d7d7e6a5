/* SPDX-License-Identifier: MIT */
/*
 * The event names of installation_events rows that the pure core acts on
 * ("installation.created", "auth_attempt.404"): one table, read by the
 * fold, the diagnoses, the notifier and the outcome table.
 */
#ifndef INSTLOG_EVENT_NAMES_H
#define INSTLOG_EVENT_NAMES_H

#include <stdbool.h>

/*
 * The events of the table.  EVENT_OTHER stands for every other name, and
 * for none: workflow_job.*, installation.new_permissions_accepted, ...
 * The events the notifier announces are those from EVENT__ANNOUNCED on,
 * so that they are a NULL-terminated run of event_names[]: a new event
 * goes before EVENT__ANNOUNCED when it is not announced, else before
 * EVENT__MAX.
 */
enum event {
	EVENT_OTHER = 0,
	EVENT_REPOS_ADDED,    /* installation_repositories.added */
	EVENT_PLAN_PURCHASED, /* marketplace_purchase.purchased */
	EVENT_CREATED,        /* installation.created */
	EVENT_DELETED,        /* installation.deleted */
	EVENT_SUSPEND,        /* installation.suspend */
	EVENT_UNSUSPEND,      /* installation.unsuspend */
	EVENT_REPOS_REMOVED,  /* installation_repositories.removed */
	EVENT_RENAMED,        /* installation_target.renamed */
	/* These three in this order: the diagnosis indexes by them. */
	EVENT_REPO_RENAMED,     /* repository.renamed */
	EVENT_REPO_TRANSFERRED, /* repository.transferred */
	EVENT_REPO_DELETED,     /* repository.deleted */
	EVENT_PLAN_CANCELLED,   /* marketplace_purchase.cancelled */
	EVENT_AUTH_404,         /* auth_attempt.404: the scheduler's */
	EVENT_AUTH_OTHER_ERROR, /* auth_attempt.other_error: the scheduler's */
	EVENT_AUTH_TRANSPORT, /* auth_attempt.transport_error: GitHub unreached
	                       */
	EVENT__MAX
};

/* The first event the notifier announces. */
#define EVENT__ANNOUNCED EVENT_CREATED

/*
 * The name of each event, indexed by enum event: NULL at EVENT_OTHER and
 * at EVENT__MAX, so that &event_names[EVENT__ANNOUNCED] is the
 * NULL-terminated list of the announced events (notify_events).
 */
extern const char *const event_names[EVENT__MAX + 1];

/* The event named 's' (NULL accepted), EVENT_OTHER when there is none. */
enum event event_find(const char *s);

/*
 * The name of 'e' (a static string), or NULL for EVENT_OTHER and out of
 * range.
 */
const char *event_name(enum event e);

/* Return true when the notifier announces rows of event 'e'. */
bool event_is_announced(enum event e);

/*
 * Return true when 'e' is a failed token request of the scheduler:
 * auth_attempt.404, auth_attempt.other_error or auth_attempt.transport_error.
 */
bool event_is_auth_failure(enum event e);

/*
 * Return true when 's' (NULL accepted) names an event of an installation
 * or its account, table or not: installation.*,
 * installation_repositories.* or installation_target.*.
 */
bool event_is_account(const char *s);

#endif
