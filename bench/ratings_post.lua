-- wrk: the public rating form, POST /r/<code>/, as phones scanning cards do: a random card of CODES_FILE (one card
-- code a line), a fresh device cookie each request, the CSRF cookie and token a browser would carry, a level drawn
-- from the generator's mix. Counts non-2xx answers. One JSON line at the end, as post.lua.
-- usage: CODES_FILE=codes.txt wrk -t2 -c64 -d30s -s bench/ratings_post.lua http://127.0.0.1:8102
local codes = {}
for line in io.lines(os.getenv("CODES_FILE")) do table.insert(codes, line) end
local token = "benchcsrfsecret0123456789abcdefg"  -- 32 characters: Django accepts the unmasked secret
local levels = {5, 5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  math.randomseed(os.time() * 100 + id)
end

function request()
  counter = counter + 1
  local code = codes[math.random(#codes)]
  local body = "csrfmiddlewaretoken=" .. token .. "&level=" .. levels[math.random(#levels)] .. "&comment="
  return wrk.format("POST", "/r/" .. code .. "/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. token .. "; whistle_device=bench-" .. id .. "-" .. counter,
  }, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad == 1 then io.stderr:write("first non-2xx: " .. status .. " " .. string.sub(body, 1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  for _, t in ipairs(threads) do total_bad = total_bad + t:get("bad") end
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "rps": %.1f, "non2xx": %d, "errors": %d, "p50_ms": %.1f, "p90_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), total_bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
