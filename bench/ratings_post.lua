-- wrk: the public rating form, POST /r/<code>/, as phones scanning cards do: a random card of CODES_FILE (one card
-- code a line), a fresh device cookie each request, the CSRF cookie and token a browser would carry, a level drawn
-- from the generator's mix, and every header given with -H (bench/proxy_run.sh adds an Origin and, for its direct runs,
-- the X-Forwarded-* nginx would add). Counts non-2xx answers. One JSON line at the end, as post.lua.
-- SPREAD=1: each request comes from a random address of 10.0.0.0/8 (65,536 /24 networks), in the X-Forwarded-For header
-- a trusted proxy sets (the server runs with WHISTLE_TRUSTED_PROXIES=127.0.0.1), as phones on many networks post it;
-- without it every request comes from 127.0.0.1, one network.
-- usage: CODES_FILE=codes.txt [SPREAD=1] wrk -t2 -c64 -d30s -s bench/ratings_post.lua http://127.0.0.1:8102
local codes = {}
for line in io.lines(os.getenv("CODES_FILE")) do table.insert(codes, line) end
local token = "benchcsrfsecret0123456789abcdefg"  -- 32 characters: Django accepts the unmasked secret
local levels = {5, 5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1}
local counter = 0
local spread = os.getenv("SPREAD") == "1"
dofile("bench/wrk_report.lua")

function setup(thread)
  thread:set("id", report_thread(thread) - 1)
end

function init(args)
  math.randomseed(os.time() * 100 + id)
  run = os.time()  -- device cookies differ from run to run: a device may rate 5 times a day (ratings.max_per_device_per_day)
end

function request()
  counter = counter + 1
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Cookie"] = "csrftoken=" .. token .. "; whistle_device=bench-" .. run .. "-" .. id .. "-" .. counter
  if spread then
    headers["X-Forwarded-For"] = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
  end
  local body = "csrfmiddlewaretoken=" .. token .. "&level=" .. levels[math.random(#levels)] .. "&comment=bench"
  return wrk.format("POST", "/r/" .. codes[math.random(#codes)] .. "/", headers, body)
end
