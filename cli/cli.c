/* SPDX-License-Identifier: MIT */
/* instlog-trace: arguments, URLs, and the run over the trace routes. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "core/login.h"
#include "core/stream.h"
#include "core/trace.h"
#include "net/httpc.h"
#include "table.h"

/* Caps on what a reply may weigh: a page of 5,000 rows, one payload. */
#define CLI_MAX_LIST    (64u * 1024 * 1024)
#define CLI_MAX_PAYLOAD (64u * 1024 * 1024)
#define CLI_MAX_GITHUB  (1024u * 1024)
/* Milliseconds allowed for one request. */
#define CLI_TIMEOUT_MS 30000
/* How much of a server's error message an error line quotes. */
#define CLI_MAX_QUOTE 200

enum cli_opt {
	CLI_OPT_INSTALLATION_ID,
	CLI_OPT_ENTITY_ID,
	CLI_OPT_ENTITY_NAME,
	CLI_OPT_JOB_ID,
	CLI_OPT_OPERATIONS,
	CLI_OPT_OPERATION,
	CLI_OPT_FAILING,
	CLI_OPT_CAUSE,
	CLI_OPT_STATUS,
	CLI_OPT_TYPE,
	CLI_OPT_JSON,
	CLI_OPT_AT,
	CLI_OPT_SINCE,
	CLI_OPT_UNTIL,
	CLI_OPT_EVENT,
	CLI_OPT_DEDUPE,
	CLI_OPT_ALL,
	CLI_OPT_LIMIT,
	CLI_OPT_URL,
	CLI_OPT_VERBOSE,
	CLI_OPT_FOLLOW,
	CLI_OPT_HELP,
	CLI_OPT__MAX
};

static const struct {
	const char *name;
	bool value;
} cli_opts[CLI_OPT__MAX] = {
	[CLI_OPT_INSTALLATION_ID] = { "installation-id", true },
	[CLI_OPT_ENTITY_ID] = { "entity-id", true },
	[CLI_OPT_ENTITY_NAME] = { "entity-name", true },
	[CLI_OPT_JOB_ID] = { "job-id", true },
	[CLI_OPT_OPERATIONS] = { "operations", false },
	[CLI_OPT_OPERATION] = { "operation", true },
	[CLI_OPT_FAILING] = { "failing", false },
	[CLI_OPT_CAUSE] = { "cause", true },
	[CLI_OPT_STATUS] = { "status", true },
	[CLI_OPT_TYPE] = { "type", true },
	[CLI_OPT_JSON] = { "json", false },
	[CLI_OPT_AT] = { "at", true },
	[CLI_OPT_SINCE] = { "since", true },
	[CLI_OPT_UNTIL] = { "until", true },
	[CLI_OPT_EVENT] = { "event", true },
	[CLI_OPT_DEDUPE] = { "dedupe", false },
	[CLI_OPT_ALL] = { "all", false },
	[CLI_OPT_LIMIT] = { "limit", true },
	[CLI_OPT_URL] = { "url", true },
	[CLI_OPT_VERBOSE] = { "verbose", false },
	[CLI_OPT_FOLLOW] = { "follow", false },
	[CLI_OPT_HELP] = { "help", false },
};

/* Find the option named by 'arg' ("--name" or "--name=value"). */
static enum cli_opt
cli_opt_find(const char *arg, const char **value)
{
	const char *eq;
	size_t n;

	*value = NULL;
	if (strcmp(arg, "-h") == 0)
		return CLI_OPT_HELP;
	if (strncmp(arg, "--", 2) != 0)
		return CLI_OPT__MAX;
	arg += 2;
	eq = strchr(arg, '=');
	n = eq == NULL ? strlen(arg) : (size_t)(eq - arg);
	for (int i = 0; i < CLI_OPT__MAX; i++)
		if (strlen(cli_opts[i].name) == n &&
		    strncmp(cli_opts[i].name, arg, n) == 0) {
			if (eq != NULL)
				*value = eq + 1;
			return (enum cli_opt)i;
		}
	return CLI_OPT__MAX;
}

/* Apply option 'opt' with 'v' (NULL for flags) to *o. */
static int
cli_opt_apply(struct cli_options *o, enum cli_opt opt, const char *v, char *err,
    size_t errlen)
{
	const char *name = cli_opts[opt].name;

	switch (opt) {
	case CLI_OPT_INSTALLATION_ID:
	case CLI_OPT_ENTITY_ID:
	case CLI_OPT_JOB_ID:
	case CLI_OPT_OPERATION:
		if (parse_int64(v, 1, INT64_MAX, &o->id) == -1) {
			(void)snprintf(err, errlen,
			    "--%s: not a positive integer: '%.40s'", name, v);
			return -1;
		}
		o->selector = opt == CLI_OPT_INSTALLATION_ID
		    ? CLI_SELECTOR_INSTALLATION
		    : opt == CLI_OPT_ENTITY_ID ? CLI_SELECTOR_ENTITY
		    : opt == CLI_OPT_JOB_ID    ? CLI_SELECTOR_JOB
		                               : CLI_SELECTOR_OPERATION;
		break;
	case CLI_OPT_OPERATIONS:
		o->selector = CLI_SELECTOR_OPERATIONS;
		break;
	case CLI_OPT_FAILING:
		o->selector = CLI_SELECTOR_FAILING;
		break;
	case CLI_OPT_CAUSE:
		o->cause = v;
		break;
	case CLI_OPT_STATUS:
		o->status = v;
		break;
	case CLI_OPT_TYPE:
		o->type = v;
		break;
	case CLI_OPT_ENTITY_NAME:
		if (!login_is_valid(v)) {
			(void)snprintf(err, errlen,
			    "--entity-name: not a GitHub login: '%.40s'", v);
			return -1;
		}
		(void)snprintf(o->login, sizeof(o->login), "%s", v);
		o->selector = CLI_SELECTOR_ENTITY_NAME;
		break;
	case CLI_OPT_LIMIT:
		if (parse_int64(v, 1, TRACE_LIMIT_MAX, &o->limit) == -1) {
			(void)snprintf(err, errlen,
			    "--limit: not an integer in 1..%d: '%.40s'",
			    TRACE_LIMIT_MAX, v);
			return -1;
		}
		break;
	case CLI_OPT_AT:
		o->at = v;
		break;
	case CLI_OPT_SINCE:
		o->since = v;
		break;
	case CLI_OPT_UNTIL:
		o->until = v;
		break;
	case CLI_OPT_EVENT:
		o->event = v;
		break;
	case CLI_OPT_URL:
		o->url = v;
		break;
	case CLI_OPT_JSON:
		o->json = true;
		break;
	case CLI_OPT_DEDUPE:
		o->dedupe = true;
		break;
	case CLI_OPT_ALL:
		o->all = true;
		break;
	case CLI_OPT_VERBOSE:
		o->verbose = true;
		break;
	case CLI_OPT_FOLLOW:
		o->follow = true;
		break;
	case CLI_OPT_HELP:
	case CLI_OPT__MAX:
		abort();
	}
	return 0;
}

/*
 * --failing takes --cause, --since, --limit, --json and --url only, and
 * --cause goes with --failing only.  Returns 0, or -1 with 'err'.
 */
static int
cli_check_failing(const struct cli_options *o, const bool *seen, char *err,
    size_t errlen)
{
	static const enum cli_opt not_failing[] = { CLI_OPT_STATUS,
		CLI_OPT_TYPE, CLI_OPT_AT, CLI_OPT_UNTIL, CLI_OPT_EVENT,
		CLI_OPT_DEDUPE, CLI_OPT_ALL, CLI_OPT_VERBOSE };

	if (seen[CLI_OPT_CAUSE] && o->selector != CLI_SELECTOR_FAILING) {
		(void)snprintf(err, errlen, "--cause goes with --failing only");
		return -1;
	}
	if (o->selector != CLI_SELECTOR_FAILING)
		return 0;
	for (size_t i = 0; i < sizeof(not_failing) / sizeof(not_failing[0]);
	     i++)
		if (seen[not_failing[i]]) {
			(void)snprintf(err, errlen,
			    "--%s does not apply to --failing",
			    cli_opts[not_failing[i]].name);
			return -1;
		}
	return 0;
}

/*
 * Refuse the options that do not go with the selector: the operations
 * filters without --operations, the trace options with the operations.
 * Returns 0, or -1 with a message in 'err'.
 */
static int
cli_check_applies(const struct cli_options *o, const bool *seen, char *err,
    size_t errlen)
{
	static const enum cli_opt ops_only[] = { CLI_OPT_STATUS, CLI_OPT_TYPE };
	static const enum cli_opt trace_only[] = { CLI_OPT_AT, CLI_OPT_EVENT,
		CLI_OPT_DEDUPE, CLI_OPT_ALL, CLI_OPT_VERBOSE };
	bool ops = o->selector == CLI_SELECTOR_OPERATIONS ||
	    o->selector == CLI_SELECTOR_OPERATION;

	for (size_t i = 0; i < sizeof(ops_only) / sizeof(ops_only[0]); i++)
		if (seen[ops_only[i]] &&
		    o->selector != CLI_SELECTOR_OPERATIONS) {
			(void)snprintf(err, errlen,
			    "--%s goes with "
			    "--operations only",
			    cli_opts[ops_only[i]].name);
			return -1;
		}
	for (size_t i = 0; i < sizeof(trace_only) / sizeof(trace_only[0]); i++)
		if (seen[trace_only[i]] && ops) {
			(void)snprintf(err, errlen,
			    "--%s does not apply to "
			    "operations",
			    cli_opts[trace_only[i]].name);
			return -1;
		}
	if (cli_check_failing(o, seen, err, errlen) == -1)
		return -1;
	if (o->selector == CLI_SELECTOR_OPERATION &&
	    (seen[CLI_OPT_SINCE] || seen[CLI_OPT_UNTIL] ||
	        seen[CLI_OPT_LIMIT])) {
		(void)snprintf(err, errlen,
		    "--since, --until and --limit go "
		    "with --operations, not --operation");
		return -1;
	}
	return 0;
}

/*
 * --follow (issue 26): with --entity-id, --entity-name, --installation-id
 * (and --event) or --operations, and --json, --url, --limit (the rows of
 * history first, up to STREAM_LAST_MAX); nothing else that pages or looks
 * back.  Returns 0, or -1 with a message in 'err'.
 */
static int
cli_check_follow(const struct cli_options *o, const bool *seen, char *err,
    size_t errlen)
{
	static const enum cli_opt never[] = { CLI_OPT_AT, CLI_OPT_SINCE,
		CLI_OPT_UNTIL, CLI_OPT_DEDUPE, CLI_OPT_ALL, CLI_OPT_VERBOSE,
		CLI_OPT_STATUS, CLI_OPT_TYPE };

	if (!o->follow)
		return 0;
	if (o->selector == CLI_SELECTOR_JOB ||
	    o->selector == CLI_SELECTOR_OPERATION) {
		(void)snprintf(err, errlen,
		    "--follow goes with --entity-id, --entity-name, "
		    "--installation-id or --operations");
		return -1;
	}
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (seen[never[i]]) {
			(void)snprintf(err, errlen,
			    "--%s does not go with --follow",
			    cli_opts[never[i]].name);
			return -1;
		}
	if (o->limit > STREAM_LAST_MAX) {
		(void)snprintf(err, errlen, "--limit: at most %d with --follow",
		    STREAM_LAST_MAX);
		return -1;
	}
	return 0;
}

int
cli_parse(int argc, char *const argv[], struct cli_options *o, char *err,
    size_t errlen)
{
	bool seen[CLI_OPT__MAX] = { false };
	int nselectors = 0;

	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *v;
		enum cli_opt opt = cli_opt_find(arg, &v);

		if (opt == CLI_OPT_HELP) {
			o->help = true;
			return 0;
		}
		if (opt == CLI_OPT__MAX) {
			(void)snprintf(err, errlen, "%s '%.40s'",
			    *arg == '-' ? "unknown option"
			                : "unexpected argument",
			    arg);
			return -1;
		}
		if (seen[opt]) {
			(void)snprintf(err, errlen, "--%s given twice",
			    cli_opts[opt].name);
			return -1;
		}
		seen[opt] = true;
		if (!cli_opts[opt].value && v != NULL) {
			(void)snprintf(err, errlen, "--%s takes no value",
			    cli_opts[opt].name);
			return -1;
		}
		if (cli_opts[opt].value && v == NULL) {
			if (i + 1 >= argc) {
				(void)snprintf(err, errlen,
				    "--%s needs a value", cli_opts[opt].name);
				return -1;
			}
			v = argv[++i];
		}
		if (v != NULL && *v == '\0') {
			(void)snprintf(err, errlen, "--%s: empty value",
			    cli_opts[opt].name);
			return -1;
		}
		if (opt <= CLI_OPT_FAILING)
			nselectors++;
		if (cli_opt_apply(o, opt, v, err, errlen) == -1)
			return -1;
	}
	if (nselectors != 1) {
		(void)snprintf(err, errlen,
		    "give %s one of --installation-id, --entity-id, "
		    "--entity-name, --job-id, --operations, --operation",
		    nselectors == 0 ? "exactly" : "only");
		return -1;
	}
	if (cli_check_applies(o, seen, err, errlen) == -1)
		return -1;
	return cli_check_follow(o, seen, err, errlen);
}

int
cli_url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		char esc[3];

		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			if (buf_append(b, p, 1) == -1)
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 0xf];
		if (buf_append(b, esc, sizeof(esc)) == -1)
			return -1;
	}
	/* Even an empty result is a string. */
	return buf_append(b, "", 0);
}

/* Empty 'b' and put 'base' into it, less its trailing slashes. */
static int
cli_put_base(struct buf *b, const char *base)
{
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	buf_reset(b);
	return buf_append(b, base, n);
}

/* Append "?name=value" or "&name=value", 'value' encoded, when set. */
static int
cli_put_param(struct buf *b, bool *first, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	if (buf_printf(b, "%c%s=", *first ? '?' : '&', name) == -1)
		return -1;
	*first = false;
	return cli_url_encode(b, value);
}

int
cli_trace_url(struct buf *b, const char *base, const struct cli_options *o,
    int64_t entity_id, const char *cursor)
{
	const char *route;
	int64_t id = o->id;
	char limit[24];
	bool first = true;

	switch (o->selector) {
	case CLI_SELECTOR_INSTALLATION:
		route = "installation";
		break;
	case CLI_SELECTOR_JOB:
		route = "job";
		break;
	default:
		route = "entity";
		id = entity_id;
		break;
	}
	(void)snprintf(limit, sizeof(limit), "%lld", (long long)o->limit);
	if (cli_put_base(b, base) == -1 ||
	    buf_printf(b, "/trace/%s/%lld", route, (long long)id) == -1 ||
	    cli_put_param(b, &first, "since", o->since) == -1 ||
	    cli_put_param(b, &first, "until", o->until) == -1 ||
	    cli_put_param(b, &first, "event", o->event) == -1 ||
	    cli_put_param(b, &first, "at", o->at) == -1 ||
	    cli_put_param(b, &first, "limit", o->limit > 0 ? limit : NULL) ==
	        -1 ||
	    cli_put_param(b, &first, "dedupe", o->dedupe ? "1" : NULL) == -1 ||
	    cli_put_param(b, &first, "cursor", cursor) == -1)
		return -1;
	return 0;
}

int
cli_ops_url(struct buf *b, const char *base, const struct cli_options *o)
{
	bool first = true;
	char n[24];

	buf_reset(b);
	if (cli_put_base(b, base) == -1)
		return -1;
	if (o->selector == CLI_SELECTOR_OPERATION)
		return buf_printf(b, "/operations/%lld", (long long)o->id);
	if (buf_puts(b, "/operations") == -1)
		return -1;
	(void)snprintf(n, sizeof(n), "%lld", (long long)o->limit);
	if (cli_put_param(b, &first, "status", o->status) == -1 ||
	    cli_put_param(b, &first, "type", o->type) == -1 ||
	    cli_put_param(b, &first, "since", o->since) == -1 ||
	    cli_put_param(b, &first, "until", o->until) == -1 ||
	    cli_put_param(b, &first, "limit", o->limit > 0 ? n : NULL) == -1)
		return -1;
	return 0;
}

int
cli_failing_url(struct buf *b, const char *base, const struct cli_options *o)
{
	bool first = true;
	char n[24];

	buf_reset(b);
	(void)snprintf(n, sizeof(n), "%lld", (long long)o->limit);
	if (cli_put_base(b, base) == -1 ||
	    buf_puts(b, "/trace/failing") == -1 ||
	    cli_put_param(b, &first, "cause", o->cause) == -1 ||
	    cli_put_param(b, &first, "since", o->since) == -1 ||
	    cli_put_param(b, &first, "limit", o->limit > 0 ? n : NULL) == -1)
		return -1;
	return 0;
}

int
cli_payload_url(struct buf *b, const char *base, int64_t id)
{
	if (cli_put_base(b, base) == -1)
		return -1;
	return buf_printf(b, "/trace/payload/%lld", (long long)id);
}

int
cli_github_url(struct buf *b, const char *api, const char *kind,
    const char *login)
{
	if (cli_put_base(b, api) == -1 || buf_printf(b, "/%s/", kind) == -1)
		return -1;
	return cli_url_encode(b, login);
}

enum cli_status
cli_status_from_http(long status)
{
	switch (status) {
	case 200:
		return CLI_OK;
	case 400:
		return CLI_USAGE;
	case 401:
	case 403:
		return CLI_AUTH;
	case 404:
		return CLI_NOTFOUND;
	default:
		return CLI_SERVER;
	}
}

/* What one run holds; released by cli_run(). */
struct cli_ctx {
	const struct cli_options *o;
	const char *base;
	const char *api;
	struct httpc http;
	struct buf auth;    /* "Authorization: Bearer <trace token>", wiped */
	struct buf gh_auth; /* the same for GITHUB_TOKEN, or empty */
	struct buf url;
	struct httpc_request reply; /* the last request and its reply */
};

/*
 * Quote the message a server put in its reply (instlog's "error", GitHub's
 * "message") into 'q', one safe line of at most CLI_MAX_QUOTE columns; ""
 * when there is none.
 */
static void
cli_quote(const struct httpc_request *r, const char *key, struct buf *q)
{
	cJSON *doc = json_parse(r->reply.buf, r->reply.len);
	const char *msg = json_string(doc, key);

	buf_reset(q);
	if (msg != NULL && *msg != '\0' &&
	    (buf_puts(q, " (") == -1 ||
	        table_fit(q, msg, CLI_MAX_QUOTE) == -1 ||
	        buf_puts(q, ")") == -1))
		buf_reset(q);
	cJSON_Delete(doc);
}

/*
 * GET ctx->url with 'headers' into ctx->reply, at most 'max' bytes.
 * Returns CLI_OK when an HTTP answer came (any status), else the failure,
 * logged.
 */
static enum cli_status
cli_get(struct cli_ctx *ctx, const char *const *headers, size_t n, size_t max)
{
	struct httpc_request *r = &ctx->reply;

	httpc_request_release(r);
	memset(r, 0, sizeof(*r));
	r->url = ctx->url.buf;
	r->headers = headers;
	r->nheaders = n;
	r->max = max;
	(void)httpc_run(&ctx->http, r, 1, 1);
	switch (r->result) {
	case HTTPC_OK:
		return CLI_OK;
	case HTTPC_NETWORK:
		log_warnx("cannot reach %s: %s", ctx->url.buf, r->error);
		return CLI_NETWORK;
	case HTTPC_TOO_LARGE:
		log_warnx("%s: %s", ctx->url.buf, r->error);
		return CLI_SERVER;
	case HTTPC_ERROR:
		break;
	}
	log_warnx("%s: %s", ctx->url.buf, r->error);
	return CLI_FAILURE;
}

/*
 * GET ctx->url from instlog; 'what' names the thing asked for in
 * messages ("installation 42").  Returns CLI_OK for a 200, else the exit
 * status after logging why.
 */
static enum cli_status
cli_get_instlog(struct cli_ctx *ctx, const char *what, size_t max)
{
	const char *const headers[] = { ctx->auth.buf,
		"Accept: application/json" };
	enum cli_status st;
	struct buf q;

	if ((st = cli_get(ctx, headers, 2, max)) != CLI_OK)
		return st;
	if ((st = cli_status_from_http(ctx->reply.status)) == CLI_OK)
		return st;
	buf_init(&q);
	cli_quote(&ctx->reply, "error", &q);
	switch (st) {
	case CLI_USAGE:
		log_warnx("the server refused the request%s",
		    q.len > 0 ? q.buf : "");
		break;
	case CLI_AUTH:
		log_warnx("%s: HTTP %ld: the server refused the token; check "
		          "TRACE_API_SECRET",
		    ctx->url.buf, ctx->reply.status);
		break;
	case CLI_NOTFOUND:
		log_warnx("%s: not found%s", what, q.len > 0 ? q.buf : "");
		break;
	default:
		log_warnx("%s: HTTP %ld from the server%s", ctx->url.buf,
		    ctx->reply.status, q.len > 0 ? q.buf : "");
		break;
	}
	buf_release(&q);
	return st;
}

/*
 * Resolve ctx->o->login to a GitHub account id through /users/{login},
 * then /orgs/{login}.  Returns CLI_OK and sets *id, or the exit status
 * after logging why.
 */
static enum cli_status
cli_resolve(struct cli_ctx *ctx, int64_t *id)
{
	static const char *const kinds[] = { "users", "orgs" };
	const char *headers[] = { "Accept: application/vnd.github+json",
		"X-GitHub-Api-Version: 2022-11-28", ctx->gh_auth.buf };
	size_t nheaders = ctx->gh_auth.len > 0 ? 3 : 2;
	enum cli_status st;
	struct buf q;
	cJSON *doc;

	buf_init(&q);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (cli_github_url(&ctx->url, ctx->api, kinds[i],
		        ctx->o->login) == -1) {
			st = CLI_FAILURE;
			goto out;
		}
		if ((st = cli_get(ctx, headers, nheaders, CLI_MAX_GITHUB)) !=
		    CLI_OK)
			goto out;
		if (ctx->reply.status == 404)
			continue;
		cli_quote(&ctx->reply, "message", &q);
		st = cli_status_from_http(ctx->reply.status);
		if (st == CLI_AUTH) {
			log_warnx("github: %s: HTTP %ld%s; check GITHUB_TOKEN",
			    ctx->url.buf, ctx->reply.status,
			    q.len > 0 ? q.buf : "");
			goto out;
		}
		if (st != CLI_OK) {
			log_warnx("github: %s: HTTP %ld%s", ctx->url.buf,
			    ctx->reply.status, q.len > 0 ? q.buf : "");
			st = CLI_SERVER;
			goto out;
		}
		doc = json_parse(ctx->reply.reply.buf, ctx->reply.reply.len);
		if (json_int64(doc, "id", 1, INT64_MAX, id) != 0) {
			log_warnx("github: %s: no account id in the reply",
			    ctx->url.buf);
			st = CLI_SERVER;
		}
		cJSON_Delete(doc);
		goto out;
	}
	log_warnx("no GitHub user or organization named '%s'", ctx->o->login);
	st = CLI_NOTFOUND;
out:
	buf_release(&q);
	return st;
}

/* Name what the options ask for, for messages: "installation 42". */
static void
cli_what(const struct cli_options *o, int64_t entity_id, char *dst, size_t size)
{
	switch (o->selector) {
	case CLI_SELECTOR_INSTALLATION:
		(void)snprintf(dst, size, "installation %lld",
		    (long long)o->id);
		break;
	case CLI_SELECTOR_JOB:
		(void)snprintf(dst, size, "job %lld", (long long)o->id);
		break;
	case CLI_SELECTOR_ENTITY_NAME:
		(void)snprintf(dst, size, "entity %lld ('%s')",
		    (long long)entity_id, o->login);
		break;
	default:
		(void)snprintf(dst, size, "entity %lld", (long long)entity_id);
		break;
	}
}

void
cli_cursors_init(struct cli_cursors *c)
{
	memset(c, 0, sizeof(*c));
}

void
cli_cursors_release(struct cli_cursors *c)
{
	if (c == NULL)
		return;
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Slot of 'v' in the open-addressing table 't' of 'cap' (a power of 2). */
static size_t
cli_cursor_slot(const int64_t *t, size_t cap, int64_t v)
{
	size_t i = (size_t)((uint64_t)v * 0x9e3779b97f4a7c15ULL) & (cap - 1);

	while (t[i] != 0 && t[i] != v)
		i = (i + 1) & (cap - 1);
	return i;
}

int
cli_cursors_add(struct cli_cursors *c, int64_t v)
{
	int64_t *t;
	size_t cap;

	if (v <= 0)
		return -1;
	if (c->n == CLI_MAX_PAGES)
		return 1;
	/* Keep the table at most half full. */
	if (2 * (c->n + 1) > c->cap) {
		cap = c->cap == 0 ? 64 : c->cap * 2;
		if ((t = calloc(cap, sizeof(*t))) == NULL)
			return -1;
		for (size_t i = 0; i < c->cap; i++)
			if (c->v[i] != 0)
				t[cli_cursor_slot(t, cap, c->v[i])] = c->v[i];
		free(c->v);
		c->v = t;
		c->cap = cap;
	}
	t = &c->v[cli_cursor_slot(c->v, c->cap, v)];
	if (*t == v)
		return 1;
	*t = v;
	c->n++;
	return 0;
}

/*
 * Read the next_cursor of page 'doc' into 'cursor' ("" for none).  Ids
 * do not grow with received_at (a replayed row keeps its arrival time but
 * gets a new id), so a cursor may be lower than the one before: only one
 * already followed, which would loop, is refused.  Returns 0, or -1 (a
 * bad or repeated cursor, or too many pages).
 */
static int
cli_next_cursor(const cJSON *doc, struct cli_cursors *seen, char *cursor,
    size_t size)
{
	const cJSON *c = json_dig(doc, "next_cursor");
	int64_t v;

	cursor[0] = '\0';
	if (c == NULL || cJSON_IsNull(c))
		return 0;
	if (cJSON_IsString(c)) {
		if (parse_int64(c->valuestring, 1, INT64_MAX, &v) == -1)
			return -1;
	} else if (json_int64(doc, "next_cursor", 1, INT64_MAX, &v) != 0)
		return -1;
	if (cli_cursors_add(seen, v) != 0)
		return -1;
	(void)snprintf(cursor, size, "%lld", (long long)v);
	return 0;
}

/*
 * Fetch the timeline: one page, or with --all every page, merged into
 * the last page's document with the events of all of them.  Sets *doc
 * (the caller deletes it) and leaves the last reply in ctx->reply.
 * Returns CLI_OK or the exit status, logged.
 */
static enum cli_status
cli_timeline(struct cli_ctx *ctx, int64_t entity_id, cJSON **doc)
{
	char what[96], cursor[24] = "";
	cJSON *page = NULL, *acc = NULL, *events, *it;
	struct cli_cursors seen;
	enum cli_status st = CLI_FAILURE;

	*doc = NULL;
	cli_cursors_init(&seen);
	cli_what(ctx->o, entity_id, what, sizeof(what));
	if (ctx->o->all && (acc = cJSON_CreateArray()) == NULL)
		goto out;
	for (;;) {
		if (cli_trace_url(&ctx->url, ctx->base, ctx->o, entity_id,
		        cursor[0] != '\0' ? cursor : NULL) == -1) {
			st = CLI_FAILURE;
			goto out;
		}
		if ((st = cli_get_instlog(ctx, what, CLI_MAX_LIST)) != CLI_OK)
			goto out;
		cJSON_Delete(page);
		page = json_parse(ctx->reply.reply.buf, ctx->reply.reply.len);
		events = cJSON_GetObjectItemCaseSensitive(page, "events");
		if (!cJSON_IsArray(events)) {
			log_warnx("%s: not a trace document", ctx->url.buf);
			st = CLI_SERVER;
			goto out;
		}
		if (!ctx->o->all)
			break;
		while ((it = cJSON_DetachItemFromArray(events, 0)) != NULL)
			cJSON_AddItemToArray(acc, it);
		if (cli_next_cursor(page, &seen, cursor, sizeof(cursor)) ==
		    -1) {
			log_warnx("%s: bad next_cursor, or one already "
			          "followed",
			    ctx->url.buf);
			st = CLI_SERVER;
			goto out;
		}
		if (cursor[0] == '\0') {
			if (!cJSON_ReplaceItemInObjectCaseSensitive(page,
			        "events", acc)) {
				st = CLI_FAILURE;
				goto out;
			}
			acc = NULL;
			break;
		}
	}
	*doc = page;
	page = NULL;
	st = CLI_OK;
out:
	cli_cursors_release(&seen);
	cJSON_Delete(page);
	cJSON_Delete(acc);
	return st;
}

/*
 * Give the auth failure row 'e' the repo and job of its payload 'p' when
 * the list did not carry them (only workflow_job rows do).
 */
static void
cli_fill_auth_row(cJSON *e, const cJSON *p)
{
	const char *repo = json_string(p, "payload.repository.full_name");
	int64_t job;

	if (repo != NULL && !cJSON_HasObjectItem(e, "repo_full_name"))
		(void)cJSON_AddStringToObject(e, "repo_full_name", repo);
	if (json_int64(p, "payload.workflow_job.id", 1, INT64_MAX, &job) == 0 &&
	    !cJSON_HasObjectItem(e, "job_id"))
		(void)cJSON_AddNumberToObject(e, "job_id", (double)job);
}

/*
 * --verbose: fetch /trace/payload/{id} of every auth_attempt.* row of
 * 'doc'.  With --json the replies are written to 'out' as received;
 * otherwise they are rendered into 'text' and their repo and job added to
 * the rows.  Returns CLI_OK or the exit status, logged.
 */
static enum cli_status
cli_payloads(struct cli_ctx *ctx, cJSON *doc, FILE *out, unsigned flags,
    struct buf *text)
{
	cJSON *events = cJSON_GetObjectItemCaseSensitive(doc, "events"), *e;
	enum cli_status st;

	cJSON_ArrayForEach (e, events) {
		const char *ev = json_string(e, "event");
		char what[48];
		int64_t id;
		cJSON *p;

		if (ev == NULL || !has_prefix(ev, "auth_attempt.") ||
		    json_int64(e, "id", 1, INT64_MAX, &id) != 0)
			continue;
		(void)snprintf(what, sizeof(what), "event %lld", (long long)id);
		if (cli_payload_url(&ctx->url, ctx->base, id) == -1)
			return CLI_FAILURE;
		if ((st = cli_get_instlog(ctx, what, CLI_MAX_PAYLOAD)) !=
		    CLI_OK)
			return st;
		p = json_parse(ctx->reply.reply.buf, ctx->reply.reply.len);
		if (!cJSON_IsObject(p)) {
			cJSON_Delete(p);
			log_warnx("%s: not a payload document", ctx->url.buf);
			return CLI_SERVER;
		}
		if (ctx->o->json) {
			(void)fwrite(ctx->reply.reply.buf, 1,
			    ctx->reply.reply.len, out);
		} else {
			cli_fill_auth_row(e, p);
			if (table_render_payload(text, p, flags) == -1) {
				cJSON_Delete(p);
				return CLI_FAILURE;
			}
		}
		cJSON_Delete(p);
	}
	return CLI_OK;
}

/* Renders a document of the server as text into 'out': 0, or -1. */
typedef int cli_render_fn(struct buf *out, const cJSON *doc, unsigned flags);

/*
 * GET ctx->url (which names 'what' in messages) and write the server's
 * JSON (--json) or 'render' of it to 'out' ('docname': "an operations
 * document", ..., when it is not one).  Returns CLI_OK or the exit
 * status, logged.
 */
static enum cli_status
cli_show(struct cli_ctx *ctx, const char *what, const char *docname,
    cli_render_fn *render, FILE *out, unsigned flags)
{
	struct buf text;
	cJSON *doc = NULL;
	enum cli_status st;

	buf_init(&text);
	if ((st = cli_get_instlog(ctx, what, CLI_MAX_LIST)) != CLI_OK)
		goto out;
	if (ctx->o->json) {
		(void)fwrite(ctx->reply.reply.buf, 1, ctx->reply.reply.len,
		    out);
		goto out;
	}
	doc = json_parse(ctx->reply.reply.buf, ctx->reply.reply.len);
	if (render(&text, doc, flags) == -1) {
		log_warnx("%s: not %s", ctx->url.buf, docname);
		st = CLI_SERVER;
		goto out;
	}
	(void)fwrite(text.buf, 1, text.len, out);
out:
	cJSON_Delete(doc);
	buf_release(&text);
	return st;
}

/* --operations and --operation N: the list or the operation. */
static enum cli_status
cli_operations(struct cli_ctx *ctx, FILE *out, unsigned flags)
{
	bool one = ctx->o->selector == CLI_SELECTOR_OPERATION;
	char what[48];

	if (one)
		(void)snprintf(what, sizeof(what), "operation %lld",
		    (long long)ctx->o->id);
	else
		(void)snprintf(what, sizeof(what), "operations");
	if (cli_ops_url(&ctx->url, ctx->base, ctx->o) == -1)
		return CLI_FAILURE;
	return cli_show(ctx, what, "an operations document",
	    one ? table_render_operation : table_render_operations, out, flags);
}

/* --failing: GET /trace/failing. */
static enum cli_status
cli_failing(struct cli_ctx *ctx, FILE *out, unsigned flags)
{
	if (cli_failing_url(&ctx->url, ctx->base, ctx->o) == -1)
		return CLI_FAILURE;
	return cli_show(ctx, "failing accounts", "a failing accounts document",
	    table_render_failing, out, flags);
}

static enum cli_status
cli_bearer(const char *name, bool required, struct buf *hdr)
{
	struct config_secret s;
	enum cli_status st = CLI_AUTH;

	if (config_secret_load(name, &s) == -1)
		goto out;
	if (s.buf == NULL) {
		if (required)
			log_warnx("%s (or %s_FILE) is not set", name, name);
		else
			st = CLI_OK;
		goto out;
	}
	for (size_t i = 0; i < s.len; i++)
		if (s.buf[i] < 0x21 || s.buf[i] == 0x7f) {
			log_warnx("%s: spaces or control characters in the "
			          "token",
			    name);
			goto out;
		}
	if (buf_puts(hdr, "Authorization: Bearer ") == -1 ||
	    buf_append(hdr, s.buf, s.len) == -1) {
		st = CLI_FAILURE;
		goto out;
	}
	st = CLI_OK;
out:
	config_secret_release(&s);
	return st;
}

/* The environment variable 'name' when set and not empty, else 'dflt'. */
static const char *
cli_env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

/* --follow (issue 26): the live tail, resumed after a dropped connection. */

/* The rows of history --follow prints first without --limit, as tail(1). */
#define CLI_FOLLOW_LAST 10
/* A stream silent this long is dropped: three keepalives missed. */
#define CLI_FOLLOW_IDLE_MS 45000
/* Wait before connecting again after a drop, and after a 503. */
#define CLI_FOLLOW_RETRY_MS 2000
#define CLI_FOLLOW_BUSY_MS  5000

/* One --follow run. */
struct cli_follow {
	FILE *out;
	unsigned flags;
	bool json;
	bool ops;
	char last_id[24]; /* the last event printed: Last-Event-ID */
	struct stream_parser parser;
	struct buf text;
	bool write_failed;
};

/* Print one event of the stream.  Returns 0, or -1 to stop. */
static int
cli_follow_event(void *arg, const char *id, const char *event, const char *data,
    size_t len)
{
	struct cli_follow *f = arg;
	cJSON *doc = NULL;
	int rc;

	if (strcmp(event, f->ops ? "operation" : "row") != 0)
		return 0;
	buf_reset(&f->text);
	if (f->json)
		rc = buf_append(&f->text, data, len) == -1 ||
		        buf_puts(&f->text, "\n") == -1
		    ? -1
		    : 0;
	else {
		doc = json_parse(data, len);
		rc = f->ops ? table_follow_operation(&f->text, doc, f->flags)
		            : table_follow_row(&f->text, doc, f->flags);
		cJSON_Delete(doc);
		/* A row the table cannot read is skipped, not fatal. */
		if (rc == -1)
			return 0;
	}
	if (rc == -1 ||
	    fwrite(f->text.buf, 1, f->text.len, f->out) != f->text.len ||
	    fflush(f->out) == EOF) {
		f->write_failed = true;
		return -1;
	}
	(void)snprintf(f->last_id, sizeof(f->last_id), "%s", id);
	return 0;
}

/* httpc's on_data: the stream's bytes into the parser. */
static int
cli_follow_data(const char *p, size_t n, void *arg)
{
	struct cli_follow *f = arg;

	return stream_parser_feed(&f->parser, p, n, cli_follow_event, f);
}

static void
cli_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* The stream's URL for 'o' into ctx->url.  Returns 0 or -1. */
static int
cli_follow_url(struct cli_ctx *ctx, int64_t entity_id)
{
	const struct cli_options *o = ctx->o;
	char id[24], last[24];
	bool first = true;

	(void)snprintf(last, sizeof(last), "%lld",
	    (long long)(o->limit > 0 ? o->limit : CLI_FOLLOW_LAST));
	buf_reset(&ctx->url);
	if (cli_put_base(&ctx->url, ctx->base) == -1)
		return -1;
	if (o->selector == CLI_SELECTOR_OPERATIONS)
		return buf_puts(&ctx->url, "/operations/stream") == -1 ||
		        cli_put_param(&ctx->url, &first, "last", last) == -1
		    ? -1
		    : 0;
	(void)snprintf(id, sizeof(id), "%lld",
	    (long long)(o->selector == CLI_SELECTOR_INSTALLATION ? o->id
	                                                         : entity_id));
	if (buf_puts(&ctx->url, "/trace/stream") == -1 ||
	    cli_put_param(&ctx->url, &first,
	        o->selector == CLI_SELECTOR_INSTALLATION ? "installation_id"
	                                                 : "entity_id",
	        id) == -1 ||
	    cli_put_param(&ctx->url, &first, "event", o->event) == -1 ||
	    cli_put_param(&ctx->url, &first, "last", last) == -1)
		return -1;
	return 0;
}

/*
 * Print what the stream sends until interrupted, like tail -f: the last
 * --limit (10) rows first, then new ones, as table lines (a header first)
 * or, with --json, each row as one line of JSON (the stream sends both,
 * from one position: no gap, no repeat between them).  A dropped
 * connection is taken up again with Last-Event-ID (the last row printed,
 * or where the stream said it began), so nothing is missed or printed
 * twice; a 503 (the server's streams all taken) waits and
 * tries again.  Returns the exit status of a refusal (400, 401, 404),
 * or CLI_FAILURE when the output cannot be written.
 */
static enum cli_status
cli_follow(struct cli_ctx *ctx, int64_t entity_id, FILE *out, unsigned flags)
{
	struct cli_follow f;
	struct httpc_request *r = &ctx->reply;
	char lastid[64];
	const char *headers[3];
	enum cli_status st = CLI_FAILURE;
	struct buf q;

	memset(&f, 0, sizeof(f));
	f.out = out;
	f.flags = flags;
	f.json = ctx->o->json;
	f.ops = ctx->o->selector == CLI_SELECTOR_OPERATIONS;
	buf_init(&f.text);
	buf_init(&q);
	if (cli_follow_url(ctx, entity_id) == -1)
		goto out;
	if (!f.json &&
	    ((f.ops ? table_follow_operation(&f.text, NULL, flags)
	            : table_follow_row(&f.text, NULL, flags)) == -1 ||
	        fwrite(f.text.buf, 1, f.text.len, out) != f.text.len ||
	        fflush(out) == EOF))
		goto out;
	for (;;) {
		headers[0] = ctx->auth.buf;
		headers[1] = "Accept: text/event-stream";
		(void)snprintf(lastid, sizeof(lastid), "Last-Event-ID: %s",
		    f.last_id);
		headers[2] = lastid;
		httpc_request_release(r);
		memset(r, 0, sizeof(*r));
		r->url = ctx->url.buf;
		r->headers = headers;
		r->nheaders = f.last_id[0] != '\0' ? 3 : 2;
		r->max = CLI_MAX_GITHUB;
		r->on_data = cli_follow_data;
		r->on_data_arg = &f;
		r->idle_ms = CLI_FOLLOW_IDLE_MS;
		stream_parser_init(&f.parser);
		(void)httpc_run(&ctx->http, r, 1, 1);
		/* Rows printed, or only where the stream began. */
		if (f.parser.resume[0] != '\0')
			(void)memcpy(f.last_id, f.parser.resume,
			    sizeof(f.last_id));
		stream_parser_release(&f.parser);
		if (f.write_failed) {
			log_warnx("cannot write the output");
			goto out;
		}
		/* 503: every stream taken; 502, 504: restarting. */
		if (r->result == HTTPC_OK && r->status >= 502 &&
		    r->status <= 504) {
			log_warnx("%s: HTTP %ld; trying again", ctx->url.buf,
			    r->status);
			cli_sleep_ms(CLI_FOLLOW_BUSY_MS);
			continue;
		}
		if (r->result == HTTPC_OK && r->status != 200) {
			cli_quote(r, "error", &q);
			st = cli_status_from_http(r->status);
			log_warnx("%s: HTTP %ld%s", ctx->url.buf, r->status,
			    q.len > 0 ? q.buf : "");
			goto out;
		}
		if (r->result == HTTPC_ERROR) {
			log_warnx("%s: %s", ctx->url.buf, r->error);
			goto out;
		}
		log_warnx("%s: stream ended (%s); resuming%s%s", ctx->url.buf,
		    r->result == HTTPC_OK ? "closed" : r->error,
		    f.last_id[0] != '\0' ? " after id " : "", f.last_id);
		cli_sleep_ms(CLI_FOLLOW_RETRY_MS);
	}
out:
	buf_release(&f.text);
	buf_release(&q);
	return st;
}

enum cli_status
cli_run(const struct cli_options *o, FILE *out, bool color)
{
	struct cli_ctx ctx;
	struct buf text, payloads;
	cJSON *doc = NULL;
	struct json_writer w;
	int64_t entity_id = o->id;
	unsigned flags = color ? TABLE_COLOR : 0;
	enum cli_status st = CLI_FAILURE;
	char err[256];

	memset(&ctx, 0, sizeof(ctx));
	ctx.o = o;
	buf_init(&ctx.auth);
	buf_init(&ctx.gh_auth);
	buf_init(&ctx.url);
	buf_init(&text);
	buf_init(&payloads);

	ctx.base =
	    o->url != NULL ? o->url : cli_env("INSTLOG_URL", CLI_URL_DEFAULT);
	if (httpc_url_check(ctx.base, HTTPC_URL_BASE, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", o->url != NULL ? "--url" : "INSTLOG_URL",
		    err);
		st = CLI_USAGE;
		goto out;
	}
	if ((st = cli_bearer("TRACE_API_SECRET", true, &ctx.auth)) != CLI_OK)
		goto out;
	st = CLI_FAILURE;
	if (httpc_init(&ctx.http, "instlog-trace/1", CLI_TIMEOUT_MS) == -1)
		goto out;
	if (o->follow && o->selector == CLI_SELECTOR_OPERATIONS) {
		st = cli_follow(&ctx, 0, out, flags);
		goto out;
	}
	if (o->selector == CLI_SELECTOR_OPERATIONS ||
	    o->selector == CLI_SELECTOR_OPERATION) {
		if ((st = cli_operations(&ctx, out, flags)) != CLI_OK)
			goto out;
		st = CLI_FAILURE;
		goto flush;
	}
	if (o->selector == CLI_SELECTOR_FAILING) {
		if ((st = cli_failing(&ctx, out, flags)) != CLI_OK)
			goto out;
		st = CLI_FAILURE;
		goto flush;
	}
	if (o->selector == CLI_SELECTOR_ENTITY_NAME) {
		ctx.api = cli_env("GITHUB_API_URL", CLI_GITHUB_URL_DEFAULT);
		if (httpc_url_check(ctx.api, HTTPC_URL_BASE, err,
		        sizeof(err)) == -1) {
			log_warnx("GITHUB_API_URL: %s", err);
			st = CLI_USAGE;
			goto out;
		}
		if ((st = cli_bearer("GITHUB_TOKEN", false, &ctx.gh_auth)) !=
		        CLI_OK ||
		    (st = cli_resolve(&ctx, &entity_id)) != CLI_OK)
			goto out;
	}
	if (o->follow) {
		st = cli_follow(&ctx, entity_id, out, flags);
		goto out;
	}
	if ((st = cli_timeline(&ctx, entity_id, &doc)) != CLI_OK)
		goto out;
	st = CLI_FAILURE;
	if (o->json && !o->all)
		(void)fwrite(ctx.reply.reply.buf, 1, ctx.reply.reply.len, out);
	else if (o->json) {
		json_writer_init(&w, &text);
		json_put_tree(&w, doc);
		if (json_writer_finish(&w) == -1 || buf_puts(&text, "\n") == -1)
			goto out;
		(void)fwrite(text.buf, 1, text.len, out);
	}
	if (o->verbose &&
	    (st = cli_payloads(&ctx, doc, out, flags, &payloads)) != CLI_OK)
		goto out;
	st = CLI_FAILURE;
	if (!o->json) {
		if (table_render(&text, doc, flags) == -1) {
			log_warnx("%s: cannot render the reply", ctx.base);
			st = CLI_SERVER;
			goto out;
		}
		(void)fwrite(text.buf, 1, text.len, out);
		if (payloads.len > 0)
			(void)fwrite(payloads.buf, 1, payloads.len, out);
	}
flush:
	if (fflush(out) == EOF || ferror(out)) {
		log_warnx("cannot write the output");
		goto out;
	}
	st = CLI_OK;
out:
	cJSON_Delete(doc);
	httpc_request_release(&ctx.reply);
	httpc_release(&ctx.http);
	buf_wipe(&ctx.auth);
	buf_wipe(&ctx.gh_auth);
	buf_release(&ctx.url);
	buf_release(&text);
	buf_release(&payloads);
	return st;
}
