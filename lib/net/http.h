/* SPDX-License-Identifier: MIT */
/* FastCGI: the socket, a worker's request threads, requests, responses. */
#ifndef INSTLOG_HTTP_H
#define INSTLOG_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <fcgiapp.h>

#include "core/str.h"

/* A listening FastCGI socket and the request slot of this process. */
struct http {
	int sock;
	FCGX_Request fcgi;
	bool in_request;
	bool cgi; /* plain CGI: one request, environ and stdio */
	bool cgi_done;
	int stopfd;   /* the worker's: readable once it is told to stop */
	int epfd;     /* this thread's wait: the listening socket, stopfd */
	bool serving; /* epfd and fcgi are set up (a worker's thread) */
};

/* One accepted request; its strings are borrowed from the FastCGI record. */
struct http_request {
	struct http *http;
	const char *method;
	const char *path;  /* DOCUMENT_URI, or SCRIPT_NAME */
	const char *query; /* QUERY_STRING, "" when absent */
};

struct http_response {
	int status;
	const char *content_type;
	char extra[128]; /* one extra header line, or "" */
	struct buf body;
	bool streamed; /* answered by http_stream_begin(): http_send() skips */
};

/*
 * The whole request body must have arrived this long after
 * http_read_body() starts reading it; a body trickled slower is dropped,
 * so that nobody holds a worker by sending slowly (nginx passes a body on
 * at once, having buffered it).
 */
#define HTTP_BODY_DEADLINE_MS 10000

/*
 * Open the FastCGI socket: with 'sockpath' a Unix socket at that path (mode
 * 0660: the owner and the group, e.g. nginx's, in a 0750 directory);
 * without it the socket on descriptor 0, as spawn-fcgi and systemd socket
 * units pass it.  Run as a plain CGI program (GATEWAY_INTERFACE set,
 * descriptor 0 not a socket) it serves the one request of its environment
 * and standard input, then http_accept() ends the loop.  Returns 0, or -1
 * (logged).
 */
int http_open(struct http *http, const char *sockpath);

/*
 * Make this process a worker of the socket (after lib/run/workers.h forked
 * it): its first request slot, and its stop descriptor.  A worker told to
 * stop (SIGTERM or SIGINT, kept blocked since the fork) accepts nothing
 * more, closes its idle kept connections, and lets each request it holds
 * finish: http_accept() returns -1 in every thread once its request is
 * answered.  The listening socket stays open, so with a socket that
 * outlives the process (systemd's) new connections wait for the next one.
 * Returns 0, or -1 (logged).
 */
int http_worker_init(struct http *http);

/*
 * Set up 'to' to accept requests on the socket of 'from' (a worker's, from
 * http_worker_init()) in another thread: every thread has its own.  Returns 0,
 * or -1 (logged).
 */
int http_clone(const struct http *from, struct http *to);

/*
 * Wait for the next request and fill *req; thread-safe when each thread
 * has its own 'http'.  Returns 0, or -1 when the worker is stopping (or
 * the socket failed): the thread should end.  Release with
 * http_request_release() before the next call.
 */
int http_accept(struct http *http, struct http_request *req);

/* Close what http_worker_init() or http_clone() opened for this thread. */
void http_release(struct http *http);

/* Finish the request (NULL accepted). */
void http_request_release(struct http_request *req);

/* The CGI parameter 'name' (e.g. "HTTP_X_GITHUB_EVENT"), or NULL. */
const char *http_param(const struct http_request *req, const char *name);

/*
 * Read the request body into 'out', at most 'max' bytes, within
 * HTTP_BODY_DEADLINE_MS.  Returns 0, 1 when the body is larger than 'max'
 * (the rest is drained), or -1 on a read error or when the deadline
 * passed (logged).
 */
int http_read_body(const struct http_request *req, size_t max, struct buf *out);

/* Initialise a 200 application/json response with an empty body. */
void http_response_init(struct http_response *resp);

/* Free the body of 'resp' (NULL accepted). */
void http_response_release(struct http_response *resp);

/* Set 'resp' to 'status' with body {"error": message}. */
void http_error(struct http_response *resp, int status, const char *message);

/* Set 'resp' to 'status' with body {"NAME": true|false}. */
void http_reply_bool(struct http_response *resp, int status, const char *name,
    bool v);

/* Write 'resp' to the client of 'req', once. */
void http_send(struct http_request *req, const struct http_response *resp);

/*
 * Start a streamed answer (Server-Sent Events) instead of http_send():
 * read the request's body to its end, then write and flush a 200
 * text/event-stream header (no Content-Length, X-Accel-Buffering: no).
 * Returns 0, or -1 when the client is gone.
 */
int http_stream_begin(const struct http_request *req);

/*
 * Write 'len' bytes of 'p' to the streamed answer and flush them to nginx
 * at once (a FastCGI record each).  Returns 0, or -1 when the client is
 * gone.
 */
int http_stream_write(const struct http_request *req, const char *p,
    size_t len);

/*
 * The descriptor of the request's connection to nginx, to poll while a
 * streamed answer waits: after http_stream_begin() it turns readable (or
 * hangs up) only when nginx closed it, i.e. the client went away.  -1 in
 * plain CGI.
 */
int http_client_fd(const struct http_request *req);

/*
 * The worker's stop descriptor: readable once it is told to stop, when a
 * streamed answer should end (-1 in plain CGI).
 */
int http_stop_fd(const struct http_request *req);

#endif
