/* SPDX-License-Identifier: MIT */
/* Group commit by leader and followers (see batch.h). */
#define _GNU_SOURCE /* sem_clockwait() */
#include "run/batch.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/utc.h"

enum item_state {
	ITEM_QUEUED,  /* waiting for a leader to take it */
	ITEM_WRITING, /* in the current write */
	ITEM_DONE,    /* st, id and why are set; the leader is done with it */
};

/*
 * One request's row; lives on its thread's stack for the call.  Its
 * thread waits on its own semaphore (thread_sem()), posted without the
 * lock, so that a woken follower need not take the lock to leave.
 */
struct item {
	const void *row;
	size_t bytes;
	int64_t deadline;
	int64_t id;
	enum db_status st;
	_Atomic int state; /* enum item_state */
	char *why;         /* the caller's, BATCH_WHY */
	sem_t *sem;
	struct item *next;
};

struct batch {
	pthread_mutex_t lock;
	size_t nslots;
	unsigned busy; /* bit i: slot i is writing */
	struct item *head;
	struct item **tail;
	size_t queued; /* bytes of the rows in the queue */
	batch_write_fn *write;
	void *args[BATCH_MAX_SLOTS];
	char why[BATCH_MAX_SLOTS][BATCH_WHY]; /* of each slot's write */
	uint64_t rows, writes;
};

/*
 * This thread's semaphore, for as long as the thread lives: a post that
 * arrives after its waiter has left (a leader waking a row that has just
 * timed out) only makes the next wait return early, and every wait
 * checks its row's state again.
 */
static sem_t *
thread_sem(void)
{
	static _Thread_local sem_t sem;
	static _Thread_local bool ready;

	if (!ready) {
		(void)sem_init(&sem, 0, 0);
		ready = true;
	}
	return &sem;
}

struct batch *
batch_new(batch_write_fn *write, void *const *args, size_t nslots)
{
	struct batch *b;

	if (nslots < 1 || nslots > BATCH_MAX_SLOTS) {
		log_warnx("%s: %zu write slots (1..%d)", __func__, nslots,
		    BATCH_MAX_SLOTS);
		return NULL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return NULL;
	}
	(void)pthread_mutex_init(&b->lock, NULL);
	b->tail = &b->head;
	b->write = write;
	b->nslots = nslots;
	memcpy(b->args, args, nslots * sizeof(*args));
	return b;
}

/*
 * A free write slot for the queue (lock held), or -1.  While a write is
 * running, another one starts only for BATCH_PARALLEL_BYTES of queued
 * rows: small rows wait and share the next commit, large ones (whose
 * cost is per byte, not per statement) use another backend at once.
 */
static int
free_slot(const struct batch *b)
{
	if (b->busy != 0 && b->queued < BATCH_PARALLEL_BYTES)
		return -1;
	for (size_t i = 0; i < b->nslots; i++)
		if ((b->busy & (1u << i)) == 0)
			return (int)i;
	return -1;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	(void)pthread_mutex_destroy(&b->lock);
	free(b);
}

/* Take 'it' out of the queue (lock held). */
static void
unlink_item(struct batch *b, struct item *it)
{
	struct item **p;

	for (p = &b->head; *p != NULL; p = &(*p)->next) {
		if (*p == it) {
			*p = it->next;
			b->queued -= it->bytes;
			if (b->tail == &it->next)
				b->tail = p;
			return;
		}
	}
}

/*
 * Lead one write on free slot 'slot' (lock held; held again on return):
 * take rows from the head of the queue, write them without the lock,
 * answer each, and wake their threads and the next leader.
 */
static void
lead(struct batch *b, struct item *self, int slot)
{
	char *why = b->why[slot];
	struct item *taken[BATCH_MAX_ROWS];
	const void *rows[BATCH_MAX_ROWS];
	int64_t ids[BATCH_MAX_ROWS];
	enum db_status sts[BATCH_MAX_ROWS];
	sem_t *wake[BATCH_MAX_ROWS + 1];
	int64_t deadline = 0, now;
	size_t n = 0, nwake = 0, bytes = 0, sz;

	b->busy |= 1u << slot;
	now = clock_monotonic_ms();
	while (b->head != NULL && n < BATCH_MAX_ROWS) {
		struct item *it = b->head;

		sz = it->bytes;
		if (n > 0 && bytes + sz > BATCH_MAX_BYTES)
			break;
		b->head = it->next;
		if (b->head == NULL)
			b->tail = &b->head;
		b->queued -= sz;
		/*
		 * A row with almost no time left is answered at once (its
		 * caller spools it): its deadline would cut the write of
		 * all the others short.
		 */
		if (it->deadline != 0 &&
		    it->deadline - now < BATCH_MIN_LEFT_MS) {
			sem_t *sem = it->sem;

			(void)snprintf(it->why, BATCH_WHY, "%s",
			    "no time left to write the row");
			it->st = DB_UNAVAILABLE;
			atomic_store_explicit(&it->state, ITEM_DONE,
			    memory_order_release);
			if (it != self)
				(void)sem_post(sem);
			continue;
		}
		bytes += sz;
		atomic_store(&it->state, ITEM_WRITING);
		if (it->deadline != 0 &&
		    (deadline == 0 || it->deadline < deadline))
			deadline = it->deadline;
		rows[n] = it->row;
		taken[n++] = it;
	}
	(void)pthread_mutex_unlock(&b->lock);
	why[0] = '\0';
	if (n > 0)
		b->write(b->args[slot], rows, n, deadline, ids, sts, why);
	for (size_t i = 0; i < n; i++) {
		struct item *it = taken[i];

		it->id = ids[i];
		it->st = sts[i];
		if (sts[i] != DB_OK)
			memcpy(it->why, why, BATCH_WHY);
		if (it != self)
			wake[nwake++] = it->sem;
		/* Its thread may leave from here on: 'it' is not touched. */
		atomic_store_explicit(&it->state, ITEM_DONE,
		    memory_order_release);
	}
	(void)pthread_mutex_lock(&b->lock);
	b->rows += n;
	b->writes += n > 0;
	b->busy &= ~(1u << slot);
	if (b->head != NULL && b->head != self)
		wake[nwake++] = b->head->sem;
	(void)pthread_mutex_unlock(&b->lock);
	for (size_t i = 0; i < nwake; i++)
		(void)sem_post(wake[i]);
	(void)pthread_mutex_lock(&b->lock);
}

/* Wait for a post on 'sem', until 'deadline' when it is not 0. */
static int
sem_wait_until(sem_t *sem, int64_t deadline)
{
	struct timespec ts;
	int rc;

	ts.tv_sec = (time_t)(deadline / 1000);
	ts.tv_nsec = (long)(deadline % 1000) * 1000000L;
	do
		rc = deadline == 0 ? sem_wait(sem)
		                   : sem_clockwait(sem, CLOCK_MONOTONIC, &ts);
	while (rc == -1 && errno == EINTR);
	return rc == 0 ? 0 : errno;
}

enum db_status
batch_submit(struct batch *b, const void *row, size_t bytes, int64_t deadline,
    int64_t *id, char *why)
{
	struct item me;
	int state, rc, slot;

	memset(&me, 0, sizeof(me));
	me.row = row;
	me.bytes = bytes;
	me.deadline = deadline;
	me.st = DB_UNAVAILABLE;
	me.why = why;
	me.sem = thread_sem();
	atomic_init(&me.state, ITEM_QUEUED);
	(void)pthread_mutex_lock(&b->lock);
	*b->tail = &me;
	b->tail = &me.next;
	b->queued += bytes;
	for (;;) {
		state = atomic_load(&me.state);
		if (state == ITEM_DONE)
			break;
		if (state == ITEM_QUEUED && (slot = free_slot(b)) != -1) {
			lead(b, &me, slot);
			continue;
		}
		(void)pthread_mutex_unlock(&b->lock);
		/* A row being written waits for its write, however long. */
		rc =
		    sem_wait_until(me.sem, state == ITEM_QUEUED ? deadline : 0);
		if (atomic_load_explicit(&me.state, memory_order_acquire) ==
		    ITEM_DONE)
			goto done;
		(void)pthread_mutex_lock(&b->lock);
		if (rc == ETIMEDOUT && atomic_load(&me.state) == ITEM_QUEUED) {
			/* Never sent: the caller spools it. */
			unlink_item(b, &me);
			if (free_slot(b) != -1 && b->head != NULL)
				(void)sem_post(b->head->sem);
			(void)snprintf(why, BATCH_WHY, "%s",
			    "no write took the row before its deadline");
			log_warnx("%s: %s", __func__, why);
			break;
		}
	}
	(void)pthread_mutex_unlock(&b->lock);
done:
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
