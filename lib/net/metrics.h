/* SPDX-License-Identifier: MIT */
/* Counters shared by every process through one memory-mapped file. */
#ifndef INSTLOG_METRICS_H
#define INSTLOG_METRICS_H

#include <stdint.h>

/*
 * A file of fixed layout (a versioned header, then counter tables) that
 * every webhook worker maps MAP_SHARED and adds to with atomic
 * instructions, and that the /metrics binary reads: counting takes no
 * lock and no database write.  Counters live as long as the file: a
 * worker or binary restart keeps them; removing the file (a reboot when
 * it is on a tmpfs, a new layout version) starts them at zero again,
 * which Prometheus reads as a counter reset.
 */
struct metrics;

/*
 * A two-label counter table: one row per first label value, one column
 * per second.  Each has a fixed number of rows and columns; a value past
 * them (or malformed: not a valid event name by delivery_event_is_valid(),
 * i.e. empty, longer than 64, bytes other than [A-Za-z0-9_.-]) is counted
 * under the label value "other", so hostile input cannot grow the table.
 */
enum metrics_table {
	METRICS_DELIVERIES,    /* (X-GitHub-Event, outcome) */
	METRICS_NOTIFICATIONS, /* (sink, result): cron/notify adds
	                          one per attempt, result "sent", "failed"
	                          "given_up" or "abandoned" (its sink
	                          no longer configured) */
	METRICS_TABLE__MAX
};

/* Single counters. */
enum metrics_counter { METRICS_SIGNATURE_FAILURES, METRICS_COUNTER__MAX };

/*
 * Label values per table ("other" included): rows for the first label,
 * columns for the second; the longest label value kept.
 */
#define METRICS_ROWS      64
#define METRICS_COLS      32
#define METRICS_LABEL_MAX 64

/*
 * Map the counter file 'path', creating it (mode 0600) when missing, with
 * every block reserved; a file of another layout version is replaced by a
 * new one.  Counting is best effort and never kills its caller: the file's
 * size is checked before every use (a file cut short is made whole again,
 * its counts from zero), and a fault on the mapping (SIGBUS, caught for
 * the process) loses that one count.  Returns the handle, to be closed
 * with metrics_close(), or NULL (logged) when the file cannot be opened or
 * its space reserved (a full disk): then nothing is counted.
 */
struct metrics *metrics_open(const char *path);

/* Unmap 'm' (NULL accepted).  The counters stay in the file. */
void metrics_close(struct metrics *m);

/*
 * Add 'n' to the cell (row, col) of table 't'; a value not yet in the
 * table takes a free row or column.  Lock-free; a NULL 'm' counts
 * nothing.
 */
void metrics_add(struct metrics *m, enum metrics_table t, const char *row,
    const char *col, uint64_t n);

/* Add one to counter 'c' (a NULL 'm' counts nothing). */
void metrics_inc(struct metrics *m, enum metrics_counter c);

/* The value of counter 'c'. */
uint64_t metrics_counter(const struct metrics *m, enum metrics_counter c);

/*
 * Call 'fn' once for each non-zero cell of table 't' with its row and
 * column label values (borrowed for the call) and its count, rows in the
 * order they were first used, each row's columns contiguous.  Returns 0,
 * or the first non-zero value 'fn' returned.
 */
int metrics_table_foreach(const struct metrics *m, enum metrics_table t,
    int (*fn)(const char *row, const char *col, uint64_t n, void *arg),
    void *arg);

#endif
