/* SPDX-License-Identifier: MIT */
/* Webhook HMAC-SHA256 signatures and bearer tokens, in constant time. */
#include "core/auth.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/str.h"

/*
 * Compute the HMAC-SHA256 of 'len' bytes of 'body' keyed with 'key' into
 * 'md'.  Returns 0, or -1 when the key is unset or OpenSSL failed.
 */
static int
hmac_sha256(const struct config_secret *key, const void *body, size_t len,
    unsigned char md[SHA256_DIGEST_LENGTH])
{
	unsigned int mdlen = 0;

	if (key == NULL || key->buf == NULL)
		return -1;
	if (HMAC(EVP_sha256(), key->buf, (int)key->len,
	        (const unsigned char *)body, len, md, &mdlen) == NULL ||
	    mdlen != SHA256_DIGEST_LENGTH)
		return -1;
	return 0;
}

int
auth_hmac_verify(const struct config_secret *key, const char *header,
    const void *body, size_t len)
{
	unsigned char want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];
	int rc = -1;

	memset(got, 0, sizeof(got));
	if (header == NULL || strncmp(header, "sha256=", 7) != 0 ||
	    hex_decode(header + 7, want, sizeof(want)) == -1 ||
	    hmac_sha256(key, body, len, got) == -1)
		goto out;
	rc = CRYPTO_memcmp(want, got, sizeof(got)) == 0 ? 0 : -1;
out:
	OPENSSL_cleanse(got, sizeof(got));
	return rc;
}

int
auth_hmac_sign(const struct config_secret *key, const void *body, size_t len,
    char out[AUTH_SIGNATURE_SIZE])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	int rc = -1;

	out[0] = '\0';
	if (hmac_sha256(key, body, len, md) == -1)
		goto out;
	memcpy(out, "sha256=", 7);
	hex_encode(md, sizeof(md), out + 7);
	rc = 0;
out:
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

int
auth_webhook_verify(const struct config *cfg, const char *header,
    const void *body, size_t len)
{
	int cur, prev;

	/* Both are computed so timing does not tell which secret matched. */
	cur = auth_hmac_verify(&cfg->webhook_secret, header, body, len);
	prev = auth_hmac_verify(&cfg->webhook_secret_prev, header, body, len);
	return cur == 0 || prev == 0 ? 0 : -1;
}

/*
 * Compare 'token' with secret 's' in time independent of where they
 * differ: both sides are hashed to equal-length digests first.
 */
static int
token_matches(const struct config_secret *s, const char *token)
{
	unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
	int rc = -1;

	if (s->buf == NULL)
		return -1;
	if (EVP_Digest(s->buf, s->len, a, NULL, EVP_sha256(), NULL) == 1 &&
	    EVP_Digest(token, strlen(token), b, NULL, EVP_sha256(), NULL) ==
	        1 &&
	    CRYPTO_memcmp(a, b, sizeof(a)) == 0)
		rc = 0;
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

int
auth_bearer_verify(const struct config *cfg, const char *header)
{
	const char *token;
	int cur, prev;

	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return -1;
	token = header + 7;
	while (*token == ' ')
		token++;
	if (*token == '\0')
		return -1;
	cur = token_matches(&cfg->trace_secret, token);
	prev = token_matches(&cfg->trace_secret_prev, token);
	return cur == 0 || prev == 0 ? 0 : -1;
}
