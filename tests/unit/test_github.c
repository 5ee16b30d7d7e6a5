/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/github: base64url, the App JWT, keys, the client. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "github.h"
#include "json.h"
#include "str.h"

#define APP_ID 101
#define NOW    1700000000

/* Keys generated once for the group: nothing is read from disk. */
struct keys {
	EVP_PKEY	*rsa;
	EVP_PKEY	*other;
};

static int
group_setup(void **state)
{
	static struct keys k;

	k.rsa = EVP_RSA_gen(2048);
	k.other = EVP_RSA_gen(2048);
	if (k.rsa == NULL || k.other == NULL)
		return -1;
	*state = &k;
	return 0;
}

static int
group_teardown(void **state)
{
	struct keys *k = *state;

	EVP_PKEY_free(k->rsa);
	EVP_PKEY_free(k->other);
	return 0;
}

/* base64url of the NUL-terminated 's'; the caller frees the result. */
static char *
b64(const void *p, size_t len)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(github_base64url_encode(p, len, &b), 0);
	if (b.buf == NULL)
		assert_int_equal(buf_puts(&b, ""), 0);
	return b.buf;
}

static void
github_base64url_rfc4648_vectors(void **state)
{
	/* RFC 4648 §10, without the padding. */
	static const char *const v[][2] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *got = b64(v[i][0], strlen(v[i][0]));

		assert_string_equal(got, v[i][1]);
		free(got);
	}
}

static void
github_base64url_url_alphabet(void **state)
{
	static const unsigned char a[] = { 0xfb, 0xff, 0xbf };
	static const unsigned char b[] = { 0xfb, 0xff };
	static const unsigned char c[] = { 0xff };
	char *got;

	(void)state;
	got = b64(a, sizeof(a));
	assert_string_equal(got, "-_-_");
	free(got);
	got = b64(b, sizeof(b));
	assert_string_equal(got, "-_8");
	free(got);
	got = b64(c, sizeof(c));
	assert_string_equal(got, "_w");
	free(got);
}

static void
github_base64url_rfc7515_vectors(void **state)
{
	/* RFC 7515 appendix A.1: the JOSE header and the claims set. */
	static const char header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
	static const char claims[] = "{\"iss\":\"joe\",\r\n"
	                             " \"exp\":1300819380,\r\n"
	                             " \"http://example.com/is_root\":true}";
	char *got;

	(void)state;
	got = b64(header, strlen(header));
	assert_string_equal(got, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
	free(got);
	got = b64(claims, strlen(claims));
	assert_string_equal(got,
	    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
	    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ");
	free(got);
}

static void
github_base64url_round_trip(void **state)
{
	unsigned char bytes[70];
	struct buf enc, dec;

	(void)state;
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(bytes); len++) {
		buf_init(&enc);
		buf_init(&dec);
		assert_int_equal(github_base64url_encode(bytes, len, &enc), 0);
		assert_int_equal(github_base64url_decode(enc.buf, enc.len,
		                     &dec),
		    0);
		assert_int_equal(dec.len, len);
		if (len > 0)
			assert_memory_equal(dec.buf, bytes, len);
		buf_release(&enc);
		buf_release(&dec);
	}
}

static void
github_base64url_decode_is_strict(void **state)
{
	static const char *const bad[] = {
		"Zg==", /* padding */
		"Z",    /* one digit is not a whole byte */
		"Zh",   /* non-zero unused bits */
		"Zm9",  /* ditto, for a three-digit group */
		"Zm9v+",
		"Zm/v",
		"Zm9 ",
		"Zm\n9v",
	};
	struct buf out;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_init(&out);
		assert_int_equal(github_base64url_decode(bad[i], strlen(bad[i]),
		                     &out),
		    -1);
		buf_release(&out);
	}
	buf_init(&out);
	assert_int_equal(github_base64url_decode("Zm8", 3, &out), 0);
	assert_string_equal(out.buf, "fo");
	buf_release(&out);
}

/* Split 'jwt' into its three parts; asserts there are exactly three. */
static void
jwt_split(const char *jwt, char parts[3][1024])
{
	const char *p = jwt, *dot;

	for (int i = 0; i < 3; i++) {
		size_t n;

		dot = strchr(p, '.');
		if (i < 2)
			assert_non_null(dot);
		else
			assert_null(dot);
		n = dot == NULL ? strlen(p) : (size_t)(dot - p);
		assert_true(n > 0 && n < 1024);
		memcpy(parts[i], p, n);
		parts[i][n] = '\0';
		if (dot != NULL)
			p = dot + 1;
	}
}

/* Decode part 'part' of a JWT as a JSON object; cJSON_Delete() it. */
static cJSON *
jwt_json(const char *part)
{
	struct buf dec;
	cJSON *root;

	buf_init(&dec);
	assert_int_equal(github_base64url_decode(part, strlen(part), &dec), 0);
	root = json_parse(dec.buf, dec.len);
	buf_release(&dec);
	assert_true(cJSON_IsObject(root));
	return root;
}

static void
github_jwt_has_three_unpadded_parts(void **state)
{
	struct keys *k = *state;
	struct github_app *app;
	char parts[3][1024];
	char *jwt;

	assert_non_null(app = github_app_new(APP_ID, k->rsa));
	assert_int_equal(github_app_id(app), APP_ID);
	assert_int_equal(github_jwt_sign(app, NOW, &jwt), 0);
	jwt_split(jwt, parts);
	for (int i = 0; i < 3; i++)
		assert_int_equal(strspn(parts[i],
		                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                     "abcdefghijklmnopqrstuvwxyz0123456789-_"),
		    strlen(parts[i]));
	/* A 2048-bit signature is 256 bytes: 342 digits unpadded. */
	assert_int_equal(strlen(parts[2]), 342);
	github_jwt_free(jwt);
	github_app_free(app);
}

static void
github_jwt_header_and_claims(void **state)
{
	struct keys *k = *state;
	struct github_app *app;
	char parts[3][1024];
	cJSON *h, *c;
	int64_t iat, exp;
	char *jwt;

	assert_non_null(app = github_app_new(APP_ID, k->rsa));
	assert_int_equal(github_jwt_sign(app, NOW, &jwt), 0);
	jwt_split(jwt, parts);

	h = jwt_json(parts[0]);
	assert_int_equal(cJSON_GetArraySize(h), 2);
	assert_string_equal(json_string(h, "alg"), "RS256");
	assert_string_equal(json_string(h, "typ"), "JWT");
	cJSON_Delete(h);

	c = jwt_json(parts[1]);
	assert_int_equal(cJSON_GetArraySize(c), 3);
	assert_int_equal(json_int64(c, "iat", 0, INT64_MAX, &iat), 0);
	assert_int_equal(json_int64(c, "exp", 0, INT64_MAX, &exp), 0);
	assert_int_equal(iat, NOW - 60);
	assert_int_equal(exp, NOW + 540);
	assert_true(exp - iat <= 600);
	assert_string_equal(json_string(c, "iss"), "101");
	cJSON_Delete(c);

	github_jwt_free(jwt);
	github_app_free(app);
}

/* Verify the RS256 signature of 'jwt' with 'pkey'.  Returns 1 or 0. */
static int
jwt_verifies(const char *jwt, EVP_PKEY *pkey)
{
	const char *dot = strrchr(jwt, '.');
	struct buf sig;
	EVP_MD_CTX *ctx;
	int ok;

	assert_non_null(dot);
	buf_init(&sig);
	assert_int_equal(github_base64url_decode(dot + 1, strlen(dot + 1),
	                     &sig),
	    0);
	assert_non_null(ctx = EVP_MD_CTX_new());
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, (const unsigned char *)sig.buf, sig.len,
	        (const unsigned char *)jwt, (size_t)(dot - jwt)) == 1;
	EVP_MD_CTX_free(ctx);
	buf_release(&sig);
	return ok;
}

static void
github_jwt_signature_verifies(void **state)
{
	struct keys *k = *state;
	struct github_app *app;
	char *jwt;

	assert_non_null(app = github_app_new(APP_ID, k->rsa));
	assert_int_equal(github_jwt_sign(app, NOW, &jwt), 0);
	assert_true(jwt_verifies(jwt, k->rsa));
	assert_false(jwt_verifies(jwt, k->other));
	/* Change one claim byte: the signature no longer matches. */
	jwt[strchr(jwt, '.') - jwt + 2] ^= 1;
	assert_false(jwt_verifies(jwt, k->rsa));
	github_jwt_free(jwt);
	github_app_free(app);
}

/* Write 'text' to a new temporary file; the caller unlinks 'path'. */
static void
temp_file(char *path, size_t size, const char *text, size_t len)
{
	int fd;

	(void)snprintf(path, size, "/tmp/test_github.XXXXXX");
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Write 'pkey' as PEM to a temporary file, 'traditional' as PKCS#1. */
static void
key_file(char *path, size_t size, EVP_PKEY *pkey, int traditional,
    int encrypted)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ok;

	assert_non_null(bio);
	if (encrypted)
		ok = PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_128_cbc(),
		    "pass", 4, NULL, NULL);
	else if (traditional)
		ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL,
		    0, NULL, NULL);
	else
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
		    NULL);
	assert_int_equal(ok, 1);
	len = BIO_get_mem_data(bio, &data);
	temp_file(path, size, data, (size_t)len);
	BIO_free(bio);
}

static void
github_app_load_reads_pkcs1_and_pkcs8(void **state)
{
	struct keys *k = *state;
	struct github_app *app;
	char path[64], *jwt;

	for (int traditional = 0; traditional <= 1; traditional++) {
		key_file(path, sizeof(path), k->rsa, traditional, 0);
		app = github_app_load(APP_ID, path);
		(void)unlink(path);
		assert_non_null(app);
		assert_int_equal(github_jwt_sign(app, NOW, &jwt), 0);
		assert_true(jwt_verifies(jwt, k->rsa));
		github_jwt_free(jwt);
		github_app_free(app);
	}
}

static void
github_app_load_refuses_bad_keys(void **state)
{
	struct keys *k = *state;
	EVP_PKEY *ec, *small;
	BIO *bio;
	char path[64], *data;
	long len;

	(void)k;
	assert_null(github_app_load(APP_ID, "/nonexistent/key.pem"));

	temp_file(path, sizeof(path), "garbage\n", 8);
	assert_null(github_app_load(APP_ID, path));
	(void)unlink(path);

	/* A public key is not a private key. */
	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_PUBKEY(bio, k->rsa), 1);
	len = BIO_get_mem_data(bio, &data);
	temp_file(path, sizeof(path), data, (size_t)len);
	BIO_free(bio);
	assert_null(github_app_load(APP_ID, path));
	(void)unlink(path);

	/* Encrypted: refused, never a passphrase prompt. */
	key_file(path, sizeof(path), k->rsa, 0, 1);
	assert_null(github_app_load(APP_ID, path));
	(void)unlink(path);

	/* Not RSA, and RSA too small for RS256. */
	assert_non_null(ec = EVP_EC_gen("P-256"));
	key_file(path, sizeof(path), ec, 0, 0);
	assert_null(github_app_load(APP_ID, path));
	(void)unlink(path);
	assert_null(github_app_new(APP_ID, ec));
	EVP_PKEY_free(ec);
	assert_non_null(small = EVP_RSA_gen(1024));
	assert_null(github_app_new(APP_ID, small));
	EVP_PKEY_free(small);
}

static void
github_client_is_https_only(void **state)
{
	static const char *const good[] = { "https://api.github.com",
		"https://ghe.example.com/api/v3/", "http://127.0.0.1",
		"http://127.0.0.1:8080", "http://127.0.0.1/api" };
	static const char *const bad[] = { "http://api.github.com",
		"http://127.0.0.1.example.com", "http://localhost:8080",
		"ftp://127.0.0.1", "file:///etc/passwd", "" };
	struct github_client *c;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_non_null(c = github_client_new(good[i], "test"));
		github_client_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(github_client_new(bad[i], "test"));
}

/* A one-shot HTTP server on 127.0.0.1 answering one canned response. */
struct canned {
	int		 lfd;
	int		 port;
	const char	*response;
	char		 request[8192];
	pthread_t	 thread;
};

static void *
canned_serve(void *arg)
{
	struct canned *s = arg;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = accept(s->lfd, NULL, NULL)) == -1)
		return NULL;
	while (len < sizeof(s->request) - 1 &&
	    (n = read(fd, s->request + len, sizeof(s->request) - 1 - len)) >
	        0) {
		len += (size_t)n;
		s->request[len] = '\0';
		if (strstr(s->request, "\r\n\r\n") != NULL)
			break;
	}
	(void)!write(fd, s->response, strlen(s->response));
	(void)close(fd);
	return NULL;
}

static void
canned_start(struct canned *s, const char *response)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->response = response;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((s->lfd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sin, &slen),
	    0);
	s->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, canned_serve, s), 0);
}

static void
canned_stop(struct canned *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	(void)close(s->lfd);
}

/* Run one POST against a canned response; fills *call. */
static void
canned_call(struct canned *s, const char *response, size_t cap, bool want_body,
    struct github_call *call)
{
	struct github_client *c;
	char url[64];

	canned_start(s, response);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s->port);
	assert_non_null(c = github_client_new(url, "instlog-test"));
	if (cap > 0)
		github_client_set_limits(c, 2000, 5000, cap);
	memset(call, 0, sizeof(*call));
	call->method = "POST";
	call->path = "/app/installations/5/access_tokens";
	call->jwt = "header.claims.sig";
	call->want_body = want_body;
	assert_int_equal(github_call_run(c, call), 0);
	github_client_free(c);
	canned_stop(s);
}

static void
github_call_sends_headers_and_reads_message(void **state)
{
	static const char resp[] =
	    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
	    "Content-Length: 89\r\nConnection: close\r\n\r\n"
	    "{\"message\":\"Not Found\",\"documentation_url\":"
	    "\"https://docs.github.com/rest\",\"status\":\"404\"}";
	struct canned s;
	struct github_call call;

	(void)state;
	canned_call(&s, resp, 0, false, &call);
	assert_int_equal(call.resp.status, 404);
	assert_string_equal(call.resp.message, "Not Found");
	assert_null(call.resp.body.buf);
	assert_non_null(strstr(s.request,
	    "POST /app/installations/5/access_tokens HTTP/1.1\r\n"));
	assert_non_null(
	    strstr(s.request, "\r\nAccept: application/vnd.github+json\r\n"));
	assert_non_null(
	    strstr(s.request, "\r\nX-GitHub-Api-Version: 2022-11-28\r\n"));
	assert_non_null(strstr(s.request, "\r\nUser-Agent: instlog-test\r\n"));
	assert_non_null(strstr(s.request,
	    "\r\nAuthorization: Bearer header.claims.sig\r\n"));
	assert_non_null(strstr(s.request, "\r\nContent-Length: 0\r\n"));
	github_response_release(&call.resp);
}

static void
github_call_wipes_success_body(void **state)
{
	static const char resp[] =
	    "HTTP/1.1 201 Created\r\nContent-Length: 50\r\n"
	    "Connection: close\r\n\r\n"
	    "{\"token\":\"ghs_x\",\"expires_at\":\"2030-01-01T00:00Z\"}";
	struct canned s;
	struct github_call call;

	(void)state;
	canned_call(&s, resp, 0, false, &call);
	assert_int_equal(call.resp.status, 201);
	assert_null(call.resp.message);
	assert_null(call.resp.body.buf);
	github_response_release(&call.resp);

	canned_call(&s, resp, 0, true, &call);
	assert_int_equal(call.resp.status, 201);
	assert_int_equal(call.resp.body.len, 50);
	assert_non_null(strstr(call.resp.body.buf, "ghs_x"));
	github_response_release(&call.resp);
	assert_null(call.resp.body.buf);
}

static void
github_call_caps_response_size(void **state)
{
	static const char resp[] =
	    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 40\r\n"
	    "Connection: close\r\n\r\n"
	    "{\"message\":\"01234567890123456789012345\"}";
	struct canned s;
	struct github_call call;

	(void)state;
	canned_call(&s, resp, 16, false, &call);
	assert_int_equal(call.resp.status, 0);
	assert_string_equal(call.resp.error, "response larger than 16 bytes");
	assert_null(call.resp.message);
	github_response_release(&call.resp);

	canned_call(&s, resp, 40, false, &call);
	assert_int_equal(call.resp.status, 500);
	assert_string_equal(call.resp.message, "01234567890123456789012345");
	github_response_release(&call.resp);
}

static void
github_call_reports_transport_error(void **state)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct github_client *c;
	struct github_call calls[3];
	char url[64];
	int fd;

	(void)state;
	/* A port that was just free: nothing listens there. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	(void)close(fd);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d",
	    ntohs(sin.sin_port));
	assert_non_null(c = github_client_new(url, "instlog-test"));
	memset(calls, 0, sizeof(calls));
	for (int i = 0; i < 3; i++) {
		calls[i].method = "POST";
		calls[i].path = "/app/installations/1/access_tokens";
	}
	assert_int_equal(github_multi_run(c, calls, 3, 2), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(calls[i].resp.status, 0);
		assert_true(calls[i].resp.error[0] != '\0');
		github_response_release(&calls[i].resp);
	}
	assert_int_equal(github_multi_run(c, calls, 0, 16), 0);
	github_client_free(c);
}

static void
github_link_next_table(void **state)
{
	static const struct {
		const char	*value;
		int		 rc;
		const char	*url;
	} v[] = {
		/* GitHub's cursor pagination of app hook deliveries. */
		{ "<https://api.github.com/app/hook/deliveries?per_page=100&"
		  "cursor=v1_12345>; rel=\"next\"",
		    1,
		    "https://api.github.com/app/hook/deliveries?per_page=100&"
		    "cursor=v1_12345" },
		/* Page-numbered lists: next among the others. */
		{ "<https://api.github.com/repositories/1300192/issues?page=2>;"
		  " rel=\"prev\", <https://api.github.com/repositories/1300192/"
		  "issues?page=4>; rel=\"next\", <https://api.github.com/"
		  "repositories/1300192/issues?page=515>; rel=\"last\", "
		  "<https://api.github.com/repositories/1300192/issues?page=1>;"
		  " rel=\"first\"",
		    1,
		    "https://api.github.com/repositories/1300192/issues?page=4" },
		/* The last page: no next. */
		{ "<https://api.github.com/x?page=1>; rel=\"first\", "
		  "<https://api.github.com/x?page=2>; rel=\"prev\"",
		    0, NULL },
		{ "", 0, NULL },
		{ " , ,", 0, NULL },
		/* Unquoted, upper case, several types, extra parameters. */
		{ "<https://h/a>;rel=NEXT", 1, "https://h/a" },
		{ "<https://h/a>; rel=\"last next\"", 1, "https://h/a" },
		{ "<https://h/a> ;\ttitle=\"a, b; rel=next\" ; rel=next", 1,
		    "https://h/a" },
		{ "<https://h/a>; title=\"x\\\"y\"; rel=\"next\"", 1,
		    "https://h/a" },
		{ "<https://h/a>; rel=\"nextish\", <https://h/b>; rel=next", 1,
		    "https://h/b" },
		{ "<https://h/a>; anchor=\"#x\"; rel=\"next\"", 1,
		    "https://h/a" },
		/* Only the first rel of a link counts. */
		{ "<https://h/a>; rel=prev; rel=next", 0, NULL },
		{ "<https://h/a>", 0, NULL },
		{ "<https://h/a>; rel", 0, NULL },
		/* Malformed. */
		{ "https://h/a; rel=next", -1, NULL },
		{ "<https://h/a; rel=next", -1, NULL },
		{ "<https://h/a>; rel=\"next", -1, NULL },
		{ "<https://h/a> rel=next", -1, NULL },
		{ "<https://h/a>; =next", -1, NULL },
		{ "<https://h/a>; rel=", -1, NULL },
		{ "<https://h/ a>; rel=next", -1, NULL },
		{ "<https://h/a>; rel=next <https://h/b>", -1, NULL },
	};
	char *url;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = github_link_next(v[i].value, strlen(v[i].value), &url);

		if (rc != v[i].rc)
			fail_msg("'%s': %d, expected %d", v[i].value, rc,
			    v[i].rc);
		if (v[i].url == NULL)
			assert_null(url);
		else
			assert_string_equal(url, v[i].url);
		free(url);
	}
	/* The length bounds the value: a longer buffer is not read on. */
	assert_int_equal(github_link_next("<https://h/a>; rel=next", 13, &url),
	    0);
	assert_null(url);
}

static void
github_client_path_stays_under_base(void **state)
{
	struct github_client *c;

	(void)state;
	assert_non_null(
	    c = github_client_new("https://api.github.com/", "test"));
	assert_string_equal(
	    github_client_path(c,
	        "https://api.github.com/app/hook/deliveries?cursor=v1_1"),
	    "/app/hook/deliveries?cursor=v1_1");
	assert_null(github_client_path(c, "https://api.github.com"));
	assert_null(github_client_path(c, "https://api.github.com.evil/x"));
	assert_null(github_client_path(c, "https://evil.example/x"));
	assert_null(github_client_path(c, "http://api.github.com/x"));
	assert_null(github_client_path(c, "/app/hook/deliveries"));
	github_client_free(c);
	assert_non_null(
	    c = github_client_new("https://ghe.example/api/v3", "test"));
	assert_string_equal(
	    github_client_path(c,
	        "https://ghe.example/api/v3/app/hook/deliveries"),
	    "/app/hook/deliveries");
	assert_null(github_client_path(c, "https://ghe.example/api/v30/x"));
	github_client_free(c);
}

static void
github_call_reads_link_next(void **state)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "link: <https://api.github.com/app/hook/deliveries?per_page=2>; "
	    "rel=\"first\"\r\n"
	    "Link: <https://api.github.com/app/hook/deliveries?per_page=2&"
	    "cursor=v1_7>; rel=\"next\"\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\n[]";
	static const char last[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	                           "Connection: close\r\n\r\n[]";
	static const char bad[] =
	    "HTTP/1.1 200 OK\r\nLink: <https://x/y; rel=next\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\n[]";
	static const char error[] =
	    "HTTP/1.1 500 Internal Server Error\r\n"
	    "Link: <https://x/y; rel=next\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
	struct canned s;
	struct github_call call;

	(void)state;
	canned_call(&s, resp, 0, true, &call);
	assert_int_equal(call.resp.status, 200);
	assert_string_equal(call.resp.link_next,
	    "https://api.github.com/app/hook/deliveries?per_page=2&cursor=v1_7");
	assert_string_equal(call.resp.body.buf, "[]");
	github_response_release(&call.resp);
	assert_null(call.resp.link_next);

	canned_call(&s, last, 0, true, &call);
	assert_int_equal(call.resp.status, 200);
	assert_null(call.resp.link_next);
	github_response_release(&call.resp);

	/* A 2xx page whose next page cannot be found is not a last page. */
	canned_call(&s, bad, 0, true, &call);
	assert_int_equal(call.resp.status, 0);
	assert_string_equal(call.resp.error,
	    "malformed or oversized Link header");
	assert_null(call.resp.link_next);
	assert_null(call.resp.body.buf);
	github_response_release(&call.resp);

	canned_call(&s, error, 0, false, &call);
	assert_int_equal(call.resp.status, 500);
	assert_null(call.resp.link_next);
	github_response_release(&call.resp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(github_base64url_rfc4648_vectors),
		cmocka_unit_test(github_base64url_url_alphabet),
		cmocka_unit_test(github_base64url_rfc7515_vectors),
		cmocka_unit_test(github_base64url_round_trip),
		cmocka_unit_test(github_base64url_decode_is_strict),
		cmocka_unit_test(github_jwt_has_three_unpadded_parts),
		cmocka_unit_test(github_jwt_header_and_claims),
		cmocka_unit_test(github_jwt_signature_verifies),
		cmocka_unit_test(github_app_load_reads_pkcs1_and_pkcs8),
		cmocka_unit_test(github_app_load_refuses_bad_keys),
		cmocka_unit_test(github_client_is_https_only),
		cmocka_unit_test(github_call_sends_headers_and_reads_message),
		cmocka_unit_test(github_call_wipes_success_body),
		cmocka_unit_test(github_call_caps_response_size),
		cmocka_unit_test(github_call_reports_transport_error),
		cmocka_unit_test(github_link_next_table),
		cmocka_unit_test(github_client_path_stays_under_base),
		cmocka_unit_test(github_call_reads_link_next),
	};

	return cmocka_run_group_tests_name("github", tests, group_setup,
	    group_teardown);
}
