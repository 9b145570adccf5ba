#!/usr/bin/env bash
# bench/move.sh — how long `tenantd tenant move` holds a tenant's writes
# (issue 12: "Report the write-hold duration; target ≤ 1 s for a tenant of
# 100 000 rows").
#
#   bench/move.sh                  100 000 rows
#   ROWS=500000 bench/move.sh
#
# A Release build; a throwaway PostgreSQL 15 cluster (scripts/pg-cluster)
# registered as the tenants' server; `tenantd init`; one SQLite tenant
# (crm) whose crm.customers gets ROWS rows (sqlite3); `tenantd serve`; a
# client writing customers one after another through the API the whole
# time; then `tenantd tenant move big --to postgres` and back `--to
# sqlite`, each run by the server's job worker. Prints each move's figures
# (rows, rows caught up while serving, writes held, copy time), checks that
# every write the client was answered 201 for is in the tenant at the end,
# and prints `target held_ms <= 1000: met/NOT met` for each move.
set -euo pipefail
export TENANTD_RATE_LIMITS=${TENANTD_RATE_LIMITS:-0} # the plans' request limits would refuse the load
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${ROWS:-100000}
for t in sqlite3 cmake ninja curl; do
  command -v "$t" >/dev/null || { echo "move: $t missing (scripts/install-deps bench)" >&2; exit 1; }
done
W=$(mktemp -d /tmp/tdmove.XXXXXX)
PGDIR=$W/pg
cleanup() {
  [ -n "${WRITER:-}" ] && kill "$WRITER" 2>/dev/null || true
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  "$ROOT/scripts/pg-cluster" stop "$PGDIR" >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

cmake -S "$ROOT" -B "$ROOT/build/release" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$ROOT/build/release" -j2 tenantd >/dev/null
BIN=$ROOT/build/release/tenantd
export TENANTD_LOG=warn TENANTD_DATA=$W/data
export TENANTD_TENANT_DB_URL=$("$ROOT/scripts/pg-cluster" start "$PGDIR")
PORT=$((20000 + RANDOM % 20000))
export TENANTD_LISTEN=127.0.0.1:$PORT
unset TENANTD_CATALOG_URL TENANTD_MASTER_KEY
echo 'bench-password-1' | "$BIN" init --admin-email op@bench.test --admin-password-stdin >/dev/null
echo 'tenant-password-1' | "$BIN" tenant create big --backend sqlite --services crm \
  --admin-email a@big.test --admin-password-stdin >/dev/null
ID=$("$BIN" tenant show big --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -1)
sqlite3 "$W/data/tenants/$ID/crm.db" "PRAGMA journal_mode=WAL;
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
  INSERT INTO customers (id, name, email, created_at, updated_at)
  SELECT printf('m-%08d', i), hex(randomblob(20)), 'user' || i || '@example.test',
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM n;
  PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
"$BIN" serve >"$W/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -s "http://127.0.0.1:$PORT/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"a@big.test","password":"tenant-password-1","tenant":"big"}' |
  sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')

# the client: one create after another; each 201 counted
( n=0; while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/crm/customers" \
      -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "{\"name\":\"w$n\"}")
    [ "$code" = 201 ] && echo ok >>"$W/acks"
    n=$((n + 1))
  done ) &
WRITER=$!
sleep 1

move() {
  local to=$1 out
  out=$("$BIN" tenant move big --to "$to" --json 2>"$W/move.err") || { cat "$W/move.err" >&2; exit 1; }
  local held rows caught copy
  held=$(echo "$out" | sed -n 's/.*"held_ms": *\([0-9]*\).*/\1/p' | head -1)
  rows=$(echo "$out" | sed -n 's/.*"rows": *\([0-9]*\).*/\1/p' | head -1)
  caught=$(echo "$out" | sed -n 's/.*"caught_up": *\([0-9]*\).*/\1/p' | head -1)
  copy=$(echo "$out" | sed -n 's/.*"copy_ms": *\([0-9]*\).*/\1/p' | head -1)
  printf 'move to %-8s %7d rows, %5d caught up while serving, copy %6d ms, writes held %5d ms\n' \
    "$to" "$rows" "$caught" "$copy" "$held"
  if [ "$held" -le 1000 ]; then echo "target held_ms <= 1000 ($to): met"; else echo "target held_ms <= 1000 ($to): NOT met"; fi
}
move postgres
sleep 1
move sqlite
sleep 1
kill "$WRITER"; wait "$WRITER" 2>/dev/null || true; WRITER=
sleep 0.5
ACKS=$(wc -l <"$W/acks")
HAVE=$(sqlite3 "$W/data/tenants/$ID/crm.db" "SELECT count(*) FROM customers WHERE id NOT LIKE 'm-%'")
echo "writes answered 201 during the moves: $ACKS; in the tenant at the end: $HAVE"
[ "$HAVE" -ge "$ACKS" ] && echo "every acknowledged write kept: yes" || { echo "every acknowledged write kept: NO"; exit 1; }
