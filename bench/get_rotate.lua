-- wrk: GET a rotating list of (path, header) pairs from TARGETS_FILE (one "path<TAB>Name: value" per line,
-- e.g. an Authorization or a Cookie header).
-- Each connection starts at a different line, so many units and users are read, not one cached page.
local targets = {}
for line in io.lines(os.getenv("TARGETS_FILE")) do
  local path, name, value = line:match("^(.-)\t(.-): (.*)$")
  if path then table.insert(targets, {path, {[name] = value}}) end
end
local counter = 0
dofile("bench/wrk_report.lua")

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
  report_thread(thread)
end

function init(args)
  i = offset
end

function request()
  i = i + 1
  local t = targets[(i % #targets) + 1]
  return wrk.format("GET", t[1], t[2])
end
