/* SPDX-License-Identifier: MIT */
/*
 * The clocks, one reader per purpose: the monotonic clock for deadlines
 * and durations, the wall clock (UTC since the epoch) for the times that
 * are stored and shown.
 */
#ifndef INSTLOG_CLOCK_H
#define INSTLOG_CLOCK_H

#include <stdint.h>

/*
 * CLOCK_MONOTONIC in milliseconds: every deadline (database calls,
 * group-commit rows) and every duration (a cron run's).
 */
int64_t clock_monotonic_ms(void);

/*
 * The wall clock in microseconds since the epoch: when a delivery arrived
 * (its row's received_at, its spool file's name).
 */
int64_t clock_wall_us(void);

/* The wall clock in milliseconds since the epoch: an operation's times. */
int64_t clock_wall_ms(void);

#endif
