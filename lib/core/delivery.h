/* SPDX-License-Identifier: MIT */
/* A verified webhook delivery, parsed into the typed fields of one row. */
#ifndef INSTLOG_DELIVERY_H
#define INSTLOG_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/outcome.h"

/* The headers a delivery is recorded with; all borrowed, NULL if absent. */
struct delivery_headers {
	const char *event;       /* X-GitHub-Event */
	const char *delivery_id; /* X-GitHub-Delivery */
	const char *target_id;   /* X-GitHub-Hook-Installation-Target-ID */
	const char *target_type; /* ...-Installation-Target-Type */
	const char *refused;     /* why the headers themselves make a
	                            signed delivery invalid, or NULL */
	const char *request_id;  /* nginx's $request_id, or NULL */
};

/*
 * One attempt at recording a delivery: when the webhook received it and a
 * random key.  Both go with the INSERT and into the spool file, so that a
 * statement whose reply was lost and the replay of its spool file make one
 * row (sql/007_hardening.sql).
 */
struct delivery_attempt {
	char received_at[32]; /* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (UTC) */
	char key[33];         /* 32 lower-case hex digits */
};

/*
 * Fill *a with the current time and a fresh random key.  Returns 0, or -1
 * when no random bytes could be had.
 */
int delivery_attempt_new(struct delivery_attempt *a);

/*
 * Return true when 's' has the form of a received_at of
 * delivery_attempt_new() (with 'is_key' false) or of its key (true).
 */
bool delivery_attempt_is_valid(const char *s, bool is_key);

/*
 * Everything one installation_events row (and the jobs side effect) needs.
 * Integer ids are 0 when absent.  Strings are owned by the struct and are
 * well-formed UTF-8 (ill-formed bytes of the body replaced by U+FFFD).
 */
struct delivery {
	/*
	 * The outcome of the row: for workflow_job.queued, in_progress and
	 * completed the one of a jobs write that works (job_stored,
	 * job_marked_running, job_marked_completed), which ingest applies.
	 */
	enum outcome outcome;
	char *event;          /* "<event>.<action>" or bare */
	char *invalid_reason; /* OUTCOME_INVALID_PAYLOAD */
	bool is_json;         /* body parsed as JSON */
	bool json_repaired;   /* parsed only once lone UTF-16
	                         surrogate escapes were
	                         replaced: jsonb refuses
	                         the body as it is */
	int64_t app_id;
	int64_t installation_id;
	int64_t entity_id;
	char *entity_type;
	char *entity_name;
	/*
	 * What a timeline row shows of the document (sql/021): sender.login,
	 * and for workflow_job.* repo_full_name (repository.full_name, set
	 * for every event) and job_id below.  'doc_exact' is true when each
	 * is what jsonb's ->> gives for the body (absent, null or a string;
	 * the job id an integer), so that a row kept as sent needs no parse
	 * to be shown.
	 */
	char *actor;
	bool doc_exact;
	/* workflow_job fields */
	int64_t job_id; /* workflow_job.id, whatever the action */
	char *repo_full_name;
	char *html_url;
	char *labels_json; /* JSON array text, or NULL */
};

/* Initialise an empty delivery; allocates nothing. */
void delivery_init(struct delivery *d);

/* Free what *d owns (NULL accepted). */
void delivery_release(struct delivery *d);

/*
 * Return true when 'event' is a plausible X-GitHub-Event value: 1 to 64
 * characters of [A-Za-z0-9_.-].
 */
bool delivery_event_is_valid(const char *event);

/*
 * Write into 'out' (size 'size', at least 2) a valid event name made from
 * the refused header value 'event': characters outside [A-Za-z0-9_.-]
 * become '_', and it is cut at 64 characters (and at size - 1).
 */
void delivery_event_clean(const char *event, char *out, size_t size);

/* The longest X-GitHub-Delivery kept whole (GitHub's are GUIDs). */
#define DELIVERY_ID_MAX 200

/* Room for the header values delivery_headers_limit() cuts. */
struct delivery_header_copy {
	char event[65];
	char delivery_id[DELIVERY_ID_MAX + 1];
};

/*
 * For a signed delivery, which gets its row even when its headers are
 * unusable: replace in 'h' an event that is not a plausible name
 * (delivery_event_clean()) or a delivery id longer than DELIVERY_ID_MAX
 * (cut) by a copy in 'copy', and say why in h->refused, so that the row
 * is stored invalid_payload.  'copy' must outlive the use of 'h'.
 */
void delivery_headers_limit(struct delivery_headers *h,
    struct delivery_header_copy *copy);

/*
 * Parse the raw body of a delivery whose signature was verified, with its
 * headers 'h', into *d: event name, outcome, entity, installation, app and
 * job fields.  'cfg' supplies the runner labels.  An empty body counts as {}.
 * A body that is JSON but for lone UTF-16 surrogate escapes is parsed with
 * them replaced by U+FFFD (see json_parse_lenient()) and sets
 * json_repaired.  An "action" that is not a plausible name (see
 * delivery_event_is_valid()) makes the delivery OUTCOME_INVALID_PAYLOAD,
 * and so does h->refused (then d->event is the bare header event).
 * Returns 0 (the outcome says what to do, invalid_payload included) or -1
 * when out of memory.  The caller releases *d with delivery_release().
 */
int delivery_parse(const struct config *cfg, const struct delivery_headers *h,
    const char *body, size_t len, struct delivery *d);

#endif
