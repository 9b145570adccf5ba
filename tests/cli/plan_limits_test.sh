#!/usr/bin/env bash
# A plan's limits bite where they should (issue 13 part 2), each at its
# edge: the Nth user is added and the N+1th refused with 402 plan_limit
# naming max_users (over HTTP and with the CLI), the same for API keys
# (max_api_keys; a revoked key frees its place); a tenant that stores what
# its plan allows gets 402 storage_limit on writes while its reads and
# deletes go on; a resource holding its plan's max_rows_per_resource
# refuses creates (402 plan_limit) until a row is removed; creations at
# once (rows, users, keys) never pass a figure; a service outside the plan is 403 service_not_in_plan
# when a tenant is created with it or it is enabled. A plan's new limits
# apply at once. Nothing refused leaves anything behind.
. "$(dirname "$0")/lib.sh"
td_init
export TENANTD_DRAIN_INTERVAL_MS=100
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")

eq "$(call POST "${R[@]}" --data '{"code":"tiny","name":"Tiny","max_users":3,"max_api_keys":2,"services":["crm"]}' "$BASE/v1/plans")" 201 "a small plan"
eq "$(call POST "${R[@]}" --data '{"slug":"acme","plan":"tiny","services":["crm"],"admin":{"email":"a@acme.test","password":"admin-password-1"}}' "$BASE/v1/tenants")" 201 "a tenant on it"
ACME=$(jq -r .id "$T/body")
ADA=$(login '{"tenant":"acme","email":"a@acme.test","password":"admin-password-1"}')
A=(-H "Authorization: Bearer $ADA")
tbl() { if [ "$BACKEND" = postgres ]; then echo "$1.$2"; else echo "$2"; fi; }
users() { tenant_sql "$ACME" auth "SELECT count(*) FROM $(tbl auth users)"; }
add_user() { call POST "${A[@]}" --data "{\"email\":\"$1@acme.test\",\"password\":\"user-password-$1\",\"role\":\"client\"}" "$BASE/v1/auth/users"; }

# ---- users: 3 allowed (the first admin is one) ----
eq "$(add_user u2)" 201 "the 2nd user"
eq "$(add_user u3)" 201 "the 3rd user: at the limit"
eq "$(add_user u4)" 402 "the 4th user"
eq "$(jq -r '.code + " " + .limit + " " + (.allowed|tostring)' "$T/body")" "plan_limit max_users 3" "402 plan_limit naming max_users"
eq "$(users)" 3 "no 4th user was made"
eq "$(add_user u3)" 409 "a full tenant: an email it has is still a conflict, not a limit"
eq "$(jq -r .code "$T/body")" email_taken "409 email_taken"
expect_rc 1 td user add u5@acme.test --tenant acme --role client
expect_contains "$T/err" "max_users"
eq "$(users)" 3 "nor by the CLI"
U3=$(tenant_sql "$ACME" auth "SELECT id FROM $(tbl auth users) WHERE email = 'u3@acme.test'")
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/users/$U3")" 204 "remove one"
eq "$(add_user u4)" 201 "its seat is free again"
eq "$(call PATCH "${R[@]}" --data '{"max_users":4}' "$BASE/v1/plans/tiny")" 200 "the plan allows 4"
eq "$(add_user u5)" 201 "at once: the 4th user"
eq "$(add_user u6)" 402 "the 5th is refused"
eq "$(jq -r '.allowed' "$T/body")" 4 "naming the new limit"
expect_rc 0 td plan update tiny --max-users 5
code=
for _ in $(seq 50); do code=$(add_user u6b); [ "$code" = 201 ] && break; sleep 0.1; done
eq "$code" 201 "a plan changed by another process (the CLI) applies here within a second"

# ---- API keys: 2 live keys allowed ----
add_key() { call POST "${A[@]}" --data "{\"name\":\"$1\",\"role\":\"client\"}" "$BASE/v1/auth/api-keys"; }
live_keys() { catalog_sql "SELECT count(*) FROM api_keys WHERE tenant_id = '$ACME' AND revoked_at IS NULL"; }
eq "$(add_key k1)" 201 "the 1st key"
K1=$(jq -r .id "$T/body")
eq "$(add_key k2)" 201 "the 2nd key: at the limit"
eq "$(add_key k3)" 402 "the 3rd key"
eq "$(jq -r '.code + " " + .limit + " " + (.allowed|tostring)' "$T/body")" "plan_limit max_api_keys 2" "402 plan_limit naming max_api_keys"
! jq -e .key "$T/body" >/dev/null || fail "a refused key shows a key"; pass
eq "$(live_keys)" 2 "no 3rd key was made"
expect_rc 1 td apikey create --name k4 --tenant acme --role client
expect_contains "$T/err" "max_api_keys"
eq "$(live_keys)" 2 "nor by the CLI"
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/api-keys/$K1")" 204 "revoke one"
eq "$(add_key k3)" 201 "a revoked key frees its place"
eq "$(call POST "${R[@]}" --data '{"name":"ops"}' "$BASE/v1/admin/api-keys")" 201 "platform keys are no tenant's"

# ---- services outside the plan ----
eq "$(call POST "${R[@]}" --data '{"slug":"beta","plan":"tiny","services":["crm","cms"]}' "$BASE/v1/tenants")" 403 "a tenant with a service its plan lacks"
eq "$(jq -r .code "$T/body")" service_not_in_plan "service_not_in_plan"
expect_contains "$T/body" "cms"
eq "$(catalog_sql "SELECT count(*) FROM tenants WHERE slug = 'beta'")" 0 "no tenant was made"
expect_rc 1 td tenant create beta --plan tiny --services cms
eq "$(catalog_sql "SELECT count(*) FROM tenants WHERE slug = 'beta'")" 0 "nor by the CLI"
eq "$(call POST "${R[@]}" --data '{"service":"cms"}' "$BASE/v1/tenants/acme/services")" 403 "enabling it"
eq "$(jq -r .code "$T/body")" service_not_in_plan "service_not_in_plan"
eq "$(catalog_sql "SELECT count(*) FROM tenant_services WHERE tenant_id = '$ACME' AND service = 'cms'")" 0 "not enabled"
eq "$(call POST "${R[@]}" --data '{"service":"crm"}' "$BASE/v1/tenants/acme/services")" 200 "a service in the plan"
eq "$(call PUT "${R[@]}" --data '{"plan":"pro"}' "$BASE/v1/tenants/acme/subscription")" 200 "on pro (every service)"
eq "$(call POST "${R[@]}" --data '{"service":"cms"}' "$BASE/v1/tenants/acme/services")" 200 "cms can be enabled now"
eq "$(add_user u6)" 201 "and pro's users limit applies"

# ---- storage: writes stop at the plan's bytes, reads and deletes go on ----
eq "$(call POST "${A[@]}" --data '{"name":"Globex"}' "$BASE/v1/crm/customers")" 201 "a row"
C1=$(jq -r .id "$T/body")
stored() { catalog_sql "SELECT coalesce(max(bytes), 0) FROM tenant_stats WHERE tenant_id = '$ACME'"; }
for _ in $(seq 100); do [ "$(stored)" -gt 0 ] && break; sleep 0.1; done
USED=$(stored); [ "$USED" -gt 0 ] || fail "the drain did not count the row's bytes"; pass
eq "$(call POST "${R[@]}" --data "{\"code\":\"capped\",\"name\":\"Capped\",\"storage_bytes\":$((USED + 1))}" "$BASE/v1/plans")" 201 "a plan one byte above what acme stores"
eq "$(call PUT "${R[@]}" --data '{"plan":"capped"}' "$BASE/v1/tenants/acme/subscription")" 200 "acme on it"
eq "$(call POST "${A[@]}" --data '{"name":"Initech"}' "$BASE/v1/crm/customers")" 201 "below the limit: a write"
code=
for _ in $(seq 100); do # the drain counts it, the tenant's figure follows within a second
  code=$(call POST "${A[@]}" --data '{"name":"Umbrella"}' "$BASE/v1/crm/customers")
  [ "$code" = 402 ] && break; sleep 0.1
done
eq "$code" 402 "at the limit: writes refused"
eq "$(jq -r '.code + " " + .limit + " " + (.allowed|tostring)' "$T/body")" "storage_limit storage_bytes $((USED + 1))" "402 storage_limit naming storage_bytes"
ROWS=$(tenant_sql "$ACME" crm "SELECT count(*) FROM $(tbl crm customers)")
eq "$(call POST "${A[@]}" --data '{"name":"Hooli"}' "$BASE/v1/crm/customers")" 402 "again"
eq "$(call PATCH "${A[@]}" --data '{"name":"Globex 2"}' "$BASE/v1/crm/customers/$C1")" 402 "a change is a write too"
eq "$(tenant_sql "$ACME" crm "SELECT count(*) FROM $(tbl crm customers)")" "$ROWS" "nothing written"
eq "$(call GET "${A[@]}" "$BASE/v1/crm/customers")" 200 "reads go on"
eq "$(call GET "${A[@]}" "$BASE/v1/crm/customers/$C1")" 200 "one row too"
eq "$(add_user u7)" 201 "users are no storage"
eq "$(call DELETE "${A[@]}" "$BASE/v1/crm/customers/$C1")" 204 "deletes go on (they free space)"
eq "$(call PATCH "${R[@]}" --data '{"storage_bytes":null}' "$BASE/v1/plans/capped")" 200 "the plan stores without limit"
eq "$(call POST "${A[@]}" --data '{"name":"Hooli"}' "$BASE/v1/crm/customers")" 201 "writes again, at once"

# ---- rows per resource: creates stop at the plan's figure, per resource ----
eq "$(call POST "${R[@]}" --data '{"code":"rows2","name":"Rows 2","max_rows_per_resource":2,"services":["crm"]}' "$BASE/v1/plans")" 201 "a plan of 2 rows per resource"
eq "$(call POST "${R[@]}" --data '{"slug":"rowsy","plan":"rows2","services":["crm"],"admin":{"email":"a@rowsy.test","password":"admin-password-1"}}' "$BASE/v1/tenants")" 201 "a tenant on it"
ROWSY=$(jq -r .id "$T/body")
W=(-H "Authorization: Bearer $(login '{"tenant":"rowsy","email":"a@rowsy.test","password":"admin-password-1"}')")
customers() { tenant_sql "$ROWSY" crm "SELECT count(*) FROM $(tbl crm customers)"; }
eq "$(call POST "${W[@]}" --data '{"name":"One"}' "$BASE/v1/crm/customers")" 201 "the 1st row"
eq "$(call POST "${W[@]}" --data '{"name":"Two"}' "$BASE/v1/crm/customers")" 201 "the 2nd row: at the limit"
TWO=$(jq -r .id "$T/body")
eq "$(call POST "${W[@]}" --data '{"name":"Three"}' "$BASE/v1/crm/customers")" 402 "the 3rd row"
eq "$(jq -r '.code + " " + .limit + " " + (.allowed|tostring)' "$T/body")" "plan_limit max_rows_per_resource 2" "402 plan_limit naming max_rows_per_resource"
eq "$(customers)" 2 "no 3rd row was written"
eq "$(call PATCH "${W[@]}" --data '{"name":"Two bis"}' "$BASE/v1/crm/customers/$TWO")" 200 "a change is no new row"
eq "$(call POST "${W[@]}" --data '{"name":"A lead"}' "$BASE/v1/crm/leads")" 201 "another resource counts its own rows"
eq "$(call DELETE "${W[@]}" "$BASE/v1/crm/customers/$TWO")" 204 "remove one"
eq "$(call POST "${W[@]}" --data '{"name":"Three"}' "$BASE/v1/crm/customers")" 201 "its place is free again"
eq "$(call PATCH "${R[@]}" --data '{"max_rows_per_resource":null}' "$BASE/v1/plans/rows2")" 200 "the plan lifts the limit"
code=
for _ in $(seq 50); do code=$(call POST "${W[@]}" --data '{"name":"Four"}' "$BASE/v1/crm/customers"); [ "$code" = 201 ] && break; sleep 0.1; done
eq "$code" 201 "creates again"
# at_once LIMIT_JSON N PATH BODY (with {} for 1..N) MADE: the plan set to
# LIMIT_JSON, then N creations at once: MADE get 201, the rest 402
at_once() {
  eq "$(call PATCH "${R[@]}" --data "$1" "$BASE/v1/plans/rows2")" 200 "plan rows2: $1"
  sleep 1.2 # the tenant cache takes the plan's change within a second
  seq "$2" | xargs -P "$2" -I{} curl -sS -o /dev/null -w '%{http_code}\n' -X POST "${W[@]}" --data "$4" "$BASE$3" > "$T/codes"
  eq "$(grep -c '^201$' "$T/codes")" "$5" "$2 creations at once on $3: exactly $5 made"
  eq "$(grep -c '^402$' "$T/codes")" $(($2 - $5)) "the others refused"
}
at_once '{"max_rows_per_resource":10}' 30 /v1/crm/tasks '{"title":"t{}"}' 10
eq "$(tenant_sql "$ROWSY" crm "SELECT count(*) FROM $(tbl crm tasks)")" 10 "10 rows, never more"
at_once '{"max_users":4}' 8 /v1/auth/users '{"email":"p{}@rowsy.test","password":"user-password-{}","role":"client"}' 3
eq "$(tenant_sql "$ROWSY" auth "SELECT count(*) FROM $(tbl auth users)")" 4 "4 users (its admin and 3), never more"
at_once '{"max_api_keys":3}' 10 /v1/auth/api-keys '{"name":"k{}","role":"client"}' 3
eq "$(catalog_sql "SELECT count(*) FROM api_keys WHERE tenant_id = '$ROWSY'")" 3 "3 keys, never more"
done_ok
