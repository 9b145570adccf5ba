#!/usr/bin/env bash
# A server asked to stop (SIGTERM) does not wait for a long job to end: the
# job is handed back to the queue after the step it is on (state queued,
# its step and checkpoint kept, that attempt not counted), the server
# exits, and the next server resumes the job there and finishes it. A
# start-up sweep of the outboxes handed back so does not stand for the
# next start-up's sweep: it would resume after its checkpoint and miss the
# writes the servers in between left in the tenants before it.
# (Before, SIGTERM waited for the whole job — a sweep over a large fleet
# could hold a stop for many minutes.) Steps are made long with the test
# build's TENANTD_FAULT_STEP_MS; no duration is asserted beyond "the stop
# came before the job could have ended".
. "$(dirname "$0")/lib.sh"
td_init
N=6
for i in $(seq 1 $N); do td tenant create "h$i" --services crm >/dev/null; done
expect_rc 0 td jobs add sessions.cleanup --json
JOB=$(jq -r .id "$T/out")
show() { expect_rc 0 td jobs show "$JOB" --json; jq -r "$1" "$T/out"; }

# every step takes 1.5 s: the job (1 + N steps) would need about 10 s
TENANTD_LOG=info TENANTD_FAULT_STEP_MS=1500 start_server
state=
for _ in $(seq 1 300); do
  state=$(show '.state + " " + (.progress.step | tostring)')
  case $state in "running 0"|queued*) sleep 0.05 ;; *) break ;; esac
done
case $state in "running "[1-9]*) pass ;; *) fail "expected the job running a step, got '$state'" ;; esac
t0=$(date +%s%N)
stop_server
t1=$(date +%s%N)
echo "stopped $(( (t1 - t0) / 1000000 )) ms after SIGTERM"
state=$(show '.state + " attempts " + (.attempts | tostring)')
eq "$state" "queued attempts 0" "the stopped server handed the job back (not counted as an attempt)"
step=$(show .progress.step)
[ "$step" -ge 1 ] && [ "$step" -lt $((N + 1)) ] || fail "the job kept a step between 1 and $N, got $step"
expect_contains "$T/server.log" '"job handed back"'

# the next server resumes it after that step, at once (no lease to wait out)
start_server
for _ in $(seq 1 600); do
  [ "$(show .state)" = succeeded ] && break
  sleep 0.05
done
eq "$(show '.state + " attempts " + (.attempts | tostring) + " step " + (.progress.step | tostring)')" \
   "succeeded attempts 1 step $((N + 1))" "the job resumed and finished"
stop_server

# ---- a start-up sweep handed back ----
sweep() { expect_rc 0 td jobs list --kind outbox.drain --json
          jq -r '[.items[] | select(.payload.sweep == true)] | first | .state + " " + (.progress.step | tostring)' "$T/out"; }
TENANTD_FAULT_STEP_MS=4000 start_server
state=
for _ in $(seq 1 300); do
  state=$(sweep)
  case $state in running\ [1-9]*|succeeded*|failed*) break ;; esac
  sleep 0.05
done
eq "$state" "running 1" "the start-up sweep is past its first page of tenants"
stop_server
eq "$(sweep)" "queued 1" "the sweep was handed back after that page"
# writes to h1 by a server that drains nothing
TENANTD_JOB_WORKERS=0 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
for k in 1 2; do
  eq "$(post -H "Authorization: Bearer $ROOT" -H 'X-Tenant: h1' --data "{\"name\":\"c$k\"}" "$BASE/v1/crm/customers")" 201 "a write to h1"
done
stop_server
H1=$(td tenant show h1 --json | jq -r .id)
drained() { catalog_sql "SELECT count(*) FROM audit_log WHERE tenant_id = '$H1' AND source LIKE 'outbox:%:crm:%'"; }
start_server   # its start-up sweep must cover every tenant again
n=
for _ in $(seq 1 300); do n=$(drained); [ "$n" = 2 ] && break; sleep 0.1; done
eq "$n" 2 "the next start-up swept h1's writes into the audit log"
stop_server
done_ok
