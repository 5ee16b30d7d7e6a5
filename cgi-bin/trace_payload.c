/* SPDX-License-Identifier: MIT */
/* GET /trace/payload/{event_id}: one event with its full payload. */
#include "db_trace.h"
#include "log.h"
#include "route.h"

static void
view(struct route_ctx *ctx, int64_t id, const struct http_request *req,
    struct http_response *resp)
{
	struct trace_payload p;
	enum db_status st;

	(void)req;
	if ((st = db_trace_payload(ctx->db, id, &p)) != DB_OK)
		route_db_error(resp, st, "event");
	else if (trace_write_payload(&resp->body, &p) == -1) {
		buf_reset(&resp->body);
		http_error(resp, 500, "internal error");
	}
	trace_payload_release(&p);
}

int
main(int argc, char **argv)
{
	static const struct route_def def = { "payload", view, NULL, false };

	log_init("trace_payload");
	return route_trace_main(argc, argv, &def);
}
