#!/usr/bin/env bash
# Usage metering: requests counted in memory and flushed to the catalog
# (usage_flush_ms), read back through GET /v1/usage (a tenant's admin, own
# tenant only), GET /v1/admin/usage (superadmins) and `tenantd usage`; the
# sampled request log (route patterns, never raw paths); SIGTERM flushes
# what is left, kill -9 loses at most the unflushed window; the
# usage.rollup job records storage and prunes old rows.
. "$(dirname "$0")/lib.sh"
td_init

TENANTD_USAGE_FLUSH_MS=200 TENANTD_USAGE_LOG_SAMPLE=1 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
tenants_with_admins acme beta
ACME=$(catalog_sql "SELECT id FROM tenants WHERE slug = 'acme'")
A=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')")
B=(-H "Authorization: Bearer $(login '{"tenant":"beta","email":"admin@beta.test","password":"admin-password-1"}')")
eq "$(post "${A[@]}" --data '{"email":"c@acme.test","password":"client-password-1","role":"client"}' "$BASE/v1/auth/users")" 201 "a client"
C=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"c@acme.test","password":"client-password-1"}')")
eq "$(post "${A[@]}" --data '{"name":"usage","role":"admin"}' "$BASE/v1/auth/api-keys")" 201 "an admin API key"
K=(-H "Authorization: Bearer $(jq -r .key "$T/body")")

# 20 crm requests of acme's admin: 4 creates, 16 reads; the bodies' bytes.
IN=0 OUT=0
for i in 1 2 3 4; do
  body="{\"name\":\"Customer $i\"}"
  eq "$(post "${A[@]}" --data "$body" "$BASE/v1/crm/customers")" 201 "create $i"
  IN=$((IN + ${#body})) OUT=$((OUT + $(stat -c %s "$T/body")))
  CID=$(jq -r .id "$T/body")
done
for i in $(seq 1 16); do
  eq "$(get "${A[@]}" "$BASE/v1/crm/customers/$CID")" 200 "read $i"
  OUT=$((OUT + $(stat -c %s "$T/body")))
done

# usage_of WHO QUERY: GET /v1/usage?QUERY as WHO's headers; the totals in $T/body.
crm_requests() { get "$@" "$BASE/v1/usage?service=crm" >/dev/null; jq -r .totals.requests "$T/body"; }
for _ in $(seq 1 50); do [ "$(crm_requests "${A[@]}")" = 20 ] && break; sleep 0.1; done
eq "$(get "${A[@]}" "$BASE/v1/usage?service=crm")" 200 "own usage"
eq "$(jq -r .totals.requests "$T/body")" 20 "exactly the 20 crm requests (the usage route's own are platform's)"
eq "$(jq -r .totals.bytes_in "$T/body")" "$IN" "bytes in: the request bodies"
[ "$(jq -r .totals.bytes_out "$T/body")" -ge "$OUT" ] || fail "bytes out below the answers' bodies"; pass
eq "$(jq -r '.tenant + " " + .bucket + " " + .service' "$T/body")" "$ACME hour crm" "answer shape"
eq "$(jq -r '[.items[].requests] | add' "$T/body")" 20 "items sum to the totals"
eq "$(jq -r '.items[0] | has("start") and has("writes") and has("rows_written") and has("storage_bytes")' "$T/body")" true "item fields"
sleep 0.5 # nothing more comes
eq "$(crm_requests "${A[@]}")" 20 "still 20 after more flushes"
eq "$(get "${A[@]}" "$BASE/v1/usage?bucket=day&service=crm")" 200 "by day"
eq "$(jq -r '[.items[].requests] | add' "$T/body")" 20 "days sum the hours"
eq "$(get "${A[@]}" "$BASE/v1/usage?service=platform")" 200 "the usage route's own requests"
[ "$(jq -r .totals.requests "$T/body")" -ge 1 ] || fail "usage requests are metered as platform"; pass

# Who may see what.
eq "$(crm_requests "${K[@]}")" 20 "an admin API key sees its tenant's usage"
eq "$(get "${C[@]}" "$BASE/v1/usage")" 403 "a client may not"
eq "$(jq -r .code "$T/body")" forbidden "client's code"
eq "$(crm_requests "${B[@]}")" 0 "beta's admin sees beta's usage only"
eq "$(get "${B[@]}" "$BASE/v1/usage?tenant=acme")" 400 "a tenant parameter is refused"
eq "$(jq -r .code "$T/body")" invalid_filter "its code"
eq "$(get "${B[@]}" -H 'X-Tenant: acme' "$BASE/v1/usage")" 403 "naming another tenant"
eq "$(jq -r .code "$T/body")" tenant_mismatch "its code"
eq "$(get "${A[@]}" "$BASE/v1/admin/usage")" 403 "a tenant admin cannot read the platform's"
eq "$(get "${R[@]}" "$BASE/v1/admin/usage?tenant=acme&service=crm")" 200 "superadmin, one tenant by slug"
eq "$(jq -r .totals.requests "$T/body")" 20 "acme's crm"
eq "$(get "${R[@]}" "$BASE/v1/admin/usage?service=crm")" 200 "superadmin, every tenant"
eq "$(jq -r '.totals.requests, .tenant' "$T/body" | paste -sd' ')" "20 null" "summed over tenants"
eq "$(get "${R[@]}" "$BASE/v1/usage")" 400 "a superadmin names the tenant on /v1/usage"
eq "$(get "${R[@]}" -H 'X-Tenant: acme' "$BASE/v1/usage?service=crm")" 200 "with X-Tenant"
eq "$(jq -r .totals.requests "$T/body")" 20 "acme's figures"

# Bad input: 400 with stable codes.
for q in 'bucket=week' 'from=yesterday' 'to=2026-13-01' 'from=2020-01-01&to=2026-01-01' \
         'from=2026-02-01&to=2026-01-01' 'service=Bad%20one'; do
  eq "$(get "${R[@]}" "$BASE/v1/admin/usage?$q")" 400 "bad filter $q"
  eq "$(jq -r .code "$T/body")" invalid_filter "code for $q"
done
eq "$(get "${R[@]}" "$BASE/v1/admin/usage?tenant=nope")" 404 "unknown tenant"
eq "$(jq -r .code "$T/body")" tenant_not_found "its code"
eq "$(get "${R[@]}" "$BASE/v1/admin/usage?from=2026-01-01&to=2026-01-03&bucket=day")" 200 "a past range"
eq "$(jq -r '.from + " " + .to + " " + (.items | length | tostring)' "$T/body")" \
   "2026-01-01T00:00:00.000Z 2026-01-03T00:00:00.000Z 0" "its bounds, no items"

# The sampled log (usage_log_sample=1): one row per metered request, with
# the route's pattern, never the path (ids) or a query string.
# (the log rows are flushed on their own: wait for them on a loaded machine)
for _ in $(seq 1 100); do
  n=$(catalog_sql "SELECT count(*) FROM api_usage_logs WHERE tenant_id = '$ACME' AND route = '/v1/{service}/{resource}/{id}' AND method = 'GET' AND status = 200")
  [ "$n" -ge 16 ] && break
  sleep 0.1
done
eq "$n" 16 "one log row per read"
n=$(catalog_sql "SELECT count(*) FROM api_usage_logs WHERE tenant_id = '$ACME' AND route = '/v1/{service}/{resource}' AND method = 'POST' AND status = 201 AND actor_kind = 'user' AND bytes_in > 0 AND duration_us > 0 AND request_id IS NOT NULL")
eq "$n" 4 "one log row per create, with its figures"
eq "$(catalog_sql "SELECT count(*) FROM api_usage_logs WHERE route LIKE '%$CID%' OR route LIKE '%?%' OR route LIKE '%crm%'")" 0 "no raw path or query"

# SIGTERM flushes what the window held: a flush interval of an hour, 7
# reads, then stop.
stop_server
TENANTD_USAGE_FLUSH_MS=3600000 start_server
for i in $(seq 1 7); do eq "$(get "${A[@]}" "$BASE/v1/crm/customers/$CID")" 200 "read $i"; done
stop_server
crm_sum() { catalog_sql "SELECT COALESCE(SUM(requests), 0) FROM usage_metrics WHERE tenant_id = '$ACME' AND service = 'crm'"; }
eq "$(crm_sum)" 27 "SIGTERM lost no count"

# kill -9 loses at most the unflushed window (best-effort metering).
TENANTD_USAGE_FLUSH_MS=3600000 start_server
for i in 1 2 3; do eq "$(get "${A[@]}" "$BASE/v1/crm/customers/$CID")" 200 "read $i"; done
kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
eq "$(crm_sum)" 27 "kill -9: the window is lost, nothing else"

# The CLI: the same operation.
expect_rc 0 td usage --tenant acme --service crm --json
eq "$(jq -r .totals.requests "$T/out")" 27 "tenantd usage"
expect_rc 0 td usage --tenant acme --bucket day
expect_contains "$T/out" "total"
expect_rc 1 td usage --bucket week
expect_contains "$T/err" invalid_filter
expect_rc 2 td usage --bogus

# The roll-up: seeded as an hourly schedule; records storage for this hour
# from the drain's figures, prunes rows past their retention.
eq "$(catalog_sql "SELECT schedule || ' ' || kind FROM cron_jobs WHERE name = 'usage.rollup'")" "5 * * * * usage.rollup" "seeded schedule"
now=$(( $(date +%s) * 1000 )); old=$(( now - 500 * 86400000 )); oldlog=$(( now - 40 * 86400000 ))
catalog_exec "INSERT INTO usage_metrics (tenant_id, service, hour, requests) VALUES ('$ACME', 'crm', $(( old - old % 3600000 )), 5)"
catalog_exec "INSERT INTO api_usage_logs (id, at, tenant_id, method, route, status, duration_us, bytes_in, bytes_out) VALUES ('old-log', $oldlog, '$ACME', 'GET', '/x', 200, 1, 0, 0)"
# the drain's figures, made known: drain what is left, then set them
expect_rc 0 td jobs add outbox.drain
expect_rc 0 td jobs run --once
catalog_exec "DELETE FROM tenant_service_stats WHERE tenant_id = '$ACME' AND service = 'crm'"
catalog_exec "INSERT INTO tenant_service_stats (tenant_id, service, resource, bytes) VALUES ('$ACME', 'crm', 'customers', 12000), ('$ACME', 'crm', 'deals', 345)"
expect_rc 0 td jobs add usage.rollup
expect_rc 0 td jobs run --once
expect_rc 0 td jobs list --kind usage.rollup --json
eq "$(jq -r '.items[0].state' "$T/out")" succeeded "roll-up ran"
eq "$(catalog_sql "SELECT count(*) FROM usage_metrics WHERE hour < $(( now - 400 * 86400000 ))")" 0 "old hours pruned"
eq "$(catalog_sql "SELECT count(*) FROM api_usage_logs WHERE id = 'old-log'")" 0 "old log rows pruned"
[ "$(catalog_sql "SELECT count(*) FROM api_usage_logs")" -gt 0 ] || fail "recent log rows kept"; pass
eq "$(crm_sum)" 27 "recent hours kept"
eq "$(catalog_sql "SELECT storage_bytes FROM usage_metrics WHERE tenant_id = '$ACME' AND service = 'crm' AND hour = $(( now - now % 3600000 ))")" 12345 "storage of this hour"
expect_rc 0 td usage --tenant acme --service crm --json
eq "$(jq -r .totals.storage_bytes "$T/out")" 12345 "storage in the report"
done_ok
