/* SPDX-License-Identifier: MIT */
/* The local, fsync'd spool of verified deliveries the database missed. */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

#define SPOOL_MAGIC  "instlog-spool 1\n"
#define SPOOL_SUFFIX ".delivery"

int
spool_check(const char *dir)
{
	if (dir == NULL)
		return 0;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warnx("spool: cannot create '%s': %s", dir,
		    strerror(errno));
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

int
spool_write(const char *dir, const struct delivery_headers *h,
    const void *body, size_t len)
{
	static unsigned long seq;
	char tmp[4096], final[4096], stamp[64];
	struct timeval tv;
	struct tm tm;
	struct buf head;
	int fd = -1, rc = -1;

	buf_init(&head);
	if (dir == NULL) {
		log_warnx("spool: no INSTLOG_SPOOL_DIR, delivery not spooled");
		return -1;
	}
	(void)gettimeofday(&tv, NULL);
	(void)gmtime_r(&tv.tv_sec, &tm);
	(void)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (snprintf(final, sizeof(final), "%s/%010lld%06ld-%ld-%lu%s", dir,
		(long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), seq++,
		SPOOL_SUFFIX) >= (int)sizeof(final) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", final) >= (int)sizeof(tmp))
		goto out;
	if (buf_puts(&head, SPOOL_MAGIC) == -1 ||
	    buf_printf(&head, "received_at: %s.%06ldZ\n", stamp,
		(long)tv.tv_usec) == -1 ||
	    put_header(&head, "event", h->event) == -1 ||
	    put_header(&head, "delivery", h->delivery_id) == -1 ||
	    put_header(&head, "target_id", h->target_id) == -1 ||
	    put_header(&head, "target_type", h->target_type) == -1 ||
	    buf_puts(&head, "\n") == -1)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    write_all(fd, head.buf, head.len) == -1 ||
	    write_all(fd, body, len) == -1 || fsync(fd) == -1) {
		log_warnx("spool: cannot write '%s': %s", tmp,
		    strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	if (close(fd) == -1 || rename(tmp, final) == -1 ||
	    fsync_dir(dir) == -1) {
		fd = -1;
		log_warnx("spool: cannot commit '%s': %s", final,
		    strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	fd = -1;
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	buf_release(&head);
	return rc;
}

/* Split "name: value" lines at the start of e->data until a blank line. */
static int
parse_head(struct spool_entry *e)
{
	char *p = e->data.buf + strlen(SPOOL_MAGIC);
	char *end = e->data.buf + e->data.len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *colon;

		if (nl == NULL)
			return -1;
		*nl = '\0';
		if (p == nl) {
			e->body = nl + 1;
			e->len = (size_t)(end - e->body);
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
		else if (strcmp(p, "event") == 0)
			e->h.event = colon;
		else if (strcmp(p, "delivery") == 0)
			e->h.delivery_id = colon;
		else if (strcmp(p, "target_id") == 0)
			e->h.target_id = colon;
		else if (strcmp(p, "target_type") == 0)
			e->h.target_type = colon;
		p = nl + 1;
	}
	return -1;
}

/* Return true for "YYYY-MM-DDTHH:MM:SS.uuuuuuZ", as spool_write() puts. */
static bool
is_stamp(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

	if (s == NULL || strlen(s) != sizeof(form) - 1)
		return false;
	for (size_t i = 0; form[i] != '\0'; i++)
		if (form[i] == 'd' ? !isdigit((unsigned char)s[i])
		                   : s[i] != form[i])
			return false;
	return true;
}

int
spool_read(const char *path, struct spool_entry *e)
{
	char chunk[65536];
	size_t n;
	FILE *f;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	buf_init(&e->data);
	if ((f = fopen(path, "rb")) == NULL) {
		log_warnx("spool: cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
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
	rc = 1;
	if (e->data.len < strlen(SPOOL_MAGIC) ||
	    memcmp(e->data.buf, SPOOL_MAGIC, strlen(SPOOL_MAGIC)) != 0 ||
	    parse_head(e) == -1 || !delivery_event_is_valid(e->h.event) ||
	    !is_stamp(e->received_at)) {
		log_warnx("spool: '%s' is not a spool file", path);
		goto out;
	}
	rc = 0;
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
	size_t n = 0, cap = 0, sl = strlen(SPOOL_SUFFIX);

	*names = NULL;
	if ((d = opendir(dir)) == NULL) {
		log_warnx("spool: cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len <= sl || strcmp(de->d_name + len - sl,
		    SPOOL_SUFFIX) != 0)
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
spool_pending(const char *dir)
{
	char **names;
	int n;

	if ((n = spool_list(dir, &names)) >= 0)
		spool_names_free(names);
	return n;
}

int
spool_scan(const char *dir, int limit, int64_t *oldest, bool *more)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	size_t len, sl = strlen(SPOOL_SUFFIX);
	int n = 0, seen = 0;

	*oldest = 0;
	*more = false;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (seen++ == limit) {
			*more = true;
			break;
		}
		len = strlen(de->d_name);
		if (len <= sl ||
		    strcmp(de->d_name + len - sl, SPOOL_SUFFIX) != 0)
			continue;
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
