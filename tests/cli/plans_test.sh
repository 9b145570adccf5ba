#!/usr/bin/env bash
# Plans and subscriptions (issue 13 part 2): init seeds free, pro and
# business; superadmins create, read, change and delete plans over HTTP
# and with `tenantd plan` (a plan a tenant is on cannot go: 409
# plan_in_use); tenants start on free unless a plan is given, and an
# unknown plan is 400 unknown_plan wherever one is given; a plan change is
# an audited operation recorded in the subscription's history with its
# proration (worked out, not charged); bad input of every kind gets a
# stable code and changes nothing; tenant admins read their subscription
# but do not change it.
. "$(dirname "$0")/lib.sh"
td_init
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
plans_snapshot() { catalog_sql "SELECT code || ':' || name || ':' || price_amount || ':' || coalesce(max_users, -1) FROM plans ORDER BY code" | tr '\n' ' '; }
audits() { catalog_sql "SELECT count(*) FROM audit_log WHERE action = '$1' AND outcome = 'ok'"; }

# ---- the seeded plans ----
eq "$(call GET "${R[@]}" "$BASE/v1/plans")" 200 "list plans"
eq "$(jq -r '[.items[].code]|join(",")' "$T/body")" "free,pro,business" "seeded on init, by price"
eq "$(jq -r '.items[1]|"\(.price_amount) \(.currency) \(.period) \(.max_users) \(.included_credits)"' "$T/body")" "2900 USD month 100 5000" "pro's price and limits"
eq "$(jq -r '.items[2].max_users' "$T/body")" null "business: unlimited users"
expect_rc 0 td plan list --json
eq "$(jq -r '[.[].code]|join(",")' "$T/out")" "free,pro,business" "the CLI lists the same"

# ---- tenants get free by default, a plan given, never an unknown one ----
eq "$(call POST "${R[@]}" --data '{"slug":"acme","services":["crm"],"admin":{"email":"a@acme.test","password":"admin-password-1"}}' "$BASE/v1/tenants")" 201 "a tenant without a plan"
eq "$(jq -r .plan "$T/body")" free "it is on free"
ACME=$(jq -r .id "$T/body")
eq "$(call POST "${R[@]}" --data '{"slug":"beta","plan":"pro"}' "$BASE/v1/tenants")" 201 "a tenant on pro"
eq "$(jq -r .plan "$T/body")" pro "on pro"
for p in '"no-such-plan-xyz"' '"FREE"' '""' '"free; DROP TABLE plans"'; do
  eq "$(call POST "${R[@]}" --data "{\"slug\":\"gamma\",\"plan\":$p}" "$BASE/v1/tenants")" 400 "plan $p"
  eq "$(jq -r .code "$T/body")" unknown_plan "plan $p: unknown_plan"
done
eq "$(call POST "${R[@]}" --data '{"slug":"gamma","plan":7}' "$BASE/v1/tenants")" 400 "a plan that is no string"
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/gamma")" 404 "no tenant was made"
expect_rc 2 td tenant create gamma --plan nope
expect_contains "$T/err" "no plan 'nope'"
eq "$(catalog_sql "SELECT count(*) FROM tenants WHERE slug = 'gamma'")" 0 "nor by the CLI"
expect_rc 0 td tenant create delta --plan business --json
eq "$(jq -r .plan "$T/out")" business "the CLI's --plan"

# ---- plan CRUD over HTTP ----
BEFORE=$(plans_snapshot)
eq "$(call POST "${R[@]}" --data '{"code":"team","name":"Team","price_amount":9900,"currency":"EUR","period":"year","max_users":10,"max_api_keys":5,"requests_per_minute":1200,"storage_bytes":5000000,"services":["crm","cms"],"max_rows_per_resource":100000,"included_credits":250}' "$BASE/v1/plans")" 201 "create a plan"
eq "$(jq -c '[.code,.name,.price_amount,.currency,.period,.max_users,.max_api_keys,.requests_per_minute,.storage_bytes,.services,.max_rows_per_resource,.included_credits]' "$T/body")" '["team","Team",9900,"EUR","year",10,5,1200,5000000,["crm","cms"],100000,250]' "every field kept"
eq "$(audits plan.create)" 1 "plan.create audited"
eq "$(call GET "${R[@]}" "$BASE/v1/plans/team")" 200 "read it"
eq "$(call POST "${R[@]}" --data '{"code":"team","name":"Again"}' "$BASE/v1/plans")" 409 "its code again"
eq "$(jq -r .code "$T/body")" plan_exists "plan_exists"
eq "$(call POST "${R[@]}" --data '{"code":"lean","name":"Lean"}' "$BASE/v1/plans")" 201 "a plan with defaults"
eq "$(jq -c '[.price_amount,.currency,.period,.max_users,.storage_bytes,.services,.included_credits]' "$T/body")" '[0,"USD","month",null,null,null,0]' "defaults: free of charge, unlimited"
eq "$(call PATCH "${R[@]}" --data '{"name":"Team+","max_users":null,"services":null,"price_amount":12900}' "$BASE/v1/plans/team")" 200 "change a plan"
eq "$(jq -c '[.name,.max_users,.services,.price_amount,.max_api_keys]' "$T/body")" '["Team+",null,null,12900,5]' "the fields given changed, the others kept"
eq "$(audits plan.update)" 1 "plan.update audited"
eq "$(call DELETE "${R[@]}" "$BASE/v1/plans/lean")" 204 "delete a plan no tenant is on"
eq "$(call GET "${R[@]}" "$BASE/v1/plans/lean")" 404 "gone"
eq "$(jq -r .code "$T/body")" plan_not_found "plan_not_found"
eq "$(call DELETE "${R[@]}" "$BASE/v1/plans/free")" 409 "free has tenants"
eq "$(jq -r .code "$T/body")" plan_in_use "plan_in_use"
eq "$(audits plan.delete)" 1 "plan.delete audited once"

# ---- bad plans: a stable code, nothing changed ----
BEFORE=$(plans_snapshot)
bad_create() { # BODY CODE
  eq "$(call POST "${R[@]}" --data "$1" "$BASE/v1/plans")" 400 "create $1"
  eq "$(jq -r .code "$T/body")" "$2" "create $1: $2"
}
bad_create '{"name":"No code"}' invalid_plan
bad_create '{"code":"nameless"}' invalid_plan
bad_create '{"code":"Bad Code","name":"x"}' invalid_plan
bad_create '{"code":"../etc","name":"x"}' invalid_plan
bad_create "{\"code\":\"$(printf 'a%.0s' $(seq 41))\",\"name\":\"x\"}" invalid_plan
bad_create '{"code":"x1","name":""}' invalid_plan
bad_create '{"code":"x1","name":"x","price_amount":-1}' invalid_plan
bad_create '{"code":"x1","name":"x","price_amount":1.5}' invalid_plan
bad_create '{"code":"x1","name":"x","price_amount":null}' invalid_plan
bad_create '{"code":"x1","name":"x","max_users":-3}' invalid_plan
bad_create '{"code":"x1","name":"x","max_users":"10"}' invalid_plan
bad_create '{"code":"x1","name":"x","currency":"usd"}' invalid_plan
bad_create '{"code":"x1","name":"x","currency":"DOLLARS"}' invalid_plan
bad_create '{"code":"x1","name":"x","period":"week"}' invalid_plan
bad_create '{"code":"x1","name":"x","services":["crm","nosuch"]}' invalid_plan
bad_create '{"code":"x1","name":"x","services":["crm","crm"]}' invalid_plan
bad_create '{"code":"x1","name":"x","services":"crm"}' invalid_plan
bad_create '{"code":"x1","name":"x","included_credits":null}' invalid_plan
bad_create '{"code":"x1","name":"x","created_at":"2020-01-01"}' unknown_field
bad_create '{"code":"x1","name":"x","limits":{}}' unknown_field
bad_create '[1,2]' not_an_object
eq "$(call POST "${R[@]}" --data '{"code":' "$BASE/v1/plans")" 400 "malformed JSON"
eq "$(call PATCH "${R[@]}" --data '{"code":"other"}' "$BASE/v1/plans/team")" 400 "a code does not change"
eq "$(jq -r .code "$T/body")" unknown_field "unknown_field"
eq "$(call PATCH "${R[@]}" --data '{"max_users":-1}' "$BASE/v1/plans/team")" 400 "a bad limit"
eq "$(call PATCH "${R[@]}" --data '{"name":"x"}' "$BASE/v1/plans/nosuch")" 404 "change no plan"
eq "$(call DELETE "${R[@]}" "$BASE/v1/plans/nosuch")" 404 "delete no plan"
eq "$(call GET "${R[@]}" "$BASE/v1/plans/NO%20SUCH")" 404 "a code that cannot be"
eq "$(plans_snapshot)" "$BEFORE" "nothing changed"

# ---- who may ----
ADA=$(login '{"tenant":"acme","email":"a@acme.test","password":"admin-password-1"}')
A=(-H "Authorization: Bearer $ADA")
eq "$(call GET "${A[@]}" "$BASE/v1/plans")" 200 "a tenant admin reads the plans (pricing)"
eq "$(call GET "${A[@]}" "$BASE/v1/plans/pro")" 200 "and one plan"
eq "$(call POST "${A[@]}" --data '{"code":"mine","name":"Mine"}' "$BASE/v1/plans")" 403 "but creates none"
eq "$(call PATCH "${A[@]}" --data '{"max_users":null}' "$BASE/v1/plans/free")" 403 "nor changes one"
eq "$(call DELETE "${A[@]}" "$BASE/v1/plans/team")" 403 "nor deletes one"
eq "$(call GET "$BASE/v1/plans")" 401 "anonymous: no"
eq "$(call GET "${A[@]}" "$BASE/v1/tenants/acme/subscription")" 200 "the admin reads its subscription"
eq "$(jq -r '.plan + " " + .status' "$T/body")" "free active" "free, active"
eq "$(call PUT "${A[@]}" --data '{"plan":"business"}' "$BASE/v1/tenants/acme/subscription")" 403 "but does not change it"
eq "$(call GET "${A[@]}" "$BASE/v1/tenants/beta/subscription")" 404 "another tenant's: not even seen"
eq "$(plans_snapshot)" "$BEFORE" "still nothing changed"

# ---- a plan change: audited, in the history, with its proration ----
# half of a 30-day period left: the proration is half the difference
START=$(date -u -d '-15 days' +%Y-%m-%dT%H:%M:%S.000Z); END=$(date -u -d '+15 days' +%Y-%m-%dT%H:%M:%S.000Z)
catalog_exec "UPDATE subscriptions SET current_period_start = '$START', current_period_end = '$END' WHERE tenant_id = '$ACME'"
eq "$(call PUT "${R[@]}" -D "$T/headers" --data '{"plan":"pro"}' "$BASE/v1/tenants/acme/subscription")" 200 "free → pro"
RID=$(tr -d '\r' <"$T/headers" | awk -F': ' 'tolower($1) == "x-request-id" {print $2}')
eq "$(jq -r '.plan + " " + .status + " " + .change.from_plan + " " + .change.to_plan' "$T/body")" "pro active free pro" "the answer"
eq "$(jq -r '.change.proration_amount' "$T/body")" 1450 "half of 29.00 for half the period"
eq "$(jq -r '.current_period_end' "$T/body")" "$END" "the period stays"
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/acme")" 200 "the tenant"
eq "$(jq -r .plan "$T/body")" pro "tenants.plan follows"
eq "$(catalog_sql "SELECT plan FROM tenants WHERE id = '$ACME'")" pro "in the catalog"
eq "$(catalog_sql "SELECT count(*) || ' ' || max(actor_kind) || ' ' || max(request_id) || ' ' || max(detail) FROM audit_log WHERE action = 'subscription.change' AND tenant_id = '$ACME'")" "1 superadmin $RID free/active -> pro/active" "subscription.change audited with the request"
eq "$(call PUT "${R[@]}" --data '{"plan":"pro"}' "$BASE/v1/tenants/acme/subscription")" 200 "the same plan again"
eq "$(jq -r .change "$T/body")" null "nothing changed, nothing recorded"
eq "$(call PUT "${R[@]}" --data '{"plan":"free","status":"past_due"}' "$BASE/v1/tenants/acme/subscription")" 200 "pro → free, past due"
eq "$(jq -r '.change.proration_amount' "$T/body")" -1450 "owed back: negative"
expect_rc 0 td tenant plan acme business --status active --json
eq "$(jq -r '.plan + " " + .status + " " + (.change.proration_amount|tostring) + " " + .change.actor.kind' "$T/out")" "business active 14950 cli" "the CLI changes it too"
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/acme/subscription/history")" 200 "the history"
eq "$(jq -r '[.items[]|"\(.from_plan)>\(.to_plan):\(.proration_amount):\(.actor.kind)"]|join(" ")' "$T/body")" "free>business:14950:cli pro>free:-1450:superadmin free>pro:1450:superadmin" "newest first, each with its proration and actor"
eq "$(call GET "${A[@]}" "$BASE/v1/tenants/acme/subscription/history?limit=1")" 200 "its admin reads it"
eq "$(jq '.items|length' "$T/body")" 1 "limit"
eq "$(audits subscription.change)" 3 "three changes audited"
expect_rc 0 td tenant plan acme --json
eq "$(jq -r '.plan + " " + (.history|length|tostring)' "$T/out")" "business 3" "tenant plan SLUG shows it"

# ---- bad subscription changes: a stable code, nothing changed ----
SUB=$(catalog_sql "SELECT plan || status || current_period_end FROM subscriptions WHERE tenant_id = '$ACME'")
bad_put() { # BODY STATUS CODE
  eq "$(call PUT "${R[@]}" --data "$1" "$BASE/v1/tenants/acme/subscription")" "$2" "put $1"
  eq "$(jq -r .code "$T/body")" "$3" "put $1: $3"
}
bad_put '{"plan":"no-such-plan-xyz"}' 400 unknown_plan
bad_put '{"plan":"pro","status":"paused"}' 400 invalid_status
bad_put '{"status":"ACTIVE"}' 400 invalid_status
bad_put '{}' 400 invalid_request
bad_put '{"plan":3}' 400 invalid_request
bad_put '{"plan":"pro","price":1}' 400 unknown_field
eq "$(call PUT "${R[@]}" --data '{"plan":"pro"}' "$BASE/v1/tenants/nosuch/subscription")" 404 "no such tenant"
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/acme/subscription/history?limit=0")" 400 "limit 0"
expect_rc 2 td tenant plan acme nope
expect_rc 2 td tenant plan acme --status paused
expect_rc 1 td tenant plan nosuch pro
eq "$(catalog_sql "SELECT plan || status || current_period_end FROM subscriptions WHERE tenant_id = '$ACME'")" "$SUB" "the subscription is as it was"
eq "$(audits subscription.change)" 3 "nothing more audited"

# ---- tenantd plan ----
expect_rc 0 td plan create studio --name Studio --price 4900 --max-users 3 --services crm,cms --storage-bytes unlimited --json
eq "$(jq -c '.[0]|[.code,.price_amount,.max_users,.services,.storage_bytes]' "$T/out")" '["studio",4900,3,["crm","cms"],null]' "plan create"
expect_rc 0 td plan update studio --max-users unlimited --period year
expect_rc 0 td plan show studio --json
eq "$(jq -c '.[0]|[.max_users,.period,.price_amount]' "$T/out")" '[null,"year",4900]' "plan update"
expect_rc 0 td plan list
expect_contains "$T/out" "studio"
BEFORE=$(plans_snapshot)
expect_rc 2 td plan create studio2
expect_rc 2 td plan create bad --name X --currency usd
expect_rc 2 td plan create bad --name X --max-users abc
expect_rc 2 td plan create bad --name X --bogus 1
expect_rc 2 td plan show
expect_rc 2 td plan show studio --max-users 3
expect_rc 1 td plan create studio --name Again
expect_rc 1 td plan show nosuch
expect_rc 1 td plan delete business
expect_contains "$T/err" "business"
eq "$(plans_snapshot)" "$BEFORE" "bad commands changed nothing"
expect_rc 0 td plan delete studio
expect_rc 1 td plan show studio
eq "$(catalog_sql "SELECT count(*) FROM audit_log WHERE action LIKE 'plan.%' AND actor_kind = 'cli'")" 3 "the CLI's plan changes are audited"
expect_rc 0 td audit verify
done_ok
