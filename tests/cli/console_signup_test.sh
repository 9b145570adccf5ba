#!/usr/bin/env bash
# Sign-up and the set-up wizard of the console (tests/browser/signup.mjs):
# with TENANTD_REGISTRATION=1 a store is signed up through the form (a
# taken slug refused), the five onboarding steps are taken in the wizard
# with a reload in the middle (a bad PostgreSQL URL refused on the way),
# and curl then finds the tenant renamed and its onboarding complete; with
# registration off the sign-in page offers no sign-up, #/signup says it is
# closed, and an operator's tenant's admin finds bringing a database off. SQLite only, as the other
# console tests (GET /v1/auth/register is checked on both backends by
# register_test.sh).
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = sqlite ] || skip "the console tests run on SQLite only"
td_init
TENANTD_REGISTRATION=1 TENANTD_BRING_DATABASE=1 start_server

eq "$(get "$BASE/v1/auth/register")" 200 "is sign-up open?"
eq "$(jq -c . "$T/body")" '{"open":true}' "open"
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"taken-shop"}' "$BASE/v1/tenants")" 201 "the slug the browser finds taken"

browser_run signup.mjs
for s in signup onboarding-step onboarding-complete; do
  [ -s "$T/screens/$s.png" ] || fail "no screenshot $s"; pass
done

# what the browser did reached the API: the owner's account and tenant,
# renamed, its onboarding complete (payments skipped, credits bought)
OWNER=$(login '{"email":"corner@shop.test","password":"corner-password-1"}')
eq "$(jq -r .user.role "$T/login")" owner "the sign-up made an account owner"
eq "$(post -H "Authorization: Bearer $OWNER" --data '{}' "$BASE/v1/account/tenants/corner-shop/session")" 200 "switch into corner-shop"
TOK=$(jq -r .access_token "$T/body")
eq "$(get -H "Authorization: Bearer $TOK" "$BASE/v1/onboarding")" 200 "onboarding"
eq "$(jq -r '.complete, .tenant.name' "$T/body" | paste -sd' ')" "true Corner Shop Ltd" "complete, renamed"
eq "$(jq -r '[.steps[].status] | join(",")' "$T/body")" "done,done,skipped,done,done" "the steps"
eq "$(jq -r '.steps[1].database.kind, .steps[3].credits.balance, .steps[4].profile.company, .steps[4].profile.phone' "$T/body" | paste -sd'|')" \
  "embedded|250|Corner Shop Ltd|+1 555 0100" "what each step recorded"
eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/corner-shop")" 200 "the tenant"
eq "$(jq -r '.name + " " + .status' "$T/body")" "Corner Shop Ltd active" "the tenant, as the operator sees it"
# one declined and one paid checkout of the test provider
eq "$(catalog_sql "SELECT status FROM credit_checkouts WHERE tenant_id = '$(jq -r .id "$T/body")' ORDER BY created_at" | paste -sd,)" "failed,paid" "the checkouts"

# ---- registration off ----------------------------------------------------------
stop_server
start_server
eq "$(get "$BASE/v1/auth/register")" 200 "is sign-up open?"
eq "$(jq -c . "$T/body")" '{"open":false}' "closed"
tenants_with_admins plain # as ROOT: its token outlives the restart
SIGNUP_PART=closed browser_run signup.mjs
done_ok
