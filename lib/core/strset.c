/* SPDX-License-Identifier: MIT */
/* Sorted sets of strings that ignore ASCII case. */
#include "core/strset.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"

/*
 * qsort(3) comparator for arrays of strings: ignoring case, then by bytes
 * so that which of two spellings comes first does not depend on qsort.
 */
static int
str_qcmp(const void *a, const void *b)
{
	const char *sa = *(const char *const *)a;
	const char *sb = *(const char *const *)b;
	int c;

	if ((c = ascii_casecmp(sa, sb)) != 0)
		return c;
	return strcmp(sa, sb);
}

static void
strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Drop adjacent case-insensitive duplicates of the sorted 'set'. */
static void
set_dedup(char **set, size_t *nset)
{
	size_t i, k;

	for (i = k = 0; i < *nset; i++) {
		if (k > 0 && ascii_casecmp(set[k - 1], set[i]) == 0)
			free(set[i]);
		else
			set[k++] = set[i];
	}
	*nset = k;
}

int
strset_add(char ***set, size_t *nset, const char *const *add, size_t nadd)
{
	char **in = NULL, **merged = NULL, *p;
	size_t nin = 0, i, j, k;
	int rc = -1;

	if (add == NULL || nadd == 0)
		return 0;
	if ((in = calloc(nadd, sizeof(*in))) == NULL)
		goto out;
	for (i = 0; i < nadd; i++) {
		if (add[i] == NULL)
			continue;
		if ((in[nin] = strdup(add[i])) == NULL)
			goto out;
		nin++;
	}
	if (nin == 0) {
		rc = 0;
		goto out;
	}
	qsort(in, nin, sizeof(*in), str_qcmp);
	if (*nset > SIZE_MAX / sizeof(*merged) - nin ||
	    (merged = calloc(*nset + nin, sizeof(*merged))) == NULL)
		goto out;
	for (i = j = k = 0; i < *nset || j < nin;) {
		if (j == nin ||
		    (i < *nset && ascii_casecmp((*set)[i], in[j]) <= 0))
			p = (*set)[i++];
		else {
			p = in[j];
			in[j++] = NULL;
		}
		if (k > 0 && ascii_casecmp(merged[k - 1], p) == 0)
			free(p);
		else
			merged[k++] = p;
	}
	free(*set);
	*set = merged;
	*nset = k;
	rc = 0;
out:
	if (in != NULL)
		strv_free(in, nin);
	return rc;
}

int
strset_remove(char **set, size_t *nset, const char *const *del, size_t ndel)
{
	const char **d;
	size_t nd = 0, i, j, k;

	if (del == NULL || ndel == 0 || *nset == 0)
		return 0;
	if ((d = calloc(ndel, sizeof(*d))) == NULL)
		return -1;
	for (i = 0; i < ndel; i++)
		if (del[i] != NULL)
			d[nd++] = del[i];
	qsort(d, nd, sizeof(*d), str_qcmp);
	for (i = j = k = 0; i < *nset; i++) {
		while (j < nd && ascii_casecmp(d[j], set[i]) < 0)
			j++;
		if (j < nd && ascii_casecmp(d[j], set[i]) == 0)
			free(set[i]);
		else
			set[k++] = set[i];
	}
	*nset = k;
	free(d);
	return 0;
}

void
strset_clear(char ***set, size_t *nset)
{
	strv_free(*set, *nset);
	*set = NULL;
	*nset = 0;
}

int
strset_rename_owner(char **set, size_t *nset, const char *from, const char *to)
{
	size_t flen = strlen(from), tlen = strlen(to), rest;
	bool changed = false;
	int rc = -1;
	char *p;

	for (size_t i = 0; i < *nset; i++) {
		if (ascii_ncasecmp(set[i], from, flen) != 0 ||
		    set[i][flen] != '/')
			continue;
		rest = strlen(set[i] + flen);
		if (tlen > SIZE_MAX - rest - 1 ||
		    (p = malloc(tlen + rest + 1)) == NULL)
			goto out;
		memcpy(p, to, tlen);
		memcpy(p + tlen, set[i] + flen, rest + 1);
		free(set[i]);
		set[i] = p;
		changed = true;
	}
	rc = 0;
out:
	if (changed) {
		qsort(set, *nset, sizeof(*set), str_qcmp);
		set_dedup(set, nset);
	}
	return rc;
}
