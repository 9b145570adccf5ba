#!/usr/bin/env bash
# A tenant's users over HTTP, SPEC §11's flow: the admin adds a client with
# services ["crm"]; the client logs in and is told exactly that; it reads
# only its own profile and cannot manage users; nobody grants what the
# tenant lacks or assigns fields that are not theirs; a deleted or demoted
# user's tokens stop at once; tenant B's admin never sees tenant A's users.
. "$(dirname "$0")/lib.sh"
# the outbox is read here as writes leave it: no job workers, so no drain
export TENANTD_JOB_WORKERS=0
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme beta
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
A=(-H "Authorization: Bearer $ADA")

eq "$(call POST "${A[@]}" --data '{"email":"cy@acme.test","password":"cy-password-1","role":"client","services":["crm"]}' "$BASE/v1/auth/users")" 201 "admin adds a client"
eq "$(jq -r '.email + " " + .role + " " + (.services|join(","))' "$T/body")" "cy@acme.test client crm" "client shape"
CY_ID=$(jq -r .id "$T/body")
jq -e 'has("password_hash")|not' "$T/body" >/dev/null || fail "hash in a response"; pass
CY=$(login '{"tenant":"acme","email":"cy@acme.test","password":"cy-password-1"}')
eq "$(jq -r '.services|join(",")' "$T/login")" crm "the client is told services [crm]"
eq "$(jq -r .user.role "$T/login")" client "client role"
C=(-H "Authorization: Bearer $CY")

# refusals that change nothing
for body in '{"email":"x@acme.test","password":"x-password-1","role":"superadmin"}' \
            '{"email":"x@acme.test","password":"x-password-1","role":"client","tid":"other"}' \
            '{"email":"x@acme.test","password":"x-password-1","role":"client","id":"01a205e5-5006-7f08-a0f1-41e4fbf5c4a1"}' \
            '{"email":"x@acme.test","password":"x-password-1","role":"client","services":["billing"]}' \
            '{"email":"x@acme.test","password":"x-password-1","role":"client","services":["nosuch"]}' \
            '{"email":"x@acme.test","password":"short","role":"client"}' \
            '{"email":"not an email","password":"x-password-1","role":"client"}' \
            '{"email":"x@acme.test","password":"x-password-1"}'; do
  code=$(call POST "${A[@]}" --data "$body" "$BASE/v1/auth/users")
  [ "$code" = 400 ] || { cat "$T/body"; fail "body $body: $code, want 400"; }; pass
done
eq "$(call POST "${A[@]}" --data '{"email":"cy@acme.test","password":"cy-password-1","role":"client"}' "$BASE/v1/auth/users")" 409 "email taken"
eq "$(call GET "${A[@]}" "$BASE/v1/auth/users")" 200 "admin lists"
eq "$(jq '.items|length' "$T/body")" 2 "two users after the refusals"

# the client: own profile only, no user management
eq "$(call GET "${C[@]}" "$BASE/v1/auth/users")" 200 "client lists"
eq "$(jq -r '[.items[].email]|join(",")' "$T/body")" cy@acme.test "client sees itself only"
eq "$(call GET "${C[@]}" "$BASE/v1/auth/users/$CY_ID")" 200 "client reads itself"
ADA_ID=$(call GET "${A[@]}" "$BASE/v1/auth/users" >/dev/null; jq -r '.items[]|select(.role=="admin")|.id' "$T/body")
eq "$(call GET "${C[@]}" "$BASE/v1/auth/users/$ADA_ID")" 404 "client cannot read another user"
eq "$(call POST "${C[@]}" --data '{"email":"z@acme.test","password":"z-password-1","role":"admin"}' "$BASE/v1/auth/users")" 403 "client cannot add users"
eq "$(call PATCH "${C[@]}" --data '{"role":"admin"}' "$BASE/v1/auth/users/$CY_ID")" 403 "client cannot promote itself"
eq "$(call GET "${C[@]}" "$BASE/v1/tenants/acme")" 403 "client has no platform access"

# tenant B's admin sees none of tenant A
BEA=$(login '{"tenant":"beta","email":"admin@beta.test","password":"admin-password-1"}')
eq "$(call GET -H "Authorization: Bearer $BEA" "$BASE/v1/auth/users")" 200 "beta lists"
! grep -q 'acme.test' "$T/body" || fail "beta saw acme's users"; pass
eq "$(call GET -H "Authorization: Bearer $BEA" "$BASE/v1/auth/users/$CY_ID")" 404 "beta cannot read acme's user by id"
eq "$(call PATCH -H "Authorization: Bearer $BEA" --data '{"disabled":true}' "$BASE/v1/auth/users/$CY_ID")" 404 "beta cannot change acme's user"
eq "$(call GET -H "Authorization: Bearer $BEA" -H 'X-Tenant: acme' "$BASE/v1/auth/users")" 403 "X-Tenant switching"
# a superadmin acts in a tenant with X-Tenant
eq "$(call GET -H "Authorization: Bearer $ROOT" "$BASE/v1/auth/users")" 400 "superadmin without X-Tenant"
eq "$(call GET -H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme' "$BASE/v1/auth/users")" 200 "superadmin with X-Tenant"
eq "$(jq '.items|length' "$T/body")" 2 "superadmin sees acme's users"

# demotion and deletion revoke tokens at once
eq "$(call PATCH "${A[@]}" --data '{"services":[]}' "$BASE/v1/auth/users/$CY_ID")" 200 "grants removed"
eq "$(jq '.services|length' "$T/body")" 0 "no grants left"
eq "$(call GET "${C[@]}" "$BASE/v1/auth/me")" 401 "old token revoked after a grant change"
sleep 1.1   # tokens are dated to the second: a new one must be newer than the revocation
CY=$(login '{"tenant":"acme","email":"cy@acme.test","password":"cy-password-1"}')
eq "$(jq -r '.services|length' "$T/login")" 0 "new login has no services"
eq "$(call GET -H "Authorization: Bearer $CY" "$BASE/v1/auth/me")" 200 "new token works"
eq "$(call PATCH "${A[@]}" --data '{"disabled":true}' "$BASE/v1/auth/users/$CY_ID")" 200 "disable"
eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/auth/login" --data '{"tenant":"acme","email":"cy@acme.test","password":"cy-password-1"}')" 401 "disabled user cannot log in"
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/users/$CY_ID")" 204 "delete"
eq "$(call GET "${A[@]}" "$BASE/v1/auth/users/$CY_ID")" 404 "deleted"
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/users/$ADA_ID")" 409 "cannot delete yourself"
# every change to a user left its row in auth's outbox: who, what, which request
call GET -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/acme" >/dev/null
ACME=$(jq -r .id "$T/body")
eq "$(tenant_sql "$ACME" auth "SELECT actor || ' ' || action || ' ' || rows_delta FROM @ob WHERE resource = 'users' AND row_id = '$CY_ID' ORDER BY seq" | sed -n '1p;$p' | tr '\n' '|')" "user:$ADA_ID create 1|user:$ADA_ID delete -1|" "user writes in the outbox"
[ "$(tenant_sql "$ACME" auth "SELECT count(*) FROM @ob WHERE row_id = '$CY_ID' AND action = 'update' AND request_id IS NOT NULL")" -ge 2 ] || fail "updates in the outbox with their request ids"; pass
# deleting the tenant ends its admin's token
eq "$(call DELETE -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/beta")" 204 "delete beta"
eq "$(call GET -H "Authorization: Bearer $BEA" "$BASE/v1/auth/me")" 401 "deleted tenant's token"
done_ok
