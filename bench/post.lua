-- wrk script for the POST benches (bench/pricing_api.py): the JSON body is read from the
-- file named by WRK_BODY_FILE, the Authorization header from WRK_AUTHORIZATION (optional).
--   WRK_BODY_FILE=body.json WRK_AUTHORIZATION="Bearer ..." \
--     wrk -t2 -c32 -d10s --latency -s bench/post.lua http://127.0.0.1:8000/api/v1/me/checkout/quote
local path = os.getenv("WRK_BODY_FILE")
assert(path, "set WRK_BODY_FILE to the JSON body's file")
local file = assert(io.open(path, "rb"))
wrk.body = file:read("*a")
file:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
