#!/usr/bin/env bash
# Bring your own PostgreSQL database: a tenant placed on a database the
# operator supplies (checked by connecting, URL sealed), used like any other,
# and deleted without dropping the operator's database; a tenant whose
# provisioning failed placed there by PUT …/database. Needs the PostgreSQL
# cluster of the test run: skipped on SQLite.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = postgres ] || skip "needs a PostgreSQL database to bring"
td_init
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
eq "$(call POST "${R[@]}" --data '{"slug":"plain"}' "$BASE/v1/tenants")" 201 "a plain tenant"

eq "$(call PUT "${R[@]}" --data "{\"url\":\"$TD_TEST_PG_URL\"}" "$BASE/v1/tenants/plain/database")" 409 "an active tenant's data would have to move"
own="byo_$(basename "$T" | tr -dc 'a-z0-9' | tr 'A-Z' 'a-z')"
pg "CREATE DATABASE $own"
OWN_URL="${TD_TEST_PG_URL%/*}/$own"
eq "$(call POST "${R[@]}" --data "{\"slug\":\"byo\",\"services\":[\"crm\"],\"database_url\":\"$OWN_URL\",\"admin\":{\"email\":\"a@byo.test\",\"password\":\"byo-password-1\"}}" "$BASE/v1/tenants")" 201 "tenant on a brought database"
BYO=$(jq -r .id "$T/body")
own_q() { psql "$OWN_URL" -XAtq -c "$1"; }
eq "$(own_q "SELECT count(*) FROM auth.users")" 1 "its users live in the brought database"
eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/auth/login" --data '{"tenant":"byo","email":"a@byo.test","password":"byo-password-1"}')" 200 "its admin logs in"
expect_rc 0 td check --json
eq "$(jq -r '.checks[]|select(.name=="byo")|.status' "$T/out")" ok "check reaches it"
psql "$TENANTD_CATALOG_URL" -XAtq -c "SELECT secret_enc FROM tenant_databases WHERE tenant_id = '$BYO'" | grep -q '^v1\.' || fail "URL not sealed"; pass
! psql "$TENANTD_CATALOG_URL" -XAtq -c "SELECT secret_enc FROM tenant_databases" | grep -q "$own" || fail "URL in clear"; pass
own_q "CREATE TABLE public.theirs (x INTEGER)"
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/byo")" 204 "delete"
eq "$(own_q "SELECT count(*) FROM information_schema.schemata WHERE schema_name IN ('auth','crm')")" 0 "its schemas are gone"
eq "$(own_q "SELECT count(*) FROM public.theirs")" 0 "the operator's database and table stay"

# a tenant whose provisioning failed can be placed on a brought database
set +e
TENANTD_FAULT=create.databases "$TD_BIN" tenant create late --data "$DATA" --services crm >/dev/null 2>&1
rc=$?
set -e
eq "$rc" 137 "tenant create killed after its databases"
eq "$(call PUT "${R[@]}" --data "{\"url\":\"$OWN_URL\"}" "$BASE/v1/tenants/late/database")" 200 "PUT on a provisioning tenant"
eq "$(jq -r .status "$T/body")" active "provisioned there"
LATE=$(jq -r .id "$T/body")
eq "$(pg "SELECT count(*) FROM pg_database WHERE datname = 'td_$(echo "$LATE" | tr -d -)'")" 0 "the half-made server database was removed"
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/late")" 204 "delete late"
pg "DROP DATABASE $own WITH (FORCE)"
done_ok
