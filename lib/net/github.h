/* SPDX-License-Identifier: MIT */
/* The GitHub REST API client: calls, error messages, Link pagination. */
#ifndef INSTLOG_GITHUB_H
#define INSTLOG_GITHUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/str.h"
#include "net/httpc.h"

/* Client defaults. */
#define GITHUB_TOTAL_TIMEOUT_MS 20000
#define GITHUB_MAX_RESPONSE     (64 * 1024)
#define GITHUB_ERROR_SIZE       HTTPC_ERROR_SIZE

/*
 * An API client: the base URL and the HTTP client (lib/httpc) whose
 * connection cache is reused across calls.  Opaque.
 */
struct github_client;

/*
 * Create a client for 'api_url' (e.g. "https://api.github.com", no
 * trailing slash needed), sending 'user_agent' (copied).  The URL must
 * pass httpc_url_check() as a base URL: https, or plain http to a
 * loopback host (tests), and no user info.  The timeout and the response
 * cap take the GITHUB_* defaults.  Returns a client the caller
 * frees with github_client_free(), or NULL after logging why.
 */
struct github_client *github_client_new(const char *api_url,
    const char *user_agent);

/* Free 'c' and close its connections (NULL accepted). */
void github_client_free(struct github_client *c);

/* Override the timeout (milliseconds) and the response cap, when > 0. */
void github_client_set_limits(struct github_client *c, long total_ms,
    size_t max_response);

/*
 * The path of 'url' relative to the client's base URL: a pointer into
 * 'url' at the '/' that follows the base URL, for github_call.path.
 * Returns NULL when 'url' is not under the base URL, so that a Link
 * header never sends the JWT to another host.
 */
const char *github_client_path(const struct github_client *c, const char *url);

/*
 * Find the target of the link whose relation types include "next"
 * (case-insensitive) in 'len' bytes of 'value', the value of an HTTP Link
 * header (RFC 8288): '<' URI-reference '>' followed by ';' parameters,
 * links separated by ','; rel may be quoted and list several types.
 * Returns 1 and sets *url to a copy the caller frees, 0 when no link is
 * "next" (*url NULL), or -1 when 'value' is malformed or memory ran out.
 */
int github_link_next(const char *value, size_t len, char **url);

/* What came back from one call. */
struct github_response {
	/* The HTTP status; 0 on a transport error. */
	long status;
	/* GitHub's "message" member of an error body, or NULL. */
	char *message;
	/*
	 * The error body is GitHub's JSON error document: an object with a
	 * "message" string ({"message":"Not Found","documentation_url":..}),
	 * not, say, a proxy's HTML page.
	 */
	bool is_error_body;
	/*
	 * The URL of the Link header's rel="next" target on a 2xx answer
	 * (GitHub's pagination), or NULL when there is no next page.  A 2xx
	 * answer whose Link header cannot be parsed, or passes HTTPC_MAX_LINK
	 * bytes, is a transport error.
	 */
	char *link_next;
	/* The body, only when the call's 'want_body' was set. */
	struct buf body;
	/* What went wrong when 'status' is 0. */
	char error[GITHUB_ERROR_SIZE];
};

/*
 * Return true when 'r' is GitHub's own "not found": a 404 whose body is
 * GitHub's JSON error document.  A 404 from anything else on the way (a
 * wrong GITHUB_API_URL, a proxy's HTML page) is not.
 */
bool github_is_not_found(const struct github_response *r);

/* Release what 'r' holds (NULL accepted), wiping the body first. */
void github_response_release(struct github_response *r);

/*
 * One API call.  The caller fills the input fields (borrowed until the
 * call returns); the client fills 'resp', which the caller releases with
 * github_response_release().
 */
struct github_call {
	const char *method; /* "GET", "POST", "PATCH", ... */
	const char *path;   /* from '/', after the base URL */
	const char *jwt;    /* Bearer token, or NULL: none */
	const char *body;   /* JSON request body, or NULL */
	bool want_body;     /* keep the response body */
	/* Keep the body of an answer that is not 2xx (an error's). */
	bool want_error_body;
	struct github_response resp;
};

/*
 * Run the 'n' calls of 'calls', at most 'parallel' at a time (HTTP/2
 * streams or connections), and fill each call's 'resp'.  A response body
 * is parsed only for its "message" and then wiped unless 'want_body' is
 * set: a 201 from access_tokens carries a token that must not linger.
 * Bodies over the cap and timeouts are transport errors.  Returns 0 when
 * every call ran (each may still have failed: see resp.status), or -1
 * (logged) when the driver itself failed.
 */
int github_multi_run(struct github_client *c, struct github_call *calls,
    size_t n, size_t parallel);

/* Run one call; github_multi_run() with n = 1. */
int github_call_run(struct github_client *c, struct github_call *call);

#endif
