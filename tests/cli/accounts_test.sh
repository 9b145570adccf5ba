#!/usr/bin/env bash
# Accounts that own tenants (issue 13 part 1): a sign-up makes an account,
# its owner and its first tenant; the owner logs in once (no tenant), adds
# a second tenant, sees both in its dropdown with its role, switches into
# each with no second password and acts there; another account's tenant
# is unknown to it; a superadmin lists, searches, suspends (logins and
# switches refused, tokens dead at once) and resumes accounts; an owner
# changes its password (its sessions end). Bad input
# of every kind gets a stable code and changes nothing.
. "$(dirname "$0")/lib.sh"
td_init
TENANTD_REGISTRATION=1 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
count() { catalog_sql "SELECT COUNT(*) FROM $1"; }

# sign-up: tenant + account (the answer of today, plus the account)
eq "$(post --data '{"slug":"shop-one","name":"Shop One","email":"Ann@Shop.test","password":"ann-password-1","services":["crm"],"account_name":"Ann Ltd"}' "$BASE/v1/auth/register")" 201 "sign-up"
eq "$(jq -r '.user.role + " " + .tenant.slug + " " + .account.name + " " + .account.status' "$T/body")" "admin shop-one Ann Ltd active" "sign-up answer names the account"
ACC=$(jq -r .account.id "$T/body")
eq "$(catalog_sql "SELECT account_id FROM tenants WHERE slug = 'shop-one'")" "$ACC" "the tenant is the account's"
eq "$(catalog_sql "SELECT email FROM account_owners WHERE account_id = '$ACC'")" "ann@shop.test" "owner recorded, email lower-cased"
expect_not_contains <(catalog_sql "SELECT password_hash FROM account_owners") "ann-password-1"
# the tenant login of today still works
eq "$(post -H 'X-Tenant: shop-one' --data '{"email":"ann@shop.test","password":"ann-password-1"}' "$BASE/v1/auth/login")" 200 "tenant login as before"

# owner login: no tenant, role owner, the account claim, a refresh token
eq "$(post --data '{"email":"ann@shop.test","password":"ann-password-1"}' "$BASE/v1/auth/login")" 200 "owner login"
eq "$(jq -r '.user.role + " " + .account.id + " " + (.tenant // "none" | tostring)' "$T/body")" "owner $ACC none" "owner token"
OWN=$(jq -r .access_token "$T/body"); OREF=$(jq -r .refresh_token "$T/body")
O=(-H "Authorization: Bearer $OWN")
case "$OREF" in tdr_a_*) pass ;; *) fail "owner refresh token $OREF" ;; esac
eq "$(get "${O[@]}" "$BASE/v1/auth/me")" 200 "owner me"
eq "$(jq -r '.role + " " + .account_id' "$T/body")" "owner $ACC" "me names the account"
eq "$(post --data '{"email":"ann@shop.test","password":"wrong-password-1"}' "$BASE/v1/auth/login")" 401 "owner wrong password"
eq "$(jq -r .code "$T/body")" invalid_credentials "wrong password code"
# an owner's token opens no tenant or platform route
eq "$(get "${O[@]}" "$BASE/v1/auth/users")" 403 "owner token is no tenant token"
eq "$(get "${O[@]}" "$BASE/v1/admin/accounts")" 403 "owner token is no superadmin token"
# and tenant or superadmin tokens do not open owner routes
eq "$(get "${R[@]}" "$BASE/v1/account/tenants")" 403 "superadmin has no dropdown"

# a second tenant
eq "$(post "${O[@]}" --data '{"slug":"shop-two","name":"Shop Two","services":["crm","cms"]}' "$BASE/v1/account/tenants")" 201 "add a tenant"
eq "$(jq -r '.slug + " " + .role + " " + .status' "$T/body")" "shop-two admin active" "added tenant"
eq "$(post "${O[@]}" --data '{"slug":"shop-two"}' "$BASE/v1/account/tenants")" 409 "slug taken"
eq "$(jq -r .code "$T/body")" slug_taken "slug taken code"
eq "$(get "${O[@]}" "$BASE/v1/account/tenants")" 200 "dropdown"
eq "$(jq -r '[.items[] | .slug + ":" + .role + ":" + .status] | join(",")' "$T/body")" "shop-one:admin:active,shop-two:admin:active" "dropdown lists both with role"
eq "$(jq -r '.items[0] | has("id") and has("name") and has("plan")' "$T/body")" true "dropdown fields"

# switch into each and act
for s in shop-one shop-two; do
  eq "$(post "${O[@]}" "$BASE/v1/account/tenants/$s/session")" 200 "switch into $s"
  eq "$(jq -r '.user.role + " " + .tenant.slug + " " + .account.id + " " + (has("refresh_token")|tostring)' "$T/body")" "admin $s $ACC false" "switch answer"
  TOK=$(jq -r .access_token "$T/body")
  eq "$(post -H "Authorization: Bearer $TOK" --data "{\"name\":\"Customer of $s\"}" "$BASE/v1/crm/customers")" 201 "create a crm row in $s"
done
SW2=$TOK

# another account's tenant: unknown
eq "$(post --data '{"slug":"bobs","email":"bob@shop.test","password":"bob-password-1"}' "$BASE/v1/auth/register")" 201 "second sign-up"
BACC=$(jq -r .account.id "$T/body")
BOBS=$(jq -r .tenant.id "$T/body")
for key in bobs "$BOBS" no-such-shop; do
  eq "$(post "${O[@]}" "$BASE/v1/account/tenants/$key/session")" 404 "another's tenant $key"
  eq "$(jq -r .code "$T/body")" tenant_not_found "no leak for $key"
done
# an operator's tenant is no account's either
eq "$(post "${R[@]}" --data '{"slug":"ops-made"}' "$BASE/v1/tenants")" 201 "operator tenant"
eq "$(catalog_sql "SELECT COALESCE(account_id, 'null') FROM tenants WHERE slug = 'ops-made'")" null "operator tenant has no account"
eq "$(post "${O[@]}" "$BASE/v1/account/tenants/ops-made/session")" 404 "operator tenant unknown to owners"

# bad input: stable codes, nothing changed
A0=$(count accounts); T0=$(count tenants); O0=$(count account_owners)
bad() { local want=$1 code=$2 body=$3 url=$4; shift 4
  local got; got=$(post "$@" --data "$body" "$BASE$url")
  [ "$got" = "$want" ] && [ "$(jq -r .code "$T/body")" = "$code" ] || { cat "$T/body"; fail "$url $body: $got"; }; pass; }
bad 409 email_taken '{"slug":"fresh","email":"ANN@shop.test","password":"ann-password-1"}' /v1/auth/register
bad 400 invalid_request '{"slug":"fresh","email":"not-an-email","password":"long-enough-1"}' /v1/auth/register
bad 400 invalid_request '{"slug":"fresh","email":"c@shop.test","password":"short"}' /v1/auth/register
bad 409 slug_taken '{"slug":"shop-one","email":"c@shop.test","password":"long-enough-1"}' /v1/auth/register
bad 400 unknown_field '{"slug":"fresh","email":"c@shop.test","password":"long-enough-1","account":"x"}' /v1/auth/register
bad 400 invalid_request '{"slug":"fresh","email":"c@shop.test","password":"long-enough-1","account_name":""}' /v1/auth/register
bad 400 malformed_json '{"slug":' /v1/auth/register
bad 400 invalid_request '{"slug":"Bad Slug!"}' /v1/account/tenants "${O[@]}"
bad 400 invalid_request '{"slug":"fresh","services":["nosuch"]}' /v1/account/tenants "${O[@]}"
bad 400 invalid_request '{"slug":7}' /v1/account/tenants "${O[@]}"
bad 400 unknown_field '{"slug":"fresh","admin":{}}' /v1/account/tenants "${O[@]}"
bad 400 malformed_json '[' /v1/account/tenants "${O[@]}"
bad 400 invalid_request '{"x":1}' /v1/account/tenants/shop-one/session "${O[@]}"
eq "$(count accounts) $(count tenants) $(count account_owners)" "$A0 $T0 $O0" "bad input changed nothing"

# superadmins: list, search, paging, show
eq "$(get "${R[@]}" "$BASE/v1/admin/accounts")" 200 "list"
eq "$(jq -r '.items | length' "$T/body")" 2 "two accounts"
eq "$(get "${R[@]}" "$BASE/v1/admin/accounts?q=ann%20l")" 200 "search by name"
eq "$(jq -r '[.items[].id] | join(",")' "$T/body")" "$ACC" "found by name"
eq "$(get "${R[@]}" "$BASE/v1/admin/accounts?q=BOB@")" 200 "search by email"
eq "$(jq -r '[.items[].id] | join(",")' "$T/body")" "$BACC" "found by email"
eq "$(get "${R[@]}" "$BASE/v1/admin/accounts?limit=1")" 200 "page 1"
P1=$(jq -r '.items[0].id' "$T/body"); CUR=$(jq -r .next_cursor "$T/body")
eq "$(get "${R[@]}" "$BASE/v1/admin/accounts?limit=1&cursor=$CUR")" 200 "page 2"
P2=$(jq -r '.items[0].id' "$T/body")
[ "$P1" != "$P2" ] && [ -n "$P2" ] || fail "pages $P1 $P2"; pass
for q in 'limit=0' 'limit=x' 'cursor=nope'; do
  eq "$(get "${R[@]}" "$BASE/v1/admin/accounts?$q")" 400 "bad list $q"
done
eq "$(get "${R[@]}" "$BASE/v1/admin/accounts/$ACC")" 200 "show"
eq "$(jq -r '.name + " " + .owner_email + " " + (.tenants|tostring) + " " + ([.tenant_list[].slug]|join(","))' "$T/body")" "Ann Ltd ann@shop.test 2 shop-one,shop-two" "show answer"
eq "$(get "${R[@]}" "$BASE/v1/admin/accounts/00000000-0000-0000-0000-000000000000")" 404 "unknown account"
eq "$(jq -r .code "$T/body")" account_not_found "unknown account code"
eq "$(get "${R[@]}" "$BASE/v1/admin/accounts/nope")" 404 "malformed account id"

# suspend: tokens dead at once, login, refresh and switch refused
eq "$(post "${R[@]}" "$BASE/v1/admin/accounts/$ACC/suspend")" 200 "suspend"
eq "$(jq -r .status "$T/body")" suspended "suspended"
eq "$(get "${O[@]}" "$BASE/v1/account/tenants")" 401 "owner token dead"
eq "$(jq -r .code "$T/body")" token_revoked "owner token revoked"
eq "$(get -H "Authorization: Bearer $SW2" "$BASE/v1/crm/customers")" 401 "switched token dead"
eq "$(post --data '{"email":"ann@shop.test","password":"ann-password-1"}' "$BASE/v1/auth/login")" 403 "login refused"
eq "$(jq -r .code "$T/body")" account_suspended "login refused code"
eq "$(post --data "{\"refresh_token\":\"$OREF\"}" "$BASE/v1/auth/refresh")" 403 "refresh refused"
eq "$(post "${R[@]}" "$BASE/v1/admin/accounts/$ACC/suspend")" 200 "suspend twice is no error"
# the other account goes on
eq "$(post --data '{"email":"bob@shop.test","password":"bob-password-1"}' "$BASE/v1/auth/login")" 200 "other owner logs in"
sleep 1 # tokens of the second of the suspension stay ended
eq "$(post "${R[@]}" "$BASE/v1/admin/accounts/$ACC/resume")" 200 "resume"
eq "$(post --data '{"email":"ann@shop.test","password":"ann-password-1"}' "$BASE/v1/auth/login")" 200 "login after resume"
OWN=$(jq -r .access_token "$T/body"); OREF=$(jq -r .refresh_token "$T/body")
eq "$(post -H "Authorization: Bearer $OWN" "$BASE/v1/account/tenants/shop-two/session")" 200 "switch after resume"

# the command line: the same accounts, suspend and resume
expect_rc 0 td account list --search ann --json
eq "$(jq -r '[.items[].id] | join(",")' "$T/out")" "$ACC" "cli search"
expect_rc 0 td account show "$ACC"
expect_contains "$T/out" "tenants: shop-one shop-two"
expect_rc 0 td account suspend "$BACC" --json
eq "$(jq -r .status "$T/out")" suspended "cli suspend"
eq "$(post --data '{"email":"bob@shop.test","password":"bob-password-1"}' "$BASE/v1/auth/login")" 403 "cli suspension refuses login"
expect_rc 0 td account resume "$BACC"
expect_rc 1 td account show 00000000-0000-0000-0000-000000000000
expect_rc 2 td account show
expect_rc 2 td account list extra
expect_rc 2 td account frobnicate x

# a suspended tenant of the account: no switch into it
eq "$(post "${R[@]}" "$BASE/v1/tenants/shop-one/suspend")" 200 "tenant suspended"
eq "$(post -H "Authorization: Bearer $OWN" "$BASE/v1/account/tenants/shop-one/session")" 403 "no switch into a suspended tenant"
eq "$(jq -r .code "$T/body")" tenant_suspended "suspended tenant code"
eq "$(post "${R[@]}" "$BASE/v1/tenants/shop-one/resume")" 200 "tenant resumed"

# refresh and logout of an owner's session
eq "$(post --data "{\"refresh_token\":\"$OREF\"}" "$BASE/v1/auth/refresh")" 200 "owner refresh"
eq "$(jq -r '.user.role + " " + .account.id' "$T/body")" "owner $ACC" "refreshed owner"
OWN=$(jq -r .access_token "$T/body"); OREF=$(jq -r .refresh_token "$T/body")
eq "$(call POST -H "Authorization: Bearer $OWN" "$BASE/v1/auth/logout")" 204 "owner logout"
eq "$(get -H "Authorization: Bearer $OWN" "$BASE/v1/account/tenants")" 401 "logged out token dead"
eq "$(post --data "{\"refresh_token\":\"$OREF\"}" "$BASE/v1/auth/refresh")" 401 "logged out session ends"

eq "$(post --data '{"email":"ann@shop.test","password":"ann-password-1"}' "$BASE/v1/auth/login")" 200 "owner login again"
OWN=$(jq -r .access_token "$T/body"); OREF=$(jq -r .refresh_token "$T/body")
eq "$(call POST -H "Authorization: Bearer $OWN" "$BASE/v1/auth/logout?all=true")" 204 "owner logout everywhere"
eq "$(get -H "Authorization: Bearer $OWN" "$BASE/v1/account/tenants")" 401 "every owner token ends"
eq "$(post --data "{\"refresh_token\":\"$OREF\"}" "$BASE/v1/auth/refresh")" 401 "every owner session ends"
eq "$(call POST -H "Authorization: Bearer $SW2" "$BASE/v1/auth/password" --data '{"current_password":"x","new_password":"y"}')" 401 "switched token of before the suspension stays dead"

# brute force: an owner's failed logins lock like any login
# (as auth_test: fail until a lock of 3 s or more is in force)
for i in $(seq 1 40); do
  curl -sS -o /dev/null -D "$T/hdr" -X POST --data '{"email":"bob@shop.test","password":"wrong-password-1"}' "$BASE/v1/auth/login"
  [ "$(grep -i '^Retry-After:' "$T/hdr" | tr -dc 0-9)" -ge 3 ] 2>/dev/null && break
  grep -qi '^Retry-After:' "$T/hdr" && sleep 0.5
done
eq "$(post --data '{"email":"bob@shop.test","password":"bob-password-1"}' "$BASE/v1/auth/login")" 429 "owner locked out"
eq "$(jq -r .code "$T/body")" too_many_attempts "lockout code"

# audited with their actors
eq "$(get "${R[@]}" "$BASE/v1/admin/audit?tenant=system&resource=accounts&limit=100")" 200 "platform audit"
jq -r '.items[] | select(.action | startswith("account.")) | .action + " " + .actor_kind' "$T/body" >"$T/audit"
expect_contains "$T/audit" "account.create owner"
expect_contains "$T/audit" "account.tenant_add owner"
expect_contains "$T/audit" "account.suspend superadmin"
expect_contains "$T/audit" "account.resume superadmin"
expect_contains "$T/audit" "account.suspend cli"

# an owner changes its own password: every session of the owner ends
eq "$(post --data '{"email":"ann@shop.test","password":"ann-password-1"}' "$BASE/v1/auth/login")" 200 "owner logs in"
P=(-H "Authorization: Bearer $(jq -r .access_token "$T/body")")
PREF=$(jq -r .refresh_token "$T/body")
OWN_ROW() { catalog_sql "SELECT password_hash FROM account_owners WHERE email = 'ann@shop.test'"; }
H0=$(OWN_ROW)
eq "$(post "${P[@]}" --data '{"current_password":"not-the-one-1","new_password":"ann-new-password-2"}' "$BASE/v1/auth/password")" 403 "a wrong current password"
eq "$(jq -r .code "$T/body")" wrong_password "wrong_password"
eq "$(post "${P[@]}" --data '{"current_password":"ann-password-1","new_password":"password"}' "$BASE/v1/auth/password")" 400 "a weak new one"
eq "$(OWN_ROW)" "$H0" "nothing changed"
eq "$(post "${P[@]}" --data '{"current_password":"ann-password-1","new_password":"ann-new-password-2"}' "$BASE/v1/auth/password")" 204 "the owner's password changed"
expect_not_contains <(OWN_ROW) "ann-new-password-2"
eq "$(get "${P[@]}" "$BASE/v1/auth/me")" 401 "its token ended"
eq "$(post --data "{\"refresh_token\":\"$PREF\"}" "$BASE/v1/auth/refresh")" 401 "its refresh token too"
eq "$(post --data '{"email":"ann@shop.test","password":"ann-password-1"}' "$BASE/v1/auth/login")" 401 "the old password no longer logs the owner in"
eq "$(post --data '{"email":"ann@shop.test","password":"ann-new-password-2"}' "$BASE/v1/auth/login")" 200 "the new one does"
eq "$(jq -r .user.role "$T/body")" owner "as the owner"
# one login: the owner's admin user in each of its tenants changed with it
eq "$(post -H 'X-Tenant: shop-one' --data '{"email":"ann@shop.test","password":"ann-password-1"}' "$BASE/v1/auth/login")" 401 "the old password no longer opens its tenant"
eq "$(post -H 'X-Tenant: shop-one' --data '{"email":"ann@shop.test","password":"ann-new-password-2"}' "$BASE/v1/auth/login")" 200 "the new one does"
eq "$(post -H 'X-Tenant: shop-two' --data '{"email":"ann@shop.test","password":"ann-new-password-2"}' "$BASE/v1/auth/login")" 200 "in its other tenant too"

# an account has several owners: each logs in once and switches into every tenant
eq "$(post --data '{"email":"ann@shop.test","password":"ann-new-password-2"}' "$BASE/v1/auth/login")" 200 "ann again"
P=(-H "Authorization: Bearer $(jq -r .access_token "$T/body")")
ANN_ID=$(jq -r .user.id "$T/body")
eq "$(get "${P[@]}" "$BASE/v1/account/owners")" 200 "the owners"
eq "$(jq -r '[.items[].email] | join(",")' "$T/body")" "ann@shop.test" "one owner"
eq "$(post "${P[@]}" --data '{"email":"Cem@Shop.test","password":"cem-password-3","name":"Cem"}' "$BASE/v1/account/owners")" 201 "a second owner"
CEM_ID=$(jq -r .id "$T/body")
eq "$(jq -r '.email + " " + .name' "$T/body")" "cem@shop.test Cem" "its email lower-cased"
expect_not_contains <(catalog_sql "SELECT password_hash FROM account_owners") "cem-password-3"
eq "$(post "${P[@]}" --data '{"email":"bob@shop.test","password":"cem-password-3"}' "$BASE/v1/account/owners")" 409 "an email that owns an account"
eq "$(jq -r .code "$T/body")" email_taken "email_taken"
eq "$(post "${P[@]}" --data '{"email":"dan@shop.test","password":"short"}' "$BASE/v1/account/owners")" 400 "a weak password"
eq "$(post "${P[@]}" --data '{"email":"nope","password":"long-enough-9"}' "$BASE/v1/account/owners")" 400 "a bad email"
eq "$(post "${P[@]}" --data '{"email":"dan@shop.test","password":"long-enough-9","role":"x"}' "$BASE/v1/account/owners")" 400 "an unknown field"
eq "$(catalog_sql "SELECT count(*) FROM account_owners WHERE account_id = '$ACC'")" 2 "nothing else was added"
eq "$(post --data '{"email":"cem@shop.test","password":"cem-password-3"}' "$BASE/v1/auth/login")" 200 "the new owner logs in"
C=(-H "Authorization: Bearer $(jq -r .access_token "$T/body")")
eq "$(get "${C[@]}" "$BASE/v1/account/tenants")" 200 "its dropdown"
eq "$(jq -r '[.items[] | .slug + ":" + .role] | sort | join(",")' "$T/body")" "shop-one:admin,shop-two:admin" "an admin of both tenants"
eq "$(post "${C[@]}" "$BASE/v1/account/tenants/shop-two/session")" 200 "it switches in"
eq "$(post "${C[@]}" --data '{"slug":"shop-three"}' "$BASE/v1/account/tenants")" 201 "it adds a tenant"
eq "$(post "${P[@]}" "$BASE/v1/account/tenants/shop-three/session")" 200 "the other owner switches into it too"
eq "$(call DELETE "${C[@]}" "$BASE/v1/account/owners/nope")" 404 "an unknown owner"
eq "$(call DELETE "${C[@]}" "$BASE/v1/account/owners/$ANN_ID")" 204 "cem removes ann"
eq "$(get "${P[@]}" "$BASE/v1/account/tenants")" 401 "ann's token ended at once"
eq "$(post --data '{"email":"ann@shop.test","password":"ann-new-password-2"}' "$BASE/v1/auth/login")" 401 "ann no longer logs in as an owner"
eq "$(call DELETE "${C[@]}" "$BASE/v1/account/owners/$CEM_ID")" 409 "the last owner stays"
eq "$(jq -r .code "$T/body")" last_owner "last_owner"
eq "$(get "${R[@]}" "$BASE/v1/account/owners")" 403 "a superadmin has no owners"
expect_rc 0 td audit list --tenant system --action account.owner_add --json
eq "$(jq -r '.items[0].actor_kind' "$T/out")" owner "owner_add audited with its actor"
stop_server
done_ok
