/* SPDX-License-Identifier: MIT */
/*
 * fake_proxy: a loopback listener that stands in for an HTTP proxy and
 * records whatever reaches it, so that a test can show a program sent
 * nothing there.  Every connection appends "connection" and then the
 * first line it sent (the request line: "GET http://... HTTP/1.1") to
 * FILE, and is answered 502.  A test tool: one connection at a time.
 *
 * usage: fake_proxy --log FILE
 *
 * Prints "fake_proxy: listening on 127.0.0.1:PORT" once it accepts.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"

static const char reply[] = "HTTP/1.1 502 Bad Gateway\r\n"
                            "Content-Length: 0\r\nConnection: close\r\n\r\n";

/* Record the first line 'fd' sends into 'logfd', then answer 502. */
static void
serve(int fd, int logfd)
{
	char line[1024];
	size_t len = 0;
	ssize_t n;

	(void)!write(logfd, "connection\n", 11);
	while (len < sizeof(line) - 1 &&
	    (n = read(fd, line + len, sizeof(line) - 1 - len)) > 0) {
		len += (size_t)n;
		if (memchr(line, '\n', len) != NULL)
			break;
	}
	if (len > 0) {
		line[len] = '\0';
		len = strcspn(line, "\r\n");
		line[len++] = '\n';
		(void)!write(logfd, line, len);
	}
	(void)!write(fd, reply, sizeof(reply) - 1);
}

int
main(int argc, char *argv[])
{
	int lfd, fd, logfd, port;

	if (argc != 3 || strcmp(argv[1], "--log") != 0) {
		fprintf(stderr, "usage: fake_proxy --log FILE\n");
		return 2;
	}
	if ((logfd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	         0644)) == -1) {
		fprintf(stderr, "fake_proxy: %s: %s\n", argv[2],
		    strerror(errno));
		return 1;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if ((lfd = support_listen("fake_proxy", 0, 64, &port)) == -1)
		return 1;
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "fake_proxy: accept: %s\n",
			    strerror(errno));
			return 1;
		}
		serve(fd, logfd);
		(void)close(fd);
	}
}
