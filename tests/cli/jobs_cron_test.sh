#!/usr/bin/env bash
# Job schedules: /v1/admin/cron CRUD with its stable error codes, and a due
# schedule fired by `tenantd jobs run --once` — once per run, its job run
# to the end. The next run is moved into the past in the catalog instead of
# waiting for a minute to turn.
. "$(dirname "$0")/lib.sh"
td_init

TENANTD_JOB_WORKERS=0 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
H=(-H "Authorization: Bearer $ROOT")
C="$BASE/v1/admin/cron"

# (the seeded schedules, usage.rollup…, are there from the start)
eq "$(get "${H[@]}" "$C")" 200 "the seeded schedules only"
eq "$(jq '[.items[] | select(.name == "nightly" or .name == "x")] | length' "$T/body")" 0 "none of this test's"
eq "$(post "${H[@]}" "$C" --data '{"name":"nightly","schedule":"0 3 * * *","kind":"sessions.cleanup"}')" 201 "create"
eq "$(jq -r .enabled "$T/body")" true "enabled by default"
next=$(jq -r .next_run "$T/body")
case "$next" in *T03:00:00.000Z) pass ;; *) fail "next run at 03:00 UTC, got $next" ;; esac
eq "$(post "${H[@]}" "$C" --data '{"name":"nightly","schedule":"0 3 * * *","kind":"sessions.cleanup"}')" 409 "name taken"
eq "$(jq -r .code "$T/body")" cron_exists "code for a taken name"
for body in '{"name":"x","schedule":"61 * * * *","kind":"sessions.cleanup"}' \
            '{"name":"x","schedule":"* * * *","kind":"sessions.cleanup"}' \
            '{"name":"x","schedule":"0 0 30 2 *","kind":"sessions.cleanup"}'; do
  eq "$(post "${H[@]}" "$C" --data "$body")" 400 "bad schedule $body"
  eq "$(jq -r .code "$T/body")" invalid_cron_expression "code for $body"
done
eq "$(post "${H[@]}" "$C" --data '{"name":"x","schedule":"* * * * *","kind":"no.such"}')" 400 "unknown kind"
eq "$(jq -r .code "$T/body")" unknown_job_kind "code for an unknown kind"
eq "$(post "${H[@]}" "$C" --data '{"name":"Bad Name","schedule":"* * * * *","kind":"sessions.cleanup"}')" 400 "bad name"
eq "$(jq -r .code "$T/body")" invalid_cron_name "code for a bad name"
eq "$(post "${H[@]}" "$C" --data '{"name":"x","schedule":"* * * * *","kind":"sessions.cleanup","payload":[1]}')" 400 "bad payload"
eq "$(post "${H[@]}" "$C" --data '{"name":"x","schedule":"* * * * *","kind":"sessions.cleanup","extra":1}')" 400 "unknown field"
eq "$(get "${H[@]}" "$C")" 200 "list"
eq "$(jq -r '[.items[].name | select(. == "nightly" or . == "x")] | join(",")' "$T/body")" nightly "bad input created nothing"

eq "$(call PATCH "${H[@]}" "$C/nightly" --data '{"schedule":"0 0 1 1 *"}')" 200 "change the schedule"
eq "$(jq -r .schedule "$T/body")" "0 0 1 1 *" "new schedule"
eq "$(call PATCH "${H[@]}" "$C/nightly" --data '{"schedule":"nope"}')" 400 "bad change"
eq "$(jq -r .code "$T/body")" invalid_cron_expression "code for a bad change"
eq "$(get "${H[@]}" "$C/nightly")" 200 "get"
eq "$(jq -r .schedule "$T/body")" "0 0 1 1 *" "a bad change changed nothing"
eq "$(get "${H[@]}" "$C/nope")" 404 "unknown schedule"
eq "$(jq -r .code "$T/body")" cron_not_found "code for an unknown schedule"
eq "$(call PATCH "${H[@]}" "$C/nope" --data '{"enabled":false}')" 404 "change an unknown schedule"
eq "$(call DELETE "${H[@]}" "$C/nope")" 404 "delete an unknown schedule"

# Due (runs missed while no worker ran): one job, however many runs passed.
# (A yearly schedule: its next run is never a moment away, so the second
# "run --once" below cannot meet a new run on a slow machine.)
catalog_exec "UPDATE cron_jobs SET next_run = 1000 WHERE name = 'nightly'"
expect_rc 0 td jobs run --once
expect_rc 0 td jobs list --kind sessions.cleanup --json
eq "$(jq '.items | length' "$T/out")" 1 "one job queued by the schedule"
eq "$(jq -r '.items[0].state' "$T/out")" succeeded "and run"
eq "$(jq -r '.items[0].created_by' "$T/out")" cron "made by cron"
eq "$(catalog_exec "SELECT count(*) FROM cron_job_executions WHERE cron_name = 'nightly'")" 1 "one execution recorded"
eq "$(get "${H[@]}" "$C/nightly")" 200 "get after firing"
[ "$(jq -r .next_run "$T/body")" \> "2026" ] || fail "next run moved ahead"; pass
expect_rc 0 td jobs run --once
expect_rc 0 td jobs list --kind sessions.cleanup --json
eq "$(jq '.items | length' "$T/out")" 1 "not fired again before its next run"

# Disabled schedules do not fire.
eq "$(call PATCH "${H[@]}" "$C/nightly" --data '{"enabled":false}')" 200 "disable"
catalog_exec "UPDATE cron_jobs SET next_run = 1000 WHERE name = 'nightly'"
expect_rc 0 td jobs run --once
expect_rc 0 td jobs list --kind sessions.cleanup --json
eq "$(jq '.items | length' "$T/out")" 1 "a disabled schedule does not fire"
eq "$(call DELETE "${H[@]}" "$C/nightly")" 204 "delete"
eq "$(get "${H[@]}" "$C/nightly")" 404 "gone"
done_ok
