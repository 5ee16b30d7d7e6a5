/* SPDX-License-Identifier: MIT */
/* Logging to stderr, one line per message, for every instlog program. */
#ifndef INSTLOG_LOG_H
#define INSTLOG_LOG_H

/*
 * Set the program name prefixed to every line; 'name' is retained and
 * must outlive all logging (a string literal or argv[0]).
 */
void log_init(const char *name);

/* Log a warning line: "name: message". */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log an informational line (same format as log_warnx()). */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
