/* SPDX-License-Identifier: MIT */
/* GitHub App variants (docs/architecture.md#configuration): keys, JWTs. */
#include "core/github_app.h"

#include <stddef.h>
#include <string.h>

int
github_app_load(struct github_apps *a, const struct config *cfg)
{
	const struct config_app *c[APPS__MAX] = { &cfg->app_org,
		&cfg->app_user };

	for (size_t i = 0; i < APPS__MAX; i++) {
		if (c[i]->id == 0)
			continue;
		if ((a->v[i].app = jwt_app_load(c[i]->id, c[i]->key_file)) ==
		    NULL)
			return -1;
	}
	return 0;
}

void
github_app_release(struct github_apps *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < APPS__MAX; i++) {
		jwt_free(a->v[i].jwt);
		jwt_app_free(a->v[i].app);
	}
	memset(a, 0, sizeof(*a));
}

struct github_app_variant *
github_app_for_entity(struct github_apps *a, const char *entity_type)
{
	struct github_app_variant *v = NULL;

	if (entity_type == NULL)
		return NULL;
	if (strcmp(entity_type, "Organization") == 0)
		v = &a->v[APPS_ORG];
	else if (strcmp(entity_type, "User") == 0)
		v = &a->v[APPS_USER];
	return v != NULL && v->app != NULL ? v : NULL;
}

const char *
github_app_jwt(struct github_app_variant *v, time_t now)
{
	if (v->jwt != NULL && now >= v->jwt_at &&
	    now - v->jwt_at < APPS_JWT_REUSE)
		return v->jwt;
	jwt_free(v->jwt);
	v->jwt = NULL;
	if (jwt_sign(v->app, now, &v->jwt) == -1)
		return NULL;
	v->jwt_at = now;
	return v->jwt;
}
