-- post.lua — wrk script for bench/run read: POSTs the same JSON body,
-- read once from a file, on every request (to the URL's path; headers from
-- wrk -H, e.g. Authorization).
--
--   wrk -t2 -c4 -d10s -H "Authorization: Bearer $TOKEN" \
--       -s bench/post.lua http://127.0.0.1:PORT/v1/crm/customers -- BODY_FILE
--
-- The request is built once per thread (no request() function), so wrk
-- spends no Lua time per request.
function init(args)
   local file = args[1] or error("post.lua: BODY_FILE argument missing")
   local f = assert(io.open(file, "rb"))
   local body = f:read("*a")
   f:close()
   wrk.method = "POST"
   wrk.body = body
   wrk.headers["Content-Type"] = "application/json"
end
