/* SPDX-License-Identifier: MIT */
/* The fleet's failing accounts: candidates, folded a batch at a time. */
#include "run/fleet_list.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/events_diagnose.h"
#include "core/log.h"
#include "db/fold.h"

/* Accounts folded together (fold_entities(): two statements each time). */
#define FLEET_FOLD_BATCH 100

/*
 * Fold the 'k' candidates 'c' together and list, after what 'l' holds,
 * those the cause filter 'cause' ("" for any) keeps, up to 'cap'.
 * Returns the candidates looked at (all 'k', or fewer when the list
 * filled), or -1 with *ds as for fleet_list_get().
 */
static long
fold_batch(struct db *db, size_t every, const struct db_fleet_candidate *c,
    size_t k, const char *cause, size_t cap, struct fleet_list *l,
    enum db_status *ds)
{
	struct events_state *st = calloc(k, sizeof(*st));
	struct events_diagnosis *dg = calloc(k, sizeof(*dg));
	int64_t *ids = calloc(k, sizeof(*ids));
	long rc = -1;
	size_t i;

	*ds = DB_OK;
	if (st == NULL || dg == NULL || ids == NULL)
		goto out;
	for (i = 0; i < k; i++) {
		ids[i] = c[i].entity_id;
		events_state_init(&st[i]);
		events_diagnosis_init(&dg[i]);
	}
	if (fold_entities(db, ids, k, every, st, dg, ds) == -1)
		goto out;
	for (i = 0; i < k && l->n < cap; i++) {
		struct fleet_item *it = &l->items[l->n];

		memset(it, 0, sizeof(*it));
		if (fleet_item_diagnose(it, &st[i], &dg[i]) == -1)
			goto out;
		if (*cause != '\0' && strcmp(cause, it->cause) != 0) {
			fleet_item_release(it);
			continue;
		}
		/* The item borrows the state's strings: the list keeps it. */
		l->states[l->n] = st[i];
		events_state_init(&st[i]);
		it->entity_id = c[i].entity_id;
		it->entity_name = l->states[l->n].entity_name;
		it->entity_type = c[i].entity_type;
		it->installation_id = c[i].installation_id;
		it->first_failure_at = c[i].first_at;
		it->last_failure_at = c[i].last_at;
		it->failures = c[i].failures;
		l->n++;
	}
	rc = (long)i;
out:
	for (size_t j = 0; st != NULL && dg != NULL && j < k; j++) {
		events_state_release(&st[j]);
		events_diagnosis_release(&dg[j]);
	}
	free(st);
	free(dg);
	free(ids);
	return rc;
}

int
fleet_list_get(struct db *db, size_t every, const struct fleet_params *p,
    struct fleet_list *out, enum db_status *ds)
{
	size_t cap = (size_t)p->limit, looked = 0, budget;
	bool any = p->cause[0] == '\0';
	long r;

	memset(out, 0, sizeof(*out));
	if ((*ds = db_fleet_candidates(db, p->since, p->cursor,
	         any ? p->limit + 1 : FLEET_FOLDS_MAX + 1, &out->cands)) !=
	    DB_OK)
		return -1;
	if ((out->items = calloc(cap, sizeof(*out->items))) == NULL ||
	    (out->states = calloc(cap, sizeof(*out->states))) == NULL)
		goto oom;
	budget =
	    out->cands.n < FLEET_FOLDS_MAX ? out->cands.n : FLEET_FOLDS_MAX;
	/*
	 * Without a filter, no more than the page can list; with one, as
	 * many as it still needs, then twice as many each time (most
	 * candidates may have another cause), a batch at most.
	 */
	for (size_t grow = cap; out->n < cap && looked < budget;) {
		size_t need = cap - out->n;
		size_t k = any || grow < need ? need : grow;

		if (k > budget - looked)
			k = budget - looked;
		if (k > FLEET_FOLD_BATCH)
			k = FLEET_FOLD_BATCH;
		if (grow < FLEET_FOLD_BATCH)
			grow *= 2;
		if ((r = fold_batch(db, every, &out->cands.v[looked], k,
		         p->cause, cap, out, ds)) == -1) {
			if (*ds == DB_OK)
				goto oom;
			return -1;
		}
		looked += (size_t)r;
	}
	/* More may follow: the last one listed or looked at. */
	if (looked < out->cands.n && looked > 0)
		out->next = out->cands.v[looked - 1].last_id;
	return 0;
oom:
	log_warnx("%s: out of memory", __func__);
	*ds = DB_OK;
	return -1;
}

void
fleet_list_release(struct fleet_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		fleet_item_release(&l->items[i]);
		events_state_release(&l->states[i]);
	}
	free(l->items);
	free(l->states);
	db_fleet_candidates_release(&l->cands);
	memset(l, 0, sizeof(*l));
}
