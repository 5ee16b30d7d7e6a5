/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/delivery over GitHub's published payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/delivery.h"
#include "core/json.h"
#include "core/str.h"
#include "fixture.h"

static const struct config no_labels;

struct fixture_case {
	const char *file;
	const char *header;
	const char *event;
	enum outcome outcome;
	const char *entity_type;
	int64_t entity_id;
	const char *entity_name;
	int64_t installation_id;
	int64_t app_id; /* with no target header */
	int64_t job_id;
};

static const struct fixture_case cases[] = {
	{ "ping", "ping", "ping", OUTCOME_OK, NULL, 0, NULL, 0, 22192, 0 },
	{ "ping.organization", "ping", "ping", OUTCOME_OK, NULL, 0, NULL, 0, 0,
	    0 },
	{ "ping.repository", "ping", "ping", OUTCOME_OK, NULL, 0, NULL, 0, 0,
	    0 },
	{ "ping.repository.with-app_id", "ping", "ping", OUTCOME_OK, NULL, 0,
	    NULL, 0, 29310, 0 },
	{ "installation.created", "installation", "installation.created",
	    OUTCOME_OK, "User", 21031067, "Codertocat", 957387, 29310, 0 },
	{ "installation.created.with-requester", "installation",
	    "installation.created", OUTCOME_OK, "User", 21031067, "Codertocat",
	    957387, 29310, 0 },
	{ "installation.deleted", "installation", "installation.deleted",
	    OUTCOME_OK, "User", 1, "octocat", 2, 5725, 0 },
	/* target_type says Organization, account.type says User: the account
	 * wins (see the fixtures README). */
	{ "installation.suspend", "installation", "installation.suspend",
	    OUTCOME_OK, "User", 21031067, "Codertocat", 16598467, 29310, 0 },
	{ "installation.unsuspend", "installation", "installation.unsuspend",
	    OUTCOME_OK, "User", 21031067, "Codertocat", 16598467, 29310, 0 },
	{ "installation_repositories.added", "installation_repositories",
	    "installation_repositories.added", OUTCOME_OK, "User", 21031067,
	    "Codertocat", 957387, 29310, 0 },
	{ "workflow_job.queued", "workflow_job", "workflow_job.queued",
	    OUTCOME_JOB_STORED, "Organization", 38302899, "Octocoders", 3456996,
	    0, 289782451 },
	{ "workflow_job.queued.with-deployment", "workflow_job",
	    "workflow_job.queued", OUTCOME_JOB_STORED, "User", 25349044,
	    "lineville", 23154469, 0, 12877621891 },
	{ "workflow_job.in_progress", "workflow_job",
	    "workflow_job.in_progress", OUTCOME_JOB_MARKED_RUNNING,
	    "Organization", 38302899, "Octocoders", 1, 0, 289782451 },
	{ "workflow_job.in_progress.with-queued-steps", "workflow_job",
	    "workflow_job.in_progress", OUTCOME_JOB_MARKED_RUNNING, "User",
	    4595477, "wolfy1339", 3456996, 0, 14541957942 },
	{ "workflow_job.completed.success", "workflow_job",
	    "workflow_job.completed", OUTCOME_JOB_MARKED_COMPLETED,
	    "Organization", 38302899, "Octocoders", 0, 0, 289782451 },
	{ "workflow_job.completed.failure", "workflow_job",
	    "workflow_job.completed", OUTCOME_JOB_MARKED_COMPLETED,
	    "Organization", 38302899, "Octocoders", 0, 0, 289782451 },
	/* An ignored action still gives its row the job's id. */
	{ "workflow_job.waiting", "workflow_job", "workflow_job.waiting",
	    OUTCOME_IGNORED_ACTION, "User", 25349044, "lineville", 23154469, 0,
	    12877621891 },
	{ "push.with-installation", "push", "push", OUTCOME_UNHANDLED_EVENT,
	    NULL, 0, NULL, 1, 0, 0 },
	{ "issues.opened", "issues", "issues.opened", OUTCOME_UNHANDLED_EVENT,
	    NULL, 0, NULL, 0, 0, 0 },
	{ "check_run.created", "check_run", "check_run.created",
	    OUTCOME_UNHANDLED_EVENT, NULL, 0, NULL, 0, 0, 0 },
	{ "github_app_authorization.revoked", "github_app_authorization",
	    "github_app_authorization.revoked", OUTCOME_UNHANDLED_EVENT, NULL,
	    0, NULL, 0, 0, 0 },
};

static void
check_case(const struct fixture_case *c, const struct delivery *d)
{
	assert_string_equal(d->event, c->event);
	assert_int_equal(d->outcome, c->outcome);
	if (c->entity_type == NULL) {
		assert_null(d->entity_type);
		assert_null(d->entity_name);
	} else {
		assert_string_equal(d->entity_type, c->entity_type);
		assert_string_equal(d->entity_name, c->entity_name);
	}
	assert_int_equal(d->entity_id, c->entity_id);
	assert_int_equal(d->installation_id, c->installation_id);
	assert_int_equal(d->job_id, c->job_id);
	assert_true(d->is_json);
	/* Every published payload is shown from columns (sql/021). */
	assert_true(d->doc_exact);
}

static void
delivery_every_fixture(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fixture_case *c = &cases[i];
		struct delivery_headers h = { c->header, "guid", NULL, NULL,
			NULL, NULL };
		struct delivery d;
		size_t len;
		char *body = read_fixture(c->file, &len);

		/* Without the target header, the app id comes from the body. */
		assert_int_equal(delivery_parse(&no_labels, &h, body, len, &d),
		    0);
		check_case(c, &d);
		assert_int_equal(d.app_id, c->app_id);
		delivery_release(&d);

		/*
		 * With it, the signed body still wins; the unsigned header
		 * only fills in an app id the body does not have.
		 */
		h.target_id = "4242";
		h.target_type = "integration";
		assert_int_equal(delivery_parse(&no_labels, &h, body, len, &d),
		    0);
		check_case(c, &d);
		assert_int_equal(d.app_id, c->app_id != 0 ? c->app_id : 4242);
		delivery_release(&d);
		free(body);
	}
}

static void
delivery_repository_hook_target_is_not_an_app(void **state)
{
	struct delivery_headers h = { "installation", NULL, "79929171",
		"repository", NULL, NULL };
	struct delivery d;
	size_t len;
	char *body = read_fixture("installation.created", &len);

	(void)state;
	assert_int_equal(delivery_parse(&no_labels, &h, body, len, &d), 0);
	assert_int_equal(d.app_id, 29310);
	delivery_release(&d);
	free(body);
}

/* Parse 'root' (consumed) as a delivery of event 'header'. */
static void
parse_tree(cJSON *root, const char *header, const struct config *cfg,
    struct delivery *d)
{
	struct delivery_headers h = { header, NULL, NULL, NULL, NULL, NULL };
	char *text = cJSON_PrintUnformatted(root);

	assert_non_null(text);
	assert_int_equal(delivery_parse(cfg, &h, text, strlen(text), d), 0);
	free(text);
	cJSON_Delete(root);
}

/*
 * The members a timeline row shows: a string is taken as jsonb's ->> gives
 * it; any other kind (a number, an object) or a job id that is no integer
 * makes the row one that is read from its document instead.
 */
static void
delivery_doc_fields_exact_or_not(void **state)
{
	static const struct {
		const char *edit; /* member to set, NULL: as published */
		const char *json;
		bool exact;
	} v[] = {
		{ NULL, NULL, true },
		{ "sender", "{\"login\": 42}", false },
		{ "sender", "{\"login\": {\"a\": 1}}", false },
		{ "sender", "{\"login\": null}", true },
		{ "sender", "[1]", true },
		{ "repository", "{\"full_name\": true}", false },
		{ "workflow_job", "{\"id\": \"12\"}", false },
		{ "workflow_job", "{\"id\": 1.5}", false },
	};
	size_t len;
	char *body = read_fixture("workflow_job.queued", &len);

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cJSON *root = json_parse(body, len);
		struct delivery d;

		assert_non_null(root);
		if (v[i].edit != NULL)
			assert_true(cJSON_ReplaceItemInObject(root, v[i].edit,
			    cJSON_Parse(v[i].json)));
		parse_tree(root, "workflow_job", &no_labels, &d);
		if (d.doc_exact != v[i].exact)
			fail_msg("case %zu: doc_exact %d", i, d.doc_exact);
		if (i == 0) {
			assert_string_equal(d.actor, "Codertocat");
			assert_string_equal(d.repo_full_name,
			    "Codertocat/Hello-World");
		}
		delivery_release(&d);
	}
	free(body);
}

/* installation_target.renamed has no published example: built from the
 * schema summary in the fixtures README. */
static void
delivery_installation_target_renamed(void **state)
{
	cJSON *root, *account, *changes, *login, *inst;
	struct delivery d;

	(void)state;
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "action", "renamed");
	cJSON_AddStringToObject(root, "target_type", "Organization");
	account = cJSON_AddObjectToObject(root, "account");
	cJSON_AddNumberToObject(account, "id", 38302899);
	cJSON_AddStringToObject(account, "node_id",
	    "MDEyOk9yZ2FuaXphdGlvbjM4MzAyODk5");
	cJSON_AddStringToObject(account, "avatar_url",
	    "https://avatars.githubusercontent.com/u/38302899?v=4");
	cJSON_AddStringToObject(account, "html_url",
	    "https://github.com/Octocoders-new");
	cJSON_AddStringToObject(account, "login", "Octocoders-new");
	changes = cJSON_AddObjectToObject(root, "changes");
	login = cJSON_AddObjectToObject(changes, "login");
	cJSON_AddStringToObject(login, "from", "Octocoders");
	inst = cJSON_AddObjectToObject(root, "installation");
	cJSON_AddNumberToObject(inst, "id", 3456996);
	cJSON_AddStringToObject(inst, "node_id",
	    "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMzQ1Njk5Ng==");
	parse_tree(root, "installation_target", &no_labels, &d);
	assert_string_equal(d.event, "installation_target.renamed");
	assert_int_equal(d.outcome, OUTCOME_OK);
	assert_int_equal(d.entity_id, 38302899);
	assert_string_equal(d.entity_name, "Octocoders-new");
	/* No account.type in the schema's required set: target_type. */
	assert_string_equal(d.entity_type, "Organization");
	assert_int_equal(d.installation_id, 3456996);
	delivery_release(&d);
}

static cJSON *
parse_fixture(const char *name)
{
	size_t len;
	char *body = read_fixture(name, &len);
	cJSON *root = cJSON_ParseWithLength(body, len);

	free(body);
	assert_non_null(root);
	return root;
}

/* installation_repositories.removed and new_permissions_accepted exist
 * upstream with no example: same shape as their siblings. */
static void
delivery_schema_only_actions(void **state)
{
	cJSON *root;
	struct delivery d;

	(void)state;
	root = parse_fixture("installation_repositories.added");
	cJSON_ReplaceItemInObject(root, "action",
	    cJSON_CreateString("removed"));
	parse_tree(root, "installation_repositories", &no_labels, &d);
	assert_string_equal(d.event, "installation_repositories.removed");
	assert_int_equal(d.outcome, OUTCOME_OK);
	assert_int_equal(d.entity_id, 21031067);
	delivery_release(&d);

	root = parse_fixture("installation.suspend");
	cJSON_ReplaceItemInObject(root, "action",
	    cJSON_CreateString("new_permissions_accepted"));
	parse_tree(root, "installation", &no_labels, &d);
	assert_string_equal(d.event, "installation.new_permissions_accepted");
	assert_int_equal(d.outcome, OUTCOME_OK);
	assert_int_equal(d.installation_id, 16598467);
	delivery_release(&d);
}

static void
delivery_runner_labels(void **state)
{
	struct config cfg;
	char label[] = "self-hosted";
	char *labels[] = { label, NULL };
	size_t len;
	char *body;
	struct delivery d;
	struct delivery_headers h = { "workflow_job", NULL, NULL, NULL, NULL,
		NULL };

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.runner_labels = labels;
	cfg.nrunner_labels = 1;
	body = read_fixture("workflow_job.queued", &len);
	assert_int_equal(delivery_parse(&cfg, &h, body, len, &d), 0);
	assert_int_equal(d.outcome, OUTCOME_IGNORED_NO_LABEL);
	delivery_release(&d);
	free(body);
	body = read_fixture("workflow_job.queued.with-deployment", &len);
	assert_int_equal(delivery_parse(&cfg, &h, body, len, &d), 0);
	assert_int_equal(d.outcome, OUTCOME_JOB_STORED);
	assert_string_equal(d.labels_json, "[\"self-hosted\",\"k8s\"]");
	delivery_release(&d);
	free(body);
}

static void
delivery_invalid_bodies(void **state)
{
	static const struct {
		const char *header, *body;
		enum outcome outcome;
		bool is_json;
	} v[] = {
		{ "installation", "{\"action\":\"created\"",
		    OUTCOME_INVALID_PAYLOAD, false },
		{ "installation", "[1,2]", OUTCOME_INVALID_PAYLOAD, false },
		{ "installation", "{\"a\":1} trailing", OUTCOME_INVALID_PAYLOAD,
		    false },
		{ "installation", "{\"action\":\"created\"}",
		    OUTCOME_INVALID_PAYLOAD, true },
		{ "installation",
		    "{\"action\":\"created\",\"installation\":{\"id\":\"12\","
		    "\"account\":{\"id\":1}}}",
		    OUTCOME_INVALID_PAYLOAD, true },
		{ "workflow_job",
		    "{\"action\":\"queued\",\"workflow_job\":{\"id\":5},"
		    "\"repository\":{\"owner\":{\"id\":1}}}",
		    OUTCOME_INVALID_PAYLOAD, true },
		{ "workflow_job",
		    "{\"action\":\"queued\",\"workflow_job\":{\"id\":5},"
		    "\"installation\":{\"id\":1e300},"
		    "\"repository\":{\"owner\":{\"id\":1}}}",
		    OUTCOME_INVALID_PAYLOAD, true },
		{ "workflow_job",
		    "{\"action\":\"completed\",\"workflow_job\":{\"id\":1.5}}",
		    OUTCOME_INVALID_PAYLOAD, true },
		/* in_progress/completed need only workflow_job.id. */
		{ "workflow_job",
		    "{\"action\":\"completed\",\"workflow_job\":{\"id\":7}}",
		    OUTCOME_JOB_MARKED_COMPLETED, true },
		{ "ping", "", OUTCOME_OK, true },
		{ "something_new", "{}", OUTCOME_UNHANDLED_EVENT, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct delivery_headers h = { v[i].header, NULL, NULL, NULL,
			NULL, NULL };
		struct delivery d;

		assert_int_equal(delivery_parse(&no_labels, &h, v[i].body,
		                     strlen(v[i].body), &d),
		    0);
		assert_int_equal(d.outcome, v[i].outcome);
		assert_int_equal(d.is_json, v[i].is_json);
		assert_non_null(d.event);
		if (v[i].outcome == OUTCOME_INVALID_PAYLOAD)
			assert_non_null(d.invalid_reason);
		delivery_release(&d);
	}
}

static void
delivery_deep_nesting_refused(void **state)
{
	struct delivery_headers h = { "ping", NULL, NULL, NULL, NULL, NULL };
	struct delivery d;
	struct buf b;

	(void)state;
	buf_init(&b);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf_append(&b, "[", 1), 0);
	assert_int_equal(delivery_parse(&no_labels, &h, b.buf, b.len, &d), 0);
	assert_int_equal(d.outcome, OUTCOME_INVALID_PAYLOAD);
	delivery_release(&d);
	buf_release(&b);
}

/* The fixture 'name' with the first 'from' replaced by 'to'. */
static char *
fixture_edit(const char *name, const char *from, const char *to, size_t *len)
{
	size_t n;
	char *body = read_fixture(name, &n), *at;
	struct buf b;

	at = strstr(body, from);
	assert_non_null(at);
	buf_init(&b);
	assert_int_equal(buf_append(&b, body, (size_t)(at - body)), 0);
	assert_int_equal(buf_puts(&b, to), 0);
	assert_int_equal(buf_puts(&b, at + strlen(from)), 0);
	free(body);
	*len = b.len;
	return b.buf;
}

/*
 * A lone UTF-16 surrogate escape makes cJSON (and jsonb) refuse the body;
 * the delivery still yields its semantic row, from a repaired copy.
 */
static void
delivery_lone_surrogate_keeps_semantic_row(void **state)
{
	static const struct {
		const char *login, *want;
		bool repaired;
	} v[] = {
		{ "\"Coder\\ud800tocat\"", "Coder\xef\xbf\xbdtocat", true },
		{ "\"Coder\\udfffTocat\"", "Coder\xef\xbf\xbdTocat", true },
		{ "\"\\ud800\\u0041\"",
		    "\xef\xbf\xbd"
		    "A",
		    true },
		{ "\"\\udbff\\udbff\"", "\xef\xbf\xbd\xef\xbf\xbd", true },
		{ "\"x\\ud800\"", "x\xef\xbf\xbd", true },
		/* A valid pair, and an escaped backslash before "ud800". */
		{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", false },
		{ "\"\\\\ud800\"", "\\ud800", false },
	};
	struct delivery_headers h = { "installation", "guid", NULL, NULL, NULL,
		NULL };

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct delivery d;
		size_t len;
		char *body = fixture_edit("installation.created",
		    "\"Codertocat\"", v[i].login, &len);

		assert_int_equal(delivery_parse(&no_labels, &h, body, len, &d),
		    0);
		assert_true(d.is_json);
		assert_int_equal(d.json_repaired, v[i].repaired);
		assert_int_equal(d.outcome, OUTCOME_OK);
		assert_string_equal(d.event, "installation.created");
		assert_int_equal(d.entity_id, 21031067);
		assert_int_equal(d.installation_id, 957387);
		assert_string_equal(d.entity_name, v[i].want);
		delivery_release(&d);
		free(body);
	}
}

/* Strings go to text columns: ill-formed UTF-8 is replaced, not stored. */
static void
delivery_ill_formed_utf8_made_text_safe(void **state)
{
	struct delivery_headers h = { "installation", "guid", NULL, NULL, NULL,
		NULL };
	struct delivery d;
	size_t len;
	char *body = fixture_edit("installation.created", "\"Codertocat\"",
	    "\"Coder\xff\xc0\xaftocat\"", &len);

	(void)state;
	assert_int_equal(delivery_parse(&no_labels, &h, body, len, &d), 0);
	assert_true(d.is_json);
	assert_int_equal(d.outcome, OUTCOME_OK);
	assert_string_equal(d.entity_name,
	    "Coder\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdtocat");
	delivery_release(&d);
	free(body);
}

/* Twice the same member name: the last counts, as jsonb keeps it. */
static void
delivery_duplicate_members_last_wins(void **state)
{
	struct delivery_headers h = { "installation", "guid", NULL, NULL, NULL,
		NULL };
	struct delivery d;
	size_t len;
	char *body = fixture_edit("installation.created", "\"installation\":",
	    "\"installation\":{\"id\":1,\"account\":{\"id\":2}},"
	    "\"installation\":",
	    &len);

	(void)state;
	assert_int_equal(delivery_parse(&no_labels, &h, body, len, &d), 0);
	assert_int_equal(d.installation_id, 957387);
	assert_int_equal(d.entity_id, 21031067);
	delivery_release(&d);
	free(body);
}

/* Ids a double cannot hold exactly, and actions that are no name. */
static void
delivery_suspicious_fields_invalid(void **state)
{
	static const struct {
		const char *from, *to;
	} v[] = {
		{ "\"id\": 957387", "\"id\": 9007199254740993" },
		{ "\"id\": 957387", "\"id\": -957387" },
		{ "\"id\": 957387", "\"id\": 1e30" },
		{ "\"id\": 957387", "\"id\": \"957387\"" },
		{ "\"id\": 957387", "\"id\": true" },
		{ "\"action\": \"created\"", "\"action\": \"created\\n\"" },
		{ "\"action\": \"created\"", "\"action\": \"\"" },
		{ "\"action\": \"created\"",
		    "\"action\": \"created' OR 1=1 --\"" },
	};
	struct delivery_headers h = { "installation", "guid", NULL, NULL, NULL,
		NULL };

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct delivery d;
		size_t len;
		char *body = fixture_edit("installation.created", v[i].from,
		    v[i].to, &len);

		assert_int_equal(delivery_parse(&no_labels, &h, body, len, &d),
		    0);
		if (d.outcome != OUTCOME_INVALID_PAYLOAD)
			fail_msg("case %zu: outcome %d", i, d.outcome);
		assert_true(d.is_json);
		assert_non_null(d.invalid_reason);
		assert_true(strcmp(d.event, "installation") == 0 ||
		    strcmp(d.event, "installation.created") == 0);
		delivery_release(&d);
		free(body);
	}
}

/*
 * Headers refused after the signature: the event name is made valid, and
 * the delivery is invalid but keeps the body's fields (no job is written).
 */
static void
delivery_refused_headers(void **state)
{
	struct delivery_headers h = { "workflow_job", "guid", NULL, NULL,
		"X-GitHub-Event header is malformed", NULL };
	struct delivery d;
	char out[80], longname[100];
	size_t len;
	char *body = read_fixture("workflow_job.queued", &len);

	(void)state;
	delivery_event_clean("ping;DROP TABLE", out, sizeof(out));
	assert_string_equal(out, "ping_DROP_TABLE");
	assert_true(delivery_event_is_valid(out));
	memset(longname, 'e', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	delivery_event_clean(longname, out, sizeof(out));
	assert_int_equal(strlen(out), 64);
	assert_true(delivery_event_is_valid(out));
	delivery_event_clean("\xff\xfe", out, 2);
	assert_string_equal(out, "_");
	delivery_event_clean("", out, sizeof(out));
	assert_true(delivery_event_is_valid(out));

	assert_int_equal(delivery_parse(&no_labels, &h, body, len, &d), 0);
	assert_int_equal(d.outcome, OUTCOME_INVALID_PAYLOAD);
	assert_string_equal(d.event, "workflow_job");
	assert_string_equal(d.invalid_reason, h.refused);
	assert_int_equal(d.installation_id, 3456996);
	assert_true(d.is_json);
	delivery_release(&d);
	free(body);
}

static void
delivery_event_names(void **state)
{
	(void)state;
	assert_true(delivery_event_is_valid("workflow_job"));
	assert_true(delivery_event_is_valid("installation_target"));
	assert_false(delivery_event_is_valid(""));
	assert_false(delivery_event_is_valid(NULL));
	assert_false(delivery_event_is_valid("a b"));
	assert_false(delivery_event_is_valid("x'; DROP TABLE jobs; --"));
	assert_false(delivery_event_is_valid(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(delivery_every_fixture),
		cmocka_unit_test(delivery_doc_fields_exact_or_not),
		cmocka_unit_test(delivery_repository_hook_target_is_not_an_app),
		cmocka_unit_test(delivery_installation_target_renamed),
		cmocka_unit_test(delivery_schema_only_actions),
		cmocka_unit_test(delivery_runner_labels),
		cmocka_unit_test(delivery_invalid_bodies),
		cmocka_unit_test(delivery_deep_nesting_refused),
		cmocka_unit_test(delivery_event_names),
		cmocka_unit_test(delivery_lone_surrogate_keeps_semantic_row),
		cmocka_unit_test(delivery_ill_formed_utf8_made_text_safe),
		cmocka_unit_test(delivery_duplicate_members_last_wins),
		cmocka_unit_test(delivery_suspicious_fields_invalid),
		cmocka_unit_test(delivery_refused_headers),
	};

	return cmocka_run_group_tests_name("delivery", tests, NULL, NULL);
}
