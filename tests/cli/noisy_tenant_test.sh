#!/usr/bin/env bash
# One noisy tenant does not push the others out of the pool of open tenant
# databases (issue 11: per-tenant budgets never let one tenant evict the
# rest in a loop). 20 quiet tenants and one noisy one share a handle budget
# with room for every tenant and a few to spare (pool_max = 20 + 1 + 8),
# and 2 more for the server's own short-lived connections (the outbox
# drain of the tenant being written, jobs): with none left, such a
# connection closed a quiet tenant's idle handle about one run in two.
# While 64 clients hammer the noisy tenant with creates, reads and lists,
# the quiet tenants are read every few tenths of a second: every quiet read
# is 200 with its own row, and the pool closes no handle to make room
# (tenantd_pool_evictions_total does not move): the noisy tenant's load is
# served with the handles it may have, never by closing the quiet
# tenants' ones — which would then be reopened, and push out the next.
. "$(dirname "$0")/lib.sh"
td_init
QUIET=20
SPARE=8
OWN=2 # the server's own transient connections
CLIENTS=64
NOISY_REQUESTS=1500
QUIETS=()
for i in $(seq 1 $QUIET); do QUIETS+=("quiet$i"); done
for s in noisy "${QUIETS[@]}"; do td tenant create "$s" --services crm >/dev/null; done
TENANTD_POOL_MAX=$((QUIET + 1 + SPARE + OWN)) start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
metric() { curl -sS "$BASE/metrics" | sed -n "s/^$1 //p"; }
eq "$(metric tenantd_tenant_db_max)" $((QUIET + 1 + SPARE + OWN)) "the pool's budget"

# one row in each tenant; its id is what the quiet reads ask for
declare -A ROW=()
for s in noisy "${QUIETS[@]}"; do
  eq "$(post -H "Authorization: Bearer $ROOT" -H "X-Tenant: $s" --data "{\"name\":\"row of $s\"}" "$BASE/v1/crm/customers")" 201 "a row in $s"
  ROW[$s]=$(jq -r .id "$T/body")
done

# quiet_round N: one read of each quiet tenant (one curl, one connection);
# appends "<status> <tenant> <name read>" lines to $T/quiet.codes.
quiet_round() {
  local s
  for s in "${QUIETS[@]}"; do
    [ "$s" = "${QUIETS[0]}" ] || echo next
    printf 'url = "%s/v1/crm/customers/%s"\nheader = "Authorization: Bearer %s"\nheader = "X-Tenant: %s"\n' \
      "$BASE" "${ROW[$s]}" "$ROOT" "$s"
    printf 'output = "%s/q.%s.%s"\nwrite-out = "%%{http_code} %s\\n"\n' "$T" "$1" "$s" "$s"
  done >"$T/quiet.cfg"
  curl -sS -K "$T/quiet.cfg" >>"$T/quiet.codes.$1" || true
  for s in "${QUIETS[@]}"; do
    echo "$(grep " $s\$" "$T/quiet.codes.$1" | cut -d' ' -f1) $s $(jq -r '.name // empty' "$T/q.$1.$s" 2>/dev/null)" >>"$T/quiet.codes"
  done
}

# every quiet tenant read once (opened), and read again (now a hit): the
# budget holds them all without evicting any
: >"$T/quiet.codes"
quiet_round 0
quiet_round 1
eq "$(metric tenantd_pool_evictions_total)" 0 "21 tenants in a budget of $((QUIET + 1 + SPARE + OWN)): no eviction"

# the noisy load: creates, reads by id and lists of the noisy tenant,
# CLIENTS at a time
awk -v n=$NOISY_REQUESTS -v base="$BASE" -v tok="$ROOT" -v id="${ROW[noisy]}" 'BEGIN {
  for (i = 1; i <= n; i++) {
    if (i > 1) print "next"
    printf "header = \"Authorization: Bearer %s\"\nheader = \"X-Tenant: noisy\"\n", tok
    if (i % 3 == 0) {
      printf "url = \"%s/v1/crm/customers\"\nheader = \"Content-Type: application/json\"\n", base
      printf "data = \"{\\\"name\\\":\\\"noise %d\\\"}\"\n", i
    } else if (i % 3 == 1)
      printf "url = \"%s/v1/crm/customers/%s\"\n", base, id
    else
      printf "url = \"%s/v1/crm/customers?limit=20&sort=-created_at\"\n", base
    print "output = \"/dev/null\"\nwrite-out = \"%{http_code}\\n\""
  }
}' >"$T/noisy.cfg"
ev0=$(metric tenantd_pool_evictions_total)
miss0=$(metric tenantd_pool_misses_total)
# batches of the noisy load one after another, until the quiet tenants
# have been read QUIET_ROUNDS times during it (however fast the machine)
QUIET_ROUNDS=6
(
  while [ ! -e "$T/quiet.done" ]; do
    curl -sS --parallel --parallel-immediate --parallel-max $CLIENTS -K "$T/noisy.cfg" >>"$T/noisy.codes" 2>>"$T/noisy.err"
    echo batch >>"$T/noisy.batches"
  done
) &
npid=$!
rounds=0
until [ -s "$T/noisy.codes" ]; do sleep 0.05; done
while [ "$rounds" -lt $QUIET_ROUNDS ] && kill -0 "$npid" 2>/dev/null; do
  rounds=$((rounds + 1))
  quiet_round "n$rounds"
  sleep 0.2
done
touch "$T/quiet.done"
wait "$npid" || true # its transfers are judged by their codes below
ev1=$(metric tenantd_pool_evictions_total)
miss1=$(metric tenantd_pool_misses_total)
echo "noisy: $(sort "$T/noisy.codes" | uniq -c | tr '\n' ' '); quiet rounds during it: $rounds;" \
  "pool misses +$((miss1 - miss0)), evictions +$((ev1 - ev0)); open $(metric tenantd_tenant_db_open)"

[ "$rounds" -ge $QUIET_ROUNDS ] || fail "only $rounds quiet rounds ran during the noisy load: it measured nothing"
pass
eq "$(awk '$1 != 200 || $3 " " $4 " " $5 != "row of " $2' "$T/quiet.codes" | head -n 5)" "" \
  "every quiet read answered 200 with its own row"
# the noisy tenant may be told to back off (503 tenant_busy), but every
# one of its requests is answered: none is dropped unanswered (000)
eq "$(grep -c . "$T/noisy.codes")" $(($(grep -c . "$T/noisy.batches") * NOISY_REQUESTS)) "every noisy request finished"
eq "$(grep -vc '^201$\|^200$\|^503$' "$T/noisy.codes" || true)" 0 "every noisy request answered 200, 201 or 503"
eq "$((ev1 - ev0))" 0 "no tenant handle closed to make room while one tenant was noisy"
# the quiet tenants were not reopened either: each noisy handle opened is
# one of the spare ones
[ "$((miss1 - miss0))" -le "$SPARE" ] ||
  fail "$((miss1 - miss0)) handles opened during the noisy load with $SPARE to spare"
pass
done_ok
