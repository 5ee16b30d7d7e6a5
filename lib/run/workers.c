/* SPDX-License-Identifier: MIT */
/*
 * Pre-forked workers: fork them, restart any that dies, and on SIGTERM or
 * SIGINT pass the signal on and wait for each to drain and exit.
 */
#include "run/workers.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static volatile sig_atomic_t http_stop;
static volatile sig_atomic_t http_child_died;

static void
on_stop(int sig)
{
	(void)sig;
	http_stop = 1;
}

static void
on_child(int sig)
{
	(void)sig;
	http_child_died = 1;
}

/*
 * Fork one worker.  Returns its pid in the parent, 0 in the child, -1.
 * The child gets 'old' as its signal mask with SIGTERM and SIGINT still
 * blocked: they stay pending, for its stop descriptor (http_worker_init()).
 */
static pid_t
spawn_worker(const sigset_t *old)
{
	pid_t pid = fork();

	if (pid == -1)
		log_warnx("%s: fork: %s", __func__, strerror(errno));
	if (pid == 0) {
		struct sigaction sa;
		sigset_t mask = *old;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		(void)sigaction(SIGTERM, &sa, NULL);
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGCHLD, &sa, NULL);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGINT);
		(void)sigprocmask(SIG_SETMASK, &mask, NULL);
	}
	return pid;
}

int
workers_run(int n, const char *sockpath)
{
	static pid_t pids[WORKERS_MAX];
	sigset_t block, old;
	struct sigaction sa;
	time_t last_restart = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	(void)sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &block, &old);

	for (int i = 0; i < n; i++)
		if ((pids[i] = spawn_worker(&old)) == 0)
			return 0;
	while (!http_stop) {
		pid_t pid;
		int status;

		if (!http_child_died)
			sigsuspend(&old);
		http_child_died = 0;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (int i = 0; i < n; i++) {
				if (pids[i] != pid)
					continue;
				pids[i] = -1;
				if (http_stop)
					break;
				log_warnx("worker %ld exited (status %d), "
				          "restarting",
				    (long)pid, status);
				/* A worker that dies at once is not respun hot.
				 */
				if (time(NULL) - last_restart < 1)
					(void)sleep(1);
				last_restart = time(NULL);
				if ((pids[i] = spawn_worker(&old)) == 0)
					return 0;
			}
		}
	}
	/* Each worker drains what it holds (http_accept()), then exits. */
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			(void)kill(pids[i], SIGTERM);
	for (int i = 0; i < n; i++)
		while (pids[i] > 0 && waitpid(pids[i], NULL, 0) == -1 &&
		    errno == EINTR)
			;
	if (sockpath != NULL)
		(void)unlink(sockpath);
	return 1;
}
