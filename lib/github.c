/* SPDX-License-Identifier: MIT */
/* GitHub App authentication (RS256 JWT) and a libcurl REST API client. */
#include "github.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "json.h"
#include "log.h"

_Static_assert(GITHUB_ERROR_SIZE == CURL_ERROR_SIZE,
    "github_response.error must be CURL_ERROR_SIZE bytes");

/* A PEM key file larger than this is not a key. */
#define KEY_FILE_MAX (64 * 1024)

/* Smallest RSA modulus accepted for signing, in bits. */
#define KEY_MIN_BITS 2048

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
github_base64url_encode(const void *p, size_t len, struct buf *out)
{
	const unsigned char *s = p;
	char chunk[256];
	size_t i = 0, n = 0;
	uint32_t v;

	for (; i + 3 <= len; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		chunk[n++] = b64url_alphabet[(v >> 18) & 63];
		chunk[n++] = b64url_alphabet[(v >> 12) & 63];
		chunk[n++] = b64url_alphabet[(v >> 6) & 63];
		chunk[n++] = b64url_alphabet[v & 63];
		if (n + 4 > sizeof(chunk)) {
			if (buf_append(out, chunk, n) == -1)
				return -1;
			n = 0;
		}
	}
	if (len - i == 1) {
		v = (uint32_t)s[i] << 16;
		chunk[n++] = b64url_alphabet[(v >> 18) & 63];
		chunk[n++] = b64url_alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		chunk[n++] = b64url_alphabet[(v >> 18) & 63];
		chunk[n++] = b64url_alphabet[(v >> 12) & 63];
		chunk[n++] = b64url_alphabet[(v >> 6) & 63];
	}
	return buf_append(out, chunk, n);
}

/* The 6-bit value of base64url digit 'c', or -1. */
static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
github_base64url_decode(const char *s, size_t len, struct buf *out)
{
	unsigned char bytes[3];
	uint32_t v;
	size_t i = 0, rem = len % 4;
	int d[4];

	if (rem == 1)
		return -1;
	for (; i < len; i += 4) {
		size_t group = len - i < 4 ? len - i : 4;

		v = 0;
		for (size_t k = 0; k < 4; k++) {
			d[k] = k < group ? b64url_value(s[i + k]) : 0;
			if (d[k] == -1)
				return -1;
			v = v << 6 | (uint32_t)d[k];
		}
		bytes[0] = (unsigned char)(v >> 16);
		bytes[1] = (unsigned char)(v >> 8);
		bytes[2] = (unsigned char)v;
		/* Unused low bits of a short final group must be zero. */
		if ((group == 2 && (v & 0xffff) != 0) ||
		    (group == 3 && (v & 0xff) != 0))
			return -1;
		if (buf_append(out, bytes, group - 1) == -1)
			return -1;
	}
	return 0;
}

struct github_app {
	int64_t		 id;
	EVP_PKEY	*pkey;
};

/*
 * Make an app of 'pkey' (a reference is taken) after checking it is an
 * RSA key of KEY_MIN_BITS or more.  'file' names the key in the one line
 * logged on refusal, or is NULL for a key from memory.
 */
static struct github_app *
app_make(int64_t id, EVP_PKEY *pkey, const char *file)
{
	struct github_app *app;
	char what[256];

	if (file != NULL)
		(void)snprintf(what, sizeof(what), "private key '%s'", file);
	else
		(void)snprintf(what, sizeof(what),
		    "app '%" PRId64 "': private key", id);
	if (!EVP_PKEY_is_a(pkey, "RSA")) {
		log_warnx("github: %s: not an RSA key", what);
		return NULL;
	}
	if (EVP_PKEY_get_bits(pkey) < KEY_MIN_BITS) {
		log_warnx("github: %s: RSA key of %d bits, fewer than %d", what,
		    EVP_PKEY_get_bits(pkey), KEY_MIN_BITS);
		return NULL;
	}
	if ((app = calloc(1, sizeof(*app))) == NULL ||
	    EVP_PKEY_up_ref(pkey) != 1) {
		log_warnx("github: %s: out of memory", what);
		free(app);
		return NULL;
	}
	app->id = id;
	app->pkey = pkey;
	return app;
}

struct github_app *
github_app_new(int64_t id, EVP_PKEY *pkey)
{
	return app_make(id, pkey, NULL);
}

/* Refuse to prompt for a passphrase: an encrypted key is a config error. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

struct github_app *
github_app_load(int64_t id, const char *key_file)
{
	struct github_app *app = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	FILE *f = NULL;
	char *text = NULL;
	size_t len = 0, n;

	if ((f = fopen(key_file, "r")) == NULL) {
		log_warnx("github: private key '%s': cannot read: %s", key_file,
		    strerror(errno));
		goto out;
	}
	if ((text = malloc(KEY_FILE_MAX)) == NULL) {
		log_warnx("github: private key '%s': out of memory", key_file);
		goto out;
	}
	while ((n = fread(text + len, 1, KEY_FILE_MAX - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		log_warnx("github: private key '%s': read error", key_file);
		goto out;
	}
	if (len == KEY_FILE_MAX) {
		log_warnx("github: private key '%s': larger than %d bytes",
		    key_file, KEY_FILE_MAX);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL)
		goto out;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (pkey == NULL) {
		log_warnx("github: private key '%s': not an unencrypted PEM "
		          "private key",
		    key_file);
		goto out;
	}
	app = app_make(id, pkey, key_file);
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	if (text != NULL) {
		OPENSSL_cleanse(text, KEY_FILE_MAX);
		free(text);
	}
	if (f != NULL)
		(void)fclose(f);
	return app;
}

void
github_app_free(struct github_app *app)
{
	if (app == NULL)
		return;
	EVP_PKEY_free(app->pkey);
	free(app);
}

int64_t
github_app_id(const struct github_app *app)
{
	return app->id;
}

int
github_jwt_sign(const struct github_app *app, time_t now, char **out)
{
	static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	char claims[128];
	struct buf jwt;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int n, rc = -1;

	*out = NULL;
	buf_init(&jwt);
	n = snprintf(claims, sizeof(claims),
	    "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%" PRId64 "\"}",
	    (long long)now - GITHUB_JWT_BACKDATE,
	    (long long)now + GITHUB_JWT_LIFETIME, app->id);
	if (n < 0 || (size_t)n >= sizeof(claims))
		goto out;
	if (github_base64url_encode(header, sizeof(header) - 1, &jwt) == -1 ||
	    buf_puts(&jwt, ".") == -1 ||
	    github_base64url_encode(claims, (size_t)n, &jwt) == -1)
		goto out;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, app->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)jwt.buf,
	        jwt.len) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)jwt.buf,
	        jwt.len) != 1) {
		log_warnx("%s: app '%" PRId64 "': signing failed", __func__,
		    app->id);
		goto out;
	}
	if (buf_puts(&jwt, ".") == -1 ||
	    github_base64url_encode(sig, siglen, &jwt) == -1)
		goto out;
	*out = jwt.buf;
	jwt.buf = NULL;
	rc = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	free(sig);
	if (jwt.buf != NULL)
		OPENSSL_cleanse(jwt.buf, jwt.cap);
	buf_release(&jwt);
	return rc;
}

void
github_jwt_free(char *jwt)
{
	if (jwt == NULL)
		return;
	OPENSSL_cleanse(jwt, strlen(jwt));
	free(jwt);
}

struct github_client {
	char	*base_url;
	char	*user_agent;
	bool	 allow_http;
	bool	 curl_ready;	/* curl_global_init() succeeded */
	long	 connect_ms;
	long	 total_ms;
	size_t	 max_response;
	CURLM	*multi;
};

/* True for "http://127.0.0.1" alone or followed by ':' or '/'. */
static bool
is_loopback_http(const char *url)
{
	const char *rest;

	if (!has_prefix(url, "http://127.0.0.1"))
		return false;
	rest = url + strlen("http://127.0.0.1");
	return *rest == '\0' || *rest == ':' || *rest == '/';
}

struct github_client *
github_client_new(const char *api_url, const char *user_agent)
{
	struct github_client *c = NULL;
	size_t n;

	if (!has_prefix(api_url, "https://") && !is_loopback_http(api_url)) {
		log_warnx("github: API URL must be https:// (or "
		          "http://127.0.0.1 for tests): '%s'",
		    api_url);
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->base_url = strdup(api_url)) == NULL ||
	    (c->user_agent = strdup(user_agent)) == NULL) {
		log_warnx("github: out of memory");
		goto out;
	}
	c->allow_http = is_loopback_http(api_url);
	c->connect_ms = GITHUB_CONNECT_TIMEOUT_MS;
	c->total_ms = GITHUB_TOTAL_TIMEOUT_MS;
	c->max_response = GITHUB_MAX_RESPONSE;
	n = strlen(c->base_url);
	while (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	/* Reference counted and thread-safe since libcurl 7.84. */
	c->curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!c->curl_ready || (c->multi = curl_multi_init()) == NULL) {
		log_warnx("github: libcurl initialisation failed");
		goto out;
	}
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
	if (c->multi != NULL)
		(void)curl_multi_cleanup(c->multi);
	if (c->curl_ready)
		curl_global_cleanup();
	free(c->base_url);
	free(c->user_agent);
	free(c);
}

void
github_client_set_limits(struct github_client *c, long connect_ms,
    long total_ms, size_t max_response)
{
	if (connect_ms > 0)
		c->connect_ms = connect_ms;
	if (total_ms > 0)
		c->total_ms = total_ms;
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

/* Wipe and free the body of 'r'. */
static void
body_wipe(struct buf *b)
{
	if (b->buf != NULL)
		OPENSSL_cleanse(b->buf, b->cap);
	buf_release(b);
}

void
github_response_release(struct github_response *r)
{
	if (r == NULL)
		return;
	body_wipe(&r->body);
	free(r->message);
	r->message = NULL;
	free(r->link_next);
	r->link_next = NULL;
	r->status = 0;
	r->error[0] = '\0';
}

/* One running request: an easy handle slot of the multi driver. */
struct transfer {
	struct github_client	*client;
	struct github_call	*call;
	CURL			*easy;
	struct curl_slist	*headers;
	bool			 too_large;
	struct buf		 link;	   /* the Link header value(s) */
	bool			 link_bad; /* too long, or out of memory */
};

/*
 * Append 'n' bytes of 'p' to 'b' within 'cap' bytes.  Grows by copying
 * and wiping, never realloc(), so no stray copy of a token is left in
 * freed memory.  Returns 0, or -1 when over 'cap' or out of memory.
 */
static int
body_append(struct buf *b, const char *p, size_t n, size_t cap)
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

	if (body_append(&t->call->resp.body, p, n, t->client->max_response) ==
	    -1) {
		t->too_large = true;
		return 0;
	}
	return n;
}

/*
 * libcurl header callback: keep the value of every Link header of the
 * final response, joined by ", " (one list, RFC 9110 §5.3), within
 * GITHUB_MAX_LINK bytes.
 */
static size_t
transfer_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nitems, vlen;
	const char *v;

	/* A status line starts a response: forget an interim one's. */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		buf_reset(&t->link);
		t->link_bad = false;
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
	if (t->link.len + vlen + 2 > GITHUB_MAX_LINK ||
	    (t->link.len > 0 && buf_puts(&t->link, ", ") == -1) ||
	    buf_append(&t->link, v, vlen) == -1)
		t->link_bad = true;
	return n;
}

/* Wipe and free a header list: one of its lines carries the JWT. */
static void
headers_free(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p != NULL; p = p->next)
		if (p->data != NULL)
			OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/* Append "name: value" to *h.  Returns 0 or -1. */
static int
header_add(struct curl_slist **h, const char *name, const char *value)
{
	struct buf line;
	struct curl_slist *n;

	buf_init(&line);
	if (buf_puts(&line, name) == -1 || buf_puts(&line, value) == -1) {
		body_wipe(&line);
		return -1;
	}
	n = curl_slist_append(*h, line.buf);
	body_wipe(&line);
	if (n == NULL)
		return -1;
	*h = n;
	return 0;
}

/*
 * Configure the slot 't' (its easy handle reset) for 'call' and add it
 * to the multi handle.  Returns 0, or -1 with call->resp.error set.
 */
static int
transfer_start(struct transfer *t, struct github_call *call)
{
	struct github_client *c = t->client;
	const char *protocols = c->allow_http ? "http,https" : "https";
	struct buf url;
	CURL *e = t->easy;
	int rc = -1;

	memset(&call->resp, 0, sizeof(call->resp));
	buf_init(&call->resp.body);
	t->call = call;
	t->too_large = false;
	t->headers = NULL;
	buf_reset(&t->link);
	t->link_bad = false;
	buf_init(&url);
	curl_easy_reset(e);
	if (buf_puts(&url, c->base_url) == -1 ||
	    buf_puts(&url, call->path) == -1 ||
	    header_add(&t->headers,
	        "Accept: ", "application/vnd.github+json") == -1 ||
	    header_add(&t->headers, "X-GitHub-Api-Version: ", "2022-11-28") ==
	        -1 ||
	    header_add(&t->headers, "User-Agent: ", c->user_agent) == -1 ||
	    header_add(&t->headers, "Content-Type: ",
	        call->body != NULL ? "application/json" : "") == -1 ||
	    header_add(&t->headers, "Expect: ", "") == -1 ||
	    (call->jwt != NULL &&
	        header_add(&t->headers, "Authorization: Bearer ", call->jwt) ==
	            -1))
		goto out;
	if (curl_easy_setopt(e, CURLOPT_URL, url.buf) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->total_ms) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, transfer_write) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, transfer_header) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, call->resp.error) !=
	        CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, t) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L) != CURLE_OK)
		goto out;
	if (strcmp(call->method, "GET") != 0) {
		const char *body = call->body != NULL ? call->body : "";

		if (curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE,
		        (long)strlen(body)) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body) !=
		        CURLE_OK ||
		    (strcmp(call->method, "POST") != 0 &&
		        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
		            call->method) != CURLE_OK))
			goto out;
	}
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		goto out;
	rc = 0;
out:
	buf_release(&url);
	if (rc == -1) {
		headers_free(t->headers);
		t->headers = NULL;
		t->call = NULL;
		(void)snprintf(call->resp.error, sizeof(call->resp.error),
		    "cannot set up the request");
	}
	return rc;
}

/* Fill the response of the finished transfer 't' and free the slot. */
static void
transfer_finish(struct transfer *t, CURLcode res)
{
	struct github_response *r = &t->call->resp;
	cJSON *root;
	const char *msg;

	(void)curl_multi_remove_handle(t->client->multi, t->easy);
	if (res != CURLE_OK) {
		r->status = 0;
		if (t->too_large)
			(void)snprintf(r->error, sizeof(r->error),
			    "response larger than %zu bytes",
			    t->client->max_response);
		else if (r->error[0] == '\0')
			(void)snprintf(r->error, sizeof(r->error), "%s",
			    curl_easy_strerror(res));
	} else if (curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE,
	               &r->status) != CURLE_OK ||
	    r->status == 0) {
		r->status = 0;
		(void)snprintf(r->error, sizeof(r->error), "no HTTP status");
	} else if (r->status >= 200 && r->status < 300 &&
	    (t->link_bad ||
	        (t->link.len > 0 &&
	            github_link_next(t->link.buf, t->link.len, &r->link_next) ==
	                -1))) {
		r->status = 0;
		(void)snprintf(r->error, sizeof(r->error),
		    "malformed or oversized Link header");
	} else if (r->status >= 300 && r->body.len > 0) {
		/*
		 * Only error bodies are parsed: a 2xx body may carry a token
		 * that cJSON would copy into memory we cannot wipe.
		 */
		root = json_parse(r->body.buf, r->body.len);
		if ((msg = json_string(root, "message")) != NULL)
			r->message = strdup(msg);
		cJSON_Delete(root);
	}
	if (r->status == 0 ||
	    !(t->call->want_body ||
	        (t->call->want_error_body &&
	            (r->status < 200 || r->status > 299))))
		body_wipe(&r->body);
	headers_free(t->headers);
	t->headers = NULL;
	t->call = NULL;
}

int
github_multi_run(struct github_client *c, struct github_call *calls, size_t n,
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

	/* Calls the driver never reaches still get a well-formed resp. */
	for (size_t i = 0; i < n; i++) {
		memset(&calls[i].resp, 0, sizeof(calls[i].resp));
		buf_init(&calls[i].resp.body);
		(void)snprintf(calls[i].resp.error, sizeof(calls[i].resp.error),
		    "request not started");
	}
	if (n == 0)
		return 0;
	nslots = parallel == 0 ? 1 : parallel < n ? parallel : n;
	if ((slots = calloc(nslots, sizeof(*slots))) == NULL)
		goto out;
	for (size_t i = 0; i < nslots; i++) {
		slots[i].client = c;
		if ((slots[i].easy = curl_easy_init()) == NULL)
			goto out;
	}
	while (next < n || active > 0) {
		for (size_t i = 0; i < nslots && next < n; i++) {
			if (slots[i].call != NULL)
				continue;
			if (transfer_start(&slots[i], &calls[next]) == 0)
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
			    t->call == NULL)
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
	for (size_t i = 0; slots != NULL && i < nslots; i++) {
		if (slots[i].call != NULL)
			transfer_finish(&slots[i], CURLE_ABORTED_BY_CALLBACK);
		curl_easy_cleanup(slots[i].easy);
		buf_release(&slots[i].link);
	}
	free(slots);
	return rc;
}

int
github_call_run(struct github_client *c, struct github_call *call)
{
	return github_multi_run(c, call, 1, 1);
}
