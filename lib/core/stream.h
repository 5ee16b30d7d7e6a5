/* SPDX-License-Identifier: MIT */
/* The live tail (GET /trace/stream, /operations/stream): watermark, filters,
 * frames. */
#ifndef INSTLOG_STREAM_H
#define INSTLOG_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

/*
 * How far a stream may read: the rule of cron/notify's cursor
 * (SQL_CURSOR_ADVANCE, lib/db/db_notify.c), kept in memory.  A snapshot
 * sees its top id and its xmax; that id is passed (settled: every lower id
 * committed or known gone) once a later snapshot's xmin has reached that
 * xmax, i.e. once every transaction running when it was seen has ended.
 * A row committed late with a lower id is therefore read before the
 * stream moves past it.
 */
struct stream_watermark {
	int64_t settled;       /* every id <= settled is committed or gone */
	int64_t pending_id;    /* the top id a snapshot saw; 0: none */
	uint64_t pending_xmax; /* that snapshot's xmax */
};

/* Start 'w' with nothing settled past 'settled'. */
void stream_watermark_init(struct stream_watermark *w, int64_t settled);

/*
 * Feed one snapshot ('xmin', 'xmax' as pg_snapshot_xmin/xmax, 'max_id' the
 * top id it saw, 0: none): settle the pending id when 'xmin' has reached
 * its xmax, then, with nothing pending, make this snapshot's top id
 * pending.  Returns whether 'settled' moved.
 */
bool stream_watermark_advance(struct stream_watermark *w, uint64_t xmin,
    uint64_t xmax, int64_t max_id);

/* Whether an id above 'settled' waits for a later snapshot. */
bool stream_watermark_is_waiting(const struct stream_watermark *w);

/* Parse the text of an xid8 into *out.  Returns 0, or -1. */
int stream_xid_parse(const char *s, uint64_t *out);

/* The filters and the start of one stream. */
struct stream_filter {
	int64_t entity_id;       /* 0: any */
	int64_t installation_id; /* 0: any */
	char event[72];          /* "" any; else the name or a dot prefix */
	int64_t after;           /* resume after this id; -1: from now */
	int64_t last;            /* from now: first the last N rows; 0 none */
};

/* The most rows ?last= asks for. */
#define STREAM_LAST_MAX 1000

/*
 * Parse the query of a stream and its Last-Event-ID header ('last_id',
 * NULL when absent; it wins over ?after=) into *f.  With 'trace' the
 * filters entity_id, installation_id (positive integers) and event
 * ([a-z0-9_.] up to 71) are accepted; without, only after and last.  last
 * (1..STREAM_LAST_MAX) asks a stream that starts from now to send the
 * last N matching rows first; a resume point wins over it.  Returns 0, or
 * -1 with 'err' naming the bad parameter.
 */
int stream_filter_parse(const char *query, const char *last_id, bool trace,
    struct stream_filter *f, char *err, size_t errlen);

/*
 * Whether a row of 'entity_id', 'installation_id' (0: none) and 'event'
 * passes the filters of 'f' (as the stream's query reads them).
 */
bool stream_filter_match(const struct stream_filter *f, int64_t entity_id,
    int64_t installation_id, const char *event);

/*
 * Append one Server-Sent Event to 'out': "id: ID", "event: EVENT", and
 * 'data' (one line of 'len' bytes, no newline) as "data:".  Returns 0 or
 * -1 (out of memory).
 */
int stream_frame(struct buf *out, int64_t id, const char *event,
    const char *data, size_t len);

/*
 * A reader of Server-Sent Events (the CLI's --follow): bytes in as they
 * come, whole events out.  Initialise with stream_parser_init(), release
 * with stream_parser_release().
 */
struct stream_parser {
	struct buf line; /* the line not yet ended */
	struct buf data; /* the event's data lines, joined by '\n' */
	char id[24];     /* the last event id seen ("" none) */
	char resume[24]; /* the id as of the last blank line: Last-Event-ID */
	char event[32];  /* the event's type ("" : "message") */
	bool bad;        /* a line passed STREAM_LINE_MAX */
};

/* The longest line a stream_parser takes. */
#define STREAM_LINE_MAX (16u * 1024 * 1024)

/*
 * Called for each whole event with its id (the last one seen, "" when
 * none), type ("message" when none) and data ('len' bytes, NUL-ended).
 * Returns 0 to go on, -1 to stop.
 */
typedef int stream_event_fn(void *arg, const char *id, const char *event,
    const char *data, size_t len);

void stream_parser_init(struct stream_parser *p);

/* Free what 'p' holds (NULL accepted). */
void stream_parser_release(struct stream_parser *p);

/*
 * Feed 'len' bytes of 'bytes' to 'p', calling 'fn' with 'arg' for each
 * event they end (an empty line ends one with data; comments, retry and
 * unknown fields are skipped).  Every empty line also makes the last id
 * seen p->resume, the Last-Event-ID to reconnect with (an id without data
 * moves it too, as in EventSource: a stream tells where it starts so).
 * Returns 0, or -1 when 'fn' returned -1, memory ran out or a line was too
 * long.
 */
int stream_parser_feed(struct stream_parser *p, const char *bytes, size_t len,
    stream_event_fn *fn, void *arg);

/* The comment line a stream sends when it has nothing else to say. */
#define STREAM_KEEPALIVE ": keepalive\n\n"

/* Seconds between comment lines (proxies close a silent connection). */
#define STREAM_KEEPALIVE_SECS 15

/* The streams of one binary at once, when INSTLOG_STREAMS is not set. */
#define STREAM_MAX_DEFAULT 64

#endif
