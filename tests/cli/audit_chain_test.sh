#!/usr/bin/env bash
# The audit log: every tenant write reaches it through the outbox drain of
# `tenantd serve` (with who, from where, which request), failed logins and
# refusals are audited, operators' job changes too; GET /v1/admin/audit and
# /v1/audit filter and page it (a tenant admin sees its own tenant only);
# bad filters are 400 with stable codes; `tenantd audit verify` holds on
# the untouched log and names the first record changed or removed behind
# its back (exit 1).
. "$(dirname "$0")/lib.sh"
td_init
export TENANTD_DRAIN_INTERVAL_MS=100
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
H=(-H "Authorization: Bearer $ROOT")
tenants_with_admins acme beta
ACME=$(td tenant show acme --json | jq -r .id)
BETA=$(td tenant show beta --json | jq -r .id)
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
ADA_ID=$(jq -r .user.id "$T/login")
BEA=$(login '{"tenant":"beta","email":"admin@beta.test","password":"admin-password-1"}')
A=(-H "Authorization: Bearer $ADA")

# outbox records of a tenant in the catalog
drained() { catalog_sql "SELECT count(*) FROM audit_log WHERE tenant_id = '$1' AND source IS NOT NULL"; }
# wait_for SQL WANT: polls the catalog (the drain runs every 100 ms)
wait_for() {
  local i
  for i in $(seq 1 100); do [ "$(catalog_sql "$1")" = "$2" ] && { pass; return; }; sleep 0.1; done
  fail "catalog: '$1' is $(catalog_sql "$1"), expected $2"
}

# ---- writes become records: actor, address, request id ----
eq "$(post "${A[@]}" -H 'X-Request-Id: req-create-1' --data '{"name":"Globex"}' "$BASE/v1/crm/customers")" 201 "create"
CUST=$(jq -r .id "$T/body")
eq "$(call PATCH "${A[@]}" -H 'X-Request-Id: req-update-1' --data '{"name":"Globex 2"}' "$BASE/v1/crm/customers/$CUST")" 200 "update"
eq "$(call DELETE "${A[@]}" -H 'X-Request-Id: req-delete-1' "$BASE/v1/crm/customers/$CUST")" 204 "delete"
wait_for "SELECT count(*) FROM audit_log WHERE tenant_id = '$ACME' AND service = 'crm'" 3
eq "$(get "${H[@]}" "$BASE/v1/admin/audit?tenant=acme&resource=customers")" 200 "admin audit"
eq "$(jq -r '[.items[].action] | join(",")' "$T/body")" "delete,update,create" "newest first"
eq "$(jq -r '.items[2] | [.actor_kind, .actor_id, .client_addr, .request_id, .row_id, .outcome, .service] | join(" ")' "$T/body")" \
   "user $ADA_ID 127.0.0.1 req-create-1 $CUST ok crm" "who, from where, which request"
eq "$(jq -r '.items[0].source' "$T/body")" "outbox:$ACME:crm:3" "the outbox row it came from"
# the first admin (written while provisioning) is a record too
eq "$(get "${H[@]}" "$BASE/v1/admin/audit?tenant=$ACME&resource=users")" 200 "users records"
eq "$(jq -r '.items[0] | .actor_kind + " " + .action' "$T/body")" "system create" "the first admin"
# the outbox is emptied once drained
eq "$(tenant_sql "$ACME" crm "SELECT count(*) FROM @ob")" 0 "drained outbox rows leave the tenant"

# ---- refusals: failed logins and forbidden requests (buffered, appended by the tick) ----
eq "$(post --data '{"tenant":"acme","email":"admin@acme.test","password":"wrong-password-1"}' "$BASE/v1/auth/login")" 401 "failed login"
eq "$(post -H "Authorization: Bearer $BEA" -H 'X-Tenant: acme' --data '{"name":"x"}' "$BASE/v1/crm/customers")" 403 "beta's admin in acme"
wait_for "SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND tenant_id = '$ACME' AND outcome = 'refused'" 1
wait_for "SELECT count(*) FROM audit_log WHERE action = 'access_refused' AND tenant_id = '$BETA' AND detail = 'tenant_mismatch'" 1
eq "$(get -H "Authorization: Bearer $BEA" "$BASE/v1/audit?action=access_refused")" 200 "beta sees its refusal"
expect_not_contains "$T/body" "$ACME"

# ---- filters and pages ----
for i in 1 2 3 4 5; do post "${A[@]}" --data "{\"name\":\"c$i\"}" "$BASE/v1/crm/customers" >/dev/null; done
wait_for "SELECT count(*) FROM audit_log WHERE tenant_id = '$ACME' AND service = 'crm'" 8
eq "$(get "${H[@]}" "$BASE/v1/admin/audit?actor=$ADA_ID&resource=customers&limit=3")" 200 "first page"
eq "$(jq '.items | length' "$T/body")" 3 "three per page"
seen=$(jq -r '.items[].id' "$T/body"); cursor=$(jq -r .next_cursor "$T/body")
while [ "$cursor" != null ]; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/audit?actor=$ADA_ID&resource=customers&limit=3&cursor=$cursor")" 200 "next page"
  seen="$seen $(jq -r '.items[].id' "$T/body")"; cursor=$(jq -r .next_cursor "$T/body")
done
eq "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" 8 "pages cover ada's 8 writes once"
eq "$(get "${H[@]}" "$BASE/v1/admin/audit?from=2999-01-01T00:00:00Z")" 200 "from the future"
eq "$(jq '.items | length' "$T/body")" 0 "nothing yet"
eq "$(get "${H[@]}" "$BASE/v1/admin/audit?to=2000-01-01&tenant=beta")" 200 "to the past"
eq "$(jq '.items | length' "$T/body")" 0 "nothing then"
for q in limit=0 limit=1001 limit=abc from=yesterday to=2026-13-01 actor=; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/audit?$q")" 400 "bad filter $q"
  eq "$(jq -r .code "$T/body")" invalid_filter "code for $q"
done
for c in zzz 12.nope "-1.$ACME" 5; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/audit?cursor=$c")" 400 "bad cursor $c"
  eq "$(jq -r .code "$T/body")" invalid_cursor "code for cursor $c"
done
eq "$(get "${H[@]}" "$BASE/v1/admin/audit?tenant=nobody-here")" 404 "unknown tenant"
eq "$(jq -r .code "$T/body")" tenant_not_found "code for an unknown tenant"

# ---- a tenant admin: its own tenant only ----
eq "$(get "${A[@]}" "$BASE/v1/audit")" 200 "ada's audit"
eq "$(jq -r '[.items[].tenant_id] | unique | join(",")' "$T/body")" "$ACME" "acme's records only"
eq "$(get "${A[@]}" "$BASE/v1/audit?tenant=beta")" 404 "another tenant's audit"
eq "$(jq -r .code "$T/body")" tenant_not_found "as if it did not exist"
eq "$(get "${A[@]}" "$BASE/v1/audit?tenant=$BETA")" 404 "by id too"
eq "$(get "${A[@]}" "$BASE/v1/audit?tenant=acme&limit=2")" 200 "naming its own"
eq "$(get "${A[@]}" "$BASE/v1/admin/audit")" 403 "not the platform's"
eq "$(get "${H[@]}" -H 'X-Tenant: beta' "$BASE/v1/audit?tenant=acme")" 404 "a superadmin in beta names acme"
stop_server

# ---- the CLI; operators' changes of the catalog: a job cancelled ----
expect_rc 0 td jobs add sessions.cleanup --json
JOB=$(jq -r .id "$T/out")
expect_rc 0 td jobs cancel "$JOB"
expect_rc 0 td audit list --tenant system --action job.cancel --json
eq "$(jq -r '.items[0] | [.actor_kind, .row_id, .tenant_id // "platform"] | join(" ")' "$T/out")" "cli $JOB platform" "job.cancel by the CLI, in the platform's chain"
expect_rc 0 td audit list --tenant acme --resource customers --limit 2 --json
eq "$(jq '.items | length' "$T/out")" 2 "list --limit"
[ "$(jq -r .next_cursor "$T/out")" != null ] || fail "a next page"; pass
expect_rc 0 td audit list --tenant acme --since 2000-01-01T00:00:00Z --until 2999-01-01T00:00:00Z
expect_contains "$T/out" customers
expect_rc 1 td audit list --limit 0
expect_contains "$T/err" invalid_filter
expect_rc 1 td audit list --cursor nonsense
expect_contains "$T/err" invalid_cursor
expect_rc 2 td audit list --bogus
expect_rc 2 td audit verify --action x
expect_rc 2 td audit frobnicate
expect_rc 0 td audit verify --json
eq "$(jq -r .ok "$T/out")" true "the untouched log holds"
chains=$(jq -r .chains "$T/out"); records=$(jq -r .records "$T/out")
[ "$chains" -ge 3 ] && [ "$records" -ge 15 ] || fail "counts: $chains chains, $records records"; pass
[ "$(jq -r .anchors "$T/out")" -ge 1 ] || fail "no anchor"; pass
expect_rc 0 td audit verify --tenant acme
expect_contains "$T/out" "ok: 1 chains"

# ---- tampering is found (by the CLI and over HTTP) ----
start_server
H=(-H "Authorization: Bearer $(login '{"email":"root@example.com","password":"root-password-1"}')")
A=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')")
eq "$(get "${H[@]}" "$BASE/v1/admin/audit/verify")" 200 "verify over HTTP"
eq "$(jq -r '.ok' "$T/body")" true "the untouched log holds"
catalog_exec "UPDATE audit_log SET detail = 'edited' WHERE tenant_id = '$ACME' AND seq = 3"
expect_rc 1 td audit verify
expect_contains "$T/out" "broken: chain $ACME, seq 3: hash does not match"
expect_rc 1 td audit verify --tenant acme --json
eq "$(jq -r '.ok, .seq' "$T/out" | tr '\n' ' ')" "false 3 " "verify --json names it"
expect_rc 0 td audit verify --tenant beta
eq "$(get "${H[@]}" "$BASE/v1/admin/audit/verify")" 200 "verify over HTTP again"
eq "$(jq -r '[.ok, .tenant_id, .seq, .reason] | map(tostring) | join(" ")' "$T/body")" "false $ACME 3 hash does not match the record's content" "it names the broken record"
eq "$(get "${H[@]}" "$BASE/v1/admin/audit/verify?tenant=beta")" 200 "one tenant's chain"
eq "$(jq -r '.ok' "$T/body")" true "beta's holds"
eq "$(get "${H[@]}" "$BASE/v1/admin/audit/verify?tenant=nosuch")" 404 "an unknown tenant"
eq "$(get "${A[@]}" "$BASE/v1/admin/audit/verify")" 403 "a tenant admin may not"
stop_server
catalog_exec "UPDATE audit_log SET detail = NULL WHERE tenant_id = '$ACME' AND seq = 3"
expect_rc 0 td audit verify
catalog_exec "DELETE FROM audit_log WHERE tenant_id = '$ACME' AND seq = 4"
expect_rc 1 td audit verify
expect_contains "$T/out" "seq 4: record missing"
done_ok
