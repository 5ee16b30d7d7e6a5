/* SPDX-License-Identifier: MIT */
/* Notifications: what is announced, its documents and retry schedule. */
#include "core/notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event_names.h"
#include "core/events_diagnose.h"
#include "core/json.h"
#include "core/ops.h"

const char *const *const notify_events = &event_names[EVENT__ANNOUNCED];

const char *
notify_sink_name(enum notify_sink sink)
{
	switch (sink) {
	case NOTIFY_GATEWAY:
		return "gateway";
	case NOTIFY_SLACK:
		return "slack";
	case NOTIFY__MAX:
		break;
	}
	abort();
}

bool
is_notify_auth_failure(const char *action)
{
	return event_is_auth_failure(event_find(action));
}

bool
notify_is_announced(const char *event)
{
	return event_is_announced(event_find(event));
}

int
notify_event_key(const struct notify_source *s, char *out, size_t size)
{
	int n;

	if (s->row_id > 0)
		n = snprintf(out, size, "ev-%" PRId64, s->row_id);
	else if (s->operation_id > 0)
		n = snprintf(out, size, "op-%" PRId64, s->operation_id);
	else
		return -1;
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * Append the 'len' bytes of 's' with every control character (C0 and
 * DEL) as a space.
 */
static int
put_span(struct buf *out, const char *s, size_t len)
{
	size_t start = out->len;

	if (buf_append(out, s, len) == -1)
		return -1;
	for (size_t i = start; i < out->len; i++)
		if ((unsigned char)out->buf[i] < 0x20 || out->buf[i] == 0x7f)
			out->buf[i] = ' ';
	return 0;
}

/* Append 's' (NULL: nothing) as put_span() does. */
static int
put_line(struct buf *out, const char *s)
{
	return s == NULL ? 0 : put_span(out, s, strlen(s));
}

/* Append " by <actor>" when the actor is known. */
static int
put_by(struct buf *out, const char *actor)
{
	if (actor == NULL || *actor == '\0')
		return 0;
	return buf_puts(out, " by ") == -1 ? -1 : put_line(out, actor);
}

/* Whether 'e' is a repository.* event announced. */
static bool
is_repo_event(enum event e)
{
	return e == EVENT_REPO_RENAMED || e == EVENT_REPO_TRANSFERRED ||
	    e == EVENT_REPO_DELETED;
}

void
notify_source_read(struct notify_source *s, const cJSON *payload)
{
	const cJSON *removed, *r;
	const char *v;
	int64_t status;
	enum event e;

	if ((v = json_string(payload, "sender.login")) != NULL)
		s->actor = v;
	if ((v = json_string(payload, "changes.login.from")) != NULL)
		s->old_login = v;
	removed = json_dig(payload, "repositories_removed");
	if (cJSON_IsArray(removed)) {
		s->nremoved = 0;
		s->nrepos = 0;
		cJSON_ArrayForEach (r, removed) {
			v = json_string(r, "full_name");
			s->nremoved++;
			if (v != NULL && s->nrepos < NOTIFY_REPOS_NAMED)
				s->repos[s->nrepos++] = v;
		}
		if (s->nremoved == 1 && s->nrepos == 1)
			s->repo = s->repos[0];
	}
	e = event_find(s->action);
	if (e == EVENT_PLAN_CANCELLED) {
		if ((v = json_string(payload,
		         "marketplace_purchase.plan.name")) != NULL)
			s->plan = v;
		if ((v = json_string(payload, "effective_date")) != NULL)
			s->effective_date = v;
		return;
	}
	if (!is_repo_event(e) && !event_is_auth_failure(e))
		return;
	if ((v = json_string(payload, "repository.full_name")) != NULL)
		s->repo = v;
	if (is_repo_event(e)) {
		if ((v = json_string(payload,
		         "changes.repository.name.from")) != NULL)
			s->old_repo_name = v;
		if ((v = json_string(payload,
		         "changes.owner.from.user.login")) != NULL ||
		    (v = json_string(payload,
		         "changes.owner.from.organization.login")) != NULL)
			s->old_owner = v;
		return;
	}
	if (json_int64(payload, "http_status", 100, 599, &status) == 0)
		s->http_status = status;
	if ((v = json_string(payload, "message")) != NULL)
		s->message = v;
}

const char *
notify_cause(const struct notify_source *s)
{
	enum event e = event_find(s->action);

	switch (e) {
	case EVENT_REPO_RENAMED:
		return events_cause_name(EVENTS_CAUSE_REPO_RENAMED);
	case EVENT_REPO_TRANSFERRED:
		return events_cause_name(EVENTS_CAUSE_REPO_TRANSFERRED);
	case EVENT_REPO_DELETED:
		return events_cause_name(EVENTS_CAUSE_REPO_DELETED);
	case EVENT_PLAN_CANCELLED:
		return events_cause_name(EVENTS_CAUSE_PLAN_CANCELLED);
	default:
		break;
	}
	if (!event_is_auth_failure(e))
		return NULL;
	/* NULL for a 404 or a plain 403: EVENTS_CAUSE__MAX has no name. */
	return events_cause_name(
	    events_auth_cause((int)s->http_status, s->message));
}

static int
reason_removed(const struct notify_source *s, struct buf *out)
{
	if (s->nremoved == 1 && s->nrepos == 1) {
		if (put_line(out, s->repos[0]) == -1 ||
		    buf_puts(out, " removed") == -1)
			return -1;
		return put_by(out, s->actor);
	}
	if (buf_printf(out, "%zu repositor%s removed", s->nremoved,
	        s->nremoved == 1 ? "y" : "ies") == -1 ||
	    put_by(out, s->actor) == -1)
		return -1;
	for (size_t i = 0; i < s->nrepos; i++)
		if (buf_puts(out, i == 0 ? ": " : ", ") == -1 ||
		    put_line(out, s->repos[i]) == -1)
			return -1;
	if (s->nrepos > 0 && s->nrepos < s->nremoved &&
	    buf_printf(out, " and %zu more", s->nremoved - s->nrepos) == -1)
		return -1;
	return 0;
}

static int
reason_auth(const struct notify_source *s, struct buf *out)
{
	char app[40] = "the app";

	if (s->app_id > 0)
		(void)snprintf(app, sizeof(app), "the app %" PRId64, s->app_id);
	if (s->http_status > 0)
		return buf_printf(out,
		    "GitHub answered %" PRId64 " to %s token request",
		    s->http_status, app);
	return buf_printf(out, "GitHub refused %s token request", app);
}

/*
 * The repository.* reasons: "repository OLD renamed to NEW by ACTOR"
 * (OLD: NEW's owner and the old name), "repository OLD transferred to
 * NEW by ACTOR" (OLD: the old owner and NEW's name), "repository NAME
 * deleted by ACTOR".
 */
static int
reason_repo(const struct notify_source *s, enum event e, struct buf *out)
{
	const char *repo = s->repo != NULL ? s->repo : "?";
	const char *slash = strchr(repo, '/');
	/* The length of "owner/", and the name after it. */
	size_t owner = slash != NULL ? (size_t)(slash - repo) + 1 : 0;
	const char *verb;

	if (buf_puts(out, "repository ") == -1)
		return -1;
	if (e == EVENT_REPO_RENAMED && s->old_repo_name != NULL) {
		if (put_span(out, repo, owner) == -1 ||
		    put_line(out, s->old_repo_name) == -1)
			return -1;
		verb = " renamed to ";
	} else if (e == EVENT_REPO_TRANSFERRED && s->old_owner != NULL) {
		if (put_line(out, s->old_owner) == -1 ||
		    buf_puts(out, "/") == -1 ||
		    put_line(out, repo + owner) == -1)
			return -1;
		verb = " transferred to ";
	} else {
		verb = e == EVENT_REPO_RENAMED    ? " renamed"
		    : e == EVENT_REPO_TRANSFERRED ? " transferred"
		                                  : " deleted";
		if (put_line(out, repo) == -1 || buf_puts(out, verb) == -1)
			return -1;
		return put_by(out, s->actor);
	}
	if (buf_puts(out, verb) == -1 || put_line(out, repo) == -1)
		return -1;
	return put_by(out, s->actor);
}

/* "Marketplace plan 'P' cancelled by ACTOR, effective DATE". */
static int
reason_plan(const struct notify_source *s, struct buf *out)
{
	if (buf_puts(out, "Marketplace plan") == -1 ||
	    (s->plan != NULL &&
	        (buf_puts(out, " '") == -1 || put_line(out, s->plan) == -1 ||
	            buf_puts(out, "'") == -1)) ||
	    buf_puts(out, " cancelled") == -1 || put_by(out, s->actor) == -1)
		return -1;
	if (s->effective_date != NULL &&
	    (buf_puts(out, ", effective ") == -1 ||
	        put_line(out, s->effective_date) == -1))
		return -1;
	return 0;
}

static int
reason_operation(const struct notify_source *s, struct buf *out)
{
	size_t start;

	if (put_line(out, s->op_type != NULL ? s->op_type : "an") == -1 ||
	    buf_printf(out, " operation %" PRId64 " failed", s->operation_id) ==
	        -1)
		return -1;
	if (s->op_error == NULL || *s->op_error == '\0')
		return 0;
	if (buf_puts(out, ": ") == -1)
		return -1;
	start = out->len;
	if (put_line(out, s->op_error) == -1)
		return -1;
	out->len = start +
	    ops_utf8_cut(out->buf + start, out->len - start, NOTIFY_ERROR_MAX);
	out->buf[out->len] = '\0';
	return 0;
}

/* The verb of each installation.* event announced, else NULL. */
static const char *
installation_verb(enum event e)
{
	switch (e) {
	case EVENT_CREATED:
		return "installed";
	case EVENT_DELETED:
		return "uninstalled";
	case EVENT_SUSPEND:
		return "suspended";
	case EVENT_UNSUSPEND:
		return "unsuspended";
	default:
		return NULL;
	}
}

int
notify_reason(const struct notify_source *s, struct buf *out)
{
	const char *action = s->action != NULL ? s->action : "";
	enum event e = event_find(action);
	const char *verb;

	if (strcmp(action, NOTIFY_OPERATION_FAILED) == 0)
		return reason_operation(s, out);
	if (event_is_auth_failure(e))
		return reason_auth(s, out);
	if (e == EVENT_REPOS_REMOVED)
		return reason_removed(s, out);
	if (is_repo_event(e))
		return reason_repo(s, e, out);
	if (e == EVENT_PLAN_CANCELLED)
		return reason_plan(s, out);
	if (e == EVENT_RENAMED) {
		if (buf_puts(out, "renamed") == -1)
			return -1;
		if (s->old_login != NULL &&
		    (buf_puts(out, " from ") == -1 ||
		        put_line(out, s->old_login) == -1))
			return -1;
		if (s->entity_login != NULL &&
		    (buf_puts(out, " to ") == -1 ||
		        put_line(out, s->entity_login) == -1))
			return -1;
		return put_by(out, s->actor);
	}
	if ((verb = installation_verb(e)) == NULL)
		verb = action;
	return put_line(out, verb) == -1 ? -1 : put_by(out, s->actor);
}

int
notify_trace_url(const struct notify_source *s, const char *public_url,
    struct buf *out)
{
	const char *view;
	int64_t id;
	size_t len;

	if (public_url == NULL || *public_url == '\0')
		return 0;
	if (s->row_id == 0 && s->operation_id > 0) {
		view = "operation";
		id = s->operation_id;
	} else if (s->entity_id > 0) {
		view = "entity";
		id = s->entity_id;
	} else if (s->installation_id > 0) {
		view = "installation";
		id = s->installation_id;
	} else
		return 0;
	len = strlen(public_url);
	while (len > 0 && public_url[len - 1] == '/')
		len--;
	if (buf_append(out, public_url, len) == -1)
		return -1;
	return buf_printf(out, "/ui/#/%s/%" PRId64, view, id);
}

/* Write 'v' as a member, null when 0 (none). */
static void
member_id(struct json_writer *w, const char *key, int64_t v)
{
	json_put_key(w, key);
	if (v > 0)
		json_put_int(w, v);
	else
		json_put_null(w);
}

/* Fill 'reason' and 'url'; 0 or -1. */
static int
texts(const struct notify_source *s, const char *public_url, struct buf *reason,
    struct buf *url)
{
	if (notify_reason(s, reason) == -1 ||
	    notify_trace_url(s, public_url, url) == -1 ||
	    buf_puts(reason, "") == -1 || buf_puts(url, "") == -1)
		return -1;
	return 0;
}

int
notify_gateway_body(const struct notify_source *s, const char *public_url,
    struct buf *out)
{
	struct json_writer w;
	struct buf reason, url;
	char key[NOTIFY_KEY_SIZE];
	int rc = -1;

	buf_init(&reason);
	buf_init(&url);
	if (notify_event_key(s, key, sizeof(key)) == -1 ||
	    texts(s, public_url, &reason, &url) == -1)
		goto out;
	json_writer_init(&w, out);
	json_open_object(&w);
	json_member_string(&w, "schema", NOTIFY_SCHEMA);
	json_member_string(&w, "id", key);
	json_member_string(&w, "occurred_at", s->occurred_at);
	json_member_string(&w, "action", s->action);
	json_member_string(&w, "reason", reason.buf);
	json_member_string(&w, "cause", notify_cause(s));
	member_id(&w, "installation_id", s->installation_id);
	member_id(&w, "app_id", s->app_id);
	json_put_key(&w, "entity");
	if (s->entity_id > 0) {
		json_open_object(&w);
		json_member_int(&w, "id", s->entity_id);
		json_member_string(&w, "login", s->entity_login);
		json_member_string(&w, "type", s->entity_type);
		json_close_object(&w);
	} else
		json_put_null(&w);
	json_member_string(&w, "actor", s->actor);
	json_member_string(&w, "repo", s->repo);
	member_id(&w, "operation_id", s->operation_id);
	json_member_string(&w, "trace_url", url.len > 0 ? url.buf : NULL);
	json_close_object(&w);
	rc = json_writer_finish(&w);
out:
	buf_release(&reason);
	buf_release(&url);
	return rc;
}

/* Append 's' escaped for Slack's text: &amp; &lt; &gt;. */
static int
put_slack(struct buf *out, const char *s)
{
	int rc = 0;

	for (; rc == 0 && s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			rc = buf_puts(out, "&amp;");
			break;
		case '<':
			rc = buf_puts(out, "&lt;");
			break;
		case '>':
			rc = buf_puts(out, "&gt;");
			break;
		default:
			rc = buf_append(out, s, 1);
			break;
		}
	}
	return rc;
}

/* Append " login (Type id)", or " installation N" without an entity. */
static int
put_slack_account(struct buf *line, const struct notify_source *s)
{
	const char *login = s->entity_login != NULL ? s->entity_login : "?";
	const char *type = s->entity_type != NULL ? s->entity_type : "account";

	if (s->entity_id <= 0)
		return s->installation_id <= 0
		    ? 0
		    : buf_printf(line, " installation %" PRId64,
		          s->installation_id);
	if (buf_puts(line, " ") == -1 || put_slack(line, login) == -1 ||
	    buf_puts(line, " (") == -1 || put_slack(line, type) == -1)
		return -1;
	return buf_printf(line, " %" PRId64 ")", s->entity_id);
}

int
notify_slack_body(const struct notify_source *s, const char *public_url,
    struct buf *out)
{
	struct json_writer w;
	struct buf reason, url, line;
	const char *cause;
	int rc = -1;

	buf_init(&reason);
	buf_init(&url);
	buf_init(&line);
	if (texts(s, public_url, &reason, &url) == -1 ||
	    put_slack(&line, s->action) == -1 ||
	    put_slack_account(&line, s) == -1 || buf_puts(&line, ": ") == -1 ||
	    put_slack(&line, reason.buf) == -1)
		goto out;
	if ((cause = notify_cause(s)) != NULL &&
	    (buf_puts(&line, " (cause: ") == -1 ||
	        put_slack(&line, cause) == -1 || buf_puts(&line, ")") == -1))
		goto out;
	if (url.len > 0 &&
	    (buf_puts(&line, " <") == -1 || put_slack(&line, url.buf) == -1 ||
	        buf_puts(&line, "|trace>") == -1))
		goto out;
	json_writer_init(&w, out);
	json_open_object(&w);
	json_member_string(&w, "text", line.buf);
	json_close_object(&w);
	rc = json_writer_finish(&w);
out:
	buf_release(&reason);
	buf_release(&url);
	buf_release(&line);
	return rc;
}

int64_t
notify_backoff(int64_t failures, int64_t base, int64_t age)
{
	int64_t delay = base > 0 ? base : 1, left;

	if (age >= NOTIFY_GIVE_UP_SECS)
		return -1;
	left = NOTIFY_GIVE_UP_SECS - (age > 0 ? age : 0);
	for (int64_t i = 1; i < failures && delay < left; i++)
		delay *= 2;
	return delay < left ? delay : left;
}
