/* SPDX-License-Identifier: MIT */
/* The local, fsync'd spool of verified deliveries the database missed. */
#ifndef INSTLOG_SPOOL_H
#define INSTLOG_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/delivery.h"
#include "core/str.h"

/*
 * Check that 'dir' (NULL: spooling disabled, fine) exists or can be made,
 * is owned by this process's user, is neither group- nor world-writable
 * (whoever can write there can make the replayer store anything) and is
 * writable.  Returns 0 or -1 (logged: one clear line).
 */
int spool_check(const char *dir);

/*
 * Store a verified delivery durably in 'dir': write a temporary file,
 * fsync it, rename it into place and fsync the directory.  The file
 * (version 3) keeps the attempt 'a' (received time and key), the headers
 * of 'h' with nginx's request id, the X-Hub-Signature-256 value
 * 'signature' (verified again on replay), the body's length and a SHA-256
 * trailer over it all, so that a truncated or damaged file is recognised.
 * Returns 0 once durable; -1 (logged) when 'dir' is NULL or anything failed,
 * and then no file is left behind.
 */
int spool_write(const char *dir, const struct delivery_headers *h,
    const struct delivery_attempt *a, const char *signature, const void *body,
    size_t len);

/* A spooled delivery read back; all strings point into 'data'. */
struct spool_entry {
	struct buf data;
	char *received_at;
	char *attempt_key;
	char *signature;
	struct delivery_headers h;
	const char *body;
	size_t len;
};

enum spool_status {
	SPOOL_OK = 0,
	SPOOL_BAD,   /* not a whole, well-formed spool file (logged) */
	SPOOL_OLD,   /* a version 1 file: no signature to verify (logged) */
	SPOOL_ERROR, /* cannot be read now (logged) */
};

/*
 * Read the spool file 'path' into *e: version 3, or version 2, whose
 * e->h.request_id is NULL (it had none).  Returns SPOOL_OK; SPOOL_BAD or
 * SPOOL_OLD (version 1) when reading it again will not help (move it
 * aside); or SPOOL_ERROR.  The signature is not checked here.  Either way
 * release *e with spool_entry_release().
 */
enum spool_status spool_read(const char *path, struct spool_entry *e);

/* Free what *e holds (NULL accepted). */
void spool_entry_release(struct spool_entry *e);

/*
 * List the spooled files of 'dir' in arrival order.  Returns the number of
 * names and sets *names to a NULL-terminated array the caller frees with
 * spool_names_free(), or -1 (logged).
 */
int spool_list(const char *dir, char ***names);

/* Free a list from spool_list() (NULL accepted). */
void spool_names_free(char **names);

/*
 * Count the deliveries waiting in 'dir' (its *.delivery files; *.bad and
 * other names do not count), looking at no more than 'limit' directory
 * entries and sorting nothing, so that the cost is bounded however large
 * the spool grew.  Sets *more when it stopped at 'limit' (the count is
 * then a lower bound).  With 'oldest' not NULL, also sets *oldest to the
 * oldest modification time among them (seconds since the epoch; 0 when
 * none), skipping a file replayed meanwhile; with NULL, nothing is
 * stat'ed and every name counts.  Returns the count, or -1 when the
 * directory cannot be read.
 */
int spool_scan(const char *dir, int limit, int64_t *oldest, bool *more);

/* Remove spool file 'name' of 'dir' and fsync 'dir'.  Returns 0 or -1. */
int spool_remove(const char *dir, const char *name);

#endif
