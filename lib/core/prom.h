/* SPDX-License-Identifier: MIT */
/* The Prometheus text exposition format (version 0.0.4), written. */
#ifndef INSTLOG_PROM_H
#define INSTLOG_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define PROM_FAMILIES_MAX 32

enum prom_type { PROM_COUNTER, PROM_GAUGE };

/*
 * A writer into 'out' (borrowed).  Samples follow the family they belong
 * to, so each family's lines are contiguous; a family name given twice is
 * an error, as Prometheus would refuse the page.  The first failure
 * (out of memory, a bad name, a sample outside its family) sticks: every
 * later call does nothing and prom_finish() reports it.
 */
struct prom {
	struct buf *out;
	const char *family; /* the current family, or NULL */
	const char *seen[PROM_FAMILIES_MAX];
	size_t nseen;
	int err;
};

/* Start writing into 'out' (appended to). */
void prom_init(struct prom *p, struct buf *out);

/*
 * Start family 'name' (a string that outlives 'p') of type 't': its
 * # HELP line ('help' escaped) and # TYPE line.
 */
void prom_family(struct prom *p, const char *name, enum prom_type t,
    const char *help);

/* A label pair; a sample takes an array of them. */
struct prom_label {
	const char *name;
	const char *value; /* escaped when written: \ " and newline */
};

/*
 * One sample of the current family: 'name' must be the family's,
 * 'labels' ('nlabels' of them, may be 0) are written in order.
 */
void prom_sample_u64(struct prom *p, const char *name,
    const struct prom_label *labels, size_t nlabels, uint64_t v);

/* The same with a floating-point value (NaN and ±Inf spelled out). */
void prom_sample_f64(struct prom *p, const char *name,
    const struct prom_label *labels, size_t nlabels, double v);

/* Returns 0 when everything was written, else -1 (logged once). */
int prom_finish(struct prom *p);

#endif
