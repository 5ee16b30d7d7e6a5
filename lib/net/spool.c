/* SPDX-License-Identifier: MIT */
/* The local, fsync'd spool of verified deliveries the database missed. */
#include "net/spool.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/clock.h"
#include "core/log.h"

/*
 * Version 3 adds the request id; version 2 files (no request id) are
 * still read, version 1 files (no signature) are refused as old.  The
 * magic lines are of one length.
 */
#define SPOOL_MAGIC    "instlog-spool 3\n"
#define SPOOL_MAGIC_V2 "instlog-spool 2\n"
#define SPOOL_MAGIC_V1 "instlog-spool 1\n"
#define SPOOL_SUFFIX   ".delivery"
/* "\nsha256: " + 64 hex digits + "\n", after the body. */
#define TRAILER_TAG "\nsha256: "
#define TRAILER_LEN (sizeof(TRAILER_TAG) - 1 + 2 * SHA256_DIGEST_LENGTH + 1)

int
spool_check(const char *dir)
{
	struct stat sb;

	if (dir == NULL)
		return 0;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warnx("spool: cannot create '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		log_warnx("spool: '%s' is not a directory", dir);
		return -1;
	}
	/* Whoever can write here can make the replayer store anything. */
	if (sb.st_uid != geteuid()) {
		log_warnx("spool: '%s' is owned by uid %ld, not by this "
		          "process's uid %ld: refused",
		    dir, (long)sb.st_uid, (long)geteuid());
		return -1;
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx(
		    "spool: '%s' is group- or world-writable (mode %04o): "
		    "refused; chmod 700 it",
		    dir, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	if (access(dir, W_OK | X_OK) == -1) {
		log_warnx("spool: '%s' is not writable: %s", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Write all of 'p' to 'fd'.  Returns 0 or -1. */
static int
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len > 0) {
		ssize_t n = write(fd, c, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

/* A header value with CR/LF replaced, so one line stays one line. */
static int
put_header(struct buf *b, const char *name, const char *v)
{
	if (buf_puts(b, name) == -1 || buf_puts(b, ": ") == -1)
		return -1;
	for (const char *p = v == NULL ? "" : v; *p != '\0'; p++)
		if (buf_append(b, *p == '\n' || *p == '\r' ? " " : p, 1) == -1)
			return -1;
	return buf_puts(b, "\n");
}

/*
 * The SHA-256 of the head 'h' and the body 'p', as the trailer line of a
 * spool file, into 'out' (TRAILER_LEN + 1 bytes).  Returns 0 or -1.
 */
static int
trailer(const struct buf *h, const void *p, size_t len, char *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int rc = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, h->buf, h->len) == 1 &&
	    EVP_DigestUpdate(ctx, p, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof(md)) {
		memcpy(out, TRAILER_TAG, sizeof(TRAILER_TAG) - 1);
		hex_encode(md, sizeof(md), out + sizeof(TRAILER_TAG) - 1);
		out[TRAILER_LEN - 1] = '\n';
		out[TRAILER_LEN] = '\0';
		rc = 0;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
spool_write(const char *dir, const struct delivery_headers *h,
    const struct delivery_attempt *a, const char *signature, const void *body,
    size_t len)
{
	static atomic_ulong seq; /* request threads spool at once */
	char tmp[4096], final[4096], tail[TRAILER_LEN + 1];
	int64_t now_us;
	struct buf head;
	int fd = -1, rc = -1;

	buf_init(&head);
	if (dir == NULL) {
		log_warnx("spool: no INSTLOG_SPOOL_DIR, delivery not spooled");
		return -1;
	}
	now_us = clock_wall_us();
	if (snprintf(final, sizeof(final), "%s/%010lld%06ld-%ld-%lu%s", dir,
	        (long long)(now_us / 1000000), (long)(now_us % 1000000),
	        (long)getpid(), atomic_fetch_add(&seq, 1),
	        SPOOL_SUFFIX) >= (int)sizeof(final) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", final) >= (int)sizeof(tmp))
		goto out;
	if (buf_puts(&head, SPOOL_MAGIC) == -1 ||
	    put_header(&head, "received_at", a->received_at) == -1 ||
	    put_header(&head, "attempt", a->key) == -1 ||
	    put_header(&head, "event", h->event) == -1 ||
	    put_header(&head, "delivery", h->delivery_id) == -1 ||
	    put_header(&head, "target_id", h->target_id) == -1 ||
	    put_header(&head, "target_type", h->target_type) == -1 ||
	    put_header(&head, "refused", h->refused) == -1 ||
	    put_header(&head, "request_id", h->request_id) == -1 ||
	    put_header(&head, "signature", signature) == -1 ||
	    buf_printf(&head, "length: %zu\n\n", len) == -1 ||
	    trailer(&head, body, len, tail) == -1)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    write_all(fd, head.buf, head.len) == -1 ||
	    write_all(fd, body, len) == -1 ||
	    write_all(fd, tail, TRAILER_LEN) == -1 || fsync(fd) == -1) {
		log_warnx("spool: cannot write '%s': %s", tmp, strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	if (close(fd) == -1 || rename(tmp, final) == -1) {
		fd = -1;
		log_warnx("spool: cannot commit '%s': %s", final,
		    strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	fd = -1;
	/*
	 * Not durable: take it back, so that a delivery answered 503 is not
	 * also stored by the replayer.
	 */
	if (fsync_dir(dir) == -1) {
		log_warnx("spool: cannot sync '%s': %s", dir, strerror(errno));
		(void)unlink(final);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	buf_release(&head);
	return rc;
}

/*
 * Split the "name: value" lines of e->data from after the magic up to
 * 'end' until a blank line; the body follows it up to 'end'.
 */
static int
parse_head(struct spool_entry *e, char *end)
{
	char *p = e->data.buf + strlen(SPOOL_MAGIC);
	const char *length = NULL;
	int64_t n;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *colon;

		if (nl == NULL)
			return -1;
		*nl = '\0';
		if (p == nl) {
			e->body = nl + 1;
			e->len = (size_t)(end - e->body);
			/* The trailer matched: only a bug gets here. */
			if (length == NULL ||
			    parse_int64(length, 0, INT64_MAX, &n) == -1 ||
			    (uint64_t)n != e->len)
				return -1;
			return 0;
		}
		if ((colon = strstr(p, ": ")) == NULL)
			return -1;
		*colon = '\0';
		colon += 2;
		if (*colon == '\0')
			colon = NULL;
		if (strcmp(p, "received_at") == 0)
			e->received_at = colon;
		else if (strcmp(p, "attempt") == 0)
			e->attempt_key = colon;
		else if (strcmp(p, "event") == 0)
			e->h.event = colon;
		else if (strcmp(p, "delivery") == 0)
			e->h.delivery_id = colon;
		else if (strcmp(p, "target_id") == 0)
			e->h.target_id = colon;
		else if (strcmp(p, "target_type") == 0)
			e->h.target_type = colon;
		else if (strcmp(p, "refused") == 0)
			e->h.refused = colon;
		else if (strcmp(p, "request_id") == 0)
			e->h.request_id = colon;
		else if (strcmp(p, "signature") == 0)
			e->signature = colon;
		else if (strcmp(p, "length") == 0)
			length = colon;
		p = nl + 1;
	}
	return -1;
}

/*
 * Return true when the file in 'e' ends with the trailer of its own
 * contents: it was written whole and not changed since.
 */
static bool
trailer_matches(const struct spool_entry *e)
{
	char want[TRAILER_LEN + 1];
	struct buf head;
	size_t n = e->data.len - TRAILER_LEN;

	/* trailer() hashes a head and a body: give it all as the body. */
	buf_init(&head);
	if (trailer(&head, e->data.buf, n, want) == -1)
		return false;
	return memcmp(e->data.buf + n, want, TRAILER_LEN) == 0;
}

enum spool_status
spool_read(const char *path, struct spool_entry *e)
{
	char chunk[65536];
	size_t n, ml = strlen(SPOOL_MAGIC);
	FILE *f;
	enum spool_status rc = SPOOL_ERROR;

	memset(e, 0, sizeof(*e));
	buf_init(&e->data);
	if ((f = fopen(path, "rb")) == NULL) {
		log_warnx("spool: cannot open '%s': %s", path, strerror(errno));
		return SPOOL_ERROR;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&e->data, chunk, n) == -1) {
			log_warnx("spool: '%s': out of memory", path);
			goto out;
		}
	if (ferror(f)) {
		log_warnx("spool: cannot read '%s'", path);
		goto out;
	}
	if (e->data.len >= ml && memcmp(e->data.buf, SPOOL_MAGIC_V1, ml) == 0) {
		log_warnx("spool: '%s' is a version 1 spool file (written "
		          "before spool files kept the signature): it cannot "
		          "be verified",
		    path);
		rc = SPOOL_OLD;
		goto out;
	}
	rc = SPOOL_BAD;
	if (e->data.len < ml + TRAILER_LEN ||
	    (memcmp(e->data.buf, SPOOL_MAGIC, ml) != 0 &&
	        memcmp(e->data.buf, SPOOL_MAGIC_V2, ml) != 0)) {
		log_warnx("spool: '%s' is not a spool file", path);
		goto out;
	}
	if (!trailer_matches(e)) {
		log_warnx("spool: '%s' is truncated or damaged (checksum)",
		    path);
		goto out;
	}
	if (parse_head(e, e->data.buf + e->data.len - TRAILER_LEN) == -1 ||
	    !delivery_event_is_valid(e->h.event) ||
	    !delivery_attempt_is_valid(e->received_at, false) ||
	    !delivery_attempt_is_valid(e->attempt_key, true)) {
		log_warnx("spool: '%s' is not a well-formed spool file", path);
		goto out;
	}
	rc = SPOOL_OK;
out:
	(void)fclose(f);
	return rc;
}

void
spool_entry_release(struct spool_entry *e)
{
	if (e == NULL)
		return;
	buf_release(&e->data);
	memset(e, 0, sizeof(*e));
}

/* Return true when 'name' is a spool file's name ("*.delivery"). */
static bool
is_spool_name(const char *name)
{
	size_t len = strlen(name), sl = strlen(SPOOL_SUFFIX);

	return len > sl && strcmp(name + len - sl, SPOOL_SUFFIX) == 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
spool_list(const char *dir, char ***names)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;

	*names = NULL;
	if ((d = opendir(dir)) == NULL) {
		log_warnx("spool: cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_spool_name(de->d_name))
			continue;
		if (n + 2 > cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto fail;
		v[++n] = NULL;
	}
	(void)closedir(d);
	if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)
		return -1;
	qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	return (int)n;
fail:
	(void)closedir(d);
	if (v != NULL)
		v[n] = NULL;
	spool_names_free(v);
	return -1;
}

void
spool_names_free(char **names)
{
	if (names == NULL)
		return;
	for (char **p = names; *p != NULL; p++)
		free(*p);
	free(names);
}

int
spool_remove(const char *dir, const char *name)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -1;
	if (unlink(path) == -1) {
		log_warnx("spool: cannot remove '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	return fsync_dir(dir);
}

int
spool_scan(const char *dir, int limit, int64_t *oldest, bool *more)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int n = 0, seen = 0;

	if (oldest != NULL)
		*oldest = 0;
	*more = false;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (seen++ == limit) {
			*more = true;
			break;
		}
		if (!is_spool_name(de->d_name))
			continue;
		if (oldest == NULL) {
			n++;
			continue;
		}
		/* Gone meanwhile: replayed, not waiting any more. */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			continue;
		n++;
		if (*oldest == 0 || (int64_t)st.st_mtime < *oldest)
			*oldest = (int64_t)st.st_mtime;
	}
	(void)closedir(d);
	return n;
}
