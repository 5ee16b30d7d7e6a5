/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/core/strset: sorted sets of strings ignoring case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/strset.h"

/* Fail unless the set is exactly the 'n' strings of 'want', in order. */
static void
assert_set(char *const *set, size_t nset, const char *const *want, size_t n)
{
	assert_int_equal(nset, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(set[i], want[i]);
}

/* Sorted ignoring case, then by bytes; the first spelling stays. */
static void
strset_add_sorts_and_keeps_spelling(void **state)
{
	static const char *const a[] = { "o/b", NULL, "O/a", "o/C" };
	static const char *const b[] = { "o/A", "o/bb", "o/c", "o/a" };
	static const char *const want1[] = { "O/a", "o/b", "o/C" };
	static const char *const want2[] = { "O/a", "o/b", "o/bb", "o/C" };
	static const char *const c[] = { "x/a", "X/A" };
	static const char *const want3[] = { "X/A" };
	char **set = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(strset_add(&set, &n, a, 4), 0);
	assert_set(set, n, want1, 3);
	assert_int_equal(strset_add(&set, &n, b, 4), 0);
	assert_set(set, n, want2, 4);
	assert_int_equal(strset_add(&set, &n, NULL, 0), 0);
	assert_int_equal(strset_add(&set, &n, b, 0), 0);
	assert_set(set, n, want2, 4);
	strset_clear(&set, &n);
	assert_null(set);
	assert_int_equal(n, 0);
	/* Two spellings in one call: the bytes decide, not qsort. */
	assert_int_equal(strset_add(&set, &n, c, 2), 0);
	assert_set(set, n, want3, 1);
	strset_clear(&set, &n);
}

static void
strset_remove_ignores_case(void **state)
{
	static const char *const a[] = { "o/a", "o/b", "o/c", "o/d" };
	static const char *const del[] = { "O/D", NULL, "o/x", "o/B" };
	static const char *const want[] = { "o/a", "o/c" };
	char **set = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(strset_remove(set, &n, del, 4), 0);
	assert_int_equal(strset_add(&set, &n, a, 4), 0);
	assert_int_equal(strset_remove(set, &n, del, 4), 0);
	assert_set(set, n, want, 2);
	assert_int_equal(strset_remove(set, &n, NULL, 0), 0);
	assert_set(set, n, want, 2);
	strset_clear(&set, &n);
}

/* A rename rewrites the owner, sorts again and merges duplicates. */
static void
strset_rename_owner_rewrites_full_names(void **state)
{
	static const char *const a[] = { "Old/b", "new/b", "old/a", "oldx/c",
		"old", "other/old" };
	static const char *const want[] = { "new/a", "new/b", "old", "oldx/c",
		"other/old" };
	char **set = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(strset_add(&set, &n, a, 6), 0);
	assert_int_equal(strset_rename_owner(set, &n, "OLD", "new"), 0);
	assert_set(set, n, want, 5);
	strset_clear(&set, &n);
	strset_clear(&set, &n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strset_add_sorts_and_keeps_spelling),
		cmocka_unit_test(strset_remove_ignores_case),
		cmocka_unit_test(strset_rename_owner_rewrites_full_names),
	};

	return cmocka_run_group_tests_name("strset", tests, NULL, NULL);
}
