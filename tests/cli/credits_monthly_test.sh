#!/usr/bin/env bash
# The credits.monthly job grants each active tenant its plan's included
# credits for the month, once: a second run (or a resumed one) grants
# nothing more; a suspended tenant and a plan without included credits get
# nothing. The plans table is catalog migration 0015 (another part of
# issue 13): where it is not there yet, the test makes the two columns the
# job reads (code, included_credits); where it is, it sets them.
. "$(dirname "$0")/lib.sh"
td_init
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme beta gamma
stop_server

if [ "$(catalog_sql "SELECT count(*) FROM td_migrations WHERE scope = 'catalog' AND version = 15")" = 0 ]; then
  catalog_exec "CREATE TABLE plans (code TEXT PRIMARY KEY, included_credits INTEGER)"
  catalog_exec "INSERT INTO plans (code, included_credits) VALUES ('pro', 30), ('free', 0)"
else
  catalog_exec "UPDATE plans SET included_credits = 30 WHERE code = 'pro'"
  catalog_exec "UPDATE plans SET included_credits = 0 WHERE code = 'free'"
fi
catalog_exec "UPDATE tenants SET plan = 'pro' WHERE slug IN ('acme', 'gamma')"
catalog_exec "UPDATE tenants SET plan = 'free' WHERE slug = 'beta'"
expect_rc 0 td tenant suspend gamma
eq "$(catalog_sql "SELECT schedule || ' ' || kind FROM cron_jobs WHERE name = 'credits.monthly'")" "0 0 1 * * credits.monthly" "the schedule is seeded"

run_job() {
  expect_rc 0 td jobs add credits.monthly --json
  local job; job=$(jq -r .id "$T/out")
  expect_rc 0 td jobs run --once
  expect_rc 0 td jobs show "$job" --json
  eq "$(jq -r .state "$T/out")" succeeded "the job succeeded"
}
MONTH=$(date -u +%Y-%m)
run_job
eq "$(jq -r .progress.done "$T/out")" 1 "one tenant granted"
expect_rc 0 td credits show acme --json
eq "$(jq -r '.balance, .items[0].reason, .items[0].reference, .items[0].actor_kind' "$T/out" | tr '\n' ' ')" "30 included $MONTH job " "acme got its plan's credits for the month"
expect_rc 0 td credits show beta --json
eq "$(jq -r .balance "$T/out")" 0 "a plan without included credits gives none"
expect_rc 0 td credits show gamma --json
eq "$(jq -r .balance "$T/out")" 0 "a suspended tenant gets none"

run_job
eq "$(jq -r .progress.done "$T/out")" 0 "the second run grants nothing"
expect_rc 0 td credits show acme --json
eq "$(jq -r '.balance, (.items|length)' "$T/out" | tr '\n' ' ')" "30 1 " "once per month"
eq "$(catalog_sql "SELECT count(*) FROM audit_log WHERE action = 'credits.included'")" 1 "audited once, actor job"
done_ok
