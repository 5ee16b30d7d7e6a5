/* SPDX-License-Identifier: MIT */
/* The test stand-ins' listening socket on 127.0.0.1 (header only). */
#ifndef INSTLOG_TEST_LISTEN_H
#define INSTLOG_TEST_LISTEN_H

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Listen on 127.0.0.1:'port' (0: a free port) with 'backlog', then print
 * "PROG: listening on 127.0.0.1:PORT" on stdout, which the tests wait
 * for.  Sets *bound to the port.  Returns the socket, or -1 after a line
 * on stderr.
 */
static int
support_listen(const char *prog, uint16_t port, int backlog, int *bound)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	        -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, backlog) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) == -1) {
		fprintf(stderr, "%s: listen: %s\n", prog, strerror(errno));
		return -1;
	}
	*bound = ntohs(sin.sin_port);
	printf("%s: listening on 127.0.0.1:%d\n", prog, *bound);
	(void)fflush(stdout);
	return fd;
}

#endif
