/* SPDX-License-Identifier: MIT */
/* GitHub App keys and their RS256 JWTs, with the base64url codec. */
#include "core/jwt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/json.h"
#include "core/log.h"

/* A PEM key file larger than this is not a key. */
#define KEY_FILE_MAX (64 * 1024)

/* Smallest RSA modulus accepted for signing, in bits. */
#define KEY_MIN_BITS 2048

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
jwt_base64url_encode(const void *p, size_t len, struct buf *out)
{
	const unsigned char *s = p;
	char chunk[256];
	size_t i = 0, n = 0;
	uint32_t v;

	for (; i + 3 <= len; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		chunk[n++] = b64url_alphabet[(v >> 18) & 63];
		chunk[n++] = b64url_alphabet[(v >> 12) & 63];
		chunk[n++] = b64url_alphabet[(v >> 6) & 63];
		chunk[n++] = b64url_alphabet[v & 63];
		if (n + 4 > sizeof(chunk)) {
			if (buf_append(out, chunk, n) == -1)
				return -1;
			n = 0;
		}
	}
	if (len - i == 1) {
		v = (uint32_t)s[i] << 16;
		chunk[n++] = b64url_alphabet[(v >> 18) & 63];
		chunk[n++] = b64url_alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		chunk[n++] = b64url_alphabet[(v >> 18) & 63];
		chunk[n++] = b64url_alphabet[(v >> 12) & 63];
		chunk[n++] = b64url_alphabet[(v >> 6) & 63];
	}
	return buf_append(out, chunk, n);
}

/* The 6-bit value of base64url digit 'c', or -1. */
static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
jwt_base64url_decode(const char *s, size_t len, struct buf *out)
{
	unsigned char bytes[3];
	uint32_t v;
	size_t i = 0, rem = len % 4;
	int d[4];

	if (rem == 1)
		return -1;
	for (; i < len; i += 4) {
		size_t group = len - i < 4 ? len - i : 4;

		v = 0;
		for (size_t k = 0; k < 4; k++) {
			d[k] = k < group ? b64url_value(s[i + k]) : 0;
			if (d[k] == -1)
				return -1;
			v = v << 6 | (uint32_t)d[k];
		}
		bytes[0] = (unsigned char)(v >> 16);
		bytes[1] = (unsigned char)(v >> 8);
		bytes[2] = (unsigned char)v;
		/* Unused low bits of a short final group must be zero. */
		if ((group == 2 && (v & 0xffff) != 0) ||
		    (group == 3 && (v & 0xff) != 0))
			return -1;
		if (buf_append(out, bytes, group - 1) == -1)
			return -1;
	}
	return 0;
}

struct jwt_app {
	int64_t id;
	EVP_PKEY *pkey;
};

/*
 * Make an app of 'pkey' (a reference is taken) after checking it is an
 * RSA key of KEY_MIN_BITS or more.  'file' names the key in the one line
 * logged on refusal, or is NULL for a key from memory.
 */
static struct jwt_app *
app_make(int64_t id, EVP_PKEY *pkey, const char *file)
{
	struct jwt_app *app;
	char what[256];

	if (file != NULL)
		(void)snprintf(what, sizeof(what), "private key '%s'", file);
	else
		(void)snprintf(what, sizeof(what),
		    "app '%" PRId64 "': private key", id);
	if (!EVP_PKEY_is_a(pkey, "RSA")) {
		log_warnx("github: %s: not an RSA key", what);
		return NULL;
	}
	if (EVP_PKEY_get_bits(pkey) < KEY_MIN_BITS) {
		log_warnx("github: %s: RSA key of %d bits, fewer than %d", what,
		    EVP_PKEY_get_bits(pkey), KEY_MIN_BITS);
		return NULL;
	}
	if ((app = calloc(1, sizeof(*app))) == NULL ||
	    EVP_PKEY_up_ref(pkey) != 1) {
		log_warnx("github: %s: out of memory", what);
		free(app);
		return NULL;
	}
	app->id = id;
	app->pkey = pkey;
	return app;
}

struct jwt_app *
jwt_app_new(int64_t id, EVP_PKEY *pkey)
{
	return app_make(id, pkey, NULL);
}

/* Refuse to prompt for a passphrase: an encrypted key is a config error. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

struct jwt_app *
jwt_app_load(int64_t id, const char *key_file)
{
	struct jwt_app *app = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	FILE *f = NULL;
	char *text = NULL;
	size_t len = 0, n;

	if ((f = fopen(key_file, "r")) == NULL) {
		log_warnx("github: private key '%s': cannot read: %s", key_file,
		    strerror(errno));
		goto out;
	}
	if ((text = malloc(KEY_FILE_MAX)) == NULL) {
		log_warnx("github: private key '%s': out of memory", key_file);
		goto out;
	}
	while ((n = fread(text + len, 1, KEY_FILE_MAX - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		log_warnx("github: private key '%s': read error", key_file);
		goto out;
	}
	if (len == KEY_FILE_MAX) {
		log_warnx("github: private key '%s': larger than %d bytes",
		    key_file, KEY_FILE_MAX);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL)
		goto out;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (pkey == NULL) {
		log_warnx("github: private key '%s': not an unencrypted PEM "
		          "private key",
		    key_file);
		goto out;
	}
	app = app_make(id, pkey, key_file);
out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	if (text != NULL) {
		OPENSSL_cleanse(text, KEY_FILE_MAX);
		free(text);
	}
	if (f != NULL)
		(void)fclose(f);
	return app;
}

void
jwt_app_free(struct jwt_app *app)
{
	if (app == NULL)
		return;
	EVP_PKEY_free(app->pkey);
	free(app);
}

int64_t
jwt_app_id(const struct jwt_app *app)
{
	return app->id;
}

int
jwt_sign(const struct jwt_app *app, time_t now, char **out)
{
	static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	struct json_writer w;
	struct buf jwt, claims;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char iss[24];
	int rc = -1;

	*out = NULL;
	buf_init(&jwt);
	buf_init(&claims);
	(void)snprintf(iss, sizeof(iss), "%" PRId64, app->id);
	json_writer_init(&w, &claims);
	json_open_object(&w);
	json_member_int(&w, "iat", (int64_t)now - JWT_BACKDATE);
	json_member_int(&w, "exp", (int64_t)now + JWT_LIFETIME);
	json_member_string(&w, "iss", iss);
	json_close_object(&w);
	if (json_writer_finish(&w) == -1 ||
	    jwt_base64url_encode(header, sizeof(header) - 1, &jwt) == -1 ||
	    buf_puts(&jwt, ".") == -1 ||
	    jwt_base64url_encode(claims.buf, claims.len, &jwt) == -1)
		goto out;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, app->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)jwt.buf,
	        jwt.len) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)jwt.buf,
	        jwt.len) != 1) {
		log_warnx("%s: app '%" PRId64 "': signing failed", __func__,
		    app->id);
		goto out;
	}
	if (buf_puts(&jwt, ".") == -1 ||
	    jwt_base64url_encode(sig, siglen, &jwt) == -1)
		goto out;
	*out = jwt.buf;
	jwt.buf = NULL;
	rc = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	free(sig);
	buf_release(&claims);
	buf_wipe(&jwt);
	return rc;
}

void
jwt_free(char *jwt)
{
	if (jwt == NULL)
		return;
	OPENSSL_cleanse(jwt, strlen(jwt));
	free(jwt);
}
