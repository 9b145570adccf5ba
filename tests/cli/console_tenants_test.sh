#!/usr/bin/env bash
# The superadmin's tenant pages of the console (tests/browser/tenants.mjs):
# the create wizard (a refused slug shown by its field, then a tenant made
# through its provisioning job), a tenant's tabs (hostnames, services,
# backups with their job, download and a restore as a new tenant, the
# usage chart, audit, credits, subscription, a move refused),
# impersonation (refused without a reason) and delete (the slug typed).
# Then curl checks that what the browser did reached the API. SQLite
# only, as console_test.sh.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = sqlite ] || skip "the console tests run on SQLite only"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme doomed
eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/doomed")" 200 "doomed made"
DOOMED=$(jq -r .id "$T/body")

browser_run tenants.mjs
for s in tenant-create tenant-backups tenant-usage tenant-delete; do
  [ -s "$T/screens/$s.png" ] || fail "no screenshot $s"; pass
done

A="Authorization: Bearer $ROOT"
# the wizard's tenant, with its first admin and the services left as made
eq "$(get -H "$A" "$BASE/v1/tenants/initech")" 200 "initech exists"
eq "$(jq -r .status "$T/body")" active "initech active"
eq "$(jq -r .name "$T/body")" "Initech Corp" "initech's name"
eq "$(jq -c .services "$T/body")" '["auth","crm"]' "crm on, billing enabled and disabled again"
eq "$(post --data '{"tenant":"initech","email":"admin@initech.test","password":"admin-password-1"}' "$BASE/v1/auth/login")" 200 "its first admin signs in"
eq "$(get -H "$A" "$BASE/v1/tenants/initech/hostnames")" 200 "hostnames"
eq "$(jq '.items | length' "$T/body")" 0 "the hostname added was removed"
eq "$(get -H "$A" "$BASE/v1/tenants/initech/backups")" 200 "backups"
eq "$(jq -r '[.items[] | select(.status == "ready")] | length' "$T/body")" 1 "one backup, ready"
eq "$(get -H "$A" "$BASE/v1/tenants/initech-copy")" 200 "the backup restored as a new tenant"
eq "$(jq -r .status "$T/body")" active "initech-copy active"
eq "$(get -H "$A" "$BASE/v1/tenants/initech/subscription")" 200 "subscription"
eq "$(jq -r .plan "$T/body")" pro "initech moved to pro"
eq "$(get -H "$A" -H "X-Tenant: initech" "$BASE/v1/credits")" 200 "credits"
eq "$(jq -r .balance "$T/body")" 250 "the credits granted"
eq "$(get -H "$A" "$BASE/v1/admin/audit?tenant=initech&limit=200")" 200 "audit"
for a in tenant.create tenant.backup tenant.impersonate; do
  eq "$(jq --arg a "$a" '[.items[] | select(.action == $a)] | length > 0' "$T/body")" true "audited: $a"
done
expect_contains "$T/body" "support ticket 42"
eq "$(get -H "$A" "$BASE/v1/tenants/initech/impersonations")" 200 "impersonations"
eq "$(jq -r '.items | length' "$T/body")" 1 "one impersonation (the one without a reason was refused)"
eq "$(jq -r '.items[0].state' "$T/body")" revoked "ended from the console"
# the move route the console's Move… calls: refusals change nothing
eq "$(post -H "$A" --data '{}' "$BASE/v1/tenants/acme/move")" 400 "move without a target"
eq "$(jq -r .code "$T/body")" invalid_request "move: to is required"
eq "$(post -H "$A" --data '{"to":"sqlite","x":1}' "$BASE/v1/tenants/acme/move")" 400 "move: unknown field"
eq "$(post -H "$A" --data '{"to":"sqlite"}' "$BASE/v1/tenants/acme/move")" 409 "move to where it is"
eq "$(jq -r .code "$T/body")" same_placement "move: same placement"
eq "$(post -H "$A" --data '{"to":"postgres"}' "$BASE/v1/tenants/acme/move")" 404 "move to postgres with none registered"
eq "$(jq -r .code "$T/body")" server_not_found "move: no server"
# the superadmin's user and key, made in initech's Users and API keys tabs
eq "$(get -H "$A" -H 'X-Tenant: initech' "$BASE/v1/auth/users")" 200 "initech's users"
eq "$(jq -r '.items[] | select(.email == "zed@initech.test") | .role' "$T/body")" client "the user added in the tab"
eq "$(get -H "$A" -H 'X-Tenant: initech' "$BASE/v1/auth/api-keys")" 200 "initech's keys"
eq "$(jq -r '.items[] | select(.name == "ops") | .role' "$T/body")" manager "the key made in the tab"
eq "$(get -H "$A" "$BASE/v1/admin/jobs?kind=tenant.move")" 200 "move jobs"
eq "$(jq '.items | length' "$T/body")" 0 "no move queued by a refusal"
# doomed: deleted by typing its slug
eq "$(get -H "$A" "$BASE/v1/tenants/$DOOMED")" 404 "doomed is gone"
eq "$(get -H "$A" "$BASE/v1/tenants?status=deleted")" 200 "tombstones"
eq "$(jq -r --arg id "$DOOMED" '.items[] | select(.id == $id) | .status' "$T/body")" deleted "doomed's tombstone"
assert_tenant_gone "$DOOMED"
eq "$(get -H "$A" "$BASE/v1/tenants/acme")" 200 "acme untouched"
eq "$(jq -r .status "$T/body")" active "acme active"
done_ok
