/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/net/spool: the file format, damage, old files, the
 * dir, the bounded scan.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/str.h"
#include "net/spool.h"

static char dir[] = "/tmp/instlog-test-spool.XXXXXX";

static int
make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
remove_dir(void **state)
{
	char **names = NULL;
	char path[512];

	(void)state;
	if (spool_list(dir, &names) >= 0)
		for (char **p = names; *p != NULL; p++) {
			(void)snprintf(path, sizeof(path), "%s/%s", dir, *p);
			(void)unlink(path);
		}
	spool_names_free(names);
	return rmdir(dir);
}

/* nginx's $request_id of the deliveries write_one() spools. */
#define REQUEST_ID "0123456789abcdef0123456789abcdef"

/*
 * Write one delivery with headers 'h' into the empty spool and return its
 * path in 'path'.
 */
static void
write_headers(const struct delivery_headers *h, const char *body, char *path,
    size_t size)
{
	struct delivery_attempt a;
	char **names = NULL;

	assert_int_equal(delivery_attempt_new(&a), 0);
	assert_int_equal(spool_write(dir, h, &a, "sha256=00", body,
	                     strlen(body)),
	    0);
	assert_int_equal(spool_list(dir, &names), 1);
	(void)snprintf(path, size, "%s/%s", dir, names[0]);
	spool_names_free(names);
}

/* Write one delivery and return its path in 'path'. */
static void
write_one(const char *body, char *path, size_t size)
{
	struct delivery_headers h = { "installation", "guid-1", "29310",
		"integration", NULL, REQUEST_ID };

	write_headers(&h, body, path, size);
}

static void
spool_round_trip(void **state)
{
	struct spool_entry e;
	char path[512];

	(void)state;
	write_one("{\"action\":\"created\"}", path, sizeof(path));
	assert_int_equal(spool_read(path, &e), SPOOL_OK);
	assert_string_equal(e.h.event, "installation");
	assert_string_equal(e.h.delivery_id, "guid-1");
	assert_null(e.h.refused);
	assert_non_null(e.h.request_id);
	assert_string_equal(e.h.request_id, REQUEST_ID);
	assert_string_equal(e.signature, "sha256=00");
	assert_true(delivery_attempt_is_valid(e.received_at, false));
	assert_true(delivery_attempt_is_valid(e.attempt_key, true));
	assert_int_equal(e.len, strlen("{\"action\":\"created\"}"));
	assert_memory_equal(e.body, "{\"action\":\"created\"}", e.len);
	spool_entry_release(&e);
	assert_int_equal(unlink(path), 0);
}

/* Cut short, or a byte changed: the trailer no longer matches. */
static void
spool_damage_is_detected(void **state)
{
	struct spool_entry e;
	struct stat sb;
	char path[512];
	FILE *f;

	(void)state;
	write_one("{\"action\":\"created\"}", path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(truncate(path, sb.st_size - 1), 0);
	assert_int_equal(spool_read(path, &e), SPOOL_BAD);
	spool_entry_release(&e);
	assert_int_equal(truncate(path, 10), 0);
	assert_int_equal(spool_read(path, &e), SPOOL_BAD);
	spool_entry_release(&e);
	assert_int_equal(unlink(path), 0);

	write_one("{\"action\":\"created\"}", path, sizeof(path));
	assert_non_null(f = fopen(path, "r+"));
	assert_int_equal(fseek(f, -80, SEEK_END), 0);
	assert_int_not_equal(fputc('X', f), EOF);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(spool_read(path, &e), SPOOL_BAD);
	spool_entry_release(&e);
	assert_int_equal(unlink(path), 0);
}

/* A file of the previous format is recognised as such. */
static void
spool_version_1_is_old(void **state)
{
	static const char v1[] =
	    "instlog-spool 1\nreceived_at: "
	    "2020-01-01T00:00:00.000001Z\nevent: ping\n"
	    "delivery: x\ntarget_id: \ntarget_type: \n\n{}";
	struct spool_entry e;
	char path[512];
	FILE *f;

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/1-old.delivery", dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(v1, 1, sizeof(v1) - 1, f), sizeof(v1) - 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(spool_read(path, &e), SPOOL_OLD);
	spool_entry_release(&e);
	assert_int_equal(unlink(path), 0);
}

/*
 * Write 'head' and 'body' to 'path' with the SHA-256 trailer over both,
 * as spool_write() does.
 */
static void
write_with_trailer(const char *path, const char *head, const char *body)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	EVP_MD_CTX *ctx;
	unsigned int mdlen = 0;
	FILE *f;

	assert_non_null(ctx = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, head, strlen(head)), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, body, strlen(body)), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &mdlen), 1);
	EVP_MD_CTX_free(ctx);
	hex_encode(md, sizeof(md), hex);
	hex[sizeof(hex) - 1] = '\0';
	assert_non_null(f = fopen(path, "w"));
	assert_true(fprintf(f, "%s%s\nsha256: %s\n", head, body, hex) > 0);
	assert_int_equal(fclose(f), 0);
}

/*
 * A file of version 2 (written before spool files kept the request id)
 * still reads whole: its request id is NULL.
 */
static void
spool_version_2_still_reads(void **state)
{
	static const char head[] =
	    "instlog-spool 2\nreceived_at: 2020-01-01T00:00:00.000001Z\n"
	    "attempt: 0123456789abcdef0123456789abcdef\nevent: ping\n"
	    "delivery: guid-2\ntarget_id: 29310\ntarget_type: integration\n"
	    "refused: \nsignature: sha256=01\nlength: 2\n\n";
	struct spool_entry e;
	char path[512];

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/2-old.delivery", dir);
	write_with_trailer(path, head, "{}");
	assert_int_equal(spool_read(path, &e), SPOOL_OK);
	assert_string_equal(e.h.event, "ping");
	assert_string_equal(e.h.delivery_id, "guid-2");
	assert_string_equal(e.h.target_id, "29310");
	assert_string_equal(e.received_at, "2020-01-01T00:00:00.000001Z");
	assert_string_equal(e.signature, "sha256=01");
	assert_null(e.h.refused);
	assert_null(e.h.request_id);
	assert_int_equal(e.len, 2);
	assert_memory_equal(e.body, "{}", 2);
	spool_entry_release(&e);
	assert_int_equal(unlink(path), 0);
}

/* A request id that would break its line is written as one line. */
static void
spool_request_id_stays_one_line(void **state)
{
	struct delivery_headers h = { "ping", "guid-3", NULL, NULL, NULL,
		"abc\nlength: 99\r" };
	struct spool_entry e;
	char path[512];

	(void)state;
	write_headers(&h, "{}", path, sizeof(path));
	assert_int_equal(spool_read(path, &e), SPOOL_OK);
	assert_non_null(e.h.request_id);
	assert_string_equal(e.h.request_id, "abc length: 99 ");
	assert_int_equal(e.len, 2);
	spool_entry_release(&e);
	assert_int_equal(unlink(path), 0);
}

/* Group- or world-writable, or someone else's: refused. */
static void
spool_dir_permissions(void **state)
{
	(void)state;
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(spool_check(dir), 0);
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(spool_check(dir), -1);
	assert_int_equal(chmod(dir, 0703), 0);
	assert_int_equal(spool_check(dir), -1);
	assert_int_equal(chmod(dir, 0700), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 65534, (gid_t)-1), 0);
		assert_int_equal(spool_check(dir), -1);
		assert_int_equal(chown(dir, 0, (gid_t)-1), 0);
	}
	assert_int_equal(spool_check(NULL), 0);
}

/* The count looks at no more than 'limit' entries and says so. */
static void
spool_scan_is_bounded(void **state)
{
	char path[512];
	bool more;
	FILE *f;

	(void)state;
	for (int i = 0; i < 50; i++) {
		(void)snprintf(path, sizeof(path), "%s/%04d.delivery", dir, i);
		assert_non_null(f = fopen(path, "w"));
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(spool_scan(dir, 1000, NULL, &more), 50);
	assert_false(more);
	assert_in_range(spool_scan(dir, 20, NULL, &more), 18, 20);
	assert_true(more);
}

/* Create the empty file 'name' in 'd' with modification time 'mtime'. */
static void
touch_at(const char *d, const char *name, time_t mtime)
{
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	char path[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", d, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/*
 * Only *.delivery files count, not the replayer's *.bad, a writer's
 * *.tmp or anything else; the oldest is theirs; 'limit' counts every
 * entry, "." and ".." too.
 */
static void
spool_scan_counts_deliveries(void **state)
{
	static const struct {
		const char *name;
		time_t mtime;
	} files[] = {
		{ "0001.delivery", 2000000000 },
		{ "0002.delivery", 1500000000 },
		{ "0003.delivery", 1800000000 },
		{ "0000.delivery.bad", 1000000000 },
		{ "0004.delivery.tmp", 1000000000 },
		{ ".delivery", 1000000000 },
		{ "metrics", 1000000000 },
		{ "spool_replay.lock", 1000000000 },
	};
	char d[] = "/tmp/instlog-test-scan.XXXXXX", path[512];
	int nentries = (int)(sizeof(files) / sizeof(files[0])) + 2;
	int64_t oldest = -1;
	bool more = true;

	(void)state;
	assert_non_null(mkdtemp(d));
	assert_int_equal(spool_scan(d, 100, &oldest, &more), 0);
	assert_int_equal(oldest, 0);
	assert_false(more);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		touch_at(d, files[i].name, files[i].mtime);
	assert_int_equal(spool_scan(d, 100, &oldest, &more), 3);
	assert_int_equal(oldest, 1500000000);
	assert_false(more);
	assert_int_equal(spool_scan(d, 100, NULL, &more), 3);
	assert_false(more);
	/* A cap of exactly the entries reads them all; one less stops. */
	assert_int_equal(spool_scan(d, nentries, &oldest, &more), 3);
	assert_false(more);
	assert_in_range(spool_scan(d, nentries - 1, &oldest, &more), 2, 3);
	assert_true(more);
	assert_int_equal(spool_scan(d, 0, NULL, &more), 0);
	assert_true(more);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", d, files[i].name);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(rmdir(d), 0);
	/* No directory: -1. */
	assert_int_equal(spool_scan(d, 100, &oldest, &more), -1);
	assert_int_equal(spool_scan(d, 100, NULL, &more), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spool_round_trip),
		cmocka_unit_test(spool_damage_is_detected),
		cmocka_unit_test(spool_version_1_is_old),
		cmocka_unit_test(spool_version_2_still_reads),
		cmocka_unit_test(spool_request_id_stays_one_line),
		cmocka_unit_test(spool_dir_permissions),
		cmocka_unit_test(spool_scan_is_bounded),
		cmocka_unit_test(spool_scan_counts_deliveries),
	};

	return cmocka_run_group_tests_name("spool", tests, make_dir,
	    remove_dir);
}
