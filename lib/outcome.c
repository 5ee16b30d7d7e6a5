/* SPDX-License-Identifier: MIT */
/* The canonical list of outcomes an installation_events row can carry. */
#include <stddef.h>
#include <string.h>

#include "outcome.h"

static const char *const outcome_names[OUTCOME__MAX] = {
	[OUTCOME_OK] = "ok",
	[OUTCOME_JOB_STORED] = "job_stored",
	[OUTCOME_JOB_ALREADY_EXISTS] = "job_already_exists",
	[OUTCOME_JOB_MARKED_RUNNING] = "job_marked_running",
	[OUTCOME_JOB_MARKED_COMPLETED] = "job_marked_completed",
	[OUTCOME_JOB_NOT_FOUND] = "job_not_found",
	[OUTCOME_IGNORED_ACTION] = "ignored_action",
	[OUTCOME_IGNORED_NO_LABEL] = "ignored_no_label",
	[OUTCOME_UNHANDLED_EVENT] = "unhandled_event",
	[OUTCOME_INVALID_PAYLOAD] = "invalid_payload",
	[OUTCOME_JOB_WRITE_FAILED] = "job_write_failed",
	[OUTCOME_AUTH_404] = "auth_404",
	[OUTCOME_AUTH_OTHER_ERROR] = "auth_other_error",
};

const char *
outcome_name(enum outcome o)
{
	if ((unsigned)o >= OUTCOME__MAX)
		return NULL;
	return outcome_names[o];
}

int
outcome_from_name(const char *s, enum outcome *out)
{
	for (int i = 0; i < OUTCOME__MAX; i++)
		if (strcmp(outcome_names[i], s) == 0) {
			*out = (enum outcome)i;
			return 0;
		}
	return -1;
}
