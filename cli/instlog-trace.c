/* SPDX-License-Identifier: MIT */
/* instlog-trace: the operator's view of an account's installation history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "core/log.h"

static const char usage[] =
    "usage: instlog-trace (--installation-id N | --entity-id N |\n"
    "                      --entity-name LOGIN | --job-id N) [options]\n"
    "       instlog-trace --operations [--status S] [--type T] [--since T]\n"
    "                     [--until T] [--limit N] [--json] [--url URL]\n"
    "       instlog-trace --operation N [--json] [--url URL]\n"
    "       instlog-trace (--entity-id N | --entity-name LOGIN |\n"
    "                      --installation-id N | --operations) --follow\n"
    "                     [--event E] [--json] [--url URL]\n"
    "       instlog-trace --failing [--cause C] [--since T] [--limit N]\n"
    "                     [--json] [--url URL]\n"
    "\n"
    "Print the installation event timeline of a GitHub account, its\n"
    "state and why its jobs fail, from instlog's /trace routes; or what\n"
    "instlog itself did, from /operations.\n"
    "\n"
    "  --installation-id N  the account of installation N\n"
    "  --entity-id N        the account with GitHub id N\n"
    "  --entity-name LOGIN  the account LOGIN, resolved through GitHub's\n"
    "                       /users/LOGIN, then /orgs/LOGIN\n"
    "  --job-id N           the account of workflow job N\n"
    "  --operations         instlog's operations, newest first (auth\n"
    "                       checks, sweeps, replays, failed deliveries)\n"
    "  --status S, --type T with --operations: running, completed or\n"
    "                       failed; auth_check, redeliver, delivery...\n"
    "  --operation N        operation N with its steps, failures first\n"
    "  --failing            the accounts whose auth fails and has not\n"
    "                       recovered, newest failure first (since 24h)\n"
    "  --cause C            with --failing: only cause C (uninstalled,\n"
    "                       rate_limited, ..., unknown)\n"
    "  --since T, --until T events in that window: RFC 3339 (2026-11-24,\n"
    "                       2026-11-24T10:00:00Z) or relative (30m, 1h, 7d)\n"
    "  --event E            events named E, or under it (installation:\n"
    "                       installation.created, installation.deleted...)\n"
    "  --at T               the state and diagnosis as of T\n"
    "  --dedupe             one row per delivery (hide redeliveries)\n"
    "  --limit N            at most N events per page (1..5000; server: 500)\n"
    "  --all                follow next_cursor through every page\n"
    "  --json               print the server's JSON as received; with --all,\n"
    "                       one document: every page's events, next_cursor\n"
    "                       null, state and diagnosis of the last page\n"
    "  --verbose            also print /trace/payload/{id} of each\n"
    "                       auth_attempt.* row (with --json: each document\n"
    "                       as received, after the list)\n"
    "  --follow             with --entity-id, --entity-name,\n"
    "                       --installation-id (and --event) or --operations:\n"
    "                       print new rows as they come (with --json one\n"
    "                       JSON line each), until interrupted; a dropped\n"
    "                       connection resumes where it stopped\n"
    "  --url URL            instlog's base URL (default: $INSTLOG_URL, else\n"
    "                       " CLI_URL_DEFAULT "); plain http: loopback only\n"
    "  -h, --help           this text\n"
    "\n"
    "Environment:\n"
    "  TRACE_API_SECRET     the bearer token (or TRACE_API_SECRET_FILE,\n"
    "                       a file holding it); required\n"
    "  INSTLOG_URL          instlog's base URL\n"
    "  GITHUB_API_URL       GitHub's API, for --entity-name (default\n"
    "                       " CLI_GITHUB_URL_DEFAULT ")\n"
    "  GITHUB_TOKEN         sent to GitHub when set (or GITHUB_TOKEN_FILE)\n"
    "  NO_COLOR             no colour, even on a terminal\n"
    "\n"
    "Exit status:\n"
    "  0  ok\n"
    "  1  other failure (out of memory, cannot write the output)\n"
    "  2  usage: bad arguments or URL, or the server refused a parameter\n"
    "  3  auth: no token, 401/403 from instlog, 401/403 from GitHub\n"
    "  4  not found: 404 from instlog, no such GitHub login\n"
    "  5  server: 5xx or other status, unparsable or oversized reply\n"
    "  6  network: cannot resolve or connect, timeout, TLS failure\n";

int
main(int argc, char *argv[])
{
	struct cli_options o;
	enum cli_status st;
	char err[256];
	bool color;

	log_init("instlog-trace");
	if (cli_parse(argc, argv, &o, err, sizeof(err)) == -1) {
		log_warnx("%s (see --help)", err);
		return CLI_USAGE;
	}
	if (o.help) {
		(void)fputs(usage, stdout);
		return fflush(stdout) == 0 ? CLI_OK : CLI_FAILURE;
	}
	color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("cannot initialise libcurl");
		return CLI_FAILURE;
	}
	st = cli_run(&o, stdout, color);
	curl_global_cleanup();
	return (int)st;
}
