/* SPDX-License-Identifier: MIT */
/* GET /operations/stream: operations as they start, add steps and end, as
 * Server-Sent Events. */
#include "run/stream.h"

int
main(int argc, char **argv)
{
	return stream_main(STREAM_OPERATIONS, argc, argv);
}
