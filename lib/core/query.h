/* SPDX-License-Identifier: MIT */
/* A request's query string: one parameter, URL-decoded. */
#ifndef INSTLOG_QUERY_H
#define INSTLOG_QUERY_H

#include <stddef.h>

/*
 * Find query parameter 'name' in 'query' and URL-decode its value into
 * 'out' (size 'size').  Returns 0; 1 when absent; -1 when the value is too
 * long or badly encoded.
 */
int query_get(const char *query, const char *name, char *out, size_t size);

#endif
