/* SPDX-License-Identifier: MIT */
/*
 * The redelivery sweep's decisions, pure (no I/O): GitHub's webhook
 * delivery list parsed, attempts grouped by delivery guid, and which
 * missed deliveries to ask GitHub to send again.
 */
#include "core/redeliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/json.h"
#include "core/utc.h"

void
redeliver_list_release(struct redeliver_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* True when 's' is 1 to REDELIVER_GUID_MAX letters, digits and '-'. */
static bool
is_guid(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (n == REDELIVER_GUID_MAX ||
		    !((s[n] >= '0' && s[n] <= '9') ||
		        (s[n] >= 'a' && s[n] <= 'z') ||
		        (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '-'))
			return false;
	return n > 0;
}

/* Fill *it from the JSON object 'o'.  Returns 0, or -1 when malformed. */
static int
item_read(const cJSON *o, struct redeliver_item *it)
{
	const cJSON *redelivery;
	const char *guid, *at, *event, *action;
	int64_t status = 0;
	struct utc_time t;

	memset(it, 0, sizeof(*it));
	if (!cJSON_IsObject(o) ||
	    json_int64(o, "id", 1, INT64_MAX, &it->id) != 0 ||
	    (guid = json_string(o, "guid")) == NULL || !is_guid(guid) ||
	    (at = json_string(o, "delivered_at")) == NULL ||
	    utc_parse(at, 0, 0, &t) == -1 ||
	    json_int64(o, "status_code", 0, 999, &status) == -1)
		return -1;
	redelivery = cJSON_GetObjectItemCaseSensitive(o, "redelivery");
	if (redelivery != NULL && !cJSON_IsBool(redelivery) &&
	    !cJSON_IsNull(redelivery))
		return -1;
	it->redelivery = cJSON_IsTrue(redelivery);
	it->delivered_at = (time_t)t.secs;
	it->status_code = (int)status;
	memcpy(it->guid, guid, strlen(guid) + 1);
	event = json_string(o, "event");
	action = json_string(o, "action");
	(void)snprintf(it->event, sizeof(it->event), "%s%s%s",
	    event != NULL ? event : "", action != NULL ? "." : "",
	    action != NULL ? action : "");
	return 0;
}

int
redeliver_page_parse(const char *body, size_t len, time_t cutoff,
    struct redeliver_list *l, size_t *older, size_t *invalid)
{
	struct redeliver_item it, *nv;
	const cJSON *o;
	cJSON *root;
	size_t want;
	int rc = -1;

	if ((root = json_parse(body, len)) == NULL || !cJSON_IsArray(root))
		goto out;
	cJSON_ArrayForEach (o, root) {
		if (item_read(o, &it) == -1) {
			(*invalid)++;
			continue;
		}
		if (it.delivered_at < cutoff) {
			(*older)++;
			continue;
		}
		if (l->n == l->cap) {
			want = l->cap == 0 ? 128 : l->cap * 2;
			if ((nv = reallocarray(l->v, want, sizeof(*nv))) ==
			    NULL)
				goto out;
			l->v = nv;
			l->cap = want;
		}
		l->v[l->n++] = it;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

/* qsort order of attempts: by guid, then newest first. */
static int
attempt_cmp(const void *a, const void *b)
{
	const struct redeliver_item *x =
	    *(const struct redeliver_item *const *)a;
	const struct redeliver_item *y =
	    *(const struct redeliver_item *const *)b;
	int c = strcmp(x->guid, y->guid);

	if (c != 0)
		return c;
	if (x->delivered_at != y->delivered_at)
		return x->delivered_at > y->delivered_at ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

/* qsort order of failed guids: oldest latest attempt first, then guid. */
static int
failed_cmp(const void *a, const void *b)
{
	const struct redeliver_failed *x = a, *y = b;

	if (x->delivered_at != y->delivered_at)
		return x->delivered_at < y->delivered_at ? -1 : 1;
	return strcmp(x->guid, y->guid);
}

int
redeliver_group(const struct redeliver_item *items, size_t n,
    struct redeliver_failed **out, size_t *nout)
{
	const struct redeliver_item **by = NULL, *latest;
	struct redeliver_failed *f = NULL;
	size_t m = 0, i = 0, j;
	bool ok;
	int rc = -1;

	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	if ((by = calloc(n, sizeof(*by))) == NULL ||
	    (f = calloc(n, sizeof(*f))) == NULL)
		goto out;
	for (size_t k = 0; k < n; k++)
		by[k] = &items[k];
	qsort(by, n, sizeof(*by), attempt_cmp);
	while (i < n) {
		latest = by[i];
		ok = false;
		for (j = i; j < n && strcmp(by[j]->guid, latest->guid) == 0;
		     j++)
			if (by[j]->status_code >= 200 &&
			    by[j]->status_code < 300)
				ok = true;
		if (!ok) {
			memcpy(f[m].guid, latest->guid, sizeof(f[m].guid));
			f[m].id = latest->id;
			f[m].delivered_at = latest->delivered_at;
			f[m].status_code = latest->status_code;
			f[m].attempts = j - i;
			memcpy(f[m].event, latest->event, sizeof(f[m].event));
			m++;
		}
		i = j;
	}
	qsort(f, m, sizeof(*f), failed_cmp);
	if (m > 0) {
		*out = f;
		*nout = m;
		f = NULL;
	}
	rc = 0;
out:
	free(by);
	free(f);
	return rc;
}

void
redeliver_plan(const struct redeliver_state *states, size_t n, size_t *budget,
    enum redeliver_verdict *verdicts)
{
	for (size_t i = 0; i < n; i++) {
		const struct redeliver_state *s = &states[i];

		if (s->in_log)
			verdicts[i] = REDELIVER_IN_LOG;
		else if (s->asked >= REDELIVER_MAX_ASKS)
			verdicts[i] = REDELIVER_EXHAUSTED;
		else if (s->asked > 0 && s->asked_ago < REDELIVER_RETRY_AFTER)
			verdicts[i] = REDELIVER_RECENT;
		else if (*budget == 0)
			verdicts[i] = REDELIVER_OVER_CAP;
		else {
			verdicts[i] = REDELIVER_ASK;
			(*budget)--;
		}
	}
}

time_t
redeliver_cutoff(time_t now, time_t swept_until)
{
	time_t oldest = now - REDELIVER_WINDOW;

	if (swept_until == 0 || swept_until - REDELIVER_OVERLAP < oldest)
		return oldest;
	return swept_until - REDELIVER_OVERLAP;
}
