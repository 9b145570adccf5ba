#!/usr/bin/env bash
# No secret at rest (SPEC §5): after passwords (set, changed, reset),
# refresh tokens, access tokens, tenant and platform API keys, and on
# PostgreSQL the servers' admin URL and a brought database's URL have all
# gone through the server, none of them appears in any database — every
# SQLite file of the data folder (WAL included), or a dump of the catalog
# and of every tenant database on PostgreSQL — nor does the master key,
# nor any of them in the server's debug log.
. "$(dirname "$0")/lib.sh"
td_init
start_server --log debug
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
RT1=$(jq -r .refresh_token "$T/login")
R=(-H "Authorization: Bearer $ROOT")
SECRETS=(root-password-1 "$ROOT" "$RT1")
BYO=
if [ "$BACKEND" = postgres ]; then
  # a database brought by the operator, reached with a password of its own
  own="byo_$(basename "$T" | tr -dc 'a-z0-9' | tr 'A-Z' 'a-z')"
  own_pw="byo-Secret-$RANDOM$RANDOM"
  pg "CREATE ROLE $own LOGIN PASSWORD '$own_pw'"
  pg "CREATE DATABASE $own OWNER $own"
  BYO_URL=$(echo "${TD_TEST_PG_URL%/*}/$own" | sed "s#//[^@]*@#//$own:$own_pw@#")
  BYO=",\"database_url\":\"$BYO_URL\""
  admin_pw=$(echo "$TD_TEST_PG_URL" | sed -n 's#^postgres://[^:]*:\([^@]*\)@.*#\1#p')
  SECRETS+=("$own_pw" "$admin_pw")
fi
eq "$(post "${R[@]}" --data '{"slug":"acme","services":["crm"],"admin":{"email":"ada@acme.test","password":"Ada-Secret-pw-1"}}' "$BASE/v1/tenants")" 201 "acme"
eq "$(post "${R[@]}" --data "{\"slug\":\"own\",\"services\":[\"crm\"],\"admin\":{\"email\":\"bo@own.test\",\"password\":\"Bo-Secret-pw-1\"}$BYO}" "$BASE/v1/tenants")" 201 "a second tenant (on a brought database on PostgreSQL)"
ADA=$(login '{"tenant":"acme","email":"ada@acme.test","password":"Ada-Secret-pw-1"}')
RT2=$(jq -r .refresh_token "$T/login")
A=(-H "Authorization: Bearer $ADA")
eq "$(post "${A[@]}" --data '{"email":"cy@acme.test","password":"Cy-Secret-pw-1","role":"client"}' "$BASE/v1/auth/users")" 201 "a user"
CY_ID=$(jq -r .id "$T/body")
eq "$(call PATCH "${A[@]}" --data '{"password":"Cy-Secret-pw-2"}' "$BASE/v1/auth/users/$CY_ID")" 200 "the admin resets it"
CY=$(login '{"tenant":"acme","email":"cy@acme.test","password":"Cy-Secret-pw-2"}')
eq "$(post -H "Authorization: Bearer $CY" --data '{"current_password":"Cy-Secret-pw-2","new_password":"Cy-Secret-pw-3"}' "$BASE/v1/auth/password")" 204 "its user changes it"
CY=$(login '{"tenant":"acme","email":"cy@acme.test","password":"Cy-Secret-pw-3"}')
RT3=$(jq -r .refresh_token "$T/login")
eq "$(post --data "{\"refresh_token\":\"$RT3\"}" "$BASE/v1/auth/refresh")" 200 "a refresh"
RT4=$(jq -r .refresh_token "$T/body"); AT4=$(jq -r .access_token "$T/body")
eq "$(post "${A[@]}" --data '{"name":"ci","role":"manager"}' "$BASE/v1/auth/api-keys")" 201 "a tenant key"
K1=$(jq -r .key "$T/body")
eq "$(post "${R[@]}" --data '{"name":"ops"}' "$BASE/v1/admin/api-keys")" 201 "a platform key"
K2=$(jq -r .key "$T/body")
eq "$(get -H "X-API-Key: $K1" "$BASE/v1/auth/me")" 200 "the tenant key works"
eq "$(get -H "Authorization: Bearer $K2" "$BASE/v1/tenants")" 200 "the platform key works"
eq "$(post -H "Authorization: Bearer $CY" "$BASE/v1/auth/logout")" 204 "a logout"
eq "$(post "${R[@]}" --data '{"service":"crm"}' "$BASE/v1/tenants/acme/services")" 200 "a service enabled"
SECRETS+=(Ada-Secret-pw-1 Bo-Secret-pw-1 Cy-Secret-pw-1 Cy-Secret-pw-2 Cy-Secret-pw-3 "$ADA" "$CY" "$AT4"
          "$RT2" "$RT3" "$RT4" "$K1" "$K2" "$(cat "$DATA/master.key")")
# look for the secret part of each: its last 32 characters (a token's
# signature, a key's random part, not the public id or header before it)
for s in "${SECRETS[@]}"; do
  [ ${#s} -ge 12 ] || fail "a secret of the test is too short to look for: $s"
  if [ ${#s} -gt 32 ]; then echo "${s: -32}"; else echo "$s"; fi
done >"$T/secrets"
eq "$(wc -l <"$T/secrets")" "${#SECRETS[@]}" "secrets to look for"
stop_server   # every write is on disk; the log is complete

if [ "$BACKEND" = postgres ]; then
  mkdir "$T/dump"
  pg_dump -d "$TENANTD_CATALOG_URL" --data-only >"$T/dump/catalog.sql"
  for id in $(catalog_sql "SELECT id FROM tenants"); do
    pg_dump -d "${TD_TEST_PG_URL%/*}/td_${id//-/}" --data-only >"$T/dump/$id.sql" 2>/dev/null || true
  done
  pg_dump -d "${TD_TEST_PG_URL%/*}/$own" --data-only >"$T/dump/byo.sql"
  # the dumps hold what was written: users, sessions, keys, sealed URLs
  grep -q 'cy@acme.test' "$T/dump/"*.sql || fail "the dumps miss the tenant's users"; pass
  grep -q 'bo@own.test' "$T/dump/byo.sql" || fail "the dump of the brought database misses its users"; pass
  where=$T/dump
else
  where=$DATA
  [ -n "$(find "$DATA" -name '*.db' | head -1)" ] || fail "no database files"; pass
fi
if grep -rlaFf "$T/secrets" "$where" --exclude=master.key >"$T/found"; then
  for f in $(cat "$T/found"); do echo "in $f: $(grep -oaFf "$T/secrets" "$f" | sort -u | head -3)" >&2; done
  fail "a secret at rest"
fi
pass
if grep -aFf "$T/secrets" "$T"/server*.log >&2; then fail "a secret in the server's log"; fi
pass
[ "$BACKEND" != postgres ] || { pg "DROP DATABASE $own WITH (FORCE)"; pg "DROP ROLE $own"; }
done_ok
