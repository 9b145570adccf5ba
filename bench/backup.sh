#!/usr/bin/env bash
# bench/backup.sh — backup and restore throughput of one SQLite tenant
# (issue 12: "Backup and restore of a tenant of 1 GB of rows at ≥ 100 MB/s
# on SQLite").
#
#   bench/backup.sh                 1 GB of rows
#   SIZE_MB=256 bench/backup.sh     a smaller tenant
#
# Environment: SIZE_MB (the tenant's service files, default 1024), PERF=1
# (the backup and the restore once more under perf record -g, top symbols
# printed; not counted), KEEP=1 (keep the temp folder).
#
# A Release build; `tenantd init` and one SQLite tenant (crm) on a fresh
# folder; crm.customers filled with rows (ids, names of 100 random hex
# digits, emails, timestamps) until the tenant's files hold SIZE_MB; then
# `tenantd backup SLUG --out FILE` and `tenantd restore FILE` timed. MB/s is
# the tenant's file bytes (what the rows take on disk) over the wall time.
# Prints the figures, the backup file's size (compressed, encrypted), and
# `target backup_mb_s >= 100: met/NOT met`, the same for restore.
set -euo pipefail
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; } # arithmetic on decimals
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MB=${SIZE_MB:-1024}
for t in sqlite3 cmake ninja; do
  command -v "$t" >/dev/null || { echo "backup: $t missing (scripts/install-deps bench)" >&2; exit 1; }
done
W=$(mktemp -d /tmp/tdbackup.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT

cmake -S "$ROOT" -B "$ROOT/build/release" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$ROOT/build/release" -j2 tenantd >/dev/null
BIN=$ROOT/build/release/tenantd
export TENANTD_LOG=warn
unset TENANTD_CATALOG_URL TENANTD_TENANT_DB_URL TENANTD_MASTER_KEY
td() { "$BIN" "$@" --data "$W/data"; }
echo 'bench-password-1' | td init --admin-password-stdin >/dev/null
td tenant create big --services crm >/dev/null
ID=$(td tenant show big --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -1)
DB=$W/data/tenants/$ID/crm.db

# fill in batches of 200 000 rows until the tenant's files reach SIZE_MB
files_mb() { du -sm --apparent-size "$W/data/tenants/$ID" | cut -f1; }
batch=0
t0=$(date +%s.%N)
while [ "$(files_mb)" -lt "$SIZE_MB" ]; do
  sqlite3 "$DB" "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
    INSERT INTO customers (id, name, email, phone, created_at, updated_at)
    SELECT printf('b%d-%07d', $batch, i), hex(randomblob(50)), 'user' || i || '@example.test',
           '+33 6 ' || (i % 100000000), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
           strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM n;
    PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  batch=$((batch + 1))
done
ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM customers")
BYTES=$(du -sb --apparent-size "$W/data/tenants/$ID" | cut -f1)
MB=$(calc "$BYTES / 1048576")
printf 'tenant: %d rows, %.0f MB of files (filled in %.0f s)\n' "$ROWS" "$MB" "$(calc "$(date +%s.%N) - $t0")"

timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); calc "$e - $s"; }
sync
TB=$(timed td backup big --out "$W/big.tdb")
FILE_MB=$(calc "$(stat -c %s "$W/big.tdb") / 1048576")
sync
TR=$(timed td restore "$W/big.tdb")
BMB=$(calc "$MB / $TB"); RMB=$(calc "$MB / $TR")
printf 'backup:  %.2f s, %.0f MB/s (file %.0f MB, %.1f%% of the tenant)\n' "$TB" "$BMB" "$FILE_MB" "$(calc "100 * $FILE_MB / $MB")"
printf 'restore: %.2f s, %.0f MB/s\n' "$TR" "$RMB"
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
for x in "backup $BMB" "restore $RMB"; do
  set -- $x
  if awk -v v="$2" 'BEGIN { exit !(v >= 100) }'; then m=met; else m="NOT met"; fi
  printf 'target %s_mb_s >= 100: %s (%.0f)\n' "$1" "$m" "$2"
done

if [ -n "${PERF:-}" ] && command -v perf >/dev/null; then
  for what in backup restore; do
    if [ $what = backup ]; then cmd=(backup big --out "$W/perf.tdb"); else cmd=(restore "$W/big.tdb"); fi
    perf record -g -o "$W/perf.$what" -- "$BIN" "${cmd[@]}" --data "$W/data" >/dev/null 2>&1 || { echo "perf record failed"; break; }
    echo "---- $what: top symbols"
    perf report -i "$W/perf.$what" --no-children --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -15
  done
fi
