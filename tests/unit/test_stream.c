/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/core/stream: the watermark, the filters, the frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/str.h"
#include "core/stream.h"

/* Nothing running: the second snapshot settles what the first saw. */
static void
stream_watermark_settles_when_nothing_runs(void **state)
{
	struct stream_watermark w;

	(void)state;
	stream_watermark_init(&w, 10);
	assert_false(stream_watermark_advance(&w, 100, 100, 12));
	assert_true(stream_watermark_is_waiting(&w));
	assert_true(stream_watermark_advance(&w, 100, 100, 12));
	assert_int_equal(w.settled, 12);
	assert_false(stream_watermark_is_waiting(&w));
	/* No new id: nothing pending. */
	assert_false(stream_watermark_advance(&w, 101, 101, 12));
	assert_false(stream_watermark_is_waiting(&w));
}

/*
 * A transaction (xid 100) holds id 11 while id 12 commits: 12 waits
 * until a snapshot's xmin passes 100, whatever ids came meanwhile.
 */
static void
stream_watermark_waits_for_running_transactions(void **state)
{
	struct stream_watermark w;

	(void)state;
	stream_watermark_init(&w, 10);
	assert_false(stream_watermark_advance(&w, 100, 102, 12));
	assert_false(stream_watermark_advance(&w, 100, 103, 13));
	assert_false(stream_watermark_advance(&w, 100, 104, 14));
	assert_int_equal(w.settled, 10);
	assert_int_equal(w.pending_id, 12);
	/* 100 ended: 12 settles; 14 becomes pending on this snapshot. */
	assert_true(stream_watermark_advance(&w, 104, 104, 14));
	assert_int_equal(w.settled, 12);
	assert_int_equal(w.pending_id, 14);
	assert_true(stream_watermark_advance(&w, 104, 104, 14));
	assert_int_equal(w.settled, 14);
}

static void
stream_xid_parse_reads_xid8_text(void **state)
{
	uint64_t x;

	(void)state;
	assert_int_equal(stream_xid_parse("18446744073709551615", &x), 0);
	assert_true(x == UINT64_MAX);
	assert_int_equal(stream_xid_parse("", &x), -1);
	assert_int_equal(stream_xid_parse("-1", &x), -1);
	assert_int_equal(stream_xid_parse("12a", &x), -1);
	assert_int_equal(stream_xid_parse(NULL, &x), -1);
}

static void
stream_filter_parse_every_parameter(void **state)
{
	struct stream_filter f;
	char err[160];

	(void)state;
	assert_int_equal(stream_filter_parse("", NULL, true, &f, err,
	                     sizeof(err)),
	    0);
	assert_true(f.after == -1 && f.entity_id == 0 && f.event[0] == '\0');
	assert_int_equal(stream_filter_parse("entity_id=7&installation_id=8&"
	                                     "event=installation&after=3",
	                     NULL, true, &f, err, sizeof(err)),
	    0);
	assert_true(f.entity_id == 7 && f.installation_id == 8 && f.after == 3);
	assert_string_equal(f.event, "installation");
	/* Last-Event-ID wins over ?after=. */
	assert_int_equal(stream_filter_parse("after=3", "9", true, &f, err,
	                     sizeof(err)),
	    0);
	assert_true(f.after == 9);
	assert_int_equal(stream_filter_parse("after=0", NULL, false, &f, err,
	                     sizeof(err)),
	    0);
	assert_true(f.after == 0);
	/* ?last=N: the history first; a resume point wins over it. */
	assert_int_equal(stream_filter_parse("entity_id=7&last=10", NULL, true,
	                     &f, err, sizeof(err)),
	    0);
	assert_true(f.last == 10 && f.after == -1);
	assert_int_equal(stream_filter_parse("last=1000", "5", false, &f, err,
	                     sizeof(err)),
	    0);
	assert_true(f.last == 1000 && f.after == 5);
	/* The operations stream has no filters: ignored. */
	assert_int_equal(stream_filter_parse("entity_id=x", NULL, false, &f,
	                     err, sizeof(err)),
	    0);
}

static void
stream_filter_parse_names_the_bad_one(void **state)
{
	static const struct {
		const char *query, *last_id, *name;
	} bad[] = {
		{ "entity_id=0", NULL, "entity_id" },
		{ "entity_id=x", NULL, "entity_id" },
		{ "installation_id=-1", NULL, "installation_id" },
		{ "event=Ins", NULL, "event" },
		{ "event=", NULL, "event" },
		{ "after=x", NULL, "after" },
		{ "", "x", "Last-Event-ID" },
		{ "", "-1", "Last-Event-ID" },
		{ "last=0", NULL, "last" },
		{ "last=1001", NULL, "last" },
		{ "last=x", NULL, "last" },
		{ "last=", NULL, "last" },
	};
	struct stream_filter f;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(stream_filter_parse(bad[i].query,
		                     bad[i].last_id, true, &f, err,
		                     sizeof(err)),
		    -1);
		assert_true(
		    strncmp(err, bad[i].name, strlen(bad[i].name)) == 0);
	}
}

static void
stream_filter_match_as_the_query(void **state)
{
	struct stream_filter f;
	char err[160];

	(void)state;
	assert_int_equal(stream_filter_parse("entity_id=7&event=installation",
	                     NULL, true, &f, err, sizeof(err)),
	    0);
	assert_true(stream_filter_match(&f, 7, 0, "installation"));
	assert_true(stream_filter_match(&f, 7, 9, "installation.created"));
	assert_false(
	    stream_filter_match(&f, 7, 9, "installation_target.renamed"));
	assert_false(stream_filter_match(&f, 8, 9, "installation.created"));
	assert_int_equal(stream_filter_parse("installation_id=9", NULL, true,
	                     &f, err, sizeof(err)),
	    0);
	assert_true(stream_filter_match(&f, 0, 9, "ping"));
	assert_false(stream_filter_match(&f, 0, 0, "ping"));
}

static void
stream_frame_writes_one_event(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_int_equal(stream_frame(&b, 42, "row", "{\"id\":42}", 9), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_string_equal(b.buf, "id: 42\nevent: row\ndata: {\"id\":42}\n\n");
	buf_release(&b);
}

/* What the parser handed out, "id|event|data;" each. */
static int
collect(void *arg, const char *id, const char *event, const char *data,
    size_t len)
{
	struct buf *b = arg;

	assert_int_equal(strlen(data), len);
	return buf_printf(b, "%s|%s|%s;", id, event, data);
}

/* Events split anywhere, CRLF, comments, multi-line data. */
static void
stream_parser_reads_events_in_any_pieces(void **state)
{
	static const char in[] = "retry: 2000\n\n: keepalive\n\n"
	                         "id: 7\nevent: row\ndata: {\"id\":7}\n\n"
	                         "id: 8\r\ndata: a\r\ndata:b\r\n\r\n"
	                         "data: c\n";
	static const char want[] = "7|row|{\"id\":7};8|message|a\nb;";
	struct stream_parser p;
	struct buf got;

	(void)state;
	for (size_t step = 1; step <= sizeof(in); step++) {
		buf_init(&got);
		stream_parser_init(&p);
		for (size_t off = 0; off < sizeof(in) - 1; off += step) {
			size_t n = sizeof(in) - 1 - off;

			assert_int_equal(stream_parser_feed(&p, in + off,
			                     n < step ? n : step, collect,
			                     &got),
			    0);
		}
		assert_int_equal(buf_append(&got, "", 1), 0);
		assert_string_equal(got.buf, want);
		stream_parser_release(&p);
		buf_release(&got);
	}
}

/*
 * The id to resume from moves at each blank line: with an event, or with
 * an id alone (where a stream says it begins); not before its blank line.
 */
static void
stream_parser_keeps_the_id_to_resume_from(void **state)
{
	static const char row[] = "id: 42\nevent: row\ndata: x\n";
	struct stream_parser p;
	struct buf got;

	(void)state;
	buf_init(&got);
	stream_parser_init(&p);
	assert_int_equal(stream_parser_feed(&p, "retry: 2000\nid: 41\n",
	                     strlen("retry: 2000\nid: 41\n"), collect, &got),
	    0);
	assert_string_equal(p.resume, "");
	assert_int_equal(stream_parser_feed(&p, "\n", 1, collect, &got), 0);
	assert_string_equal(p.resume, "41");
	assert_int_equal(got.len, 0);
	/* A row cut off before its end does not move it. */
	assert_int_equal(stream_parser_feed(&p, row, strlen(row), collect,
	                     &got),
	    0);
	assert_string_equal(p.resume, "41");
	assert_int_equal(stream_parser_feed(&p, "\n", 1, collect, &got), 0);
	assert_string_equal(p.resume, "42");
	stream_parser_release(&p);
	buf_release(&got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stream_watermark_settles_when_nothing_runs),
		cmocka_unit_test(
		    stream_watermark_waits_for_running_transactions),
		cmocka_unit_test(stream_xid_parse_reads_xid8_text),
		cmocka_unit_test(stream_filter_parse_every_parameter),
		cmocka_unit_test(stream_filter_parse_names_the_bad_one),
		cmocka_unit_test(stream_filter_match_as_the_query),
		cmocka_unit_test(stream_frame_writes_one_event),
		cmocka_unit_test(stream_parser_reads_events_in_any_pieces),
		cmocka_unit_test(stream_parser_keeps_the_id_to_resume_from),
	};

	return cmocka_run_group_tests_name("stream", tests, NULL, NULL);
}
