/* SPDX-License-Identifier: MIT */
/* Growable byte buffers, bounded integer parsing and hex coding. */
#ifndef INSTLOG_STR_H
#define INSTLOG_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A growable byte buffer.  'buf' is NULL, and 'len' and 'cap' are 0, until
 * the first successful append (an append of zero bytes counts: it is how a
 * caller asks for "" rather than NULL).  From then on 'buf' holds 'len'
 * bytes followed by a NUL, also after buf_reset() and after an append that
 * failed (which leaves the contents as they were).  A reader of a buffer
 * that may never have been appended to checks for NULL.  Initialise with
 * buf_init(), release with buf_release(), which make 'buf' NULL again.
 */
struct buf {
	char *buf;
	size_t len;
	size_t cap;
};

/* Initialise an empty buffer; allocates nothing. */
void buf_init(struct buf *b);

/* Free the contents of 'b' (NULL accepted) and make it empty again. */
void buf_release(struct buf *b);

/*
 * Wipe the whole allocation of 'b' (it held a secret: a token, a key)
 * with OPENSSL_cleanse(), then release it like buf_release().
 */
void buf_wipe(struct buf *b);

/* Empty 'b' but keep its allocation for reuse ("" when it had one). */
void buf_reset(struct buf *b);

/* Append 'len' bytes of 'p'.  Returns 0, or -1 when out of memory. */
int buf_append(struct buf *b, const void *p, size_t len);

/* Append a NUL-terminated string.  Returns 0 or -1. */
int buf_puts(struct buf *b, const char *s);

/* Append formatted text.  Returns 0 or -1. */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append 'v' in decimal (no printf).  Returns 0 or -1. */
int buf_put_int64(struct buf *b, int64_t v);

/*
 * Parse the whole of 's' as a decimal integer in [min, max] into *out, with
 * strtonum(3) semantics: no leading space or '+', no trailing bytes, no
 * overflow.  Returns 0, or -1 and leaves *out untouched.
 */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* The value of hex digit 'c' (either case), or -1 when it is not one. */
int hex_digit(char c);

/*
 * Decode exactly 2 * outlen lowercase or uppercase hex digits of 'hex'
 * (NUL-terminated, no more, no fewer) into 'out'.  Returns 0 or -1.
 */
int hex_decode(const char *hex, unsigned char *out, size_t outlen);

/*
 * Encode 'len' bytes of 'p' as lowercase hex into 'out', which must hold
 * 2 * len + 1 bytes; the result is NUL-terminated.
 */
void hex_encode(const unsigned char *p, size_t len, char *out);

/*
 * Return the length of the well-formed UTF-8 sequence (see is_utf8()) at
 * the start of the 'len' (> 0) bytes of 'p', or 0 when there is none.
 */
size_t utf8_seq(const unsigned char *p, size_t len);

/*
 * Return true when the 'len' bytes of 'p' are well-formed UTF-8 that
 * PostgreSQL text accepts: no overlong forms, surrogates, code points past
 * U+10FFFF or NUL bytes.
 */
bool is_utf8(const char *p, size_t len);

/*
 * Append 'len' bytes of 'p' with each byte that does not start a
 * well-formed UTF-8 sequence (see is_utf8()) replaced by U+FFFD.  Returns
 * 0 or -1.
 */
int buf_append_utf8(struct buf *b, const char *p, size_t len);

/*
 * Return a copy of the NUL-terminated 's' made well-formed UTF-8 with
 * buf_append_utf8(), or NULL when out of memory.  The caller frees it.
 */
char *utf8_dup(const char *s);

/* Return true when the NUL-terminated 's' starts with 'prefix'. */
bool has_prefix(const char *s, const char *prefix);

/*
 * Compare 'a' and 'b' ignoring ASCII case, like strcasecmp(3) in the C
 * locale whatever the locale is: <0, 0 or >0.
 */
int ascii_casecmp(const char *a, const char *b);

/* ascii_casecmp() of at most the first 'len' bytes of 'a' and 'b'. */
int ascii_ncasecmp(const char *a, const char *b, size_t len);

#endif
