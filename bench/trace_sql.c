/* SPDX-License-Identifier: MIT */
/*
 * Print the SQL text the trace routes run, one "NAME<TAB>SQL" line per
 * query, from lib/db_trace_sql.h, the header lib/db_trace.c takes them
 * from, so that the benchmark times exactly what the routes send.
 */
#include <stdio.h>

#include "db_trace_sql.h"

int
main(void)
{
	printf("exists\t%s\n", SQL_ENTITY_EXISTS);
	printf("cursor\t%s\n", SQL_CURSOR_EXISTS);
	printf("page\t%s\n", SQL_PAGE);
	printf("fold\t%s\n", SQL_FOLD_ROWS);
	printf("of_installation\t%s\n", SQL_ENTITY_OF_INSTALLATION);
	printf("of_job\t%s\n", SQL_ENTITY_OF_JOB);
	printf("payload\t%s\n", SQL_PAYLOAD);
	return 0;
}
