/* SPDX-License-Identifier: MIT */
/* GET /trace/payload/{event_id}: one event with its full payload. */
#include "db_trace.h"
#include "log.h"
#include "route.h"

static void
view(struct route_ctx *ctx, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	enum db_status st;

	(void)req;
	st = db_trace_payload(ctx->db, id, &resp->body);
	if (st != DB_OK) {
		buf_reset(&resp->body);
		route_db_error(resp, st, "event");
	}
}

int
main(int argc, char **argv)
{
	static const struct route_def def = { "payload", view, NULL, false };

	log_init("trace_payload");
	return route_trace_main(argc, argv, &def);
}
