/* SPDX-License-Identifier: MIT */
/* Counters shared by every process through one memory-mapped file. */
#include "net/metrics.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/delivery.h"
#include "core/log.h"

#define METRICS_MAGIC   "ILMETRIC"
#define METRICS_VERSION 1
#define METRICS_OTHER   "other"

/* A label slot: free, being written by one process, or ready to read. */
enum label_state { LABEL_FREE, LABEL_CLAIMED, LABEL_READY };

/* How long a writer waits for a slot another process is naming. */
#define CLAIM_SPINS 200

struct label {
	uint32_t state; /* enum label_state, atomic */
	char name[METRICS_LABEL_MAX + 4];
};

struct table {
	struct label rows[METRICS_ROWS];
	struct label cols[METRICS_COLS];
	uint64_t n[METRICS_ROWS][METRICS_COLS];
};

/*
 * The file.  Fixed layout for one build of one architecture; any change
 * here needs a new METRICS_VERSION, so that a file of the old layout is
 * replaced rather than misread.
 */
struct metrics_file {
	char magic[8];
	uint32_t version;
	uint32_t size;
	uint64_t counters[16];
	struct table tables[METRICS_TABLE__MAX];
};

_Static_assert(METRICS_COUNTER__MAX <= 16, "counters fit the header");
_Static_assert(sizeof(struct label) % 4 == 0, "labels stay aligned");

struct metrics {
	struct metrics_file *f;
	int fd; /* kept open: the file's size is checked before every use */
};

/*
 * Where a thread touching the mapping goes back to if the file under it
 * fails anyway (cut short between the check and the access): SIGBUS.
 */
static _Thread_local sigjmp_buf *metrics_jump;

/* SIGBUS's action before sigbus_install(), for faults not ours. */
static struct sigaction metrics_old_sigbus;

static void
on_sigbus(int sig)
{
	if (metrics_jump != NULL)
		siglongjmp(*metrics_jump, 1);
	/* Not ours: the fault happens again, under the action before. */
	(void)sigaction(sig, &metrics_old_sigbus, NULL);
}

/* Catch SIGBUS for the mapping (at every open: another may have taken it). */
static void
sigbus_install(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sa.sa_flags = SA_NODEFER; /* the jump leaves the handler */
	if (sigaction(SIGBUS, &sa, &old) == 0 && old.sa_handler != on_sigbus)
		metrics_old_sigbus = old;
}

/*
 * Give the file its size with every block allocated, so that no write to
 * the mapping ever needs a block a full disk does not have.  Returns 0,
 * or -1 (logged).
 */
static int
file_reserve(int fd, const char *path)
{
	int e = posix_fallocate(fd, 0, (off_t)sizeof(struct metrics_file));

	if (e != 0) {
		log_warnx("metrics: cannot reserve '%s': %s: nothing counted",
		    path, strerror(e));
		return -1;
	}
	return 0;
}

/*
 * Find the slot named 'name' among 'v' (size 'n'), or name the first free
 * one.  Slot 0 is "other", named when the file was made, and the answer
 * when 'name' is unusable or every slot is taken.  A slot another process
 * is naming is waited for a little, then skipped: if that process was
 * only slow, the name may end up in two slots, which the reader merges.
 */
static size_t
label_slot(struct label *v, size_t n, const char *name)
{
	uint32_t st, want;

	/* GitHub's event names' alphabet: nothing to escape, ever. */
	if (!delivery_event_is_valid(name))
		return 0;
	for (size_t i = 0; i < n; i++) {
		st = __atomic_load_n(&v[i].state, __ATOMIC_ACQUIRE);
		if (st == LABEL_FREE) {
			want = LABEL_FREE;
			if (__atomic_compare_exchange_n(&v[i].state, &want,
			        LABEL_CLAIMED, false, __ATOMIC_ACQ_REL,
			        __ATOMIC_ACQUIRE)) {
				memset(v[i].name, 0, sizeof(v[i].name));
				memcpy(v[i].name, name, strlen(name));
				__atomic_store_n(&v[i].state, LABEL_READY,
				    __ATOMIC_RELEASE);
				return i;
			}
			st = want;
		}
		for (int spin = 0; st == LABEL_CLAIMED && spin < CLAIM_SPINS;
		     spin++) {
			(void)sched_yield();
			st = __atomic_load_n(&v[i].state, __ATOMIC_ACQUIRE);
		}
		if (st == LABEL_READY && strcmp(v[i].name, name) == 0)
			return i;
	}
	return 0;
}

/* Fill a new, zeroed file: the "other" slots, then the header. */
static void
file_init(struct metrics_file *f)
{
	for (size_t t = 0; t < METRICS_TABLE__MAX; t++) {
		memcpy(f->tables[t].rows[0].name, METRICS_OTHER,
		    sizeof(METRICS_OTHER));
		f->tables[t].rows[0].state = LABEL_READY;
		memcpy(f->tables[t].cols[0].name, METRICS_OTHER,
		    sizeof(METRICS_OTHER));
		f->tables[t].cols[0].state = LABEL_READY;
	}
	f->version = METRICS_VERSION;
	f->size = sizeof(*f);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(f->magic, METRICS_MAGIC, sizeof(f->magic));
}

static bool
file_is_current(const struct metrics_file *f)
{
	return memcmp(f->magic, METRICS_MAGIC, sizeof(f->magic)) == 0 &&
	    f->version == METRICS_VERSION && f->size == sizeof(*f);
}

/*
 * Open 'path' and take its lock, making sure the locked file is still the
 * one at 'path' (another process may have replaced it meanwhile).
 * Returns the descriptor or -1 (logged).
 */
static int
open_locked(const char *path)
{
	struct stat fst, pst;
	int fd;

	for (int tries = 0; tries < 8; tries++) {
		fd =
		    open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd == -1) {
			log_warnx("metrics: cannot open '%s': %s", path,
			    strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX) == -1 || fstat(fd, &fst) == -1) {
			log_warnx("metrics: cannot lock '%s': %s", path,
			    strerror(errno));
			(void)close(fd);
			return -1;
		}
		if (stat(path, &pst) == 0 && pst.st_ino == fst.st_ino &&
		    pst.st_dev == fst.st_dev)
			return fd;
		(void)close(fd);
	}
	log_warnx("metrics: '%s' keeps being replaced", path);
	return -1;
}

struct metrics *
metrics_open(const char *path)
{
	struct metrics *m = NULL;
	struct metrics_file *f = MAP_FAILED;
	struct stat st;
	int fd = -1;

	for (int tries = 0; tries < 2; tries++) {
		if ((fd = open_locked(path)) == -1)
			goto out;
		if (fstat(fd, &st) == -1) {
			log_warnx("metrics: '%s': %s", path, strerror(errno));
			goto out;
		}
		if (st.st_size == 0 || st.st_size == (off_t)sizeof(*f)) {
			/* An empty file has no counts to keep. */
			if (file_reserve(fd, path) == -1) {
				if (st.st_size == 0)
					(void)unlink(path);
				goto out;
			}
			f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE,
			    MAP_SHARED, fd, 0);
			if (f == MAP_FAILED) {
				log_warnx("metrics: cannot map '%s': %s", path,
				    strerror(errno));
				goto out;
			}
			if (st.st_size == 0)
				file_init(f);
			if (file_is_current(f))
				break;
			(void)munmap(f, sizeof(*f));
			f = MAP_FAILED;
		}
		/*
		 * Another layout (an older build): start a new file.  The
		 * processes that still map the old one keep counting into
		 * it, unseen, until they restart.
		 */
		log_warnx("metrics: '%s' has another layout, starting anew",
		    path);
		if (unlink(path) == -1) {
			log_warnx("metrics: cannot replace '%s': %s", path,
			    strerror(errno));
			goto out;
		}
		(void)flock(fd, LOCK_UN);
		(void)close(fd);
		fd = -1;
	}
	if (f == MAP_FAILED)
		goto out;
	if ((m = malloc(sizeof(*m))) == NULL) {
		log_warnx("metrics: out of memory");
		goto out;
	}
	m->f = f;
	f = MAP_FAILED;
	(void)flock(fd, LOCK_UN);
	m->fd = fd;
	fd = -1;
	sigbus_install();
out:
	if (f != MAP_FAILED)
		(void)munmap(f, sizeof(*f));
	if (fd != -1) {
		(void)flock(fd, LOCK_UN);
		(void)close(fd);
	}
	return m;
}

void
metrics_close(struct metrics *m)
{
	if (m == NULL)
		return;
	(void)munmap(m->f, sizeof(*m->f));
	(void)close(m->fd);
	free(m);
}

/*
 * Whether the file under the mapping is whole, making it whole again when
 * it was cut short (truncated by hand, or by a full disk's repair): the
 * counts start again at zero, which Prometheus reads as a reset.
 */
static bool
file_check(const struct metrics *m)
{
	sigjmp_buf jump;
	struct stat st;
	volatile bool ok = false;

	if (fstat(m->fd, &st) == 0 && st.st_size >= (off_t)sizeof(*m->f))
		return true;
	if (flock(m->fd, LOCK_EX) == -1)
		return false;
	/* Another process may have mended it meanwhile. */
	if (fstat(m->fd, &st) == 0 && st.st_size >= (off_t)sizeof(*m->f))
		ok = true;
	else if (posix_fallocate(m->fd, 0, (off_t)sizeof(*m->f)) == 0) {
		log_warnx("metrics: the counter file was cut short: "
		          "counting again from zero");
		/* Cut again meanwhile: mended by the next use. */
		if (sigsetjmp(jump, 0) == 0) {
			metrics_jump = &jump;
			memset(m->f, 0, sizeof(*m->f));
			file_init(m->f);
			ok = true;
		}
		metrics_jump = NULL;
	}
	(void)flock(m->fd, LOCK_UN);
	return ok;
}

void
metrics_add(struct metrics *m, enum metrics_table t, const char *row,
    const char *col, uint64_t n)
{
	sigjmp_buf jump;
	struct table *tb;
	size_t r, c;

	if (m == NULL || (unsigned)t >= METRICS_TABLE__MAX || !file_check(m))
		return;
	if (sigsetjmp(jump, 0) != 0) {
		metrics_jump = NULL; /* the count is lost, nothing else */
		return;
	}
	metrics_jump = &jump;
	tb = &m->f->tables[t];
	r = label_slot(tb->rows, METRICS_ROWS, row);
	c = label_slot(tb->cols, METRICS_COLS, col);
	(void)__atomic_fetch_add(&tb->n[r][c], n, __ATOMIC_RELAXED);
	metrics_jump = NULL;
}

void
metrics_inc(struct metrics *m, enum metrics_counter c)
{
	sigjmp_buf jump;

	if (m == NULL || (unsigned)c >= METRICS_COUNTER__MAX || !file_check(m))
		return;
	if (sigsetjmp(jump, 0) != 0) {
		metrics_jump = NULL;
		return;
	}
	metrics_jump = &jump;
	(void)__atomic_fetch_add(&m->f->counters[c], 1, __ATOMIC_RELAXED);
	metrics_jump = NULL;
}

uint64_t
metrics_counter(const struct metrics *m, enum metrics_counter c)
{
	sigjmp_buf jump;
	uint64_t v;

	if (m == NULL || (unsigned)c >= METRICS_COUNTER__MAX || !file_check(m))
		return 0;
	if (sigsetjmp(jump, 0) != 0) {
		metrics_jump = NULL;
		return 0;
	}
	metrics_jump = &jump;
	v = __atomic_load_n(&m->f->counters[c], __ATOMIC_RELAXED);
	metrics_jump = NULL;
	return v;
}

/*
 * Whether slot 'i' of 'v' is ready and the first with its name; copy the
 * name into 'name' (size METRICS_LABEL_MAX + 1) when it is.
 */
static bool
label_first(const struct label *v, size_t i, char *name)
{
	if (__atomic_load_n(&v[i].state, __ATOMIC_ACQUIRE) != LABEL_READY)
		return false;
	memcpy(name, v[i].name, METRICS_LABEL_MAX);
	name[METRICS_LABEL_MAX] = '\0';
	for (size_t j = 0; j < i; j++)
		if (__atomic_load_n(&v[j].state, __ATOMIC_ACQUIRE) ==
		        LABEL_READY &&
		    strncmp(v[j].name, name, METRICS_LABEL_MAX) == 0)
			return false;
	return true;
}

/* Whether slot 'i' of 'v' is ready and named 'name'. */
static bool
label_is(const struct label *v, size_t i, const char *name)
{
	return __atomic_load_n(&v[i].state, __ATOMIC_ACQUIRE) == LABEL_READY &&
	    strncmp(v[i].name, name, METRICS_LABEL_MAX) == 0;
}

/*
 * metrics_table_foreach() once the file is checked and a SIGBUS would
 * land in its caller.
 */
static int
table_foreach(const struct metrics *m, enum metrics_table t,
    int (*fn)(const char *row, const char *col, uint64_t n, void *arg),
    void *arg)
{
	const struct table *tb;
	char rn[METRICS_LABEL_MAX + 1], cn[METRICS_LABEL_MAX + 1];
	uint64_t sum;
	int rc;

	tb = &m->f->tables[t];
	for (size_t r = 0; r < METRICS_ROWS; r++) {
		if (!label_first(tb->rows, r, rn))
			continue;
		for (size_t c = 0; c < METRICS_COLS; c++) {
			if (!label_first(tb->cols, c, cn))
				continue;
			sum = 0;
			for (size_t r2 = r; r2 < METRICS_ROWS; r2++) {
				if (!label_is(tb->rows, r2, rn))
					continue;
				for (size_t c2 = c; c2 < METRICS_COLS; c2++)
					if (label_is(tb->cols, c2, cn))
						sum +=
						    __atomic_load_n(&tb->n[r2]
						                          [c2],
						        __ATOMIC_RELAXED);
			}
			if (sum != 0 && (rc = fn(rn, cn, sum, arg)) != 0)
				return rc;
		}
	}
	return 0;
}

int
metrics_table_foreach(const struct metrics *m, enum metrics_table t,
    int (*fn)(const char *row, const char *col, uint64_t n, void *arg),
    void *arg)
{
	sigjmp_buf jump;
	int rc;

	if (m == NULL || (unsigned)t >= METRICS_TABLE__MAX || !file_check(m))
		return 0;
	if (sigsetjmp(jump, 0) != 0) {
		metrics_jump = NULL;
		log_warnx("metrics: the counter file failed under the reader");
		return 0;
	}
	metrics_jump = &jump;
	rc = table_foreach(m, t, fn, arg);
	metrics_jump = NULL;
	return rc;
}
