#!/usr/bin/env bash
# The console's platform pages (fleet, jobs, schedules, audit, summaries),
# driven in Debian's chromium by tests/browser/ops.mjs: the fleet's
# servers with their latency and a failed tenant's Retry; a backup job
# followed live to `succeeded`; a job waiting for its retry cancelled and
# a failed one retried; a schedule created, changed and deleted; the audit
# log filtered by action and paged, its chains verified; the per-service
# and per-tenant summaries and usage drawn as charts. Then curl checks
# that what the browser did reached the API. SQLite only, as console_test.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = sqlite ] || skip "the console tests run on SQLite only"
FIX=$(cd "$(dirname "$0")" && pwd)/fixtures/ext_service
# an operator's service whose migration fails: a tenant using it is `failed`
mkdir -p "$T/broken"
cp -r "$FIX/helpdesk" "$T/broken/"
echo 'INSERT INTO no_such_table VALUES (1);' >>"$T/broken/helpdesk/migrations/sqlite/0001_init.sql"
td_init
# figures drained and usage flushed within a fraction of a second; a failed
# job waits an hour for its next attempt (it stays `queued`: the browser
# cancels it)
export TENANTD_DRAIN_INTERVAL_MS=200 TENANTD_USAGE_FLUSH_MS=200 TENANTD_JOB_BACKOFF_MS=3600000
TENANTD_SERVICES_DIR=$T/broken start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")

# ---- what the pages show --------------------------------------------------------
for s in alpha beta gamma; do
  eq "$(post "${R[@]}" --data "{\"slug\":\"$s\",\"services\":[\"crm\"]}" "$BASE/v1/tenants")" 201 "tenant $s"
done
code=$(post "${R[@]}" --data '{"slug":"desk","services":["helpdesk"]}' "$BASE/v1/tenants")
[ "$code" -ge 500 ] || fail "a tenant whose migration fails: $code"; pass
# 5 customers in alpha, 25 in beta: rows, writes, usage, and 35 `create`
# audit records (the browser pages through them 20 at a time)
args=()
for k in $(seq 1 30); do
  t=beta; [ "$k" -le 5 ] && t=alpha
  args+=(--next -sS -o /dev/null "${R[@]}" -H "X-Tenant: $t" -H 'Content-Type: application/json'
         --data "{\"name\":\"c$k\"}" "$BASE/v1/crm/customers")
done
curl "${args[@]:1}"
eq "$(post "${R[@]}" --data '{"name":"nightly-alpha","schedule":"0 3 * * *","kind":"tenant.backup","payload":{"tenant":"alpha","keep":3}}' "$BASE/v1/admin/cron")" 201 "a schedule"
# a job that fails (no such tenant) and waits an hour for its second
# attempt, and one that fails for good
expect_rc 0 td jobs add tenant.backup --payload '{"tenant":"nope"}' --max-attempts 3 --json
WAITING=$(jq -r .id "$T/out")
expect_rc 0 td jobs add tenant.backup --payload '{"tenant":"nope2"}' --max-attempts 1 --json
FAILED=$(jq -r .id "$T/out")
# wait for the drain, the usage flush and the two jobs' first attempts
for i in $(seq 1 100); do
  get "${R[@]}" "$BASE/v1/admin/summary/services" >/dev/null
  rows=$(jq '[.items[] | select(.service == "crm") | .rows] | add // 0' "$T/body")
  get "${R[@]}" "$BASE/v1/admin/jobs/$WAITING" >/dev/null; w=$(jq -r '"\(.state) \(.attempts)"' "$T/body")
  get "${R[@]}" "$BASE/v1/admin/jobs/$FAILED" >/dev/null; f=$(jq -r .state "$T/body")
  [ "$rows" -ge 30 ] && [ "$w" = "queued 1" ] && [ "$f" = failed ] && break
  sleep 0.1
done
[ "$rows" -ge 30 ] || fail "crm rows not summed: $rows"; pass
eq "$w" "queued 1" "the failed job waits for its retry"
eq "$f" failed "the job with one attempt failed"

# ---- the browser ----------------------------------------------------------------
browser_run ops.mjs
for s in fleet jobs job-detail cron audit summaries; do
  [ -s "$T/screens/$s.png" ] || fail "no screenshot $s"; pass
done

# ---- what the browser did reached the API -----------------------------------------
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
eq "$(get "${R[@]}" "$BASE/v1/admin/jobs/$WAITING")" 200 "the waiting job"
eq "$(jq -r .state "$T/body")" cancelled "cancelled by the console"
eq "$(get "${R[@]}" "$BASE/v1/admin/audit?action=job.retry")" 200 "job retries"
eq "$(jq -r '[.items[] | select(.row_id == "'"$FAILED"'")] | length' "$T/body")" 1 "the failed job retried by the console"
eq "$(get "${R[@]}" "$BASE/v1/admin/cron/ui-sched")" 404 "the console's schedule deleted"
eq "$(get "${R[@]}" "$BASE/v1/admin/audit?action=cron.update")" 200 "schedule updates"
eq "$(jq -r '[.items[] | select(.row_id == "ui-sched")] | length' "$T/body")" 2 "disabled, then rescheduled"
eq "$(get "${R[@]}" "$BASE/v1/admin/audit?action=cron.delete")" 200 "schedule deletes"
eq "$(jq -r '.items[0].row_id' "$T/body")" ui-sched "deleted by the console"
eq "$(get "${R[@]}" "$BASE/v1/admin/cron/nightly-alpha")" 200 "the other schedule stays"
eq "$(get "${R[@]}" "$BASE/v1/admin/audit?action=tenant.retry&tenant=desk")" 200 "tenant retries"
eq "$(jq -r '.items | length' "$T/body")" 1 "the failed tenant's retry, from the fleet page"
done_ok
