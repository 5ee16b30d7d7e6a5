/* SPDX-License-Identifier: MIT */
/*
 * Print the SQL text the trace routes (and cron/snapshot's scan) run, one
 * "NAME<TAB>SQL" line per query, from lib/db/db_trace_sql.h and
 * lib/db/db_checkpoint_sql.h, the headers lib/db/db_trace.c and
 * lib/db/db_checkpoint.c take them from, so that the benchmark times
 * exactly what the routes send.
 */
#include <stdio.h>

#include "core/checkpoint.h"
#include "db/db_checkpoint_sql.h"
#include "db/db_trace_sql.h"

int
main(void)
{
	printf("exists\t%s\n", SQL_ENTITY_EXISTS);
	printf("cursor\t%s\n", SQL_CURSOR_EXISTS);
	printf("page\t%s\n", SQL_PAGE);
	printf("fold\t%s\n", SQL_FOLD_ROWS);
	printf("of_installation\t%s\n", SQL_ENTITY_OF_INSTALLATION);
	printf("of_job\t%s\n", SQL_ENTITY_OF_JOB);
	printf("by_name\t%s\n", SQL_ENTITY_BY_NAME);
	printf("payload\t%s\n", SQL_PAYLOAD);
	printf("ckpt_latest\t%s\n", SQL_LATEST);
	printf("ckpt_is_whole\t%s\n", SQL_IS_WHOLE);
	printf("ckpt_max_id\t%s\n", SQL_MAX_ID);
	printf("ckpt_window\t%s\n", SQL_WINDOW);
	printf("ckpt_long_tails\t%s\n", SQL_LONG_TAILS);
	printf("ckpt_version\t%d\n", CKPT_VERSION);
	return 0;
}
