/* SPDX-License-Identifier: MIT */
/* The table of the event names the pure core acts on. */
#include "core/event_names.h"

#include <stddef.h>
#include <string.h>

#include "core/str.h"

const char *const event_names[EVENT__MAX + 1] = {
	[EVENT_OTHER] = NULL,
	[EVENT_REPOS_ADDED] = "installation_repositories.added",
	[EVENT_PLAN_PURCHASED] = "marketplace_purchase.purchased",
	[EVENT_CREATED] = "installation.created",
	[EVENT_DELETED] = "installation.deleted",
	[EVENT_SUSPEND] = "installation.suspend",
	[EVENT_UNSUSPEND] = "installation.unsuspend",
	[EVENT_REPOS_REMOVED] = "installation_repositories.removed",
	[EVENT_RENAMED] = "installation_target.renamed",
	[EVENT_REPO_RENAMED] = "repository.renamed",
	[EVENT_REPO_TRANSFERRED] = "repository.transferred",
	[EVENT_REPO_DELETED] = "repository.deleted",
	[EVENT_PLAN_CANCELLED] = "marketplace_purchase.cancelled",
	[EVENT_AUTH_404] = "auth_attempt.404",
	[EVENT_AUTH_OTHER_ERROR] = "auth_attempt.other_error",
	[EVENT_AUTH_TRANSPORT] = "auth_attempt.transport_error",
	[EVENT__MAX] = NULL,
};

/* The webhook events whose actions are about an installation's account. */
static const char *const account_prefixes[] = {
	"installation.",
	"installation_repositories.",
	"installation_target.",
};

enum event
event_find(const char *s)
{
	if (s == NULL)
		return EVENT_OTHER;
	for (int e = EVENT_OTHER + 1; e < EVENT__MAX; e++)
		if (strcmp(s, event_names[e]) == 0)
			return (enum event)e;
	return EVENT_OTHER;
}

const char *
event_name(enum event e)
{
	return (unsigned)e < EVENT__MAX ? event_names[e] : NULL;
}

bool
event_is_announced(enum event e)
{
	return e >= EVENT__ANNOUNCED && e < EVENT__MAX;
}

bool
event_is_auth_failure(enum event e)
{
	return e == EVENT_AUTH_404 || e == EVENT_AUTH_OTHER_ERROR ||
	    e == EVENT_AUTH_TRANSPORT;
}

bool
event_is_account(const char *s)
{
	if (s == NULL)
		return false;
	for (size_t i = 0;
	     i < sizeof(account_prefixes) / sizeof(account_prefixes[0]); i++)
		if (has_prefix(s, account_prefixes[i]))
			return true;
	return false;
}
