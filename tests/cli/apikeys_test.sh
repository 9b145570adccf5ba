#!/usr/bin/env bash
# API keys over HTTP: a tenant admin makes a key (shown once, stored
# hashed); the key works as Bearer and as X-API-Key, acts with its role and
# tenant only, read-only keys cannot write, revoked and expired keys stop;
# platform keys are for superadmins only.
. "$(dirname "$0")/lib.sh"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme beta
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
A=(-H "Authorization: Bearer $ADA")

eq "$(call POST "${A[@]}" --data '{"name":"ci","role":"manager","services":["crm"]}' "$BASE/v1/auth/api-keys")" 201 "create a key"
KEY=$(jq -r .key "$T/body"); KID=$(jq -r .id "$T/body")
eq "$(jq -r '.name + " " + .role + " " + (.services|join(","))' "$T/body")" "ci manager crm" "key shape"
[[ "$KEY" == tdk_* ]] || fail "key format"; pass
eq "$(call GET "${A[@]}" "$BASE/v1/auth/api-keys")" 200 "list keys"
eq "$(jq '.items|length' "$T/body")" 1 "one key"
! grep -q "$KEY" "$T/body" || fail "the list shows the secret"; pass
if [ "$BACKEND" = sqlite ]; then
  ! grep -qF "${KEY#tdk_*_}" "$DATA/catalog.db" || fail "the secret is stored in clear"; pass
fi

eq "$(call GET -H "Authorization: Bearer $KEY" "$BASE/v1/auth/me")" 200 "key as Bearer"
eq "$(jq -r .role "$T/body")" manager "the key acts with its role"
eq "$(call GET -H "X-API-Key: $KEY" "$BASE/v1/auth/me")" 200 "key as X-API-Key"
eq "$(call GET -H "X-API-Key: $KEY" "$BASE/v1/auth/users")" 200 "manager key reads (own profile scope)"
eq "$(call POST -H "X-API-Key: $KEY" --data '{"email":"k@acme.test","password":"k-password-1","role":"client"}' "$BASE/v1/auth/users")" 403 "manager key cannot add users"
eq "$(call GET -H "X-API-Key: $KEY" -H 'X-Tenant: beta' "$BASE/v1/auth/users")" 403 "key cannot switch tenant"
eq "$(call GET -H "X-API-Key: $KEY" "$BASE/v1/tenants/acme")" 403 "a manager key has no platform access"
eq "$(call GET -H "X-API-Key: $KEY" "$BASE/v1/tenants/beta")" 404 "another tenant stays invisible"

# an admin read-only key cannot write
eq "$(call POST "${A[@]}" --data '{"name":"ro","role":"admin","read_only":true}' "$BASE/v1/auth/api-keys")" 201 "read-only key"
RO=$(jq -r .key "$T/body")
eq "$(call GET -H "X-API-Key: $RO" "$BASE/v1/auth/users")" 200 "read-only key reads"
eq "$(call POST -H "X-API-Key: $RO" --data '{"email":"k@acme.test","password":"k-password-1","role":"client"}' "$BASE/v1/auth/users")" 403 "read-only key cannot write"
eq "$(jq -r .code "$T/body")" read_only_key "read-only code"

# bad requests
for body in '{"name":"x","role":"superadmin"}' '{"name":"x","role":"admin","services":["billing"]}' \
            '{"name":"","role":"admin"}' '{"name":"x","role":"admin","tenant_id":"other"}' \
            '{"name":"x","role":"admin","expires_at":"2001-01-01T00:00:00Z"}' '{"role":"admin"}'; do
  code=$(call POST "${A[@]}" --data "$body" "$BASE/v1/auth/api-keys"); [ "$code" = 400 ] || { cat "$T/body"; fail "$body: $code"; }; pass
done
for bad in "tdk_nope" "${KEY%?}x" "tdk_$(printf '0%.0s' $(seq 32))_$(printf 'a%.0s' $(seq 43))"; do
  eq "$(call GET -H "X-API-Key: $bad" "$BASE/v1/auth/me")" 401 "bad key $bad"
done
eq "$(jq -r .code "$T/body")" invalid_api_key "bad key code"

# another tenant cannot revoke it; its admin can
BEA=$(login '{"tenant":"beta","email":"admin@beta.test","password":"admin-password-1"}')
eq "$(call DELETE -H "Authorization: Bearer $BEA" "$BASE/v1/auth/api-keys/$KID")" 404 "beta cannot revoke acme's key"
eq "$(call GET -H "X-API-Key: $KEY" "$BASE/v1/auth/me")" 200 "still works"
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/api-keys/$KID")" 204 "revoke"
eq "$(call GET -H "X-API-Key: $KEY" "$BASE/v1/auth/me")" 401 "revoked key"
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/api-keys/$KID")" 404 "revoked twice"

# platform keys
eq "$(call POST "${A[@]}" --data '{"name":"ops"}' "$BASE/v1/admin/api-keys")" 403 "tenant admin cannot make platform keys"
eq "$(call GET "${A[@]}" "$BASE/v1/admin/api-keys")" 403 "tenant admin cannot list platform keys"
eq "$(call POST -H "Authorization: Bearer $ROOT" --data '{"name":"ops"}' "$BASE/v1/admin/api-keys")" 201 "platform key"
PK=$(jq -r .key "$T/body")
eq "$(call GET -H "X-API-Key: $PK" "$BASE/v1/tenants")" 200 "platform key lists tenants"
eq "$(jq '.items|length' "$T/body")" 2 "sees every tenant"
eq "$(call GET -H "X-API-Key: $PK" -H 'X-Tenant: acme' "$BASE/v1/auth/users")" 200 "platform key acts in a tenant"

# deleting a tenant removes its keys
eq "$(call POST "${A[@]}" --data '{"name":"last","role":"admin"}' "$BASE/v1/auth/api-keys")" 201 "another key"
LK=$(jq -r .key "$T/body")
eq "$(call DELETE -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/acme")" 204 "delete acme"
eq "$(call GET -H "X-API-Key: $LK" "$BASE/v1/auth/me")" 401 "a deleted tenant's key"
done_ok
