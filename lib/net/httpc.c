/* SPDX-License-Identifier: MIT */
/*
 * The one HTTP client, over libcurl: URLs checked with curl_url(), plain
 * http only to loopback and never through a proxy, no redirects,
 * timeouts, capped and wiped replies, requests run in parallel.
 */
#include "net/httpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "core/log.h"
#include "core/str.h"

_Static_assert(HTTPC_ERROR_SIZE == CURL_ERROR_SIZE,
    "httpc_request.error must be CURL_ERROR_SIZE bytes");

/* Return true when 'host', as curl_url() gives it, is a loopback host. */
static bool
is_loopback(const char *host)
{
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return true;
	if (strncmp(host, "127.", 4) != 0)
		return false;
	for (const char *p = host + 4; *p != '\0'; p++)
		if (!(*p == '.' || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

/* Return true when part 'what' of 'u' is present. */
static bool
has_part(CURLU *u, CURLUPart what)
{
	char *v = NULL;
	bool has = curl_url_get(u, what, &v, 0) == CURLUE_OK && v != NULL;

	curl_free(v);
	return has;
}

/* Say in 'err' why curl_url() refused 'url' with 'uc'. */
static void
url_error(const char *url, CURLUcode uc, char *err, size_t errlen)
{
	const char *rb;

	switch (uc) {
	case CURLUE_NO_HOST:
	case CURLUE_BAD_IPV6:
		(void)snprintf(err, errlen, "no host in the URL: '%.80s'", url);
		break;
	case CURLUE_BAD_PORT_NUMBER:
		/* "[::1]x": what follows the address is no port. */
		rb = strchr(url, ']');
		(void)snprintf(err, errlen, "bad %s in '%.80s'",
		    rb != NULL && rb[1] != ':' ? "host" : "port", url);
		break;
	default:
		(void)snprintf(err, errlen, "not an http(s) URL: '%.80s'", url);
		break;
	}
}

/*
 * Return true unless 'url' names a port that is empty ("host:") or 0,
 * which curl_url() lets through.
 */
static bool
port_is_valid(CURLU *u, const char *url)
{
	const char *auth = strstr(url, "://");
	char *port = NULL;
	int64_t n = 1;
	size_t len;

	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
	    port != NULL && parse_int64(port, 1, 65535, &n) == -1)
		n = 0;
	curl_free(port);
	if (n == 0 || auth == NULL)
		return false;
	auth += 3;
	len = strcspn(auth, "/?#");
	return len == 0 || auth[len - 1] != ':';
}

/*
 * Parse 'url' into a new handle *out after the checks of
 * httpc_url_check(); sets *tls for https.  Returns 0, or -1 with a
 * message in 'err' (and *out NULL).
 */
static int
url_parse(const char *url, unsigned flags, CURLU **out, bool *tls, char *err,
    size_t errlen)
{
	CURLU *u = NULL;
	CURLUcode uc;
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	*out = NULL;
	for (const char *p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			(void)snprintf(err, errlen,
			    "spaces, control or "
			    "non-ASCII characters in the URL");
			return -1;
		}
	if ((u = curl_url()) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		url_error(url, uc, err, errlen);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		(void)snprintf(err, errlen, "not an http(s) URL: '%.80s'", url);
		goto out;
	}
	if (!port_is_valid(u, url)) {
		(void)snprintf(err, errlen, "bad port in '%.80s'", url);
		goto out;
	}
	*tls = strcmp(scheme, "https") == 0;
	if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) ||
	    has_part(u, CURLUPART_OPTIONS)) {
		(void)snprintf(err, errlen, "no user info allowed in the URL");
		goto out;
	}
	if ((flags & HTTPC_URL_BASE) &&
	    (has_part(u, CURLUPART_QUERY) || has_part(u, CURLUPART_FRAGMENT) ||
	        strpbrk(url, "?#") != NULL)) {
		(void)snprintf(err, errlen,
		    "no query or fragment allowed: '%.80s'", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0') {
		(void)snprintf(err, errlen, "no host in the URL: '%.80s'", url);
		goto out;
	}
	if (!*tls && !is_loopback(host)) {
		(void)snprintf(err, errlen,
		    "plain http is only allowed to a loopback host, so that "
		    "the token stays off the network; use https: '%.80s'",
		    url);
		goto out;
	}
	*out = u;
	u = NULL;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

int
httpc_url_check(const char *url, unsigned flags, char *err, size_t errlen)
{
	CURLU *u;
	bool tls;

	if (url_parse(url, flags, &u, &tls, err, errlen) == -1)
		return -1;
	curl_url_cleanup(u);
	return 0;
}

void
httpc_request_release(struct httpc_request *r)
{
	if (r == NULL)
		return;
	buf_wipe(&r->reply);
	buf_wipe(&r->link);
	r->status = 0;
	r->error[0] = '\0';
}

int
httpc_init(struct httpc *c, const char *user_agent, long total_ms)
{
	memset(c, 0, sizeof(*c));
	c->total_ms = total_ms;
	if ((c->user_agent = strdup(user_agent)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	/* Reference counted and thread-safe since libcurl 7.84. */
	c->curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!c->curl_ready || (c->multi = curl_multi_init()) == NULL) {
		log_warnx("%s: libcurl initialisation failed", __func__);
		return -1;
	}
	return 0;
}

void
httpc_release(struct httpc *c)
{
	if (c == NULL)
		return;
	if (c->multi != NULL)
		(void)curl_multi_cleanup(c->multi);
	if (c->curl_ready)
		curl_global_cleanup();
	free(c->user_agent);
	memset(c, 0, sizeof(*c));
}

/* One running request: an easy handle slot of the multi driver. */
struct transfer {
	struct httpc *client;
	struct httpc_request *req;
	CURL *easy;
	CURLU *url;
	struct curl_slist *headers;
	bool too_large;
	bool stopped; /* on_data said stop */
};

/*
 * Append 'n' bytes of 'p' to 'b' within 'cap' bytes.  Grows by copying
 * and wiping, never realloc(), so no stray copy of a token is left in
 * freed memory.  Returns 0, or -1 when over 'cap' or out of memory.
 */
static int
wiped_append(struct buf *b, const char *p, size_t n, size_t cap)
{
	size_t want;
	char *nb;

	if (n > cap || b->len > cap - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		want = b->cap == 0 ? 1024 : b->cap;
		while (want < b->len + n + 1)
			want *= 2;
		if ((nb = malloc(want)) == NULL)
			return -1;
		if (b->buf != NULL) {
			memcpy(nb, b->buf, b->len);
			OPENSSL_cleanse(b->buf, b->cap);
			free(b->buf);
		}
		b->buf = nb;
		b->cap = want;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

/* libcurl write callback: keep the body, refusing more than the cap. */
static size_t
transfer_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb;
	long status = 0;

	if (t->req->on_data != NULL &&
	    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status) ==
	        CURLE_OK &&
	    status == 200) {
		if (t->req->on_data(p, n, t->req->on_data_arg) == 0)
			return n;
		t->stopped = true;
		return 0;
	}
	if (wiped_append(&t->req->reply, p, n, t->req->max) == -1) {
		t->too_large = true;
		return 0;
	}
	return n;
}

/* Optional whitespace of HTTP (RFC 9110 OWS). */
static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * libcurl header callback: keep the value of every Link header of the
 * final response, joined by ", " (one list, RFC 9110 §5.3), within
 * HTTPC_MAX_LINK bytes.
 */
static size_t
transfer_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct transfer *t = arg;
	struct buf *link = &t->req->link;
	size_t n = size * nitems, vlen;
	const char *v;

	/* A status line starts a response: forget an interim one's. */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		buf_reset(link);
		t->req->link_bad = false;
		return n;
	}
	if (n < 5 || strncasecmp(p, "link:", 5) != 0)
		return n;
	v = p + 5;
	vlen = n - 5;
	while (vlen > 0 && is_ows(*v)) {
		v++;
		vlen--;
	}
	while (vlen > 0 &&
	    (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || is_ows(v[vlen - 1])))
		vlen--;
	if ((link->len > 0 &&
	        wiped_append(link, ", ", 2, HTTPC_MAX_LINK) == -1) ||
	    wiped_append(link, v, vlen, HTTPC_MAX_LINK) == -1)
		t->req->link_bad = true;
	return n;
}

/* Wipe and free a header list: its lines may carry tokens. */
static void
headers_free(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p != NULL; p = p->next)
		if (p->data != NULL)
			OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/*
 * Set the options of the slot 't' (its easy handle reset) for its
 * request; plain http gets no proxy at all.  Returns 0 or -1.
 */
static int
transfer_setopt(struct transfer *t, bool tls)
{
	struct httpc_request *r = t->req;
	CURL *e = t->easy;
	const char *body = r->body != NULL ? r->body : "";

	if (curl_easy_setopt(e, CURLOPT_CURLU, t->url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
	        tls ? "https" : "http") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	        (long)HTTPC_CONNECT_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	        r->on_data != NULL ? 0L : t->client->total_ms) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, t->client->user_agent) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, transfer_write) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, transfer_header) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L) != CURLE_OK)
		return -1;
	/*
	 * A token sent in clear must not reach a proxy: "" disables every
	 * proxy, the environment's included, and NOPROXY "*" says it again.
	 */
	/* A stream: idle past idle_ms (a byte a second at least) fails. */
	if (r->on_data != NULL &&
	    (curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
	            r->idle_ms > 1000 ? r->idle_ms / 1000 : 1L) != CURLE_OK))
		return -1;
	if (!tls &&
	    (curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_NOPROXY, "*") != CURLE_OK))
		return -1;
	if (r->method == NULL || strcmp(r->method, "GET") == 0)
		return 0;
	if (curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body) != CURLE_OK ||
	    (strcmp(r->method, "POST") != 0 &&
	        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method) !=
	            CURLE_OK))
		return -1;
	return 0;
}

/*
 * Start request 'r' in the slot 't': check its URL, build the headers,
 * set the options and add the handle to the multi handle.  Returns 0, or
 * -1 with r->result and r->error set.
 */
static int
transfer_start(struct transfer *t, struct httpc_request *r)
{
	struct curl_slist *l;
	bool tls;

	t->req = r;
	t->too_large = false;
	t->stopped = false;
	t->headers = NULL;
	curl_easy_reset(t->easy);
	if (url_parse(r->url, 0, &t->url, &tls, r->error, sizeof(r->error)) ==
	    -1)
		goto fail;
	for (size_t i = 0; i < r->nheaders; i++) {
		if ((l = curl_slist_append(t->headers, r->headers[i])) ==
		    NULL) {
			(void)snprintf(r->error, sizeof(r->error),
			    "out of memory");
			goto fail;
		}
		t->headers = l;
	}
	r->error[0] = '\0';
	if (transfer_setopt(t, tls) == -1 ||
	    curl_multi_add_handle(t->client->multi, t->easy) != CURLM_OK) {
		(void)snprintf(r->error, sizeof(r->error),
		    "cannot set up the request");
		goto fail;
	}
	return 0;
fail:
	r->result = HTTPC_ERROR;
	headers_free(t->headers);
	t->headers = NULL;
	curl_url_cleanup(t->url);
	t->url = NULL;
	t->req = NULL;
	return -1;
}

/* Return true when 'rc' means the server could not be reached or talked to. */
static bool
is_network(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_WEIRD_SERVER_REPLY:
		return true;
	default:
		return false;
	}
}

/* Fill the results of the finished transfer 't' and free the slot. */
static void
transfer_finish(struct transfer *t, CURLcode res)
{
	struct httpc_request *r = t->req;

	(void)curl_multi_remove_handle(t->client->multi, t->easy);
	r->result = HTTPC_ERROR;
	if (t->too_large) {
		r->result = HTTPC_TOO_LARGE;
		(void)snprintf(r->error, sizeof(r->error),
		    "response larger than %zu bytes", r->max);
	} else if (t->stopped) {
		(void)snprintf(r->error, sizeof(r->error), "stopped");
	} else if (res != CURLE_OK) {
		if (r->error[0] == '\0')
			(void)snprintf(r->error, sizeof(r->error), "%s",
			    curl_easy_strerror(res));
		if (is_network(res))
			r->result = HTTPC_NETWORK;
	} else if (curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE,
	               &r->status) != CURLE_OK ||
	    r->status == 0)
		(void)snprintf(r->error, sizeof(r->error), "no HTTP status");
	else if (wiped_append(&r->reply, "", 0, r->max) == -1)
		/* An empty body still gets its NUL. */
		(void)snprintf(r->error, sizeof(r->error), "out of memory");
	else
		r->result = HTTPC_OK;
	if (r->result != HTTPC_OK) {
		r->status = 0;
		buf_wipe(&r->reply);
		buf_wipe(&r->link);
	}
	/* The list and the buffers are ours; do not leave them set. */
	(void)curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, NULL);
	(void)curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, NULL);
	headers_free(t->headers);
	t->headers = NULL;
	curl_url_cleanup(t->url);
	t->url = NULL;
	t->req = NULL;
}

int
httpc_run(struct httpc *c, struct httpc_request *reqs, size_t n,
    size_t parallel)
{
	struct transfer *slots = NULL;
	struct CURLMsg *msg;
	struct transfer *t;
	char *priv;
	size_t nslots, next = 0, active = 0;
	CURLMcode mc;
	int still, left, rc = -1;
	bool freed;

	/* Requests the driver never reaches still get their results. */
	for (size_t i = 0; i < n; i++) {
		reqs[i].result = HTTPC_ERROR;
		reqs[i].status = 0;
		reqs[i].link_bad = false;
		buf_init(&reqs[i].reply);
		buf_init(&reqs[i].link);
		(void)snprintf(reqs[i].error, sizeof(reqs[i].error),
		    "request not started");
	}
	if (n == 0)
		return 0;
	nslots = parallel == 0 ? 1 : parallel < n ? parallel : n;
	if (c->multi == NULL ||
	    (slots = calloc(nslots, sizeof(*slots))) == NULL)
		goto out;
	for (size_t i = 0; i < nslots; i++) {
		slots[i].client = c;
		if ((slots[i].easy = curl_easy_init()) == NULL)
			goto out;
	}
	while (next < n || active > 0) {
		for (size_t i = 0; i < nslots && next < n; i++) {
			if (slots[i].req != NULL)
				continue;
			if (transfer_start(&slots[i], &reqs[next]) == 0)
				active++;
			next++;
		}
		freed = false;
		if ((mc = curl_multi_perform(c->multi, &still)) != CURLM_OK) {
			log_warnx("%s: %s", __func__, curl_multi_strerror(mc));
			goto out;
		}
		while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			priv = NULL;
			(void)curl_easy_getinfo(msg->easy_handle,
			    CURLINFO_PRIVATE, &priv);
			if ((t = (struct transfer *)(void *)priv) == NULL ||
			    t->req == NULL)
				abort();
			transfer_finish(t, msg->data.result);
			active--;
			freed = true;
		}
		/* A freed slot with work waiting: start it before waiting. */
		if (freed && next < n)
			continue;
		if (active > 0 &&
		    (mc = curl_multi_poll(c->multi, NULL, 0, 1000, NULL)) !=
		        CURLM_OK) {
			log_warnx("%s: %s", __func__, curl_multi_strerror(mc));
			goto out;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		log_warnx("%s: the request driver failed", __func__);
	for (size_t i = 0; slots != NULL && i < nslots; i++) {
		if (slots[i].req != NULL)
			transfer_finish(&slots[i], CURLE_ABORTED_BY_CALLBACK);
		curl_easy_cleanup(slots[i].easy);
	}
	free(slots);
	return rc;
}
