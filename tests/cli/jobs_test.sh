#!/usr/bin/env bash
# The job queue: `tenantd jobs` and /v1/admin/jobs, and sessions.cleanup
# killed -9 at every step (TENANTD_FAULT points job_step_unrecorded:N and
# job_step_recorded:N, compiled into the test build): after its lease ends
# `tenantd jobs run --once` resumes it and it finishes the same way. Leases
# are short (TENANTD_JOB_LEASE_MS) so that nothing waits long; no duration
# is asserted.
. "$(dirname "$0")/lib.sh"
td_init
export TENANTD_JOB_LEASE_MS=300

for s in t1 t2; do
  echo 'admin-password-1' | td tenant create "$s" --admin-email "admin@$s.test" --admin-password-stdin >/dev/null
done
TIDS=$(td tenant list --json | jq -r '.[].id' | sort)

PAST=2000-01-01T00:00:00.000Z
FUTURE=2999-01-01T00:00:00.000Z
ADMIN=$(catalog_exec "SELECT id FROM platform_admins LIMIT 1")
n=0
# session ID EXPIRES: a platform session and, in every tenant, a session
# of its first user, with that id and expiry.
session() {
  catalog_exec "INSERT INTO platform_sessions (id, admin_id, family_id, refresh_hash, expires_at, created_at)
           VALUES ('$1', '$ADMIN', 'f', 'h-$1', '$2', '$PAST')"
  for tid in $TIDS; do
    uid=$(tenant_exec "$tid" auth "SELECT id FROM @s.users LIMIT 1")
    tenant_exec "$tid" auth "INSERT INTO @s.sessions (id, user_id, family_id, refresh_hash, expires_at, created_at, updated_at)
                     VALUES ('$1', '$uid', 'f', 'h-$1', '$2', '$PAST', '$PAST')"
  done
}
# Adds one expired session everywhere, and an expired revocation.
seed() {
  n=$((n + 1))
  session "old$n" "$PAST"
  catalog_exec "INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES ('jti:old$n', 1, 1)"
}
seed
session live "$FUTURE"
# revoked_tokens.expires_at is in seconds: one that ends in an hour stays
catalog_exec "INSERT INTO revoked_tokens (jti, expires_at, revoked_at) VALUES ('jti:live', $(( $(date +%s) + 3600 )), 1)"

# What the clean-up leaves: no expired row anywhere, every live one kept.
assert_clean() {
  eq "$(catalog_exec "SELECT count(*) FROM platform_sessions WHERE expires_at < '2100-01-01'")" 0 "expired platform sessions ($1)"
  eq "$(catalog_exec "SELECT count(*) FROM platform_sessions WHERE id = 'live'")" 1 "live platform session ($1)"
  eq "$(catalog_exec "SELECT count(*) FROM revoked_tokens WHERE jti LIKE 'jti:old%'")" 0 "expired revocations ($1)"
  eq "$(catalog_exec "SELECT count(*) FROM revoked_tokens WHERE jti = 'jti:live'")" 1 "live revocation ($1)"
  for tid in $TIDS; do
    eq "$(tenant_exec "$tid" auth "SELECT count(*) FROM @s.sessions WHERE id LIKE 'old%'")" 0 "expired sessions of $tid ($1)"
    eq "$(tenant_exec "$tid" auth "SELECT count(*) FROM @s.sessions WHERE id = 'live'")" 1 "live session of $tid ($1)"
  done
}

# Runs due jobs until job $1 has succeeded (its lease has to end first).
finish() {
  local i
  for i in $(seq 1 100); do
    expect_rc 0 td jobs run --once
    expect_rc 0 td jobs show "$1" --json
    [ "$(jq -r .state "$T/out")" = succeeded ] && return 0
    sleep 0.1
  done
  cat "$T/out" >&2; fail "job $1 did not finish"
}

# ---- the CLI ----
expect_rc 0 td jobs add sessions.cleanup --json
JOB=$(jq -r .id "$T/out")
eq "$(jq -r .state "$T/out")" queued "a new job is queued"
eq "$(jq -r .max_attempts "$T/out")" 5 "default attempts"
expect_rc 1 td jobs add no.such.kind
expect_contains "$T/err" unknown_job_kind
expect_rc 1 td jobs add sessions.cleanup --payload '[1]'
expect_contains "$T/err" invalid_payload
expect_rc 1 td jobs list --state bogus
expect_contains "$T/err" invalid_filter
expect_rc 1 td jobs list --kind no.such.kind
expect_contains "$T/err" invalid_filter
expect_rc 1 td jobs list --cursor nonsense
expect_contains "$T/err" invalid_cursor
expect_rc 1 td jobs show 01a24d8c-2fc6-7543-81cc-91bfbc4fd994
expect_contains "$T/err" job_not_found
expect_rc 2 td jobs show
expect_rc 2 td jobs frobnicate

expect_rc 0 td jobs run --once
expect_rc 0 td jobs show "$JOB" --json
eq "$(jq -r .state "$T/out")" succeeded "jobs run --once runs the due job"
eq "$(jq -r .attempts "$T/out")" 1 "in one attempt"
eq "$(jq -r .progress.step "$T/out")" 3 "platform + one step per tenant"
eq "$(jq -r .progress.done "$T/out")" 2 "both tenants done"
eq "$(jq -r .progress.lease_owner "$T/out")" null "no lease once finished"
assert_clean "first run"
expect_rc 0 td jobs list
expect_contains "$T/out" "$JOB"
expect_contains "$T/out" succeeded

# ---- killed -9 at every step, before and after its record ----
for point in job_step_unrecorded job_step_recorded; do
  for step in 1 2 3; do
    seed
    expect_rc 0 td jobs add sessions.cleanup --json
    id=$(jq -r .id "$T/out")
    set +e
    TENANTD_FAULT="$point:$step" "$TD_BIN" jobs run --once --data "$DATA" >/dev/null 2>&1
    rc=$?
    set -e
    eq "$rc" 137 "worker killed at $point:$step"
    expect_rc 0 td jobs show "$id" --json
    eq "$(jq -r .state "$T/out")" running "still running after the kill at $point:$step"
    want=$((step - 1)); [ "$point" = job_step_recorded ] && want=$step
    eq "$(jq -r .progress.step "$T/out")" "$want" "last recorded step after $point:$step"
    finish "$id"
    expect_rc 0 td jobs show "$id" --json
    eq "$(jq -r .attempts "$T/out")" 2 "resumed in a second attempt ($point:$step)"
    eq "$(jq -r .progress.step "$T/out")" 3 "all steps ($point:$step)"
    eq "$(jq -r .progress.done "$T/out")" 2 "all tenants ($point:$step)"
    assert_clean "$point:$step"
  done
done

# The resumed run starts after the recorded step: an expired platform
# session added after a kill past step 1 outlives the resumed job.
expect_rc 0 td jobs add sessions.cleanup --json
id=$(jq -r .id "$T/out")
set +e
TENANTD_FAULT=job_step_recorded:1 "$TD_BIN" jobs run --once --data "$DATA" >/dev/null 2>&1
set -e
catalog_exec "INSERT INTO platform_sessions (id, admin_id, family_id, refresh_hash, expires_at, created_at)
         VALUES ('late', '$ADMIN', 'f', 'h-late', '$PAST', '$PAST')"
finish "$id"
eq "$(catalog_exec "SELECT count(*) FROM platform_sessions WHERE id = 'late'")" 1 "step 1 not redone"
catalog_exec "DELETE FROM platform_sessions WHERE id = 'late'"

# A job whose worker is killed with no attempt left fails for good.
expect_rc 0 td jobs add sessions.cleanup --max-attempts 1 --json
id=$(jq -r .id "$T/out")
set +e
TENANTD_FAULT=job_step_recorded:1 "$TD_BIN" jobs run --once --data "$DATA" >/dev/null 2>&1
set -e
for i in $(seq 1 100); do
  expect_rc 0 td jobs run --once
  expect_rc 0 td jobs show "$id" --json
  [ "$(jq -r .state "$T/out")" = failed ] && break
  sleep 0.1
done
eq "$(jq -r .state "$T/out")" failed "no attempt left after the kill"
eq "$(jq -r .error "$T/out")" lease_expired "why it failed"
expect_rc 0 td jobs retry "$id" --json
eq "$(jq -r .state "$T/out")" queued "retry queues it again"
eq "$(jq -r .attempts "$T/out")" 0 "with fresh attempts"
finish "$id"

# ---- HTTP ----
TENANTD_JOB_WORKERS=0 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
ADA=$(login '{"tenant":"t1","email":"admin@t1.test","password":"admin-password-1"}')
H=(-H "Authorization: Bearer $ROOT")
eq "$(get "${H[@]}" "$BASE/v1/admin/jobs")" 200 "list jobs"
total=$(jq '.items | length' "$T/body")
[ "$total" -ge 9 ] || fail "expected every job, got $total"; pass
eq "$(get "${H[@]}" "$BASE/v1/admin/jobs?limit=2")" 200 "first page"
eq "$(jq '.items | length' "$T/body")" 2 "two per page"
seen=$(jq -r '.items[].id' "$T/body"); cursor=$(jq -r .next_cursor "$T/body")
while [ "$cursor" != null ]; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/jobs?limit=2&cursor=$cursor")" 200 "next page"
  seen="$seen $(jq -r '.items[].id' "$T/body")"; cursor=$(jq -r .next_cursor "$T/body")
done
eq "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" "$total" "pages cover every job once"
eq "$(get "${H[@]}" "$BASE/v1/admin/jobs?state=failed")" 200 "filter by state"
eq "$(jq '.items | length' "$T/body")" 0 "no failed job left"
eq "$(get "${H[@]}" "$BASE/v1/admin/jobs?kind=sessions.cleanup&state=succeeded")" 200 "filter by kind"
eq "$(jq '.items | length' "$T/body")" "$total" "every job succeeded"
for q in state=bogus kind=no.such.kind tenant=acme limit=0 limit=abc; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/jobs?$q")" 400 "bad filter $q"
  eq "$(jq -r .code "$T/body")" invalid_filter "code for $q"
done
eq "$(get "${H[@]}" "$BASE/v1/admin/jobs?cursor=zzz")" 400 "bad cursor"
eq "$(jq -r .code "$T/body")" invalid_cursor "code for a bad cursor"
eq "$(get "${H[@]}" "$BASE/v1/admin/jobs/$JOB")" 200 "one job"
eq "$(jq -r .progress.step "$T/body")" 3 "with its progress"
eq "$(get "${H[@]}" "$BASE/v1/admin/jobs/01a24d8c-2fc6-7543-81cc-91bfbc4fd994")" 404 "unknown job"
eq "$(jq -r .code "$T/body")" job_not_found "code for an unknown job"
eq "$(get "${H[@]}" "$BASE/v1/admin/jobs/nonsense")" 404 "not an id"
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/admin/jobs")" 403 "tenant admins see no jobs"
eq "$(get "$BASE/v1/admin/jobs")" 401 "anonymous"

expect_rc 0 td jobs add sessions.cleanup --json
id=$(jq -r .id "$T/out")
eq "$(post -H "Authorization: Bearer $ADA" "$BASE/v1/admin/jobs/$id/cancel")" 403 "tenant admins cancel nothing"
eq "$(post "${H[@]}" "$BASE/v1/admin/jobs/$id/retry")" 409 "a queued job is not retried"
eq "$(jq -r .code "$T/body")" job_not_retryable "code for retry"
eq "$(post "${H[@]}" "$BASE/v1/admin/jobs/$id/cancel")" 200 "cancel a queued job"
eq "$(jq -r .state "$T/body")" cancelled "cancelled"
eq "$(post "${H[@]}" "$BASE/v1/admin/jobs/$id/cancel")" 409 "cancel twice"
eq "$(jq -r .code "$T/body")" job_not_cancellable "code for cancel"
expect_rc 0 td jobs run --once
expect_rc 0 td jobs show "$id" --json
eq "$(jq -r .state "$T/out")" cancelled "a cancelled job never runs"
eq "$(post "${H[@]}" "$BASE/v1/admin/jobs/$id/retry")" 200 "retry a cancelled job"
eq "$(jq -r .state "$T/body")" queued "queued again"
eq "$(post "${H[@]}" "$BASE/v1/admin/jobs/01a24d8c-2fc6-7543-81cc-91bfbc4fd994/cancel")" 404 "cancel an unknown job"
stop_server

# The workers of `tenantd serve` run the queued job.
TENANTD_JOB_WORKERS=2 start_server
for i in $(seq 1 100); do
  eq "$(get "${H[@]}" "$BASE/v1/admin/jobs/$id")" 200 "poll the job"
  [ "$(jq -r .state "$T/body")" = succeeded ] && break
  sleep 0.1
done
eq "$(jq -r .state "$T/body")" succeeded "serve's workers ran the job"

# `tenantd jobs run` (no --once) is a worker process until SIGTERM.
stop_server
expect_rc 0 td jobs add sessions.cleanup --json
id=$(jq -r .id "$T/out")
TENANTD_JOB_WORKERS=0 "$TD_BIN" jobs run --data "$DATA" >"$T/worker.log" 2>&1 &
WORKER=$!
for i in $(seq 1 100); do
  expect_rc 0 td jobs show "$id" --json
  [ "$(jq -r .state "$T/out")" = succeeded ] && break
  sleep 0.1
done
eq "$(jq -r .state "$T/out")" succeeded "jobs run ran the job"
kill -TERM "$WORKER"
set +e; wait "$WORKER"; rc=$?; set -e
eq "$rc" 0 "jobs run stops cleanly on SIGTERM"
done_ok
