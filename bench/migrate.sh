#!/usr/bin/env bash
# bench/migrate.sh — fleet migrations over N SQLite tenants (issue 12).
#
#   bench/migrate.sh            N=10000 tenants with a 1-table operator service
#
# Provisions N SQLite tenants (auth + an operator's service "memo" of one
# table, from a TENANTD_SERVICES_DIR made here) with td_bench_provision
# (fsync off through bench/nosync.c: the setup is not measured), then
# times, as an operator would run them (wall time of the whole command:
# process start, catalog open, plan, work):
#   1. `tenantd migrate --all` with nothing to do (ROUNDS runs; target ≤ 1 s);
#   2. after memo gains a migration adding a column and an index,
#      `tenantd migrate --all --jobs J` (J=$JOBS; target ≤ 30 s), with real
#      fsyncs; then checks every tenant has the column;
#   3. the no-op run again, now over the bigger ledger.
# PERF=1 adds a `perf record` of a no-op run (top symbols), when perf works.
# Builds a Release tree in build/bench (as bench/run); everything else
# lives in a /tmp/tdmigrate.* folder removed on exit (KEEP=1 keeps it).
set -euo pipefail
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; } # arithmetic on decimals
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-10000}
JOBS=${JOBS:-8}
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build/bench}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" -j2 tenantd td_bench_provision td_bench_nosync >/dev/null
BIN=$ROOT/$BUILD/tenantd
W=$(mktemp -d /tmp/tdmigrate.XXXXXX)
cleanup() { [ "${KEEP:-0}" = 1 ] && echo "kept: $W" || rm -rf "$W"; }
trap cleanup EXIT
export TENANTD_LOG=warn
unset TENANTD_CATALOG_URL TENANTD_TENANT_DB_URL
export TENANTD_SERVICES_DIR=$W/services
D=$TENANTD_SERVICES_DIR/memo
mkdir -p "$D/migrations/sqlite" "$D/migrations/postgres"
cat >"$D/service.json" <<'EOF'
{"name": "memo", "description": "One table (bench)",
 "resources": [{"name": "memos", "table": "memos", "description": "Memos",
   "fields": [{"name": "title", "type": "text", "required": true, "max": 100}],
   "filter": ["title"], "sort": ["title"], "methods": ["list", "get", "create"]}]}
EOF
echo "CREATE TABLE memos (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);" \
  >"$D/migrations/sqlite/0001_init.sql"
echo "CREATE SCHEMA memo; CREATE TABLE memo.memos (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);" \
  >"$D/migrations/postgres/0001_init.sql"

echo 'bench-password-1' | "$BIN" init --data "$W/data" --admin-password-stdin >/dev/null
TD_BENCH_SERVICES=memo LD_PRELOAD=$ROOT/$BUILD/bench/libtd_bench_nosync.so \
  "$ROOT/$BUILD/bench/td_bench_provision" "$N" sqlite "$W/data" >"$W/provision.log"
echo "migrate: $N SQLite tenants (auth + memo), commit $(git rev-parse --short HEAD)," \
  "$(git status --porcelain src | wc -l) changed files in src/, load $(cut -d' ' -f1-3 /proc/loadavg)"
sync

# timed LABEL ARGS…: runs tenantd migrate ARGS --json, prints the wall time
# and the report's counts; the report stays in $W/last.json
timed() {
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" migrate --data "$W/data" --json "$@" >"$W/out.json"
  t1=$(date +%s.%N)
  tail -1 "$W/out.json" >"$W/last.json"
  printf '%-22s wall_s=%.3f run_ms=%s total=%s current=%s migrated=%s failed=%s\n' "$label" \
    "$(calc "$t1 - $t0")" "$(jq .ms "$W/last.json")" "$(jq .total "$W/last.json")" \
    "$(jq .current "$W/last.json")" "$(jq .migrated "$W/last.json")" "$(jq .failed "$W/last.json")"
  calc "$t1 - $t0" >"$W/wall"
}

best=999
for r in $(seq 1 "$ROUNDS"); do
  timed "noop_all round $r" --all
  best=$(calc "$(cat "$W/wall") < $best ? $(cat "$W/wall") : $best")
done
echo "target noop_migrate_all_s <= 1: best $best"

echo "ALTER TABLE memos ADD COLUMN tag TEXT; CREATE INDEX memos_tag ON memos (tag);" \
  >"$D/migrations/sqlite/0002_tag.sql"
echo "ALTER TABLE memo.memos ADD COLUMN tag TEXT; CREATE INDEX memos_tag ON memo.memos (tag);" \
  >"$D/migrations/postgres/0002_tag.sql"
timed "add_column_index" --all --jobs "$JOBS"
add=$(cat "$W/wall")
[ "$(jq .migrated "$W/last.json")" = "$N" ] || { echo "not every tenant migrated" >&2; exit 1; }
# every tenant's file has the column (a sample of 50, and the catalog for all)
for f in $(ls -d "$W"/data/tenants/*/ | shuf -n 50); do
  [ "$(sqlite3 "$f/memo.db" "SELECT count(*) FROM pragma_table_info('memos') WHERE name='tag'")" = 1 ] ||
    { echo "no column in $f" >&2; exit 1; }
done
[ "$(sqlite3 "$W/data/catalog.db" "SELECT count(*) FROM schema_versions WHERE service='memo' AND version=2")" = "$N" ] ||
  { echo "the catalog does not record every tenant at 2" >&2; exit 1; }
echo "target add_column_index_s <= 30: $add (jobs $JOBS, $(calc "$add * 1000000 / $N") us per tenant)"

for r in $(seq 1 "$ROUNDS"); do timed "noop_all_after round $r" --all; done

if [ "${PERF:-0}" = 1 ] && perf record -q -o "$W/perf.data" -g true 2>/dev/null; then
  perf record -q -o "$W/perf.data" -g -- "$BIN" migrate --data "$W/data" --all >/dev/null 2>&1
  perf report -i "$W/perf.data" --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -15
fi
