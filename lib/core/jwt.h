/* SPDX-License-Identifier: MIT */
/* GitHub App keys and their RS256 JWTs, with the base64url codec. */
#ifndef INSTLOG_JWT_H
#define INSTLOG_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/str.h"

/* JWT validity: issued 60 s in the past (clock drift), expires 9 min on. */
#define JWT_BACKDATE 60
#define JWT_LIFETIME 540

/*
 * Append the base64url encoding (RFC 4648 §5, no padding) of 'len' bytes
 * of 'p' to 'out'.  Returns 0, or -1 when out of memory.
 */
int jwt_base64url_encode(const void *p, size_t len, struct buf *out);

/*
 * Decode 'len' characters of unpadded base64url text 's' and append the
 * bytes to 'out'.  Strict: padding, characters outside the url alphabet,
 * a dangling sixth bit group or non-zero unused bits are refused.
 * Returns 0, or -1 (nothing logged; 'out' may hold a partial result).
 */
int jwt_base64url_decode(const char *s, size_t len, struct buf *out);

/* One GitHub App: its id and RSA private key.  Opaque. */
struct jwt_app;

/*
 * Load the PEM private key (PKCS#1 "RSA PRIVATE KEY", as GitHub hands it
 * out, or PKCS#8) of app 'id' from the file 'key_file'.  The key must be
 * unencrypted RSA of 2048 bits or more.  The file's text is wiped from memory
 * once parsed. Returns an app the caller frees with jwt_app_free(), or NULL
 * after logging one line that names the file and what is wrong with it.
 */
struct jwt_app *jwt_app_load(int64_t id, const char *key_file);

/*
 * Make an app from an RSA key already in memory.  'pkey' is not consumed:
 * the app takes its own reference.  Returns NULL (logged) when 'pkey' is
 * not an RSA key of 2048 bits or more, or when out of memory.  Free with
 * jwt_app_free().
 */
struct jwt_app *jwt_app_new(int64_t id, EVP_PKEY *pkey);

/* Free 'app' and drop its key reference (NULL accepted). */
void jwt_app_free(struct jwt_app *app);

/* The app id 'app' was made with. */
int64_t jwt_app_id(const struct jwt_app *app);

/*
 * Sign a GitHub App JWT for 'app' at time 'now': header
 * {"alg":"RS256","typ":"JWT"}, claims {"iat":now-60,"exp":now+540,
 * "iss":"<app id>"}, RS256 (RSASSA-PKCS1-v1_5 with SHA-256), each part
 * base64url without padding.  Sets *out to a NUL-terminated token that the
 * caller frees with jwt_free().  Returns 0, or -1 (logged).
 */
int jwt_sign(const struct jwt_app *app, time_t now, char **out);

/* Wipe and free a token from jwt_sign() (NULL accepted). */
void jwt_free(char *jwt);

#endif
