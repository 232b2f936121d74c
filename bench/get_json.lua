-- wrk: GET the one URL given, counting non-2xx answers (the ceiling's plain view, issue 22).
dofile("bench/wrk_report.lua")

function setup(thread)
  report_thread(thread)
end
