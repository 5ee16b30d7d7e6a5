/* SPDX-License-Identifier: MIT */
/*
 * Sorted sets of strings that ignore ASCII case: the repositories of an
 * installation as the fold keeps them (lib/core/events.h).
 */
#ifndef INSTLOG_STRSET_H
#define INSTLOG_STRSET_H

#include <stddef.h>

/*
 * A set is a plain array 'char **set' of '*nset' owned strings, sorted by
 * ascii_casecmp() (lib/core/str.h) and then by bytes, no two equal but for
 * case; NULL and 0 is the empty set.  The functions take the array and
 * its count by address and keep both valid whatever they return.
 */

/*
 * Add copies of the non-NULL strings of the 'nadd' of 'add' (NULL
 * accepted when 'nadd' is 0) to the set, in O(nset + nadd log nadd).  A
 * string already there, ignoring case, keeps its first spelling.  Nothing
 * of 'add' is retained.  Returns 0, or -1 when out of memory with the set
 * untouched.
 */
int strset_add(char ***set, size_t *nset, const char *const *add, size_t nadd);

/*
 * Remove (and free) the entries equal, ignoring case, to a non-NULL string
 * of the 'ndel' of 'del', in O(nset + ndel log ndel).  Returns 0, or -1
 * when out of memory with the set untouched.
 */
int strset_remove(char **set, size_t *nset, const char *const *del,
    size_t ndel);

/*
 * Rewrite the entries "from/name" (owner 'from' ignoring case) as
 * "to/name", as GitHub does to full_names when an account is renamed, then
 * sort again and drop what became a duplicate.  Returns 0, or -1 when out
 * of memory with some entries rewritten and the set still valid.
 */
int strset_rename_owner(char **set, size_t *nset, const char *from,
    const char *to);

/*
 * Free the '*nset' strings of '*set' and the array, and make it the empty
 * set.  Any array of owned strings may be freed so, sorted or not.
 */
void strset_clear(char ***set, size_t *nset);

#endif
