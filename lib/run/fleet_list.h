/* SPDX-License-Identifier: MIT */
/*
 * The fleet's failing accounts (DESIGN §12), for GET /trace/failing and
 * /metrics: the candidates of the window, folded a batch at a time and
 * diagnosed.
 */
#ifndef INSTLOG_FLEET_LIST_H
#define INSTLOG_FLEET_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "core/events.h"
#include "core/fleet.h"
#include "db/db.h"
#include "db/db_fleet.h"

/* One page of failing accounts. */
struct fleet_list {
	struct fleet_item *items; /* 'n' of them, newest failure first */
	size_t n;
	int64_t next; /* the next page's cursor; 0: none */
	/* What the items borrow. */
	struct events_state *states;
	struct db_fleet_candidates cands;
};

/*
 * The accounts failing since p->since and not recovered, after p->cursor,
 * at most p->limit of those whose cause is p->cause ("" for any), into
 * *out: the candidates (db_fleet_candidates()), each folded with
 * fold_entities() ('every': the fold checkpoints' spacing) and diagnosed
 * (fleet_item_diagnose()).  With a cause filter at most FLEET_FOLDS_MAX
 * accounts are looked at (a page may then hold fewer, with a next
 * cursor).  Returns 0; or -1 with *ds the database error (DB_REFUSED: the
 * cursor is no failure row), DB_OK when out of memory (logged).  The
 * caller releases *out with fleet_list_release() either way.
 */
#define FLEET_FOLDS_MAX 1000
int fleet_list_get(struct db *db, size_t every, const struct fleet_params *p,
    struct fleet_list *out, enum db_status *ds);

/* Free what 'l' holds (NULL accepted) and make it empty. */
void fleet_list_release(struct fleet_list *l);

#endif
