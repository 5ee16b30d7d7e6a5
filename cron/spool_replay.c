/* SPDX-License-Identifier: MIT */
/* spool_replay: record the deliveries spooled while PostgreSQL was away. */
#include <sys/file.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/ops.h"
#include "core/str.h"
#include "db/db_ops.h"
#include "net/spool.h"
#include "run/cronrun.h"
#include "run/ingest.h"

/* In the spool directory; spool_list() only lists "*.delivery". */
#define LOCK_NAME  "spool_replay.lock"
#define BAD_SUFFIX ".bad"

/* What became of one spool file. */
enum replay_result {
	REPLAY_DONE,    /* its row is committed and the file removed */
	REPLAY_MOVED,   /* not a whole spool file, an old one, or its
	                   signature fails: moved aside */
	REPLAY_FAILED,  /* left in the spool (logged) */
	REPLAY_DB_DOWN, /* left in the spool: the database is away */
};

/* What one pass over the spool did. */
struct replay_stats {
	int replayed; /* rows committed (files removed) */
	int bad;      /* not spool files: moved aside as *.bad */
	int failed;   /* left: an error other than the database */
	int left;     /* left: the database went away, or stopped */
	bool locked;  /* another replayer holds the lock: no pass */
};

static volatile sig_atomic_t replay_stop;

static void
on_stop(int sig)
{
	(void)sig;
	replay_stop = 1;
}

/* Rename spool file 'name' of 'dir' to 'name.bad'.  Returns 0 or -1. */
static int
move_aside(const char *dir, const char *name)
{
	char from[4096], to[4096];

	if (snprintf(from, sizeof(from), "%s/%s", dir, name) >=
	        (int)sizeof(from) ||
	    snprintf(to, sizeof(to), "%s/%s%s", dir, name, BAD_SUFFIX) >=
	        (int)sizeof(to))
		return -1;
	if (rename(from, to) == -1) {
		log_warnx("cannot move '%s' aside: %s", from, strerror(errno));
		return -1;
	}
	log_warnx("moved '%s' aside as '%s'", from, to);
	return 0;
}

/*
 * Add the step of spool file 'name' to 'op': the row it produced, or why
 * it was moved aside or left.
 */
static void
step_file(struct ops_run *op, const char *name, int64_t t0,
    enum replay_result res, const struct ingest_result *r)
{
	struct buf out;
	const char *err = NULL;

	buf_init(&out);
	if (res == REPLAY_DONE && ingest_result_json(r, &out) == -1)
		log_warnx("out of memory");
	if (res == REPLAY_MOVED)
		err = "not a spool file: moved aside as *" BAD_SUFFIX;
	else if (res == REPLAY_DB_DOWN)
		err = "the database is unavailable: left in the spool";
	else if (res == REPLAY_FAILED)
		err = "not recorded: left in the spool";
	if (ops_step(op, name, t0, out.len > 0 ? out.buf : NULL, err,
	        r->why[0] != '\0' && res != REPLAY_DONE ? r->why : NULL,
	        strlen(r->why)) == -1)
		log_warnx("out of memory");
	buf_release(&out);
}

/* Replay spool file 'name' of the spool directory; a step of 'op'. */
static enum replay_result
replay_file(struct db *db, const struct config *cfg, const char *name,
    struct ops_run *op)
{
	struct spool_entry e;
	struct ingest_result r;
	enum replay_result res = REPLAY_FAILED;
	enum spool_status rd;
	int64_t t0 = clock_wall_ms();
	bool written;
	char path[4096];

	memset(&r, 0, sizeof(r));
	if (snprintf(path, sizeof(path), "%s/%s", cfg->spool_dir, name) >=
	    (int)sizeof(path))
		goto out;
	rd = spool_read(path, &e);
	/*
	 * Only what GitHub signed is stored: a file someone else put here,
	 * or one signed with a secret no longer configured, goes aside.
	 */
	if (rd == SPOOL_OK &&
	    auth_webhook_verify(cfg, e.signature, e.body, e.len) == -1) {
		log_warnx("'%s': the signature does not verify with the "
		          "current or the previous webhook secret",
		    path);
		rd = SPOOL_BAD;
	}
	if (rd != SPOOL_OK) {
		spool_entry_release(&e);
		if (rd != SPOOL_ERROR && move_aside(cfg->spool_dir, name) == 0)
			res = REPLAY_MOVED;
		goto out;
	}
	/* The same path as a live delivery, the same attempt. */
	written = ingest_delivery(db, NULL, NULL, cfg, &e.h, e.received_at,
	              e.attempt_key, e.body, e.len, &r) == 0;
	spool_entry_release(&e);
	if (written) {
		/* The row is committed: only now may the file go. */
		if (spool_remove(cfg->spool_dir, name) == -1)
			log_warnx("'%s' is recorded (row %lld) but still "
			          "spooled: remove it by hand",
			    path, (long long)r.id);
		res = REPLAY_DONE;
		goto out;
	}
	/* Down: stop the pass.  Up: this file alone failed; go on. */
	if (db_ping(db) != DB_OK) {
		res = REPLAY_DB_DOWN;
		goto out;
	}
	log_warnx("'%s' not recorded: left in the spool", path);
out:
	step_file(op, name, t0, res, &r);
	return res;
}

/*
 * One pass: take the lock (held elsewhere: st->locked, nothing done) and
 * replay every spool file in arrival order, stopping at the first that
 * finds the database down.  Fills *st.  Returns 0, or -1 (logged) when the
 * spool cannot be locked or listed.
 */
static int
replay_pass(struct db *db, const struct config *cfg, struct replay_stats *st)
{
	char lockpath[4096];
	char **names = NULL;
	struct ops_run op;
	int lock = -1, n, i, rc = -1;

	memset(st, 0, sizeof(*st));
	ops_init(&op, "spool_replay", 0);
	if (snprintf(lockpath, sizeof(lockpath), "%s/%s", cfg->spool_dir,
	        LOCK_NAME) >= (int)sizeof(lockpath))
		goto out;
	if ((lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warnx("cannot open '%s': %s", lockpath, strerror(errno));
		goto out;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			st->locked = true;
			rc = 0;
		} else
			log_warnx("cannot lock '%s': %s", lockpath,
			    strerror(errno));
		goto out;
	}
	if ((n = spool_list(cfg->spool_dir, &names)) == -1)
		goto out;
	/*
	 * An operation for a pass that has files only (the loop of make run
	 * passes every few seconds).  The flock is this pass's: a running
	 * spool_replay operation is a dead replayer's.
	 */
	if (n > 0) {
		struct db_ops_origin origin;
		int64_t dead;

		memset(&origin, 0, sizeof(origin));
		ops_init(&op, "spool_replay", clock_wall_ms());
		if (db_ops_abandon(db, "spool_replay", true, 0, &dead) ==
		        DB_OK &&
		    dead > 0)
			log_info("%lld earlier pass(es) marked abandoned",
			    (long long)dead);
		(void)db_ops_start(db, &op, &origin);
	}
	for (i = 0; i < n && !replay_stop; i++) {
		enum replay_result r = replay_file(db, cfg, names[i], &op);

		(void)db_ops_flush(db, &op);

		if (r == REPLAY_DB_DOWN)
			break;
		if (r == REPLAY_DONE)
			st->replayed++;
		else if (r == REPLAY_MOVED)
			st->bad++;
		else
			st->failed++;
	}
	st->left = n - i;
	rc = 0;
	if (n > 0) {
		static const char *const keys[] = { "replayed", "bad", "failed",
			"left" };
		int64_t vals[4];
		struct buf out;

		vals[0] = st->replayed;
		vals[1] = st->bad;
		vals[2] = st->failed;
		vals[3] = st->left;
		buf_init(&out);
		(void)ops_json_ints(&out, keys, vals, 4);
		(void)db_ops_finish(db, &op, out.buf, NULL);
		buf_release(&out);
	}
out:
	ops_release(&op);
	spool_names_free(names);
	if (lock != -1)
		(void)close(lock);
	return rc;
}

static void
usage(void)
{
	(void)fprintf(stderr, "usage: spool_replay [-1 | -i seconds]\n");
}

int
main(int argc, char **argv)
{
	struct cronrun cr;
	struct replay_stats st;
	struct sigaction sa;
	int64_t interval = 0;
	int c, rc = CRONRUN_CONFIG;

	memset(&cr, 0, sizeof(cr));
	log_init("spool_replay");
	while ((c = getopt(argc, argv, "1i:")) != -1) {
		switch (c) {
		case '1':
			interval = 0;
			break;
		case 'i':
			if (parse_int64(optarg, 1, 86400, &interval) == -1) {
				log_warnx("-i: seconds must be 1..86400: '%s'",
				    optarg);
				goto out;
			}
			break;
		default:
			usage();
			goto out;
		}
	}
	if (optind != argc) {
		usage();
		goto out;
	}
	if (cronrun_init(&cr, "spool_replay", CONFIG_NEED_WEBHOOK_SECRET) == -1)
		goto out;
	if (cr.cfg.spool_dir == NULL) {
		log_warnx("INSTLOG_SPOOL_DIR is not set");
		goto out;
	}
	if (spool_check(cr.cfg.spool_dir) == -1)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)signal(SIGPIPE, SIG_IGN);

	if (interval == 0) {
		/* One pass, for cron: a held lock is a quiet success. */
		rc = CRONRUN_FAILED;
		if (replay_pass(cr.db, &cr.cfg, &st) == -1)
			goto out;
		if (!st.locked)
			cronrun_summary(&cr,
			    "replayed=%d bad=%d failed=%d "
			    "left=%d",
			    st.replayed, st.bad, st.failed, st.left);
		if (st.locked ||
		    (st.bad == 0 && st.failed == 0 && st.left == 0))
			rc = CRONRUN_OK;
		goto out;
	}
	log_info("replaying '%s' every %lld s", cr.cfg.spool_dir,
	    (long long)interval);
	while (!replay_stop) {
		struct timespec ts = { (time_t)interval, 0 };

		if (replay_pass(cr.db, &cr.cfg, &st) == 0 && !st.locked &&
		    (st.replayed > 0 || st.bad > 0 || st.failed > 0))
			log_info("replayed=%d bad=%d failed=%d left=%d",
			    st.replayed, st.bad, st.failed, st.left);
		/* A signal cuts the sleep short. */
		if (!replay_stop)
			(void)nanosleep(&ts, NULL);
	}
	rc = CRONRUN_OK;
out:
	cronrun_release(&cr);
	return rc;
}
