/* SPDX-License-Identifier: MIT */
/* The Prometheus text exposition format (version 0.0.4), written. */
#include "core/prom.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

void
prom_init(struct prom *p, struct buf *out)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
}

/* Whether 's' matches [a-zA-Z_][a-zA-Z0-9_]* (with ':' when 'colon'). */
static bool
is_name(const char *s, bool colon)
{
	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '_' ||
		        (colon && *s == ':')))
			return false;
	return true;
}

/* Record the first failure, logging it.  Returns -1. */
static int
fail(struct prom *p, const char *what, const char *name)
{
	if (p->err == 0)
		log_warnx("prom: %s: '%s'", what, name != NULL ? name : "");
	p->err = -1;
	return -1;
}

/*
 * Append 's' escaped: a backslash and a newline always, a double quote
 * when 'quote' (label values; HELP text keeps its quotes).
 */
static int
put_escaped(struct buf *b, const char *s, bool quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = NULL;

		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\n')
			esc = "\\n";
		else if (*s == '"' && quote)
			esc = "\\\"";
		if (esc == NULL)
			continue;
		if (buf_append(b, run, (size_t)(s - run)) == -1 ||
		    buf_puts(b, esc) == -1)
			return -1;
		run = s + 1;
	}
	return buf_append(b, run, (size_t)(s - run));
}

void
prom_family(struct prom *p, const char *name, enum prom_type t,
    const char *help)
{
	if (p->err != 0)
		return;
	if (!is_name(name, true)) {
		(void)fail(p, "bad metric name", name);
		return;
	}
	for (size_t i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i], name) == 0) {
			(void)fail(p, "family written twice", name);
			return;
		}
	if (p->nseen == PROM_FAMILIES_MAX) {
		(void)fail(p, "too many families", name);
		return;
	}
	p->seen[p->nseen++] = name;
	p->family = name;
	if (buf_printf(p->out, "# HELP %s ", name) == -1 ||
	    put_escaped(p->out, help, false) == -1 ||
	    buf_printf(p->out, "\n# TYPE %s %s\n", name,
	        t == PROM_COUNTER ? "counter" : "gauge") == -1)
		(void)fail(p, "out of memory", name);
}

/* The name and labels of a sample, up to the space before its value. */
static int
put_series(struct prom *p, const char *name, const struct prom_label *l,
    size_t nl)
{
	if (p->err != 0)
		return -1;
	if (p->family == NULL || strcmp(p->family, name) != 0)
		return fail(p, "sample outside its family", name);
	if (buf_puts(p->out, name) == -1)
		return fail(p, "out of memory", name);
	for (size_t i = 0; i < nl; i++) {
		if (!is_name(l[i].name, false) ||
		    strncmp(l[i].name, "__", 2) == 0)
			return fail(p, "bad label name", l[i].name);
		if (buf_printf(p->out, "%c%s=\"", i == 0 ? '{' : ',',
		        l[i].name) == -1 ||
		    put_escaped(p->out, l[i].value, true) == -1 ||
		    buf_puts(p->out, "\"") == -1)
			return fail(p, "out of memory", name);
	}
	if (nl > 0 && buf_puts(p->out, "}") == -1)
		return fail(p, "out of memory", name);
	return 0;
}

void
prom_sample_u64(struct prom *p, const char *name,
    const struct prom_label *labels, size_t nlabels, uint64_t v)
{
	if (put_series(p, name, labels, nlabels) == -1)
		return;
	if (buf_printf(p->out, " %llu\n", (unsigned long long)v) == -1)
		(void)fail(p, "out of memory", name);
}

void
prom_sample_f64(struct prom *p, const char *name,
    const struct prom_label *labels, size_t nlabels, double v)
{
	char num[32];
	int rc;

	if (put_series(p, name, labels, nlabels) == -1)
		return;
	if (isnan(v))
		rc = buf_puts(p->out, " NaN\n");
	else if (isinf(v))
		rc = buf_puts(p->out, v > 0 ? " +Inf\n" : " -Inf\n");
	else {
		/* The shortest of 15 or 17 digits that reads back as 'v'. */
		(void)snprintf(num, sizeof(num), "%.15g", v);
		if (strtod(num, NULL) != v)
			(void)snprintf(num, sizeof(num), "%.17g", v);
		rc = buf_printf(p->out, " %s\n", num);
	}
	if (rc == -1)
		(void)fail(p, "out of memory", name);
}

int
prom_finish(struct prom *p)
{
	return p->err;
}
