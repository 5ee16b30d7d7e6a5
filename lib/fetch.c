/* SPDX-License-Identifier: MIT */
/* A small HTTP GET client over libcurl: timeouts, no redirects, size cap. */
#include "fetch.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

/* What the write callback fills. */
struct fetch_sink {
	struct buf *body;
	size_t max;
	bool too_large;
	bool oom;
};

int
fetch_init(struct fetch *f)
{
	f->curl = curl_easy_init();
	return f->curl == NULL ? -1 : 0;
}

void
fetch_release(struct fetch *f)
{
	if (f == NULL)
		return;
	if (f->curl != NULL)
		curl_easy_cleanup(f->curl);
	f->curl = NULL;
}

void
fetch_reply_init(struct fetch_reply *r)
{
	r->status = 0;
	buf_init(&r->body);
}

void
fetch_reply_release(struct fetch_reply *r)
{
	if (r == NULL)
		return;
	buf_release(&r->body);
	r->status = 0;
}

/* libcurl write callback: append to the sink, or stop past its cap. */
static size_t
fetch_write(char *p, size_t size, size_t n, void *arg)
{
	struct fetch_sink *s = arg;
	size_t len = size * n;

	if (len > s->max - s->body->len) {
		s->too_large = true;
		return 0;
	}
	if (buf_append(s->body, p, len) == -1) {
		s->oom = true;
		return 0;
	}
	return len;
}

/* Free a header list, wiping each header first: they may hold tokens. */
static void
fetch_slist_wipe(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l != NULL; l = l->next)
		if (l->data != NULL)
			OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

/* Return true when 'rc' means the server could not be reached or talked to. */
static bool
fetch_is_network(CURLcode rc)
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

enum fetch_status
fetch_get(struct fetch *f, const char *url, const char *const *headers,
    size_t nheaders, size_t max, struct fetch_reply *reply, char *err,
    size_t errlen)
{
	CURL *c = f->curl;
	struct curl_slist *list = NULL, *l;
	struct fetch_sink sink;
	char cerr[CURL_ERROR_SIZE];
	CURLcode rc;
	enum fetch_status st = FETCH_ERROR;

	buf_reset(&reply->body);
	reply->status = 0;
	cerr[0] = '\0';
	if (c == NULL) {
		(void)snprintf(err, errlen, "no HTTP client");
		goto out;
	}
	for (size_t i = 0; i < nheaders; i++) {
		if ((l = curl_slist_append(list, headers[i])) == NULL) {
			(void)snprintf(err, errlen, "out of memory");
			goto out;
		}
		list = l;
	}
	sink.body = &reply->body;
	sink.max = max;
	sink.too_large = false;
	sink.oom = false;

	curl_easy_reset(c);
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") !=
	        CURLE_OK ||
#else
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	        (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) != CURLE_OK ||
#endif
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	        (long)FETCH_CONNECT_TIMEOUT) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT) !=
	        CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "instlog-trace/1") !=
	        CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write) !=
	        CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr) != CURLE_OK) {
		(void)snprintf(err, errlen, "cannot set up the HTTP client");
		goto out;
	}
	rc = curl_easy_perform(c);
	if (sink.too_large) {
		(void)snprintf(err, errlen, "reply larger than %zu bytes", max);
		st = FETCH_TOO_LARGE;
	} else if (sink.oom) {
		(void)snprintf(err, errlen, "out of memory");
	} else if (rc != CURLE_OK) {
		(void)snprintf(err, errlen, "%s",
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
		if (fetch_is_network(rc))
			st = FETCH_NETWORK;
	} else if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
	               &reply->status) != CURLE_OK) {
		(void)snprintf(err, errlen, "no HTTP status");
	} else if (buf_append(&reply->body, "", 0) == -1) {
		/* An empty body still gets its NUL. */
		(void)snprintf(err, errlen, "out of memory");
	} else
		st = FETCH_OK;
out:
	if (c != NULL) {
		/* The list and the buffers are ours; do not leave them set. */
		(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
		(void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
		(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, NULL);
	}
	fetch_slist_wipe(list);
	return st;
}
