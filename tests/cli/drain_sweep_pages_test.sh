#!/usr/bin/env bash
# The start-up sweep of the outboxes walks every tenant a page of 100 at a
# time and gives its catalog connection back after each page: with only
# two catalog connections and three pages of tenants it finishes at its
# first attempt, nothing fails for want of a catalog connection, and
# requests made meanwhile are answered. (Before, each page kept its
# connection until the whole sweep ended: with more pages than catalog
# connections the sweep failed and retried, and every request waited for
# a connection that never came back.)
. "$(dirname "$0")/lib.sh"
td_init
N=210
# no job workers while the tenants are made: their outboxes wait for the
# sweep, and this server has nothing to drain when it stops
TENANTD_JOB_WORKERS=0 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
H=(-H "Authorization: Bearer $ROOT")
make_tenant() {
  curl -sS -o /dev/null -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' "${H[@]}" \
       --data "{\"slug\":\"p$1\",\"services\":[\"crm\"]}" "$BASE/v1/tenants" >"$T/t$1.code"
}
four_at_a_time $N make_tenant
for i in $(seq 1 $N); do eq "$(cat "$T/t$i.code")" 201 "tenant $i"; done
stop_server

# A fresh start queues a sweep of every tenant; two catalog connections.
export TENANTD_CATALOG_CONNECTIONS=2
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
H=(-H "Authorization: Bearer $ROOT")
state=
for _ in $(seq 1 900); do # up to 90 s under the sanitizers
  get "${H[@]}" "$BASE/v1/admin/jobs?kind=outbox.drain&limit=1000" >/dev/null
  state=$(jq -r '[.items[] | select(.payload.sweep == true)] | first | .state + " " + (.attempts | tostring) + " " + (.progress.done | tostring)' "$T/body")
  case $state in succeeded*|failed*) break ;; esac
  # requests go on while it runs
  code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' "${H[@]}" -H 'X-Tenant: p7' "$BASE/v1/crm/customers")
  eq "$code" 200 "a tenant read during the sweep"
  sleep 0.1
done
eq "$state" "succeeded 1 $N" "the start-up sweep: state, attempts, tenants done"
expect_not_contains "$T/server.log" "outbox drain failed"
expect_not_contains "$T/server.log" "catalog_unavailable"
stop_server
done_ok
