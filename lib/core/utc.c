/* SPDX-License-Identifier: MIT */
/* UTC times: RFC 3339 and relative times in, RFC 3339 out. */
#include "core/utc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/str.h"

/*
 * Read exactly 'n' decimal digits at *p into *v and advance *p past them.
 * Returns 0, or -1 (and *p is left anywhere) when one is not a digit.
 */
static int
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

static bool
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days in month 'm' (1..12) of year 'y'. */
static int
month_days(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "30m": 's' seconds before 'now' into *secs.  Returns 0 or -1. */
static int
parse_ago(const char *s, time_t now, int64_t *secs)
{
	static const char units[] = "smhdw";
	static const int64_t seconds[] = { 1, 60, 3600, 86400, 604800 };
	size_t len = strlen(s);
	const char *u;
	char num[16];
	int64_t n;

	if (len < 2 || len >= sizeof(num) ||
	    (u = strchr(units, s[len - 1])) == NULL)
		return -1;
	memcpy(num, s, len - 1);
	num[len - 1] = '\0';
	if (parse_int64(num, 0, 100000000, &n) == -1)
		return -1;
	*secs = (int64_t)now - n * seconds[u - units];
	return 0;
}

/*
 * Parse "hh:mm:ss[.fraction]" and the offset after it at 'p' into
 * *secs (of the day, less the offset) and *usec.  Returns 0 or -1.
 */
static int
parse_clock(const char *p, unsigned flags, int64_t *secs, long *usec)
{
	int h, mi, sec, oh = 0, om = 0, sign = 1, nd = 0;

	*usec = 0;
	if (digits(&p, 2, &h) == -1 || *p++ != ':' ||
	    digits(&p, 2, &mi) == -1 || *p++ != ':' ||
	    digits(&p, 2, &sec) == -1 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nd++)
			if (nd < 6)
				*usec = *usec * 10 + (*p - '0');
		if (nd == 0)
			return -1;
		for (; nd < 6; nd++)
			*usec *= 10;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-' ||
	    (*p == ' ' && (flags & UTC_LENIENT))) {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) == -1 || *p++ != ':' ||
		    digits(&p, 2, &om) == -1 || oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (*p != '\0')
		return -1;
	*secs = h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	return 0;
}

int
utc_parse(const char *s, unsigned flags, time_t now, struct utc_time *out)
{
	const char *p = s;
	int y, mo, d;
	int64_t secs, clock = 0;
	long usec = 0;

	if ((flags & UTC_AGO) && parse_ago(s, now, &secs) == 0)
		goto done;
	if (digits(&p, 4, &y) == -1 || *p++ != '-' ||
	    digits(&p, 2, &mo) == -1 || *p++ != '-' ||
	    digits(&p, 2, &d) == -1 || mo < 1 || mo > 12 || d < 1 ||
	    d > month_days(y, mo))
		return -1;
	if (*p == '\0' && !(flags & UTC_LENIENT))
		return -1;
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' &&
		    !(*p == ' ' && (flags & UTC_LENIENT)))
			return -1;
		if (parse_clock(p + 1, flags, &clock, &usec) == -1)
			return -1;
	}
	secs = days_from_civil(y, mo, d) * 86400 + clock;
done:
	if (secs < UTC_MIN || secs >= UTC_END)
		return -1;
	out->secs = secs;
	out->usec = usec;
	return 0;
}

int
utc_format(int64_t secs, long usec, unsigned flags, char *out, size_t size)
{
	struct tm tm;
	time_t t = (time_t)secs;
	char frac[9] = "Z";
	int n;

	if (secs < UTC_MIN || secs >= UTC_END || usec < 0 || usec > 999999 ||
	    gmtime_r(&t, &tm) == NULL)
		return -1;
	if (flags & UTC_MICROS)
		(void)snprintf(frac, sizeof(frac), ".%06ldZ", usec);
	n = snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, frac);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
