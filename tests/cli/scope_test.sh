#!/usr/bin/env bash
# What a key's or a user's scope means, over HTTP: a principal held to a
# list of services (an admin key or admin user created with one) uses only
# those and never hands out more than it holds (no escalation by
# delegation); keys of a removed or disabled user die with it and lists
# name every key's creator; an admin cannot disable itself and a tenant
# keeps an active admin; emails are one account whatever their case;
# common passwords are refused; a wrong password of any length is a 401
# that counts; /me refuses another tenant's X-Tenant and shows a key's own
# expiry; hostnames that are addresses or reserved names are refused;
# GET /v1/services declares to each what it may use.
. "$(dirname "$0")/lib.sh"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
call POST "${R[@]}" --data '{"slug":"acme","services":["crm","cms","projects","commerce"],"admin":{"email":"admin@acme.test","password":"admin-password-1"}}' "$BASE/v1/tenants" >/dev/null
tenants_with_admins beta
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
A=(-H "Authorization: Bearer $ADA")
ADA_ID=$(jq -r .user.id "$T/login")

# --- an admin key scoped to crm
eq "$(call POST "${A[@]}" --data '{"name":"crm-admin","role":"admin","services":["crm"]}' "$BASE/v1/auth/api-keys")" 201 "a crm-only admin key"
K=(-H "X-API-Key: $(jq -r .key "$T/body")"); KID=$(jq -r .id "$T/body")
eq "$(call GET "${K[@]}" "$BASE/v1/crm/customers")" 200 "it reads crm"
eq "$(call POST "${K[@]}" --data '{"name":"Globex"}' "$BASE/v1/crm/customers")" 201 "it writes crm"
eq "$(call GET "${K[@]}" "$BASE/v1/cms/pages")" 403 "it does not read cms"
eq "$(jq -r .code "$T/body")" service_not_granted "named service_not_granted"
eq "$(call GET "${K[@]}" "$BASE/v1/projects/projects")" 403 "it does not read projects"
# what it may use is what GET /v1/services declares to it
eq "$(call GET "${K[@]}" "$BASE/v1/services")" 200 "its services"
eq "$(jq -r '[.items[].name] | sort | join(",")' "$T/body")" "auth,crm" "only auth and crm declared"
eq "$(jq -r '.items[] | select(.name == "crm") | .resources[] | select(.name == "customers") | [.fields[0].name, (.fields[0].required|tostring), (has("table")|tostring)] | join(" ")' "$T/body")" "name true false" "a resource's fields, not its table"
eq "$(call GET "${A[@]}" "$BASE/v1/services")" 200 "the admin's"
eq "$(jq -r '[.items[].name] | sort | join(",")' "$T/body")" "auth,cms,commerce,crm,projects" "every enabled service"
eq "$(call GET "${R[@]}" -H 'X-Tenant: acme' "$BASE/v1/services")" 200 "a superadmin's, with X-Tenant"
eq "$(jq '.items | length' "$T/body")" 5 "the tenant's services"
eq "$(call GET "$BASE/v1/services")" 401 "no token"
eq "$(call POST "${K[@]}" --data '{"name":"W","sku":"W-1","price":10}' "$BASE/v1/commerce/products")" 403 "it does not write commerce"
# no escalation by delegation
eq "$(call POST "${K[@]}" --data '{"name":"x","role":"admin"}' "$BASE/v1/auth/api-keys")" 403 "it cannot make an unscoped key"
eq "$(jq -r .code "$T/body")" exceeds_scope "named exceeds_scope"
eq "$(call POST "${K[@]}" --data '{"name":"x","role":"manager","services":["crm","cms"]}' "$BASE/v1/auth/api-keys")" 403 "nor one with a service it lacks"
eq "$(call POST "${K[@]}" --data '{"email":"boss@acme.test","password":"boss-secret-pw-1","role":"admin"}' "$BASE/v1/auth/users")" 403 "nor an unscoped admin user"
eq "$(call POST "${K[@]}" --data '{"email":"m@acme.test","password":"m-secret-pw-1","role":"manager","services":["cms"]}' "$BASE/v1/auth/users")" 403 "nor a user with a service it lacks"
eq "$(call POST "${K[@]}" --data '{"name":"sub","role":"manager","services":["crm"]}' "$BASE/v1/auth/api-keys")" 201 "it makes a crm manager key"
SUBKEY=$(jq -r .key "$T/body")
eq "$(call POST "${K[@]}" --data '{"email":"crm@acme.test","password":"crm-secret-pw-1","role":"client","services":["crm"]}' "$BASE/v1/auth/users")" 201 "and a crm client"
CRM_ID=$(jq -r .id "$T/body")
eq "$(call PATCH "${K[@]}" --data '{"password":"taken-over-pw-1"}' "$BASE/v1/auth/users/$ADA_ID")" 403 "it cannot take over the unscoped admin"
eq "$(call DELETE "${K[@]}" "$BASE/v1/auth/users/$ADA_ID")" 403 "nor remove it"
eq "$(call PATCH "${K[@]}" --data '{"services":["crm","cms"]}' "$BASE/v1/auth/users/$CRM_ID")" 403 "nor grant beyond itself"
eq "$(call GET "${A[@]}" "$BASE/v1/auth/api-keys")" 200 "the admin lists keys"
eq "$(jq -r --arg id "$KID" '[.items[]|select(.created_by==$id)]|length' "$T/body")" 1 "the list names each key's creator"
eq "$(jq -r --arg id "$ADA_ID" '[.items[]|select(.created_by==$id)]|length' "$T/body")" 1 "including the admin's own"

# --- an admin user created with a service list is held to it
eq "$(call POST "${A[@]}" --data '{"email":"Scoped@Acme.Test","password":"scoped-secret-pw-1","role":"admin","services":["crm"]}' "$BASE/v1/auth/users")" 201 "a crm-only admin user"
eq "$(jq -r .email "$T/body")" scoped@acme.test "emails are stored lower-cased"
SCOPED_ID=$(jq -r .id "$T/body")
S=$(login '{"tenant":"acme","email":"SCOPED@acme.test","password":"scoped-secret-pw-1"}')
[ "$S" != null ] || fail "login with another case of the email"; pass
eq "$(jq -c .services "$T/login")" '["crm"]' "the scoped admin is told its services"
eq "$(call GET -H "Authorization: Bearer $S" "$BASE/v1/cms/pages")" 403 "it does not read cms"
eq "$(call GET -H "Authorization: Bearer $S" "$BASE/v1/crm/customers")" 200 "it reads crm"
eq "$(call POST -H "Authorization: Bearer $S" --data '{"name":"y","role":"admin"}' "$BASE/v1/auth/api-keys")" 403 "it cannot make an unscoped key"
eq "$(call POST -H "Authorization: Bearer $S" --data '{"email":"u2@acme.test","password":"u2-secret-pw-1","role":"admin"}' "$BASE/v1/auth/users")" 403 "nor an unscoped admin"
eq "$(call POST "${A[@]}" --data '{"email":"scoped@ACME.test","password":"other-secret-pw-1","role":"client"}' "$BASE/v1/auth/users")" 409 "one account per email, whatever the case"

# --- keys die with the user who made them (and the keys those made)
eq "$(call POST -H "Authorization: Bearer $S" --data '{"name":"mine","role":"manager","services":["crm"]}' "$BASE/v1/auth/api-keys")" 201 "the scoped admin makes a key"
SKEY=$(jq -r .key "$T/body")
eq "$(call GET -H "X-API-Key: $SKEY" "$BASE/v1/crm/customers")" 200 "its key works"
eq "$(call PATCH "${A[@]}" --data '{"disabled":true}' "$BASE/v1/auth/users/$SCOPED_ID")" 200 "the admin disables it"
eq "$(call GET -H "X-API-Key: $SKEY" "$BASE/v1/crm/customers")" 401 "a disabled user's keys stop"
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/api-keys/$KID")" 204 "revoke the crm admin key"
eq "$(call GET -H "X-API-Key: $SUBKEY" "$BASE/v1/crm/customers")" 401 "keys made by a revoked key stop"
eq "$(call POST "${A[@]}" --data '{"email":"gone@acme.test","password":"gone-secret-pw-1","role":"admin"}' "$BASE/v1/auth/users")" 201 "another admin"
GONE_ID=$(jq -r .id "$T/body")
G=$(login '{"tenant":"acme","email":"gone@acme.test","password":"gone-secret-pw-1"}')
eq "$(call POST -H "Authorization: Bearer $G" --data '{"name":"g","role":"manager"}' "$BASE/v1/auth/api-keys")" 201 "it makes a key"
GKEY=$(jq -r .key "$T/body")
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/users/$GONE_ID")" 204 "it is deleted"
eq "$(call GET -H "X-API-Key: $GKEY" "$BASE/v1/crm/customers")" 401 "a deleted user's keys stop"

# --- self and the last admin
eq "$(call PATCH "${A[@]}" --data '{"disabled":true}' "$BASE/v1/auth/users/$ADA_ID")" 409 "an admin cannot disable itself"
eq "$(jq -r .code "$T/body")" cannot_disable_self "named cannot_disable_self"
eq "$(call PATCH "${A[@]}" --data '{"role":"manager"}' "$BASE/v1/auth/users/$ADA_ID")" 409 "the last active admin cannot be demoted"
eq "$(jq -r .code "$T/body")" last_admin "named last_admin"
eq "$(call PATCH "${R[@]}" -H 'X-Tenant: acme' --data '{"disabled":true}' "$BASE/v1/auth/users/$ADA_ID")" 409 "nor disabled"
eq "$(call DELETE "${R[@]}" -H 'X-Tenant: acme' "$BASE/v1/auth/users/$ADA_ID")" 409 "nor deleted"
eq "$(call GET "${A[@]}" "$BASE/v1/auth/me")" 200 "and it still works"
eq "$(call POST "${A[@]}" --data '{"email":"second@acme.test","password":"second-secret-pw-1","role":"admin"}' "$BASE/v1/auth/users")" 201 "a second admin"
eq "$(call PATCH "${R[@]}" -H 'X-Tenant: acme' --data '{"role":"manager"}' "$BASE/v1/auth/users/$ADA_ID")" 200 "now the first may be demoted"
expect_rc 1 td user disable second@acme.test --tenant acme
expect_contains "$T/err" "last active admin"

# --- common passwords
eq "$(call POST "${R[@]}" -H 'X-Tenant: acme' --data '{"email":"w@acme.test","password":"12345678","role":"client"}' "$BASE/v1/auth/users")" 400 "12345678 refused"
eq "$(jq -r .code "$T/body")" weak_password "named weak_password"
eq "$(call POST "${R[@]}" -H 'X-Tenant: acme' --data '{"email":"w@acme.test","password":"PassWord1","role":"client"}' "$BASE/v1/auth/users")" 400 "common passwords refused whatever their case"
eq "$(call POST "${R[@]}" --data '{"slug":"weak","admin":{"email":"a@weak.test","password":"qwertyuiop"}}' "$BASE/v1/tenants")" 400 "a first admin's common password refused"
eq "$(call POST -H "Authorization: Bearer $ROOT" --data '{"current_password":"root-password-1","new_password":"iloveyou"}' "$BASE/v1/auth/password")" 400 "a password change to a common one refused"
eq "$(jq -r .code "$T/body")" weak_password "named weak_password"

# --- a wrong password of any length is 401 and counts
for i in 1 2 3 4 5 6; do
  code=$(post --data '{"tenant":"beta","email":"admin@beta.test","password":"x"}' "$BASE/v1/auth/login")
  [ "$code" = 401 ] || [ "$code" = 429 ] || fail "short wrong password: $code"
  [ "$i" -gt 1 ] || eq "$(jq -r .code "$T/body")" invalid_credentials "a short password is a wrong one"
done
# they counted: the account is locked now (each lock doubles, so a slow
# machine that outlives the first one meets a longer one)
for _ in 1 2 3 4 5; do
  code=$(post --data '{"tenant":"beta","email":"admin@beta.test","password":"x"}' "$BASE/v1/auth/login")
  [ "$code" = 429 ] && break
done
eq "$code" 429 "short wrong passwords count toward the lock"
eq "$(post --data '{"tenant":"acme","email":"crm@acme.test","password":""}' "$BASE/v1/auth/login")" 401 "an empty password is a wrong one"
eq "$(jq -r .code "$T/body")" invalid_credentials "named invalid_credentials"

# --- /me: X-Tenant must be the caller's own; a key's own expiry
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/auth/me")" 401 "the demotion ended the demoted admin's token"
ADA=$(login '{"tenant":"acme","email":"second@acme.test","password":"second-secret-pw-1"}')
eq "$(get -H "Authorization: Bearer $ADA" -H 'X-Tenant: beta' "$BASE/v1/auth/me")" 403 "/me with another tenant's X-Tenant"
eq "$(jq -r .code "$T/body")" tenant_mismatch "named tenant_mismatch"
eq "$(get -H "Authorization: Bearer $ADA" -H 'X-Tenant: acme' "$BASE/v1/auth/me")" 200 "/me with its own X-Tenant"
eq "$(get "${R[@]}" -H 'X-Tenant: beta' "$BASE/v1/auth/me")" 200 "a superadmin's /me with any X-Tenant"
eq "$(call POST "${R[@]}" -H 'X-Tenant: acme' --data '{"name":"forever","role":"client"}' "$BASE/v1/auth/api-keys")" 201 "a key that never expires"
FOREVER=$(jq -r .key "$T/body")
eq "$(get -H "X-API-Key: $FOREVER" "$BASE/v1/auth/me")" 200 "its /me"
eq "$(jq -r .expires_at "$T/body")" null "a key that never expires shows null"
eq "$(call POST "${R[@]}" -H 'X-Tenant: acme' --data '{"name":"dated","role":"client","expires_at":"2031-01-02T03:04:05+01:00"}' "$BASE/v1/auth/api-keys")" 201 "a dated key (an offset time)"
eq "$(jq -r .expires_at "$T/body")" 2031-01-02T02:04:05.000Z "stored in UTC"
DATED=$(jq -r .key "$T/body")
eq "$(get -H "X-API-Key: $DATED" "$BASE/v1/auth/me")" 200 "its /me"
eq "$(jq -r .expires_at "$T/body")" 1925085845 "a key's /me shows its real expiry"
eq "$(call POST "${R[@]}" -H 'X-Tenant: acme' --data '{"name":"old","role":"client","expires_at":"2001-01-01T00:00:00Z"}' "$BASE/v1/auth/api-keys")" 400 "a past expiry refused"
eq "$(call POST "${R[@]}" -H 'X-Tenant: acme' --data '{"name":"bad","role":"client","expires_at":"2031-13-45T99:00:00Z"}' "$BASE/v1/auth/api-keys")" 400 "a malformed expiry refused"

# --- hostnames
for h in 10.0.0.1 127.0.0.1 192.168.1.300 localhost app.localhost; do
  code=$(call POST "${R[@]}" --data "{\"hostname\":\"$h\"}" "$BASE/v1/tenants/acme/hostnames")
  [ "$code" = 400 ] || { cat "$T/body"; fail "hostname $h: $code, want 400"; }; pass
done
eq "$(call POST "${R[@]}" --data '{"hostname":"::1"}' "$BASE/v1/tenants/acme/hostnames")" 400 "an IPv6 literal"
eq "$(call POST "${R[@]}" --data '{"hostname":"[::1]"}' "$BASE/v1/tenants/acme/hostnames")" 400 "a bracketed IPv6 literal"
eq "$(call POST "${R[@]}" --data '{"hostname":"shop.acme-corp.test"}' "$BASE/v1/tenants/acme/hostnames")" 201 "a real custom hostname"
stop_server
TENANTD_BASE_DOMAIN=saas.test start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}'); R=(-H "Authorization: Bearer $ROOT")
eq "$(call POST "${R[@]}" --data '{"hostname":"beta.saas.test"}' "$BASE/v1/tenants/acme/hostnames")" 400 "another tenant's <slug>.<base>"
eq "$(jq -r .code "$T/body")" hostname_reserved "named hostname_reserved"
eq "$(call POST "${R[@]}" --data '{"hostname":"saas.test"}' "$BASE/v1/tenants/acme/hostnames")" 400 "the base domain itself"
eq "$(call POST "${R[@]}" --data '{"hostname":"x.y.saas.test"}' "$BASE/v1/tenants/acme/hostnames")" 400 "any name under the base domain"
done_ok
