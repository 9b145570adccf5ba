-- tenants.lua — wrk script for bench/run read: GET /v1/crm/customers/{id}
-- of a tenant drawn uniformly at random for every request, named by an
-- X-Tenant header (a superadmin's token comes from wrk -H "Authorization:
-- Bearer …", which is kept on every request).
--
--   wrk -t2 -c64 -d10s -H "Authorization: Bearer $TOKEN" \
--       -s bench/tenants.lua http://127.0.0.1:PORT -- PAIRS_FILE [single]
--
-- PAIRS_FILE holds "slug customer_id" lines (td_bench_provision
-- --customers FILE writes it). With "single", every request goes to the
-- first line's tenant: the same per-request Lua work in wrk, one tenant,
-- so that the two runs differ only in how many tenants the server touches.

local threads = 0
function setup(thread)
   threads = threads + 1
   thread:set("thread_no", threads)
end

local slugs, paths, n, headers, single = {}, {}, 0, {}, false

function init(args)
   local file = args[1] or error("tenants.lua: PAIRS_FILE argument missing")
   single = args[2] == "single"
   for line in io.lines(file) do
      local slug, id = line:match("^(%S+)%s+(%S+)")
      if slug then
         n = n + 1
         slugs[n] = slug
         paths[n] = "/v1/crm/customers/" .. id
      end
   end
   if n == 0 then error("tenants.lua: no pairs in " .. file) end
   for k, v in pairs(wrk.headers) do headers[k] = v end
   -- A different sequence in each thread of each run.
   math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919 + math.floor(os.clock() * 1e6))
end

function request()
   local i = single and 1 or math.random(n)
   headers["X-Tenant"] = slugs[i]
   return wrk.format("GET", paths[i], headers)
end
