/* SPDX-License-Identifier: MIT */
/* FastCGI: the socket, a worker's request threads, requests, responses. */
#include "net/http.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "core/json.h"
#include "core/log.h"
#include "core/str.h"

/* Per thread: each has its own body deadline (a timer that signals it). */
static _Thread_local volatile sig_atomic_t http_body_late;
static _Thread_local timer_t http_body_timer;
static _Thread_local bool http_has_body_timer;

static bool
is_socket(int fd)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

/*
 * This thread's wait set: the listening socket, one waiter woken per
 * connection (EPOLLEXCLUSIVE), and the stop descriptor, every waiter.
 * Returns 0, or -1 (logged).
 */
static int
wait_set_new(struct http *http)
{
	struct epoll_event ev;

	if ((http->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_warnx("%s: epoll_create1: %s", __func__, strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = http->sock;
	if (epoll_ctl(http->epfd, EPOLL_CTL_ADD, http->sock, &ev) == -1)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.fd = http->stopfd;
	if (epoll_ctl(http->epfd, EPOLL_CTL_ADD, http->stopfd, &ev) == -1)
		goto fail;
	http->serving = true;
	return 0;
fail:
	log_warnx("%s: epoll_ctl: %s", __func__, strerror(errno));
	return -1;
}

/*
 * A worker's start: its stop descriptor (SIGTERM and SIGINT, blocked since
 * the fork, pending for good once sent: readable for every thread), and a
 * listening socket that never blocks accept() (threads wait in
 * wait_ready(), which also sees the stop).  Returns 0, or -1 (logged).
 */
static int
worker_start(struct http *http)
{
	sigset_t stop;
	int fl;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if ((http->stopfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK)) ==
	    -1) {
		log_warnx("%s: signalfd: %s", __func__, strerror(errno));
		return -1;
	}
	if ((fl = fcntl(http->sock, F_GETFL)) == -1 ||
	    fcntl(http->sock, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_warnx("%s: listening socket: %s", __func__,
		    strerror(errno));
		return -1;
	}
	return wait_set_new(http);
}

int
http_open(struct http *http, const char *sockpath)
{
	mode_t old;

	memset(http, 0, sizeof(*http));
	http->stopfd = http->epfd = -1;
	(void)signal(SIGPIPE, SIG_IGN);
	if (sockpath == NULL && getenv("GATEWAY_INTERFACE") != NULL &&
	    !is_socket(0)) {
		http->cgi = true;
		return 0;
	}
	if (FCGX_Init() != 0) {
		log_warnx("%s: FCGX_Init failed", __func__);
		return -1;
	}
	if (sockpath == NULL)
		return 0; /* descriptor 0 */
	(void)unlink(sockpath);
	/* Owner and group only, from the first moment. */
	old = umask(0117);
	http->sock = FCGX_OpenSocket(sockpath, 128);
	(void)umask(old);
	if (http->sock < 0) {
		log_warnx("%s: cannot listen on '%s': %s", __func__, sockpath,
		    strerror(errno));
		return -1;
	}
	if (chmod(sockpath, 0660) == -1) {
		log_warnx("%s: chmod '%s': %s", __func__, sockpath,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
http_worker_init(struct http *http)
{
	if (http->cgi)
		return 0;
	if (FCGX_InitRequest(&http->fcgi, http->sock, 0) != 0) {
		log_warnx("%s: FCGX_InitRequest failed", __func__);
		return -1;
	}
	return worker_start(http);
}

int
http_clone(const struct http *from, struct http *to)
{
	memset(to, 0, sizeof(*to));
	to->sock = from->sock;
	to->stopfd = from->stopfd;
	if (FCGX_InitRequest(&to->fcgi, to->sock, 0) != 0) {
		log_warnx("%s: FCGX_InitRequest failed", __func__);
		return -1;
	}
	return wait_set_new(to);
}

void
http_release(struct http *http)
{
	if (http == NULL || !http->serving)
		return;
	if (http->fcgi.ipcFd >= 0)
		FCGX_Free(&http->fcgi, 1);
	(void)close(http->epfd);
	http->epfd = -1;
	http->serving = false;
}

/* What wait_ready() saw. */
enum wait_seen {
	WAIT_STOP = 1 << 0,  /* the worker is told to stop */
	WAIT_KEPT = 1 << 1,  /* the kept connection has a request (or EOF) */
	WAIT_LISTEN = 1 << 2 /* a connection may be waiting to be accepted */
};

/*
 * Wait until this thread has something to read: on its kept connection
 * when it has one (nginx's fastcgi_keep_conn), else on the listening
 * socket; or until the worker is told to stop.  Returns a mask of enum
 * wait_seen, or -1 (logged).
 */
static int
wait_ready(struct http *http)
{
	struct epoll_event ev[2];
	struct pollfd pf[2];
	int n, seen = 0;

	for (;;) {
		if (http->fcgi.ipcFd >= 0) {
			pf[0].fd = http->fcgi.ipcFd;
			pf[1].fd = http->stopfd;
			pf[0].events = pf[1].events = POLLIN;
			pf[0].revents = pf[1].revents = 0;
			if ((n = poll(pf, 2, -1)) > 0) {
				if (pf[0].revents != 0)
					seen |= WAIT_KEPT;
				if (pf[1].revents != 0)
					seen |= WAIT_STOP;
				return seen;
			}
		} else if ((n = epoll_wait(http->epfd, ev, 2, -1)) > 0) {
			for (int i = 0; i < n; i++)
				seen |= ev[i].data.fd == http->stopfd
				    ? WAIT_STOP
				    : WAIT_LISTEN;
			return seen;
		}
		if (n == -1 && errno != EINTR) {
			log_warnx("%s: %s", __func__, strerror(errno));
			return -1;
		}
	}
}

/*
 * Accept the next request for this thread.  Returns 0, or -1 when the
 * worker stops (or the socket failed).  Stopping, a thread still takes
 * the request already sent on its kept connection (closing it after the
 * answer) but no new connection: those wait in the socket's queue for
 * the next process.
 */
static int
accept_next(struct http *http)
{
	int seen, rc;

	for (;;) {
		if ((seen = wait_ready(http)) == -1)
			return -1;
		if ((seen & WAIT_STOP) && !(seen & WAIT_KEPT)) {
			http_release(http);
			return -1;
		}
		/* A non-blocking accept(): another thread may be first. */
		rc = FCGX_Accept_r(&http->fcgi);
		if (rc >= 0) {
			if (seen & WAIT_STOP)
				http->fcgi.keepConnection = 0;
			return 0;
		}
		if (rc != -EAGAIN && rc != -EWOULDBLOCK && rc != -EINTR) {
			log_warnx("%s: FCGX_Accept_r: %d", __func__, rc);
			return -1;
		}
	}
}

int
http_accept(struct http *http, struct http_request *req)
{
	const char *v;

	memset(req, 0, sizeof(*req));
	if (http->cgi) {
		if (http->cgi_done)
			return -1;
		http->cgi_done = true;
	} else if (accept_next(http) == -1)
		return -1;
	http->in_request = true;
	req->http = http;
	v = http_param(req, "REQUEST_METHOD");
	req->method = v != NULL ? v : "";
	v = http_param(req, "DOCUMENT_URI");
	if (v == NULL)
		v = http_param(req, "SCRIPT_NAME");
	req->path = v != NULL ? v : "";
	v = http_param(req, "QUERY_STRING");
	req->query = v != NULL ? v : "";
	return 0;
}

void
http_request_release(struct http_request *req)
{
	if (req == NULL || req->http == NULL)
		return;
	if (req->http->in_request && req->http->cgi)
		(void)fflush(stdout);
	else if (req->http->in_request)
		FCGX_Finish_r(&req->http->fcgi);
	req->http->in_request = false;
	req->http = NULL;
}

const char *
http_param(const struct http_request *req, const char *name)
{
	if (req->http->cgi)
		return getenv(name);
	return FCGX_GetParam(name, req->http->fcgi.envp);
}

/* http_read_body() for plain CGI: CONTENT_LENGTH bytes of stdin. */
static int
read_body_stdin(const struct http_request *req, size_t max, struct buf *out)
{
	char chunk[16384];
	int64_t want = 0;
	size_t n;
	const char *cl = http_param(req, "CONTENT_LENGTH");

	if (cl != NULL && *cl != '\0' &&
	    parse_int64(cl, 0, INT64_MAX, &want) == -1)
		return -1;
	if ((uint64_t)want > max)
		return 1;
	while (want > 0 &&
	    (n = fread(chunk, 1,
	         (size_t)want < sizeof(chunk) ? (size_t)want : sizeof(chunk),
	         stdin)) > 0) {
		if (buf_append(out, chunk, n) == -1)
			return -1;
		want -= (int64_t)n;
	}
	if (want > 0 || (out->buf == NULL && buf_append(out, "", 0) == -1))
		return -1;
	return 0;
}

static void
on_alarm(int sig)
{
	(void)sig;
	http_body_late = 1;
}

/*
 * Arm (ms > 0) or disarm (0) the body read deadline of this thread: a
 * timer signals SIGALRM to this thread alone, and the handler, installed
 * without SA_RESTART, makes the read() libfcgi is blocked in fail.
 */
static void
body_deadline(int ms)
{
	struct sigaction sa;
	struct sigevent sev;
	struct itimerspec it;

	memset(&it, 0, sizeof(it));
	if (ms > 0 && !http_has_body_timer) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		(void)sigaction(SIGALRM, &sa, NULL);
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = SIGALRM;
		sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
		if (timer_create(CLOCK_MONOTONIC, &sev, &http_body_timer) ==
		    -1) {
			log_warnx("%s: timer_create: %s", __func__,
			    strerror(errno));
			return;
		}
		http_has_body_timer = true;
	}
	if (!http_has_body_timer)
		return;
	if (ms > 0) {
		http_body_late = 0;
		it.it_value.tv_sec = ms / 1000;
		it.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	}
	(void)timer_settime(http_body_timer, 0, &it, NULL);
}

int
http_read_body(const struct http_request *req, size_t max, struct buf *out)
{
	char chunk[16384];
	int n, rc = -1;
	int over = 0;

	if (req->http->cgi)
		return read_body_stdin(req, max, out);
	body_deadline(HTTP_BODY_DEADLINE_MS);
	while (
	    (n = FCGX_GetStr(chunk, sizeof(chunk), req->http->fcgi.in)) > 0) {
		if (over || out->len + (size_t)n > max) {
			over = 1;
			continue;
		}
		if (buf_append(out, chunk, (size_t)n) == -1)
			goto out;
	}
	if (FCGX_GetError(req->http->fcgi.in) != 0) {
		if (http_body_late) {
			log_warnx("%s: body not read within %d ms: dropped",
			    __func__, HTTP_BODY_DEADLINE_MS);
			/*
			 * libfcgi's close reads on until the sender stops
			 * for 2 s: stop reading now, so that it cannot.
			 */
			(void)shutdown(req->http->fcgi.ipcFd, SHUT_RD);
		}
		goto out;
	}
	if (out->buf == NULL && buf_append(out, "", 0) == -1)
		goto out;
	rc = over;
out:
	body_deadline(0);
	return rc;
}

void
http_response_init(struct http_response *resp)
{
	resp->status = 200;
	resp->content_type = "application/json";
	resp->extra[0] = '\0';
	resp->streamed = false;
	buf_init(&resp->body);
}

void
http_response_release(struct http_response *resp)
{
	if (resp == NULL)
		return;
	buf_release(&resp->body);
}

void
http_error(struct http_response *resp, int status, const char *message)
{
	struct json_writer w;

	resp->status = status;
	buf_reset(&resp->body);
	json_writer_init(&w, &resp->body);
	json_open_object(&w);
	json_member_string(&w, "error", message);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_puts(&resp->body, "\n") == -1)
		buf_reset(&resp->body);
}

void
http_reply_bool(struct http_response *resp, int status, const char *name,
    bool v)
{
	struct json_writer w;

	resp->status = status;
	buf_reset(&resp->body);
	json_writer_init(&w, &resp->body);
	json_open_object(&w);
	json_put_key(&w, name);
	json_put_bool(&w, v);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 || buf_puts(&resp->body, "\n") == -1)
		http_error(resp, 500, "internal error");
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Payload Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return status >= 500 ? "Internal Server Error" : "Error";
	}
}

void
http_send(struct http_request *req, const struct http_response *resp)
{
	FCGX_Stream *out = req->http->fcgi.out;
	char head[512];
	int n;

	if (resp->streamed)
		return;
	/* libfcgi's own printf knows no %zu: format the header here. */
	n = snprintf(head, sizeof(head),
	    "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Cache-Control: no-store\r\nContent-Length: %zu\r\n%s%s\r\n",
	    resp->status, status_text(resp->status), resp->content_type,
	    resp->body.len, resp->extra, resp->extra[0] != '\0' ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	if (req->http->cgi) {
		(void)fwrite(head, 1, (size_t)n, stdout);
		(void)fwrite(resp->body.buf == NULL ? "" : resp->body.buf, 1,
		    resp->body.len, stdout);
		return;
	}
	(void)FCGX_PutStr(head, n, out);
	if (resp->body.len > 0)
		(void)FCGX_PutStr(resp->body.buf, (int)resp->body.len, out);
}

int
http_stream_begin(const struct http_request *req)
{
	static const char head[] = "Status: 200 OK\r\n"
	                           "Content-Type: text/event-stream\r\n"
	                           "Cache-Control: no-store\r\n"
	                           "X-Accel-Buffering: no\r\n\r\n";
	struct buf none;

	/* The (empty) body read to its end: from now on the connection is
	 * readable only when nginx closes it. */
	buf_init(&none);
	if (http_read_body(req, 0, &none) != 0) {
		buf_release(&none);
		return -1;
	}
	buf_release(&none);
	return http_stream_write(req, head, sizeof(head) - 1);
}

int
http_stream_write(const struct http_request *req, const char *p, size_t len)
{
	FCGX_Stream *out = req->http->fcgi.out;

	if (req->http->cgi) {
		if (fwrite(p, 1, len, stdout) != len || fflush(stdout) != 0)
			return -1;
		return 0;
	}
	if (len > 0 && FCGX_PutStr(p, (int)len, out) != (int)len)
		return -1;
	if (FCGX_FFlush(out) != 0 || FCGX_GetError(out) != 0)
		return -1;
	return 0;
}

int
http_client_fd(const struct http_request *req)
{
	return req->http->cgi ? -1 : req->http->fcgi.ipcFd;
}

int
http_stop_fd(const struct http_request *req)
{
	return req->http->cgi ? -1 : req->http->stopfd;
}
