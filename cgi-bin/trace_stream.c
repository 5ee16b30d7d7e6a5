/* SPDX-License-Identifier: MIT */
/* GET /trace/stream: new installation_events rows as Server-Sent Events. */
#include "run/stream.h"

int
main(int argc, char **argv)
{
	return stream_main(STREAM_TRACE, argc, argv);
}
