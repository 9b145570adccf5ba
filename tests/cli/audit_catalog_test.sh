#!/usr/bin/env bash
# Every change of the catalog is audited by its operation, once, with who
# did it: tenant create (at once and in the background), provisioning done
# and failed, retry, suspend, resume, rename, service enable and disable,
# brought database (PostgreSQL), delete; hostname add and remove; API key
# create and revoke (tenant and platform); the first superadmin, its
# password change; signing and master key rotation; schedules; plans and
# subscription changes; a database
# server's registration. Done over HTTP each leaves one record with actor
# kind superadmin and the request id the server answered; done with the
# CLI one with actor kind cli. No secret is in any record, and `tenantd
# audit verify` holds.
. "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")" && pwd)/fixtures/ext_service
mkdir -p "$T/broken" # an operator's service whose migration fails
cp -r "$FIX/helpdesk" "$T/broken/"
for d in sqlite postgres; do
  echo 'INSERT INTO no_such_table VALUES (1);' >>"$T/broken/helpdesk/migrations/$d/0001_init.sql"
done
td_init
export TENANTD_JOB_BACKOFF_MS=100
TENANTD_SERVICES_DIR=$T/broken start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
ROOT_ID=$(jq -r .user.id "$T/login")
R=(-H "Authorization: Bearer $ROOT")

# h METHOD URL [curl args…]: a superadmin's request; prints the status
# (run in a subshell: rid reads the X-Request-Id the server answered).
h() {
  local m=$1 url=$2; shift 2
  call "$m" "${R[@]}" -D "$T/headers" "$@" "$url"
}
rid() { tr -d '\r' <"$T/headers" | awk -F': ' 'tolower($1) == "x-request-id" {print $2}'; }
# rec ACTION TENANT_ID KIND [OUTCOME]: "count request_id actor_id" of the
# records of ACTION in TENANT_ID's chain ("" for the platform's) by actors
# of KIND (with OUTCOME, default ok)
rec() {
  catalog_sql "SELECT count(*) || ' ' || coalesce(max(request_id), '-') || ' ' || coalesce(max(actor_id), '-')
               FROM audit_log WHERE action = '$1' AND tenant_id = '$2' AND actor_kind = '$3'
               AND outcome = '${4:-ok}'"
}
# by_http ACTION TENANT_ID: one record, by the superadmin, with the request id answered
by_http() {
  local r; r=$(rid); [ -n "$r" ] || fail "no X-Request-Id answered"
  eq "$(rec "$1" "$2" superadmin "${3:-ok}")" "1 $r $ROOT_ID" "$1 over HTTP (tenant '$2')"
}
# by_cli ACTION TENANT_ID: one record by the CLI, no request id
by_cli() { eq "$(rec "$1" "$2" cli "${3:-ok}")" "1 - -" "$1 with the CLI (tenant '$2')"; }
tid() { td tenant show "$1" --json | jq -r .id; }

# ---- the first superadmin (tenantd init) ----
eq "$(rec admin.create "" cli)" "1 - -" "init's superadmin"
eq "$(catalog_sql "SELECT detail FROM audit_log WHERE action = 'admin.create'")" root@example.com "its email, never its password"

# ---- tenants ----
eq "$(h POST "$BASE/v1/tenants" --data '{"slug":"acme","services":["crm"],"admin":{"email":"a@acme.test","password":"admin-password-1"}}')" 201 "create"
ACME=$(tid acme); by_http tenant.create "$ACME"
expect_rc 0 td tenant create beta --services crm
BETA=$(tid beta); by_cli tenant.create "$BETA"

eq "$(h POST "$BASE/v1/tenants?async=true" --data '{"slug":"gamma","services":["crm"]}')" 202 "create in the background"
GAMMA=$(jq -r .tenant.id "$T/body"); by_http tenant.create "$GAMMA"
expect_rc 0 td tenant create delta --async --json
DELTA=$(jq -r .tenant.id "$T/out"); by_cli tenant.create "$DELTA"
for t in gamma delta; do
  for _ in $(seq 1 100); do [ "$(td tenant show $t --json | jq -r .status)" = active ] && break; sleep 0.1; done
done
eq "$(rec tenant.provision "$GAMMA" job | cut -d' ' -f1)" 1 "the job's provisioning of gamma"
eq "$(rec tenant.provision "$DELTA" job | cut -d' ' -f1)" 1 "the job's provisioning of delta"

# provisioning that fails is recorded as failed, with the reason
code=$(h POST "$BASE/v1/tenants" --data '{"slug":"desk","services":["helpdesk"]}')
[ "$code" -ge 500 ] || fail "a failing migration: $code"; pass
DESK=$(tid desk); by_http tenant.create "$DESK" failed
catalog_sql "SELECT detail FROM audit_log WHERE action = 'tenant.create' AND outcome = 'failed'" | grep -qiE 'no_such_table|no such table|does not exist' || fail "no reason"; pass
code=$(h POST "$BASE/v1/tenants?async=true" --data '{"slug":"desk2","services":["helpdesk"]}')
DESK2=$(tid desk2)
for _ in $(seq 1 100); do [ "$(rec tenant.provision "$DESK2" job failed | cut -d' ' -f1)" != 0 ] && break; sleep 0.1; done
[ "$(rec tenant.provision "$DESK2" job failed | cut -d' ' -f1)" -ge 1 ] || fail "the job's failed provisioning"; pass
code=$(h POST "$BASE/v1/tenants/desk/retry")
[ "$code" -ge 500 ] || fail "retry while still broken: $code"; pass
by_http tenant.retry "$DESK" failed
expect_rc 0 env TENANTD_SERVICES_DIR="$FIX" "$TD_BIN" tenant retry desk --data "$DATA"
by_cli tenant.retry "$DESK"

eq "$(h POST "$BASE/v1/tenants/acme/suspend")" 200 "suspend"; by_http tenant.suspend "$ACME"
eq "$(h POST "$BASE/v1/tenants/acme/suspend")" 200 "suspend again"
eq "$(rec tenant.suspend "$ACME" superadmin | cut -d' ' -f1)" 1 "a suspended tenant suspended again changes nothing: no record"
eq "$(h POST "$BASE/v1/tenants/acme/resume")" 200 "resume"; by_http tenant.resume "$ACME"
expect_rc 0 td tenant suspend beta; by_cli tenant.suspend "$BETA"
expect_rc 0 td tenant resume beta; by_cli tenant.resume "$BETA"
eq "$(h PATCH "$BASE/v1/tenants/acme" --data '{"name":"Acme Corp"}')" 200 "rename"; by_http tenant.rename "$ACME"
eq "$(h POST "$BASE/v1/tenants/acme/services" --data '{"service":"cms"}')" 200 "enable a service"
by_http service.enable "$ACME"
eq "$(catalog_sql "SELECT service FROM audit_log WHERE action = 'service.enable'")" cms "the service named"
eq "$(h DELETE "$BASE/v1/tenants/acme/services/cms")" 200 "disable a service"; by_http service.disable "$ACME"
# refusals change nothing and record nothing here
eq "$(h POST "$BASE/v1/tenants/nobody/suspend")" 404 "unknown tenant"
eq "$(catalog_sql "SELECT count(*) FROM audit_log WHERE action LIKE 'tenant.%' AND outcome = 'ok' AND request_id = '$(rid)'")" 0 "a refused operation records no change"

# ---- hostnames ----
eq "$(h POST "$BASE/v1/tenants/acme/hostnames" --data '{"hostname":"crm.acme-corp.example"}')" 201 "add hostname"
by_http hostname.add "$ACME"
eq "$(h DELETE "$BASE/v1/tenants/acme/hostnames/crm.acme-corp.example")" 204 "remove hostname"
by_http hostname.remove "$ACME"

# ---- API keys (tenant and platform) ----
eq "$(h POST "$BASE/v1/auth/api-keys" -H 'X-Tenant: acme' --data '{"name":"ci","role":"manager"}')" 201 "tenant key"
KEY=$(jq -r .key "$T/body"); KID=$(jq -r .id "$T/body"); by_http apikey.create "$ACME"
eq "$(h DELETE "$BASE/v1/auth/api-keys/$KID" -H 'X-Tenant: acme')" 204 "revoke it"; by_http apikey.revoke "$ACME"
eq "$(h POST "$BASE/v1/admin/api-keys" --data '{"name":"ops"}')" 201 "platform key"
PKEY=$(jq -r .key "$T/body"); PKID=$(jq -r .id "$T/body"); by_http apikey.create ""
eq "$(h DELETE "$BASE/v1/admin/api-keys/$PKID")" 204 "revoke it"; by_http apikey.revoke ""
expect_rc 0 td apikey create --name cli-key --tenant beta --role client --json
CKID=$(jq -r .id "$T/out"); CKEY=$(jq -r .key "$T/out"); by_cli apikey.create "$BETA"
expect_rc 0 td apikey revoke "$CKID" --tenant beta; by_cli apikey.revoke "$BETA"
expect_rc 0 td apikey create --name cli-platform --json
CPKID=$(jq -r .id "$T/out"); by_cli apikey.create ""
expect_rc 0 td apikey revoke "$CPKID"; by_cli apikey.revoke ""

# ---- schedules ----
eq "$(h POST "$BASE/v1/admin/cron" --data '{"name":"nightly","schedule":"0 3 * * *","kind":"sessions.cleanup"}')" 201 "create a schedule"
by_http cron.create ""
eq "$(h PATCH "$BASE/v1/admin/cron/nightly" --data '{"schedule":"0 4 * * *"}')" 200 "change it"
by_http cron.update ""
eq "$(h DELETE "$BASE/v1/admin/cron/nightly")" 204 "delete it"; by_http cron.delete ""

# ---- keys ----
eq "$(h POST "$BASE/v1/admin/signing-keys/rotate")" 200 "rotate the signing key"; by_http signingkey.rotate ""
expect_rc 0 td key rotate-signing; by_cli signingkey.rotate ""
if [ -z "${TENANTD_MASTER_KEY:-}" ]; then
  expect_rc 0 td key rotate; by_cli masterkey.rotate ""
fi

# ---- the superadmin's password (it ends its sessions: log in again) ----
eq "$(h POST "$BASE/v1/auth/password" --data '{"current_password":"root-password-1","new_password":"root-password-2"}')" 204 "password change"
by_http admin.password ""
ROOT=$(login '{"email":"root@example.com","password":"root-password-2"}'); R=(-H "Authorization: Bearer $ROOT")

# ---- the brought database (PostgreSQL) and the registered server ----
if [ "$BACKEND" = postgres ]; then
  eq "$(rec dbserver.register "" system | cut -d' ' -f1)" 1 "the server of TENANTD_TENANT_DB_URL, once"
  OWN_PW=$(echo "$TD_TEST_PG_URL" | sed -n 's|^[^:]*://[^:]*:\([^@]*\)@.*|\1|p')
  [ -n "$OWN_PW" ] || fail "the test cluster's URL has a password"; pass
  eq "$(catalog_sql "SELECT count(*) FROM audit_log WHERE action = 'dbserver.register' AND detail LIKE '%:***@%' AND detail NOT LIKE '%$OWN_PW%'")" 1 "its URL, password hidden"
  own="audit_own_$RANDOM$RANDOM"
  pg "CREATE DATABASE $own"
  rc=0; TENANTD_FAULT=create.databases "$TD_BIN" tenant create late --data "$DATA" --services crm >/dev/null 2>&1 || rc=$?
  eq "$rc" 137 "tenant create killed after its databases"
  eq "$(h PUT "$BASE/v1/tenants/late/database" --data "{\"url\":\"${TD_TEST_PG_URL%/*}/$own\"}")" 200 "place a provisioning tenant on a brought database"
  by_http tenant.database_set "$(tid late)"
  eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/late")" 204 "delete the tenant placed there"
  pg "DROP DATABASE $own WITH (FORCE)"
  eq "$(catalog_sql "SELECT count(*) FROM audit_log WHERE detail LIKE '%$OWN_PW%'")" 0 "no database password in the log"
fi

# ---- plans and subscriptions (issue 13) ----
eq "$(h POST "$BASE/v1/plans" --data '{"code":"team","name":"Team"}')" 201 "create a plan"
by_http plan.create ""
eq "$(h PATCH "$BASE/v1/plans/team" --data '{"max_users":10}')" 200 "change it"
by_http plan.update ""
eq "$(h PUT "$BASE/v1/tenants/acme/subscription" --data '{"plan":"team"}')" 200 "acme on it"
by_http subscription.change "$ACME"
expect_rc 0 td tenant plan beta team; by_cli subscription.change "$BETA"
expect_rc 0 td plan create solo --name Solo; by_cli plan.create ""
expect_rc 0 td plan update solo --max-users 1; by_cli plan.update ""
expect_rc 0 td plan delete solo; by_cli plan.delete ""
eq "$(h POST "$BASE/v1/plans" --data '{"code":"gone","name":"Gone"}')" 201 "another plan"
eq "$(h DELETE "$BASE/v1/plans/gone")" 204 "delete it"
by_http plan.delete ""

# ---- delete ----
eq "$(h DELETE "$BASE/v1/tenants/acme")" 204 "delete over HTTP"
by_http tenant.delete "$ACME"
expect_rc 0 td tenant delete beta --yes; by_cli tenant.delete "$BETA"

# ---- no secret anywhere, and the chains hold ----
for s in root-password-1 root-password-2 admin-password-1 "$KEY" "$PKEY" "$CKEY"; do
  eq "$(catalog_sql "SELECT count(*) FROM audit_log WHERE coalesce(detail, '') || coalesce(row_id, '') LIKE '%$s%'")" 0 "no secret in the log"
done
stop_server
expect_rc 0 td audit verify
done_ok
