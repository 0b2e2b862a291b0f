-- wrk script for bench/checkpoint_load.py (which starts wrk; see there).
--
--   wrk -t2 -c8 -d25s -s bench/checkpoint_load.lua URL -- MODE NONCE TOKEN BODIES BATCH ACKDIR CODES
--
-- MODE bare: GET the URL. MODE single: POST one registration per request. MODE batch: POST
-- {"registrations": [...]} with BATCH registrations per request. Every registration gets a new
-- UUID made of NONCE (one per run), the wrk thread's number and a counter, so no two are alike.
-- BODIES holds one registration per line, "@ID@" standing for its UUID and "@CP@" for its
-- checkpoint's code, one of CODES (comma-separated): single registrations go round the
-- checkpoints, a batch is one checkpoint's (what one phone kept offline). Each thread writes the
-- UUIDs the server answered "created" for to ACKDIR/ack-<thread>.txt, which the Python side
-- compares with the table. done() prints one line, "BENCH_RESULT {json}".

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local mode, nonce, batch, templates, ack
local codes = {}
local counter, requests = 0, 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  mode, nonce = args[1], tonumber(args[2], 16)
  n_2xx, n_other, n_created, n_not_created, shown = 0, 0, 0, 0, 0
  if mode == "bare" then
    return
  end
  headers["Authorization"] = "Bearer " .. args[3]
  templates = {}
  for line in io.lines(args[4]) do
    local id = line:find("@ID@", 1, true)
    local cp = line:find("@CP@", 1, true)
    templates[#templates + 1] = { line:sub(1, id - 1), line:sub(id + 4, cp - 1), line:sub(cp + 4) }
  end
  for code in args[7]:gmatch("[^,]+") do
    codes[#codes + 1] = code
  end
  batch = tonumber(args[5])
  ack = assert(io.open(args[6] .. "/ack-" .. tid .. ".txt", "w"))
  ack:setvbuf("line") -- wrk has no per-thread end hook: every line is written as it comes
end

local function registration(code)
  counter = counter + 1
  local t = templates[(counter * 7 + tid) % #templates + 1]
  local id = string.format("%08x-%04x-4000-8000-%012x", nonce, tid, counter)
  return t[1] .. id .. t[2] .. (code or codes[(counter + tid) % #codes + 1]) .. t[3]
end

function request()
  if mode == "bare" then
    return wrk.format("GET")
  end
  if mode == "single" then
    return wrk.format("POST", nil, headers, registration())
  end
  requests = requests + 1
  local code = codes[(requests + tid) % #codes + 1]
  local items = {}
  for i = 1, batch do
    items[i] = registration(code)
  end
  return wrk.format("POST", nil, headers, '{"registrations": [' .. table.concat(items, ", ") .. "]}")
end

function response(status, _headers, body)
  if status >= 200 and status < 300 then
    n_2xx = n_2xx + 1
  else
    n_other = n_other + 1
    if shown < 3 then
      shown = shown + 1
      io.stderr:write("wrk: HTTP ", status, ": ", (body or ""):sub(1, 400), "\n")
    end
  end
  if mode == "bare" then
    return
  end
  for id, state in body:gmatch('"id":%s*"([%x%-]+)",%s*"status":%s*"(%a+)"') do
    if state == "created" then
      n_created = n_created + 1
      ack:write(id, "\n")
    else
      n_not_created = n_not_created + 1
    end
  end
end

function done(summary, latency, requests)
  local totals = { n_2xx = 0, n_other = 0, n_created = 0, n_not_created = 0 }
  for _, thread in ipairs(threads) do
    for key, value in pairs(totals) do
      totals[key] = value + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "seconds": %.6f, "n_2xx": %d, "n_other": %d, '
      .. '"created": %d, "not_created": %d, "errors": {"connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d}, "latency_ms": {"mean": %.3f, '
      .. '"p50": %.3f, "p90": %.3f, "p99": %.3f, "max": %.3f}}\n',
    summary.requests, summary.duration / 1e6, totals.n_2xx, totals.n_other,
    totals.n_created, totals.n_not_created, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean / 1e3, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3
  ))
end
