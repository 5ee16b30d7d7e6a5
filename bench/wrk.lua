-- SPDX-License-Identifier: MIT
-- wrk script for the instlog benchmarks.
--   wrk -s bench/wrk.lua URL -- BODY_FILE SIGNATURE_HEX EVENT   signed POSTs
--   wrk -s bench/wrk.lua -H 'Authorization: Bearer …' URL        plain GETs
-- Each POST carries its own X-GitHub-Delivery (thread id and counter).
-- done() prints one machine-readable "WRK key=value ..." line.

local threads = {}
local counter = 0
local body, sig, event

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	if args[1] ~= nil then
		local f = assert(io.open(args[1], "rb"))
		body = f:read("*a")
		f:close()
		sig = args[2]
		event = args[3]
	end
end

function request()
	if body == nil then
		return wrk.format("GET", wrk.path)
	end
	counter = counter + 1
	return wrk.format("POST", wrk.path, {
		["Content-Type"] = "application/json",
		["X-GitHub-Event"] = event,
		["X-GitHub-Delivery"] = string.format("wrk-%d-%d", tid, counter),
		["X-GitHub-Hook-Installation-Target-ID"] = "29310",
		["X-GitHub-Hook-Installation-Target-Type"] = "integration",
		["X-Hub-Signature-256"] = "sha256=" .. sig,
	}, body)
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK requests=%d duration_s=%.3f rps=%.1f " ..
	    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f " ..
	    "non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
	    summary.requests, summary.duration / 1e6,
	    summary.requests / (summary.duration / 1e6),
	    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
	    latency:percentile(99) / 1e3, latency.max / 1e3,
	    latency.mean / 1e3, e.status, e.connect, e.read, e.write,
	    e.timeout))
end
