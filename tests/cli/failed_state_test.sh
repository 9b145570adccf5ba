#!/usr/bin/env bash
# The `failed` state (SPEC §3): when provisioning stops on an error — here
# an operator's service whose migration does not run — the tenant is
# `failed` with the error recorded (HTTP and CLI), check and the fleet's
# health (GET /v1/admin/fleet/health, live) flag it, its
# requests get 503 tenant_unavailable and its admin cannot log in; once
# the cause is fixed, retry (HTTP, or `tenantd tenant retry`) finishes it:
# active, the error gone, the admin logs in, the service's tables exist.
. "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")" && pwd)/fixtures/ext_service
# a copy of the operator's helpdesk service whose migrations fail half-way
mkdir -p "$T/broken"
cp -r "$FIX/helpdesk" "$T/broken/"
for d in sqlite postgres; do
  echo 'INSERT INTO no_such_table VALUES (1);' >>"$T/broken/helpdesk/migrations/$d/0001_init.sql"
done
td_init
TENANTD_SERVICES_DIR=$T/broken start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")

code=$(post "${R[@]}" --data '{"slug":"desk","services":["helpdesk"],"admin":{"email":"ada@desk.test","password":"ada-password-1"}}' "$BASE/v1/tenants")
[ "$code" -ge 500 ] || { cat "$T/body" >&2; fail "create with a failing migration: $code, want a 5xx problem"; }; pass
jq -e '.code and .request_id' "$T/body" >/dev/null || fail "not a problem: $(cat "$T/body")"; pass
eq "$(get "${R[@]}" "$BASE/v1/tenants/desk")" 200 "the tenant is recorded"
eq "$(jq -r .status "$T/body")" failed "status failed"
jq -e '.error | test("no_such_table|no such table|does not exist")' "$T/body" >/dev/null ||
  fail "the error is not recorded: $(cat "$T/body")"; pass
eq "$(get "${R[@]}" "$BASE/v1/tenants?status=failed")" 200 "list failed tenants"
eq "$(jq -r '[.items[].slug] | join(",")' "$T/body")" desk "the failed tenant listed"
expect_rc 0 td tenant show desk --json
eq "$(jq -r .status "$T/out")" failed "the CLI shows it failed"
jq -e '.error | length > 0' "$T/out" >/dev/null || fail "the CLI shows no error"; pass
expect_rc 1 env TENANTD_SERVICES_DIR="$T/broken" "$TD_BIN" check --data "$DATA" --json
eq "$(jq -r '.checks[] | select(.name == "desk") | .status' "$T/out")" fail "check flags it"
jq -e '.checks[] | select(.kind == "catalog") | .latency_ms >= 0' "$T/out" >/dev/null || fail "check gives no latency"; pass
# the fleet page's view: live checks over HTTP, the failed tenant listed
eq "$(post "${R[@]}" --data '{"slug":"well","services":["crm"]}' "$BASE/v1/tenants")" 201 "a healthy tenant beside it"
eq "$(get "${R[@]}" "$BASE/v1/admin/fleet/health?sample=5")" 200 "fleet health"
eq "$(jq -r '[.ok, .failed, .tenants.live, .tenants.checked] | map(tostring) | join(" ")' "$T/body")" "false 1 1 2" "one failure, one live tenant sampled, the failed one listed"
eq "$(jq -r '.checks[] | select(.kind == "catalog") | .status' "$T/body")" ok "the catalog answers"
eq "$(jq -r '.checks[] | select(.name == "well") | .status + " " + .detail' "$T/body")" "ok healthy" "the healthy tenant opened and checked"
jq -e '.checks[] | select(.name == "desk") | .status == "fail" and (.detail | startswith("status failed")) and (.id | length == 36)' "$T/body" >/dev/null || fail "the failed tenant: $(cat "$T/body")"; pass
jq -e '[.checks[].latency_ms | numbers] | length == (input | .checks | length)' "$T/body" "$T/body" >/dev/null || fail "a check without latency"; pass
eq "$(get "${R[@]}" "$BASE/v1/admin/fleet/health?sample=0")" 200 "no sample"
eq "$(jq -r '.tenants.checked' "$T/body")" 1 "only the failed tenant"
for bad in -1 501 x ''; do eq "$(get "${R[@]}" "$BASE/v1/admin/fleet/health?sample=$bad")" 400 "sample=$bad"; done
eq "$(get "$BASE/v1/admin/fleet/health")" 401 "no token"
eq "$(get "${R[@]}" -H 'X-Tenant: desk' "$BASE/v1/auth/users")" 503 "a request for the failed tenant"
eq "$(jq -r .code "$T/body")" tenant_unavailable "503 code"
code=$(post --data '{"tenant":"desk","email":"ada@desk.test","password":"ada-password-1"}' "$BASE/v1/auth/login")
[ "$code" != 200 ] || fail "the failed tenant's admin logged in"; pass
# retrying without fixing the cause fails again, and says why
code=$(post "${R[@]}" "$BASE/v1/tenants/desk/retry")
[ "$code" -ge 500 ] || fail "retry while still broken: $code"; pass
eq "$(get "${R[@]}" "$BASE/v1/tenants/desk")" 200 "after the failed retry"
eq "$(jq -r .status "$T/body")" failed "still failed"

# the operator fixes the module; retry finishes the tenant
stop_server
TENANTD_SERVICES_DIR=$FIX start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
eq "$(post "${R[@]}" "$BASE/v1/tenants/desk/retry")" 200 "retry"
eq "$(jq -r .status "$T/body")" active "active after retry"
jq -e 'has("error") | not' "$T/body" >/dev/null || fail "the error stayed: $(cat "$T/body")"; pass
eq "$(post --data '{"tenant":"desk","email":"ada@desk.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 200 "its admin logs in"
ADA=$(jq -r .access_token "$T/body")
eq "$(post -H "Authorization: Bearer $ADA" --data '{"name":"Support"}' "$BASE/v1/helpdesk/queues")" 201 "its service works"
expect_rc 0 env TENANTD_SERVICES_DIR="$FIX" "$TD_BIN" check --data "$DATA" --json
eq "$(jq -r '.checks[] | select(.name == "desk") | .status' "$T/out")" ok "check passes"

# the same through the CLI: create fails, `tenant retry` finishes
set +e
echo 'bo-password-1' | TENANTD_SERVICES_DIR=$T/broken "$TD_BIN" tenant create desk2 --data "$DATA" \
  --services helpdesk --admin-email bo@desk2.test --admin-password-stdin >"$T/out" 2>"$T/err"
rc=$?
set -e
eq "$rc" 1 "tenant create with a failing migration"
grep -qi 'no_such_table\|no such table\|does not exist' "$T/err" || { cat "$T/err" >&2; fail "the CLI does not say why"; }; pass
expect_rc 0 env TENANTD_SERVICES_DIR="$FIX" "$TD_BIN" tenant show desk2 --data "$DATA" --json
eq "$(jq -r .status "$T/out")" failed "desk2 failed"
expect_rc 0 env TENANTD_SERVICES_DIR="$FIX" "$TD_BIN" tenant retry desk2 --data "$DATA" --json
eq "$(jq -r .status "$T/out")" active "the CLI's retry finishes it"
eq "$(post --data '{"tenant":"desk2","email":"bo@desk2.test","password":"bo-password-1"}' "$BASE/v1/auth/login")" 200 "desk2's admin logs in"
done_ok
