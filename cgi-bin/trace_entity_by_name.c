/* SPDX-License-Identifier: MIT */
/* GET /trace/entity-by-name/{login}: the timeline of the account by login. */
#include "run/route.h"

int
main(int argc, char **argv)
{
	return route_main(ROUTE_ENTITY_BY_NAME, argc, argv);
}
