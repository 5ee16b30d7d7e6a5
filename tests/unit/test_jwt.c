/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/jwt: base64url, the App JWT, keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "core/json.h"
#include "core/jwt.h"
#include "core/str.h"

#define APP_ID 101
#define NOW    1700000000

/* Keys generated once for the group: nothing is read from disk. */
struct keys {
	EVP_PKEY *rsa;
	EVP_PKEY *other;
};

static int
group_setup(void **state)
{
	static struct keys k;

	k.rsa = EVP_RSA_gen(2048);
	k.other = EVP_RSA_gen(2048);
	if (k.rsa == NULL || k.other == NULL)
		return -1;
	*state = &k;
	return 0;
}

static int
group_teardown(void **state)
{
	struct keys *k = *state;

	EVP_PKEY_free(k->rsa);
	EVP_PKEY_free(k->other);
	return 0;
}

/* base64url of the NUL-terminated 's'; the caller frees the result. */
static char *
b64(const void *p, size_t len)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(jwt_base64url_encode(p, len, &b), 0);
	if (b.buf == NULL)
		assert_int_equal(buf_puts(&b, ""), 0);
	return b.buf;
}

static void
jwt_base64url_rfc4648_vectors(void **state)
{
	/* RFC 4648 §10, without the padding. */
	static const char *const v[][2] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *got = b64(v[i][0], strlen(v[i][0]));

		assert_string_equal(got, v[i][1]);
		free(got);
	}
}

static void
jwt_base64url_url_alphabet(void **state)
{
	static const unsigned char a[] = { 0xfb, 0xff, 0xbf };
	static const unsigned char b[] = { 0xfb, 0xff };
	static const unsigned char c[] = { 0xff };
	char *got;

	(void)state;
	got = b64(a, sizeof(a));
	assert_string_equal(got, "-_-_");
	free(got);
	got = b64(b, sizeof(b));
	assert_string_equal(got, "-_8");
	free(got);
	got = b64(c, sizeof(c));
	assert_string_equal(got, "_w");
	free(got);
}

static void
jwt_base64url_rfc7515_vectors(void **state)
{
	/* RFC 7515 appendix A.1: the JOSE header and the claims set. */
	static const char header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
	static const char claims[] = "{\"iss\":\"joe\",\r\n"
	                             " \"exp\":1300819380,\r\n"
	                             " \"http://example.com/is_root\":true}";
	char *got;

	(void)state;
	got = b64(header, strlen(header));
	assert_string_equal(got, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
	free(got);
	got = b64(claims, strlen(claims));
	assert_string_equal(got,
	    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
	    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ");
	free(got);
}

static void
jwt_base64url_round_trip(void **state)
{
	unsigned char bytes[70];
	struct buf enc, dec;

	(void)state;
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(bytes); len++) {
		buf_init(&enc);
		buf_init(&dec);
		assert_int_equal(jwt_base64url_encode(bytes, len, &enc), 0);
		assert_int_equal(jwt_base64url_decode(enc.buf, enc.len, &dec),
		    0);
		assert_int_equal(dec.len, len);
		if (len > 0)
			assert_memory_equal(dec.buf, bytes, len);
		buf_release(&enc);
		buf_release(&dec);
	}
}

static void
jwt_base64url_decode_is_strict(void **state)
{
	static const char *const bad[] = {
		"Zg==", /* padding */
		"Z",    /* one digit is not a whole byte */
		"Zh",   /* non-zero unused bits */
		"Zm9",  /* ditto, for a three-digit group */
		"Zm9v+",
		"Zm/v",
		"Zm9 ",
		"Zm\n9v",
	};
	struct buf out;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_init(&out);
		assert_int_equal(jwt_base64url_decode(bad[i], strlen(bad[i]),
		                     &out),
		    -1);
		buf_release(&out);
	}
	buf_init(&out);
	assert_int_equal(jwt_base64url_decode("Zm8", 3, &out), 0);
	assert_string_equal(out.buf, "fo");
	buf_release(&out);
}

/* Split 'jwt' into its three parts; asserts there are exactly three. */
static void
jwt_split(const char *jwt, char parts[3][1024])
{
	const char *p = jwt, *dot;

	for (int i = 0; i < 3; i++) {
		size_t n;

		dot = strchr(p, '.');
		if (i < 2)
			assert_non_null(dot);
		else
			assert_null(dot);
		n = dot == NULL ? strlen(p) : (size_t)(dot - p);
		assert_true(n > 0 && n < 1024);
		memcpy(parts[i], p, n);
		parts[i][n] = '\0';
		if (dot != NULL)
			p = dot + 1;
	}
}

/* Decode part 'part' of a JWT as a JSON object; cJSON_Delete() it. */
static cJSON *
jwt_json(const char *part)
{
	struct buf dec;
	cJSON *root;

	buf_init(&dec);
	assert_int_equal(jwt_base64url_decode(part, strlen(part), &dec), 0);
	root = json_parse(dec.buf, dec.len);
	buf_release(&dec);
	assert_true(cJSON_IsObject(root));
	return root;
}

static void
jwt_has_three_unpadded_parts(void **state)
{
	struct keys *k = *state;
	struct jwt_app *app;
	char parts[3][1024];
	char *jwt;

	assert_non_null(app = jwt_app_new(APP_ID, k->rsa));
	assert_int_equal(jwt_app_id(app), APP_ID);
	assert_int_equal(jwt_sign(app, NOW, &jwt), 0);
	jwt_split(jwt, parts);
	for (int i = 0; i < 3; i++)
		assert_int_equal(strspn(parts[i],
		                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                     "abcdefghijklmnopqrstuvwxyz0123456789-_"),
		    strlen(parts[i]));
	/* A 2048-bit signature is 256 bytes: 342 digits unpadded. */
	assert_int_equal(strlen(parts[2]), 342);
	jwt_free(jwt);
	jwt_app_free(app);
}

static void
jwt_header_and_claims(void **state)
{
	struct keys *k = *state;
	struct jwt_app *app;
	char parts[3][1024];
	cJSON *h, *c;
	int64_t iat, exp;
	char *jwt;

	assert_non_null(app = jwt_app_new(APP_ID, k->rsa));
	assert_int_equal(jwt_sign(app, NOW, &jwt), 0);
	jwt_split(jwt, parts);

	h = jwt_json(parts[0]);
	assert_int_equal(cJSON_GetArraySize(h), 2);
	assert_string_equal(json_string(h, "alg"), "RS256");
	assert_string_equal(json_string(h, "typ"), "JWT");
	cJSON_Delete(h);

	c = jwt_json(parts[1]);
	assert_int_equal(cJSON_GetArraySize(c), 3);
	assert_int_equal(json_int64(c, "iat", 0, INT64_MAX, &iat), 0);
	assert_int_equal(json_int64(c, "exp", 0, INT64_MAX, &exp), 0);
	assert_int_equal(iat, NOW - 60);
	assert_int_equal(exp, NOW + 540);
	assert_true(exp - iat <= 600);
	assert_string_equal(json_string(c, "iss"), "101");
	cJSON_Delete(c);

	jwt_free(jwt);
	jwt_app_free(app);
}

/* Verify the RS256 signature of 'jwt' with 'pkey'.  Returns 1 or 0. */
static int
jwt_verifies(const char *jwt, EVP_PKEY *pkey)
{
	const char *dot = strrchr(jwt, '.');
	struct buf sig;
	EVP_MD_CTX *ctx;
	int ok;

	assert_non_null(dot);
	buf_init(&sig);
	assert_int_equal(jwt_base64url_decode(dot + 1, strlen(dot + 1), &sig),
	    0);
	assert_non_null(ctx = EVP_MD_CTX_new());
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, (const unsigned char *)sig.buf, sig.len,
	        (const unsigned char *)jwt, (size_t)(dot - jwt)) == 1;
	EVP_MD_CTX_free(ctx);
	buf_release(&sig);
	return ok;
}

static void
jwt_signature_verifies(void **state)
{
	struct keys *k = *state;
	struct jwt_app *app;
	char *jwt;

	assert_non_null(app = jwt_app_new(APP_ID, k->rsa));
	assert_int_equal(jwt_sign(app, NOW, &jwt), 0);
	assert_true(jwt_verifies(jwt, k->rsa));
	assert_false(jwt_verifies(jwt, k->other));
	/* Change one claim byte: the signature no longer matches. */
	jwt[strchr(jwt, '.') - jwt + 2] ^= 1;
	assert_false(jwt_verifies(jwt, k->rsa));
	jwt_free(jwt);
	jwt_app_free(app);
}

/* Write 'text' to a new temporary file; the caller unlinks 'path'. */
static void
temp_file(char *path, size_t size, const char *text, size_t len)
{
	int fd;

	(void)snprintf(path, size, "/tmp/test_github.XXXXXX");
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Write 'pkey' as PEM to a temporary file, 'traditional' as PKCS#1. */
static void
key_file(char *path, size_t size, EVP_PKEY *pkey, int traditional,
    int encrypted)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ok;

	assert_non_null(bio);
	if (encrypted)
		ok = PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_128_cbc(),
		    "pass", 4, NULL, NULL);
	else if (traditional)
		ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL,
		    0, NULL, NULL);
	else
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
		    NULL);
	assert_int_equal(ok, 1);
	len = BIO_get_mem_data(bio, &data);
	temp_file(path, size, data, (size_t)len);
	BIO_free(bio);
}

static void
jwt_app_load_reads_pkcs1_and_pkcs8(void **state)
{
	struct keys *k = *state;
	struct jwt_app *app;
	char path[64], *jwt;

	for (int traditional = 0; traditional <= 1; traditional++) {
		key_file(path, sizeof(path), k->rsa, traditional, 0);
		app = jwt_app_load(APP_ID, path);
		(void)unlink(path);
		assert_non_null(app);
		assert_int_equal(jwt_sign(app, NOW, &jwt), 0);
		assert_true(jwt_verifies(jwt, k->rsa));
		jwt_free(jwt);
		jwt_app_free(app);
	}
}

static void
jwt_app_load_refuses_bad_keys(void **state)
{
	struct keys *k = *state;
	EVP_PKEY *ec, *small;
	BIO *bio;
	char path[64], *data;
	long len;

	(void)k;
	assert_null(jwt_app_load(APP_ID, "/nonexistent/key.pem"));

	temp_file(path, sizeof(path), "garbage\n", 8);
	assert_null(jwt_app_load(APP_ID, path));
	(void)unlink(path);

	/* A public key is not a private key. */
	assert_non_null(bio = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_PUBKEY(bio, k->rsa), 1);
	len = BIO_get_mem_data(bio, &data);
	temp_file(path, sizeof(path), data, (size_t)len);
	BIO_free(bio);
	assert_null(jwt_app_load(APP_ID, path));
	(void)unlink(path);

	/* Encrypted: refused, never a passphrase prompt. */
	key_file(path, sizeof(path), k->rsa, 0, 1);
	assert_null(jwt_app_load(APP_ID, path));
	(void)unlink(path);

	/* Not RSA, and RSA too small for RS256. */
	assert_non_null(ec = EVP_EC_gen("P-256"));
	key_file(path, sizeof(path), ec, 0, 0);
	assert_null(jwt_app_load(APP_ID, path));
	(void)unlink(path);
	assert_null(jwt_app_new(APP_ID, ec));
	EVP_PKEY_free(ec);
	assert_non_null(small = EVP_RSA_gen(1024));
	assert_null(jwt_app_new(APP_ID, small));
	EVP_PKEY_free(small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jwt_base64url_rfc4648_vectors),
		cmocka_unit_test(jwt_base64url_url_alphabet),
		cmocka_unit_test(jwt_base64url_rfc7515_vectors),
		cmocka_unit_test(jwt_base64url_round_trip),
		cmocka_unit_test(jwt_base64url_decode_is_strict),
		cmocka_unit_test(jwt_has_three_unpadded_parts),
		cmocka_unit_test(jwt_header_and_claims),
		cmocka_unit_test(jwt_signature_verifies),
		cmocka_unit_test(jwt_app_load_reads_pkcs1_and_pkcs8),
		cmocka_unit_test(jwt_app_load_refuses_bad_keys),
	};

	return cmocka_run_group_tests_name("jwt", tests, group_setup,
	    group_teardown);
}
