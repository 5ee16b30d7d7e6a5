/* SPDX-License-Identifier: MIT */
/*
 * fake_github: a test stand-in for POST /app/installations/{id}/
 * access_tokens that really verifies the App JWT (RS256, iat, exp, iss)
 * against the apps' public keys and answers per installation; and, with
 * --deliveries, for GET /app/hook/deliveries (cursor paging, Link
 * header) and POST /app/hook/deliveries/{id}/attempts.  A test tool, not
 * production code: one thread per connection, HTTP/1.1 with keep-alive,
 * 127.0.0.1 only.
 *
 * usage: fake_github [--port N] [--log FILE] [--latency-ms N]
 *            --app ID:PUBLIC_KEY.pem ... [--answer INSTALLATION:STATUS] ...
 *            [--owner INSTALLATION:APP_ID] ... [--html-404 INSTALLATION] ...
 *            [--app-status STATUS] [--deliveries FILE] [--page-size N]
 *            [--rate-limit INSTALLATION] ...
 *
 * GET /app with a valid JWT answers 200 and the app's id, or --app-status
 * with an HTML page (what a wrong GITHUB_API_URL gets from a web server);
 * its log line is "app=ID GET /app status=N".  --html-404 INSTALLATION
 * answers that installation's access_tokens with 404 and an HTML page,
 * not GitHub's JSON error body.  --rate-limit INSTALLATION answers its
 * access_tokens with 403 and GitHub's secondary rate limit message.
 *
 * Prints "fake_github: listening on 127.0.0.1:PORT" once it accepts
 * (--port 0, the default, picks a free port).  Logs one line per request
 * to FILE or stdout: "app=ID installation=ID status=N", and for the
 * deliveries routes "app=ID METHOD PATH status=N".
 *
 * FILE is a JSON array of delivery items as GitHub lists them, newest
 * first, read again for every request (a test may replace it between
 * runs).  An item with an "app_id" member is listed only to that app's
 * JWT, and served without that member; one without, to every app.  Pages
 * hold per_page items (default 30, at most 100 and --page-size), and a
 * page with more after it carries
 * Link: <http://127.0.0.1:PORT/app/hook/deliveries?per_page=N&cursor=v1_ID>;
 * rel="next", where ID is the last item's id.  POST .../{id}/attempts
 * answers 202 {} for an id the app may list, else 404.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/json.h"
#include "core/jwt.h"
#include "core/str.h"
#include "listen.h"

#define MAX_APPS      8
#define MAX_RULES     4096
#define MAX_HEAD      16384
#define MAX_BODY      (1024 * 1024)
#define IAT_MAX_AGE   120
#define JWT_MAX_LIFE  600
#define ACCESS_TOKENS "/access_tokens"
#define DELIVERIES    "/app/hook/deliveries"
#define LIST_FILE_MAX (64 * 1024 * 1024)

struct fake_app {
	int64_t id;
	EVP_PKEY *pkey;
};

/* INSTALLATION:VALUE pairs of --answer and --owner. */
struct fake_rule {
	int64_t installation_id;
	int64_t value;
};

/* Everything the connection threads read; fixed once listening. */
static struct {
	struct fake_app apps[MAX_APPS];
	size_t napps;
	struct fake_rule answers[MAX_RULES];
	size_t nanswers;
	struct fake_rule owners[MAX_RULES];
	size_t nowners;
	struct fake_rule html[MAX_RULES]; /* --html-404 */
	size_t nhtml;
	struct fake_rule ratelimit[MAX_RULES];
	size_t nratelimit;
	int64_t app_status; /* --app-status, else 200 */
	long latency_ms;
	int logfd;
	const char *deliveries; /* --deliveries FILE, or NULL */
	int64_t page_size;
	int port;
} fake;

/* The value of 'id' in 'rules', or 'dflt'. */
static int64_t
rule_find(const struct fake_rule *rules, size_t n, int64_t id, int64_t dflt)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].installation_id == id)
			return rules[i].value;
	return dflt;
}

/* Parse "A:B" with both halves integers.  Returns 0 or -1. */
static int
parse_pair(const char *s, int64_t *a, int64_t *b)
{
	char left[32];
	const char *colon = strchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(left))
		return -1;
	memcpy(left, s, (size_t)(colon - s));
	left[colon - s] = '\0';
	if (parse_int64(left, 1, INT64_MAX, a) == -1 ||
	    parse_int64(colon + 1, 1, INT64_MAX, b) == -1)
		return -1;
	return 0;
}

/* Load --app ID:PATH.  Returns 0 or -1 (reported). */
static int
app_add(const char *arg)
{
	const char *colon = strchr(arg, ':');
	struct fake_app *a = &fake.apps[fake.napps];
	char idtext[32];
	FILE *f = NULL;
	int rc = -1;

	if (fake.napps == MAX_APPS || colon == NULL ||
	    (size_t)(colon - arg) >= sizeof(idtext)) {
		fprintf(stderr,
		    "fake_github: --app wants ID:PUBLIC_KEY_FILE "
		    "(at most %d): '%s'\n",
		    MAX_APPS, arg);
		goto out;
	}
	memcpy(idtext, arg, (size_t)(colon - arg));
	idtext[colon - arg] = '\0';
	if (parse_int64(idtext, 1, INT64_MAX, &a->id) == -1) {
		fprintf(stderr, "fake_github: --app: bad app id '%s'\n",
		    idtext);
		goto out;
	}
	if ((f = fopen(colon + 1, "r")) == NULL) {
		fprintf(stderr, "fake_github: %s: %s\n", colon + 1,
		    strerror(errno));
		goto out;
	}
	if ((a->pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "fake_github: %s: not a PEM public key\n",
		    colon + 1);
		goto out;
	}
	fake.napps++;
	rc = 0;
out:
	if (f != NULL)
		(void)fclose(f);
	return rc;
}

static const struct fake_app *
app_find(int64_t id)
{
	for (size_t i = 0; i < fake.napps; i++)
		if (fake.apps[i].id == id)
			return &fake.apps[i];
	return NULL;
}

/* Decode base64url part [p, p + len) as a JSON object, or NULL. */
static cJSON *
part_json(const char *p, size_t len)
{
	struct buf dec;
	cJSON *root = NULL;

	buf_init(&dec);
	if (jwt_base64url_decode(p, len, &dec) == 0 && dec.len > 0)
		root = json_parse(dec.buf, dec.len);
	buf_release(&dec);
	if (root != NULL && !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		root = NULL;
	}
	return root;
}

/*
 * Verify the JWT of the Authorization header value 'auth' as GitHub
 * would.  Returns 0 and sets *app_id, or -1 with *why set to GitHub-like
 * words (and *app_id to the claimed issuer when known).
 */
static int
jwt_verify(const char *auth, int64_t *app_id, const char **why)
{
	const char *jwt, *d1, *d2, *alg, *typ, *iss_s;
	const struct fake_app *app;
	cJSON *hdr = NULL, *claims = NULL;
	const cJSON *iss;
	struct buf sig;
	EVP_MD_CTX *ctx = NULL;
	int64_t iat, exp;
	time_t now = time(NULL);
	int rc = -1;

	*app_id = 0;
	*why = "A JSON web token could not be decoded";
	buf_init(&sig);
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		goto out;
	jwt = auth + 7;
	if ((d1 = strchr(jwt, '.')) == NULL ||
	    (d2 = strchr(d1 + 1, '.')) == NULL || strchr(d2 + 1, '.') != NULL)
		goto out;
	if ((hdr = part_json(jwt, (size_t)(d1 - jwt))) == NULL ||
	    (claims = part_json(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL ||
	    jwt_base64url_decode(d2 + 1, strlen(d2 + 1), &sig) == -1)
		goto out;
	alg = json_string(hdr, "alg");
	typ = json_string(hdr, "typ");
	if (alg == NULL || strcmp(alg, "RS256") != 0 ||
	    (cJSON_GetObjectItemCaseSensitive(hdr, "typ") != NULL &&
	        (typ == NULL || strcmp(typ, "JWT") != 0)))
		goto out;
	/* GitHub takes iss as the app id, a string or a number. */
	iss = cJSON_GetObjectItemCaseSensitive(claims, "iss");
	iss_s = cJSON_IsString(iss) ? iss->valuestring : NULL;
	if (iss_s != NULL && parse_int64(iss_s, 1, INT64_MAX, app_id) == -1)
		*app_id = 0;
	else if (iss_s == NULL &&
	    json_int64(claims, "iss", 1, INT64_MAX, app_id) != 0)
		*app_id = 0;
	if (*app_id == 0 || (app = app_find(*app_id)) == NULL) {
		*why = "Integration not found";
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, app->pkey) !=
	        1 ||
	    EVP_DigestVerify(ctx, (const unsigned char *)sig.buf, sig.len,
	        (const unsigned char *)jwt, (size_t)(d2 - jwt)) != 1) {
		*why = "A JSON web token could not be decoded";
		goto out;
	}
	if (json_int64(claims, "iat", 0, INT64_MAX, &iat) != 0 ||
	    iat > (int64_t)now || iat < (int64_t)now - IAT_MAX_AGE) {
		*why = "'Issued at' claim ('iat') must be an Integer "
		       "representing the time that the assertion was issued";
		goto out;
	}
	if (json_int64(claims, "exp", 0, INT64_MAX, &exp) != 0 ||
	    exp <= (int64_t)now) {
		*why = "'Expiration time' claim ('exp') must be a numeric "
		       "value representing the future time at which the "
		       "assertion expires";
		goto out;
	}
	if (exp - iat > JWT_MAX_LIFE) {
		*why = "'Expiration time' claim ('exp') is too far in the "
		       "future";
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	cJSON_Delete(hdr);
	cJSON_Delete(claims);
	buf_release(&sig);
	return rc;
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 422:
		return "Unprocessable Entity";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

/* GitHub's words for an error status of the access_tokens route. */
static const char *
error_message(int status)
{
	switch (status) {
	case 401:
		return "A JSON web token could not be decoded";
	case 403:
		return "This installation has been suspended";
	case 429:
		return "API rate limit exceeded for installation";
	case 404:
		return "Not Found";
	case 422:
		return "Validation Failed";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Fake error";
	}
}

/* Write all of 'p' to 'fd'.  Returns 0 or -1. */
static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read --deliveries: a JSON array, or NULL (reported on stderr). */
static cJSON *
deliveries_load(void)
{
	struct buf text;
	cJSON *root = NULL;
	char chunk[65536];
	FILE *f;
	size_t n;

	buf_init(&text);
	if ((f = fopen(fake.deliveries, "r")) == NULL) {
		fprintf(stderr, "fake_github: %s: %s\n", fake.deliveries,
		    strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
	    text.len + n <= LIST_FILE_MAX)
		if (buf_append(&text, chunk, n) == -1)
			break;
	(void)fclose(f);
	if (text.len > 0)
		root = json_parse(text.buf, text.len);
	buf_release(&text);
	if (root == NULL || !cJSON_IsArray(root)) {
		fprintf(stderr, "fake_github: %s: not a JSON array\n",
		    fake.deliveries);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* True when item 'o' is listed to app 'app_id'. */
static bool
item_is_apps(const cJSON *o, int64_t app_id)
{
	int64_t owner;
	int r = json_int64(o, "app_id", 1, INT64_MAX, &owner);

	return r == 1 || (r == 0 && owner == app_id);
}

/*
 * The value of parameter 'name' in the query string 'q' (after '?'),
 * copied into 'out'; NULL when absent or longer than 'size'.
 */
static const char *
query_get(const char *q, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name), vlen;
	const char *end;

	while (q != NULL && *q != '\0') {
		end = q + strcspn(q, "&");
		if ((size_t)(end - q) > nlen && q[nlen] == '=' &&
		    strncmp(q, name, nlen) == 0) {
			vlen = (size_t)(end - q) - nlen - 1;
			if (vlen >= size)
				return NULL;
			memcpy(out, q + nlen + 1, vlen);
			out[vlen] = '\0';
			return out;
		}
		q = *end == '&' ? end + 1 : end;
	}
	return NULL;
}

/*
 * GET /app/hook/deliveries?QUERY for app 'app_id': a page of its items
 * in 'body' and, when more follow, a Link header line in 'headers'.
 * Returns the status.
 */
static int
deliveries_list(const char *query, int64_t app_id, struct buf *body,
    struct buf *headers)
{
	char v[64], *text;
	cJSON *root, *page = NULL, *dup;
	const cJSON *o;
	int64_t per_page = 30, after = 0, id, last = 0;
	bool started, more = false;
	int count = 0, status = 422;

	if (query_get(query, "per_page", v, sizeof(v)) != NULL &&
	    parse_int64(v, 1, 100, &per_page) == -1)
		goto out;
	if (query_get(query, "cursor", v, sizeof(v)) != NULL &&
	    (strncmp(v, "v1_", 3) != 0 ||
	        parse_int64(v + 3, 1, INT64_MAX, &after) == -1))
		goto out;
	if (per_page > fake.page_size)
		per_page = fake.page_size;
	status = 500;
	if ((root = deliveries_load()) == NULL)
		goto out;
	if ((page = cJSON_CreateArray()) == NULL) {
		cJSON_Delete(root);
		goto out;
	}
	started = after == 0;
	cJSON_ArrayForEach (o, root) {
		if (!item_is_apps(o, app_id) ||
		    json_int64(o, "id", 1, INT64_MAX, &id) != 0)
			continue;
		if (!started) {
			started = id == after;
			continue;
		}
		if (count == per_page) {
			more = true;
			break;
		}
		if ((dup = cJSON_Duplicate(o, 1)) == NULL)
			break;
		cJSON_DeleteItemFromObjectCaseSensitive(dup, "app_id");
		cJSON_AddItemToArray(page, dup);
		count++;
		last = id;
	}
	cJSON_Delete(root);
	if (!started) {
		status = 422;
		goto out;
	}
	if (more) {
		(void)buf_puts(headers, "Link: ");
		if (after != 0)
			(void)buf_printf(headers,
			    "<http://127.0.0.1:%d" DELIVERIES
			    "?per_page=%" PRId64 ">; rel=\"first\", ",
			    fake.port, per_page);
		(void)buf_printf(headers,
		    "<http://127.0.0.1:%d" DELIVERIES "?per_page=%" PRId64
		    "&cursor=v1_%" PRId64 ">; rel=\"next\"\r\n",
		    fake.port, per_page, last);
	}
	if ((text = cJSON_PrintUnformatted(page)) != NULL) {
		(void)buf_puts(body, text);
		cJSON_free(text);
		status = 200;
	}
out:
	cJSON_Delete(page);
	if (status == 422)
		(void)buf_puts(body, "{\"message\":\"Validation Failed\"}");
	else if (status == 500)
		(void)buf_puts(body, "{\"message\":\"Server Error\"}");
	return status;
}

/*
 * POST /app/hook/deliveries/{id}/attempts for app 'app_id'.  Returns 202
 * when the app lists that id, else 404.
 */
static int
deliveries_attempt(const char *idtext, int64_t app_id, struct buf *body)
{
	cJSON *root;
	const cJSON *o;
	int64_t want, id;
	int status = 404;

	if (parse_int64(idtext, 1, INT64_MAX, &want) == 0 &&
	    (root = deliveries_load()) != NULL) {
		cJSON_ArrayForEach (o, root) {
			if (item_is_apps(o, app_id) &&
			    json_int64(o, "id", 1, INT64_MAX, &id) == 0 &&
			    id == want) {
				status = 202;
				break;
			}
		}
		cJSON_Delete(root);
	}
	(void)buf_puts(body,
	    status == 202
	        ? "{}"
	        : "{\"message\":\"Not Found\",\"documentation_url\":"
	          "\"https://docs.github.com/rest\",\"status\":\"404\"}");
	return status;
}

/*
 * The deliveries routes, when 'path' is one of them and --deliveries is
 * set: fill 'body', 'headers' and the 'log' line, and return the status;
 * 0 when 'path' is not theirs.
 */
static int
route_deliveries(const char *method, const char *path, const char *auth,
    struct buf *body, struct buf *headers, struct buf *log)
{
	const char *rest, *why;
	char idtext[32];
	int64_t app_id = 0;
	size_t n;
	bool list;
	int status;

	if (fake.deliveries == NULL || !has_prefix(path, DELIVERIES))
		return 0;
	rest = path + strlen(DELIVERIES);
	n = *rest == '/' ? strcspn(rest + 1, "/") : 0;
	list = strcmp(method, "GET") == 0 && (*rest == '\0' || *rest == '?');
	if (!list &&
	    (strcmp(method, "POST") != 0 || n == 0 || n >= sizeof(idtext) ||
	        strcmp(rest + 1 + n, "/attempts") != 0))
		return 0;
	if (jwt_verify(auth, &app_id, &why) == -1) {
		status = 401;
		(void)buf_puts(body, "{\"message\":");
		(void)json_quote(body, why);
		(void)buf_puts(body, ",\"status\":\"401\"}");
	} else if (list)
		status = deliveries_list(*rest == '?' ? rest + 1 : NULL, app_id,
		    body, headers);
	else {
		memcpy(idtext, rest + 1, n);
		idtext[n] = '\0';
		status = deliveries_attempt(idtext, app_id, body);
	}
	(void)buf_printf(log, "app=%" PRId64 " %s %s status=%d\n", app_id,
	    method, path, status);
	return status;
}

/* A web server's 404 page, not GitHub's JSON error body. */
static const char html_404[] =
    "<html><head><title>404 Not Found</title></head><body>"
    "<h1>Not Found</h1></body></html>\n";

/*
 * GET /app, when 'path' is it: fill 'body' and the 'log' line, set *html
 * for an HTML body, and return the status; 0 for other paths.
 */
static int
route_app(const char *method, const char *path, const char *auth,
    struct buf *body, struct buf *log, bool *html)
{
	const char *why;
	int64_t app_id;
	int status;

	if (strcmp(method, "GET") != 0 || strcmp(path, "/app") != 0)
		return 0;
	if (jwt_verify(auth, &app_id, &why) == -1) {
		status = 401;
		(void)buf_puts(body, "{\"message\":");
		(void)json_quote(body, why);
		(void)buf_puts(body, "}");
	} else if ((status = (int)fake.app_status) != 200) {
		*html = true;
		(void)buf_puts(body, html_404);
	} else
		(void)buf_printf(body,
		    "{\"id\":%" PRId64 ",\"slug\":\"fake-app-%" PRId64
		    "\",\"name\":\"fake app\"}",
		    app_id, app_id);
	(void)buf_printf(log, "app=%" PRId64 " GET /app status=%d\n", app_id,
	    status);
	return status;
}

/*
 * Answer one request: append the JSON response body to 'body' and return
 * the status.  Sets *app_id (from iss) and *inst for the log line.
 */
static int
route(const char *method, const char *path, const char *auth, struct buf *body,
    int64_t *app_id, int64_t *inst, bool *html)
{
	static const char docs[] = "https://docs.github.com/rest/apps/"
	                           "apps#create-an-installation-access-token-"
	                           "for-an-app";
	const char *why, *rest;
	char idtext[32];
	size_t n;
	int status;
	time_t exp;
	struct tm tm;
	char expires[32];

	*app_id = 0;
	*inst = 0;
	rest = has_prefix(path, "/app/installations/")
	    ? path + strlen("/app/installations/")
	    : NULL;
	n = rest == NULL ? 0 : strcspn(rest, "/");
	if (strcmp(method, "POST") != 0 || rest == NULL ||
	    n >= sizeof(idtext) || strcmp(rest + n, ACCESS_TOKENS) != 0) {
		(void)buf_printf(body,
		    "{\"message\":\"Not Found\",\"documentation_url\":"
		    "\"https://docs.github.com/rest\",\"status\":\"404\"}");
		return 404;
	}
	memcpy(idtext, rest, n);
	idtext[n] = '\0';
	if (parse_int64(idtext, 1, INT64_MAX, inst) == -1) {
		*inst = 0;
		(void)buf_printf(body, "{\"message\":\"Not Found\"}");
		return 404;
	}
	if (jwt_verify(auth, app_id, &why) == -1) {
		(void)buf_puts(body, "{\"message\":");
		(void)json_quote(body, why);
		(void)buf_puts(body,
		    ",\"documentation_url\":"
		    "\"https://docs.github.com/rest\","
		    "\"status\":\"401\"}");
		return 401;
	}
	/* An installation of the other app is not found with this JWT. */
	if (rule_find(fake.owners, fake.nowners, *inst, *app_id) != *app_id)
		status = 404;
	else
		status =
		    (int)rule_find(fake.answers, fake.nanswers, *inst, 201);
	if (rule_find(fake.ratelimit, fake.nratelimit, *inst, 0)) {
		status = 403;
		(void)buf_printf(body,
		    "{\"message\":\"You have exceeded a secondary rate limit. "
		    "Please wait a few minutes before you try again.\","
		    "\"documentation_url\":\"%s\",\"status\":\"403\"}",
		    docs);
	} else if (status == 404 &&
	    rule_find(fake.html, fake.nhtml, *inst, 0)) {
		*html = true;
		(void)buf_puts(body, html_404);
	} else if (status >= 200 && status < 300) {
		exp = time(NULL) + 3600;
		(void)gmtime_r(&exp, &tm);
		(void)strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ",
		    &tm);
		(void)buf_printf(body,
		    "{\"token\":\"ghs_fake%" PRId64 "\",\"expires_at\":\"%s\","
		    "\"permissions\":{\"metadata\":\"read\"},"
		    "\"repository_selection\":\"all\"}",
		    *inst, expires);
	} else {
		(void)buf_printf(body,
		    "{\"message\":\"%s\",\"documentation_url\":\"%s\","
		    "\"status\":\"%d\"}",
		    error_message(status), docs, status);
	}
	return status;
}

/*
 * Copy the value of header 'name' of the request head 'h' (CRLF lines)
 * into 'out' and return it; NULL when absent or longer than 'size'.
 */
static const char *
header_get(const char *h, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name), vlen;
	const char *line = strstr(h, "\r\n"), *end;

	while (line != NULL && line[2] != '\r' && line[2] != '\0') {
		line += 2;
		end = strstr(line, "\r\n");
		if (end == NULL)
			return NULL;
		if ((size_t)(end - line) > nlen && line[nlen] == ':' &&
		    strncasecmp(line, name, nlen) == 0) {
			line += nlen + 1;
			while (*line == ' ' || *line == '\t')
				line++;
			vlen = (size_t)(end - line);
			if (vlen >= size)
				return NULL;
			memcpy(out, line, vlen);
			out[vlen] = '\0';
			return out;
		}
		line = end;
	}
	return NULL;
}

/* Serve the connection 'arg' (an fd) until it closes. */
static void *
serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *in = malloc(MAX_HEAD + 1);
	char method[16], path[1024], version[16], auth[8192], value[64];
	char logline[160];
	struct buf headers, log;
	const char *end;
	size_t len = 0, head, have;
	ssize_t n;
	int64_t clen, app_id, inst;
	int status, keep;
	bool html;
	struct buf body, resp;
	struct timespec ts;

	buf_init(&body);
	buf_init(&resp);
	buf_init(&headers);
	buf_init(&log);
	if (in == NULL)
		goto out;
	for (;;) {
		in[len] = '\0';
		while ((end = strstr(in, "\r\n\r\n")) == NULL) {
			if (len == MAX_HEAD)
				goto out;
			n = read(fd, in + len, MAX_HEAD - len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				goto out;
			len += (size_t)n;
			in[len] = '\0';
		}
		head = (size_t)(end - in) + 4;
		if (sscanf(in, "%15s %1023s %15s", method, path, version) != 3)
			goto out;
		clen = 0;
		if (header_get(in, "Content-Length", value, sizeof(value)) !=
		        NULL &&
		    parse_int64(value, 0, MAX_BODY, &clen) == -1)
			goto out;
		keep = strcmp(version, "HTTP/1.1") == 0;
		if (header_get(in, "Connection", value, sizeof(value)) !=
		        NULL &&
		    strcasecmp(value, "close") == 0)
			keep = 0;
		if (header_get(in, "Authorization", auth, sizeof(auth)) == NULL)
			auth[0] = '\0';

		buf_reset(&body);
		buf_reset(&resp);
		buf_reset(&headers);
		buf_reset(&log);
		html = false;
		status = route_deliveries(method, path,
		    auth[0] != '\0' ? auth : NULL, &body, &headers, &log);
		if (status == 0)
			status = route_app(method, path,
			    auth[0] != '\0' ? auth : NULL, &body, &log, &html);
		if (status == 0)
			status =
			    route(method, path, auth[0] != '\0' ? auth : NULL,
			        &body, &app_id, &inst, &html);
		if (fake.latency_ms > 0) {
			ts.tv_sec = fake.latency_ms / 1000;
			ts.tv_nsec = (fake.latency_ms % 1000) * 1000000;
			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				;
		}
		(void)buf_printf(&resp,
		    "HTTP/1.1 %d %s\r\nContent-Type: %s; "
		    "charset=utf-8\r\nX-GitHub-Media-Type: github.v3\r\n"
		    "%sContent-Length: %zu\r\nConnection: %s\r\n\r\n%s",
		    status, reason_phrase(status),
		    html ? "text/html" : "application/json",
		    headers.buf != NULL ? headers.buf : "", body.len,
		    keep ? "keep-alive" : "close",
		    body.buf != NULL ? body.buf : "");
		if (log.len > 0)
			(void)!write(fake.logfd, log.buf, log.len);
		else {
			n = snprintf(logline, sizeof(logline),
			    "app=%" PRId64 " installation=%" PRId64
			    " status=%d\n",
			    app_id, inst, status);
			if (n > 0 && (size_t)n < sizeof(logline))
				(void)!write(fake.logfd, logline, (size_t)n);
		}
		if (resp.buf == NULL || write_all(fd, resp.buf, resp.len) == -1)
			goto out;

		/* Drop the request body, keep what follows (pipelining). */
		have = len - head;
		if (have >= (size_t)clen) {
			memmove(in, in + head + clen, have - (size_t)clen);
			len = have - (size_t)clen;
		} else {
			for (size_t left = (size_t)clen - have; left > 0;
			     left -= (size_t)n) {
				n = read(fd, in,
				    left < MAX_HEAD ? left : MAX_HEAD);
				if (n == -1 && errno == EINTR) {
					n = 0;
					continue;
				}
				if (n <= 0)
					goto out;
			}
			len = 0;
		}
		if (!keep)
			break;
	}
out:
	free(in);
	buf_release(&body);
	buf_release(&resp);
	buf_release(&headers);
	buf_release(&log);
	(void)close(fd);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: fake_github [--port N] [--log FILE] [--latency-ms N]\n"
	    "           --app ID:PUBLIC_KEY.pem ... "
	    "[--answer INSTALLATION:STATUS] ... [--rate-limit INSTALLATION] ...\n"
	    "           [--owner INSTALLATION:APP_ID] ... "
	    "[--html-404 INSTALLATION] ...\n"
	    "           [--app-status STATUS] [--deliveries FILE] "
	    "[--page-size N]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	pthread_attr_t attr;
	pthread_t th;
	int64_t port = 0, v, w;
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int lfd, fd;

	fake.logfd = STDOUT_FILENO;
	fake.page_size = 100;
	fake.app_status = 200;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i],
		           *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (val == NULL)
			usage();
		i++;
		if (strcmp(opt, "--port") == 0) {
			if (parse_int64(val, 0, 65535, &port) == -1)
				usage();
		} else if (strcmp(opt, "--log") == 0) {
			fake.logfd = open(val,
			    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (fake.logfd == -1) {
				fprintf(stderr, "fake_github: %s: %s\n", val,
				    strerror(errno));
				return 1;
			}
		} else if (strcmp(opt, "--latency-ms") == 0) {
			if (parse_int64(val, 0, 60000, &v) == -1)
				usage();
			fake.latency_ms = (long)v;
		} else if (strcmp(opt, "--deliveries") == 0) {
			fake.deliveries = val;
		} else if (strcmp(opt, "--page-size") == 0) {
			if (parse_int64(val, 1, 100, &fake.page_size) == -1)
				usage();
		} else if (strcmp(opt, "--html-404") == 0) {
			if (fake.nhtml == MAX_RULES ||
			    parse_int64(val, 1, INT64_MAX, &v) == -1)
				usage();
			fake.html[fake.nhtml].installation_id = v;
			fake.html[fake.nhtml++].value = 1;
		} else if (strcmp(opt, "--rate-limit") == 0) {
			if (fake.nratelimit == MAX_RULES ||
			    parse_int64(val, 1, INT64_MAX, &v) == -1)
				usage();
			fake.ratelimit[fake.nratelimit].installation_id = v;
			fake.ratelimit[fake.nratelimit++].value = 1;
		} else if (strcmp(opt, "--app-status") == 0) {
			if (parse_int64(val, 200, 599, &fake.app_status) == -1)
				usage();
		} else if (strcmp(opt, "--app") == 0) {
			if (app_add(val) == -1)
				return 2;
		} else if (strcmp(opt, "--answer") == 0 ||
		    strcmp(opt, "--owner") == 0) {
			int answer = strcmp(opt, "--answer") == 0;
			struct fake_rule *r =
			    answer ? fake.answers : fake.owners;
			size_t *nr = answer ? &fake.nanswers : &fake.nowners;

			if (*nr == MAX_RULES || parse_pair(val, &v, &w) == -1 ||
			    (answer && (w < 200 || w > 599)))
				usage();
			r[*nr].installation_id = v;
			r[*nr].value = w;
			(*nr)++;
		} else
			usage();
	}
	if (fake.napps == 0)
		usage();

	(void)signal(SIGPIPE, SIG_IGN);
	if ((lfd = support_listen("fake_github", (uint16_t)port, 1024,
	         &fake.port)) == -1)
		return 1;

	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0 ||
	    pthread_attr_setstacksize(&attr, 256 * 1024) != 0)
		return 1;
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "fake_github: accept: %s\n",
			    strerror(errno));
			(void)nanosleep(&pause, NULL);
			continue;
		}
		if (pthread_create(&th, &attr, serve, (void *)(intptr_t)fd) !=
		    0) {
			fprintf(stderr, "fake_github: cannot start a thread\n");
			(void)close(fd);
		}
	}
}
