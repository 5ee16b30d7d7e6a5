/* SPDX-License-Identifier: MIT */
/* The local, fsync'd spool of verified deliveries the database missed. */
#ifndef INSTLOG_SPOOL_H
#define INSTLOG_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delivery.h"
#include "str.h"

/*
 * Check that 'dir' (NULL: spooling disabled, fine) exists or can be made
 * and is writable.  Returns 0 or -1 (logged).
 */
int spool_check(const char *dir);

/*
 * Store a verified delivery durably in 'dir': write a temporary file,
 * fsync it, rename it into place and fsync the directory.  The file keeps
 * the received time and the headers of 'h'.  Returns 0 once durable; -1
 * (logged) when 'dir' is NULL or anything failed.
 */
int spool_write(const char *dir, const struct delivery_headers *h,
    const void *body, size_t len);

/* A spooled delivery read back; all strings point into 'data'. */
struct spool_entry {
	struct buf		 data;
	char			*received_at;
	struct delivery_headers	 h;
	const char		*body;
	size_t			 len;
};

/*
 * Read the spool file 'path' into *e.  Returns 0; 1 (logged) when it is
 * not a well-formed spool file (bad magic, header lines, event name or
 * received_at: move it aside, reading it again will not help); -1
 * (logged) when it cannot be read.  Either way release *e with
 * spool_entry_release().
 */
int spool_read(const char *path, struct spool_entry *e);

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
 * Count the deliveries waiting in 'dir'.  Returns the count, or -1 when
 * the directory cannot be read.
 */
int spool_pending(const char *dir);

/*
 * Count the deliveries waiting in 'dir' and find the oldest modification
 * time among them, looking at no more than 'limit' directory entries and
 * sorting nothing, so that the cost is bounded however large the spool
 * grew.  Sets *oldest (seconds since the epoch; 0 when none) and *more
 * (it stopped at 'limit': the count is a lower bound).  Returns the count,
 * or -1 when the directory cannot be read.
 */
int spool_scan(const char *dir, int limit, int64_t *oldest, bool *more);

/* Remove spool file 'name' of 'dir' and fsync 'dir'.  Returns 0 or -1. */
int spool_remove(const char *dir, const char *name);

#endif
