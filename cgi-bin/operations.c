/* SPDX-License-Identifier: MIT */
/* GET /operations: what instlog did, newest first, filtered and paged. */
#include "run/route.h"

int
main(int argc, char **argv)
{
	return route_main(ROUTE_OPERATIONS, argc, argv);
}
