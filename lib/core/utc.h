/* SPDX-License-Identifier: MIT */
/* UTC times: RFC 3339 and relative times in, RFC 3339 out. */
#ifndef INSTLOG_UTC_H
#define INSTLOG_UTC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Seconds from 1970 of 0001-01-01 and of 10000-01-01: the times a
 * four-digit year can write, all within PostgreSQL's timestamptz.
 */
#define UTC_MIN (-62135596800LL)
#define UTC_END (253402300800LL)

/* Room for the longest utc_format() result and its NUL. */
#define UTC_SIZE 28

/* A point in time: seconds since 1970 and microseconds. */
struct utc_time {
	int64_t secs;
	long usec;
};

/* What utc_parse() accepts beyond strict RFC 3339. */
enum utc_parse_flags {
	/*
	 * A date alone means its midnight UTC, and ' ' may stand for 'T' or
	 * for the '+' of an offset (URL decoding turns '+' into ' ').
	 */
	UTC_LENIENT = 1 << 0,
	/*
	 * A relative time: digits and one unit, s m h d w ("30m", "7d", at
	 * most 100000000 units), that long before 'now'.
	 */
	UTC_AGO = 1 << 1,
};

/*
 * Parse the RFC 3339 time 's' ("2026-11-24T10:00:00Z", 'T' and 'Z' in
 * either case, an optional fraction of which six digits are kept, 'Z' or
 * a +hh:mm / -hh:mm offset) into *out, with what 'flags' allows besides.
 * A leap second counts as the start of the next second.  Returns 0, or
 * -1 when 's' is malformed, names no such day, or lies outside
 * [UTC_MIN, UTC_END).
 */
int utc_parse(const char *s, unsigned flags, time_t now, struct utc_time *out);

/* What utc_format() writes. */
enum utc_format_flags {
	UTC_MICROS =
	    1 << 0, /* "2026-11-24T10:00:00.000000Z", else no fraction */
};

/*
 * Write 'secs' and 'usec' as RFC 3339 UTC with a four-digit year
 * ("2026-11-24T10:00:00Z") into 'out' of 'size' bytes (UTC_SIZE is
 * enough).  Returns 0, or -1 when 'secs' lies outside [UTC_MIN, UTC_END)
 * or 'out' is too small.
 */
int utc_format(int64_t secs, long usec, unsigned flags, char *out, size_t size);

#endif
