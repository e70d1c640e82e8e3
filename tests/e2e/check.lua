-- check.lua: wrk script for the failover and soak runs (tests/e2e/load.py).
--
-- Sends $LOAD_METHOD (POST) with the body in the file $LOAD_BODY and checks
-- every answer: HTTP 200, and the text $LOAD_EXPECT somewhere in the body
-- (a marker of the correct answer, e.g. the verdict count). Prints one line
-- "LOAD {json}" with the counts and latencies, and up to three
-- "LOADBAD <status> <body start>" lines for the first wrong answers.
local body_file = os.getenv("LOAD_BODY")
local expect = os.getenv("LOAD_EXPECT") or ""
wrk.method = os.getenv("LOAD_METHOD") or "POST"
if body_file and body_file ~= "" then
   local f = assert(io.open(body_file, "rb"))
   wrk.body = f:read("*a")
   f:close()
   wrk.headers["Content-Type"] = "application/json"
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   ok, bad_status, bad_body = 0, 0, 0
   bad = {}
end

function response(status, headers, body)
   if status ~= 200 then
      bad_status = bad_status + 1
   elseif expect ~= "" and not string.find(body, expect, 1, true) then
      bad_body = bad_body + 1
   else
      ok = ok + 1
      return
   end
   if #bad < 3 then
      table.insert(bad, status .. " " .. string.sub(body or "", 1, 200):gsub("\n", " "))
   end
end

function done(summary, latency, requests)
   local n_ok, n_status, n_body = 0, 0, 0
   for _, t in ipairs(threads) do
      n_ok = n_ok + t:get("ok")
      n_status = n_status + t:get("bad_status")
      n_body = n_body + t:get("bad_body")
      local b = t:get("bad")
      for i = 1, #b do
         io.write("LOADBAD " .. b[i] .. "\n")
      end
   end
   local e = summary.errors
   io.write(string.format(
      'LOAD {"requests":%d,"seconds":%.2f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,' ..
      '"p999_ms":%.3f,"max_ms":%.3f,"ok":%d,"bad_status":%d,"bad_body":%d,' ..
      '"socket_errors":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
      '"timeouts":%d,"non2xx":%d}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      latency:percentile(99.9) / 1000, latency.max / 1000, n_ok, n_status, n_body,
      e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout, e.status))
end
