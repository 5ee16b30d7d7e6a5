/* SPDX-License-Identifier: MIT */
/* A verified webhook delivery, parsed into the typed fields of one row. */
#ifndef INSTLOG_DELIVERY_H
#define INSTLOG_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* What the webhook must do with a delivery, decided by its event. */
enum delivery_kind {
	DELIVERY_RECORD,	/* ping, installation*: log it, outcome ok */
	DELIVERY_JOB_QUEUED,	/* workflow_job.queued: insert the job */
	DELIVERY_JOB_RUNNING,	/* workflow_job.in_progress */
	DELIVERY_JOB_COMPLETED, /* workflow_job.completed */
	DELIVERY_IGNORED_ACTION,
	DELIVERY_IGNORED_NO_LABEL,
	DELIVERY_UNHANDLED,
	DELIVERY_INVALID,	/* signed but malformed: 400 */
	DELIVERY__MAX
};

/* The headers a delivery is recorded with; all borrowed, NULL if absent. */
struct delivery_headers {
	const char	*event;		/* X-GitHub-Event */
	const char	*delivery_id;	/* X-GitHub-Delivery */
	const char	*target_id;	/* X-GitHub-Hook-Installation-Target-ID */
	const char	*target_type;	/* ...-Installation-Target-Type */
	const char *request_id;         /* nginx's $request_id, or NULL */
};

/*
 * Everything one installation_events row (and the jobs side effect) needs.
 * Integer ids are 0 when absent.  Strings are owned by the struct and are
 * well-formed UTF-8 (ill-formed bytes of the body replaced by U+FFFD).
 */
struct delivery {
	enum delivery_kind	 kind;
	char			*event;		/* "<event>.<action>" or bare */
	char			*invalid_reason; /* DELIVERY_INVALID only */
	bool			 is_json;	/* body parsed as JSON */
	bool			 json_repaired;	/* parsed only once lone UTF-16
						   surrogate escapes were
						   replaced: jsonb refuses
						   the body as it is */
	int64_t			 app_id;
	int64_t			 installation_id;
	int64_t			 entity_id;
	char			*entity_type;
	char			*entity_name;
	/* workflow_job fields */
	int64_t			 job_id;
	char			*repo_full_name;
	char			*html_url;
	char			*labels_json;	/* JSON array text, or NULL */
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
 * Parse the raw body of a delivery whose signature was verified, with its
 * headers 'h', into *d: event name, kind, entity, installation, app and job
 * fields.  'cfg' supplies the runner labels.  An empty body counts as {}.
 * A body that is JSON but for lone UTF-16 surrogate escapes is parsed with
 * them replaced by U+FFFD (see json_parse_lenient()) and sets
 * json_repaired.  An "action" that is not a plausible name (see
 * delivery_event_is_valid()) makes the delivery DELIVERY_INVALID.
 * Returns 0 (the kind says what to do, DELIVERY_INVALID included) or -1
 * when out of memory.  The caller releases *d with delivery_release().
 */
int delivery_parse(const struct config *cfg, const struct delivery_headers *h,
    const char *body, size_t len, struct delivery *d);

#endif
