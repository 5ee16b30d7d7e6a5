/* SPDX-License-Identifier: MIT */
/* GitHub App authentication (RS256 JWT) and a libcurl REST API client. */
#ifndef INSTLOG_GITHUB_H
#define INSTLOG_GITHUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "str.h"

/* JWT validity: issued 60 s in the past (clock drift), expires 9 min on. */
#define GITHUB_JWT_BACKDATE 60
#define GITHUB_JWT_LIFETIME 540

/* Client defaults. */
#define GITHUB_CONNECT_TIMEOUT_MS 5000
#define GITHUB_TOTAL_TIMEOUT_MS   20000
#define GITHUB_MAX_RESPONSE       (64 * 1024)
#define GITHUB_ERROR_SIZE         256 /* == CURL_ERROR_SIZE */

/*
 * Append the base64url encoding (RFC 4648 §5, no padding) of 'len' bytes
 * of 'p' to 'out'.  Returns 0, or -1 when out of memory.
 */
int github_base64url_encode(const void *p, size_t len, struct buf *out);

/*
 * Decode 'len' characters of unpadded base64url text 's' and append the
 * bytes to 'out'.  Strict: padding, characters outside the url alphabet,
 * a dangling sixth bit group or non-zero unused bits are refused.
 * Returns 0, or -1 (nothing logged; 'out' may hold a partial result).
 */
int github_base64url_decode(const char *s, size_t len, struct buf *out);

/* One GitHub App: its id and RSA private key.  Opaque. */
struct github_app;

/*
 * Load the PEM private key (PKCS#1 "RSA PRIVATE KEY", as GitHub hands it
 * out, or PKCS#8) of app 'id' from the file 'key_file'.  The key must be
 * unencrypted RSA of 2048 bits or more.  The file's text is wiped from memory
 * once parsed. Returns an app the caller frees with github_app_free(), or NULL
 * after logging one line that names the file and what is wrong with it.
 */
struct github_app *github_app_load(int64_t id, const char *key_file);

/*
 * Make an app from an RSA key already in memory.  'pkey' is not consumed:
 * the app takes its own reference.  Returns NULL (logged) when 'pkey' is
 * not an RSA key of 2048 bits or more, or when out of memory.  Free with
 * github_app_free().
 */
struct github_app *github_app_new(int64_t id, EVP_PKEY *pkey);

/* Free 'app' and drop its key reference (NULL accepted). */
void github_app_free(struct github_app *app);

/* The app id 'app' was made with. */
int64_t github_app_id(const struct github_app *app);

/*
 * Sign a GitHub App JWT for 'app' at time 'now': header
 * {"alg":"RS256","typ":"JWT"}, claims {"iat":now-60,"exp":now+540,
 * "iss":"<app id>"}, RS256 (RSASSA-PKCS1-v1_5 with SHA-256), each part
 * base64url without padding.  Sets *out to a NUL-terminated token that the
 * caller frees with github_jwt_free().  Returns 0, or -1 (logged).
 */
int github_jwt_sign(const struct github_app *app, time_t now, char **out);

/* Wipe and free a token from github_jwt_sign() (NULL accepted). */
void github_jwt_free(char *jwt);

/*
 * An API client: the base URL, the User-Agent and the libcurl multi handle
 * whose connection cache is reused across calls.  Opaque.
 */
struct github_client;

/*
 * Create a client for 'api_url' (e.g. "https://api.github.com", no
 * trailing slash needed), sending 'user_agent' (copied).  Only https://
 * URLs are accepted, and http://127.0.0.1 for tests.  Timeouts and the
 * response cap take the GITHUB_* defaults.  Returns a client the caller
 * frees with github_client_free(), or NULL after logging why.
 */
struct github_client *github_client_new(const char *api_url,
    const char *user_agent);

/* Free 'c' and close its connections (NULL accepted). */
void github_client_free(struct github_client *c);

/* Override the timeouts (milliseconds, > 0) and the response cap. */
void github_client_set_limits(struct github_client *c, long connect_ms,
    long total_ms, size_t max_response);

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

/* A Link response header longer than this is a transport error. */
#define GITHUB_MAX_LINK 8192

/* What came back from one call. */
struct github_response {
	/* The HTTP status; 0 on a transport error. */
	long		 status;
	/* GitHub's "message" member of an error body, or NULL. */
	char		*message;
	/*
	 * The URL of the Link header's rel="next" target on a 2xx answer
	 * (GitHub's pagination), or NULL when there is no next page.  A 2xx
	 * answer whose Link header cannot be parsed is a transport error.
	 */
	char		*link_next;
	/* The body, only when the call's 'want_body' was set. */
	struct buf	 body;
	/* What went wrong when 'status' is 0. */
	char		 error[GITHUB_ERROR_SIZE];
};

/* Release what 'r' holds (NULL accepted), wiping the body first. */
void github_response_release(struct github_response *r);

/*
 * One API call.  The caller fills the input fields (borrowed until the
 * call returns); the client fills 'resp', which the caller releases with
 * github_response_release().
 */
struct github_call {
	const char		*method; /* "GET", "POST", "PATCH", ... */
	const char		*path;	 /* from '/', after the base URL */
	const char		*jwt;	 /* Bearer token, or NULL: none */
	const char		*body;	 /* JSON request body, or NULL */
	bool			 want_body; /* keep the response body */
	/* Keep the body of an answer that is not 2xx (an error's). */
	bool want_error_body;
	struct github_response	 resp;
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
