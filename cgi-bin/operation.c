/* SPDX-License-Identifier: MIT */
/* GET /operations/{id}: one operation with all its steps. */
#include "run/route.h"

int
main(int argc, char **argv)
{
	return route_main(ROUTE_OPERATION, argc, argv);
}
