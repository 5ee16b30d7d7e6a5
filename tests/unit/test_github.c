/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/github: the client, its errors and Link pagination. */
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

#include "core/json.h"
#include "core/str.h"
#include "net/github.h"

static void
github_client_is_https_only(void **state)
{
	static const char *const good[] = { "https://api.github.com",
		"https://ghe.example.com/api/v3/", "http://127.0.0.1",
		"http://127.0.0.1:8080", "http://127.0.0.1/api",
		/* The one URL rule of lib/httpc: every loopback host. */
		"http://localhost:8080", "http://[::1]:8080" };
	static const char *const bad[] = { "http://api.github.com",
		"http://127.0.0.1.example.com", "ftp://127.0.0.1",
		"file:///etc/passwd", "",
		/* Issue 12, finding 4: user info, not a port. */
		"http://127.0.0.1:1@evil.example", "https://x@api.github.com",
		"https://api.github.com/?a=b" };
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
	int lfd;
	int port;
	const char *response;
	char request[8192];
	pthread_t thread;
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
		github_client_set_limits(c, 5000, cap);
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
		const char *value;
		int rc;
		const char *url;
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
		cmocka_unit_test(github_client_is_https_only),
		cmocka_unit_test(github_call_sends_headers_and_reads_message),
		cmocka_unit_test(github_call_wipes_success_body),
		cmocka_unit_test(github_call_caps_response_size),
		cmocka_unit_test(github_call_reports_transport_error),
		cmocka_unit_test(github_link_next_table),
		cmocka_unit_test(github_client_path_stays_under_base),
		cmocka_unit_test(github_call_reads_link_next),
	};

	return cmocka_run_group_tests_name("github", tests, NULL, NULL);
}
