#!/usr/bin/env bash
# import_test.sh — tenantd import (issue 12 part 4, SPEC §8), tenants on
# either backend: a generated 13-table CRM in a shared SQLite database
# (tests/cli/fixtures/crm_source.sh: nullable foreign keys, a
# self-reference, a key over (org, id), JSON columns, NULLs, a blob, four
# tenants of uneven sizes) becomes one tenant per value of `org` in a
# service generated from its schema. 0 rows lost per tenant per table,
# every foreign key resolved in the target, the report's checksums match,
# --dry-run writes nothing, bad inputs and bad maps get their codes and
# change nothing. On PostgreSQL also from a PostgreSQL source. What later
# runs do (a second run, a changed source, --map, kills, the job):
# import_rerun_test.sh.
. "$(dirname "$0")/import.sh"

# ---- bad input: a stable code each, nothing changed ----
expect_rc 2 imp --from mysql://db/x --tenant-column org
expect_contains "$T/err" import_unknown_scheme
expect_rc 1 imp --from "sqlite:$T/none.db" --tenant-column org
expect_contains "$T/err" import_source_not_found
[ ! -e "$T/none.db" ] || fail "a missing source file was created"; pass
expect_rc 1 imp --from "postgresql://nobody:secret-pw@127.0.0.1:1/x" --tenant-column org
expect_contains "$T/err" import_source_unreachable
expect_not_contains "$T/err" secret-pw
echo 'not a database' >"$T/text.db"
expect_rc 1 imp --from "sqlite:$T/text.db" --tenant-column org
expect_contains "$T/err" import_source_unreachable
expect_rc 2 imp --from "sqlite:$SRC" --tenant-column 'org"; DROP TABLE users; --'
expect_contains "$T/err" import_bad_name
cp "$SRC" "$T/unscoped.db"
sqlite3 "$T/unscoped.db" "CREATE TABLE settings (k TEXT PRIMARY KEY, v TEXT);
  CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT)"
expect_rc 2 imp --from "sqlite:$T/unscoped.db" --tenant-column org
expect_contains "$T/err" 'import_tenant_column_missing: tables without column org: settings, tags'
expect_rc 2 imp --from "sqlite:$SRC" --tenant-column tenant_id --dry-run
expect_contains "$T/err" import_tenant_column_missing
expect_rc 1 imp --from "sqlite:$SRC" --tenant-column org --service nosuch
expect_contains "$T/err" import_service_not_found
expect_rc 2 imp --from "sqlite:$SRC" --tenant-column org --generate-service crmimp
eq "$(ntenants)" 0 "no tenant made by bad input"
[ -z "$(ls "$SVC")" ] || fail "bad input wrote a service"; pass

# ---- the service generated from the source schema ----
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --generate-service crmimp --out "$SVC"
expect_contains "$T/out" "service crmimp written"
for f in service.json migrations/sqlite/0001_init.sql migrations/postgres/0001_init.sql; do
  [ -s "$SVC/crmimp/$f" ] || fail "no $f"; pass
done
eq "$(jq '.resources | length' "$SVC/crmimp/service.json")" 13 "a resource per table"
eq "$(jq -r '.resources[] | select(.name == "accounts") | .fields[] | select(.name == "parent_id") | .ref' "$SVC/crmimp/service.json")" accounts "self-reference"
eq "$(jq -r '.resources[] | select(.name == "contacts") | .fields[] | select(.name == "meta") | .type' "$SVC/crmimp/service.json")" json "JSON column"
eq "$(jq -r '.resources[] | select(.name == "event_dates") | .fields[] | select(.name == "event_id") | .ref' "$SVC/crmimp/service.json")" events "key over (org, event_id)"
expect_not_contains "$SVC/crmimp/service.json" '"org"'
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --generate-service crmimp --out "$SVC"
expect_contains "$T/out" "service crmimp unchanged"
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --generate-service crmimp --out "$SVC" --json
eq "$(jq -c '[.service, .unchanged]' "$T/out")" '["crmimp",true]' "generation again: unchanged (--json)"
cp "$SRC" "$T/extra.db"
sqlite3 "$T/extra.db" "CREATE TABLE labels (id INTEGER PRIMARY KEY, org TEXT, name TEXT)"
expect_rc 1 imp --from "sqlite:$T/extra.db" --tenant-column org --generate-service crmimp --out "$SVC"
expect_contains "$T/err" import_service_exists
expect_rc 1 imp --from "sqlite:$T/extra.db" --tenant-column org --service crmimp
expect_contains "$T/err" import_schema_mismatch

# ---- bad maps ----
echo '{"Acme Corp": "acme"' >"$T/broken.json"
expect_rc 2 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --map "$T/broken.json"
expect_contains "$T/err" import_bad_map
echo '{"Acme Corp": "acme", "Globex": "globex"}' >"$T/partial.json"
expect_rc 2 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --map "$T/partial.json"
expect_contains "$T/err" 'import_bad_map: --map: no slug for value "42"'
echo '{"Acme Corp": "Acme!", "Globex": "g", "Initech": "i", "42": "f"}' >"$T/badslug.json"
expect_rc 2 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --map "$T/badslug.json"
expect_contains "$T/err" import_bad_map
echo '{"Acme Corp": "same", "Globex": "same", "Initech": "ini", "42": "forty-two"}' >"$T/clash.json"
expect_rc 2 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --map "$T/clash.json"
expect_contains "$T/err" import_slug_clash
eq "$(ntenants)" 0 "no tenant made by a bad map"

# ---- a dry run writes nothing ----
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --dry-run --json
eq "$(grep -c '"action":"would_create"' "$T/out")" 52 "4 tenants x 13 tables would be made"
eq "$(tail -n 1 "$T/out" | jq -c '[.tenants, .created, .changed, .dry_run]')" '[4,0,0,true]' "dry-run summary"
eq "$(ntenants)" 0 "a dry run made no tenant"

# ---- the import ----
# (with 4 catalog connections: each tenant gives back what it leased
# before the next one starts, so a run of many tenants never waits for one)
expect_rc 0 env TENANTD_CATALOG_CONNECTIONS=4 TENANTD_SERVICES_DIR="$SVC" "$TD_BIN" import \
  --from "sqlite:$SRC" --tenant-column org --service crmimp --json --data "$DATA"
cp "$T/out" "$T/report1"
eq "$(grep -c '"table"' "$T/report1")" 52 "a line per tenant per table"
eq "$(grep -c '"match":true' "$T/report1")" 52 "every checksum matches"
eq "$(tail -n 1 "$T/report1" | jq -c '[.tenants, .created, .changed, .mismatches]')" '[4,4,4,0]' "summary"
eq "$(td tenant list --json | jq -r 'map(.slug) | sort | join(" ")')" "acme-corp globex initech t-42" "slugs by the rule"
eq "$(td tenant show acme-corp --json | jq -r .name)" "Acme Corp" "the value names the tenant"

tenant_ids
cp "$SRC" "$T/crm0.db"
check_rows crmimp "$SRC" "$T/report1"
check_refs crmimp "$SRC"
# references point at the row the source meant (self-reference, key over (org, id))
eq "$(tenant_sql "$A" crmimp "SELECT p.src_id FROM $(tbl accounts) c JOIN $(tbl accounts) p ON p.id = c.parent_id WHERE c.src_id = '10000003'")" 10000004 "a self-reference to a later row"
eq "$(tenant_sql "$A" crmimp "SELECT e.src_id FROM $(tbl event_dates) d JOIN $(tbl events) e ON e.id = d.event_id WHERE d.src_id = '10000005'")" \
   "$(sqlite3 "$SRC" "SELECT event_id FROM event_dates WHERE id = 10000005")" "a reference over (org, id)"
eq "$(tenant_sql "$A" crmimp "SELECT src_id FROM $(tbl account_contacts) WHERE role IS NULL ORDER BY src_id LIMIT 1")" \
   "$(sqlite3 "$SRC" "SELECT account_id || ':' || contact_id FROM account_contacts WHERE org = 'Acme Corp' AND role IS NULL ORDER BY 1 LIMIT 1")" "a composite key"

# ---- from a PostgreSQL source (tenants on either backend) ----
if [ "$BACKEND" = postgres ]; then
  SRCDB="${CATDB}_src"
  pg "CREATE DATABASE $SRCDB"
  PGSRC="${TD_TEST_PG_URL%/*}/$SRCDB"
  # the fixture's DDL in PostgreSQL's words, then its rows as CSV
  sqlite3 "$T/crm0.db" "SELECT sql || ';' FROM sqlite_master WHERE type = 'table' ORDER BY rowid" |
    sed -e 's/ JSON/ jsonb/g; s/ BLOB/ bytea/g; s/ REAL/ double precision/g' >"$T/pg.sql"
  psql "$PGSRC" -XAtq -v ON_ERROR_STOP=1 -f "$T/pg.sql"
  for t in $TABLES; do
    cols=$(sqlite3 "$T/crm0.db" "SELECT group_concat(CASE WHEN type = 'BLOB' THEN
      'CASE WHEN ' || name || ' IS NOT NULL THEN ''\\x'' || lower(hex(' || name || ')) END'
      WHEN type = 'BOOLEAN' THEN 'CASE ' || name || ' WHEN 1 THEN ''t'' WHEN 0 THEN ''f'' END'
      ELSE name END, ', ') FROM pragma_table_info('$t')")
    sqlite3 -csv "$T/crm0.db" "SELECT $cols FROM $t" >"$T/$t.csv"
    psql "$PGSRC" -XAtq -v ON_ERROR_STOP=1 -c "SET session_replication_role = replica" \
      -c "\\copy $t FROM '$T/$t.csv' WITH (FORMAT csv)"
  done
  psql "$PGSRC" -XAtq -v ON_ERROR_STOP=1 -c "ALTER TABLE accounts ADD FOREIGN KEY (parent_id) REFERENCES accounts (id)"
  expect_rc 0 imp --from "$PGSRC" --tenant-column org --generate-service crmpg --out "$SVC"
  eq "$(jq -r '.resources[] | select(.name == "contacts") | .fields[] | select(.name == "meta") | .type' "$SVC/crmpg/service.json")" json "a jsonb column"
  expect_rc 0 imp --from "$PGSRC" --tenant-column org --service crmpg --json
  cp "$T/out" "$T/report_pg"
  eq "$(grep -c '"match":true' "$T/report_pg")" 52 "every checksum matches (PostgreSQL source)"
  eq "$(tail -n 1 "$T/report_pg" | jq -c '[.tenants, .created, .changed, .mismatches]')" '[4,0,4,0]' "the same tenants, given the service"
  check_rows crmpg "$T/crm0.db" "$T/report_pg"
  check_refs crmpg "$T/crm0.db"
  eq "$(tenant_sql "$A" crmpg "SELECT id FROM crmpg.accounts ORDER BY id" | md5sum)" \
     "$(tenant_sql "$A" crmimp "SELECT id FROM crmimp.accounts ORDER BY id" | md5sum)" "the same ids from either source"
  expect_rc 0 imp --from "$PGSRC" --tenant-column org --service crmpg --json
  eq "$(grep -c '"action":"unchanged"' "$T/out")" 52 "a second run from PostgreSQL changes nothing"
  pg "DROP DATABASE $SRCDB WITH (FORCE)"
fi

done_ok
