/* SPDX-License-Identifier: MIT */
/*
 * Print the SQL text the trace routes run, one "NAME<TAB>SQL" line per
 * query, taken from lib/db_trace.c itself so that the benchmark times
 * exactly what the routes send.
 */
#include <stdio.h>

#include "../lib/db_trace.c"
#include "../lib/checkpoint.h"
#include "../lib/db_checkpoint.c"

int
main(void)
{
	printf("exists\t%s\n", SQL_ENTITY_EXISTS);
	printf("page\t%s\n", SQL_PAGE);
	printf("fold\t%s\n", SQL_FOLD_ROWS);
	printf("of_installation\t%s\n", SQL_ENTITY_OF_INSTALLATION);
	printf("of_job\t%s\n", SQL_ENTITY_OF_JOB);
	printf("payload\t%s\n", SQL_PAYLOAD);
	printf("ckpt_latest\t%s\n", SQL_LATEST);
	printf("ckpt_is_whole\t%s\n", SQL_IS_WHOLE);
	printf("ckpt_max_id\t%s\n", SQL_MAX_ID);
	printf("ckpt_version\t%d\n", CKPT_VERSION);
	return 0;
}
