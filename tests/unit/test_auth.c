/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/auth: webhook HMAC (known answers) and bearer tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/auth.h"

static struct config_secret
secret(const char *s)
{
	struct config_secret k;

	k.buf = (unsigned char *)(uintptr_t)s;
	k.len = strlen(s);
	return k;
}

/* GitHub's published vector and octokit's, from SIGNATURE_VECTORS.md. */
static void
auth_github_vectors(void **state)
{
	static const struct {
		const char *secret, *body, *sig;
		int want;
	} v[] = {
		{ "It's a Secret to Everybody", "Hello, World!",
		    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		    0 },
		/* Uppercase hex digits are the same digest. */
		{ "It's a Secret to Everybody", "Hello, World!",
		    "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17",
		    0 },
		/* The same body with a trailing newline must not verify. */
		{ "It's a Secret to Everybody", "Hello, World!\n",
		    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		    -1 },
		{ "mysecret", "{\"foo\":\"bar\"}",
		    "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3",
		    0 },
		{ "foo", "{\"foo\":\"bar\"}",
		    "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3",
		    -1 },
		{ "development", "{\"foo\":\"\\\\u001b\"}",
		    "sha256=6f8326efbacfbd04e870cea25b5652e635be8c9807f2fd5348ef60753c9e96ed",
		    0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct config_secret k = secret(v[i].secret);

		assert_int_equal(auth_hmac_verify(&k, v[i].sig, v[i].body,
		                     strlen(v[i].body)),
		    v[i].want);
	}
}

/* Vector 3: raw UTF-8 bytes and uppercase \u001B escapes. */
static void
auth_octokit_utf8_vector(void **state)
{
	static const char hex[] =
	    "7b22666f6f223a22466f6f5c6e5c75303031425b33346d6261723a20e299a5"
	    "e299a5e299a5e299a5e299a5e299a5e299a5e299a55c6e746869732d69732d"
	    "6c6f73745c75303031425b306d5c75303031425b324b227d";
	unsigned char body[sizeof(hex) / 2];
	struct config_secret k = secret("development");
	size_t n = (sizeof(hex) - 1) / 2;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		body[i] = (unsigned char)b;
	}
	assert_int_equal(n, 86);
	assert_int_equal(
	    auth_hmac_verify(&k,
	        "sha256=afecc3caa27548bb90d51a50384cb2868b9a3327b4ad6a01c9bd4ed0f8b0b12c",
	        body, n),
	    0);
}

/* RFC 4231 test case 2 (key "Jefe"). */
static void
auth_rfc4231(void **state)
{
	struct config_secret k = secret("Jefe");
	const char *msg = "what do ya want for nothing?";

	(void)state;
	assert_int_equal(
	    auth_hmac_verify(&k,
	        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	        msg, strlen(msg)),
	    0);
}

/* Signing gives the same RFC 4231 value, and nothing without a key. */
static void
auth_sign_rfc4231(void **state)
{
	struct config_secret k = secret("Jefe"), none = { NULL, 0 };
	const char *msg = "what do ya want for nothing?";
	char sig[AUTH_SIGNATURE_SIZE];

	(void)state;
	assert_int_equal(auth_hmac_sign(&k, msg, strlen(msg), sig), 0);
	assert_string_equal(sig,
	    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_int_equal(auth_hmac_sign(&none, msg, strlen(msg), sig), -1);
	assert_string_equal(sig, "");
}

static void
auth_malformed_headers(void **state)
{
	static const char *const bad[] = {
		NULL,
		"",
		"sha256=",
		"sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e177",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043ezz",
		"sha256= 757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
		"SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		"foo",
	};
	struct config_secret k = secret("It's a Secret to Everybody");

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(auth_hmac_verify(&k, bad[i], "Hello, World!",
		                     13),
		    -1);
}

static void
auth_current_and_previous_secret(void **state)
{
	struct config cfg;
	const char *sig =
	    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	/* No secret at all: refused. */
	assert_int_equal(auth_webhook_verify(&cfg, sig, "Hello, World!", 13),
	    -1);
	cfg.webhook_secret = secret("It's a Secret to Everybody");
	assert_int_equal(auth_webhook_verify(&cfg, sig, "Hello, World!", 13),
	    0);
	cfg.webhook_secret = secret("new secret");
	assert_int_equal(auth_webhook_verify(&cfg, sig, "Hello, World!", 13),
	    -1);
	cfg.webhook_secret_prev = secret("It's a Secret to Everybody");
	assert_int_equal(auth_webhook_verify(&cfg, sig, "Hello, World!", 13),
	    0);
}

static void
auth_bearer(void **state)
{
	struct config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	/* Fail closed with no secret configured. */
	assert_int_equal(auth_bearer_verify(&cfg, "Bearer anything"), -1);
	assert_int_equal(auth_bearer_verify(&cfg, "Bearer "), -1);
	cfg.trace_secret = secret("s3cret");
	assert_int_equal(auth_bearer_verify(&cfg, "Bearer s3cret"), 0);
	assert_int_equal(auth_bearer_verify(&cfg, "bearer s3cret"), 0);
	assert_int_equal(auth_bearer_verify(&cfg, "Bearer s3cre"), -1);
	assert_int_equal(auth_bearer_verify(&cfg, "Bearer s3cret2"), -1);
	assert_int_equal(auth_bearer_verify(&cfg, "Basic s3cret"), -1);
	assert_int_equal(auth_bearer_verify(&cfg, "s3cret"), -1);
	assert_int_equal(auth_bearer_verify(&cfg, NULL), -1);
	cfg.trace_secret_prev = secret("old");
	assert_int_equal(auth_bearer_verify(&cfg, "Bearer old"), 0);
	assert_int_equal(auth_bearer_verify(&cfg, "Bearer s3cret"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(auth_github_vectors),
		cmocka_unit_test(auth_octokit_utf8_vector),
		cmocka_unit_test(auth_rfc4231),
		cmocka_unit_test(auth_sign_rfc4231),
		cmocka_unit_test(auth_malformed_headers),
		cmocka_unit_test(auth_current_and_previous_secret),
		cmocka_unit_test(auth_bearer),
	};

	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
