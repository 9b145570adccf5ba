#!/usr/bin/env bash
# The summaries answer from the catalog alone: after 10 000 row writes
# (creates, updates, deletes and analytics batches) across 50 tenants and
# the drain, GET /v1/admin/summary/services and /tenants equal the rows
# counted in the tenant databases, per tenant and per service; calling
# them opens no tenant database (the pool's lease counters stay flat);
# sorts and pages; bad sort, limit and cursor are 400 with stable codes.
. "$(dirname "$0")/lib.sh"
td_init
export TENANTD_DRAIN_INTERVAL_MS=200
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
H=(-H "Authorization: Bearer $ROOT")
N=50
# the first ADMINS tenants get a first admin (argon2id is slow under the
# sanitizers; the users figure needs only a few)
ADMINS=5
# created four at a time (PostgreSQL's CREATE DATABASE waits on the disk)
make_tenant() {
  local i=$1 admin=
  [ "$i" -le $ADMINS ] && admin=$(printf ',"admin":{"email":"a@s%02d.test","password":"admin-password-1"}' "$i")
  printf '{"slug":"s%02d","services":["crm","analytics"]%s}' "$i" "$admin" >"$T/t$i.json"
  curl -sS -o "$T/t$i.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "${H[@]}" \
       --data @"$T/t$i.json" "$BASE/v1/tenants" >"$T/t$i.code"
}
four_at_a_time $N make_tenant
for i in $(seq 1 $N); do eq "$(cat "$T/t$i.code")" 201 "tenant $i"; done

# Tenant i gets: one batch of 170 + i%3 events, 20 customers created of
# which 5 are updated and 5 deleted — ≥ 200 row writes each, 10 000+ in all.
events() { jq -nc --argjson n "$1" '{events: [range($n) | {name: "view", ts: "2026-11-01T10:00:00Z", props: {k: .}}]}'; }
write_tenant() {
  local slug=$1 i=$2 args=() k ids
  events $((170 + i % 3)) >"$T/ev.$slug"
  curl -sS -o /dev/null -H "Authorization: Bearer $ROOT" -H "X-Tenant: $slug" -H 'Content-Type: application/json' \
       --data @"$T/ev.$slug" "$BASE/v1/analytics/events:batch"
  for k in $(seq 1 20); do
    args+=(--next -sS -H "Authorization: Bearer $ROOT" -H "X-Tenant: $slug" -H 'Content-Type: application/json'
           -w '\n' --data "{\"name\":\"c$k\"}" "$BASE/v1/crm/customers")
  done
  ids=$(curl "${args[@]:1}" | jq -r .id | head -10)
  args=()
  for k in $(echo "$ids" | head -5); do
    args+=(--next -sS -o /dev/null -X PATCH -H "Authorization: Bearer $ROOT" -H "X-Tenant: $slug" -H 'Content-Type: application/json'
           --data '{"name":"changed"}' "$BASE/v1/crm/customers/$k")
  done
  for k in $(echo "$ids" | tail -5); do
    args+=(--next -sS -o /dev/null -X DELETE -H "Authorization: Bearer $ROOT" -H "X-Tenant: $slug" "$BASE/v1/crm/customers/$k")
  done
  curl "${args[@]:1}"
}
# four at a time (a bare `wait` would wait for the server too)
pids=()
for i in $(seq 1 $N); do
  write_tenant "$(printf s%02d "$i")" "$i" &
  pids+=($!)
  if [ ${#pids[@]} -eq 4 ] || [ "$i" -eq $N ]; then wait "${pids[@]}"; pids=(); fi
done

# every write drained: the first admins + 50 × (1 batch + 20 + 5 + 5)
WRITES=$((ADMINS + N * 31))
for i in $(seq 1 200); do
  got=$(catalog_sql "SELECT count(*) FROM audit_log WHERE source IS NOT NULL")
  [ "$got" = "$WRITES" ] && break
  sleep 0.1
done
eq "$got" "$WRITES" "every write is an audit record"

# the ground truth, counted in the tenant databases
declare -A TRUTH
sum_crm=0; sum_an=0; sum_auth=0; total=0
for id in $(td tenant list --json | jq -r '.[].id'); do
  c=$(tenant_sql "$id" crm "SELECT count(*) FROM crm.customers" 2>/dev/null || tenant_sql "$id" crm "SELECT count(*) FROM customers")
  a=$(tenant_sql "$id" analytics "SELECT count(*) FROM analytics.events" 2>/dev/null || tenant_sql "$id" analytics "SELECT count(*) FROM events")
  u=$(tenant_sql "$id" auth "SELECT count(*) FROM auth.users" 2>/dev/null || tenant_sql "$id" auth "SELECT count(*) FROM users")
  TRUTH[$id]="$((c + a + u)) $u"
  sum_crm=$((sum_crm + c)); sum_an=$((sum_an + a)); sum_auth=$((sum_auth + u))
  total=$((total + c + a + u))
done
[ "$total" -ge 9000 ] || fail "only $total rows written"; pass

metric() { curl -sS "$BASE/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
opens_before="$(metric tenantd_pool_misses_total) $(metric tenantd_pool_hits_total)"

# per tenant: rows and users equal the ground truth; every page once
seen=0; cursor=
while :; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/summary/tenants?limit=7${cursor:+&cursor=$cursor}")" 200 "tenant summary page"
  while read -r id rows users; do
    eq "$rows $users" "${TRUTH[$id]}" "rows and users of $id"
    seen=$((seen + 1))
  done < <(jq -r '.items[] | "\(.id) \(.rows) \(.users)"' "$T/body")
  cursor=$(jq -r .next_cursor "$T/body"); [ "$cursor" = null ] && break
done
eq "$seen" "$N" "every tenant once"
eq "$(get "${H[@]}" "$BASE/v1/admin/summary/tenants?limit=1")" 200 "one line"
eq "$(jq -r '.items[0] | [.slug, .status, (.services | join(",")), (.last_activity != null)] | join(" ")' "$T/body")" \
   "s01 active analytics,auth,crm true" "status, services, last activity"

# per service
eq "$(get "${H[@]}" "$BASE/v1/admin/summary/services")" 200 "service summary"
eq "$(jq -r '.items[] | select(.service == "crm") | "\(.tenants) \(.rows) \(.writes_last_hour) \(.writes_last_day)"' "$T/body")" \
   "$N $sum_crm $((N * 30)) $((N * 30))" "crm: tenants, rows, writes"
eq "$(jq -r '.items[] | select(.service == "analytics") | "\(.tenants) \(.rows) \(.writes_last_hour)"' "$T/body")" \
   "$N $sum_an $N" "analytics: tenants, rows, writes"
eq "$(jq -r '.items[] | select(.service == "auth") | "\(.tenants) \(.rows)"' "$T/body")" "$N $sum_auth" "auth"
eq "$(jq -r '.items[] | select(.service == "cms") | "\(.tenants) \(.rows) \(.last_write_at)"' "$T/body")" "0 0 null" "an unused service"

# sorts: by rows descending, pages in order
eq "$(get "${H[@]}" "$BASE/v1/admin/summary/tenants?sort=-rows&limit=20")" 200 "by rows"
prev=$(jq -r '[.items[].rows] | (. == (sort | reverse))' "$T/body"); eq "$prev" true "descending rows"
last=$(jq -r '.items[-1].rows' "$T/body")
eq "$(get "${H[@]}" "$BASE/v1/admin/summary/tenants?sort=-rows&limit=20&cursor=$(jq -r .next_cursor "$T/body")")" 200 "next page by rows"
[ "$(jq -r '.items[0].rows' "$T/body")" -le "$last" ] || fail "the next page goes on"; pass
for s in bytes -bytes last_activity -last_activity slug -slug rows; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/summary/tenants?sort=$s&limit=1000")" 200 "sort $s"
  eq "$(jq '.items | length' "$T/body")" "$N" "every tenant sorted by $s"
done

# no tenant database was opened by any of it
for i in $(seq 1 20); do get "${H[@]}" "$BASE/v1/admin/summary/services" >/dev/null; get "${H[@]}" "$BASE/v1/admin/summary/tenants" >/dev/null; done
eq "$(metric tenantd_pool_misses_total) $(metric tenantd_pool_hits_total)" "$opens_before" "summaries lease no tenant database"

# a deleted tenant: its last write is audited (drained before the drop),
# its figures leave the totals
S50=$(td tenant list --json | jq -r '.[] | select(.slug == "s50") | .id')
c50=$(tenant_sql "$S50" crm "SELECT count(*) FROM crm.customers" 2>/dev/null || tenant_sql "$S50" crm "SELECT count(*) FROM customers")
eq "$(post "${H[@]}" -H "X-Tenant: s50" --data '{"name":"last"}' "$BASE/v1/crm/customers")" 201 "a last write"
expect_rc 0 td tenant delete s50 --yes
eq "$(catalog_sql "SELECT count(*) FROM audit_log WHERE source IS NOT NULL")" "$((WRITES + 1))" "the last write is audited"
eq "$(get "${H[@]}" "$BASE/v1/admin/summary/services")" 200 "service summary after a delete"
eq "$(jq -r '.items[] | select(.service == "crm") | "\(.tenants) \(.rows)"' "$T/body")" \
   "$((N - 1)) $((sum_crm - c50))" "crm without the deleted tenant"
eq "$(catalog_sql "SELECT count(*) FROM tenant_service_stats WHERE tenant_id = '$S50'")" 0 "its figures are gone"

# the count of tenants per service follows each disable and enable
crm_tenants() {
  get "${H[@]}" "$BASE/v1/admin/summary/services" >/dev/null
  jq -r '.items[] | select(.service == "crm") | .tenants' "$T/body"
}
eq "$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "${H[@]}" "$BASE/v1/tenants/s49/services/crm")" 200 "crm disabled on s49"
eq "$(crm_tenants)" "$((N - 2))" "one tenant fewer uses crm"
eq "$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "${H[@]}" "$BASE/v1/tenants/s49/services/crm")" 200 "disabled twice (idempotent)"
eq "$(crm_tenants)" "$((N - 2))" "a second disable moves nothing"
eq "$(post "${H[@]}" --data '{"service":"crm"}' "$BASE/v1/tenants/s49/services")" 200 "crm enabled again"
eq "$(crm_tenants)" "$((N - 1))" "and counted again"
expect_rc 0 td audit verify

# bad input
for q in sort=name sort=--rows sort= ; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/summary/tenants?$q")" 400 "bad $q"
  eq "$(jq -r .code "$T/body")" invalid_sort "code for $q"
done
for q in limit=0 limit=x limit=1001; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/summary/tenants?$q")" 400 "bad $q"
  eq "$(jq -r .code "$T/body")" invalid_filter "code for $q"
done
for q in "sort=rows&cursor=abc" "cursor=Not_A_Slug" "sort=-bytes&cursor=5.x"; do
  eq "$(get "${H[@]}" "$BASE/v1/admin/summary/tenants?$q")" 400 "bad cursor $q"
  eq "$(jq -r .code "$T/body")" invalid_cursor "code for $q"
done
done_ok
