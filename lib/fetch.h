/* SPDX-License-Identifier: MIT */
/* A small HTTP GET client over libcurl: timeouts, no redirects, size cap. */
#ifndef INSTLOG_FETCH_H
#define INSTLOG_FETCH_H

#include <stddef.h>

#include "str.h"

/* Seconds allowed to connect, and for a whole request. */
#define FETCH_CONNECT_TIMEOUT 5
#define FETCH_TIMEOUT         30

/*
 * One libcurl easy handle, reused across requests (keep-alive).
 * Initialise with fetch_init(), release with fetch_release().
 */
struct fetch {
	void *curl; /* CURL *, kept opaque so callers need no curl.h */
};

/* What went wrong with a request; FETCH_OK means an HTTP answer came. */
enum fetch_status {
	FETCH_OK = 0,
	FETCH_NETWORK,   /* cannot resolve or connect, timeout, TLS, reset */
	FETCH_TOO_LARGE, /* the body passed the cap */
	FETCH_ERROR,     /* out of memory, bad URL, any other libcurl error */
};

/* An HTTP answer.  Release with fetch_reply_release(). */
struct fetch_reply {
	long status;     /* the HTTP status */
	struct buf body; /* the body as received, NUL-terminated */
};

/*
 * Create the handle; curl_global_init() must have been called.  Returns 0
 * or -1.  Either way the caller calls fetch_release().
 */
int fetch_init(struct fetch *f);

/* Free the handle (NULL accepted). */
void fetch_release(struct fetch *f);

/* Initialise an empty reply; allocates nothing. */
void fetch_reply_init(struct fetch_reply *r);

/* Free the body of 'r' (NULL accepted) and make it empty. */
void fetch_reply_release(struct fetch_reply *r);

/*
 * GET 'url' (http or https only, redirects not followed) with the extra
 * request headers 'headers' ("Name: value", 'nheaders' of them, not
 * retained; callers wipe secrets in them afterwards), reading at most
 * 'max' bytes of body.  Fills *reply (emptied first) and returns
 * FETCH_OK whatever the HTTP status; otherwise returns the failure with
 * a one-line reason in 'err' (no URL, no header values).
 */
enum fetch_status fetch_get(struct fetch *f, const char *url,
    const char *const *headers, size_t nheaders, size_t max,
    struct fetch_reply *reply, char *err, size_t errlen);

#endif
