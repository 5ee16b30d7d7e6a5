/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/batch (group commit by leader and followers) with a
 * write function in memory, and of the multi-row INSERT db_event_write()
 * sends.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <pthread.h>
#include <semaphore.h>
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

#include "core/str.h"
#include "db/db_webhook.h"
#include "run/batch.h"

#define ROWS_MAX  (BATCH_MAX_ROWS + 8)
#define CALLS_MAX ROWS_MAX /* each takes a row at least */

/*
 * The write function: row k (delivery "row-k") gets the id 1000 + k and
 * DB_OK, or DB_REFUSED and no id when its payload is "refuse".  Call c
 * waits inside, before answering, while bit c of 'hold' is set.
 */
struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned hold;
	int calls; /* begun */
	size_t sizes[CALLS_MAX];
	int64_t deadlines[CALLS_MAX];
	pthread_t threads[CALLS_MAX];
	int written[ROWS_MAX]; /* calls that were passed row k */
	int call_of[ROWS_MAX]; /* the last of them */
};

static struct fake fake;

static int
row_of(const struct db_event *ev)
{
	return atoi(ev->delivery_id + strlen("row-"));
}

static void
fake_write(void *arg, const void *const *rows, size_t n, int64_t deadline,
    int64_t *ids, enum db_status *sts, char *why)
{
	const struct db_event *const *evs =
	    (const struct db_event *const *)rows;
	struct fake *f = arg;
	int call;

	(void)pthread_mutex_lock(&f->lock);
	call = f->calls++;
	f->sizes[call] = n;
	f->deadlines[call] = deadline;
	f->threads[call] = pthread_self();
	for (size_t i = 0; i < n; i++) {
		f->written[row_of(evs[i])]++;
		f->call_of[row_of(evs[i])] = call;
	}
	(void)pthread_cond_broadcast(&f->cond);
	while (call < 32 && (f->hold & (1u << call)) != 0)
		(void)pthread_cond_wait(&f->cond, &f->lock);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(evs[i]->payload, "refuse") == 0) {
			ids[i] = 0;
			sts[i] = DB_REFUSED;
			(void)snprintf(why, BATCH_WHY, "refused %s",
			    evs[i]->delivery_id);
		} else {
			ids[i] = 1000 + row_of(evs[i]);
			sts[i] = DB_OK;
		}
	}
	(void)pthread_mutex_unlock(&f->lock);
}

/* Wait until 'n' calls have begun. */
static void
fake_wait_calls(int n)
{
	(void)pthread_mutex_lock(&fake.lock);
	while (fake.calls < n)
		(void)pthread_cond_wait(&fake.cond, &fake.lock);
	(void)pthread_mutex_unlock(&fake.lock);
}

/* Let call 'c' answer. */
static void
fake_release(int c)
{
	(void)pthread_mutex_lock(&fake.lock);
	fake.hold &= ~(1u << c);
	(void)pthread_cond_broadcast(&fake.cond);
	(void)pthread_mutex_unlock(&fake.lock);
}

static int
fake_calls(void)
{
	int n;

	(void)pthread_mutex_lock(&fake.lock);
	n = fake.calls;
	(void)pthread_mutex_unlock(&fake.lock);
	return n;
}

/*
 * The seam: a follower of lib/run/batch.c waits on its thread's semaphore
 * through the two functions below, so that a test can wait (on a
 * condition, not by polling) until a row is queued.  A sender thread's
 * first semaphore wait comes after batch_event_insert() has put its row
 * in the queue.
 */
typedef int sem_wait_fn(sem_t *);
typedef int sem_clockwait_fn(sem_t *, clockid_t, const struct timespec *);

static sem_wait_fn *real_wait;
static sem_clockwait_fn *real_clockwait;
static _Thread_local bool in_sender; /* until its first wait in the batch */
static pthread_mutex_t queued_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued_cond = PTHREAD_COND_INITIALIZER;
static int queued; /* senders whose row went in the queue */

static void
note_queued(void)
{
	if (!in_sender)
		return;
	in_sender = false;
	(void)pthread_mutex_lock(&queued_lock);
	queued++;
	(void)pthread_cond_broadcast(&queued_cond);
	(void)pthread_mutex_unlock(&queued_lock);
}

int
sem_wait(sem_t *sem)
{
	note_queued();
	return real_wait(sem);
}

int
sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *at)
{
	note_queued();
	return real_clockwait(sem, clock, at);
}

/* Wait until 'n' senders have queued their row. */
static void
wait_queued(int n)
{
	(void)pthread_mutex_lock(&queued_lock);
	while (queued < n)
		(void)pthread_cond_wait(&queued_cond, &queued_lock);
	(void)pthread_mutex_unlock(&queued_lock);
}

/*
 * Before each test (the fake's lock and condition are never destroyed: a
 * failed test may leave threads waiting on them).
 */
static int
setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	(void)pthread_mutex_init(&fake.lock, NULL);
	(void)pthread_cond_init(&fake.cond, NULL);
	queued = 0;
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One request thread and its row. */
struct sender {
	struct batch *b;
	struct db_event ev;
	char delivery[16];
	int64_t deadline;
	size_t bytes; /* the row's size for the batch; 0: its own */
	enum db_status st;
	int64_t id;
	char why[BATCH_WHY];
	pthread_t thread;
};

static void
sender_init(struct sender *s, struct batch *b, int row)
{
	memset(s, 0, sizeof(*s));
	s->b = b;
	(void)snprintf(s->delivery, sizeof(s->delivery), "row-%d", row);
	s->ev.received_at = "2026-11-30T10:00:00.000000Z";
	s->ev.attempt_key = s->delivery;
	s->ev.source = "webhook";
	s->ev.event = "ping";
	s->ev.outcome = "ok";
	s->ev.delivery_id = s->delivery;
	s->ev.payload = "{}";
	s->st = DB_ERROR;
}

static void *
sender_run(void *arg)
{
	struct sender *s = arg;

	in_sender = true;
	s->st = batch_submit(s->b, &s->ev,
	    s->bytes != 0 ? s->bytes : db_event_size(&s->ev), s->deadline,
	    &s->id, s->why);
	return NULL;
}

static void
sender_start(struct sender *s)
{
	assert_int_equal(pthread_create(&s->thread, NULL, sender_run, s), 0);
}

static void
sender_join(struct sender *s)
{
	assert_int_equal(pthread_join(s->thread, NULL), 0);
}

/* A batch over the fake, and its senders s[0..n) of rows 0..n-1. */
static struct batch *
batch_with_senders(struct sender *s, int n)
{
	struct batch *b;

	assert_non_null(b = batch_new(fake_write, (void *[]){ &fake }, 1));
	for (int i = 0; i < n; i++)
		sender_init(&s[i], b, i);
	return b;
}

/*
 * Start s[0], which leads a first write held until the others s[1..n)
 * are queued behind it, one after the other in that order; then let it
 * answer and wait for every sender.
 */
static void
run_behind_a_write(struct sender *s, int n)
{
	fake.hold |= 1u;
	sender_start(&s[0]);
	fake_wait_calls(1);
	for (int i = 1; i < n; i++) {
		sender_start(&s[i]);
		wait_queued(i);
	}
	fake_release(0);
	for (int i = 0; i < n; i++)
		sender_join(&s[i]);
}

static void
assert_stats(struct batch *b, uint64_t rows, uint64_t writes)
{
	uint64_t r, w;

	batch_stats(b, &r, &w);
	assert_int_equal(r, rows);
	assert_int_equal(w, writes);
}

/* A row alone is written at once, in a write of its own, on its thread. */
static void
batch_one_row_alone(void **state)
{
	struct sender s;
	struct batch *b;

	(void)state;
	assert_non_null(b = batch_new(fake_write, (void *[]){ &fake }, 1));
	sender_init(&s, b, 7);
	s.deadline = now_ms() + 60000;
	s.st = batch_submit(b, &s.ev, db_event_size(&s.ev), s.deadline, &s.id,
	    s.why);
	assert_int_equal(s.st, DB_OK);
	assert_int_equal(s.id, 1007);
	assert_int_equal(fake.calls, 1);
	assert_int_equal(fake.sizes[0], 1);
	assert_true(pthread_equal(fake.threads[0], pthread_self()));
	assert_int_equal(fake.deadlines[0], s.deadline);
	assert_stats(b, 1, 1);
	batch_free(b);
}

/*
 * The rows that arrive during a write all go in the next one, led by one
 * of their threads; each thread gets its own row's id.
 */
static void
batch_rows_queued_during_a_write_go_together(void **state)
{
	enum { N = 16 };
	struct sender s[N];
	struct batch *b;
	bool follower = false;

	(void)state;
	b = batch_with_senders(s, N);
	run_behind_a_write(s, N);
	assert_int_equal(fake.calls, 2);
	assert_int_equal(fake.sizes[0], 1);
	assert_int_equal(fake.sizes[1], N - 1);
	assert_true(pthread_equal(fake.threads[0], s[0].thread));
	for (int i = 1; i < N; i++)
		follower |= pthread_equal(fake.threads[1], s[i].thread) != 0;
	assert_true(follower);
	for (int i = 0; i < N; i++) {
		assert_int_equal(s[i].st, DB_OK);
		assert_int_equal(s[i].id, 1000 + i);
		assert_int_equal(fake.written[i], 1);
	}
	assert_stats(b, N, 2);
	batch_free(b);
}

/* One row of a write refused: that thread alone gets DB_REFUSED. */
static void
batch_each_row_its_own_status(void **state)
{
	enum { N = 6, BAD = 3 };
	struct sender s[N];
	struct batch *b;

	(void)state;
	b = batch_with_senders(s, N);
	s[BAD].ev.payload = "refuse";
	run_behind_a_write(s, N);
	assert_int_equal(fake.calls, 2);
	assert_int_equal(fake.sizes[1], N - 1);
	for (int i = 0; i < N; i++) {
		if (i == BAD) {
			assert_int_equal(s[i].st, DB_REFUSED);
			assert_int_equal(s[i].id, 0);
			assert_string_equal(s[i].why, "refused row-3");
			continue;
		}
		assert_int_equal(s[i].st, DB_OK);
		assert_int_equal(s[i].id, 1000 + i);
	}
	assert_stats(b, N, 2);
	batch_free(b);
}

/* A batch of two slots: 'fake', then 'other' (set up here). */
static struct batch *
two_slots(struct fake *other)
{
	struct batch *b;

	memset(other, 0, sizeof(*other));
	(void)pthread_mutex_init(&other->lock, NULL);
	(void)pthread_cond_init(&other->cond, NULL);
	b = batch_new(fake_write, (void *[]){ &fake, other }, 2);
	assert_non_null(b);
	return b;
}

/*
 * With two write slots a row that arrives during a write is written at
 * once on the other slot (its own argument), concurrently; a third waits
 * until a slot is free and then leads on it.
 */
static void
batch_second_slot_writes_at_once(void **state)
{
	struct fake other;
	struct sender s[3];
	struct batch *b;

	(void)state;
	b = two_slots(&other);
	/* Large rows: a second write starts for them (BATCH_PARALLEL_BYTES). */
	for (int i = 0; i < 3; i++) {
		sender_init(&s[i], b, i);
		s[i].bytes = BATCH_PARALLEL_BYTES;
	}
	fake.hold |= 1u;
	other.hold |= 1u;
	sender_start(&s[0]);
	fake_wait_calls(1);
	/* Slot 0 hangs: row 1 is written at once on slot 1. */
	sender_start(&s[1]);
	(void)pthread_mutex_lock(&other.lock);
	while (other.calls < 1)
		(void)pthread_cond_wait(&other.cond, &other.lock);
	(void)pthread_mutex_unlock(&other.lock);
	assert_int_equal(other.sizes[0], 1);
	assert_true(pthread_equal(other.threads[0], s[1].thread));
	/* Both slots busy: row 2 queues. */
	sender_start(&s[2]);
	wait_queued(1);
	assert_int_equal(fake_calls(), 1);
	/* Slot 0 answers: row 2 leads the next write there. */
	fake_release(0);
	sender_join(&s[0]);
	sender_join(&s[2]);
	assert_int_equal(fake_calls(), 2);
	assert_int_equal(fake.sizes[1], 1);
	assert_int_equal(s[2].id, 1002);
	(void)pthread_mutex_lock(&other.lock);
	other.hold = 0;
	(void)pthread_cond_broadcast(&other.cond);
	(void)pthread_mutex_unlock(&other.lock);
	sender_join(&s[1]);
	assert_int_equal(s[1].st, DB_OK);
	assert_int_equal(s[1].id, 1001);
	assert_stats(b, 3, 3);
	batch_free(b);
}

/*
 * Small rows do not start a second write while one is running, though a
 * slot is free: they wait and go together in the next write.
 */
static void
batch_small_rows_wait_for_the_running_write(void **state)
{
	struct fake other;
	struct sender s[3];
	struct batch *b;

	(void)state;
	b = two_slots(&other);
	for (int i = 0; i < 3; i++)
		sender_init(&s[i], b, i);
	fake.hold |= 1u;
	sender_start(&s[0]);
	fake_wait_calls(1);
	sender_start(&s[1]);
	sender_start(&s[2]);
	wait_queued(2);
	assert_int_equal(other.calls, 0);
	fake_release(0);
	for (int i = 0; i < 3; i++) {
		sender_join(&s[i]);
		assert_int_equal(s[i].st, DB_OK);
	}
	/* Rows 1 and 2 in one write, on the free slot 0. */
	assert_int_equal(fake_calls(), 2);
	assert_int_equal(fake.sizes[1], 2);
	assert_int_equal(other.calls, 0);
	assert_stats(b, 3, 2);
	batch_free(b);
}

/* Out-of-range write slots are refused. */
static void
batch_slots_out_of_range(void **state)
{
	void *args[BATCH_MAX_SLOTS + 1] = { NULL };

	(void)state;
	assert_null(batch_new(fake_write, args, 0));
	assert_null(batch_new(fake_write, args, BATCH_MAX_SLOTS + 1));
}

/*
 * A row with less than BATCH_MIN_LEFT_MS left when a write takes it is
 * answered DB_UNAVAILABLE without being written, and the write gets the
 * deadline of the rows it does hold, not the short one.
 */
static void
batch_row_almost_out_of_time_not_taken(void **state)
{
	struct sender s[3];
	struct batch *b;
	int64_t short_deadline;

	(void)state;
	b = batch_with_senders(s, 3);
	fake.hold = 1u;
	sender_start(&s[0]);
	fake_wait_calls(1);
	s[1].deadline = now_ms() + 60000;
	sender_start(&s[1]);
	wait_queued(1);
	short_deadline = now_ms() + 3 * BATCH_MIN_LEFT_MS / 2;
	s[2].deadline = short_deadline;
	sender_start(&s[2]);
	wait_queued(2);
	/* Let it get within BATCH_MIN_LEFT_MS of its deadline, on purpose. */
	while (now_ms() < short_deadline - BATCH_MIN_LEFT_MS / 2)
		(void)usleep(1000);
	fake_release(0);
	for (int i = 0; i < 3; i++)
		sender_join(&s[i]);
	assert_int_equal(s[2].st, DB_UNAVAILABLE);
	assert_int_equal(fake.written[2], 0);
	assert_int_equal(s[1].st, DB_OK);
	assert_int_equal(fake.calls, 2);
	assert_int_equal(fake.sizes[1], 1);
	assert_int_equal(fake.deadlines[1], s[1].deadline);
	batch_free(b);
}

/*
 * A row still queued at its deadline, behind a write that hangs, returns
 * DB_UNAVAILABLE during that write and is never written; the rows queued
 * before and after it go in the next write.
 */
static void
batch_queued_row_past_deadline_never_written(void **state)
{
	struct sender s[4];
	struct batch *b;

	(void)state;
	b = batch_with_senders(s, 4);
	fake.hold = 1u;
	sender_start(&s[0]);
	fake_wait_calls(1);
	sender_start(&s[1]);
	wait_queued(1);
	s[2].deadline = now_ms() + 50;
	sender_start(&s[2]);
	wait_queued(2);
	sender_start(&s[3]);
	wait_queued(3);
	/* Back while the first write still hangs. */
	sender_join(&s[2]);
	assert_int_equal(s[2].st, DB_UNAVAILABLE);
	assert_int_equal(s[2].id, 0);
	assert_int_equal(fake_calls(), 1);
	fake_release(0);
	sender_join(&s[0]);
	sender_join(&s[1]);
	sender_join(&s[3]);
	assert_int_equal(fake.calls, 2);
	assert_int_equal(fake.sizes[1], 2);
	assert_int_equal(fake.deadlines[1], 0);
	assert_int_equal(fake.written[2], 0);
	for (int i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		assert_int_equal(s[i].st, DB_OK);
		assert_int_equal(s[i].id, 1000 + i);
		assert_int_equal(fake.written[i], 1);
	}
	assert_stats(b, 3, 2);
	batch_free(b);
}

/*
 * A row whose deadline passes while its write hangs waits for that write
 * and gets its result; the write was given the earliest deadline of its
 * rows.
 */
static void
batch_row_being_written_waits_for_its_write(void **state)
{
	struct sender s[3];
	struct batch *b;
	struct timespec past;
	size_t size;
	int64_t deadline;

	(void)state;
	b = batch_with_senders(s, 3);
	fake.hold = 1u | 2u;
	sender_start(&s[0]);
	fake_wait_calls(1);
	/* Ample time to be taken by the second write; the later first. */
	s[1].deadline = now_ms() + 60000;
	sender_start(&s[1]);
	wait_queued(1);
	s[2].deadline = now_ms() + 2000;
	sender_start(&s[2]);
	wait_queued(2);
	fake_release(0);
	fake_wait_calls(2);
	(void)pthread_mutex_lock(&fake.lock);
	size = fake.sizes[1];
	deadline = fake.deadlines[1];
	(void)pthread_mutex_unlock(&fake.lock);
	assert_int_equal(size, 2);
	assert_int_equal(deadline, s[2].deadline);
	/* Let the deadline pass with the second write hanging. */
	past.tv_sec = (time_t)((s[2].deadline + 10) / 1000);
	past.tv_nsec = (long)((s[2].deadline + 10) % 1000) * 1000000L;
	while (
	    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL) != 0)
		;
	fake_release(1);
	for (int i = 0; i < 3; i++) {
		sender_join(&s[i]);
		assert_int_equal(s[i].st, DB_OK);
		assert_int_equal(s[i].id, 1000 + i);
	}
	assert_stats(b, 3, 2);
	batch_free(b);
}

/* Past BATCH_MAX_ROWS queued rows, the next write takes the rest. */
static void
batch_write_takes_at_most_max_rows(void **state)
{
	enum { N = 1 + BATCH_MAX_ROWS + 6 };
	static struct sender s[N];
	struct batch *b;

	(void)state;
	b = batch_with_senders(s, N);
	run_behind_a_write(s, N);
	assert_int_equal(fake.calls, 3);
	assert_int_equal(fake.sizes[0], 1);
	assert_int_equal(fake.sizes[1], BATCH_MAX_ROWS);
	assert_int_equal(fake.sizes[2], 6);
	for (int i = 0; i < N; i++) {
		assert_int_equal(s[i].st, DB_OK);
		assert_int_equal(s[i].id, 1000 + i);
		assert_int_equal(fake.written[i], 1);
		/* In the order they were queued. */
		assert_int_equal(fake.call_of[i],
		    i == 0 ? 0 : (i <= BATCH_MAX_ROWS ? 1 : 2));
	}
	assert_stats(b, N, 3);
	batch_free(b);
}

/*
 * BATCH_MAX_BYTES caps a write: two big rows go together, not three; a
 * row over the cap is written alone, and the row after it waits for the
 * next write.
 */
static void
batch_write_capped_at_max_bytes(void **state)
{
	enum { N = 6 };
	static const size_t sizes[N] = { 0, BATCH_MAX_BYTES * 3 / 8,
		BATCH_MAX_BYTES * 3 / 8, BATCH_MAX_BYTES * 3 / 8,
		BATCH_MAX_BYTES + 1, 0 };
	static const int call_of[N] = { 0, 1, 1, 2, 3, 4 };
	struct sender s[N];
	struct batch *b;
	char *raw;

	(void)state;
	assert_non_null(raw = calloc(1, BATCH_MAX_BYTES + 1));
	assert_non_null(b = batch_new(fake_write, (void *[]){ &fake }, 1));
	for (int i = 0; i < N; i++) {
		sender_init(&s[i], b, i);
		s[i].ev.raw = sizes[i] > 0 ? raw : NULL;
		s[i].ev.rawlen = sizes[i];
	}
	run_behind_a_write(s, N);
	assert_int_equal(fake.calls, 5);
	for (int i = 0; i < N; i++) {
		assert_int_equal(s[i].st, DB_OK);
		assert_int_equal(s[i].id, 1000 + i);
		assert_int_equal(fake.written[i], 1);
		assert_int_equal(fake.call_of[i], call_of[i]);
	}
	assert_stats(b, N, 5);
	batch_free(b);
	free(raw);
}

/* Threads sending rows without pause: every row once, its own id. */
struct stream {
	struct batch *b;
	int first, n;
	int wrong; /* rows answered other than DB_OK with their own id */
};

static void *
stream_run(void *arg)
{
	struct stream *st = arg;
	struct sender s;

	for (int i = 0; i < st->n; i++) {
		sender_init(&s, st->b, st->first + i);
		s.st = batch_submit(st->b, &s.ev, db_event_size(&s.ev), 0,
		    &s.id, s.why);
		if (s.st != DB_OK || s.id != 1000 + st->first + i)
			st->wrong++;
	}
	return NULL;
}

static void
batch_streams_each_row_once(void **state)
{
	enum { THREADS = 8, EACH = ROWS_MAX / THREADS };
	struct stream st[THREADS];
	pthread_t t[THREADS];
	struct batch *b;
	uint64_t rows, writes;
	size_t sum = 0;

	(void)state;
	assert_non_null(b = batch_new(fake_write, (void *[]){ &fake }, 1));
	for (int i = 0; i < THREADS; i++) {
		st[i] = (struct stream){ b, i * EACH, EACH, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, stream_run,
		                     &st[i]),
		    0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(st[i].wrong, 0);
	}
	for (int k = 0; k < THREADS * EACH; k++)
		assert_int_equal(fake.written[k], 1);
	batch_stats(b, &rows, &writes);
	assert_int_equal(rows, THREADS * EACH);
	assert_int_equal(writes, fake.calls);
	for (int c = 0; c < fake.calls; c++)
		sum += fake.sizes[c];
	assert_int_equal(sum, rows);
	batch_free(b);
}

/* Count the occurrences of 'needle' in 'hay'. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Count the parameter $p (not $p0...) in 'sql'. */
static int
count_param(const char *sql, int p)
{
	char name[16];
	int n = 0;
	size_t len;

	len = (size_t)snprintf(name, sizeof(name), "$%d", p);
	for (const char *s = sql; (s = strstr(s, name)) != NULL; s += len)
		if (s[len] < '0' || s[len] > '9')
			n++;
	return n;
}

/*
 * Two rows: two tuples of 18 parameters, $1..$36 each once (the document
 * as jsonb or as the body's json, sql/020), then the id and key of each
 * row written with its outcome, and no conflict clause.
 */
static void
batch_insert_sql_two_rows(void **state)
{
	static const char tail[] = "$33::json, $34::bigint, $35, $36) "
	                           "RETURNING id, attempt_key, outcome";
	struct buf sql;

	(void)state;
	buf_init(&sql);
	assert_int_equal(db_event_insert_sql(&sql, 2, 0), 0);
	assert_int_equal(count(sql.buf, "INSERT INTO installation_events ("),
	    1);
	assert_int_equal(count(sql.buf, "::timestamptz, now())"), 2);
	assert_non_null(strstr(sql.buf,
	    ") VALUES (COALESCE($1::timestamptz, "
	    "now()), $2, "));
	assert_non_null(strstr(sql.buf,
	    "$18), (COALESCE($19::timestamptz, "
	    "now()), $20, "));
	for (int p = 1; p <= 36; p++)
		assert_int_equal(count_param(sql.buf, p), 1);
	assert_int_equal(count_param(sql.buf, 37), 0);
	assert_int_equal(count(sql.buf, "COALESCE($11::jsonb, '{}')"), 1);
	assert_int_equal(count(sql.buf, "COALESCE($29::jsonb, '{}')"), 1);
	assert_int_equal(count(sql.buf, "$15::json,"), 1);
	assert_int_equal(count(sql.buf, "$33::json,"), 1);
	assert_int_equal(count(sql.buf, "::bytea"), 2);
	assert_true(sql.len > strlen(tail));
	assert_string_equal(sql.buf + sql.len - strlen(tail), tail);
	/* A recorded attempt fails it (23505): no per-row conflict check. */
	assert_null(strstr(sql.buf, "ON CONFLICT"));
	buf_release(&sql);
}

/*
 * The jobs form of two rows (decisions #6): the jobs to insert and to
 * advance ($1..$11) ahead of the INSERT, then two tuples of 20
 * parameters: the 18 columns, the kind of the row's jobs write and its
 * idle outcome, both used in the outcome's expression only.
 */
static void
batch_insert_sql_two_rows_with_jobs(void **state)
{
	static const char tail[] = "$46::json, $47::bigint, $48, $49) "
	                           "RETURNING id, attempt_key, outcome";
	struct buf sql;

	(void)state;
	buf_init(&sql);
	assert_int_equal(db_event_insert_sql(&sql, 2,
	                     DB_EVENT_JOB_INSERTS | DB_EVENT_JOB_ADVANCES),
	    0);
	assert_non_null(
	    strstr(sql.buf, "WITH job_insert AS (INSERT INTO jobs "));
	assert_non_null(strstr(sql.buf, "job_advance AS (UPDATE jobs "));
	assert_non_null(strstr(sql.buf, "unnest($10::bigint[], $11::text[])"));
	assert_int_equal(count(sql.buf, "INSERT INTO installation_events ("),
	    1);
	assert_non_null(strstr(sql.buf,
	    ") VALUES (COALESCE($12::timestamptz, now()), $13, $14, CASE "
	    "$30::int WHEN 1 THEN CASE WHEN EXISTS (SELECT 1 FROM job_insert "
	    "WHERE job_id = $27::bigint) THEN $15::text ELSE $31::text END "));
	assert_non_null(strstr(sql.buf,
	    "$29), (COALESCE($32::timestamptz, now()), $33, $34, CASE "
	    "$50::int"));
	/* Each column once; kind, job id, outcome and idle in the CASE. */
	for (int p = 1; p <= 51; p++)
		assert_int_equal(count_param(sql.buf, p),
		    p == 15 || p == 35 || p == 27 || p == 47 ? 3
		        : p == 31 || p == 51                 ? 2
		                                             : 1);
	assert_int_equal(count_param(sql.buf, 52), 0);
	assert_true(sql.len > strlen(tail));
	assert_string_equal(sql.buf + sql.len - strlen(tail), tail);
	buf_release(&sql);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(batch_one_row_alone, setup),
		cmocka_unit_test_setup(
		    batch_rows_queued_during_a_write_go_together, setup),
		cmocka_unit_test_setup(batch_each_row_its_own_status, setup),
		cmocka_unit_test_setup(
		    batch_queued_row_past_deadline_never_written, setup),
		cmocka_unit_test_setup(
		    batch_row_being_written_waits_for_its_write, setup),
		cmocka_unit_test_setup(batch_write_takes_at_most_max_rows,
		    setup),
		cmocka_unit_test_setup(batch_write_capped_at_max_bytes, setup),
		cmocka_unit_test_setup(batch_streams_each_row_once, setup),
		cmocka_unit_test_setup(batch_row_almost_out_of_time_not_taken,
		    setup),
		cmocka_unit_test_setup(batch_second_slot_writes_at_once, setup),
		cmocka_unit_test_setup(
		    batch_small_rows_wait_for_the_running_write, setup),
		cmocka_unit_test(batch_slots_out_of_range),
		cmocka_unit_test(batch_insert_sql_two_rows),
		cmocka_unit_test(batch_insert_sql_two_rows_with_jobs),
	};

	/*
	 * A batch that never answers (or a failed test leaving its threads
	 * blocked) ends the run instead of hanging it, its output kept.
	 */
	(void)setvbuf(stdout, NULL, _IOLBF, 0);
	(void)alarm(60);
	real_wait = (sem_wait_fn *)dlsym(RTLD_NEXT, "sem_wait");
	real_clockwait = (sem_clockwait_fn *)dlsym(RTLD_NEXT, "sem_clockwait");
	if (real_wait == NULL || real_clockwait == NULL) {
		(void)fprintf(stderr, "test_batch: dlsym: %s\n", dlerror());
		return 1;
	}
	return cmocka_run_group_tests_name("batch", tests, NULL, NULL);
}
