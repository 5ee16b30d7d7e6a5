/* SPDX-License-Identifier: MIT */
/*
 * Notifications (docs/decisions.md#18-the-log-is-the-outbox), the pure
 * part: which log rows are announced, the gateway document
 * (docs/routes.md#outgoing-notifications), the Slack line, the event id
 * and the retry schedule.  No I/O.
 */
#ifndef INSTLOG_NOTIFY_H
#define INSTLOG_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/str.h"

/* The "schema" member of every gateway document. */
#define NOTIFY_SCHEMA "instlog.event/v1"

/* The action of a failed operation. */
#define NOTIFY_OPERATION_FAILED "operation.failed"

/* A notification not sent this long after it was queued is given up. */
#define NOTIFY_GIVE_UP_SECS (24 * 60 * 60)

/* Most bytes of an operation's error quoted in a reason. */
#define NOTIFY_ERROR_MAX 300

/* Removed repositories named in a reason; the others are counted. */
#define NOTIFY_REPOS_NAMED 5

/* Room for notify_event_key()'s result and its NUL. */
#define NOTIFY_KEY_SIZE 32

/* Where a notification goes. */
enum notify_sink {
	NOTIFY_GATEWAY = 0, /* INSTLOG_NOTIFY_URL: signed JSON */
	NOTIFY_SLACK,       /* INSTLOG_SLACK_WEBHOOK_URL: {"text": …} */
	NOTIFY__MAX,
};

/* The sink's name as stored and logged: "gateway", "slack". */
const char *notify_sink_name(enum notify_sink sink);

/*
 * One thing to announce: a log row or a failed operation.  Every string
 * is borrowed and may be NULL; every id may be 0 (none).
 */
struct notify_source {
	int64_t row_id;          /* installation_events.id; 0: an operation */
	int64_t operation_id;    /* the failed operation, or the row's */
	const char *occurred_at; /* RFC 3339 UTC */
	const char *action;      /* the event name, or "operation.failed" */
	int64_t installation_id;
	int64_t app_id;
	int64_t entity_id;
	const char *entity_login;
	const char *entity_type;
	const char *actor;     /* sender.login */
	const char *repo;      /* the failing job's repository */
	const char *old_login; /* installation_target.renamed: the old login */
	/* repository.renamed: the old name, without its owner */
	const char *old_repo_name;
	/* repository.transferred: the owner the repository left */
	const char *old_owner;
	/* marketplace_purchase.cancelled: the plan, and when it ends */
	const char *plan;
	const char *effective_date;
	/* installation_repositories.removed: how many, and the first names */
	size_t nremoved;
	const char *repos[NOTIFY_REPOS_NAMED];
	size_t nrepos;
	int64_t http_status;  /* auth_attempt.*: what GitHub answered */
	const char *message;  /* and GitHub's message or the transport error */
	const char *op_type;  /* operation.failed: the operation's type */
	const char *op_error; /* and its error line */
};

/*
 * The log events announced, NULL-terminated: installation.created,
 * deleted, suspend, unsuspend, installation_repositories.removed,
 * installation_target.renamed, repository.renamed, transferred and
 * deleted, marketplace_purchase.cancelled, auth_attempt.404,
 * other_error and transport_error: the announced run of the event table
 * (lib/core/event_names.h).
 */
extern const char *const *const notify_events;

/* Whether log rows of event 'event' are announced (notify_events). */
bool notify_is_announced(const char *event);

/*
 * Fill the members of 's' that the log row's 'payload' holds, borrowing
 * its strings (so 'payload' must outlive 's'): actor (sender.login),
 * old_login (changes.login.from), the removed repositories; for
 * auth_attempt.* rows (s->action set) http_status, message and repo
 * (repository.full_name); for repository.* rows repo, old_repo_name
 * (changes.repository.name.from) and old_owner (the login of
 * changes.owner.from.user or .organization); for marketplace_purchase.*
 * rows plan (marketplace_purchase.plan.name) and effective_date.  repo
 * is also the one repository removed when there is exactly one.  Members
 * the payload lacks are left alone.
 */
void notify_source_read(struct notify_source *s, const cJSON *payload);

/*
 * Whether 'action' is an auth failure (auth_attempt.*), announced once
 * per installation and cause until the installation is healthy again.
 */
bool is_notify_auth_failure(const char *action);

/*
 * The cause of DESIGN §13 that 's' shows (a static string), or NULL: for
 * an auth failure other than a 404, the cause of its status and message
 * by the diagnosis's rule (events_auth_cause(): bad_credentials,
 * rate_limited, github_unavailable); repo_renamed, repo_transferred,
 * repo_deleted and plan_cancelled for repository.renamed, transferred,
 * deleted and marketplace_purchase.cancelled.  It is the gateway
 * document's "cause", named in the Slack line, and with the installation
 * what a repeated auth failure is a repeat of.
 */
const char *notify_cause(const struct notify_source *s);

/*
 * Write the notification's id into 'out' ('size' bytes, NOTIFY_KEY_SIZE
 * is enough): "ev-<row id>" for a log row, "op-<operation id>" for a
 * failed operation.  It is the body's "id" and X-Instlog-Event-ID, the
 * same on every retry and to every sink.  Returns 0, or -1 when 's' has
 * neither id.
 */
int notify_event_key(const struct notify_source *s, char *out, size_t size);

/*
 * Append the one line a person reads to 'out', e.g. "uninstalled by
 * octocat", "GitHub answered 404 to the app 1001 token request".  Control
 * characters become spaces; an operation's error is cut to
 * NOTIFY_ERROR_MAX bytes.  Returns 0 or -1 (out of memory).
 */
int notify_reason(const struct notify_source *s, struct buf *out);

/*
 * Append the operator page's link for 's' under 'public_url' (instlog's
 * public base URL, a trailing '/' ignored) to 'out':
 * /ui/#/entity/N, else /ui/#/installation/N, or /ui/#/operation/N.
 * Appends nothing when 'public_url' is NULL or "" or 's' names none of
 * them.  Returns 0 or -1.
 */
int notify_trace_url(const struct notify_source *s, const char *public_url,
    struct buf *out);

/*
 * Append the gateway document of 's' to 'out': {"schema":NOTIFY_SCHEMA,
 * "id","occurred_at","action","reason","cause","installation_id",
 * "app_id","entity":{"id","login","type"}|null,"actor","repo",
 * "operation_id","trace_url"}, absent values null ("cause":
 * notify_cause(), added to v1 as a member a v1 reader ignores).  Returns
 * 0, or -1 (no id, out of memory).
 */
int notify_gateway_body(const struct notify_source *s, const char *public_url,
    struct buf *out);

/*
 * Append the Slack document {"text": line} of 's' to 'out': the action,
 * the account, the reason (which names the actor), the cause as
 * " (cause: C)" when there is one, and the trace link as <url|trace>,
 * with &, < and > escaped as Slack wants.  Returns 0 or -1.
 */
int notify_slack_body(const struct notify_source *s, const char *public_url,
    struct buf *out);

/*
 * The retry schedule.  After the 'failures'-th failed attempt (1 for the
 * first) at a notification queued 'age' seconds ago, return how many
 * seconds to wait: base, 2 base, 4 base, ... but never past
 * NOTIFY_GIVE_UP_SECS after it was queued, so that the last attempt is
 * made at 24 h.  Returns -1 when the failed attempt was made at 24 h or
 * later: give it up.
 */
int64_t notify_backoff(int64_t failures, int64_t base, int64_t age);

#endif
