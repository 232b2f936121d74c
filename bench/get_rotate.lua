-- wrk: GET a rotating list of (path, header) pairs from TARGETS_FILE (one "path<TAB>Name: value" per line,
-- e.g. an Authorization or a Cookie header).
-- Each connection starts at a different line, so many units and users are read, not one cached page.
local targets = {}
for line in io.lines(os.getenv("TARGETS_FILE")) do
  local path, name, value = line:match("^(.-)\t(.-): (.*)$")
  if path then table.insert(targets, {path, {[name] = value}}) end
end
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
  table.insert(threads, thread)
end

function init(args)
  i = offset
  bad = 0
end

function request()
  i = i + 1
  local t = targets[(i % #targets) + 1]
  return wrk.format("GET", t[1], t[2])
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad == 1 then io.stderr:write("first non-200: " .. status .. " " .. string.sub(body, 1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  for _, t in ipairs(threads) do total_bad = total_bad + t:get("bad") end
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "rps": %.1f, "non2xx": %d, "errors": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), total_bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
