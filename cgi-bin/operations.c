/* SPDX-License-Identifier: MIT */
/* GET /operations: what instlog did, newest first, filtered and paged. */
#include "log.h"
#include "route.h"

int
main(int argc, char **argv)
{
	static const struct route_def def = { "operations", route_ops_list,
		"/operations", true };

	log_init("operations");
	return route_trace_main(argc, argv, &def);
}
