/* SPDX-License-Identifier: MIT */
/*
 * The redelivery sweep's decisions, pure (no I/O): GitHub's webhook
 * delivery list parsed, attempts grouped by delivery guid, and which
 * missed deliveries to ask GitHub to send again.
 */
#ifndef INSTLOG_REDELIVER_H
#define INSTLOG_REDELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* GitHub redelivers deliveries of the past 3 days only. */
#define REDELIVER_WINDOW (3 * 24 * 3600)
/* A sweep lists again this far back before the last one's high-water mark. */
#define REDELIVER_OVERLAP 3600
/* A guid is not asked for again sooner than this, in seconds ... */
#define REDELIVER_RETRY_AFTER 1800
/* ... nor more than this many times in all. */
#define REDELIVER_MAX_ASKS 3

#define REDELIVER_GUID_MAX  64 /* longest guid accepted */
#define REDELIVER_EVENT_MAX 64 /* "event.action" kept for log lines */

/* One attempt of GitHub's "List deliveries for an app webhook". */
struct redeliver_item {
	int64_t id;                        /* GitHub's id of the attempt */
	char guid[REDELIVER_GUID_MAX + 1]; /* X-GitHub-Delivery */
	time_t delivered_at;
	int status_code; /* our answer; 0 when there was none */
	bool redelivery;
	char event[REDELIVER_EVENT_MAX]; /* "issues.opened", truncated */
};

/* A growable array of items.  Zero it to initialise. */
struct redeliver_list {
	struct redeliver_item *v;
	size_t n;
	size_t cap;
};

/* Free what 'l' holds (NULL accepted) and empty it. */
void redeliver_list_release(struct redeliver_list *l);

/*
 * Parse one page of the list: 'len' bytes of 'body', a JSON array of
 * delivery items.  Append to 'l' the items delivered at or after 'cutoff',
 * and add to *older how many were delivered before it and to *invalid how
 * many items lack a positive integer "id", a "guid" of 1 to
 * REDELIVER_GUID_MAX letters, digits and '-', or an RFC 3339
 * "delivered_at" (utc_parse(), strict), or whose "status_code" (null: 0)
 * or "redelivery" has the wrong type.  Returns 0, or -1 when 'body' is not
 * a JSON array or memory ran out ('l' keeps what was appended).
 */
int redeliver_page_parse(const char *body, size_t len, time_t cutoff,
    struct redeliver_list *l, size_t *older, size_t *invalid);

/* A guid none of whose listed attempts we answered with a 2xx. */
struct redeliver_failed {
	char guid[REDELIVER_GUID_MAX + 1];
	int64_t id;          /* the latest attempt: the one to redeliver */
	time_t delivered_at; /* of the latest attempt */
	int status_code;     /* of the latest attempt */
	size_t attempts;     /* how many attempts were listed */
	char event[REDELIVER_EVENT_MAX];
};

/*
 * Group the 'n' items by guid and list the guids that have no attempt
 * with a 2xx status_code, each with its latest attempt (newest
 * delivered_at, then highest id).  Sets *out to an array of *nout
 * entries, oldest latest attempt first (then by guid), that the caller
 * frees with free(); NULL when none.  Returns 0, or -1 when out of memory.
 */
int redeliver_group(const struct redeliver_item *items, size_t n,
    struct redeliver_failed **out, size_t *nout);

/* What we know of one failed guid. */
struct redeliver_state {
	bool in_log;       /* installation_events has a row with it */
	int64_t asked;     /* redeliveries asked for so far */
	int64_t asked_ago; /* seconds since the last ask, if any */
};

enum redeliver_verdict {
	REDELIVER_ASK = 0,   /* missed: ask GitHub to redeliver it */
	REDELIVER_IN_LOG,    /* not missed: our log has the delivery */
	REDELIVER_RECENT,    /* asked less than RETRY_AFTER ago: skip */
	REDELIVER_EXHAUSTED, /* asked MAX_ASKS times already: skip */
	REDELIVER_OVER_CAP,  /* this run's cap reached: skip for now */
};

/*
 * Decide for each of 'n' failed guids from its state states[i], writing
 * verdicts[i]: REDELIVER_IN_LOG, else REDELIVER_EXHAUSTED, else
 * REDELIVER_RECENT (a negative asked_ago, a clock that went back, counts
 * as recent), else REDELIVER_ASK for the first '*budget' of them in order
 * and REDELIVER_OVER_CAP for the rest.  Decrements *budget by the number
 * of REDELIVER_ASK verdicts.
 */
void redeliver_plan(const struct redeliver_state *states, size_t n,
    size_t *budget, enum redeliver_verdict *verdicts);

/*
 * The oldest delivery time a sweep at 'now' must list: 'swept_until'
 * (the previous successful sweep's newest delivery; 0: none) less
 * REDELIVER_OVERLAP, but never before now - REDELIVER_WINDOW.
 */
time_t redeliver_cutoff(time_t now, time_t swept_until);

#endif
