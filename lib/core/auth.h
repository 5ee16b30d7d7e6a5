/* SPDX-License-Identifier: MIT */
/* Webhook HMAC-SHA256 signatures and bearer tokens, in constant time. */
#ifndef INSTLOG_AUTH_H
#define INSTLOG_AUTH_H

#include <stddef.h>

#include "core/config.h"

/*
 * Check 'header' (the X-Hub-Signature-256 value, "sha256=" and 64 hex
 * digits; NULL when absent) against the HMAC-SHA256 of the raw 'body'
 * keyed with 'key'.  Returns 0 when it matches, -1 otherwise.
 */
int auth_hmac_verify(const struct config_secret *key, const char *header,
    const void *body, size_t len);

/* Room for "sha256=", 64 hex digits and the NUL. */
#define AUTH_SIGNATURE_SIZE 72

/*
 * Write "sha256=<hex>", the HMAC-SHA256 of the raw 'body' keyed with
 * 'key', into 'out': the value of X-Hub-Signature-256 and of
 * X-Instlog-Signature-256.  Returns 0, or -1 when the key is unset or
 * OpenSSL failed ('out' is then "").
 */
int auth_hmac_sign(const struct config_secret *key, const void *body,
    size_t len, char out[AUTH_SIGNATURE_SIZE]);

/*
 * Check a webhook signature against the current and then the previous
 * secret of 'cfg'.  Returns 0 when either matches, -1 otherwise
 * (including when no secret is configured).
 */
int auth_webhook_verify(const struct config *cfg, const char *header,
    const void *body, size_t len);

/*
 * Check an Authorization header value ("Bearer <token>", NULL when absent)
 * against TRACE_API_SECRET and TRACE_API_SECRET_PREVIOUS.  Fails closed:
 * with no secret configured every token is refused.  Returns 0 or -1.
 */
int auth_bearer_verify(const struct config *cfg, const char *header);

#endif
