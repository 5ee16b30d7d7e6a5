/* SPDX-License-Identifier: MIT */
/* GitHub App variants (docs/architecture.md#configuration): keys, JWTs. */
#ifndef INSTLOG_GITHUB_APP_H
#define INSTLOG_GITHUB_APP_H

#include <time.h>

#include "core/config.h"
#include "core/jwt.h"

/*
 * A JWT is signed again once it is this old, in seconds: one handed out
 * has at least JWT_LIFETIME - APPS_JWT_REUSE (4 minutes) left,
 * far more than one request's GITHUB_TOTAL_TIMEOUT_MS.
 */
#define APPS_JWT_REUSE 300

enum github_app_kind {
	APPS_ORG,  /* GITHUB_APP_ORG_*: for Organization accounts */
	APPS_USER, /* GITHUB_APP_USER_*: for User accounts */
	APPS__MAX
};

/* One app variant: its key and, once signed, its current JWT. */
struct github_app_variant {
	struct jwt_app *app; /* NULL: not configured */
	char *jwt;           /* NULL until github_app_jwt() */
	time_t jwt_at;       /* when 'jwt' was signed */
};

/* Every variant, indexed by enum github_app_kind.  Zero it before
 * github_app_load(). */
struct github_apps {
	struct github_app_variant v[APPS__MAX];
};

/*
 * Load the private key of each variant configured in 'cfg' (an id of 0
 * means not configured; 'cfg' is not retained).  Returns 0, or -1 after
 * logging one line that names the key file and what is wrong with it.
 * Either way the caller releases *a with github_app_release().
 */
int github_app_load(struct github_apps *a, const struct config *cfg);

/* Free the keys and wipe the JWTs of *a (NULL accepted). */
void github_app_release(struct github_apps *a);

/*
 * The variant for the account type 'entity_type' ("Organization" or
 * "User"), borrowed from *a; NULL when the type is NULL or unknown, or
 * when that variant is not configured.
 */
struct github_app_variant *github_app_for_entity(struct github_apps *a,
    const char *entity_type);

/*
 * The JWT of 'v' at time 'now' (jwt_sign()): signed on first use
 * and again once APPS_JWT_REUSE seconds old, so a short run signs one per
 * app.  The token is owned by 'v' and valid until the next github_app_jwt() on
 * 'v' that signs again, or github_app_release().  Returns NULL when signing
 * failed (logged).
 */
const char *github_app_jwt(struct github_app_variant *v, time_t now);

#endif
