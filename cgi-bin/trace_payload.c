/* SPDX-License-Identifier: MIT */
/* GET /trace/payload/{event_id}: one event with its full payload. */
#include "run/route.h"

int
main(int argc, char **argv)
{
	return route_main(ROUTE_PAYLOAD, argc, argv);
}
