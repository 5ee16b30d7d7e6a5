/* SPDX-License-Identifier: MIT */
/* Unit tests' access to GitHub's published payloads (header only). */
#ifndef INSTLOG_TEST_FIXTURE_H
#define INSTLOG_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "core/str.h"

/*
 * Read fixture 'name' from $INSTLOG_FIXTURES (../shared/fixtures/github)
 * and set *len.  The caller frees the result; a missing fixture fails the
 * test.
 */
static char *
read_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("INSTLOG_FIXTURES");
	char path[1024];
	struct buf b;
	char chunk[8192];
	size_t n;
	FILE *f;

	if (dir == NULL || *dir == '\0')
		dir = "../shared/fixtures/github";
	(void)snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open fixture '%s'", path);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_append(&b, chunk, n), 0);
	(void)fclose(f);
	*len = b.len;
	return b.buf;
}

#endif
