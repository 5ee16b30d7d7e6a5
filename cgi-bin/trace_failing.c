/* SPDX-License-Identifier: MIT */
/* GET /trace/failing: the accounts whose scheduler auth fails, and why. */
#include "run/route.h"

int
main(int argc, char **argv)
{
	return route_main(ROUTE_FAILING, argc, argv);
}
