/* SPDX-License-Identifier: MIT */
/* GET /trace/entity/{entity_id}: an account's installation timeline. */
#include "log.h"
#include "route.h"

static void
view(struct route_ctx *ctx, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	route_trace_list(ctx, id, req, resp);
}

int
main(int argc, char **argv)
{
	static const struct route_def def = { "entity", view, NULL, false };

	log_init("trace_entity");
	return route_trace_main(argc, argv, &def);
}
