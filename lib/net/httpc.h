/* SPDX-License-Identifier: MIT */
/*
 * The one HTTP client, over libcurl: URLs checked with curl_url(), plain
 * http only to loopback and never through a proxy, no redirects,
 * timeouts, capped and wiped replies, requests run in parallel.
 */
#ifndef INSTLOG_HTTPC_H
#define INSTLOG_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

/* Milliseconds allowed to connect. */
#define HTTPC_CONNECT_TIMEOUT_MS 5000
/* Bytes of an error message; libcurl's CURL_ERROR_SIZE. */
#define HTTPC_ERROR_SIZE 256
/* Link response headers longer than this, together, are refused. */
#define HTTPC_MAX_LINK 8192

/* What httpc_url_check() refuses besides. */
enum httpc_url_flags {
	HTTPC_URL_BASE = 1 << 0, /* a base URL: no query, no fragment */
};

/*
 * Check 'url' as parsed by curl_url(): http:// or https://, a host, an
 * optional port and path, no user info (so that "http://127.0.0.1:1@host"
 * is refused, not read as a loopback URL), no control, space or
 * non-ASCII byte, and with HTTPC_URL_BASE no query or fragment.  Plain
 * http is accepted only to a loopback host (localhost, 127.0.0.0/8,
 * [::1]), so that no token crosses a network in clear.  Returns 0, or -1
 * with a one-line message in 'err'.
 */
int httpc_url_check(const char *url, unsigned flags, char *err, size_t errlen);

/* How a request ended; HTTPC_OK means an HTTP answer came. */
enum httpc_result {
	HTTPC_OK = 0,
	HTTPC_NETWORK,   /* cannot resolve or connect, timeout, TLS, reset */
	HTTPC_TOO_LARGE, /* the body passed the cap */
	HTTPC_ERROR,     /* bad URL, out of memory, any other failure */
};

/*
 * One request.  The caller fills the input fields (borrowed until
 * httpc_run() returns); httpc_run() fills the rest, which the caller
 * releases with httpc_request_release().
 */
struct httpc_request {
	const char *method;         /* "GET" (or NULL), "POST", "PATCH" */
	const char *url;            /* checked with httpc_url_check() */
	const char *const *headers; /* "Name: value", wiped after use */
	size_t nheaders;
	const char *body; /* request body, or NULL */
	size_t max;       /* most bytes of reply body kept */
	/*
	 * Streamed (a Server-Sent Events GET): the body of a 200 goes to
	 * on_data piece by piece as it comes, not into 'reply' (which keeps
	 * another status's body); return 0 to go on, -1 to stop (result
	 * HTTPC_ERROR, error "stopped").  No total timeout: the transfer
	 * fails (HTTPC_NETWORK) after 'idle_ms' without a byte.  NULL: a
	 * plain request.
	 */
	int (*on_data)(const char *p, size_t n, void *arg);
	void *on_data_arg;
	long idle_ms;

	enum httpc_result result;
	long status;                  /* the HTTP status when HTTPC_OK */
	struct buf reply;             /* the body, NUL-terminated */
	struct buf link;              /* the Link header values, ", " */
	bool link_bad;                /* over HTTPC_MAX_LINK, or no memory */
	char error[HTTPC_ERROR_SIZE]; /* why, unless HTTPC_OK */
};

/* Wipe and free what httpc_run() put in 'r' (NULL accepted). */
void httpc_request_release(struct httpc_request *r);

/*
 * A client: libcurl's multi handle, whose connection cache serves every
 * request, the User-Agent and the timeout.  Initialise with httpc_init(),
 * release with httpc_release().
 */
struct httpc {
	void *multi;     /* CURLM *, opaque so callers need no curl.h */
	bool curl_ready; /* curl_global_init() succeeded */
	char *user_agent;
	long total_ms;
};

/*
 * Make a client sending 'user_agent' (copied), allowing each request
 * 'total_ms' milliseconds.  Returns 0, or -1 (logged); either way the
 * caller calls httpc_release().
 */
int httpc_init(struct httpc *c, const char *user_agent, long total_ms);

/* Free what 'c' holds and close its connections (NULL accepted). */
void httpc_release(struct httpc *c);

/*
 * Run the 'n' requests of 'reqs', at most 'parallel' at a time, without
 * following redirects.  Plain http requests (to loopback only) never use
 * a proxy, whatever http_proxy says; https ones follow the environment.
 * Fills each request's results, the Link headers of the final response
 * included (link_bad set when they pass HTTPC_MAX_LINK bytes).  Returns 0 when
 * every request ran (each may still have failed: see 'result'), or -1 (logged)
 * when the driver failed; requests it did not run are HTTPC_ERROR.
 */
int httpc_run(struct httpc *c, struct httpc_request *reqs, size_t n,
    size_t parallel);

#endif
