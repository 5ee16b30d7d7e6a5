/* SPDX-License-Identifier: MIT */
/* The one rule for a GitHub login. */
#include "core/login.h"

#include <stddef.h>

bool
login_is_valid(const char *s)
{
	size_t n = 0;

	if (s == NULL || *s == '-')
		return false;
	for (; s[n] != '\0'; n++) {
		if (n == LOGIN_MAX)
			return false;
		if (!(s[n] >= 'a' && s[n] <= 'z') &&
		    !(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= '0' && s[n] <= '9') && s[n] != '-')
			return false;
	}
	return n > 0;
}
