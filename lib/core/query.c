/* SPDX-License-Identifier: MIT */
/* A request's query string: one parameter, URL-decoded. */
#include "core/query.h"

#include <string.h>

#include "core/str.h"

int
query_get(const char *query, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);
	const char *p = query;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');
		size_t seg = end == NULL ? strlen(p) : (size_t)(end - p);

		if (seg >= nlen && strncmp(p, name, nlen) == 0 &&
		    (seg == nlen || p[nlen] == '=')) {
			size_t o = 0;

			for (size_t i = nlen + (seg > nlen); i < seg; i++) {
				char c = p[i];

				if (c == '%') {
					int hi, lo;

					if (i + 2 >= seg ||
					    (hi = hex_digit(p[i + 1])) < 0 ||
					    (lo = hex_digit(p[i + 2])) < 0)
						return -1;
					c = (char)(hi << 4 | lo);
					i += 2;
				} else if (c == '+')
					c = ' ';
				if (c == '\0' || o + 1 >= size)
					return -1;
				out[o++] = c;
			}
			out[o] = '\0';
			return 0;
		}
		p = end == NULL ? NULL : end + 1;
	}
	return 1;
}
