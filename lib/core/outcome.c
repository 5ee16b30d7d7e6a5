/* SPDX-License-Identifier: MIT */
/*
 * The outcome table: every outcome an installation_events row can carry,
 * with its name, the HTTP status the webhook answers it with, whether it
 * is a failure, and the event of the scheduler's rows.
 */
#include "core/outcome.h"

#include <stddef.h>
#include <string.h>

#include "core/event_names.h"

static const struct {
	const char *name;
	int http_status;
	bool is_failure;
	enum event event; /* the scheduler's rows only */
} outcomes[OUTCOME__MAX] = {
	[OUTCOME_OK] = { "ok", 200, false, EVENT_OTHER },
	[OUTCOME_JOB_STORED] = { "job_stored", 200, false, EVENT_OTHER },
	[OUTCOME_JOB_ALREADY_EXISTS] = { "job_already_exists", 200, false,
	    EVENT_OTHER },
	[OUTCOME_JOB_MARKED_RUNNING] = { "job_marked_running", 200, false,
	    EVENT_OTHER },
	[OUTCOME_JOB_MARKED_COMPLETED] = { "job_marked_completed", 200, false,
	    EVENT_OTHER },
	[OUTCOME_JOB_NOT_FOUND] = { "job_not_found", 200, false, EVENT_OTHER },
	[OUTCOME_IGNORED_ACTION] = { "ignored_action", 200, false,
	    EVENT_OTHER },
	[OUTCOME_IGNORED_NO_LABEL] = { "ignored_no_label", 200, false,
	    EVENT_OTHER },
	[OUTCOME_UNHANDLED_EVENT] = { "unhandled_event", 200, false,
	    EVENT_OTHER },
	[OUTCOME_INVALID_PAYLOAD] = { "invalid_payload", 400, true,
	    EVENT_OTHER },
	[OUTCOME_JOB_WRITE_FAILED] = { "job_write_failed", 503, true,
	    EVENT_OTHER },
	[OUTCOME_AUTH_404] = { "auth_404", 0, true, EVENT_AUTH_404 },
	[OUTCOME_AUTH_OTHER_ERROR] = { "auth_other_error", 0, true,
	    EVENT_AUTH_OTHER_ERROR },
	[OUTCOME_AUTH_TRANSPORT_ERROR] = { "auth_transport_error", 0, true,
	    EVENT_AUTH_TRANSPORT },
};

/* What the webhook answers and counts for a fate other than recorded. */
static const struct {
	int http_status; /* 0: the outcome's */
	const char *label;
} fates[OUTCOME_FATE__MAX] = {
	[OUTCOME_RECORDED] = { 0, NULL },
	[OUTCOME_SPOOLED] = { 202, "spooled" },
	[OUTCOME_LOST] = { 503, "unavailable" },
};

const char *
outcome_name(enum outcome o)
{
	if ((unsigned)o >= OUTCOME__MAX)
		return NULL;
	return outcomes[o].name;
}

int
outcome_from_name(const char *s, enum outcome *out)
{
	for (int i = 0; i < OUTCOME__MAX; i++)
		if (strcmp(outcomes[i].name, s) == 0) {
			*out = (enum outcome)i;
			return 0;
		}
	return -1;
}

int
outcome_http_status(enum outcome o)
{
	return (unsigned)o < OUTCOME__MAX ? outcomes[o].http_status : 0;
}

int
outcome_answer_status(enum outcome_fate f, enum outcome o)
{
	if ((unsigned)f >= OUTCOME_FATE__MAX)
		return 0;
	return fates[f].http_status != 0 ? fates[f].http_status
	                                 : outcome_http_status(o);
}

const char *
outcome_answer_label(enum outcome_fate f, enum outcome o)
{
	if ((unsigned)f >= OUTCOME_FATE__MAX)
		return NULL;
	return fates[f].label != NULL ? fates[f].label : outcome_name(o);
}

bool
outcome_is_failure(enum outcome o)
{
	return (unsigned)o < OUTCOME__MAX && outcomes[o].is_failure;
}

const char *
outcome_event(enum outcome o)
{
	return (unsigned)o < OUTCOME__MAX ? event_name(outcomes[o].event)
	                                  : NULL;
}
