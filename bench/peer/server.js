// SPDX-License-Identifier: MIT
// Bench only (bench/run.sh, matrix): what a GitHub App author writes
// instead of instlog, run as Probot runs it: one Node process, the
// @octokit/webhooks middleware (verifies X-Hub-Signature-256, parses,
// routes; answers 200 once the handler resolved) and node-postgres
// inserting the delivery's row before the answer.  The row is the one
// instlog's webhook inserts (same columns and values) but for the
// document: the parsed payload as jsonb, as such a receiver stores it
// (PEER_DOC=json: into the json column 'body' instead, as instlog keeps a
// body since sql/020), into peer.installation_events, a copy of the
// table's shape and indexes in a schema of its own
// (bench/peer/schema.sql), so instlog's table is left alone.
// Environment: GITHUB_WEBHOOK_SECRET, DATABASE_URL, PEER_PORT, PEER_DOC.
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";
import pg from "pg";

// Idle connections are kept (pg closes them after 10 s by default): the
// matrix runs the peer every few cells, and a closing backend would be
// counted wrong in the CPU per delivery of the cell in between.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL,
    idleTimeoutMillis: 0 });
const webhooks = new Webhooks({ secret: process.env.GITHUB_WEBHOOK_SECRET });

const DOC = process.env.PEER_DOC === "json" ? "body" : "payload";
const INSERT =
    "INSERT INTO peer.installation_events (received_at, source, event, " +
    `outcome, delivery_id, app_id, installation_id, entity_type, entity_id, ` +
    `entity_name, ${DOC}, raw_body, attempt_key, request_id) VALUES ` +
    "(now(), 'webhook', $1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, NULL) " +
    "RETURNING id";

// The account a delivery is about, as instlog reads it (DESIGN §1).
function entityOf(name, p) {
	if (name === "installation" || name === "installation_repositories")
		return p.installation?.account;
	if (name === "installation_target")
		return p.account;
	if (name === "workflow_job")
		return p.repository?.owner;
	return undefined;
}

webhooks.onAny(async ({ id, name, payload }) => {
	const acct = entityOf(name, payload);
	const event = payload.action ? `${name}.${payload.action}` : name;
	const outcome = name === "workflow_job" && payload.action === "queued"
	    ? "job_stored" : "ok";

	await pool.query(INSERT, [event, outcome, id,
	    payload.installation?.app_id ?? payload.hook?.app_id ?? null,
	    payload.installation?.id ?? null, acct?.type ?? null,
	    acct?.id ?? null, acct?.login ?? null, JSON.stringify(payload),
	    randomUUID()]);
});

createServer(createNodeMiddleware(webhooks, { path: "/webhook-node" }))
    .listen(Number(process.env.PEER_PORT), "127.0.0.1", () =>
	console.log(`peer ready on ${process.env.PEER_PORT}`));
