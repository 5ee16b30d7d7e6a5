/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/notify over GitHub's published payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/auth.h"
#include "core/delivery.h"
#include "core/json.h"
#include "core/notify.h"
#include "core/str.h"
#include "fixture.h"

#define PUBLIC "https://instlog.example.com/"
#define AT     "2026-11-24T10:48:46Z"

static const struct config no_labels;

/*
 * A log row as the webhook writes it from the delivery 'body' (columns
 * from delivery_parse()) and the notification source notify reads from
 * it: 'tree' is the payload the source borrows from.
 */
struct row {
	struct delivery d;
	cJSON *tree;
	struct notify_source s;
};

static void
row_from_body(struct row *r, const char *header, int64_t id, char *body,
    size_t len)
{
	struct delivery_headers h = { .event = header, .delivery_id = "guid" };

	memset(r, 0, sizeof(*r));
	assert_int_equal(delivery_parse(&no_labels, &h, body, len, &r->d), 0);
	r->tree = json_parse(body, len);
	assert_non_null(r->tree);
	free(body);
	r->s.row_id = id;
	r->s.occurred_at = AT;
	r->s.action = r->d.event;
	r->s.installation_id = r->d.installation_id;
	r->s.app_id = r->d.app_id;
	r->s.entity_id = r->d.entity_id;
	r->s.entity_login = r->d.entity_name;
	r->s.entity_type = r->d.entity_type;
	notify_source_read(&r->s, r->tree);
}

static void
row_from_fixture(struct row *r, const char *name, const char *header,
    int64_t id)
{
	size_t len;
	char *body = read_fixture(name, &len);

	row_from_body(r, header, id, body, len);
}

/* The fixture 'name' with its tree edited by 'edit', as a row. */
static void
row_from_edit(struct row *r, const char *name, const char *header, int64_t id,
    void (*edit)(cJSON *))
{
	size_t len;
	char *body = read_fixture(name, &len), *text;
	cJSON *root = json_parse(body, len);

	assert_non_null(root);
	free(body);
	edit(root);
	text = cJSON_PrintUnformatted(root);
	assert_non_null(text);
	cJSON_Delete(root);
	row_from_body(r, header, id, text, strlen(text));
}

static void
row_release(struct row *r)
{
	delivery_release(&r->d);
	cJSON_Delete(r->tree);
}

/* The document 'build' writes for 's' under 'public_url' is 'want'. */
static void
assert_document(int (*build)(const struct notify_source *, const char *,
                    struct buf *),
    const struct notify_source *s, const char *public_url, const char *want)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(build(s, public_url, &b), 0);
	assert_string_equal(b.buf, want);
	buf_release(&b);
}

#define assert_gateway(s, url, want) \
 assert_document(notify_gateway_body, (s), (url), (want))
#define assert_slack(s, url, want) \
 assert_document(notify_slack_body, (s), (url), (want))

static void
assert_reason(const struct notify_source *s, const char *want)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(notify_reason(s, &b), 0);
	assert_string_equal(b.buf != NULL ? b.buf : "", want);
	buf_release(&b);
}

static void
notify_announced_events(void **state)
{
	static const struct {
		const char *event;
		bool announced;
	} cases[] = {
		{ "installation.created", true },
		{ "installation.deleted", true },
		{ "installation.suspend", true },
		{ "installation.unsuspend", true },
		{ "installation_repositories.removed", true },
		{ "installation_target.renamed", true },
		{ "auth_attempt.404", true },
		{ "auth_attempt.other_error", true },
		{ "installation_repositories.added", false },
		{ "installation.new_permissions_accepted", false },
		{ "workflow_job.queued", false },
		{ "ping", false },
		{ "installation", false },
		{ "installation.deleted.x", false },
		{ "", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(notify_is_announced(cases[i].event),
		    cases[i].announced);
	assert_false(notify_is_announced(NULL));
	assert_true(is_notify_auth_failure("auth_attempt.404"));
	assert_false(is_notify_auth_failure("installation.deleted"));
}

/* installation.deleted: the gateway document, byte for byte. */
static void
notify_deleted_gateway_body(void **state)
{
	struct row r;

	(void)state;
	row_from_fixture(&r, "installation.deleted", "installation", 42);
	assert_gateway(&r.s, PUBLIC,
	    "{\"schema\":\"instlog.event/v1\",\"id\":\"ev-42\","
	    "\"occurred_at\":\"" AT "\",\"action\":\"installation.deleted\","
	    "\"reason\":\"uninstalled by octocat\",\"cause\":null,"
	    "\"installation_id\":2,"
	    "\"app_id\":5725,\"entity\":{\"id\":1,\"login\":\"octocat\","
	    "\"type\":\"User\"},\"actor\":\"octocat\",\"repo\":null,"
	    "\"operation_id\":null,\"trace_url\":"
	    "\"https://instlog.example.com/ui/#/entity/1\"}");
	/* Without INSTLOG_PUBLIC_URL there is no link. */
	assert_gateway(&r.s, NULL,
	    "{\"schema\":\"instlog.event/v1\",\"id\":\"ev-42\","
	    "\"occurred_at\":\"" AT "\",\"action\":\"installation.deleted\","
	    "\"reason\":\"uninstalled by octocat\",\"cause\":null,"
	    "\"installation_id\":2,"
	    "\"app_id\":5725,\"entity\":{\"id\":1,\"login\":\"octocat\","
	    "\"type\":\"User\"},\"actor\":\"octocat\",\"repo\":null,"
	    "\"operation_id\":null,\"trace_url\":null}");
	row_release(&r);
}

/* Each installation.* fixture: the verb and the sender. */
static void
notify_installation_reasons(void **state)
{
	static const struct {
		const char *fixture, *reason;
	} cases[] = {
		{ "installation.created", "installed by Codertocat" },
		{ "installation.deleted", "uninstalled by octocat" },
		{ "installation.suspend", "suspended by Codertocat" },
		{ "installation.unsuspend", "unsuspended by Codertocat" },
	};
	struct row r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		row_from_fixture(&r, cases[i].fixture, "installation", 7);
		assert_string_equal(r.s.action, cases[i].fixture);
		assert_reason(&r.s, cases[i].reason);
		row_release(&r);
	}
}

static void
notify_suspend_slack_line(void **state)
{
	struct row r;

	(void)state;
	row_from_fixture(&r, "installation.suspend", "installation", 9);
	assert_slack(&r.s, PUBLIC,
	    "{\"text\":\"installation.suspend Codertocat (User 21031067): "
	    "suspended by Codertocat "
	    "<https://instlog.example.com/ui/#/entity/21031067|trace>\"}");
	assert_slack(&r.s, "",
	    "{\"text\":\"installation.suspend Codertocat (User 21031067): "
	    "suspended by Codertocat\"}");
	row_release(&r);
}

/* installation_repositories.removed has no published example. */
static void
removed_one(cJSON *root)
{
	cJSON *added = cJSON_DetachItemFromObject(root, "repositories_added");

	cJSON_ReplaceItemInObject(root, "action",
	    cJSON_CreateString("removed"));
	cJSON_ReplaceItemInObject(root, "repositories_removed", added);
	cJSON_AddItemToObject(root, "repositories_added", cJSON_CreateArray());
}

static void
removed_seven(cJSON *root)
{
	cJSON *list;

	removed_one(root);
	list = cJSON_GetObjectItem(root, "repositories_removed");
	for (int i = 1; i < 7; i++) {
		cJSON *repo = cJSON_Duplicate(cJSON_GetArrayItem(list, 0), 1);
		char name[64];

		(void)snprintf(name, sizeof(name), "Codertocat/r%d", i);
		cJSON_ReplaceItemInObject(repo, "full_name",
		    cJSON_CreateString(name));
		cJSON_AddItemToArray(list, repo);
	}
}

static void
notify_repositories_removed(void **state)
{
	struct row r;

	(void)state;
	row_from_edit(&r, "installation_repositories.added",
	    "installation_repositories", 5, removed_one);
	assert_string_equal(r.s.action, "installation_repositories.removed");
	assert_reason(&r.s, "Codertocat/Space removed by Codertocat");
	assert_string_equal(r.s.repo, "Codertocat/Space");
	row_release(&r);

	row_from_edit(&r, "installation_repositories.added",
	    "installation_repositories", 6, removed_seven);
	assert_reason(&r.s,
	    "7 repositories removed by Codertocat: Codertocat/Space, "
	    "Codertocat/r1, Codertocat/r2, Codertocat/r3, Codertocat/r4 "
	    "and 2 more");
	assert_null(r.s.repo);
	row_release(&r);
}

/*
 * installation_target.renamed has no published example: built from
 * installation.created as its schema says (account at the top level,
 * changes.login.from).
 */
static void
renamed(cJSON *root)
{
	cJSON *inst = cJSON_GetObjectItem(root, "installation");
	cJSON *account = cJSON_DetachItemFromObject(inst, "account");
	cJSON *changes = cJSON_CreateObject(), *login = cJSON_CreateObject();

	cJSON_ReplaceItemInObject(account, "login",
	    cJSON_CreateString("Codertocat-new"));
	cJSON_AddItemToObject(root, "account", account);
	cJSON_AddStringToObject(login, "from", "Codertocat");
	cJSON_AddItemToObject(changes, "login", login);
	cJSON_AddItemToObject(root, "changes", changes);
	cJSON_ReplaceItemInObject(root, "action",
	    cJSON_CreateString("renamed"));
	cJSON_AddStringToObject(root, "target_type", "User");
}

static void
notify_target_renamed(void **state)
{
	struct row r;

	(void)state;
	row_from_edit(&r, "installation.created", "installation_target", 8,
	    renamed);
	assert_string_equal(r.s.action, "installation_target.renamed");
	assert_reason(&r.s,
	    "renamed from Codertocat to Codertocat-new by Codertocat");
	row_release(&r);
}

/* A scheduler row's payload, as the auth check writes it. */
static const char auth_payload[] =
    "{\"installation_id\":957387,\"app_id\":1001,\"entity_type\":\"User\","
    "\"entity_id\":21031067,\"entity_name\":\"Codertocat\","
    "\"repository\":{\"full_name\":\"Codertocat/Hello-World\"},"
    "\"workflow_job\":{\"id\":289782451},\"http_status\":%d,"
    "\"message\":\"Not Found\"}";

static void
notify_auth_attempt(void **state)
{
	struct notify_source s = { 0 };
	char text[512];
	cJSON *tree;

	(void)state;
	(void)snprintf(text, sizeof(text), auth_payload, 404);
	tree = json_parse(text, strlen(text));
	assert_non_null(tree);
	s.row_id = 11;
	s.operation_id = 3;
	s.occurred_at = AT;
	s.action = "auth_attempt.404";
	s.installation_id = 957387;
	s.app_id = 1001;
	s.entity_id = 21031067;
	s.entity_login = "Codertocat";
	s.entity_type = "User";
	notify_source_read(&s, tree);
	assert_reason(&s, "GitHub answered 404 to the app 1001 token request");
	assert_gateway(&s, PUBLIC,
	    "{\"schema\":\"instlog.event/v1\",\"id\":\"ev-11\","
	    "\"occurred_at\":\"" AT "\",\"action\":\"auth_attempt.404\","
	    "\"reason\":\"GitHub answered 404 to the app 1001 token request\","
	    "\"cause\":null,\"installation_id\":957387,\"app_id\":1001,\"entity\":{\"id\":"
	    "21031067,\"login\":\"Codertocat\",\"type\":\"User\"},"
	    "\"actor\":null,\"repo\":\"Codertocat/Hello-World\","
	    "\"operation_id\":3,\"trace_url\":"
	    "\"https://instlog.example.com/ui/#/entity/21031067\"}");
	cJSON_Delete(tree);

	(void)snprintf(text, sizeof(text), auth_payload, 503);
	tree = json_parse(text, strlen(text));
	s.action = "auth_attempt.other_error";
	s.http_status = 0;
	notify_source_read(&s, tree);
	assert_int_equal(s.http_status, 503);
	assert_reason(&s, "GitHub answered 503 to the app 1001 token request");
	cJSON_Delete(tree);

	/* No status, no app: still one line. */
	s.http_status = 0;
	s.app_id = 0;
	assert_reason(&s, "GitHub refused the app token request");
}

static void
notify_operation_failed(void **state)
{
	struct notify_source s = { 0 };
	struct buf want, err;

	(void)state;
	s.operation_id = 77;
	s.occurred_at = AT;
	s.action = NOTIFY_OPERATION_FAILED;
	s.op_type = "auth_check";
	s.op_error = "957387: HTTP 404:\nNot Found";
	assert_reason(&s,
	    "auth_check operation 77 failed: 957387: HTTP 404: "
	    "Not Found");
	assert_gateway(&s, PUBLIC,
	    "{\"schema\":\"instlog.event/v1\",\"id\":\"op-77\","
	    "\"occurred_at\":\"" AT "\",\"action\":\"operation.failed\","
	    "\"reason\":\"auth_check operation 77 failed: 957387: HTTP 404: "
	    "Not Found\",\"cause\":null,\"installation_id\":null,"
	    "\"app_id\":null,"
	    "\"entity\":null,\"actor\":null,\"repo\":null,"
	    "\"operation_id\":77,\"trace_url\":"
	    "\"https://instlog.example.com/ui/#/operation/77\"}");
	assert_slack(&s, PUBLIC,
	    "{\"text\":\"operation.failed: auth_check operation 77 failed: "
	    "957387: HTTP 404: Not Found "
	    "<https://instlog.example.com/ui/#/operation/77|trace>\"}");

	/* A long error is cut on a character boundary. */
	buf_init(&err);
	buf_init(&want);
	for (int i = 0; i < 200; i++)
		assert_int_equal(buf_puts(&err, "é"), 0);
	s.op_error = err.buf;
	assert_int_equal(buf_puts(&want, "auth_check operation 77 failed: "),
	    0);
	for (int i = 0; i < NOTIFY_ERROR_MAX / 2; i++)
		assert_int_equal(buf_puts(&want, "é"), 0);
	assert_reason(&s, want.buf);
	buf_release(&err);
	buf_release(&want);
}

/* Slack's control characters in what GitHub or an error says. */
static void
notify_slack_escapes(void **state)
{
	struct notify_source s = { 0 };

	(void)state;
	s.operation_id = 5;
	s.action = NOTIFY_OPERATION_FAILED;
	s.op_type = "redeliver";
	s.op_error = "page 1: <b>&\"";
	assert_slack(&s, NULL,
	    "{\"text\":\"operation.failed: redeliver operation 5 failed: "
	    "page 1: &lt;b&gt;&amp;\\\"\"}");
}

static void
notify_event_keys(void **state)
{
	struct notify_source s = { 0 };
	char key[NOTIFY_KEY_SIZE], small[4];

	(void)state;
	assert_int_equal(notify_event_key(&s, key, sizeof(key)), -1);
	s.operation_id = 12;
	assert_int_equal(notify_event_key(&s, key, sizeof(key)), 0);
	assert_string_equal(key, "op-12");
	/* A log row written by an operation is still named by the row. */
	s.row_id = INT64_MAX;
	assert_int_equal(notify_event_key(&s, key, sizeof(key)), 0);
	assert_string_equal(key, "ev-9223372036854775807");
	assert_int_equal(notify_event_key(&s, small, sizeof(small)), -1);
}

static void
notify_trace_urls(void **state)
{
	struct notify_source s = { 0 };
	struct buf b;

	(void)state;
	buf_init(&b);
	s.row_id = 1;
	assert_int_equal(notify_trace_url(&s, "https://x.example//", &b), 0);
	assert_int_equal(b.len, 0);
	s.installation_id = 957387;
	assert_int_equal(notify_trace_url(&s, "https://x.example//", &b), 0);
	assert_string_equal(b.buf,
	    "https://x.example/ui/#/installation/957387");
	buf_reset(&b);
	s.entity_id = 21031067;
	assert_int_equal(notify_trace_url(&s, "http://127.0.0.1:8080", &b), 0);
	assert_string_equal(b.buf,
	    "http://127.0.0.1:8080/ui/#/entity/21031067");
	buf_release(&b);
}

/* 1, 2, 4, ... minutes, the last attempt at 24 h, then given up. */
static void
notify_backoff_schedule(void **state)
{
	int64_t age = 0, d, failures = 0, last = 0;

	(void)state;
	for (;;) {
		d = notify_backoff(++failures, 60, age);
		if (d == -1)
			break;
		if (failures <= 10)
			assert_int_equal(d, 60LL << (failures - 1));
		assert_true(d > 0);
		last = age;
		age += d;
	}
	/* 0, 1, 3, ... 1023 minutes, then 24 h: 12 attempts. */
	assert_int_equal(failures, 12);
	assert_int_equal(age, NOTIFY_GIVE_UP_SECS);
	assert_int_equal(last, 1023 * 60);
	assert_int_equal(notify_backoff(1, 1, NOTIFY_GIVE_UP_SECS - 1), 1);
	assert_int_equal(notify_backoff(63, 60, 0), NOTIFY_GIVE_UP_SECS);
	assert_int_equal(notify_backoff(1, 60, NOTIFY_GIVE_UP_SECS), -1);
	assert_int_equal(notify_backoff(3, 2, 10), 8);
}

/* The gateway's signature header, as a receiver checks it. */
static void
notify_signature_verifies(void **state)
{
	unsigned char k1[] = "s3cret", k2[] = "other";
	struct config_secret key = { k1, 6 }, other = { k2, 5 };
	char sig[AUTH_SIGNATURE_SIZE];
	struct row r;
	struct buf b;

	(void)state;
	buf_init(&b);
	row_from_fixture(&r, "installation.deleted", "installation", 42);
	assert_int_equal(notify_gateway_body(&r.s, PUBLIC, &b), 0);
	assert_int_equal(auth_hmac_sign(&key, b.buf, b.len, sig), 0);
	assert_int_equal(strncmp(sig, "sha256=", 7), 0);
	assert_int_equal(strlen(sig), 71);
	assert_int_equal(auth_hmac_verify(&key, sig, b.buf, b.len), 0);
	assert_int_equal(auth_hmac_verify(&other, sig, b.buf, b.len), -1);
	b.buf[b.len - 2] ^= 1;
	assert_int_equal(auth_hmac_verify(&key, sig, b.buf, b.len), -1);
	row_release(&r);
	buf_release(&b);
}

/*
 * The auth failures of the status causes (DESIGN §13): their cause by
 * the diagnosis's rule, in the document and the Slack line; a 404 and a
 * plain 403 have none.
 */
static void
notify_auth_causes(void **state)
{
	static const struct {
		const char *action;
		int status;
		const char *message, *cause;
	} cases[] = {
		{ "auth_attempt.other_error", 401, "Bad credentials",
		    "bad_credentials" },
		{ "auth_attempt.other_error", 403,
		    "API rate limit exceeded for installation ID 957387.",
		    "rate_limited" },
		{ "auth_attempt.other_error", 429, "", "rate_limited" },
		{ "auth_attempt.other_error", 503, "Service Unavailable",
		    "github_unavailable" },
		{ "auth_attempt.transport_error", 0, "Connection refused",
		    "github_unavailable" },
		{ "auth_attempt.other_error", 403,
		    "Resource not accessible by integration", NULL },
		{ "auth_attempt.404", 404, "Not Found", NULL },
	};
	char text[512], want[512];
	struct notify_source s;
	struct buf b;
	cJSON *tree, *st;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(text, sizeof(text), auth_payload, 404);
		tree = json_parse(text, strlen(text));
		assert_non_null(tree);
		/* A transport failure has no status. */
		if (cases[i].status == 0)
			cJSON_DeleteItemFromObject(tree, "http_status");
		else if ((st = cJSON_GetObjectItem(tree, "http_status")) !=
		    NULL)
			cJSON_SetNumberValue(st, cases[i].status);
		cJSON_ReplaceItemInObject(tree, "message",
		    cJSON_CreateString(cases[i].message));
		memset(&s, 0, sizeof(s));
		s.row_id = 12;
		s.action = cases[i].action;
		s.installation_id = 957387;
		s.app_id = 1001;
		notify_source_read(&s, tree);
		if (cases[i].cause == NULL)
			assert_null(notify_cause(&s));
		else
			assert_string_equal(notify_cause(&s), cases[i].cause);
		buf_init(&b);
		assert_int_equal(notify_gateway_body(&s, NULL, &b), 0);
		(void)snprintf(want, sizeof(want), "\"cause\":%s%s%s,",
		    cases[i].cause != NULL ? "\"" : "",
		    cases[i].cause != NULL ? cases[i].cause : "null",
		    cases[i].cause != NULL ? "\"" : "");
		assert_non_null(strstr(b.buf, want));
		buf_reset(&b);
		assert_int_equal(notify_slack_body(&s, NULL, &b), 0);
		(void)snprintf(want, sizeof(want), " (cause: %s)\"}",
		    cases[i].cause != NULL ? cases[i].cause : "");
		assert_int_equal(strstr(b.buf, want) != NULL,
		    cases[i].cause != NULL);
		assert_int_equal(strstr(b.buf, "(cause:") != NULL,
		    cases[i].cause != NULL);
		buf_release(&b);
		cJSON_Delete(tree);
	}
}

/*
 * The members of the published examples (@octokit/webhooks-examples,
 * whole in tests/integration/test_notify.sh) that the notifier reads.
 */
static const char repo_renamed[] =
    "{\"action\":\"renamed\",\"changes\":{\"repository\":{\"name\":"
    "{\"from\":\"Old-Name\"}}},\"repository\":{\"id\":186853261,"
    "\"name\":\"Hello-World\",\"full_name\":\"Octocoders/Hello-World\","
    "\"owner\":{\"login\":\"Octocoders\",\"id\":38302899,"
    "\"type\":\"Organization\"}},\"sender\":{\"login\":\"Codertocat\","
    "\"id\":21031067,\"type\":\"User\"},\"installation\":{\"id\":1}}";

static const char repo_transferred[] =
    "{\"action\":\"transferred\",\"changes\":{\"owner\":{\"from\":"
    "{\"user\":{\"login\":\"octocat\",\"id\":1,\"type\":\"User\"}}}},"
    "\"repository\":{\"id\":186853261,\"name\":\"Hello-World\","
    "\"full_name\":\"Octocoders/Hello-World\",\"owner\":{\"login\":"
    "\"Octocoders\",\"id\":38302899,\"type\":\"Organization\"}},"
    "\"sender\":{\"login\":\"Codertocat\",\"id\":21031067,"
    "\"type\":\"User\"}}";

static const char plan_cancelled[] =
    "{\"action\":\"cancelled\",\"effective_date\":"
    "\"2017-10-25T00:00:00+00:00\",\"sender\":{\"login\":\"username\","
    "\"id\":3877742,\"type\":\"User\"},\"marketplace_purchase\":"
    "{\"account\":{\"type\":\"Organization\",\"id\":28536653,"
    "\"login\":\"organizationUsername\"},\"billing_cycle\":\"monthly\","
    "\"plan\":{\"id\":686,\"name\":\"Premium Plan\"}}}";

/* A row of 'header' from the text 'json'. */
static void
row_from_text(struct row *r, const char *header, int64_t id, const char *json)
{
	char *body = strdup(json);

	assert_non_null(body);
	row_from_body(r, header, id, body, strlen(json));
}

/* The published renamed example, deleted (there is no deleted one). */
static const char *
repo_deleted(void)
{
	static char text[sizeof(repo_renamed)];

	memcpy(text, repo_renamed, sizeof(text));
	memcpy(strstr(text, "renamed"), "deleted", 7);
	return text;
}

static void
notify_repository_and_plan_events(void **state)
{
	const struct {
		const char *header, *json, *action, *cause, *reason;
		int64_t entity_id;
	} cases[] = {
		{ "repository", repo_renamed, "repository.renamed",
		    "repo_renamed",
		    "repository Octocoders/Old-Name renamed to "
		    "Octocoders/Hello-World by Codertocat",
		    38302899 },
		/* The entity is the account the repository left. */
		{ "repository", repo_transferred, "repository.transferred",
		    "repo_transferred",
		    "repository octocat/Hello-World transferred to "
		    "Octocoders/Hello-World by Codertocat",
		    1 },
		{ "repository", repo_deleted(), "repository.deleted",
		    "repo_deleted",
		    "repository Octocoders/Hello-World deleted by Codertocat",
		    38302899 },
		{ "marketplace_purchase", plan_cancelled,
		    "marketplace_purchase.cancelled", "plan_cancelled",
		    "Marketplace plan 'Premium Plan' cancelled by username, "
		    "effective 2017-10-25T00:00:00+00:00",
		    28536653 },
	};
	struct row r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		row_from_text(&r, cases[i].header, 21 + (int64_t)i,
		    cases[i].json);
		assert_string_equal(r.s.action, cases[i].action);
		assert_true(notify_is_announced(r.s.action));
		assert_string_equal(notify_cause(&r.s), cases[i].cause);
		assert_reason(&r.s, cases[i].reason);
		assert_int_equal(r.s.entity_id, cases[i].entity_id);
		if (strcmp(cases[i].header, "repository") == 0)
			assert_string_equal(r.s.repo, "Octocoders/Hello-World");
		row_release(&r);
	}

	row_from_text(&r, "repository", 21, repo_renamed);
	assert_slack(&r.s, NULL,
	    "{\"text\":\"repository.renamed Octocoders (Organization "
	    "38302899): repository Octocoders/Old-Name renamed to "
	    "Octocoders/Hello-World by Codertocat (cause: repo_renamed)\"}");
	row_release(&r);
	row_from_text(&r, "marketplace_purchase", 24, plan_cancelled);
	assert_gateway(&r.s, NULL,
	    "{\"schema\":\"instlog.event/v1\",\"id\":\"ev-24\","
	    "\"occurred_at\":\"" AT "\",\"action\":"
	    "\"marketplace_purchase.cancelled\",\"reason\":\"Marketplace plan "
	    "'Premium Plan' cancelled by username, effective "
	    "2017-10-25T00:00:00+00:00\",\"cause\":\"plan_cancelled\","
	    "\"installation_id\":null,\"app_id\":null,\"entity\":{\"id\":"
	    "28536653,\"login\":\"organizationUsername\",\"type\":"
	    "\"Organization\"},\"actor\":\"username\",\"repo\":null,"
	    "\"operation_id\":null,\"trace_url\":null}");
	row_release(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notify_announced_events),
		cmocka_unit_test(notify_deleted_gateway_body),
		cmocka_unit_test(notify_installation_reasons),
		cmocka_unit_test(notify_suspend_slack_line),
		cmocka_unit_test(notify_repositories_removed),
		cmocka_unit_test(notify_target_renamed),
		cmocka_unit_test(notify_auth_attempt),
		cmocka_unit_test(notify_operation_failed),
		cmocka_unit_test(notify_slack_escapes),
		cmocka_unit_test(notify_event_keys),
		cmocka_unit_test(notify_trace_urls),
		cmocka_unit_test(notify_backoff_schedule),
		cmocka_unit_test(notify_signature_verifies),
		cmocka_unit_test(notify_auth_causes),
		cmocka_unit_test(notify_repository_and_plan_events),
	};

	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
