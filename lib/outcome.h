/* SPDX-License-Identifier: MIT */
/* The canonical list of outcomes an installation_events row can carry. */
#ifndef INSTLOG_OUTCOME_H
#define INSTLOG_OUTCOME_H

enum outcome {
	OUTCOME_OK,
	OUTCOME_JOB_STORED,
	OUTCOME_JOB_ALREADY_EXISTS,
	OUTCOME_JOB_MARKED_RUNNING,
	OUTCOME_JOB_MARKED_COMPLETED,
	OUTCOME_JOB_NOT_FOUND,
	OUTCOME_IGNORED_ACTION,
	OUTCOME_IGNORED_NO_LABEL,
	OUTCOME_UNHANDLED_EVENT,
	OUTCOME_INVALID_PAYLOAD,
	OUTCOME_JOB_WRITE_FAILED,
	OUTCOME_AUTH_404,
	OUTCOME_AUTH_OTHER_ERROR,
	OUTCOME__MAX
};

/* The stored string of 'o' (a static string), or NULL when out of range. */
const char *outcome_name(enum outcome o);

/* Find the outcome named 's'.  Returns 0 and sets *out, or -1. */
int outcome_from_name(const char *s, enum outcome *out);

#endif
