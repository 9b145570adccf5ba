#!/usr/bin/env bash
# Rate limits (issue 13 part 4): a burst of 150 requests on one API key of
# a tenant limited to 100 a minute gets its 100 (give or take what refills
# during the burst) and then 429 rate_limited with Retry-After and the
# RateLimit-* headers; another tenant is not touched; operators are not
# limited by a tenant's bucket; an API key's own limit; a client address's
# limit on /v1 routes (not /health); refusals counted in /metrics; bad
# limits refused and nothing made.
. "$(dirname "$0")/lib.sh"
export TENANTD_RATE_LIMITS=1
td_init
# the tenants' plan allows 100 requests a minute
td plan update free --requests-per-minute 100 >/dev/null
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme beta
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
ADB=$(login '{"tenant":"beta","email":"admin@beta.test","password":"admin-password-1"}')

# a key of the tenant's admin (that request counts against acme too)
eq "$(call POST -H "Authorization: Bearer $ADA" --data '{"name":"burst","role":"admin"}' "$BASE/v1/auth/api-keys")" 201 "a key"
KEY=$(jq -r .key "$T/body")
eq "$(jq -r .rate_limit "$T/body")" null "no limit of its own"

# 150 requests in one burst, one connection: status and headers of each
urls=()
for _ in $(seq 1 150); do urls+=(-o /dev/null "$BASE/v1/crm/customers?limit=1"); done
curl -sS -H "X-API-Key: $KEY" -D "$T/heads" -w '%{http_code}\n' "${urls[@]}" >"$T/codes"
ok=$(grep -c '^200$' "$T/codes"); limited=$(grep -c '^429$' "$T/codes")
eq "$((ok + limited))" 150 "every answer a 200 or a 429"
[ "$ok" -ge 95 ] && [ "$ok" -le 110 ] || fail "$ok of 150 passed, want about 100"; pass
[ "$limited" -ge 40 ] || fail "$limited refused, want about 50"; pass
# the first answers count down, the last are refused with their headers
tr -d '\r' <"$T/heads" >"$T/h"
eq "$(grep -i '^ratelimit-limit:' "$T/h" | head -1 | awk '{print $2}')" 100 "RateLimit-Limit"
first=$(grep -i '^ratelimit-remaining:' "$T/h" | head -1 | awk '{print $2}')
[ "$first" -ge 90 ] && [ "$first" -le 99 ] || fail "first RateLimit-Remaining $first"; pass
eq "$(grep -i '^ratelimit-remaining:' "$T/h" | tail -1 | awk '{print $2}')" 0 "none left at the end"
retry=$(grep -i '^retry-after:' "$T/h" | tail -1 | awk '{print $2}')
[ "$retry" -ge 1 ] && [ "$retry" -le 2 ] || fail "Retry-After $retry (one request refills in 0.6 s)"; pass
reset=$(grep -i '^ratelimit-reset:' "$T/h" | tail -1 | awk '{print $2}')
[ "$reset" -ge 55 ] && [ "$reset" -le 60 ] || fail "RateLimit-Reset $reset (a full bucket in a minute)"; pass
[ "$(grep -ci '^retry-after:' "$T/h")" = "$limited" ] || fail "a 429 without Retry-After"; pass
# burst N AUTH-HEADER URL [curl args]: N requests on one connection, their
# statuses in $T/codes, the last body in $T/body. The bucket refills one
# request every 0.6 s, so right after it ran dry most of a burst is refused.
burst() {
  local n=$1 h=$2 url=$3 args=()
  shift 3
  for _ in $(seq 2 "$n"); do args+=(-o /dev/null "$url"); done
  curl -sS -H "$h" -w '%{http_code}\n' "$@" "${args[@]}" -o "$T/body" "$url" >"$T/codes"
}
refused() { grep -c '^429$' "$T/codes" || true; }
burst 5 "X-API-Key: $KEY" "$BASE/v1/crm/customers"
[ "$(refused)" -ge 3 ] || fail "still refused: $(tr '\n' ' ' <"$T/codes")"; pass
eq "$(jq -r .code "$T/body")" rate_limited "the code"
expect_contains "$T/body" "to this tenant"
# the tenant's bucket, not the key's: the admin's token is refused as well
burst 5 "Authorization: Bearer $ADA" "$BASE/v1/crm/customers"
[ "$(refused)" -ge 3 ] || fail "the tenant's other principals too"; pass
# a refused create writes nothing: the rows are the 201s, no more
burst 5 "X-API-Key: $KEY" "$BASE/v1/crm/customers" -X POST -H 'Content-Type: application/json' --data '{"name":"in a burst"}'
made=$(grep -c '^201$' "$T/codes" || true)
[ "$(refused)" -ge 3 ] && [ "$((made + $(refused)))" = 5 ] || fail "creates: $(tr '\n' ' ' <"$T/codes")"; pass
eq "$(get -H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme' "$BASE/v1/crm/customers")" 200 "the operator lists"
eq "$(jq '[.items[] | select(.name == "in a burst")] | length' "$T/body")" "$made" "only the accepted creates are there"
# another tenant has its own bucket; an operator is not limited by acme's
eq "$(get -H "Authorization: Bearer $ADB" "$BASE/v1/crm/customers")" 200 "another tenant"
eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/acme")" 200 "the superadmin"
eq "$(get -H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme' "$BASE/v1/crm/customers")" 200 "the superadmin in the tenant's data"
# the bucket refills at the limit's pace: after 1.3 s two requests fit
sleep 1.3
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/crm/customers")" 200 "refilled"

# ---- another plan: its limit applies at once (the tenant cache follows
# plan changes within a second)
td tenant plan acme pro >/dev/null
for _ in $(seq 1 30); do
  curl -sS -o /dev/null -D "$T/h2" -H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme' "$BASE/v1/crm/customers" >/dev/null
  curl -sS -o /dev/null -D "$T/h2" -H "Authorization: Bearer $ADA" "$BASE/v1/crm/customers"
  grep -qi '^ratelimit-limit: 6000' "$T/h2" && break
  sleep 0.2
done
expect_contains "$T/h2" "RateLimit-Limit: 6000"

# ---- an API key's own limit, besides the tenant's (beta's bucket is full)
for bad in 0 -1 '"ten"' 1.5; do
  eq "$(call POST -H "Authorization: Bearer $ADB" --data "{\"name\":\"bad\",\"role\":\"client\",\"rate_limit\":$bad}" "$BASE/v1/auth/api-keys")" 400 "rate_limit $bad refused"
  eq "$(jq -r .code "$T/body")" invalid_request "code for $bad"
done
eq "$(call GET -H "Authorization: Bearer $ADB" "$BASE/v1/auth/api-keys")" 200 "keys"
eq "$(jq '[.items[] | select(.name == "bad")] | length' "$T/body")" 0 "no key made by a refused create"
eq "$(call POST -H "Authorization: Bearer $ADB" --data '{"name":"slow","role":"client","rate_limit":5}' "$BASE/v1/auth/api-keys")" 201 "a key of 5 a minute"
SLOW=$(jq -r .key "$T/body")
eq "$(jq -r .rate_limit "$T/body")" 5 "its limit shown"
for i in 1 2 3 4 5; do eq "$(get -H "X-API-Key: $SLOW" "$BASE/v1/auth/me")" 200 "slow key $i"; done
eq "$(get -H "X-API-Key: $SLOW" "$BASE/v1/auth/me")" 429 "the sixth"
expect_contains "$T/body" "with this API key"
eq "$(get -H "Authorization: Bearer $ADB" "$BASE/v1/auth/me")" 200 "the tenant's own bucket still has room"

# ---- the CLI
expect_rc 2 td apikey create --tenant beta --role client --name c --rate-limit 0
expect_rc 2 td apikey create --tenant beta --role client --name c --rate-limit many
td apikey create --tenant beta --role client --name cli-key --rate-limit 7 --json >"$T/k"
eq "$(jq -r .rate_limit "$T/k")" 7 "made by the CLI"

# ---- the refusals are counted
get "$BASE/metrics" >/dev/null
n=$(grep '^tenantd_rate_limited_total{by="tenant"}' "$T/body" | awk '{print $2}')
[ "$n" -ge "$((limited + 2))" ] || fail "tenant refusals counted: $n"; pass
eq "$(grep '^tenantd_rate_limited_total{by="api_key"}' "$T/body" | awk '{print $2}')" 1 "key refusals counted"

# ---- a client address's limit, on /v1 only
stop_server
export TENANTD_RATE_LIMIT_ADDRESS_RPM=20
start_server
urls=()
for _ in $(seq 1 30); do urls+=(-o /dev/null "$BASE/v1/auth/me"); done
curl -sS -w '%{http_code}\n' "${urls[@]}" >"$T/codes"
answered=$(grep -c '^401$' "$T/codes"); alimited=$(grep -c '^429$' "$T/codes")
[ "$answered" -ge 20 ] && [ "$answered" -le 21 ] || fail "$answered answered, want 20"; pass
eq "$((answered + alimited))" 30 "then refused"
eq "$(call POST --data '{"email":"root@example.com","password":"root-password-1"}' "$BASE/v1/auth/login")" 429 "a login from that address too"
expect_contains "$T/body" "from your address"
eq "$(get "$BASE/health")" 200 "/health is not limited"
get "$BASE/metrics" >/dev/null
eq "$(grep '^tenantd_rate_limited_total{by="address"}' "$T/body" | awk '{print $2}')" "$((alimited + 1))" "address refusals counted"
stop_server
done_ok
