#!/usr/bin/env bash
# Asynchronous tenant provisioning: POST /v1/tenants?async=true answers
# 202 with the queued tenant.provision job (Location: the job) and the
# tenant in `provisioning`; a job worker creates its databases and first
# admin and makes it active. `tenantd tenant create --async` prints the
# job. The job's payload names the tenant only: the first admin's password
# is nowhere in the queue. A worker killed -9 at every step (fault points
# job_step_unrecorded:N / job_step_recorded:N) leaves a job the next
# worker finishes the same way; a provisioning that fails leaves the
# tenant `failed` with the reason, in the tenant and in the job.
. "$(dirname "$0")/lib.sh"
td_init
export TENANTD_JOB_LEASE_MS=300 TENANTD_JOB_BACKOFF_MS=100

# Runs due jobs until job $1 is in state $2.
until_state() {
  local i
  for i in $(seq 1 100); do
    expect_rc 0 td jobs run --once
    expect_rc 0 td jobs show "$1" --json
    [ "$(jq -r .state "$T/out")" = "$2" ] && return 0
    sleep 0.1
  done
  cat "$T/out" >&2; fail "job $1 did not reach $2"
}

# ---- the CLI ----
expect_rc 0 sh -c "echo 'ada-password-1' | '$TD_BIN' tenant create acme --services crm --admin-email ada@acme.test --admin-password-stdin --async --json --data '$DATA'"
JOB=$(jq -r .job.id "$T/out")
ACME=$(jq -r .tenant.id "$T/out")
eq "$(jq -r .job.kind "$T/out")" tenant.provision "the job's kind"
eq "$(jq -r .job.state "$T/out")" queued "queued"
eq "$(jq -r .job.tenant_id "$T/out")" "$ACME" "the job names the tenant"
eq "$(jq -c .job.payload "$T/out")" "{\"tenant_id\":\"$ACME\"}" "the payload is the tenant's id only"
eq "$(jq -r .tenant.status "$T/out")" provisioning "the tenant is provisioning"
eq "$(catalog_exec "SELECT count(*) FROM job_queue WHERE payload LIKE '%ada-password%'")" 0 "no password in the queue"
expect_rc 0 td tenant show acme --json
eq "$(jq -r .status "$T/out")" provisioning "shown as provisioning until the job runs"
until_state "$JOB" succeeded
eq "$(jq -r .progress.step "$T/out")" 3 "databases, first admin, active"
expect_rc 0 td tenant show acme --json
eq "$(jq -r .status "$T/out")" active "the job made it active"
expect_rc 0 td user list --tenant acme --json
eq "$(jq -r '.[0].email' "$T/out")" ada@acme.test "with its first admin"
expect_rc 0 td tenant create beta --async
expect_contains "$T/out" "is provisioning; job "
until_state "$(awk '{print $NF}' "$T/out")" succeeded

# ---- killed -9 at every step, before and after its record ----
n=0
for point in job_step_unrecorded job_step_recorded; do
  for step in 1 2 3; do
    n=$((n + 1))
    expect_rc 0 sh -c "echo 'kim-password-1' | '$TD_BIN' tenant create k$n --admin-email kim@k.test --admin-password-stdin --async --json --data '$DATA'"
    id=$(jq -r .job.id "$T/out")
    set +e
    TENANTD_FAULT="$point:$step" "$TD_BIN" jobs run --once --data "$DATA" >/dev/null 2>&1
    rc=$?
    set -e
    eq "$rc" 137 "worker killed at $point:$step"
    until_state "$id" succeeded
    eq "$(jq -r .attempts "$T/out")" 2 "resumed in a second attempt ($point:$step)"
    expect_rc 0 td tenant show "k$n" --json
    eq "$(jq -r .status "$T/out")" active "active after the kill at $point:$step"
    expect_rc 0 td user list --tenant "k$n" --json
    eq "$(jq length "$T/out")" 1 "one first admin after the kill at $point:$step"
  done
done

# ---- a provisioning that fails: the tenant and the job say why ----
if [ "$BACKEND" = sqlite ]; then
  expect_rc 0 td tenant create broken --async --json
  id=$(jq -r .job.id "$T/out"); tid=$(jq -r .tenant.id "$T/out")
  mkdir -p "$DATA/tenants"; touch "$DATA/tenants/$tid"   # no folder can be made there
  expect_rc 0 td jobs run --once
  expect_rc 0 td jobs show "$id" --json
  eq "$(jq -r .state "$T/out")" queued "a failed attempt is retried"
  [ "$(jq -r .error "$T/out")" != null ] || fail "the job says why"; pass
  expect_rc 0 td tenant show broken --json
  eq "$(jq -r .status "$T/out")" failed "the tenant is failed"
  [ "$(jq -r .error "$T/out")" != null ] || fail "the tenant says why"; pass
  rm "$DATA/tenants/$tid"
  until_state "$id" succeeded
  expect_rc 0 td tenant show broken --json
  eq "$(jq -r .status "$T/out")" active "the next attempt finishes it"
fi

# ---- HTTP ----
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
code=$(curl -sS -D "$T/headers" -o "$T/body" -w '%{http_code}' -X POST "${R[@]}" \
  --data '{"slug":"web","services":["crm"],"admin":{"email":"wes@web.test","password":"wes-password-1"}}' \
  "$BASE/v1/tenants?async=true")
eq "$code" 202 "async create is accepted"
WJOB=$(jq -r .job.id "$T/body")
eq "$(jq -r '.tenant.slug + " " + .tenant.status' "$T/body")" "web provisioning" "the tenant, provisioning"
eq "$(jq -r .job.kind "$T/body")" tenant.provision "with its job"
grep -qi "^location: /v1/admin/jobs/$WJOB" "$T/headers" || { cat "$T/headers"; fail "Location names the job"; }; pass
for _ in $(seq 1 100); do
  get "${R[@]}" "$BASE/v1/admin/jobs/$WJOB" >/dev/null
  [ "$(jq -r .state "$T/body")" = succeeded ] && break
  sleep 0.1
done
eq "$(jq -r .state "$T/body")" succeeded "the server's worker ran it"
eq "$(get "${R[@]}" "$BASE/v1/tenants/web")" 200 "the tenant"
eq "$(jq -r .status "$T/body")" active "is active"
WES=$(login '{"tenant":"web","email":"wes@web.test","password":"wes-password-1"}')
[ "$WES" != null ] || fail "the first admin logs in"; pass
eq "$(call POST "${R[@]}" --data '{"slug":"web"}' "$BASE/v1/tenants?async=true")" 409 "a taken slug queues nothing"
eq "$(jq -r .code "$T/body")" slug_taken "slug_taken"
eq "$(call POST "${R[@]}" --data '{"slug":"other"}' "$BASE/v1/tenants?async=maybe")" 400 "async is true or false"
eq "$(call POST "${R[@]}" --data '{"slug":"other"}' "$BASE/v1/tenants?async=false")" 201 "async=false is the synchronous creation"
eq "$(call POST -H "Authorization: Bearer $WES" --data '{"slug":"mine"}' "$BASE/v1/tenants?async=true")" 403 "a tenant admin creates no tenant"
stop_server
done_ok
