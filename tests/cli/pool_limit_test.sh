#!/usr/bin/env bash
# The pool of open tenant databases in a running server (SPEC §4: bounded,
# so the number of tenants is not bounded by file descriptors): with
# pool_max = 2 and six tenants, requests to every tenant — one after the
# other, then 36 at once — all succeed, each on its own tenant's data; the
# server never holds more than two tenant handles (/metrics, and what the
# process really has open: SQLite files, or PostgreSQL connections), and
# makes room by closing idle ones (evictions).
. "$(dirname "$0")/lib.sh"
td_init
TENANTS=(t1 t2 t3 t4 t5 t6)
for s in "${TENANTS[@]}"; do td tenant create "$s" --services crm >/dev/null; done
TENANTD_POOL_MAX=2 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
metric() { curl -sS "$BASE/metrics" | sed -n "s/^$1 //p"; }
eq "$(metric tenantd_tenant_db_max)" 2 "the pool's budget"

# what the server process really holds: the tenants whose SQLite files it
# has open, or its connections to tenant databases on PostgreSQL
ids=$(td tenant list --json | jq -r '.[].id')
held() {
  if [ "$BACKEND" = postgres ]; then
    local names
    names=$(for id in $ids; do printf "'td_%s'," "${id//-/}"; done)
    pg "SELECT count(*) FROM pg_stat_activity WHERE datname IN (${names%,})"
  else
    find "/proc/$SERVER_PID/fd" -type l -printf '%l\n' 2>/dev/null | sed -n "s#^$DATA/tenants/\([^/]*\)/.*#\1#p" | sort -u | wc -l
  fi
}

# one after the other: write a row in each tenant, read it back
for round in 1 2; do
  for s in "${TENANTS[@]}"; do
    eq "$(post -H "Authorization: Bearer $ROOT" -H "X-Tenant: $s" --data "{\"name\":\"$s-$round\"}" "$BASE/v1/crm/customers")" 201 "write in $s (round $round)"
    open=$(metric tenantd_tenant_db_open)
    [ "$open" -le 2 ] || fail "$open tenant handles open with a budget of 2"; pass
  done
done
for s in "${TENANTS[@]}"; do
  eq "$(get -H "Authorization: Bearer $ROOT" -H "X-Tenant: $s" "$BASE/v1/crm/customers?sort=name")" 200 "read $s"
  eq "$(jq -r '[.items[].name] | join(",")' "$T/body")" "$s-1,$s-2" "$s sees its own rows only"
done
[ "$(metric tenantd_pool_evictions_total)" -ge 10 ] || fail "evictions: $(metric tenantd_pool_evictions_total)"; pass
h=$(held)
[ "$h" -le 2 ] || fail "the server holds $h tenant databases open with a budget of 2"; pass
[ "$h" -ge 1 ] || fail "held() sees no tenant database: it measures nothing"; pass

# all at once: 6 requests per tenant in parallel
pids=()
for s in "${TENANTS[@]}"; do
  for i in 1 2 3 4 5 6; do
    curl -sS -o "$T/par.$s.$i" -w '%{http_code}' -H "Authorization: Bearer $ROOT" -H "X-Tenant: $s" \
      "$BASE/v1/crm/customers?sort=name" >"$T/code.$s.$i" &
    pids+=($!)
  done
done
wait "${pids[@]}" # curl's own status: every request got an answer
for s in "${TENANTS[@]}"; do
  for i in 1 2 3 4 5 6; do
    eq "$(cat "$T/code.$s.$i")" 200 "parallel read $i of $s"
    eq "$(jq -r '[.items[].name] | join(",")' "$T/par.$s.$i")" "$s-1,$s-2" "parallel read $i of $s: its own rows"
  done
done
open=$(metric tenantd_tenant_db_open)
[ "$open" -le 2 ] || fail "$open tenant handles open after the burst"; pass
h=$(held)
[ "$h" -le 2 ] || fail "the server holds $h tenant databases open after the burst"; pass
done_ok
