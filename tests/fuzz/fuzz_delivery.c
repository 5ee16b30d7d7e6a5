/* SPDX-License-Identifier: MIT */
/* libFuzzer target: headers + body -> signature check -> delivery_parse(). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/auth.h"
#include "core/config.h"
#include "core/delivery.h"
#include "core/json.h"
#include "core/query.h"
#include "core/str.h"
#include "core/trace.h"
#include "core/utc.h"
#include "net/http.h"

/*
 * The input is what the webhook gets: "name: value" lines, a blank line,
 * then the raw body (no blank line: all body, event "installation").
 * Names: event, delivery, target-id, target-type, signature, labels (any
 * value: use the runner labels below), query (a trace query string, run
 * through the trace parameter parser on the side).  Without a signature
 * line the body is signed with the secret, so that the fuzzer reaches
 * delivery_parse(); with one, the value is checked as it is.
 */

#define SECRET "fuzz-secret"

struct input {
	const char *event;
	const char *delivery;
	const char *target_id;
	const char *target_type;
	const char *signature;
	const char *query;
	bool labels;
};

/* The first "\n\n" in the 'len' bytes of 'p', or NULL. */
static const uint8_t *
find_blank_line(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (p[i] == '\n' && p[i + 1] == '\n')
			return p + i;
	return NULL;
}

/* Die loudly: libFuzzer saves the input that broke an invariant. */
static void
check(bool ok)
{
	if (!ok)
		abort();
}

static void
check_text(const char *s)
{
	if (s != NULL)
		check(is_utf8(s, strlen(s)));
}

/* Split the NUL-terminated header block 'h' into 'in'. */
static void
parse_headers(char *h, struct input *in)
{
	char *line, *next, *colon;

	for (line = h; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((colon = strstr(line, ": ")) == NULL)
			continue;
		*colon = '\0';
		colon += 2;
		if (strcmp(line, "event") == 0)
			in->event = colon;
		else if (strcmp(line, "delivery") == 0)
			in->delivery = colon;
		else if (strcmp(line, "target-id") == 0)
			in->target_id = colon;
		else if (strcmp(line, "target-type") == 0)
			in->target_type = colon;
		else if (strcmp(line, "signature") == 0)
			in->signature = colon;
		else if (strcmp(line, "query") == 0)
			in->query = colon;
		else if (strcmp(line, "labels") == 0)
			in->labels = true;
	}
}

/* What the trace routes do with a query string. */
static void
fuzz_query(const char *query)
{
	struct trace_params p;
	struct utc_time t;
	char err[160], v[128];

	if (trace_params_parse(query, (time_t)1795514400, &p, err,
	        sizeof(err)) == 0) {
		check(p.limit >= 1 && p.limit <= TRACE_LIMIT_MAX);
		check(p.cursor >= 0);
		check_text(p.event);
	}
	(void)query_get(query, "since", v, sizeof(v));
	if (utc_parse(query, UTC_LENIENT | UTC_AGO, (time_t)1795514400, &t) ==
	    0)
		check(
		    utc_format(t.secs, t.usec, UTC_MICROS, v, sizeof(v)) == 0);
}

/* The webhook after its header checks: verify, then parse the row. */
static void
fuzz_delivery(const struct config *cfg, const struct input *in,
    const char *body, size_t len)
{
	struct delivery_headers h;
	struct delivery d;
	struct buf b;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char sig[7 + 2 * EVP_MAX_MD_SIZE + 1];
	cJSON *labels;

	if (!delivery_event_is_valid(in->event))
		return;
	if (in->signature == NULL) {
		if (HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
		        (const unsigned char *)body, len, md, &mdlen) == NULL)
			abort();
		memcpy(sig, "sha256=", 7);
		hex_encode(md, mdlen, sig + 7);
	}
	if (auth_webhook_verify(cfg,
	        in->signature != NULL ? in->signature : sig, body, len) == -1) {
		check(in->signature != NULL);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.event = in->event;
	h.delivery_id = in->delivery;
	h.target_id = in->target_id;
	h.target_type = in->target_type;
	if (delivery_parse(cfg, &h, body, len, &d) == -1)
		return;
	/* What ingest and the database rely on. */
	check(d.event != NULL && d.outcome < OUTCOME__MAX);
	check_text(d.event);
	check_text(d.entity_type);
	check_text(d.entity_name);
	check_text(d.repo_full_name);
	check_text(d.html_url);
	check_text(d.labels_json);
	check_text(d.invalid_reason);
	check((d.outcome == OUTCOME_INVALID_PAYLOAD) ==
	    (d.invalid_reason != NULL));
	check(d.app_id >= 0 && d.installation_id >= 0 && d.entity_id >= 0 &&
	    d.job_id >= 0);
	if (d.outcome == OUTCOME_JOB_STORED)
		check(d.installation_id > 0 && d.entity_id > 0 && d.job_id > 0);
	if (d.labels_json != NULL) {
		labels = json_parse(d.labels_json, strlen(d.labels_json));
		check(cJSON_IsArray(labels));
		cJSON_Delete(labels);
	}
	if (d.invalid_reason != NULL) {
		buf_init(&b);
		check(json_quote(&b, d.invalid_reason) == 0);
		buf_release(&b);
	}
	delivery_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char label0[] = "self-hosted", label1[] = "linux";
	static char *labels[] = { label0, label1, NULL };
	static unsigned char secret[] = SECRET;
	struct config cfg;
	struct input in;
	const uint8_t *sep;
	char *head = NULL, *body = NULL;
	size_t hlen = 0, blen = size;

	memset(&in, 0, sizeof(in));
	in.event = "installation";
	sep = find_blank_line(data, size);
	if (sep != NULL) {
		hlen = (size_t)(sep - data);
		blen = size - hlen - 2;
		if ((head = malloc(hlen + 1)) == NULL)
			return 0;
		memcpy(head, data, hlen);
		head[hlen] = '\0';
		parse_headers(head, &in);
	}
	/* Exactly the body's bytes, no NUL after: over-reads trip ASan. */
	if ((body = malloc(blen == 0 ? 1 : blen)) == NULL)
		goto out;
	memcpy(body, data + size - blen, blen);

	memset(&cfg, 0, sizeof(cfg));
	cfg.webhook_secret.buf = secret;
	cfg.webhook_secret.len = strlen(SECRET);
	if (in.labels) {
		cfg.runner_labels = labels;
		cfg.nrunner_labels = 2;
	}
	cfg.max_body = CONFIG_MAX_BODY_DEFAULT;
	fuzz_delivery(&cfg, &in, body, blen);
	if (in.query != NULL)
		fuzz_query(in.query);
out:
	free(body);
	free(head);
	return 0;
}
