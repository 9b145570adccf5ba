#!/usr/bin/env bash
# Expired credentials over HTTP (SPEC §10): a tenant API key and a platform
# key made to expire eight seconds from now work until then and answer 401
# invalid_api_key from then on (the test waits for that, at most 30 s);
# a refresh token whose session has expired — a tenant user's and a
# superadmin's — answers 401 invalid_grant. (An expired access token needs
# a configurable lifetime: expired_access_token_test.sh.)
. "$(dirname "$0")/lib.sh"
td_init
echo 'ada-password-1' | td tenant create acme --services crm --admin-email ada@acme.test --admin-password-stdin >/dev/null
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
ROOT_RT=$(jq -r .refresh_token "$T/login")
ADA=$(login '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}')
ADA_RT=$(jq -r .refresh_token "$T/login")

# keys that expire in 8 s (room for the four requests before, on a loaded
# machine under the sanitizers)
exp=$(date -u -d '+8 seconds' +%Y-%m-%dT%H:%M:%SZ)
eq "$(post -H "Authorization: Bearer $ADA" --data "{\"name\":\"short\",\"role\":\"manager\",\"expires_at\":\"$exp\"}" "$BASE/v1/auth/api-keys")" 201 "a tenant key expiring at $exp"
K1=$(jq -r .key "$T/body")
eq "$(post -H "Authorization: Bearer $ROOT" --data "{\"name\":\"short\",\"expires_at\":\"$exp\"}" "$BASE/v1/admin/api-keys")" 201 "a platform key expiring at $exp"
K2=$(jq -r .key "$T/body")
eq "$(get -H "X-API-Key: $K1" "$BASE/v1/crm/customers")" 200 "the tenant key before it expires"
eq "$(get -H "Authorization: Bearer $K2" "$BASE/v1/tenants")" 200 "the platform key before it expires"
for _ in $(seq 1 300); do
  code=$(get -H "X-API-Key: $K1" "$BASE/v1/crm/customers")
  [ "$code" = 401 ] && break
  sleep 0.1
done
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
eq "$code" 401 "the tenant key after it expired"
eq "$(jq -r .code "$T/body")" invalid_api_key "expired key code"
[[ ! $now < $exp ]] || fail "the key stopped working at $now, before it expired ($exp)"; pass
eq "$(get -H "Authorization: Bearer $K2" "$BASE/v1/tenants")" 401 "the platform key after it expired"
eq "$(jq -r .code "$T/body")" invalid_api_key "expired platform key code"
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/auth/api-keys")" 200 "the keys are listed"
eq "$(jq -r --arg e "$exp" '[.items[] | select(.name == "short") | .expires_at[0:19]] | join(",")' "$T/body")" "${exp:0:19}" "with their expiry"

# refresh tokens whose sessions have expired
ACME=$(td tenant show acme --json | jq -r .id)
past=2001-01-01T00:00:00.000Z
tenant_exec "$ACME" auth "UPDATE @s.sessions SET expires_at = '$past'"
catalog_exec "UPDATE platform_sessions SET expires_at = '$past'"
eq "$(post --data "{\"refresh_token\":\"$ADA_RT\"}" "$BASE/v1/auth/refresh")" 401 "a tenant user's expired refresh token"
eq "$(jq -r .code "$T/body")" invalid_grant "expired refresh code"
eq "$(post --data "{\"refresh_token\":\"$ROOT_RT\"}" "$BASE/v1/auth/refresh")" 401 "a superadmin's expired refresh token"
eq "$(jq -r .code "$T/body")" invalid_grant "expired platform refresh code"
# a fresh login gives a refresh token that works
login '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}' >/dev/null
eq "$(post --data "{\"refresh_token\":\"$(jq -r .refresh_token "$T/login")\"}" "$BASE/v1/auth/refresh")" 200 "a new session refreshes"
done_ok
