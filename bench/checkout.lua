-- wrk script of bench/checkout.py: walks a prepared list of checkouts, each sent once, and
-- counts the answers. WRK_REQUESTS_FILE holds one checkout a line: the shopper's token, the
-- Idempotency-Key and the JSON body, separated by tabs; thread i of WRK_THREADS sends lines
-- i, i + WRK_THREADS, ... A thread that runs out stops (its last request is GET /healthz,
-- never a checkout twice), or with WRK_CYCLE=1 starts its list again (for the bare app).
-- WRK_PATH is where to POST (default /api/v1/me/orders).
--   WRK_REQUESTS_FILE=checkouts.tsv WRK_THREADS=2 \
--     wrk -t2 -c50 -d10s --latency -s bench/checkout.lua http://127.0.0.1:8000
local path = assert(os.getenv("WRK_REQUESTS_FILE"), "set WRK_REQUESTS_FILE")
local every = tonumber(os.getenv("WRK_THREADS") or "1")
local target = os.getenv("WRK_PATH") or "/api/v1/me/orders"
local cycle = os.getenv("WRK_CYCLE") == "1"
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

local requests, following = {}, 1
answers, exhausted = {}, 0

function init(args)
  local line_no = 0
  for line in io.lines(path) do
    if line_no % every == index then
      local token, key, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", target, {
        ["Authorization"] = "Bearer " .. token,
        ["Idempotency-Key"] = key,
        ["Content-Type"] = "application/json",
      }, body)
    end
    line_no = line_no + 1
  end
end

function request()
  if cycle and following > #requests then
    following = 1
  end
  local prepared = requests[following]
  if prepared == nil then
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  following = following + 1
  return prepared
end

-- A 409 is counted by its error code (out_of_stock, sold_out, limit_reached...).
function response(status, headers, body)
  local kind = tostring(status)
  if status == 409 then
    kind = body:match('"code":%s*"([%w_]+)"') or kind
  end
  answers[kind] = (answers[kind] or 0) + 1
end

function done(summary, latency, sent)
  local totals, ran_out = {}, 0
  for _, thread in ipairs(threads) do
    for kind, count in pairs(thread:get("answers")) do
      totals[kind] = (totals[kind] or 0) + count
    end
    ran_out = ran_out + thread:get("exhausted")
  end
  local parts = {}
  for kind, count in pairs(totals) do
    parts[#parts + 1] = kind .. "=" .. count
  end
  io.write("answers " .. table.concat(parts, " ") .. "\n")
  io.write("threads out of checkouts " .. ran_out .. "\n")
end
