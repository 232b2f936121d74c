-- wrk: the public rating form as bench/ratings_post.lua, plus every header given with -H (an Origin, as browsers send
-- on POST; for the direct runs the X-Forwarded-* nginx would add). usage as ratings_post.lua.
local codes = {}
for line in io.lines(os.getenv("CODES_FILE")) do table.insert(codes, line) end
local token = "benchcsrfsecret0123456789abcdefg"  -- 32 characters: Django accepts the unmasked secret
local levels = {5, 5, 5, 5, 5, 4, 4, 4, 3, 3, 2, 1}
local counter = 0
dofile("bench/wrk_report.lua")

function setup(thread)
  thread:set("id", report_thread(thread) - 1)
end

function init(args)
  math.randomseed(os.time() * 100 + id)
end

function request()
  counter = counter + 1
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Cookie"] = "csrftoken=" .. token .. "; whistle_device=bench-" .. id .. "-" .. counter
  local body = "csrfmiddlewaretoken=" .. token .. "&level=" .. levels[math.random(#levels)] .. "&comment=bench"
  return wrk.format("POST", "/r/" .. codes[math.random(#codes)] .. "/", headers, body)
end
