#!/usr/bin/env bash
# bench/import.sh — `tenantd import` throughput (issue 12: "Import ≥ 50 000
# rows/s").
#
#   bench/import.sh                   about 200 000 rows over 10 tenants
#   SCALE=10 bench/import.sh          a smaller source
#
# Environment: SCALE (the fixture's scale, default 41: ≈ 200 000 rows),
# TENANTS (default 10), PG_URL (a PostgreSQL admin URL: tenants placed
# there instead of SQLite files), PERF=1 (the import once more under perf
# record -g on a fresh folder, top symbols printed; not counted), KEEP=1.
#
# A Release build; the shared CRM of tests/cli/fixtures/crm_source.sh (13
# tables, JSON, NULLs, self-references) as a SQLite file; the service
# generated from it; then, on a fresh data folder, timed: the import (which
# creates the tenants), a second run (nothing to write: the cost of
# verifying), and a dry run. rows/s is the source's rows over the wall
# time of the first import, tenant creation included. Prints
# `target import_rows_s >= 50000: met/NOT met`.
set -euo pipefail
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCALE=${SCALE:-41} TENANTS=${TENANTS:-10}
for t in sqlite3 cmake ninja; do
  command -v "$t" >/dev/null || { echo "import: $t missing (scripts/install-deps bench)" >&2; exit 1; }
done
W=$(mktemp -d /tmp/tdimport.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT

cmake -S "$ROOT" -B "$ROOT/build/release" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$ROOT/build/release" -j2 tenantd >/dev/null
BIN=$ROOT/build/release/tenantd
export TENANTD_LOG=warn TENANTD_SERVICES_DIR=$W/services
unset TENANTD_CATALOG_URL TENANTD_TENANT_DB_URL TENANTD_MASTER_KEY
if [ -n "${PG_URL:-}" ]; then export TENANTD_TENANT_DB_URL=$PG_URL; fi
mkdir -p "$W/services"

"$ROOT/tests/cli/fixtures/crm_source.sh" "$W/crm.db" "$SCALE" "$TENANTS"
ROWS=$(sqlite3 "$W/crm.db" "SELECT sum(n) FROM (SELECT count(*) n FROM accounts UNION ALL SELECT count(*) FROM users
  UNION ALL SELECT count(*) FROM contacts UNION ALL SELECT count(*) FROM account_contacts UNION ALL SELECT count(*) FROM products
  UNION ALL SELECT count(*) FROM opportunities UNION ALL SELECT count(*) FROM line_items UNION ALL SELECT count(*) FROM events
  UNION ALL SELECT count(*) FROM event_dates UNION ALL SELECT count(*) FROM tasks UNION ALL SELECT count(*) FROM notes
  UNION ALL SELECT count(*) FROM attachments UNION ALL SELECT count(*) FROM communications)")
printf 'source: %d rows in 13 tables, %d tenants, %.1f MB\n' "$ROWS" "$TENANTS" \
  "$(calc "$(stat -c %s "$W/crm.db") / 1048576")"

run() { # run DATA ARGS…: the import on that folder
  local d=$1; shift
  "$BIN" import --from "sqlite:$W/crm.db" --tenant-column org --service crmimp "$@" --data "$d"
}
init() { rm -rf "$1"; echo 'bench-password-1' | "$BIN" init --admin-password-stdin --data "$1" >/dev/null; }
init "$W/data"
"$BIN" import --from "sqlite:$W/crm.db" --tenant-column org --generate-service crmimp \
  --out "$W/services" --data "$W/data" >/dev/null

timed() { local s e; s=$(date +%s.%N); "$@" >"$W/out"; e=$(date +%s.%N); calc "$e - $s"; }
T1=$(timed run "$W/data" --json)
grep -q '"mismatches":0' "$W/out" || { tail -n 3 "$W/out"; echo "import: mismatches" >&2; exit 1; }
T2=$(timed run "$W/data" --json)
T3=$(timed run "$W/data" --dry-run --json)
RS=$(calc "$ROWS / $T1")
printf 'import:       %.2f s, %.0f rows/s (%d tenants created)\n' "$T1" "$RS" "$TENANTS"
printf 'second run:   %.2f s, %.0f rows/s verified, nothing written\n' "$T2" "$(calc "$ROWS / $T2")"
printf 'dry run:      %.2f s\n' "$T3"
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v v="$RS" 'BEGIN { exit !(v >= 50000) }'; then m=met; else m="NOT met"; fi
printf 'target import_rows_s >= 50000: %s (%.0f)\n' "$m" "$RS"

if [ -n "${PERF:-}" ] && command -v perf >/dev/null; then
  init "$W/perfdata"
  perf record -g -o "$W/perf.data" -- "$BIN" import --from "sqlite:$W/crm.db" --tenant-column org \
    --service crmimp --data "$W/perfdata" >/dev/null 2>&1 || { echo "perf record failed"; exit 0; }
  echo "---- import: top symbols"
  perf report -i "$W/perf.data" --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -15
fi
