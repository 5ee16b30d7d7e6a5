/* SPDX-License-Identifier: MIT */
/* A verified webhook delivery, parsed into the typed fields of one row. */
#include "core/delivery.h"

#include <sys/time.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/str.h"
#include "core/utc.h"

void
delivery_init(struct delivery *d)
{
	memset(d, 0, sizeof(*d));
	d->outcome = OUTCOME_UNHANDLED_EVENT;
}

void
delivery_release(struct delivery *d)
{
	if (d == NULL)
		return;
	free(d->event);
	free(d->invalid_reason);
	free(d->entity_type);
	free(d->entity_name);
	free(d->repo_full_name);
	free(d->actor);
	free(d->html_url);
	free(d->labels_json);
	delivery_init(d);
}

bool
delivery_event_is_valid(const char *event)
{
	size_t n;

	if (event == NULL)
		return false;
	n = strlen(event);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = event[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		        c == '-'))
			return false;
	}
	return true;
}

int
delivery_attempt_new(struct delivery_attempt *a)
{
	unsigned char r[16];
	int64_t now_us = clock_wall_us();

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	hex_encode(r, sizeof(r), a->key);
	return utc_format(now_us / 1000000, (long)(now_us % 1000000),
	    UTC_MICROS, a->received_at, sizeof(a->received_at));
}

bool
delivery_attempt_is_valid(const char *s, bool is_key)
{
	static const char stamp[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	static const char key[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	const char *form = is_key ? key : stamp;

	if (s == NULL || strlen(s) != strlen(form))
		return false;
	for (size_t i = 0; form[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (form[i] == 'd'       ? !isdigit(c)
		        : form[i] == 'x' ? !isxdigit(c) || isupper(c)
		                         : s[i] != form[i])
			return false;
	}
	return true;
}

void
delivery_event_clean(const char *event, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = event; *p != '\0' && n < 64 && n + 1 < size; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		        c == '-'))
			c = '_';
		out[n++] = c;
	}
	if (n == 0)
		out[n++] = '_';
	out[n] = '\0';
}

void
delivery_headers_limit(struct delivery_headers *h,
    struct delivery_header_copy *copy)
{
	if (!delivery_event_is_valid(h->event)) {
		delivery_event_clean(h->event, copy->event,
		    sizeof(copy->event));
		h->event = copy->event;
		h->refused = "X-GitHub-Event header is malformed";
	}
	if (h->delivery_id != NULL &&
	    strlen(h->delivery_id) > DELIVERY_ID_MAX) {
		memcpy(copy->delivery_id, h->delivery_id, DELIVERY_ID_MAX);
		copy->delivery_id[DELIVERY_ID_MAX] = '\0';
		h->delivery_id = copy->delivery_id;
		h->refused = "X-GitHub-Delivery header is too long";
	}
}

/*
 * Duplicate 's' into *dst unless 's' is NULL, made well-formed UTF-8 so
 * that PostgreSQL text takes it.  Returns 0 or -1.
 */
static int
set_str(char **dst, const char *s)
{
	if (s == NULL)
		return 0;
	free(*dst);
	if ((*dst = utf8_dup(s)) == NULL)
		return -1;
	return 0;
}

static int
set_invalid(struct delivery *d, const char *reason)
{
	d->outcome = OUTCOME_INVALID_PAYLOAD;
	return set_str(&d->invalid_reason, reason);
}

/*
 * Fill the entity from a GitHub account object: id, login (or slug, for
 * enterprises) and type.  'fallback_type' is used when the account has no
 * type.  Returns 0; 1 when there is no usable account; -1 out of memory.
 */
static int
set_entity(struct delivery *d, const cJSON *account, const char *fallback_type)
{
	const char *login, *type;
	int64_t id;

	if (account == NULL ||
	    json_int64(account, "id", 1, INT64_MAX, &id) != 0)
		return 1;
	d->entity_id = id;
	login = json_string(account, "login");
	if (login == NULL)
		login = json_string(account, "slug");
	type = json_string(account, "type");
	if (type == NULL)
		type = fallback_type;
	if (set_str(&d->entity_name, login) == -1 ||
	    set_str(&d->entity_type, type) == -1)
		return -1;
	return 0;
}

/*
 * The app id: from the signed body's installation.app_id (or hook.app_id,
 * a ping's) when it has one; only else from the unsigned header
 * X-GitHub-Hook-Installation-Target-ID, and then only when the hook
 * belongs to an app (target type "integration", or not sent).
 */
static void
set_app_id(struct delivery *d, const struct delivery_headers *h,
    const cJSON *root)
{
	int64_t id;

	if (root != NULL &&
	    (json_int64(root, "installation.app_id", 1, INT64_MAX, &id) == 0 ||
	        json_int64(root, "hook.app_id", 1, INT64_MAX, &id) == 0)) {
		d->app_id = id;
		return;
	}
	if (h->target_id != NULL &&
	    (h->target_type == NULL ||
	        strcasecmp(h->target_type, "integration") == 0 ||
	        strcasecmp(h->target_type, "app") == 0) &&
	    parse_int64(h->target_id, 1, INT64_MAX, &id) == 0)
		d->app_id = id;
}

/* Decide whether the job's labels match a configured runner label. */
static bool
job_is_ours(const struct config *cfg, const cJSON *labels)
{
	const cJSON *l;

	if (cfg->nrunner_labels == 0)
		return true;
	if (!cJSON_IsArray(labels))
		return false;
	cJSON_ArrayForEach (l, labels)
		if (cJSON_IsString(l) &&
		    config_label_is_ours(cfg, l->valuestring))
			return true;
	return false;
}

/* Parse the workflow_job specific fields and choose the outcome. */
static int
parse_workflow_job(const struct config *cfg, const cJSON *root,
    const char *action, struct delivery *d)
{
	const cJSON *job, *labels;
	int64_t id;

	if (set_entity(d, json_object(root, "repository.owner"), NULL) == -1)
		return -1;
	if (set_str(&d->repo_full_name,
	        json_string(root, "repository.full_name")) == -1)
		return -1;
	/* The row's job_id, whatever the action (sql/020_body.sql). */
	if ((job = json_object(root, "workflow_job")) != NULL &&
	    json_int64(job, "id", 1, INT64_MAX, &id) == 0)
		d->job_id = id;
	if (action == NULL)
		return set_invalid(d, "workflow_job without action");
	if (strcmp(action, "queued") == 0)
		d->outcome = OUTCOME_JOB_STORED;
	else if (strcmp(action, "in_progress") == 0)
		d->outcome = OUTCOME_JOB_MARKED_RUNNING;
	else if (strcmp(action, "completed") == 0)
		d->outcome = OUTCOME_JOB_MARKED_COMPLETED;
	else {
		d->outcome = OUTCOME_IGNORED_ACTION;
		return 0;
	}
	if (job == NULL)
		return set_invalid(d, "workflow_job is missing");
	if (d->job_id == 0)
		return set_invalid(d, "workflow_job.id is missing or invalid");
	if (d->outcome == OUTCOME_JOB_STORED) {
		if (d->installation_id == 0)
			return set_invalid(d,
			    "installation.id is missing or invalid");
		if (d->entity_id == 0)
			return set_invalid(d,
			    "repository.owner is missing or invalid");
	}
	if (set_str(&d->html_url, json_string(job, "html_url")) == -1)
		return -1;
	labels = json_dig(job, "labels");
	if (cJSON_IsArray(labels)) {
		char *text = cJSON_PrintUnformatted(labels);

		/* Ill-formed UTF-8 would make jsonb refuse the jobs row. */
		if (text == NULL || set_str(&d->labels_json, text) == -1) {
			cJSON_free(text);
			return -1;
		}
		cJSON_free(text);
	}
	if (!job_is_ours(cfg, labels))
		d->outcome = OUTCOME_IGNORED_NO_LABEL;
	return 0;
}

/*
 * The entity of a repository or marketplace_purchase delivery: the
 * account of installation.account, else marketplace_purchase.account,
 * else, for a transfer, the account the repository left
 * (changes.owner.from), else repository.owner.  Without one the event
 * stays unhandled.  Returns 0 or -1 (out of memory).
 */
static int
parse_account_event(const cJSON *root, const char *action, struct delivery *d)
{
	static const char *const paths[] = {
		"installation.account",
		"marketplace_purchase.account",
		"changes.owner.from.user",
		"changes.owner.from.organization",
		"repository.owner",
	};
	int r = 1;

	d->outcome = OUTCOME_UNHANDLED_EVENT;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && r == 1;
	     i++) {
		if (i >= 2 && i <= 3 &&
		    (action == NULL || strcmp(action, "transferred") != 0))
			continue;
		if ((r = set_entity(d, json_object(root, paths[i]), NULL)) ==
		    -1)
			return -1;
	}
	if (r == 0)
		d->outcome = OUTCOME_OK;
	return 0;
}

/*
 * Fill *d from the parsed 'root' (a JSON object).  Returns 0 or -1 (out of
 * memory).
 */
static int
parse_body(const struct config *cfg, const struct delivery_headers *h,
    const cJSON *root, struct delivery *d)
{
	const char *ev = h->event, *action;
	struct buf name;
	int64_t id;
	int r;

	r = json_int64(root, "installation.id", 1, INT64_MAX, &id);
	if (r == 0)
		d->installation_id = id;
	set_app_id(d, h, root);

	action = json_string(root, "action");
	if (action != NULL && !delivery_event_is_valid(action)) {
		if (set_str(&d->event, ev) == -1)
			return -1;
		return set_invalid(d, "action is malformed");
	}
	buf_init(&name);
	if (buf_puts(&name, ev) == -1 ||
	    (action != NULL &&
	        (buf_puts(&name, ".") == -1 ||
	            buf_puts(&name, action) == -1))) {
		buf_release(&name);
		return -1;
	}
	d->event = name.buf;

	if (strcmp(ev, "ping") == 0) {
		d->outcome = OUTCOME_OK;
		return 0;
	}
	if (strcmp(ev, "installation") == 0 ||
	    strcmp(ev, "installation_repositories") == 0) {
		d->outcome = OUTCOME_OK;
		if (action == NULL)
			return set_invalid(d, "action is missing");
		if (r != 0)
			return set_invalid(d,
			    "installation.id is missing or invalid");
		r = set_entity(d, json_object(root, "installation.account"),
		    json_string(root, "installation.target_type"));
		if (r == 1)
			return set_invalid(d,
			    "installation.account is missing or invalid");
		return r;
	}
	if (strcmp(ev, "installation_target") == 0) {
		d->outcome = OUTCOME_OK;
		if (action == NULL)
			return set_invalid(d, "action is missing");
		r = set_entity(d, json_object(root, "account"),
		    json_string(root, "target_type"));
		if (r == 1)
			return set_invalid(d, "account is missing or invalid");
		return r;
	}
	if (strcmp(ev, "workflow_job") == 0)
		return parse_workflow_job(cfg, root, action, d);
	if (strcmp(ev, "repository") == 0 ||
	    strcmp(ev, "marketplace_purchase") == 0)
		return parse_account_event(root, action, d);
	d->outcome = OUTCOME_UNHANDLED_EVENT;
	return 0;
}

/* True for a member that jsonb's ->> and json_string() read alike. */
static bool
is_text_member(const cJSON *root, const char *path)
{
	const cJSON *v = json_dig(root, path);

	return v == NULL || cJSON_IsNull(v) || cJSON_IsString(v);
}

/*
 * Set d->actor and d->doc_exact from the document 'root' (see struct
 * delivery).  Returns 0, or -1 when out of memory.
 */
static int
doc_fields(const cJSON *root, struct delivery *d)
{
	const cJSON *id = json_dig(root, "workflow_job.id");

	d->doc_exact = is_text_member(root, "sender.login") &&
	    is_text_member(root, "repository.full_name") &&
	    (id == NULL || cJSON_IsNull(id) || d->job_id != 0);
	if (d->repo_full_name == NULL &&
	    set_str(&d->repo_full_name,
	        json_string(root, "repository.full_name")) == -1)
		return -1;
	return set_str(&d->actor, json_string(root, "sender.login"));
}

int
delivery_parse(const struct config *cfg, const struct delivery_headers *h,
    const char *body, size_t len, struct delivery *d)
{
	cJSON *root = NULL;
	int rc = -1;

	delivery_init(d);
	if (len == 0) {
		body = "{}";
		len = 2;
	}
	json_arena_begin(); /* the tree lives only here */
	if (memchr(body, '\0', len) == NULL)
		root = json_parse_lenient(body, len, &d->json_repaired);
	if (root == NULL || !cJSON_IsObject(root)) {
		set_app_id(d, h, NULL);
		if (set_str(&d->event, h->event) == -1)
			goto out;
		rc = set_invalid(d,
		    root == NULL ? "malformed json"
		                 : "body is not a JSON object");
		goto out;
	}
	d->is_json = true;
	if ((rc = parse_body(cfg, h, root, d)) == 0)
		rc = doc_fields(root, d); /* after d->job_id */
	if (rc == 0 && h->refused != NULL) {
		/* The fields stay; the headers make it invalid. */
		if (set_str(&d->event, h->event) == -1)
			rc = -1;
		else
			rc = set_invalid(d, h->refused);
	}
out:
	cJSON_Delete(root);
	json_arena_end();
	return rc;
}
