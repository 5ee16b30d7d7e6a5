/* SPDX-License-Identifier: MIT */
/*
 * sock_hold PATH PROGRAM [ARG...]: what systemd's socket unit does for a
 * route, for the tests.  Listen on the Unix socket PATH (mode 0660) and run
 * PROGRAM with that socket as its standard input; on SIGHUP stop the
 * running PROGRAM (SIGTERM) and, once it has exited, start a new one on
 * the same socket (`systemctl restart`): the socket never closes, so the
 * connections made meanwhile wait in its queue.  SIGTERM stops PROGRAM,
 * then sock_hold.  Prints "sock_hold: started PID" for every PROGRAM it
 * starts, and "sock_hold: exited PID STATUS" when one ends.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t hold_restart, hold_stop;

static void
on_hup(int sig)
{
	(void)sig;
	hold_restart = 1;
}

static void
on_term(int sig)
{
	(void)sig;
	hold_stop = 1;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "sock_hold: path too long: '%s'\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, 128) == -1) {
		fprintf(stderr, "sock_hold: '%s': %s\n", path, strerror(errno));
		return -1;
	}
	return fd;
}

/* Start PROGRAM on the socket.  Returns its pid, or -1. */
static pid_t
start(int sock, char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)signal(SIGHUP, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		if (dup2(sock, 0) == -1)
			_exit(127);
		(void)close(sock);
		execv(argv[0], argv);
		fprintf(stderr, "sock_hold: exec '%s': %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		printf("sock_hold: started %ld\n", (long)pid);
	(void)fflush(stdout);
	return pid;
}

/* Stop 'pid' with SIGTERM and wait for it. */
static void
stop(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	(void)kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	printf("sock_hold: exited %ld %d\n", (long)pid, status);
	(void)fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t block, old;
	pid_t pid;
	int sock;

	if (argc < 3) {
		fprintf(stderr, "usage: sock_hold PATH PROGRAM [ARG...]\n");
		return 2;
	}
	if ((sock = listen_unix(argv[1])) == -1)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	(void)sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_term;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &block, &old);
	if ((pid = start(sock, argv + 2)) == -1)
		return 1;
	while (!hold_stop) {
		(void)sigsuspend(&old);
		if (hold_restart && !hold_stop) {
			hold_restart = 0;
			stop(pid);
			if ((pid = start(sock, argv + 2)) == -1)
				return 1;
		}
	}
	stop(pid);
	(void)unlink(argv[1]);
	return 0;
}
