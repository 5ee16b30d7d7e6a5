/* SPDX-License-Identifier: MIT */
/*
 * Pre-forked workers: fork them, restart any that dies, and on SIGTERM or
 * SIGINT pass the signal on and wait for each to drain and exit.
 */
#ifndef INSTLOG_WORKERS_H
#define INSTLOG_WORKERS_H

/* The most workers of one binary (-w). */
#define WORKERS_MAX 64

/*
 * Fork 'n' workers (1..WORKERS_MAX) and supervise them: restart any that
 * exits (not faster than once a second), and on SIGTERM or SIGINT send
 * each SIGTERM and wait for it (a worker drains what it holds first:
 * lib/net/http.h), then remove 'sockpath' (NULL: a socket this process
 * did not make).  A worker starts with SIGTERM and SIGINT blocked, for
 * http_worker_init()'s stop descriptor.  Returns 0 in a fresh worker; 1
 * in the supervisor once its workers have exited.
 */
int workers_run(int n, const char *sockpath);

#endif
