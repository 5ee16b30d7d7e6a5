/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/metrics: the shared counter file. */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/metrics.h"

struct fixture {
	char dir[64];
	char path[96];
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	(void)snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_metrics.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	(void)snprintf(fx->path, sizeof(fx->path), "%s/metrics", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	(void)unlink(fx->path);
	(void)rmdir(fx->dir);
	free(fx);
	return 0;
}

/* The cells of a table as "row/col=n;" text, in foreach order. */
struct dump {
	char text[8192];
	size_t len;
};

static int
dump_cell(const char *row, const char *col, uint64_t n, void *arg)
{
	struct dump *d = arg;
	int w;

	w = snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s/%s=%llu;",
	    row, col, (unsigned long long)n);
	assert_true(w > 0 && (size_t)w < sizeof(d->text) - d->len);
	d->len += (size_t)w;
	return 0;
}

static const char *
dump(const struct metrics *m, enum metrics_table t, struct dump *d)
{
	d->len = 0;
	d->text[0] = '\0';
	assert_int_equal(metrics_table_foreach(m, t, dump_cell, d), 0);
	return d->text;
}

static void
metrics_counts_and_survives_reopen(void **state)
{
	struct fixture *fx = *state;
	struct metrics *m, *m2;
	struct dump d;
	struct stat st;

	assert_non_null(m = metrics_open(fx->path));
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_string_equal(dump(m, METRICS_DELIVERIES, &d), "");
	metrics_add(m, METRICS_DELIVERIES, "ping", "ok", 1);
	metrics_add(m, METRICS_DELIVERIES, "workflow_job", "job_stored", 2);
	metrics_add(m, METRICS_DELIVERIES, "ping", "ok", 3);
	metrics_add(m, METRICS_DELIVERIES, "ping", "spooled", 1);
	metrics_add(m, METRICS_NOTIFICATIONS, "slack", "sent", 5);
	metrics_inc(m, METRICS_SIGNATURE_FAILURES);

	/*
	 * A second handle while the first is mapped (a worker starting
	 * while /metrics holds the file): the lock taken to open is not
	 * held any more, and both see the same counters.  SIGALRM ends
	 * the test if opening waits for the lock.
	 */
	(void)alarm(10);
	assert_non_null(m2 = metrics_open(fx->path));
	(void)alarm(0);
	metrics_inc(m2, METRICS_SIGNATURE_FAILURES);
	metrics_close(m2);
	metrics_close(m);

	/* A restarted worker maps the same counters. */
	assert_non_null(m = metrics_open(fx->path));
	assert_string_equal(dump(m, METRICS_DELIVERIES, &d),
	    "ping/ok=4;ping/spooled=1;workflow_job/job_stored=2;");
	assert_string_equal(dump(m, METRICS_NOTIFICATIONS, &d),
	    "slack/sent=5;");
	assert_int_equal(metrics_counter(m, METRICS_SIGNATURE_FAILURES), 2);
	metrics_close(m);
}

/* Hostile event names cannot grow the table past its rows. */
static void
metrics_bounded_by_other(void **state)
{
	struct fixture *fx = *state;
	struct metrics *m;
	struct dump d;
	char name[32], want[64];

	assert_non_null(m = metrics_open(fx->path));
	for (int i = 0; i < METRICS_ROWS + 40; i++) {
		(void)snprintf(name, sizeof(name), "e%03d", i);
		metrics_add(m, METRICS_DELIVERIES, name, "ok", 1);
	}
	metrics_add(m, METRICS_DELIVERIES, "bad name", "ok", 1);
	metrics_add(m, METRICS_DELIVERIES, "", "ok", 1);
	metrics_add(m, METRICS_DELIVERIES, NULL, "ok", 1);
	metrics_add(m, METRICS_DELIVERIES, "ping\n", "ok", 1);
	metrics_add(m, METRICS_DELIVERIES,
	    "a2345678901234567890123456789012345678901234567890123456789012345",
	    "ok", 1);
	metrics_add(m, METRICS_DELIVERIES, "e000", "x\"y", 1);
	dump(m, METRICS_DELIVERIES, &d);
	/* Row 0 is "other": 40 overflowing names + 5 malformed. */
	(void)snprintf(want, sizeof(want),
	    "other/ok=%d;e000/other=1;e000/ok=1;", 40 + 1 + 5);
	assert_memory_equal(d.text, want, strlen(want));
	(void)snprintf(want, sizeof(want), "e%03d/ok=1;", METRICS_ROWS - 2);
	assert_non_null(strstr(d.text, want));
	(void)snprintf(want, sizeof(want), "e%03d/", METRICS_ROWS - 1);
	assert_null(strstr(d.text, want));
	metrics_close(m);
}

/* A file of another layout (an older build) is replaced, not misread. */
static void
metrics_replaces_other_layout(void **state)
{
	struct fixture *fx = *state;
	struct metrics *m;
	struct dump d;
	int fd;

	fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ILMETRIC\0\0\0\0", 12), 12);
	assert_int_equal(close(fd), 0);
	assert_non_null(m = metrics_open(fx->path));
	assert_string_equal(dump(m, METRICS_DELIVERIES, &d), "");
	metrics_add(m, METRICS_DELIVERIES, "ping", "ok", 1);
	assert_string_equal(dump(m, METRICS_DELIVERIES, &d), "ping/ok=1;");
	metrics_close(m);
	assert_null(metrics_open("/nonexistent/dir/metrics"));
	metrics_add(NULL, METRICS_DELIVERIES, "ping", "ok", 1);
	metrics_inc(NULL, METRICS_SIGNATURE_FAILURES);
	metrics_close(NULL);
}

#define PROCS 6
#define ADDS  20000

/*
 * Several processes open the file at once and add to the same and to new
 * cells while naming rows concurrently: the sums are exact.
 */
static void
metrics_concurrent_processes_sum_exactly(void **state)
{
	static const char *const events[] = { "ping", "installation",
		"workflow_job", "installation_repositories", "e4", "e5", "e6",
		"e7" };
	struct fixture *fx = *state;
	struct metrics *m;
	struct dump d;
	pid_t pids[PROCS];
	int status;
	size_t cells = 0;

	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			struct metrics *cm = metrics_open(fx->path);

			if (cm == NULL)
				_exit(1);
			for (int i = 0; i < ADDS; i++) {
				metrics_add(cm, METRICS_DELIVERIES,
				    events[(i + p) % 8],
				    (i / 8) % 2 ? "ok" : "job_stored", 1);
				metrics_inc(cm, METRICS_SIGNATURE_FAILURES);
			}
			metrics_close(cm);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_non_null(m = metrics_open(fx->path));
	assert_int_equal(metrics_counter(m, METRICS_SIGNATURE_FAILURES),
	    PROCS * ADDS);
	dump(m, METRICS_DELIVERIES, &d);
	/* Each event got ADDS/8 of each outcome from every process. */
	for (size_t e = 0; e < 8; e++) {
		char cell[128];

		(void)snprintf(cell, sizeof(cell), "%s/ok=%d;", events[e],
		    PROCS * ADDS / 16);
		assert_non_null(strstr(d.text, cell));
		(void)snprintf(cell, sizeof(cell), "%s/job_stored=%d;",
		    events[e], PROCS * ADDS / 16);
		assert_non_null(strstr(d.text, cell));
	}
	/* Nothing else: no row named twice, nothing in "other". */
	for (const char *s = d.text; *s != '\0'; s++)
		cells += *s == ';';
	assert_int_equal(cells, 16);
	assert_null(strstr(d.text, "other"));
	metrics_close(m);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/*
 * The file truncated under a mapped handle (by hand, `truncate -s 0`): the
 * next count finds it cut short, makes it whole and counts from zero; the
 * reader too.  Before, the first touch of the mapping was a SIGBUS.
 */
static void
metrics_survive_truncation(void **state)
{
	struct fixture *fx = *state;
	struct metrics *m, *reader;
	struct dump d;
	off_t size;

	assert_non_null(m = metrics_open(fx->path));
	assert_non_null(reader = metrics_open(fx->path));
	size = file_size(fx->path);
	metrics_add(m, METRICS_DELIVERIES, "ping", "ok", 3);
	assert_int_equal(truncate(fx->path, 0), 0);
	metrics_add(m, METRICS_DELIVERIES, "ping", "ok", 1);
	metrics_inc(m, METRICS_SIGNATURE_FAILURES);
	assert_int_equal(file_size(fx->path), size);
	assert_string_equal(dump(reader, METRICS_DELIVERIES, &d), "ping/ok=1;");
	assert_int_equal(metrics_counter(reader, METRICS_SIGNATURE_FAILURES),
	    1);
	/* Cut to a part of the header: the reader mends it first. */
	assert_int_equal(truncate(fx->path, 100), 0);
	assert_string_equal(dump(reader, METRICS_DELIVERIES, &d), "");
	metrics_add(m, METRICS_DELIVERIES, "installation", "ok", 2);
	assert_string_equal(dump(reader, METRICS_DELIVERIES, &d),
	    "installation/ok=2;");
	metrics_close(reader);
	metrics_close(m);
}

#define CUTS 2000

/*
 * Truncated again and again by another process while this one counts:
 * the cut can land between the size check and the write (a SIGBUS, caught:
 * that count is lost), and the process never dies of it.
 */
static void
metrics_survive_truncation_race(void **state)
{
	struct fixture *fx = *state;
	struct metrics *m;
	pid_t pid;
	int status;

	assert_non_null(m = metrics_open(fx->path));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < CUTS; i++)
			if (truncate(fx->path, 0) == -1)
				_exit(1);
		_exit(0);
	}
	for (int i = 0; waitpid(pid, &status, WNOHANG) == 0; i++)
		metrics_add(m, METRICS_DELIVERIES, "ping", i % 2 ? "ok" : "x",
		    1);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	metrics_add(m, METRICS_DELIVERIES, "ping", "ok", 1);
	assert_true(file_size(fx->path) > 0);
	metrics_close(m);
}

/*
 * No room for the file (a full disk; here a file size limit): the open
 * fails cleanly, leaves no sparse file behind whose pages would fault
 * later, and counting through NULL counts nothing.
 */
static void
metrics_no_room_counts_nothing(void **state)
{
	struct fixture *fx = *state;
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		struct metrics *m;

		(void)signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(3);
		m = metrics_open(fx->path);
		metrics_add(m, METRICS_DELIVERIES, "ping", "ok", 1);
		_exit(m == NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access(fx->path, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    metrics_counts_and_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_bounded_by_other, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(metrics_replaces_other_layout,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    metrics_concurrent_processes_sum_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_survive_truncation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_survive_truncation_race,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_no_room_counts_nothing,
		    setup, teardown),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
