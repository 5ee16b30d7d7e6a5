/* SPDX-License-Identifier: MIT */
/* GET /trace/installation/{installation_id}: the timeline of its account. */
#include "run/route.h"

int
main(int argc, char **argv)
{
	return route_main(ROUTE_INSTALLATION, argc, argv);
}
