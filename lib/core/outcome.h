/* SPDX-License-Identifier: MIT */
/*
 * The outcome table: every outcome an installation_events row can carry,
 * with its name, the HTTP status the webhook answers it with, whether it
 * is a failure, and the event of the scheduler's rows.
 */
#ifndef INSTLOG_OUTCOME_H
#define INSTLOG_OUTCOME_H

#include <stdbool.h>

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
	OUTCOME_AUTH_TRANSPORT_ERROR,
	OUTCOME__MAX
};

/* The stored string of 'o' (a static string), or NULL when out of range. */
const char *outcome_name(enum outcome o);

/* Find the outcome named 's'.  Returns 0 and sets *out, or -1. */
int outcome_from_name(const char *s, enum outcome *out);

/*
 * The HTTP status the webhook answers a delivery recorded with 'o': 200,
 * 400 for invalid_payload (signed but malformed), 503 for
 * job_write_failed (GitHub should know); 0 for the scheduler's outcomes,
 * which answer nobody, and when out of range.
 */
int outcome_http_status(enum outcome o);

/* What became of a delivery whose signature held. */
enum outcome_fate {
	OUTCOME_RECORDED = 0, /* its row is written: its outcome says how */
	OUTCOME_SPOOLED,      /* nothing written, kept in the spool */
	OUTCOME_LOST,         /* neither (logged): GitHub should retry */
	OUTCOME_FATE__MAX
};

/*
 * The HTTP status the webhook answers a delivery of fate 'f' with: a
 * recorded one its outcome 'o''s (outcome_http_status()), a spooled one
 * 202, a lost one 503; 0 when out of range.
 */
int outcome_answer_status(enum outcome_fate f, enum outcome o);

/*
 * The counter label of a delivery of fate 'f' (lib/net/metrics.h): a
 * recorded one its outcome 'o''s name, else "spooled" or "unavailable".
 */
const char *outcome_answer_label(enum outcome_fate f, enum outcome o);

/*
 * Return true when 'o' means something failed: invalid_payload,
 * job_write_failed and the scheduler's auth_404 and auth_other_error.
 */
bool outcome_is_failure(enum outcome o);

/*
 * The event name of the scheduler's rows with outcome 'o'
 * ("auth_attempt.404"), or NULL for the webhook's outcomes.
 */
const char *outcome_event(enum outcome o);

#endif
