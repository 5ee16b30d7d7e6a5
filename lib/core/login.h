/* SPDX-License-Identifier: MIT */
/*
 * The one rule for a GitHub login, shared by the trace routes
 * (/trace/entity-by-name/{login}) and the CLI (--entity-name).
 */
#ifndef INSTLOG_LOGIN_H
#define INSTLOG_LOGIN_H

#include <stdbool.h>

/* The longest GitHub login. */
#define LOGIN_MAX 39

/*
 * Return true when 's' is a login an installation's account can have: 1 to
 * LOGIN_MAX ASCII letters, digits and hyphens, the first not a hyphen.
 * Hyphens elsewhere are not checked: GitHub refuses two in a row and one
 * at the end in new logins, but older accounts keep theirs ("a--b",
 * "old-name-").  Bots ("name[bot]") are senders, never the account of an
 * installation, and fail here.  NULL is no login.
 */
bool login_is_valid(const char *s);

#endif
