/* SPDX-License-Identifier: MIT */
/* GET /trace/installation/{installation_id}: the timeline of its account. */
#include "db_trace.h"
#include "log.h"
#include "route.h"

static void
view(struct route_ctx *ctx, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	enum db_status st;
	int64_t entity_id;

	st = db_trace_entity_of_installation(ctx->db, id, &entity_id);
	if (st != DB_OK)
		route_db_error(resp, st, "installation");
	else
		route_trace_list(ctx, entity_id, req, resp);
}

int
main(int argc, char **argv)
{
	static const struct route_def def = { "installation", view, NULL,
		false };

	log_init("trace_installation");
	return route_trace_main(argc, argv, &def);
}
