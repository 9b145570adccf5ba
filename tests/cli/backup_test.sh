#!/usr/bin/env bash
# backup_test.sh — tenantd backup / restore (issue 12, part 2), on either
# backend: a round trip gives back the same rows (ids, timestamps, numbers,
# bytes, NULLs); --as clones; a deleted tenant's backups cannot be read; a
# damaged file is refused and the tenant stays as it was; bad inputs get
# stable codes and change nothing; kill -9 in the middle of a backup and of
# a restore leaves the tenant as it was, and running the command again
# finishes.
source "$(dirname "$0")/lib.sh"

td_init
td tenant create acme --services crm,cms,analytics >/dev/null
ACME=$(td tenant show acme --json | jq -r .id)

# a table's name in SQL: schema-qualified on PostgreSQL
tbl() { if [ "$BACKEND" = postgres ]; then echo "$1.$2"; else echo "$2"; fi; }
hexof() { if [ "$BACKEND" = postgres ]; then echo "encode($1, 'hex')"; else echo "lower(hex($1))"; fi; }

fill() { # fill TENANT_ID: rows of every kind
  tenant_exec "$1" crm "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
    INSERT INTO @s.customers (id, name, email, created_at, updated_at)
    SELECT 'c' || i, 'Name ' || i || ' é€😀', CASE WHEN i % 3 = 0 THEN NULL ELSE 'e' || i || '@x.test' END,
           '2026-01-01T00:00:00.' || i || 'Z', '2026-02-01T00:00:00Z' FROM n"
  tenant_exec "$1" crm "INSERT INTO @s.deals (id, customer_id, title, amount, created_at, updated_at)
    VALUES ('d1', 'c1', 'big', 9223372036854775807, 't1', 't2'), ('d2', 'c2', 'neg', -42, 't1', 't2'),
           ('d3', NULL, 'tab	and
newline', 0, 't1', 't2')"
  tenant_exec "$1" analytics "INSERT INTO @s.events (id, name, ts, value, created_at, updated_at)
    VALUES ('e1', 'pi', 't', 3.141592653589793, 't', 't'), ('e2', 'tiny', 't', 1e-300, 't', 't'),
           ('e3', 'null', 't', NULL, 't', 't'), ('e4', 'third', 't', 0.1 + 0.2, 't', 't')"
  tenant_exec "$1" cms "INSERT INTO @s.media (id, filename, content_type, created_at, updated_at)
    VALUES ('m1', 'a.bin', 'application/octet-stream', 't', 't')"
  if [ "$BACKEND" = postgres ]; then
    tenant_exec "$1" cms "INSERT INTO cms.media_content (media_id, bytes) VALUES ('m1', '\\x00ff00107f80'::bytea)"
  else
    tenant_exec "$1" cms "INSERT INTO media_content (media_id, bytes) VALUES ('m1', x'00ff00107f80')"
  fi
}

# dump TENANT_ID: every row of interest, exactly (doubles as exact texts)
dump() {
  tenant_sql "$1" crm "SELECT * FROM $(tbl crm customers) ORDER BY id"
  tenant_sql "$1" crm "SELECT * FROM $(tbl crm deals) ORDER BY id"
  tenant_sql "$1" analytics "SELECT id, name, value, value = 3.141592653589793, value = 1e-300, value = 0.1 + 0.2 FROM $(tbl analytics events) ORDER BY id"
  tenant_sql "$1" cms "SELECT media_id, $(hexof bytes) FROM $(tbl cms media_content) ORDER BY media_id"
  tenant_sql "$1" auth "SELECT id, email, created_at FROM $(tbl auth users) ORDER BY id"
}

fill "$ACME"
dump "$ACME" >"$T/before"
[ "$(wc -l <"$T/before")" -gt 3000 ] || fail "the fixture rows are not there"; pass

# ---- round trip ----
expect_rc 0 td backup acme --out "$T/acme.tdb" --json
expect_contains "$T/out" '"event":"done"'
eq "$(tail -n 1 "$T/out" | jq -r .rows)" "$(tail -n 1 "$T/out" | jq -r .rows)" "rows reported"
[ -s "$T/acme.tdb" ] && [ ! -e "$T/acme.tdb.part" ] || fail "the backup file is not in place"; pass
head -c 8 "$T/acme.tdb" | grep -q TDBACKUP || fail "no magic"; pass
! grep -q 'Name 1 ' "$T/acme.tdb" || fail "rows in clear in the backup file"; pass

tenant_exec "$ACME" crm "DELETE FROM @s.deals"
tenant_exec "$ACME" crm "UPDATE @s.customers SET name = 'changed'"
tenant_exec "$ACME" cms "DELETE FROM @s.media_content"
expect_rc 0 td restore "$T/acme.tdb"
expect_contains "$T/out" "restored"
dump "$ACME" >"$T/after"
diff "$T/before" "$T/after" >&2 || fail "the restored rows differ from the backed-up ones"; pass
[ ! -e "$DATA/tenants/.restore-$ACME" ] || fail "the staging folder was left behind"; pass
# the tenant serves its restored data
expect_rc 0 td check

# ---- clone ----
expect_rc 0 td restore "$T/acme.tdb" --as acme-copy --json
CLONE=$(jq -r .tenant_id "$T/out")
eq "$(td tenant show acme-copy --json | jq -r .status)" active "the clone is active"
dump "$CLONE" >"$T/clone"
diff "$T/before" "$T/clone" >&2 || fail "the clone's rows differ"; pass

# ---- bad inputs: stable codes, nothing changed ----
expect_rc 1 td backup nosuch
expect_contains "$T/err" "tenant_not_found"
echo "not a backup" >"$T/junk"
expect_rc 2 td restore "$T/junk"
expect_contains "$T/err" "invalid_backup"
expect_rc 1 td restore "$T/missing.tdb"
expect_contains "$T/err" "backup_not_found"
expect_rc 1 td restore "$T/acme.tdb" --as acme-copy
expect_contains "$T/err" "slug_taken"
expect_rc 2 td restore "$T/acme.tdb" --as "Bad Slug"
expect_contains "$T/err" "invalid_slug"
expect_rc 2 td restore
expect_rc 2 td backup acme --out
eq "$(td tenant list --json | jq length)" 2 "no tenant made by a refused restore"

# ---- a damaged file: refused, the tenant as it was ----
tenant_exec "$ACME" crm "UPDATE @s.customers SET name = 'kept' WHERE id = 'c1'"
dump "$ACME" >"$T/current"
size=$(stat -c %s "$T/acme.tdb")
for at in $((size / 2)) $((size - 20)); do
  cp "$T/acme.tdb" "$T/bad.tdb"
  byte=$(dd if="$T/bad.tdb" bs=1 skip="$at" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
  printf "$(printf '\\%03o' $(( (byte + 1) % 256 )))" | dd of="$T/bad.tdb" bs=1 seek="$at" conv=notrunc 2>/dev/null
  expect_rc 1 td restore "$T/bad.tdb"
  expect_contains "$T/err" "backup_corrupt"
  dump "$ACME" >"$T/now"
  diff "$T/current" "$T/now" >&2 || fail "a refused restore changed the tenant (byte $at)"; pass
done
head -c $((size - 100)) "$T/acme.tdb" >"$T/short.tdb"
expect_rc 1 td restore "$T/short.tdb"
expect_contains "$T/err" "backup_corrupt"

# ---- kill -9 in the middle of a backup: no file; again: a good one ----
set +e; TENANTD_FAULT=backup_mid "$TD_BIN" backup acme --out "$T/k.tdb" --data "$DATA" >/dev/null 2>&1; rc=$?; set -e
eq "$rc" 137 "the backup was killed in the middle"
[ ! -e "$T/k.tdb" ] || fail "a killed backup left a file under its name"; pass
expect_rc 0 td backup acme --out "$T/k.tdb"
[ ! -e "$T/k.tdb.part" ] || fail "the partial file stayed"; pass

# ---- kill -9 in the middle of a restore: the tenant as it was ----
set +e; TENANTD_FAULT=restore_mid "$TD_BIN" restore "$T/acme.tdb" --data "$DATA" >/dev/null 2>&1; rc=$?; set -e
eq "$rc" 137 "the restore was killed in the middle"
dump "$ACME" >"$T/now"
diff "$T/current" "$T/now" >&2 || fail "a killed restore changed the tenant"; pass
expect_rc 0 td check
expect_rc 0 td restore "$T/acme.tdb"
dump "$ACME" >"$T/after"
diff "$T/before" "$T/after" >&2 || fail "the restore run again did not finish"; pass
if [ "$BACKEND" = sqlite ]; then
  # killed after the swap: the tenant has the restored data; again: clean
  tenant_exec "$ACME" crm "UPDATE @s.customers SET name = 'kept' WHERE id = 'c1'"
  set +e; TENANTD_FAULT=restore_swapped "$TD_BIN" restore "$T/acme.tdb" --data "$DATA" >/dev/null 2>&1; rc=$?; set -e
  eq "$rc" 137 "the restore was killed after its swap"
  dump "$ACME" >"$T/after"
  diff "$T/before" "$T/after" >&2 || fail "a restore killed after its swap lost it"; pass
  expect_rc 0 td check
  expect_rc 0 td restore "$T/acme.tdb"
  [ ! -e "$DATA/tenants/.restore-$ACME" ] || fail "the staging folder was left behind"; pass
  [ ! -e "$DATA/tenants/$ACME/.td-restore" ] || fail "the restore marker was left behind"; pass
fi

if [ "$BACKEND" = sqlite ]; then
  # one restore of a tenant at a time: a second one is refused, not mixed in
  flock "$DATA/tenants/.restore-$ACME.lock" sleep 5 & HOLD=$!
  sleep 0.3
  expect_rc 1 td restore "$T/acme.tdb"
  expect_contains "$T/err" "restore_in_progress"
  kill "$HOLD" 2>/dev/null || true; wait "$HOLD" 2>/dev/null || true
fi

# ---- crypto-shredding: a deleted tenant's backup cannot be read ----
td tenant create gone --services crm >/dev/null
GONE=$(td tenant show gone --json | jq -r .id)
tenant_exec "$GONE" crm "INSERT INTO @s.customers (id, name, created_at, updated_at) VALUES ('g1', 'secret', 't', 't')"
expect_rc 0 td backup gone --out "$T/gone.tdb"
expect_rc 0 td backup gone # a recorded one, in the data folder
ls "$DATA/backups/$GONE/"*.tdbackup >/dev/null || fail "no recorded backup file"; pass
eq "$(catalog_sql "SELECT count(*) FROM backups WHERE tenant_id = '$GONE'")" 1 "one recorded backup"
expect_rc 0 td tenant delete gone --yes
# its recorded backups go with it (unreadable now, they would only take room)
[ ! -e "$DATA/backups/$GONE" ] || fail "the deleted tenant's backups are still there"; pass
eq "$(catalog_sql "SELECT count(*) FROM backups WHERE tenant_id = '$GONE'")" 0 "nor their records"
expect_rc 1 td restore "$T/gone.tdb"
expect_contains "$T/err" "backup_unreadable"
expect_rc 1 td restore "$T/gone.tdb" --as gone-again
expect_contains "$T/err" "backup_unreadable"
td tenant show gone-again >/dev/null 2>&1 && fail "a refused clone made a tenant"; pass

done_ok
