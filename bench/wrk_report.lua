-- Shared by the wrk scripts of bench/ (`dofile("bench/wrk_report.lua")`, run from the repository root): counts
-- non-2xx answers per thread and prints one JSON line at the end, which the runners parse.
-- A script's setup() calls report_thread(thread); its init() may do anything else.
local report_threads = {}
bad = 0

function report_thread(thread)
  table.insert(report_threads, thread)
  return #report_threads
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad == 1 then io.stderr:write("first non-2xx: " .. status .. " " .. string.sub(body, 1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  for _, t in ipairs(report_threads) do total_bad = total_bad + t:get("bad") end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "rps": %.1f, "non2xx": %d, "errors": %d, "p50_ms": %.2f, "p90_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, seconds, summary.requests / seconds, total_bad, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
