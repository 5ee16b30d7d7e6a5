/* SPDX-License-Identifier: MIT */
/* Logging to stderr, one line per message. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_name = "instlog";

void
log_init(const char *name)
{
	if (name != NULL)
		log_name = name;
}

static void
log_vline(const char *fmt, va_list ap)
{
	char line[1024];

	(void)vsnprintf(line, sizeof(line), fmt, ap);
	(void)fprintf(stderr, "%s: %s\n", log_name, line);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}
