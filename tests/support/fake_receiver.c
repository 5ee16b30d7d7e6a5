/* SPDX-License-Identifier: MIT */
/*
 * fake_receiver: a loopback stand-in for a notification sink (the JSON
 * gateway or a Slack incoming webhook).  With --secret-file it verifies
 * X-Instlog-Signature-256 over the raw body with lib/auth's constant-time
 * check and answers 401 to a missing or wrong one.  Each request it
 * accepts is answered 200 and appended to FILE as one JSON line:
 * {"path","event_id","signature","content_type","body"} (body: the raw
 * body as a string).  When --status-file names a file that exists, every
 * request is answered with the status it holds (e.g. 500) and not
 * recorded.  "Down" is the process stopped.  A test tool: one connection
 * at a time, 127.0.0.1 only, Connection: close.
 *
 * usage: fake_receiver --log FILE [--port N] [--secret-file FILE]
 *            [--status-file FILE]
 *
 * Prints "fake_receiver: listening on 127.0.0.1:PORT" once it accepts
 * (--port 0, the default, picks a free port), then one line per request:
 * "POST /path status=N event_id=...".
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/config.h"
#include "core/json.h"
#include "core/str.h"
#include "listen.h"

#define MAX_HEAD (64 * 1024)
#define MAX_BODY (1024 * 1024)

static struct {
	int logfd;
	const char *status_file;
	struct config_secret secret;
} rcv;

/*
 * The value of header 'name' in the request head 'head' (CRLF lines,
 * NUL-terminated), copied into 'out' of 'size' bytes; NULL when absent
 * or too long.
 */
static const char *
head_value(const char *head, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name), vlen;
	const char *p, *eol;

	for (p = strstr(head, "\r\n"); p != NULL; p = eol) {
		p += 2;
		if ((eol = strstr(p, "\r\n")) == NULL || eol == p)
			break;
		if (strncasecmp(p, name, nlen) != 0 || p[nlen] != ':')
			continue;
		for (p += nlen + 1; *p == ' ' || *p == '\t'; p++)
			;
		if ((vlen = (size_t)(eol - p)) >= size)
			return NULL;
		memcpy(out, p, vlen);
		out[vlen] = '\0';
		return out;
	}
	return NULL;
}

/* The status --status-file holds, or 0 when it does not exist. */
static int
forced_status(void)
{
	char text[16];
	int64_t v;
	size_t n;
	FILE *f;

	if (rcv.status_file == NULL ||
	    (f = fopen(rcv.status_file, "r")) == NULL)
		return 0;
	n = fread(text, 1, sizeof(text) - 1, f);
	(void)fclose(f);
	text[n] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	return parse_int64(text, 200, 599, &v) == 0 ? (int)v : 500;
}

/* Append the accepted request to the log as one JSON line. */
static void
record(const char *path, const char *head, const char *body)
{
	struct json_writer w;
	struct buf line;
	char id[256], sig[256], ctype[256];

	buf_init(&line);
	json_writer_init(&w, &line);
	json_open_object(&w);
	json_member_string(&w, "path", path);
	json_member_string(&w, "event_id",
	    head_value(head, "X-Instlog-Event-ID", id, sizeof(id)));
	json_member_string(&w, "signature",
	    head_value(head, "X-Instlog-Signature-256", sig, sizeof(sig)));
	json_member_string(&w, "content_type",
	    head_value(head, "Content-Type", ctype, sizeof(ctype)));
	json_member_string(&w, "body", body);
	json_close_object(&w);
	if (json_writer_finish(&w) == 0 && buf_puts(&line, "\n") == 0)
		(void)!write(rcv.logfd, line.buf, line.len);
	buf_release(&line);
}

/* Read one request from 'fd' and answer it. */
static void
serve(int fd)
{
	char method[16], path[1024], value[256];
	struct buf in;
	char chunk[8192], *end = NULL, reply[128];
	size_t head = 0;
	int64_t clen = 0;
	ssize_t n;
	int status = 400;

	buf_init(&in);
	for (;;) {
		if (end == NULL && in.buf != NULL &&
		    (end = strstr(in.buf, "\r\n\r\n")) != NULL) {
			head = (size_t)(end - in.buf) + 4;
			if (head_value(in.buf, "Content-Length", value,
			        sizeof(value)) != NULL &&
			    parse_int64(value, 0, MAX_BODY, &clen) == -1)
				goto answer;
		}
		if (end != NULL && in.len >= head + (size_t)clen)
			break;
		if (end == NULL && in.len > MAX_HEAD)
			goto answer;
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || buf_append(&in, chunk, (size_t)n) == -1)
			goto out;
	}
	if (sscanf(in.buf, "%15s %1023s", method, path) != 2)
		goto answer;
	in.buf[head - 2] = '\0'; /* the head ends at its last CRLF */
	if ((status = forced_status()) != 0)
		goto answer;
	status = 401;
	if (rcv.secret.buf != NULL &&
	    auth_hmac_verify(&rcv.secret,
	        head_value(in.buf, "X-Instlog-Signature-256", value,
	            sizeof(value)),
	        in.buf + head, (size_t)clen) == -1)
		goto answer;
	status = strcmp(method, "POST") == 0 ? 200 : 405;
	if (status == 200)
		record(path, in.buf, in.buf + head);
answer:
	n = snprintf(reply, sizeof(reply),
	    "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\nok",
	    status);
	(void)!write(fd, reply, (size_t)n);
	printf("%s %s status=%d event_id=%s\n", end != NULL ? method : "-",
	    end != NULL ? path : "-", status,
	    end != NULL &&
	            head_value(in.buf, "X-Instlog-Event-ID", value,
	                sizeof(value)) != NULL
	        ? value
	        : "-");
	(void)fflush(stdout);
out:
	buf_release(&in);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: fake_receiver --log FILE [--port N] "
	    "[--secret-file FILE] [--status-file FILE]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	int64_t port = 0;
	int lfd, fd, bound;

	rcv.logfd = -1;
	for (int i = 1; i < argc; i += 2) {
		const char *opt = argv[i], *val;

		if (i + 1 == argc)
			usage();
		val = argv[i + 1];
		if (strcmp(opt, "--port") == 0) {
			if (parse_int64(val, 0, 65535, &port) == -1)
				usage();
		} else if (strcmp(opt, "--log") == 0) {
			rcv.logfd = open(val,
			    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (rcv.logfd == -1) {
				fprintf(stderr, "fake_receiver: %s: %s\n", val,
				    strerror(errno));
				return 1;
			}
		} else if (strcmp(opt, "--secret-file") == 0) {
			if (setenv("FAKE_RECEIVER_SECRET_FILE", val, 1) == -1 ||
			    config_secret_load("FAKE_RECEIVER_SECRET",
			        &rcv.secret) == -1 ||
			    rcv.secret.buf == NULL)
				return 2;
		} else if (strcmp(opt, "--status-file") == 0) {
			rcv.status_file = val;
		} else
			usage();
	}
	if (rcv.logfd == -1)
		usage();

	(void)signal(SIGPIPE, SIG_IGN);
	if ((lfd = support_listen("fake_receiver", (uint16_t)port, 64,
	         &bound)) == -1)
		return 1;
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "fake_receiver: accept: %s\n",
			    strerror(errno));
			return 1;
		}
		serve(fd);
		(void)close(fd);
	}
}
