/* SPDX-License-Identifier: MIT */
/* The live tail routes (GET /trace/stream, /operations/stream): SSE streams. */
#ifndef INSTLOG_RUN_STREAM_H
#define INSTLOG_RUN_STREAM_H

/* The two streams, one binary each. */
enum stream_kind {
	STREAM_TRACE,      /* GET /trace/stream: installation_events rows */
	STREAM_OPERATIONS, /* GET /operations/stream: operations' changes */
	STREAM__MAX
};

/*
 * The whole main of a stream binary: configuration (DATABASE_URL: the
 * primary, where NOTIFY is heard; TRACE_API_SECRET; INSTLOG_STREAMS, the
 * streams at once, default STREAM_MAX_DEFAULT), one worker of
 * INSTLOG_STREAMS + 2 request threads (each stream holds one, and its own
 * database connection, from its first request on), GET only (405), the
 * path (404), the bearer token (401), the filters and Last-Event-ID (400),
 * past INSTLOG_STREAMS open streams 503 with Retry-After; then the stream:
 * once the worker's listener knows the watermark of lib/core/stream.h,
 * "retry" and, when it did not resume, where it begins ("id:" alone:
 * there, or before its last ?last=N rows), every row past that point up
 * to the watermark, each as one flushed event, new ones as the listener
 * (woken by NOTIFY) moves the watermark and finds rows for it, a comment
 * every STREAM_KEEPALIVE_SECS, until the client goes away (its slot freed
 * at once) or the worker stops.  Returns the exit status:
 * 0, 1, or 2 for bad configuration.
 */
int stream_main(enum stream_kind kind, int argc, char **argv);

#endif
