/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/prom: the Prometheus text exposition writer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/prom.h"
#include "core/str.h"

static void
prom_families_and_samples(void **state)
{
	struct buf b;
	struct prom p;
	const struct prom_label l[] = { { "event", "ping" },
		{ "outcome", "ok" } };

	(void)state;
	buf_init(&b);
	prom_init(&p, &b);
	prom_family(&p, "instlog_deliveries_total", PROM_COUNTER,
	    "Signed deliveries.");
	prom_sample_u64(&p, "instlog_deliveries_total", l, 2,
	    18446744073709551615ULL);
	prom_family(&p, "instlog_database_up", PROM_GAUGE, "Up.");
	prom_sample_u64(&p, "instlog_database_up", NULL, 0, 1);
	assert_int_equal(prom_finish(&p), 0);
	assert_string_equal(b.buf,
	    "# HELP instlog_deliveries_total Signed deliveries.\n"
	    "# TYPE instlog_deliveries_total counter\n"
	    "instlog_deliveries_total{event=\"ping\",outcome=\"ok\"} "
	    "18446744073709551615\n"
	    "# HELP instlog_database_up Up.\n"
	    "# TYPE instlog_database_up gauge\n"
	    "instlog_database_up 1\n");
	buf_release(&b);
}

static void
prom_escapes_label_values_and_help(void **state)
{
	struct buf b;
	struct prom p;
	const struct prom_label l[] = { { "v", "a\\b\"c\nd" } };

	(void)state;
	buf_init(&b);
	prom_init(&p, &b);
	prom_family(&p, "m", PROM_GAUGE, "back\\slash \"quoted\"\nnext");
	prom_sample_u64(&p, "m", l, 1, 0);
	assert_int_equal(prom_finish(&p), 0);
	assert_string_equal(b.buf,
	    "# HELP m back\\\\slash \"quoted\"\\nnext\n"
	    "# TYPE m gauge\n"
	    "m{v=\"a\\\\b\\\"c\\nd\"} 0\n");
	buf_release(&b);
}

static void
prom_floats(void **state)
{
	struct buf b;
	struct prom p;

	(void)state;
	buf_init(&b);
	prom_init(&p, &b);
	prom_family(&p, "f", PROM_GAUGE, "f");
	prom_sample_f64(&p, "f", NULL, 0, 1.5);
	prom_sample_f64(&p, "f", NULL, 0, 1764500000.123);
	prom_sample_f64(&p, "f", NULL, 0, 0.1);
	prom_sample_f64(&p, "f", NULL, 0, NAN);
	prom_sample_f64(&p, "f", NULL, 0, INFINITY);
	prom_sample_f64(&p, "f", NULL, 0, -INFINITY);
	assert_int_equal(prom_finish(&p), 0);
	assert_string_equal(b.buf,
	    "# HELP f f\n# TYPE f gauge\n"
	    "f 1.5\nf 1764500000.123\nf 0.1\nf NaN\nf +Inf\nf -Inf\n");
	buf_release(&b);
}

/* A family given twice, a stray sample or a bad name spoils the page. */
static void
prom_refuses_what_prometheus_would(void **state)
{
	static const struct {
		const char *family, *sample, *label;
		int twice;
	} cases[] = {
		{ "a", "a", "ok", 1 },
		{ "a", "b", "ok", 0 },
		{ "1a", "1a", "ok", 0 },
		{ "a-b", "a-b", "ok", 0 },
		{ "a", "a", "__reserved", 0 },
		{ "a", "a", "x:y", 0 },
		{ "a", "a", "", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		struct prom p;
		const struct prom_label l[] = { { cases[i].label, "v" } };

		buf_init(&b);
		prom_init(&p, &b);
		prom_family(&p, cases[i].family, PROM_COUNTER, "h");
		prom_sample_u64(&p, cases[i].sample, l, 1, 1);
		if (cases[i].twice)
			prom_family(&p, cases[i].family, PROM_COUNTER, "h");
		assert_int_equal(prom_finish(&p), -1);
		buf_release(&b);
	}
}

static void
prom_sample_before_any_family(void **state)
{
	struct buf b;
	struct prom p;

	(void)state;
	buf_init(&b);
	prom_init(&p, &b);
	prom_sample_u64(&p, "a", NULL, 0, 1);
	assert_int_equal(prom_finish(&p), -1);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prom_families_and_samples),
		cmocka_unit_test(prom_escapes_label_values_and_help),
		cmocka_unit_test(prom_floats),
		cmocka_unit_test(prom_refuses_what_prometheus_would),
		cmocka_unit_test(prom_sample_before_any_family),
	};

	return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}
