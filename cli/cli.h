/* SPDX-License-Identifier: MIT */
/* instlog-trace: arguments, URLs, and the run over the trace routes. */
#ifndef INSTLOG_CLI_H
#define INSTLOG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/login.h"
#include "core/str.h"

/* Where the server is when neither --url nor INSTLOG_URL says. */
#define CLI_URL_DEFAULT        "http://127.0.0.1:8080"
#define CLI_GITHUB_URL_DEFAULT "https://api.github.com"

/*
 * The exit statuses of instlog-trace; the values are the exit codes,
 * documented in --help and the README.
 */
enum cli_status {
	CLI_OK = 0,
	CLI_FAILURE = 1,  /* out of memory, cannot write the output */
	CLI_USAGE = 2,    /* bad arguments, URL, or a 400 from instlog */
	CLI_AUTH = 3,     /* no token, 401/403 from instlog or GitHub */
	CLI_NOTFOUND = 4, /* 404 from instlog, unknown GitHub login */
	CLI_SERVER = 5,   /* 5xx, unexpected status or unparsable reply */
	CLI_NETWORK = 6,  /* cannot connect, timeout, TLS failure */
};

/* What the timeline is looked up by. */
enum cli_selector {
	CLI_SELECTOR_NONE,
	CLI_SELECTOR_INSTALLATION,
	CLI_SELECTOR_ENTITY,
	CLI_SELECTOR_ENTITY_NAME,
	CLI_SELECTOR_JOB,
	CLI_SELECTOR_OPERATIONS, /* --operations: the list */
	CLI_SELECTOR_OPERATION,  /* --operation N: one, with its steps */
	CLI_SELECTOR_FAILING,    /* --failing: the fleet's failing accounts */
};

/*
 * Parsed command line.  The strings are borrowed from argv, except
 * 'login', which is copied.
 */
struct cli_options {
	enum cli_selector selector;
	int64_t id; /* installation, entity or job id; 0 for a login */
	char login[LOGIN_MAX + 1];
	const char *url;   /* --url, or NULL */
	const char *since; /* the query parameters, NULL when absent */
	const char *until;
	const char *at;
	const char *event;
	const char *status; /* --operations filters, NULL when absent */
	const char *type;
	const char *cause; /* --failing's filter, NULL when absent */
	int64_t limit;     /* 0: the server's default */
	bool json;
	bool dedupe;
	bool all;
	bool verbose;
	bool follow; /* --follow: the live tail */
	bool help;
};

/*
 * Parse the 'argc' arguments of 'argv' (argv[0] is the program name) into
 * *o.  Options are long, "--name value" or "--name=value"; -h is --help.
 * --help stops parsing and succeeds.  Otherwise exactly one selector
 * (--installation-id, --entity-id, --entity-name, --job-id, --operations,
 * --operation) is required; --status and --type go with --operations
 * only, and --at, --event, --dedupe, --all and --verbose with the trace
 * selectors only; ids are positive decimal integers, the login one that
 * login_is_valid() accepts (the server's rule), --limit 1..5000, and no
 * option may be given twice.  Returns 0, or -1 with a one-line message in
 * 'err'.  Pointers into argv are retained.
 */
int cli_parse(int argc, char *const argv[], struct cli_options *o, char *err,
    size_t errlen);

/*
 * Append 's' to 'b' percent-encoded: every byte but the RFC 3986
 * unreserved characters (letters, digits, '-', '.', '_', '~') becomes
 * %XX.  Returns 0 or -1 (out of memory).
 */
int cli_url_encode(struct buf *b, const char *s);

/*
 * Write into 'b' (emptied first) the URL of the list route for 'o' under
 * 'base' (trailing slashes ignored): /trace/entity/{entity_id} for
 * --entity-id and --entity-name, /trace/installation/{id} and
 * /trace/job/{id} otherwise, with the query parameters of 'o' (since,
 * until, event, at, limit, dedupe) and 'cursor' when not NULL, each
 * encoded with cli_url_encode().  Returns 0 or -1 (out of memory).
 */
int cli_trace_url(struct buf *b, const char *base, const struct cli_options *o,
    int64_t entity_id, const char *cursor);

/*
 * Write into 'b' (emptied first) the URL of the operations route for 'o'
 * under 'base': /operations/{id} for --operation, else /operations with
 * status, type, since, until and limit of 'o', encoded.  Returns 0 or -1.
 */
int cli_ops_url(struct buf *b, const char *base, const struct cli_options *o);

/* Write into 'b' (emptied first) base/trace/payload/{id}.  Returns 0/-1. */
int cli_payload_url(struct buf *b, const char *base, int64_t id);

/*
 * Put the URL of GET /trace/failing for --failing into 'b' (reset
 * first): 'base', then cause, since and limit.  Returns 0 or -1.
 */
int cli_failing_url(struct buf *b, const char *base,
    const struct cli_options *o);

/*
 * Write into 'b' (emptied first) api/{kind}/{login}, 'kind' being "users"
 * or "orgs".  Returns 0 or -1.
 */
int cli_github_url(struct buf *b, const char *api, const char *kind,
    const char *login);

/* --all follows at most this many pages. */
#define CLI_MAX_PAGES 1000000

/*
 * The cursors --all has followed, so that a server that hands one out
 * again (a loop) is caught.  Initialise with cli_cursors_init(), release
 * with cli_cursors_release().
 */
struct cli_cursors {
	int64_t *v; /* open addressing; 0 is a free slot */
	size_t n;
	size_t cap;
};

void cli_cursors_init(struct cli_cursors *c);

/* Free what 'c' holds (NULL accepted). */
void cli_cursors_release(struct cli_cursors *c);

/*
 * Add the positive cursor 'v' to 'c'.  Returns 0 when it is new, 1 when
 * it was there already or CLI_MAX_PAGES are, -1 when 'v' is not positive
 * or memory ran out.  Cursors need not grow: ids do not follow
 * received_at.
 */
int cli_cursors_add(struct cli_cursors *c, int64_t v);

/*
 * The exit status for an HTTP 'status' from instlog or GitHub: CLI_OK
 * for 200, CLI_USAGE for 400, CLI_AUTH for 401 and 403, CLI_NOTFOUND for
 * 404, CLI_SERVER for anything else.
 */
enum cli_status cli_status_from_http(long status);

/*
 * Run instlog-trace with options 'o' (parsed by cli_parse(), not --help):
 * read the environment (INSTLOG_URL, TRACE_API_SECRET or
 * TRACE_API_SECRET_FILE, GITHUB_API_URL, GITHUB_TOKEN or GITHUB_TOKEN_FILE),
 * resolve --entity-name through GitHub, fetch the timeline
 * (every page with --all), and write to 'out' the server's JSON or the
 * table, state and diagnosis, with colour when 'color' is true.  Errors
 * are one line each on stderr.  Nothing is retained.  Returns the exit
 * status.
 */
enum cli_status cli_run(const struct cli_options *o, FILE *out, bool color);

#endif
