/* SPDX-License-Identifier: MIT */
/* GET /trace/entity/{entity_id}: an account's installation timeline. */
#include "run/route.h"

int
main(int argc, char **argv)
{
	return route_main(ROUTE_ENTITY, argc, argv);
}
