#!/usr/bin/env bash
# The outbox drain survives kill -9: the server is killed (TENANTD_FAULT)
# at each point of a drain — rows read, before the catalog commit, after
# it (before the outbox delete), after the delete, before the anchor — and
# restarted; in the end every write is exactly one audit record (none lost,
# none twice), the figures count each once, and `tenantd audit verify`
# holds. A tenant whose database is unavailable does not stop the drain of
# the others: its own outbox.drain job is retried with backoff and says why.
. "$(dirname "$0")/lib.sh"
td_init
export TENANTD_DRAIN_INTERVAL_MS=100 TENANTD_JOB_BACKOFF_MS=200
for s in t1 t2; do
  echo 'admin-password-1' | td tenant create "$s" --services crm --admin-email "admin@$s.test" --admin-password-stdin >/dev/null
done
T1=$(td tenant show t1 --json | jq -r .id)
T2=$(td tenant show t2 --json | jq -r .id)
WRITES=2 # the first admins

records() { catalog_sql "SELECT count(*) || ' ' || count(DISTINCT source) FROM audit_log WHERE source IS NOT NULL"; }
wait_records() {
  local i
  for i in $(seq 1 150); do [ "$(records)" = "$1 $1" ] && { pass; return; }; sleep 0.1; done
  fail "audit records (all, distinct): $(records), expected $1"
}
# writes N SLUG: N customers created in SLUG as its admin
writes() {
  local tok k
  tok=$(login "{\"tenant\":\"$2\",\"email\":\"admin@$2.test\",\"password\":\"admin-password-1\"}")
  for k in $(seq 1 "$1"); do
    eq "$(post -H "Authorization: Bearer $tok" --data "{\"name\":\"c$k\"}" "$BASE/v1/crm/customers")" 201 "write to $2"
  done
  WRITES=$((WRITES + $1))
}

t1_customers() { tenant_sql "$T1" crm "SELECT count(*) FROM customers" 2>/dev/null || tenant_sql "$T1" crm "SELECT count(*) FROM crm.customers"; }

start_server
writes 2 t1
# the token of the kills below, taken now: a login is an audit record of
# t1 (session.login), which the anchor point would anchor — killing the
# server before its writes are drained, while its start-up sweep may hold
# its job's lease
tok=$(login '{"tenant":"t1","email":"admin@t1.test","password":"admin-password-1"}')
wait_records "$WRITES"
stop_server

for point in drain_read drain_before_commit drain_after_commit drain_after_delete anchor; do
  TENANTD_FAULT=$point start_server
  # writes until the drain kills the server; a write may commit and the
  # kill come before its 201, so what must be found is every committed
  # row: the first admins and t1's customers, counted in its database
  for k in 1 2 3; do
    post -H "Authorization: Bearer $tok" --data "{\"name\":\"k$k\"}" "$BASE/v1/crm/customers" >/dev/null 2>&1 || true
  done
  for i in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  set +e; wait "$SERVER_PID"; rc=$?; set -e
  SERVER_PID=
  eq "$rc" 137 "the server was killed at $point"
  WRITES=$((2 + $(t1_customers)))
  start_server   # the start-up sweep drains what the killed one left
  wait_records "$WRITES"
  stop_server
  expect_rc 0 td audit verify
done
eq "$(tenant_sql "$T1" crm "SELECT count(*) FROM @ob")" 0 "t1's outbox is empty"
CUSTOMERS=$(t1_customers)
eq "$(catalog_sql "SELECT writes FROM tenant_service_stats WHERE tenant_id = '$T1' AND resource = 'customers'")" "$CUSTOMERS" "each write counted once"
eq "$(catalog_sql "SELECT rows_count FROM tenant_stats WHERE tenant_id = '$T1'")" "$((CUSTOMERS + 1))" "t1's rows: its customers and its admin"
expect_rc 0 td audit verify --json
eq "$(jq -r .ok "$T/out")" true "the chains hold after the kills"

# ---- a tenant whose database is unavailable ----
TENANTD_JOB_WORKERS=0 start_server   # writes, no drain
writes 2 t1
writes 2 t2
stop_server
if [ "$BACKEND" = postgres ]; then
  pg "ALTER DATABASE td_${T2//-/} RENAME TO td_${T2//-/}_away"
else
  rm -f "$DATA/tenants/$T2/crm.db-wal" "$DATA/tenants/$T2/crm.db-shm"
  head -c 8192 /dev/urandom >"$DATA/tenants/$T2/crm.db"
fi
start_server
wait_records $((WRITES - 2))   # t1's arrive; t2's wait
for i in $(seq 1 100); do
  expect_rc 0 td jobs list --kind outbox.drain --tenant "$T2" --json
  [ "$(jq -r '.items[0].attempts // 0' "$T/out")" -ge 2 ] && break
  sleep 0.1
done
eq "$(jq -r '.items[0].kind' "$T/out")" outbox.drain "t2 has a drain job of its own"
[ "$(jq -r '.items[0].attempts' "$T/out")" -ge 2 ] || fail "retried: $(cat "$T/out")"; pass
expect_contains <(jq -r '.items[0].error' "$T/out") "tenant_unavailable: tenant t2"
writes 1 t1   # the others go on
wait_records $((WRITES - 2))
stop_server
if [ "$BACKEND" = postgres ]; then pg "ALTER DATABASE td_${T2//-/}_away RENAME TO td_${T2//-/}"; fi
done_ok
