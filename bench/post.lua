-- wrk: POST a JSON body from BODY_FILE with the Authorization header AUTH; counts non-2xx answers.
-- usage: AUTH="Bearer x" BODY_FILE=body.json wrk -s bench/post.lua ... URL
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("AUTH")
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()

dofile("bench/wrk_report.lua")

function setup(thread)
  report_thread(thread)
end
