/* SPDX-License-Identifier: MIT */
/* GET /operations/{id}: one operation with all its steps. */
#include "log.h"
#include "route.h"

int
main(int argc, char **argv)
{
	static const struct route_def def = { "operation", route_ops_get,
		"/operations/", false };

	log_init("operation");
	return route_trace_main(argc, argv, &def);
}
