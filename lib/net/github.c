/* SPDX-License-Identifier: MIT */
/* The GitHub REST API client: calls, error messages, Link pagination. */
#include "net/github.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "core/log.h"

struct github_client {
	struct httpc http;
	char *base_url;
	size_t max_response;
};

struct github_client *
github_client_new(const char *api_url, const char *user_agent)
{
	struct github_client *c = NULL;
	char err[256];
	size_t n;

	if (httpc_url_check(api_url, HTTPC_URL_BASE, err, sizeof(err)) == -1) {
		log_warnx("github: the API URL must be https:// (plain http "
		          "only to loopback, for tests): %s",
		    err);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->base_url = strdup(api_url)) == NULL) {
		log_warnx("github: out of memory");
		goto out;
	}
	c->max_response = GITHUB_MAX_RESPONSE;
	n = strlen(c->base_url);
	while (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	if (httpc_init(&c->http, user_agent, GITHUB_TOTAL_TIMEOUT_MS) == -1)
		goto out;
	return c;
out:
	github_client_free(c);
	return NULL;
}

void
github_client_free(struct github_client *c)
{
	if (c == NULL)
		return;
	httpc_release(&c->http);
	free(c->base_url);
	free(c);
}

void
github_client_set_limits(struct github_client *c, long total_ms,
    size_t max_response)
{
	if (total_ms > 0)
		c->http.total_ms = total_ms;
	if (max_response > 0)
		c->max_response = max_response;
}

const char *
github_client_path(const struct github_client *c, const char *url)
{
	size_t n = strlen(c->base_url);

	if (strncmp(url, c->base_url, n) != 0 || url[n] != '/')
		return NULL;
	return url + n;
}

/* Optional whitespace of HTTP (RFC 9110 OWS). */
static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* A character of an HTTP token (RFC 9110 tchar). */
static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * True when the relation types in 'n' bytes of 'p' (space-separated)
 * include "next", compared case-insensitively.
 */
static bool
rel_has_next(const char *p, size_t n)
{
	size_t i = 0, start;

	while (i < n) {
		while (i < n && is_ows(p[i]))
			i++;
		start = i;
		while (i < n && !is_ows(p[i]))
			i++;
		if (i - start == 4 && strncasecmp(p + start, "next", 4) == 0)
			return true;
	}
	return false;
}

/*
 * Read one parameter value at *pp (before 'end'): a token or a quoted
 * string, whose unescaped text is copied into 'out' (of 'size' bytes,
 * truncated) with its length in *outlen.  Advances *pp past it.  Returns
 * 0, or -1 when the value is malformed.
 */
static int
param_value(const char **pp, const char *end, char *out, size_t size,
    size_t *outlen)
{
	const char *p = *pp;
	size_t n = 0;

	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && ++p == end)
				return -1;
			if ((unsigned char)*p < 0x20 && *p != '\t')
				return -1;
			if (n + 1 < size)
				out[n++] = *p;
		}
		if (p == end)
			return -1;
		p++;
	} else {
		for (; p < end && is_tchar(*p); p++)
			if (n + 1 < size)
				out[n++] = *p;
		if (p == *pp)
			return -1;
	}
	out[n] = '\0';
	*outlen = n;
	*pp = p;
	return 0;
}

int
github_link_next(const char *value, size_t len, char **url)
{
	const char *p = value, *end = value + len, *uri, *uri_end, *name;
	char rel[256];
	size_t nlen, rlen;
	bool has_rel, next;

	*url = NULL;
	for (;;) {
		/* Empty list elements are allowed (RFC 9110 §5.6.1). */
		while (p < end && (is_ows(*p) || *p == ','))
			p++;
		if (p == end)
			return 0;
		if (*p++ != '<')
			return -1;
		for (uri = p; p < end && *p != '>'; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
			    *p == '<')
				return -1;
		if (p == end)
			return -1;
		uri_end = p++;
		has_rel = next = false;
		for (;;) {
			while (p < end && is_ows(*p))
				p++;
			if (p == end || *p == ',')
				break;
			if (*p++ != ';')
				return -1;
			while (p < end && is_ows(*p))
				p++;
			for (name = p; p < end && is_tchar(*p); p++)
				;
			if ((nlen = (size_t)(p - name)) == 0)
				return -1;
			while (p < end && is_ows(*p))
				p++;
			rlen = 0;
			rel[0] = '\0';
			if (p < end && *p == '=') {
				p++;
				while (p < end && is_ows(*p))
					p++;
				if (param_value(&p, end, rel, sizeof(rel),
				        &rlen) == -1)
					return -1;
			}
			/* Only the first rel counts (RFC 8288 §3.3). */
			if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 &&
			    !has_rel) {
				has_rel = true;
				next = rel_has_next(rel, rlen);
			}
		}
		if (next) {
			if ((*url = strndup(uri, (size_t)(uri_end - uri))) ==
			    NULL)
				return -1;
			return 1;
		}
	}
}

bool
github_is_not_found(const struct github_response *r)
{
	return r->status == 404 && r->is_error_body;
}

void
github_response_release(struct github_response *r)
{
	if (r == NULL)
		return;
	buf_wipe(&r->body);
	free(r->message);
	r->message = NULL;
	free(r->link_next);
	r->link_next = NULL;
	r->status = 0;
	r->is_error_body = false;
	r->error[0] = '\0';
}

/* The request lines of one call; 'auth' holds the JWT and is wiped. */
struct call_req {
	struct buf url;
	struct buf auth;
	const char *headers[5];
};

/* Fill 'q' and the request 'r' for 'call'.  Returns 0 or -1. */
static int
call_prepare(const struct github_client *c, const struct github_call *call,
    struct call_req *q, struct httpc_request *r)
{
	size_t n = 0;

	if (buf_puts(&q->url, c->base_url) == -1 ||
	    buf_puts(&q->url, call->path) == -1 ||
	    (call->jwt != NULL &&
	        (buf_puts(&q->auth, "Authorization: Bearer ") == -1 ||
	            buf_puts(&q->auth, call->jwt) == -1)))
		return -1;
	q->headers[n++] = "Accept: application/vnd.github+json";
	q->headers[n++] = "X-GitHub-Api-Version: 2022-11-28";
	/* An empty value removes what libcurl would add. */
	q->headers[n++] = call->body != NULL ? "Content-Type: application/json"
	                                     : "Content-Type: ";
	q->headers[n++] = "Expect: ";
	if (call->jwt != NULL)
		q->headers[n++] = q->auth.buf;
	r->method = call->method;
	r->url = q->url.buf;
	r->headers = q->headers;
	r->nheaders = n;
	r->body = call->body;
	r->max = c->max_response;
	return 0;
}

/* Turn the finished request 'r' into call->resp. */
static void
call_finish(struct github_call *call, struct httpc_request *r)
{
	struct github_response *resp = &call->resp;
	cJSON *root;
	const char *msg;

	if (r->result != HTTPC_OK) {
		(void)snprintf(resp->error, sizeof(resp->error), "%s",
		    r->error);
		return;
	}
	resp->status = r->status;
	if (r->status >= 200 && r->status < 300 &&
	    (r->link_bad ||
	        (r->link.len > 0 &&
	            github_link_next(r->link.buf, r->link.len,
	                &resp->link_next) == -1))) {
		resp->status = 0;
		(void)snprintf(resp->error, sizeof(resp->error),
		    "malformed or oversized Link header");
		return;
	}
	if (r->status >= 300 && r->reply.len > 0) {
		/*
		 * Only error bodies are parsed: a 2xx body may carry a token
		 * that cJSON would copy into memory we cannot wipe.
		 */
		root = json_parse(r->reply.buf, r->reply.len);
		if ((msg = json_string(root, "message")) != NULL)
			resp->message = strdup(msg);
		resp->is_error_body = cJSON_IsObject(root) && msg != NULL;
		cJSON_Delete(root);
	}
	if (call->want_body || (call->want_error_body && r->status >= 300)) {
		/* Hand the wiped buffer over as it is. */
		resp->body = r->reply;
		buf_init(&r->reply);
	}
}

int
github_multi_run(struct github_client *c, struct github_call *calls, size_t n,
    size_t parallel)
{
	struct httpc_request *reqs = NULL;
	struct call_req *qs = NULL;
	int rc = -1;

	/* Calls never run still get a well-formed resp. */
	for (size_t i = 0; i < n; i++) {
		memset(&calls[i].resp, 0, sizeof(calls[i].resp));
		buf_init(&calls[i].resp.body);
		(void)snprintf(calls[i].resp.error, sizeof(calls[i].resp.error),
		    "request not started");
	}
	if (n == 0)
		return 0;
	if ((reqs = calloc(n, sizeof(*reqs))) == NULL ||
	    (qs = calloc(n, sizeof(*qs))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (call_prepare(c, &calls[i], &qs[i], &reqs[i]) == -1) {
			log_warnx("%s: out of memory", __func__);
			goto out;
		}
	rc = httpc_run(&c->http, reqs, n, parallel);
	for (size_t i = 0; i < n; i++)
		call_finish(&calls[i], &reqs[i]);
out:
	for (size_t i = 0; reqs != NULL && i < n; i++) {
		httpc_request_release(&reqs[i]);
		if (qs != NULL) {
			buf_release(&qs[i].url);
			buf_wipe(&qs[i].auth);
		}
	}
	free(reqs);
	free(qs);
	return rc;
}

int
github_call_run(struct github_client *c, struct github_call *call)
{
	return github_multi_run(c, call, 1, 1);
}
