-- wrk script for kassa's benchmark scenarios; bench/drive.py runs it with one connection a
-- thread (-t N -c N), so each thread's state machine is one client walking a scenario.
--
-- Environment: BENCH_SCENARIO (floor | create | read | payme | cycle), BENCH_TOKEN (bearer),
-- BENCH_PAYME_AUTH (Basic header), BENCH_PAYME_PATH, BENCH_ORDERS (file of prepared order
-- ids, one a line: payme), BENCH_READ_ID (read), BENCH_OUT (folder for per-thread paid ids),
-- BENCH_THREADS, BENCH_RUN (a number unique to this run: keys and Payme ids).

local scenario = os.getenv("BENCH_SCENARIO")
local token = os.getenv("BENCH_TOKEN") or ""
local payme_auth = os.getenv("BENCH_PAYME_AUTH") or ""
local payme_path = os.getenv("BENCH_PAYME_PATH") or "/webhooks/payme"
local run = tonumber(os.getenv("BENCH_RUN") or "1")
local threads_total = tonumber(os.getenv("BENCH_THREADS") or "1")

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

-- per-thread state (each thread has its own Lua state)
local orders = {}
local step, seq, order, payme_id = 0, 0, nil, nil
units, rpc_errors, starved = 0, 0, 0
local paid_file = nil

local json_headers = {["Content-Type"] = "application/json"}
local api_headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
local rpc_headers = {["Content-Type"] = "application/json", ["Authorization"] = payme_auth}

function init(args)
  math.randomseed(run + tid * 7919)
  if scenario == "payme" then
    local i = 0
    for line in io.lines(os.getenv("BENCH_ORDERS")) do
      if i % threads_total == tid then table.insert(orders, line) end
      i = i + 1
    end
  end
  local out = os.getenv("BENCH_OUT")
  if scenario == "cycle" and out then
    paid_file = io.open(out .. "/" .. tid .. ".txt", "w")
  end
end

local function next_key()
  seq = seq + 1
  return string.format("%08x%04x%012x", run % 0x100000000, tid, seq)
end

local function rpc(method, params)
  return wrk.format("POST", payme_path, rpc_headers,
    '{"jsonrpc":"2.0","id":1,"method":"' .. method .. '","params":' .. params .. '}')
end

local function create_payment()
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token,
                   ["Idempotency-Key"] = next_key()}
  return wrk.format("POST", "/api/v1/payments", headers,
    '{"provider":"payme","amount":100000,"currency":"UZS"}')
end

local function account()
  return '{"order_id":"' .. order .. '"}'
end

-- The Payme cycle: CheckPerform, Create, Perform; the cycle scenario first creates the
-- payment and sends Create and Perform twice (a provider's retry).
local payme_steps = {"check", "create", "perform"}
local cycle_steps = {"new", "check", "create", "create", "perform", "perform"}

local function current_steps()
  if scenario == "cycle" then return cycle_steps end
  return payme_steps
end

function request()
  if scenario == "floor" then
    return wrk.format("POST", "/insert", json_headers, "{}")
  elseif scenario == "create" then
    return create_payment()
  elseif scenario == "read" then
    return wrk.format("GET", "/api/v1/payments/" .. os.getenv("BENCH_READ_ID"), api_headers)
  end
  local name = current_steps()[step + 1]
  if step == 0 and scenario == "payme" then
    order = table.remove(orders)
    if order == nil then
      starved = starved + 1
      return wrk.format("GET", "/health")
    end
  end
  if name == "new" then
    return create_payment()
  elseif name == "check" then
    return rpc("CheckPerformTransaction", '{"amount":100000,"account":' .. account() .. '}')
  elseif name == "create" then
    if payme_id == nil then payme_id = next_key() end
    return rpc("CreateTransaction", '{"id":"' .. payme_id .. '","time":' .. os.time() * 1000 ..
      ',"amount":100000,"account":' .. account() .. '}')
  else
    return rpc("PerformTransaction", '{"id":"' .. payme_id .. '"}')
  end
end

local function restart()
  step, order, payme_id = 0, nil, nil
end

function response(status, headers, body)
  if scenario == "floor" or scenario == "create" or scenario == "read" then
    if status < 400 then units = units + 1 end
    return
  end
  if order == nil and scenario == "payme" then return end  -- starved: nothing was asked
  local steps = current_steps()
  local name = steps[step + 1]
  if name == "new" then
    order = status == 201 and body:match('"id":"([^"]+)"') or nil
    if order == nil then rpc_errors = rpc_errors + 1; return restart() end
    step = step + 1
    return
  end
  if status ~= 200 or not body:find('"result"', 1, true) then
    rpc_errors = rpc_errors + 1
    return restart()
  end
  step = step + 1
  if step == #steps then
    units = units + 1
    if paid_file then paid_file:write(order, "\n"); paid_file:flush() end
    restart()
  end
end

function done(summary, latency, requests)
  local total_units, total_errors, total_starved = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_units = total_units + (thread:get("units") or 0)
    total_errors = total_errors + (thread:get("rpc_errors") or 0)
    total_starved = total_starved + (thread:get("starved") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"units":%d,"rpc_errors":%d,"starved":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, total_units, total_errors, total_starved,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
