/* SPDX-License-Identifier: MIT */
/* GET /trace/job/{job_id}: the timeline of the account the job ran for. */
#include "run/route.h"

int
main(int argc, char **argv)
{
	return route_main(ROUTE_JOB, argc, argv);
}
