/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/apps: variant choice and JWT reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/config.h"
#include "core/github_app.h"

#define NOW 1700000000

/* Both variants from one generated key: no file is read. */
static int
setup(void **state)
{
	static struct github_apps a;
	EVP_PKEY *k;

	memset(&a, 0, sizeof(a));
	if ((k = EVP_RSA_gen(2048)) == NULL)
		return -1;
	a.v[APPS_ORG].app = jwt_app_new(101, k);
	a.v[APPS_USER].app = jwt_app_new(202, k);
	EVP_PKEY_free(k);
	if (a.v[APPS_ORG].app == NULL || a.v[APPS_USER].app == NULL)
		return -1;
	*state = &a;
	return 0;
}

static int
teardown(void **state)
{
	github_app_release(*state);
	return 0;
}

static void
github_app_for_entity_picks_the_variant(void **state)
{
	struct github_apps *a = *state;
	struct jwt_app *user;

	assert_ptr_equal(github_app_for_entity(a, "Organization"),
	    &a->v[APPS_ORG]);
	assert_ptr_equal(github_app_for_entity(a, "User"), &a->v[APPS_USER]);
	assert_null(github_app_for_entity(a, "Bot"));
	assert_null(github_app_for_entity(a, "organization"));
	assert_null(github_app_for_entity(a, NULL));
	/* Not configured: no variant. */
	user = a->v[APPS_USER].app;
	a->v[APPS_USER].app = NULL;
	assert_null(github_app_for_entity(a, "User"));
	a->v[APPS_USER].app = user;
}

static void
github_app_jwt_is_reused_then_renewed(void **state)
{
	struct github_apps *a = *state;
	struct github_app_variant *v = &a->v[APPS_ORG];
	const char *first, *again;
	char *copy;

	assert_non_null(first = github_app_jwt(v, NOW));
	assert_non_null(copy = strdup(first));
	again = github_app_jwt(v, NOW + APPS_JWT_REUSE - 1);
	assert_ptr_equal(again, first);
	assert_int_equal(v->jwt_at, NOW);
	/* Old enough, or a clock that went back: signed again. */
	assert_non_null(again = github_app_jwt(v, NOW + APPS_JWT_REUSE));
	assert_string_not_equal(again, copy);
	assert_int_equal(v->jwt_at, NOW + APPS_JWT_REUSE);
	assert_non_null(again = github_app_jwt(v, NOW));
	assert_int_equal(v->jwt_at, NOW);
	/* The same claims: the same token (RS256 is deterministic). */
	assert_string_equal(again, copy);
	free(copy);
	/* Each variant has its own. */
	assert_non_null(again = github_app_jwt(&a->v[APPS_USER], NOW));
	assert_string_not_equal(again, github_app_jwt(v, NOW));
}

static void
github_app_load_reads_only_configured_keys(void **state)
{
	char path[] = "/tmp/test_apps.XXXXXX", missing[] = "/nonexistent/k";
	struct config cfg;
	struct github_apps a;
	EVP_PKEY *k;
	FILE *f;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	assert_non_null(k = EVP_RSA_gen(2048));
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL),
	    1);
	assert_int_equal(fclose(f), 0);
	EVP_PKEY_free(k);

	memset(&cfg, 0, sizeof(cfg));
	memset(&a, 0, sizeof(a));
	cfg.app_user.id = 202;
	cfg.app_user.key_file = path;
	assert_int_equal(github_app_load(&a, &cfg), 0);
	assert_null(a.v[APPS_ORG].app);
	assert_int_equal(jwt_app_id(a.v[APPS_USER].app), 202);
	github_app_release(&a);
	assert_null(a.v[APPS_USER].app);
	github_app_release(NULL);

	cfg.app_org.id = 101;
	cfg.app_org.key_file = missing;
	assert_int_equal(github_app_load(&a, &cfg), -1);
	github_app_release(&a);
	(void)unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(github_app_for_entity_picks_the_variant),
		cmocka_unit_test(github_app_jwt_is_reused_then_renewed),
		cmocka_unit_test(github_app_load_reads_only_configured_keys),
	};

	return cmocka_run_group_tests_name("apps", tests, setup, teardown);
}
