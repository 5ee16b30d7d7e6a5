/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/scrape: the /metrics page from what a scrape read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/str.h"
#include "net/metrics.h"
#include "run/scrape.h"

/* Whether 'page' has the line 'line' (without its newline). */
static int
has_line(const char *page, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = page; (p = strstr(p, line)) != NULL; p += n)
		if ((p == page || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* Everything known: counters, spool, database, operations. */
static void
scrape_every_family(void **state)
{
	char dir[] = "/tmp/test_scrape.XXXXXX", path[64];
	const struct db_metrics_count ops[] = { { "auth_check", "running", 0 },
		{ "auth_check", "completed", 1439 },
		{ "auth_check", "failed", 1 } };
	const struct db_metrics_run runs[] = { { "auth_check",
	    1764500000123 } };
	struct metrics *m;
	struct scrape s;
	struct buf b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/metrics", dir);
	assert_non_null(m = metrics_open(path));
	metrics_add(m, METRICS_DELIVERIES, "installation", "ok", 3);
	metrics_add(m, METRICS_DELIVERIES, "ping", "spooled", 1);
	metrics_inc(m, METRICS_SIGNATURE_FAILURES);
	memset(&s, 0, sizeof(s));
	s.counters = m;
	s.spool_configured = true;
	s.spool_files = 2;
	s.spool_oldest = 1764499000;
	s.now = 1764500000;
	s.database_up = true;
	s.ops_known = true;
	s.ops = ops;
	s.nops = 3;
	s.runs = runs;
	s.nruns = 1;
	buf_init(&b);
	assert_int_equal(scrape_write(&s, &b), 0);
	assert_true(has_line(b.buf, "instlog_counters_up 1"));
	assert_true(has_line(b.buf, "# TYPE instlog_deliveries_total counter"));
	assert_true(has_line(b.buf,
	    "instlog_deliveries_total"
	    "{event=\"installation\",outcome=\"ok\"} 3"));
	assert_true(has_line(b.buf,
	    "instlog_deliveries_total{event=\"ping\",outcome=\"spooled\"} 1"));
	assert_true(has_line(b.buf, "instlog_signature_failures_total 1"));
	assert_true(
	    has_line(b.buf, "# TYPE instlog_notifications_total counter"));
	assert_true(has_line(b.buf, "instlog_spool_files 2"));
	assert_true(has_line(b.buf, "instlog_spool_scan_complete 1"));
	assert_true(has_line(b.buf, "instlog_spool_oldest_seconds 1000"));
	assert_true(has_line(b.buf, "instlog_database_up 1"));
	assert_true(has_line(b.buf,
	    "instlog_last_run_timestamp_seconds{type=\"auth_check\"} "
	    "1764500000.123"));
	assert_true(has_line(b.buf,
	    "instlog_operations{type=\"auth_check\",status=\"completed\"} "
	    "1439"));
	assert_true(has_line(b.buf,
	    "instlog_operations{type=\"auth_check\",status=\"running\"} 0"));
	buf_release(&b);
	metrics_close(m);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * Nothing known: no counter file, no spool, the database down.  The
 * families are still declared; samples that would be made up are not.
 */
static void
scrape_nothing_known(void **state)
{
	struct scrape s;
	struct buf b;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.now = 1764500000;
	buf_init(&b);
	assert_int_equal(scrape_write(&s, &b), 0);
	assert_true(has_line(b.buf, "instlog_counters_up 0"));
	assert_true(has_line(b.buf, "# TYPE instlog_deliveries_total counter"));
	assert_null(strstr(b.buf, "instlog_deliveries_total{"));
	assert_null(strstr(b.buf, "\ninstlog_signature_failures_total "));
	assert_null(strstr(b.buf, "instlog_spool_files"));
	assert_true(has_line(b.buf, "instlog_database_up 0"));
	assert_true(has_line(b.buf, "# TYPE instlog_operations gauge"));
	assert_null(strstr(b.buf, "instlog_operations{"));
	assert_null(strstr(b.buf, "instlog_last_run_timestamp_seconds{"));
	buf_release(&b);
}

/* An empty spool, an incomplete scan, a clock behind a file's mtime. */
static void
scrape_spool_edges(void **state)
{
	struct scrape s;
	struct buf b;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.spool_configured = true;
	s.now = 1764500000;
	buf_init(&b);
	assert_int_equal(scrape_write(&s, &b), 0);
	assert_true(has_line(b.buf, "instlog_spool_files 0"));
	assert_true(has_line(b.buf, "instlog_spool_oldest_seconds 0"));
	buf_reset(&b);
	s.spool_files = 100000;
	s.spool_more = true;
	s.spool_oldest = s.now + 5;
	assert_int_equal(scrape_write(&s, &b), 0);
	assert_true(has_line(b.buf, "instlog_spool_scan_complete 0"));
	assert_true(has_line(b.buf, "instlog_spool_oldest_seconds 0"));
	buf_reset(&b);
	s.spool_files = -1;
	assert_int_equal(scrape_write(&s, &b), 0);
	assert_null(strstr(b.buf, "instlog_spool_files"));
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scrape_every_family),
		cmocka_unit_test(scrape_nothing_known),
		cmocka_unit_test(scrape_spool_edges),
	};

	return cmocka_run_group_tests_name("scrape", tests, NULL, NULL);
}
