#!/usr/bin/env bash
# New tenants go to the least-loaded PostgreSQL server (SPEC §4). Two real
# servers: the test cluster (A) and a second cluster started here (B),
# registered by a command run with TENANTD_TENANT_DB_URL naming it. A holds
# two tenants; the next two go to B although the running server was
# started with A's URL, then they alternate; a deleted tenant no longer
# counts. Each tenant's database exists on its server only, its admin logs
# in and works, and check reaches both servers. Needs PostgreSQL: skipped
# on SQLite.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = postgres ] || skip "placement across PostgreSQL servers"
PG2=$T/pg2
trap 'rc=$?; "$TD_SRC/scripts/pg-cluster" stop "$PG2" >/dev/null 2>&1 || true; td_cleanup $rc' EXIT
URL_A=$TENANTD_TENANT_DB_URL
URL_B=$("$TD_SRC/scripts/pg-cluster" start "$PG2")
td_init
for s in a1 a2; do td tenant create "$s" --services crm >/dev/null; done
expect_rc 0 env TENANTD_TENANT_DB_URL="$URL_B" "$TD_BIN" check --data "$DATA" --json   # registers B
eq "$(jq -r '[.checks[] | select(.kind == "server" and .status == "ok")] | length' "$T/out")" 2 "check reaches both servers"
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')

# on_server SLUG: A or B, the cluster that holds the tenant's database
on_server() {
  local id db a b
  id=$(td tenant show "$1" --json | jq -r .id); db="td_${id//-/}"
  a=$(psql "$URL_A" -XAtq -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")
  b=$(psql "$URL_B" -XAtq -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")
  case "$a$b" in 10) echo A ;; 01) echo B ;; *) echo "A:$a,B:$b" ;; esac
}
create() { # create SLUG: over HTTP, with an admin
  eq "$(post -H "Authorization: Bearer $ROOT" --data "{\"slug\":\"$1\",\"services\":[\"crm\"],\"admin\":{\"email\":\"admin@$1.test\",\"password\":\"admin-password-1\"}}" "$BASE/v1/tenants")" 201 "create $1"
}
eq "$(on_server a1)$(on_server a2)" AA "the first two tenants are on A"
create b1; eq "$(on_server b1)" B "2:0 → the next tenant goes to B"
create b2; eq "$(on_server b2)" B "2:1 → B again"
create c1; create c2
c=$(on_server c1)$(on_server c2)
[ "$c" = AB ] || [ "$c" = BA ] || fail "2:2, then 3:2 → one on each server, not $c"; pass
# a deleted tenant no longer counts: A 3, B 3 → delete one of A's → A is lighter
eq "$(call DELETE -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/a1")" 204 "delete a1"
create d1; eq "$(on_server d1)" A "after a deletion on A, A is the least loaded"

# tenants on B work like any other
for s in b1 b2; do
  TOK=$(login "{\"tenant\":\"$s\",\"email\":\"admin@$s.test\",\"password\":\"admin-password-1\"}")
  eq "$(post -H "Authorization: Bearer $TOK" --data "{\"name\":\"$s row\"}" "$BASE/v1/crm/customers")" 201 "a row in $s"
  eq "$(get -H "Authorization: Bearer $TOK" "$BASE/v1/crm/customers")" 200 "read $s"
  eq "$(jq -r '[.items[].name] | join(",")' "$T/body")" "$s row" "$s's row"
done
expect_rc 0 td check --json
eq "$(jq .failed "$T/out")" 0 "every tenant and server healthy"
eq "$(jq -r '[.checks[] | select(.kind == "server" and .status == "ok")] | length' "$T/out")" 2 "both servers checked"
done_ok
