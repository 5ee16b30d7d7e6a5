// SPDX-License-Identifier: MIT
// instlog operator page over the trace and operations routes (README
// "The page").
//
// Rules this file keeps:
// - Every string from the server reaches the DOM through textContent or a
//   text node, never innerHTML: payloads and logins are attacker-controlled.
// - The bearer token lives in sessionStorage only, goes out as an
//   Authorization header, never in a URL; a 401 forgets it and asks again.
// - Views are picked by the first segment of the hash (ROUTES); filters
//   live in the hash query, so a reload or a shared link keeps the view.
"use strict";

(function () {
	const TOKEN_KEY = "instlog.trace_token";
	const PAGE_LIMIT = 100;
	// Pages "load more" follows at most when looking for an evidence row.
	const MAX_EVIDENCE_PAGES = 50;
	const ID_RE = /^[1-9][0-9]{0,18}$/;
	// A GitHub user or organization login, as /trace/entity-by-name takes.
	const LOGIN_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/;
	const BAD_OUTCOMES = new Set(["auth_404", "auth_other_error",
		"invalid_payload", "job_write_failed", "job_not_found"]);
	const FILTERS = ["event", "since", "until", "at", "dedupe", "limit"];

	// The views, keyed by the hash's first segment (#/entity/42 -> entity).
	const ROUTES = {
		"": showFailing,
		failing: showFailing,
		search: showHome,
		entity: showTrace,
		installation: showTrace,
		job: showTrace,
		login: showTrace,
		operations: showOperations,
		operation: showOperation,
	};
	const TABS = [
		{ label: "Failing", href: "#/failing", keys: ["", "failing"] },
		{ label: "Trace", href: "#/search",
		  keys: ["search", "entity", "installation", "job", "login"] },
		{ label: "Operations", href: "#/operations",
		  keys: ["operations", "operation"] },
	];
	// Search prefixes: "i:6101", "job 7101", "e/5101", "login:octocat".
	const PREFIXES = {
		e: "entity", entity: "entity",
		i: "installation", inst: "installation",
		installation: "installation",
		j: "job", job: "job",
		l: "login", login: "login", user: "login", org: "login",
	};

	const $ = (id) => document.getElementById(id);
	let routeSeq = 0;	// bumps on every navigation; stale answers drop
	let current = null;	// the trace view on screen

	// ---- small helpers ------------------------------------------------

	// el("td", {class: "x"}, "text", node): an element; strings become
	// text nodes, null/undefined/false children are skipped.
	function el(tag, props, ...kids) {
		const n = document.createElement(tag);
		for (const [k, v] of Object.entries(props || {})) {
			if (v === undefined || v === null || v === false)
				continue;
			if (k === "class")
				n.className = v;
			else if (k.startsWith("on"))
				n.addEventListener(k.slice(2), v);
			else
				n.setAttribute(k, v === true ? "" : String(v));
		}
		for (const kid of kids.flat(Infinity)) {
			if (kid === undefined || kid === null || kid === false)
				continue;
			n.append(kid instanceof Node ? kid : String(kid));
		}
		return n;
	}

	function text(v) {
		return v === undefined || v === null || v === "" ? "—" : String(v);
	}

	function setStatus(msg, kind) {
		const s = $("status");
		s.textContent = msg || "";
		s.className = "status" + (kind ? " " + kind : "");
	}

	// "2026-11-24T10:48:46.450248Z" -> "2026-11-24 10:48:46 UTC".
	function utc(iso) {
		if (typeof iso !== "string")
			return "—";
		return iso.replace("T", " ").replace(/\.[0-9]+Z$/, "Z")
			.replace(/Z$/, " UTC");
	}

	// Milliseconds since the epoch of an RFC 3339 UTC time, or NaN.
	function epochMs(iso) {
		if (typeof iso !== "string")
			return NaN;
		return Date.parse(iso.replace(/(\.[0-9]{3})[0-9]+/, "$1"));
	}

	// "3 h ago", "in 5 min", "just now".
	function ago(iso, now) {
		const t = epochMs(iso);
		if (Number.isNaN(t))
			return "";
		let s = Math.round((now - t) / 1000);
		const future = s < 0;
		s = Math.abs(s);
		if (s < 5)
			return "just now";
		let n, unit;
		if (s < 60) {
			n = s; unit = "s";
		} else if (s < 90 * 60) {
			n = Math.round(s / 60); unit = "min";
		} else if (s < 36 * 3600) {
			n = Math.round(s / 3600); unit = "h";
		} else if (s < 2 * 365 * 86400) {
			n = Math.round(s / 86400); unit = "d";
		} else {
			n = Math.round(s / (365.25 * 86400)); unit = "y";
		}
		return future ? "in " + n + " " + unit : n + " " + unit + " ago";
	}

	// ---- the token and the API -----------------------------------------

	const token = {
		get: () => sessionStorage.getItem(TOKEN_KEY),
		set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
		drop: () => sessionStorage.removeItem(TOKEN_KEY),
	};

	class AuthError extends Error {}
	class ApiError extends Error {
		constructor(status, msg) {
			super(msg);
			this.status = status;
		}
	}

	// GET a trace route; resolves to its JSON.  The token goes in the
	// header only; the query holds filters and the cursor.
	async function api(path, params) {
		const t = token.get();
		if (!t)
			throw new AuthError("no token");
		const q = new URLSearchParams();
		for (const [k, v] of Object.entries(params || {}))
			if (v !== undefined && v !== null && v !== "")
				q.set(k, v);
		const qs = q.toString();
		let res;
		try {
			res = await fetch(path + (qs ? "?" + qs : ""), {
				headers: { Authorization: "Bearer " + t,
					   Accept: "application/json" },
				cache: "no-store",
				credentials: "omit",
				redirect: "error",
				referrerPolicy: "no-referrer",
			});
		} catch (e) {
			throw new ApiError(0, "the server did not answer");
		}
		if (res.status === 401) {
			token.drop();
			throw new AuthError("refused");
		}
		let body = null;
		try {
			body = await res.json();
		} catch (e) {
			body = null;
		}
		if (!res.ok) {
			const why = body && typeof body.error === "string" ?
				body.error : "HTTP " + res.status;
			throw new ApiError(res.status, why);
		}
		if (body === null)
			throw new ApiError(res.status, "the answer is not JSON");
		return body;
	}

	// ---- token form ----------------------------------------------------

	function showLogin(note) {
		$("login").hidden = false;
		$("view").hidden = true;
		$("forget").hidden = true;
		$("login-error").hidden = !note;
		$("login-error").textContent = note || "";
		setStatus("");
		$("token").focus();
	}

	function hideLogin() {
		$("login").hidden = true;
		$("view").hidden = false;
		$("forget").hidden = false;
	}

	// A failed request: back to the form on 401, else say why.
	function report(err, what) {
		if (err instanceof AuthError) {
			showLogin(err.message === "no token" ? null :
				"The server refused the token (401). Paste it again.");
			return;
		}
		if (err instanceof ApiError && err.status === 404) {
			setStatus("No " + what + " found (404).", "error");
			return;
		}
		if (err instanceof ApiError) {
			setStatus(what + ": " + err.message, "error");
			return;
		}
		setStatus(what + ": " + String(err), "error");
		console.error(err);
	}

	// ---- routing ---------------------------------------------------------

	// "#/entity/42?event=x" -> {key: "entity", args: ["42"], params}.
	function parseHash() {
		let h = location.hash.replace(/^#\/?/, "");
		let query = "";
		const qi = h.indexOf("?");
		if (qi >= 0) {
			query = h.slice(qi + 1);
			h = h.slice(0, qi);
		}
		const segs = h.split("/").filter((s) => s !== "");
		return { key: segs.length ? segs[0] : "", args: segs.slice(1),
			 params: new URLSearchParams(query) };
	}

	function hashFor(kind, id, params) {
		const q = params ? params.toString() : "";
		return "#/" + kind + "/" + id + (q ? "?" + q : "");
	}

	function renderTabs(key) {
		const nav = $("tabs");
		nav.replaceChildren(...TABS.map((t) => el("a", {
			href: t.href,
			class: t.keys.includes(key) ? "tab active" : "tab",
			"aria-current": t.keys.includes(key) ? "page" : null,
		}, t.label)));
	}

	function route() {
		const seq = ++routeSeq;
		const r = parseHash();
		renderTabs(r.key);
		current = null;
		liveStop();
		if (!token.get()) {
			showLogin(null);
			return;
		}
		hideLogin();
		setStatus("");
		const view = ROUTES[r.key];
		if (!view) {
			$("view").replaceChildren();
			setStatus("Unknown page: #/" + r.key, "error");
			return;
		}
		view(r, seq);
	}

	// ---- search ----------------------------------------------------------

	// The search box: an id of the selected kind, or a prefix naming the
	// kind ("i:6101", "job 7101").  Anything else, or anything with the
	// kind "login", is a login.
	function parseSearch(kind, raw) {
		let q = raw.trim();
		const m = /^([a-z]+)\s*[:/ ]\s*(.+)$/i.exec(q);
		if (m && PREFIXES[m[1].toLowerCase()]) {
			kind = PREFIXES[m[1].toLowerCase()];
			q = m[2].trim();
		}
		if (q === "")
			return { empty: true };
		if (kind !== "login" && ID_RE.test(q))
			return { kind: kind, id: q };
		return { login: q };
	}

	// A login: the server looks it up in the log
	// (/trace/entity-by-name/{login}); #/login/NAME shows the timeline
	// of the account that last bore it.
	function lookupLogin(login) {
		if (!LOGIN_RE.test(login)) {
			setStatus("Not a GitHub login: \u201c" + login + "\u201d " +
				"(1 to 39 letters, digits and hyphens).",
				"error");
			return;
		}
		const h = hashFor("login", login, null);
		if (location.hash === h)
			route();
		else
			location.hash = h;
	}

	function onSearch(ev) {
		ev.preventDefault();
		const r = parseSearch($("search-kind").value, $("search-q").value);
		if (r.empty) {
			setStatus("Type an id to look up.", "warn");
			return;
		}
		if (r.login !== undefined) {
			lookupLogin(r.login);
			return;
		}
		const h = hashFor(r.kind, r.id, null);
		if (location.hash === h)
			route();
		else
			location.hash = h;
	}

	// ---- home ----------------------------------------------------------

	function showHome() {
		document.title = "instlog";
		$("view").replaceChildren(el("section", { class: "card help" },
			el("h1", null, "Why did my jobs stop?"),
			el("p", null, "Look up an installation, an account (entity " +
				"id or login) or a job above. The page shows the " +
				"account's " +
				"timeline, its state and the diagnosis, each cause " +
				"with the rows that prove it."),
			el("p", null, "Links: ", el("code", null, "#/entity/N"),
				" ", el("code", null, "#/installation/N"), " ",
				el("code", null, "#/job/N"), " ",
				el("code", null, "#/login/NAME"), ", with ",
				el("code", null, "?event=&since=&until="),
				" like the API.")));
		$("search-q").focus();
	}

	// ---- the fleet: who is failing now (issue 24) ---------------------

	// The page's home (#/ and #/failing): the accounts whose scheduler
	// auth failed since `since` and have not recovered, newest failure
	// first (/trace/failing, DESIGN §12).  The filters live in the hash
	// (#/failing?cause=bad_credentials&since=7d); a click on a line, or
	// on its account's link, opens that account's timeline.
	// The causes in the server's order, the most specific first; the kind
	// picks the badge's colour.
	const FLEET_CAUSES = [
		["repo_renamed", "repo"], ["repo_transferred", "repo"],
		["repo_deleted", "repo"], ["bad_credentials", "app"],
		["rate_limited", "github"], ["github_unavailable", "github"],
		["uninstalled", "install"], ["suspended", "install"],
		["repo_removed", "repo"], ["renamed", "install"],
		["wrong_app", "app"], ["repo_not_selected", "repo"],
		["plan_cancelled", "app"], ["unknown", "unknown"],
	];
	const FLEET_KIND = new Map(FLEET_CAUSES);
	const FLEET_SINCE = [["1h", "last hour", 3600],
		["24h", "last 24 hours", 86400], ["7d", "last 7 days", 604800]];
	const FLEET_SINCE_DEFAULT = "24h";
	const FLEET_LIMIT = 100;
	// Empty pages followed before "More" is left to a click: with a
	// cause, a page may hold no line and still have a next_cursor.
	const FLEET_EMPTY_PAGES = 10;

	function fleetHash(cause, since, limit) {
		const p = new URLSearchParams();
		if (cause)
			p.set("cause", cause);
		if (since && since !== FLEET_SINCE_DEFAULT)
			p.set("since", since);
		if (limit)
			p.set("limit", limit);
		const q = p.toString();
		return "#/failing" + (q ? "?" + q : "");
	}

	// "in the last 24 hours (since 2026-12-05 22:04:01 UTC)", or
	// "since 2026-12-01 00:00:00 UTC" for a time.
	function fleetSinceText(since, now) {
		const c = FLEET_SINCE.find((s) => s[0] === since);
		if (c)
			return "in the " + c[1] + " (since " +
				utc(new Date(now - c[2] * 1000).toISOString()) +
				")";
		return "since " + (Number.isNaN(epochMs(since)) ? since :
			utc(since));
	}

	function causeBadge(cause) {
		const c = String(cause);
		const kind = FLEET_KIND.get(c);
		return el("span", { class: "badge" + (kind ? " " + kind : ""),
			"data-cause": kind ? c : null }, text(cause));
	}

	function showFailing(r, seq) {
		const cause = r.params.get("cause") || "";
		const since = r.params.get("since") || FLEET_SINCE_DEFAULT;
		const limit = r.params.get("limit") || "";
		document.title = "instlog · failing";
		const now = Date.now();
		const tbody = el("tbody");
		const count = el("span", { class: "muted", id: "fleet-count" });
		const more = el("button", { type: "button", class: "load-more",
			id: "fleet-more", hidden: true }, "More");
		const card = el("section", { class: "card fleet-card" },
			el("div", { class: "table-wrap" },
				el("table", { class: "timeline fleet",
					      id: "fleet" },
					el("thead", null, el("tr", null,
						["cause", "account",
						 "failing since",
						 "failures",
						 "summary"].map((h) =>
							el("th", { scope: "col" },
							   h)))),
					tbody)),
			el("p", { class: "more" }, more));
		$("view").replaceChildren(
			el("div", { class: "title" },
				el("h1", null, "Failing now"), count),
			fleetFilterForm(cause, since, limit), card);
		let cursor = null;
		let shown = 0;
		const load = async () => {
			more.disabled = true;
			for (let empty = 0; ; empty++) {
				let body;
				try {
					body = await api("/trace/failing", {
						since: since, cause: cause,
						limit: limit || String(FLEET_LIMIT),
						cursor: cursor });
				} catch (err) {
					if (seq !== routeSeq)
						return;
					more.disabled = false;
					// The form stays, to mend a bad value.
					if (!shown && !cursor)
						card.remove();
					report(err, shown || cursor ?
						"the next page" :
						"failing accounts");
					return;
				}
				if (seq !== routeSeq)
					return;
				const items = Array.isArray(body.data) ?
					body.data : [];
				for (const a of items) {
					tbody.append(fleetRow(a, now));
					shown++;
				}
				// A row id: a number, or a string past 2^53.
				const nc = body.next_cursor;
				cursor = (typeof nc === "number" ||
					  typeof nc === "string") &&
					ID_RE.test(String(nc)) ? String(nc) : null;
				if (items.length || !cursor ||
				    empty + 1 >= FLEET_EMPTY_PAGES)
					break;
			}
			more.hidden = cursor === null;
			more.disabled = false;
			count.textContent = shown + (shown === 1 ? " account" :
				" accounts") + (cursor ? " so far" : "");
			if (shown === 0 && cursor === null)
				tbody.append(el("tr", { class: "empty" },
					el("td", { colspan: 5, id: "fleet-empty" },
						"Nothing failing" +
						(cause ? " with cause " + cause :
						 "") + " " +
						fleetSinceText(since, now) + ".")));
		};
		more.addEventListener("click", load);
		load();
	}

	function fleetFilterForm(cause, since, limit) {
		const causes = FLEET_CAUSES.map((c) => c[0]);
		if (cause && !causes.includes(cause))
			causes.push(cause);
		const sinces = FLEET_SINCE.map((s) => [s[0], s[1]]);
		if (!sinces.some((s) => s[0] === since))
			sinces.push([since, since]);
		const form = el("form", { class: "filters", id: "fleet-filters",
					  autocomplete: "off" },
			el("label", null, el("span", null, "cause"),
				el("select", { name: "cause" },
					el("option", { value: "" }, "any"),
					causes.map((c) => el("option", {
						value: c, selected: c === cause },
						c)))),
			el("label", null, el("span", null, "failing"),
				el("select", { name: "since" },
					sinces.map(([v, label]) => el("option", {
						value: v, selected: v === since },
						label)))),
			el("button", { type: "submit" }, "Refresh"));
		const go = () => {
			const h = fleetHash(form.elements.cause.value,
				form.elements.since.value, limit);
			if (location.hash === h)
				route();
			else
				location.hash = h;
		};
		form.addEventListener("submit", (ev) => {
			ev.preventDefault();
			go();
		});
		form.addEventListener("change", go);
		return form;
	}

	// One failing account: a link to its timeline on its login, the
	// whole line clickable too.
	function fleetRow(a, now) {
		const id = String(a.entity_id);
		const href = ID_RE.test(id) ? "#/entity/" + id : null;
		const inst = a.installation_id;
		const cells = [
			["cause", causeBadge(a.cause)],
			["account", [el("a", { class: "account", href: href },
					text(a.entity_name)),
				el("span", { class: "ago" }, "entity " + id +
					(inst === null || inst === undefined ?
					 "" : " · installation " + inst) +
					(a.entity_type ? " · " + a.entity_type :
					 ""))]],
			["since", [el("time", { datetime: a.first_failure_at,
					title: utc(a.first_failure_at) },
					ago(a.first_failure_at, now) ||
					utc(a.first_failure_at)),
				el("span", { class: "ago last",
					title: utc(a.last_failure_at) },
					"last " + (ago(a.last_failure_at, now) ||
					utc(a.last_failure_at)))]],
			["failures", text(a.failures)],
			["summary", text(a.summary)],
		];
		const tr = el("tr", { class: "row failing", id: "failing-" + id,
			"data-cause": String(a.cause) }, cellTds(cells));
		if (href)
			tr.addEventListener("click", (ev) => {
				if (!(ev.target instanceof HTMLAnchorElement))
					location.hash = href;
			});
		return tr;
	}

	// ---- the trace view --------------------------------------------------

	function showTrace(r, seq) {
		const kind = r.key;
		const id = r.args[0] || "";
		const byLogin = kind === "login";
		$("search-kind").value = kind;
		$("search-q").value = id;
		if (!(byLogin ? LOGIN_RE : ID_RE).test(id)) {
			$("view").replaceChildren();
			setStatus((byLogin ? "Not a GitHub login" : "Not an id") +
				": \u201c" + id + "\u201d.", "error");
			return;
		}
		const filters = {};
		for (const f of FILTERS) {
			const v = r.params.get(f);
			if (v !== null && v !== "")
				filters[f] = v;
		}
		if (!filters.limit)
			filters.limit = String(PAGE_LIMIT);
		const v = {
			kind: kind, id: id, seq: seq, filters: filters,
			path: byLogin ? "/trace/entity-by-name/" + id :
				"/trace/" + kind + "/" + id,
			cursor: null, rows: new Map(), evidence: new Map(),
			tbody: null, more: null, count: null, loading: false,
			cards: null, cardsTimer: null, cardsBusy: false,
			cardsAgain: false,
		};
		document.title = "instlog · " + kind + " " + id;
		$("view").replaceChildren(el("p", { class: "muted" },
			"Loading " + kind + " " + id + "…"));
		api(v.path, filters).then((body) => {
			if (seq !== routeSeq)
				return;
			current = v;
			renderTrace(v, body);
			liveTrace(v, body);
		}, (err) => {
			if (seq !== routeSeq)
				return;
			$("view").replaceChildren();
			report(err, kind + " " + id);
		});
	}

	// The rows each cause names as evidence (v.evidence: id → causes),
	// and their marks in the timeline already drawn.
	function setEvidence(v, diagnosis) {
		v.evidence = new Map();
		for (const d of diagnosis)
			for (const eid of d.evidence || []) {
				const k = String(eid);
				if (!v.evidence.has(k))
					v.evidence.set(k, []);
				v.evidence.get(k).push(String(d.cause));
			}
		for (const [id, tr] of v.rows)
			markEvidence(tr, v.evidence.get(id));
	}

	// The evidence tag of a timeline row: 'causes', or none.
	function evidenceTag(causes) {
		return causes ? el("span", { class: "tag" },
			"evidence: " + causes.join(", ")) : null;
	}

	function markEvidence(tr, causes) {
		const old = tr.querySelector("span.tag");
		if (old)
			old.remove();
		tr.classList.toggle("evidence", !!causes);
		const cell = tr.querySelector("td[data-label=event] .cell");
		if (causes && cell)
			cell.append(evidenceTag(causes));
	}

	function renderTrace(v, body) {
		setEvidence(v, body.diagnosis || []);
		const name = body.entity_name;
		document.title = "instlog · " + text(name);
		v.tbody = el("tbody");
		v.count = el("span", { class: "muted" });
		v.more = el("button", { type: "button", id: "load-more",
			onclick: () => loadMore(v) }, "Load more");
		$("view").replaceChildren(
			el("div", { class: "title" },
				el("h1", null, text(name)),
				el("span", { class: "muted" },
					"entity " + text(body.entity_id) +
					(v.kind === "entity" ? "" :
					 " · from " + v.kind + " " + v.id))),
			v.cards = el("div", { class: "cards" },
				diagnosisCard(v, body.diagnosis || []),
				stateCard(v, body.state || {})),
			filterForm(v),
			el("section", { class: "card timeline-card" },
				el("h2", null, "Timeline ", v.count),
				el("div", { class: "table-wrap" },
					el("table", { class: "timeline",
						      id: "timeline" },
						el("thead", null, el("tr", null,
							["#", "time (UTC)", "event",
							 "outcome", "actor", "repo",
							 "job"].map((h) =>
								el("th", { scope: "col" },
								   h)))),
						v.tbody)),
				el("p", { class: "more" }, v.more)));
		addRows(v, body);
	}

	function addRows(v, body) {
		const now = Date.now();
		for (const e of body.events || [])
			v.tbody.append(eventRow(v, e, now));
		v.cursor = typeof body.next_cursor === "string" &&
			body.next_cursor !== "" ? body.next_cursor : null;
		v.more.hidden = v.cursor === null;
		v.count.textContent = v.rows.size + " event" +
			(v.rows.size === 1 ? "" : "s") +
			(v.cursor ? " so far" : "");
		if (v.rows.size === 0)
			v.tbody.append(el("tr", { class: "empty" },
				el("td", { colspan: 7 },
				   "No event matches these filters.")));
	}

	async function loadMore(v) {
		if (!v.cursor || v.loading)
			return false;
		v.loading = true;
		v.more.disabled = true;
		try {
			const body = await api(v.path,
				Object.assign({}, v.filters, { cursor: v.cursor }));
			if (v !== current)
				return false;
			const empty = v.tbody.querySelector("tr.empty");
			if (empty)
				empty.remove();
			addRows(v, body);
			return true;
		} catch (err) {
			if (v === current)
				report(err, "the next page");
			return false;
		} finally {
			v.loading = false;
			v.more.disabled = false;
		}
	}

	// The cells of a table row, [label, content] each: the label names
	// the cell at phone width; an empty one ("—") hides there.
	function cellTds(cells) {
		return cells.map(([label, content]) => el("td", {
			"data-label": label,
			class: content === "—" ? "none" : null,
		}, el("div", { class: "cell" }, content)));
	}

	function eventRow(v, e, now) {
		const id = String(e.id);
		const causes = v.evidence.get(id);
		const cells = [
			["#", el("span", { class: "id" }, id)],
			["time", [el("time", { datetime: e.received_at },
				     utc(e.received_at)),
				  el("span", { class: "ago" },
				     ago(e.received_at, now))]],
			["event", [text(e.event), evidenceTag(causes)]],
			["outcome", el("span", {
				class: BAD_OUTCOMES.has(e.outcome) ?
					"outcome bad" : "outcome" },
				text(e.outcome))],
			["actor", e.actor === null || e.actor === undefined ?
				el("span", { class: "muted" }, text(e.source)) :
				String(e.actor)],
			["repo", text(e.repo_full_name)],
			["job", text(e.job_id)],
		];
		const tr = el("tr", {
			class: causes ? "row evidence" : "row",
			id: "event-" + id, tabindex: 0,
			"aria-expanded": "false",
			title: "show the payload of #" + id,
		}, cellTds(cells));
		tr.addEventListener("click", () => togglePayload(tr, id));
		tr.addEventListener("keydown", (ev) => {
			if (ev.key === "Enter" || ev.key === " ") {
				ev.preventDefault();
				togglePayload(tr, id);
			}
		});
		v.rows.set(id, tr);
		return tr;
	}

	// ---- a row's payload -------------------------------------------------

	async function togglePayload(tr, id) {
		const next = tr.nextElementSibling;
		if (next && next.classList.contains("detail")) {
			next.remove();
			tr.setAttribute("aria-expanded", "false");
			return;
		}
		const box = el("div", { class: "payload" },
			el("p", { class: "muted" }, "Loading payload #" + id + "…"));
		const detail = el("tr", { class: "detail", id: "payload-" + id },
			el("td", { colspan: 7 }, box));
		tr.after(detail);
		tr.setAttribute("aria-expanded", "true");
		try {
			const body = await api("/trace/payload/" + id, null);
			box.replaceChildren(...payloadView(body));
		} catch (err) {
			if (err instanceof AuthError) {
				report(err, "payload");
				return;
			}
			box.replaceChildren(el("p", { class: "error" },
				"Payload #" + id + ": " + err.message));
		}
	}

	function payloadView(body) {
		const out = [el("p", { class: "payload-head" },
			"#" + text(body.id) + " · " + text(body.event) + " · " +
			utc(body.received_at))];
		if (typeof body.raw_body_base64 === "string")
			out.push(el("p", { class: "warn" },
				"The body was not valid JSON for PostgreSQL; its " +
				"raw bytes are kept (raw_body_base64, " +
				body.raw_body_base64.length + " characters)."));
		out.push(el("pre", { class: "json" },
			JSON.stringify(body.payload, null, 2)));
		return out;
	}

	// ---- evidence links --------------------------------------------------

	// Scroll to an evidence row, loading further pages when it is not on
	// screen yet.
	async function focusEvidence(v, id) {
		let pages = 0;
		while (!v.rows.has(id) && v.cursor && pages < MAX_EVIDENCE_PAGES) {
			if (!(await loadMore(v)))
				return;
			pages++;
		}
		const tr = v.rows.get(id);
		if (!tr) {
			setStatus("Row #" + id + " is not in the timeline as " +
				"filtered; clear the filters to see it.", "warn");
			return;
		}
		tr.scrollIntoView({ block: "center" });
		tr.focus({ preventScroll: true });
		tr.classList.remove("flash");
		// Restart the animation on a second click.
		void tr.offsetWidth;
		tr.classList.add("flash");
	}

	function evidenceLink(v, eid) {
		const id = String(eid);
		return el("button", { type: "button", class: "link evidence-link",
			"data-event-id": ID_RE.test(id) ? id : null,
			onclick: () => focusEvidence(v, id) }, "#" + id);
	}

	function diagnosisCard(v, diagnosis) {
		const card = el("section", { class: "card diagnosis",
					     id: "diagnosis" },
			el("h2", null, "Diagnosis"));
		if (diagnosis.length === 0) {
			card.append(el("p", { class: "ok" },
				"No known cause: nothing in this timeline " +
				"explains a failure."));
			return card;
		}
		for (const d of diagnosis)
			card.append(el("div", { class: "cause" },
				el("h3", null, text(d.cause)),
				el("p", { class: "summary" }, text(d.summary)),
				el("p", { class: "evidence-links" }, "Evidence: ",
					(d.evidence || []).map((e) =>
						evidenceLink(v, e)))));
		return card;
	}

	function yesNo(b, badWhen) {
		if (b === null || b === undefined)
			return "—";
		return el("span", { class: b === badWhen ? "bad" : "ok" },
			b ? "yes" : "no");
	}

	function stateCard(v, s) {
		const f = s.last_auth_failure;
		const rows = [
			["installed", yesNo(s.installed, false)],
			["suspended", yesNo(s.suspended, true)],
			["installation", text(s.installation_id)],
			["app", text(s.app_id)],
			["repositories", text(s.repository_selection) + ": " +
				(Array.isArray(s.repositories) &&
				 s.repositories.length ?
				 s.repositories.join(", ") : "none")],
			["name", text(s.entity_name)],
			["previous names", Array.isArray(s.previous_names) &&
				s.previous_names.length ?
				s.previous_names.join(", ") : "—"],
			["as of", s.as_of ? utc(s.as_of) : "now"],
			["last auth failure", f ? [
				el("span", { class: "bad" },
				   text(f.http_status)),
				" " + utc(f.at) + " · app " + text(f.app_id) +
				" · repo " + text(f.repo) + " ",
				f.event_id ? evidenceLink(v, f.event_id) : null]
				: "none"],
		];
		return el("section", { class: "card state", id: "state" },
			el("h2", null, "State"),
			el("dl", null, rows.map(([k, val]) => [el("dt", null, k),
				el("dd", null, val)])));
	}

	// ---- filters -------------------------------------------------------

	function filterForm(v) {
		const input = (name, label, hint) => el("label", null,
			el("span", null, label),
			el("input", { name: name, type: "text",
				value: v.filters[name] || "", placeholder: hint,
				spellcheck: "false" }));
		const form = el("form", { class: "filters", id: "filters",
					  autocomplete: "off" },
			input("event", "event", "installation or x.y"),
			input("since", "since", "7d or 2026-11-24T10:00Z"),
			input("until", "until", "1h or RFC 3339"),
			input("at", "state as of", "RFC 3339"),
			el("label", { class: "check" },
				el("input", { name: "dedupe", type: "checkbox",
					checked: v.filters.dedupe === "1" }),
				el("span", null, "hide redeliveries")),
			el("button", { type: "submit" }, "Apply"),
			el("button", { type: "button", class: "quiet",
				onclick: () => {
					location.hash = hashFor(v.kind, v.id,
						null);
				} }, "Clear"));
		form.addEventListener("submit", (ev) => {
			ev.preventDefault();
			const p = new URLSearchParams();
			for (const f of ["event", "since", "until", "at"]) {
				const val = form.elements[f].value.trim();
				if (val)
					p.set(f, val);
			}
			if (form.elements.dedupe.checked)
				p.set("dedupe", "1");
			if (v.filters.limit && v.filters.limit !==
			    String(PAGE_LIMIT))
				p.set("limit", v.filters.limit);
			const h = hashFor(v.kind, v.id, p);
			if (location.hash === h)
				route();
			else
				location.hash = h;
		});
		return form;
	}

	// ---- operations ------------------------------------------------------

	// What instlog itself did (/operations, /operations/{id}).  The list
	// puts failed operations first: without a status filter it asks for
	// status=failed, then for every status and leaves the failed out.
	const OP_TYPES = ["auth_check", "redeliver", "spool_replay",
		"maintenance", "notify", "delivery"];
	const OP_STATUSES = ["failed", "running", "completed"];
	const OP_LIMIT = 50;

	function showOperations(r, seq) {
		const status = r.params.get("status") || "";
		const type = r.params.get("type") || "";
		document.title = "instlog · operations";
		const sections = [];
		if (status === "" || status === "failed")
			sections.push({ title: "Failed", status: "failed",
					skip: null });
		if (status === "")
			sections.push({ title: "Running and completed",
					status: "", skip: "failed" });
		else if (status !== "failed")
			sections.push({ title: status, status: status,
					skip: null });
		$("view").replaceChildren(el("h1", null, "Operations"),
			opsFilterForm(status, type),
			...sections.map((s) => opsSection(s, type, seq)));
		liveOperations(status, type, seq);
	}

	function opsFilterForm(status, type) {
		const select = (name, label, values, cur) => el("label", null,
			el("span", null, label),
			el("select", { name: name },
				el("option", { value: "" }, "any"),
				values.map((v) => el("option", { value: v,
					selected: v === cur }, v))));
		const form = el("form", { class: "filters", id: "ops-filters",
					  autocomplete: "off" },
			select("status", "status", OP_STATUSES, status),
			select("type", "type", OP_TYPES, type),
			el("button", { type: "submit" }, "Apply"));
		form.addEventListener("submit", (ev) => {
			ev.preventDefault();
			const p = new URLSearchParams();
			for (const f of ["status", "type"])
				if (form.elements[f].value)
					p.set(f, form.elements[f].value);
			const q = p.toString();
			const h = "#/operations" + (q ? "?" + q : "");
			if (location.hash === h)
				route();
			else
				location.hash = h;
		});
		return form;
	}

	// One list of operations with its own "Load more".
	function opsSection(s, type, seq) {
		const tbody = el("tbody");
		const more = el("button", { type: "button", class: "load-more",
			hidden: true }, "Load more");
		const sec = el("section", { class: "card ops",
			"data-status": s.status || "any" },
			el("h2", null, s.title),
			el("div", { class: "table-wrap" },
				el("table", { class: "timeline ops" },
					el("thead", null, el("tr", null,
						["#", "started (UTC)", "type",
						 "status", "duration", "steps",
						 "error"].map((h) =>
							el("th", { scope: "col" },
							   h)))),
					tbody)),
			el("p", { class: "more" }, more));
		let cursor = null;
		let shown = 0;
		const load = () => {
			more.disabled = true;
			api("/operations", { status: s.status, type: type,
				limit: String(OP_LIMIT), cursor: cursor })
				.then((body) => {
					if (seq !== routeSeq)
						return;
					for (const o of body.operations || []) {
						if (s.skip && o.status === s.skip)
							continue;
						tbody.append(opRow(o));
						shown++;
					}
					cursor = typeof body.next_cursor ===
						"string" && body.next_cursor !== "" ?
						body.next_cursor : null;
					more.hidden = cursor === null;
					more.disabled = false;
					if (shown === 0 && cursor === null)
						tbody.append(el("tr", { class: "empty" },
							el("td", { colspan: 7 },
							   "No operation.")));
				}, (err) => {
					if (seq === routeSeq)
						report(err, "operations");
				});
		};
		more.addEventListener("click", load);
		load();
		return sec;
	}

	function durationText(ms) {
		if (typeof ms !== "number")
			return "—";
		return ms < 10000 ? ms + " ms" : (ms / 1000).toFixed(1) + " s";
	}

	function statusTag(status) {
		return el("span", { class: status === "failed" ?
			"outcome bad" : "outcome" }, text(status));
	}

	function opRow(o) {
		const id = String(o.id);
		const now = Date.now();
		const href = ID_RE.test(id) ? "#/operation/" + id : null;
		const cells = [
			["#", el("a", { class: "id", href: href }, id)],
			["started", [el("time", { datetime: o.started_at },
				       utc(o.started_at)),
				    el("span", { class: "ago" },
				       ago(o.started_at, now))]],
			["type", text(o.type)],
			["status", statusTag(o.status)],
			["duration", durationText(o.duration_ms)],
			["steps", text(o.steps_summary)],
			["error", text(o.error)],
		];
		const tr = el("tr", { class: o.status === "failed" ?
			"row op failed" : "row op", id: "op-" + id },
			cellTds(cells));
		if (href)
			tr.addEventListener("click", (ev) => {
				if (!(ev.target instanceof HTMLAnchorElement))
					location.hash = href;
			});
		return tr;
	}

	// Compact JSON of an output or input: text, shown as text.
	function jsonText(v) {
		return v === undefined || v === null ? "—" : JSON.stringify(v);
	}

	function idLinks(kind, ids) {
		if (!Array.isArray(ids) || ids.length === 0)
			return "—";
		return ids.map((n, i) => {
			const s = String(n);
			return [i ? ", " : "", ID_RE.test(s) ?
				el("a", { href: hashFor(kind, s, null) }, s) : s];
		});
	}

	function showOperation(r, seq) {
		const id = r.args[0] || "";
		if (!ID_RE.test(id)) {
			$("view").replaceChildren();
			setStatus("Not an id: \u201c" + id + "\u201d.", "error");
			return;
		}
		document.title = "instlog · operation " + id;
		$("view").replaceChildren(el("p", { class: "muted" },
			"Loading operation " + id + "…"));
		api("/operations/" + id, null).then((o) => {
			if (seq === routeSeq)
				renderOperation(o);
		}, (err) => {
			if (seq !== routeSeq)
				return;
			$("view").replaceChildren();
			report(err, "operation " + id);
		});
	}

	function renderOperation(o) {
		const rows = [
			["status", statusTag(o.status)],
			["started", utc(o.started_at)],
			["completed", o.completed_at ? utc(o.completed_at) +
				" · " + durationText(o.duration_ms) : "—"],
			["error", text(o.error)],
			["triggered by", text(o.triggered_by)],
			["request", text(o.request_id)],
			["external ref", text(o.external_ref)],
			["installations", idLinks("installation",
				o.installation_ids)],
			["entities", idLinks("entity", o.entity_ids)],
			["input", jsonText(o.input)],
			["output", jsonText(o.output)],
		];
		const card = el("section", { class: "card state", id: "operation" },
			el("dl", null, rows.map(([k, v]) => [el("dt", null, k),
				el("dd", null, v)])));
		if (typeof o.error_detail === "string" && o.error_detail !== "")
			card.append(el("h2", null, "Error detail"),
				el("pre", { class: "json error-detail" },
				   o.error_detail));
		const steps = Array.isArray(o.steps) ? o.steps : [];
		const tbody = el("tbody");
		for (const s of steps)
			tbody.append(...stepRows(s));
		if (steps.length === 0)
			tbody.append(el("tr", { class: "empty" },
				el("td", { colspan: 6 }, "No step.")));
		$("view").replaceChildren(
			el("div", { class: "title" },
				el("h1", null, "Operation " + text(o.id) + " · " +
					text(o.type)),
				el("a", { href: "#/operations" },
					"all operations")),
			card,
			el("section", { class: "card" },
				el("h2", null, "Steps"),
				el("div", { class: "table-wrap" },
					el("table", { class: "timeline steps",
						      id: "steps" },
						el("thead", null, el("tr", null,
							["step", "status",
							 "started (UTC)",
							 "duration", "output",
							 "error"].map((h) =>
								el("th", { scope: "col" },
								   h)))),
						tbody))));
	}

	// A step's row; a failed one is highlighted, its error_detail (the
	// remote's body, as text) in a row of its own under it.
	function stepRows(s) {
		const failed = s.status === "failed";
		const name = text(s.name) + (typeof s.count === "number" &&
			s.count > 1 ? " ×" + s.count : "");
		const cells = [
			["step", name],
			["status", statusTag(s.status)],
			["started", utc(s.started_at)],
			["duration", durationText(s.duration_ms)],
			["output", jsonText(s.output)],
			["error", text(s.error)],
		];
		const tr = el("tr", { class: failed ? "row step failed" :
			"row step" }, cellTds(cells));
		if (typeof s.error_detail !== "string" || s.error_detail === "")
			return [tr];
		return [tr, el("tr", { class: "detail step-detail" },
			el("td", { colspan: 6 },
				el("pre", { class: "json error-detail" },
				   s.error_detail)))];
	}

	// ---- live tail (issue 26) -----------------------------------------

	// The timeline and the operations update as rows come, from
	// /trace/stream and /operations/stream (Server-Sent Events).  Not
	// EventSource: it cannot send an Authorization header, and the token
	// must never be in a URL (URLs end up in logs, history and Referer).
	// So the stream is a fetch() with the token in its header, as every
	// other request, read through its ReadableStream by readSse().  A
	// drop is taken up again with Last-Event-ID: nothing missed, nothing
	// twice.  One stream at a time; a navigation ends it.
	const LIVE_RETRY_MS = 2000;
	let live = null;	// { ctl: AbortController, lastId }

	function liveStop() {
		if (live) {
			live.ctl.abort();
			live = null;
		}
	}

	// Read the SSE byte stream 'body', calling fn(id, event, data) for
	// each event, and fn(id, null, null) for an id alone (where a
	// stream says it begins); resolves when the stream ends.
	async function readSse(body, fn) {
		const reader = body.getReader();
		const dec = new TextDecoder();
		let buf = "", data = [], id = null, ev = "";
		for (;;) {
			const { value, done } = await reader.read();
			if (done)
				return;
			buf += dec.decode(value, { stream: true });
			let i;
			while ((i = buf.indexOf("\n")) >= 0) {
				let line = buf.slice(0, i);
				buf = buf.slice(i + 1);
				if (line.endsWith("\r"))
					line = line.slice(0, -1);
				if (line === "") {
					if (data.length)
						fn(id, ev || "message",
						   data.join("\n"));
					else if (id !== null)
						fn(id, null, null);
					data = [];
					ev = "";
					continue;
				}
				if (line[0] === ":")
					continue;
				const c = line.indexOf(":");
				const f = c < 0 ? line : line.slice(0, c);
				let val = c < 0 ? "" : line.slice(c + 1);
				if (val[0] === " ")
					val = val.slice(1);
				if (f === "data")
					data.push(val);
				else if (f === "id")
					id = val;
				else if (f === "event")
					ev = val;
			}
		}
	}

	// Follow 'path' (query 'params') while the view 'seq' is on screen:
	// onEvent(type, object) per event; badge (an element) says whether
	// the stream is up.
	function liveStart(path, params, lastId, seq, badge, onEvent) {
		liveStop();
		const me = { ctl: new AbortController(), lastId: lastId };
		live = me;
		const q = new URLSearchParams();
		for (const [k, v] of Object.entries(params || {}))
			if (v !== undefined && v !== null && v !== "")
				q.set(k, v);
		const qs = q.toString();
		const url = path + (qs ? "?" + qs : "");
		const on = (up) => {
			badge.textContent = up ? "live" : "reconnecting…";
			badge.className = up ? "live on" : "live";
		};
		(async () => {
			while (live === me && seq === routeSeq) {
				const t = token.get();
				if (!t)
					return;
				const headers = { Authorization: "Bearer " + t,
						  Accept: "text/event-stream" };
				if (me.lastId)
					headers["Last-Event-ID"] = me.lastId;
				try {
					const res = await fetch(url, {
						headers: headers,
						cache: "no-store",
						credentials: "omit",
						redirect: "error",
						referrerPolicy: "no-referrer",
						signal: me.ctl.signal,
					});
					if (res.status === 401) {
						token.drop();
						report(new AuthError("refused"),
						       "live");
						return;
					}
					if (res.status === 400 ||
					    res.status === 404) {
						badge.textContent = "";
						return;
					}
					if (res.ok && res.body) {
						on(true);
						await readSse(res.body,
							(id, type, data) => {
							if (live !== me)
								return;
							if (id)
								me.lastId = id;
							if (type === null)
								return;
							let o = null;
							try {
								o = JSON.parse(data);
							} catch (e) {
								return;
							}
							onEvent(type, o);
						});
					}
				} catch (e) {
					if (me.ctl.signal.aborted)
						return;
				}
				if (live !== me)
					return;
				on(false);
				await new Promise((r) =>
					setTimeout(r, LIVE_RETRY_MS));
			}
		})();
	}

	// A new row may change the state and the diagnosis (a suspend, a
	// re-install, an auth check's 404): read the trace again and redraw
	// both cards, LIVE_CARDS_MS after the last row of a burst, one read
	// at a time.
	const LIVE_CARDS_MS = 300;

	function cardsLater(v) {
		clearTimeout(v.cardsTimer);
		v.cardsTimer = setTimeout(() => cardsRefresh(v), LIVE_CARDS_MS);
	}

	async function cardsRefresh(v) {
		if (v !== current)
			return;
		if (v.cardsBusy) {
			v.cardsAgain = true;
			return;
		}
		v.cardsBusy = true;
		try {
			const body = await api(v.path, v.filters);
			if (v !== current || !v.cards)
				return;
			setEvidence(v, body.diagnosis || []);
			v.cards.replaceChildren(
				diagnosisCard(v, body.diagnosis || []),
				stateCard(v, body.state || {}));
		} catch (err) {
			if (err instanceof AuthError && v === current)
				report(err, "live");
			// Else the next row tries again.
		} finally {
			v.cardsBusy = false;
			if (v.cardsAgain) {
				v.cardsAgain = false;
				cardsLater(v);
			}
		}
	}

	// The trace view follows its entity's new rows, appended when the
	// whole timeline is on screen (else counted), and keeps its cards
	// current; not for a view of the past (until, at) or with
	// redeliveries hidden.
	function liveTrace(v, body) {
		const f = v.filters;
		if (f.until || f.at || f.dedupe === "1" ||
		    !ID_RE.test(String(body.entity_id)))
			return;
		const badge = el("span", { class: "live", id: "live" });
		v.count.after(" ", badge);
		let top = null;
		if (v.cursor === null)
			for (const id of v.rows.keys())
				if (top === null || BigInt(id) > BigInt(top))
					top = id;
		let unseen = 0;
		liveStart("/trace/stream", { entity_id: String(body.entity_id),
			event: f.event }, top, v.seq, badge, (type, e) => {
			if (type !== "row" || v !== current)
				return;
			const id = String(e.id);
			if (v.rows.has(id))
				return;
			cardsLater(v);
			if (v.cursor !== null) {
				unseen++;
				v.more.textContent = "Load more (" + unseen +
					" new)";
				return;
			}
			const empty = v.tbody.querySelector("tr.empty");
			if (empty)
				empty.remove();
			const tr = eventRow(v, e, Date.now());
			tr.classList.add("new");
			v.tbody.append(tr);
			v.count.textContent = v.rows.size + " event" +
				(v.rows.size === 1 ? "" : "s");
		});
	}

	// The operations view: each change replaces the operation's row, or
	// adds it on top of the section it belongs to now.
	function liveOperations(status, type, seq) {
		const badge = el("span", { class: "live", id: "live" });
		const h1 = $("view").querySelector("h1");
		if (h1)
			h1.append(" ", badge);
		liveStart("/operations/stream", null, null, seq, badge,
			(kind, o) => {
			if (kind !== "operation" || seq !== routeSeq)
				return;
			if ((status && o.status !== status) ||
			    (type && o.type !== type))
				return;
			const id = String(o.id);
			const old = document.getElementById("op-" + id);
			const want = o.status === "failed" ? "failed" :
				status === "" ? "any" : status;
			const sec = $("view").querySelector(
				"section.ops[data-status=\"" + want + "\"] tbody");
			if (old)
				old.remove();
			if (!sec)
				return;
			const empty = sec.querySelector("tr.empty");
			if (empty)
				empty.remove();
			const tr = opRow(o);
			tr.classList.add("new");
			sec.prepend(tr);
		});
	}

	// ---- start ---------------------------------------------------------

	function start() {
		$("login-form").addEventListener("submit", (ev) => {
			ev.preventDefault();
			const t = $("token").value.trim();
			$("token").value = "";
			if (!t)
				return;
			token.set(t);
			route();
		});
		$("search").addEventListener("submit", onSearch);
		$("forget").addEventListener("click", () => {
			token.drop();
			$("view").replaceChildren();
			showLogin("Token forgotten. Paste it to go on.");
		});
		window.addEventListener("hashchange", route);
		route();
	}

	start();
})();
