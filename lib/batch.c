/* SPDX-License-Identifier: MIT */
/* Group commit by leader and followers (see batch.h). */
#include "batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

enum item_state {
	ITEM_QUEUED,  /* waiting for a leader to take it */
	ITEM_WRITING, /* in the current write */
	ITEM_DONE,    /* st and id are set */
};

/* One request's row; lives on its thread's stack for the call. */
struct item {
	const struct db_event *ev;
	int64_t deadline;
	int64_t id;
	enum db_status st;
	enum item_state state;
	char *why; /* the caller's, BATCH_WHY */
	pthread_cond_t wake; /* its write is done, or it is to lead */
	struct item *next;
};

struct batch {
	pthread_mutex_t lock;
	pthread_condattr_t cattr;
	bool writing;
	char why[BATCH_WHY]; /* of the current write */
	struct item *head;
	struct item **tail;
	batch_write_fn *write;
	void *arg;
	uint64_t rows, writes;
};

struct batch *
batch_new(batch_write_fn *write, void *arg)
{
	struct batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return NULL;
	}
	(void)pthread_mutex_init(&b->lock, NULL);
	(void)pthread_condattr_init(&b->cattr);
	(void)pthread_condattr_setclock(&b->cattr, CLOCK_MONOTONIC);
	b->tail = &b->head;
	b->write = write;
	b->arg = arg;
	return b;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	(void)pthread_condattr_destroy(&b->cattr);
	(void)pthread_mutex_destroy(&b->lock);
	free(b);
}

static size_t
str_size(const char *s)
{
	return s == NULL ? 0 : strlen(s);
}

/* The bytes 'ev' puts in a statement, near enough. */
static size_t
event_size(const struct db_event *ev)
{
	return str_size(ev->payload) + ev->rawlen + str_size(ev->event) +
	    str_size(ev->entity_name) + str_size(ev->delivery_id) + 128;
}

/* Take 'it' out of the queue (lock held). */
static void
unlink_item(struct batch *b, struct item *it)
{
	struct item **p;

	for (p = &b->head; *p != NULL; p = &(*p)->next) {
		if (*p == it) {
			*p = it->next;
			if (b->tail == &it->next)
				b->tail = p;
			return;
		}
	}
}

/*
 * Lead one write (lock held, no write in progress): take rows from the
 * head of the queue, write them without the lock, answer each and wake
 * the next leader.
 */
static void
lead(struct batch *b, const struct item *self)
{
	struct item *taken[BATCH_MAX_ROWS];
	const struct db_event *evs[BATCH_MAX_ROWS];
	int64_t ids[BATCH_MAX_ROWS];
	enum db_status sts[BATCH_MAX_ROWS];
	int64_t deadline = 0;
	size_t n = 0, bytes = 0, sz;

	b->writing = true;
	while (b->head != NULL && n < BATCH_MAX_ROWS) {
		struct item *it = b->head;

		sz = event_size(it->ev);
		if (n > 0 && bytes + sz > BATCH_MAX_BYTES)
			break;
		bytes += sz;
		b->head = it->next;
		if (b->head == NULL)
			b->tail = &b->head;
		it->state = ITEM_WRITING;
		if (it->deadline != 0 &&
		    (deadline == 0 || it->deadline < deadline))
			deadline = it->deadline;
		evs[n] = it->ev;
		taken[n++] = it;
	}
	(void)pthread_mutex_unlock(&b->lock);
	b->why[0] = '\0';
	b->write(b->arg, evs, n, deadline, ids, sts, b->why);
	(void)pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < n; i++) {
		taken[i]->id = ids[i];
		taken[i]->st = sts[i];
		if (sts[i] != DB_OK)
			memcpy(taken[i]->why, b->why, BATCH_WHY);
		taken[i]->state = ITEM_DONE;
		if (taken[i] != self)
			(void)pthread_cond_signal(&taken[i]->wake);
	}
	b->rows += n;
	b->writes++;
	b->writing = false;
	if (b->head != NULL && b->head != self)
		(void)pthread_cond_signal(&b->head->wake);
}

enum db_status
batch_event_insert(struct batch *b, const struct db_event *ev,
    int64_t deadline, int64_t *id, char *why)
{
	struct item me;
	struct timespec ts;
	int rc;

	memset(&me, 0, sizeof(me));
	me.ev = ev;
	me.deadline = deadline;
	me.st = DB_UNAVAILABLE;
	me.state = ITEM_QUEUED;
	me.why = why;
	(void)pthread_cond_init(&me.wake, &b->cattr);
	ts.tv_sec = (time_t)(deadline / 1000);
	ts.tv_nsec = (long)(deadline % 1000) * 1000000L;
	(void)pthread_mutex_lock(&b->lock);
	*b->tail = &me;
	b->tail = &me.next;
	while (me.state != ITEM_DONE) {
		if (!b->writing && me.state == ITEM_QUEUED) {
			lead(b, &me);
			continue;
		}
		if (me.state == ITEM_WRITING || deadline == 0) {
			(void)pthread_cond_wait(&me.wake, &b->lock);
			continue;
		}
		rc = pthread_cond_timedwait(&me.wake, &b->lock, &ts);
		if (rc == ETIMEDOUT && me.state == ITEM_QUEUED) {
			/* Never sent: the caller spools it. */
			unlink_item(b, &me);
			if (!b->writing && b->head != NULL)
				(void)pthread_cond_signal(&b->head->wake);
			(void)snprintf(why, BATCH_WHY, "%s",
			    "no write took the row before its deadline");
			log_warnx("%s: %s", __func__, why);
			break;
		}
	}
	(void)pthread_mutex_unlock(&b->lock);
	(void)pthread_cond_destroy(&me.wake);
	*id = me.id;
	return me.st;
}

void
batch_stats(struct batch *b, uint64_t *rows, uint64_t *writes)
{
	(void)pthread_mutex_lock(&b->lock);
	*rows = b->rows;
	*writes = b->writes;
	(void)pthread_mutex_unlock(&b->lock);
}
