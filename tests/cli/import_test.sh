#!/usr/bin/env bash
# import_test.sh — tenantd import (issue 12 part 4, SPEC §8), tenants on
# either backend: a generated 13-table CRM in a shared SQLite database
# (tests/cli/fixtures/crm_source.sh: nullable foreign keys, a
# self-reference, a key over (org, id), JSON columns, NULLs, a blob, four
# tenants of uneven sizes) becomes one tenant per value of `org` in a
# service generated from its schema. 0 rows lost per tenant per table,
# every foreign key resolved in the target, the report's checksums match,
# a second run changes nothing, a changed source rewrites only what
# changed, --dry-run writes nothing, --map names the tenants, bad inputs
# get their codes and change nothing. On PostgreSQL also from a
# PostgreSQL source.
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"

td_init
SRC=$T/crm.db
"$TD_SRC/tests/cli/fixtures/crm_source.sh" "$SRC"
SVC=$T/services
mkdir -p "$SVC"
imp() { env TENANTD_SERVICES_DIR="$SVC" "$TD_BIN" import "$@" --data "$DATA"; }
ntenants() { td tenant list --json | jq length; }
TABLES=$(sqlite3 "$SRC" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
eq "$(echo "$TABLES" | wc -l)" 13 "source tables"

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

tbl() { if [ "$BACKEND" = postgres ]; then echo "${2:-crmimp}.$1"; else echo "$1"; fi; }
declare -A TID SLUG=([Acme Corp]=acme-corp [Globex]=globex [Initech]=initech [42]=t-42)
for v in "Acme Corp" Globex Initech 42; do TID[$v]=$(td tenant show "${SLUG[$v]}" --json | jq -r .id); done
# 0 rows lost: per tenant per table, the target's own count is the
# source's, and so is the report's (one query per tenant on each side)
counts() { # counts SVC DB VALUE|dst: rows per table of the source or the tenant
  local svc=$1 db=$2 v=$3 q="" t
  for t in $TABLES; do
    if [ "$db" != dst ]; then q="$q${q:+ UNION ALL }SELECT '$t', count(*) FROM $t WHERE org = '$v'"
    else q="$q${q:+ UNION ALL }SELECT '$t', count(*) FROM $(tbl "$t" "$svc")"; fi
  done
  if [ "$db" != dst ]; then sqlite3 -separator ' ' "$db" "$q"; else tenant_sql "${TID[$v]}" "$svc" "$q" | tr '|' ' '; fi
}
check_rows() { # check_rows SVC SOURCE_FILE REPORT
  local v
  for v in "Acme Corp" Globex Initech 42; do
    counts "$1" "$2" "$v" >"$T/want"
    counts "$1" dst "$v" >"$T/got"
    diff "$T/want" "$T/got" >&2 || fail "$v: rows lost (source, then target above)"
    jq -r --arg s "${SLUG[$v]}" 'select(.tenant == $s) | "\(.table) \(.source_rows)\n\(.table) \(.imported_rows)"' \
      "$3" | sort -u >"$T/rep"
    sort "$T/want" | diff - "$T/rep" >&2 || fail "$v: the report's counts are not the source's"
  done
  pass
}
# every foreign key resolved, and as many set as in the source
check_refs() { # check_refs SVC SOURCE_FILE
  local v t col ref qs qd
  jq -r '.resources[] | .name as $r | .fields[] | select(.type == "ref") | "\($r) \(.name) \(.ref)"' \
    "$SVC/$1/service.json" >"$T/refs"
  eq "$(wc -l <"$T/refs")" 21 "foreign keys in the target"
  for v in "Acme Corp" Globex Initech 42; do
    qs="" qd=""
    while read -r t col ref; do
      qs="$qs${qs:+ UNION ALL }SELECT '$t.$col', 0, count($col) FROM $t WHERE org = '$v'"
      qd="$qd${qd:+ UNION ALL }SELECT '$t.$col', (SELECT count(*) FROM $(tbl "$t" "$1") c WHERE c.$col IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM $(tbl "$ref" "$1") p WHERE p.id = c.$col)), (SELECT count($col) FROM $(tbl "$t" "$1"))"
    done <"$T/refs"
    sqlite3 -separator ' ' "$2" "$qs" >"$T/want"
    tenant_sql "${TID[$v]}" "$1" "$qd" | tr '|' ' ' >"$T/got"
    diff "$T/want" "$T/got" >&2 || fail "$v: references lost or pointing nowhere (table.column dangling set)"
  done
  pass
}
cp "$SRC" "$T/crm0.db"
check_rows crmimp "$SRC" "$T/report1"
check_refs crmimp "$SRC"
# references point at the row the source meant (self-reference, key over (org, id))
A=${TID[Acme Corp]}
eq "$(tenant_sql "$A" crmimp "SELECT p.src_id FROM $(tbl accounts) c JOIN $(tbl accounts) p ON p.id = c.parent_id WHERE c.src_id = '10000003'")" 10000004 "a self-reference to a later row"
eq "$(tenant_sql "$A" crmimp "SELECT e.src_id FROM $(tbl event_dates) d JOIN $(tbl events) e ON e.id = d.event_id WHERE d.src_id = '10000005'")" \
   "$(sqlite3 "$SRC" "SELECT event_id FROM event_dates WHERE id = 10000005")" "a reference over (org, id)"
eq "$(tenant_sql "$A" crmimp "SELECT src_id FROM $(tbl account_contacts) WHERE role IS NULL ORDER BY src_id LIMIT 1")" \
   "$(sqlite3 "$SRC" "SELECT account_id || ':' || contact_id FROM account_contacts WHERE org = 'Acme Corp' AND role IS NULL ORDER BY 1 LIMIT 1")" "a composite key"

# through the API: the rows, JSON values, NULLs and references
TENANTD_SERVICES_DIR=$SVC start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
H=(-H "Authorization: Bearer $ROOT" -H "X-Tenant: acme-corp")
eq "$(get "${H[@]}" -G "$BASE/v1/crmimp/contacts" --data-urlencode "filter=src_id eq '10000006'")" 200 "list contacts"
eq "$(jq -c '.items[0].meta' "$T/body")" '{"tags":["a","b\"q"],"score":6,"vip":true}' "a JSON column"
eq "$(jq -c '.items[0].last_name' "$T/body")" 'null' "a NULL"
OWNER=$(jq -r '.items[0].owner_id' "$T/body")
[ "$OWNER" = null ] || fail "contact 6 has no owner in the source"; pass
eq "$(get "${H[@]}" -G "$BASE/v1/crmimp/accounts" --data-urlencode "filter=src_id eq '10000003'")" 200 "list accounts"
PARENT=$(jq -r '.items[0].parent_id' "$T/body")
eq "$(jq -r '.items[0].annual_revenue' "$T/body")" null "a NULL number"
eq "$(get "${H[@]}" "$BASE/v1/crmimp/accounts/$PARENT")" 200 "the parent by its id"
eq "$(jq -r .src_id "$T/body")" 10000004 "the parent is the source's"
eq "$(jq -r .annual_revenue "$T/body")" 4938.2712 "a number"
eq "$(get "${H[@]}" -G "$BASE/v1/crmimp/accounts" --data-urlencode "filter=parent_id eq '$PARENT'")" 200 "filter by a reference"
eq "$(jq '.items | length' "$T/body")" 1 "the children of an account"
# a row made through the API (no source key), then deleted
eq "$(post "${H[@]}" "$BASE/v1/crmimp/accounts" -d "{\"name\":\"New\",\"parent_id\":\"$PARENT\"}")" 201 "create through the API"
NEW=$(jq -r .id "$T/body")
eq "$(jq -r .src_id "$T/body")" null "a row made through the API has no source key"
eq "$(call DELETE "${H[@]}" "$BASE/v1/crmimp/accounts/$NEW")" 204 "delete through the API"
stop_server

# ---- a second run changes nothing ----
dump() { for t in $TABLES; do tenant_sql "$A" crmimp "SELECT * FROM $(tbl "$t") ORDER BY id"; done; }
dump >"$T/before"
audits() { td audit list --action tenant.import --json | jq '.items | length'; }
eq "$(audits)" 4 "one tenant.import record per tenant"
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --json
eq "$(grep -c '"action":"unchanged"' "$T/out")" 52 "all unchanged"
eq "$(tail -n 1 "$T/out" | jq -c '[.created, .changed, .mismatches]')" '[0,0,0]' "nothing changed"
dump >"$T/after"
cmp -s "$T/before" "$T/after" || fail "the second run changed rows"; pass
eq "$(audits)" 4 "no audit record for a run that changed nothing"

# ---- the source changes: a dry run says what would change, writes nothing ----
sqlite3 "$SRC" "UPDATE contacts SET email = NULL, meta = json_object('x', 1) WHERE id = 20000003;
  DELETE FROM attachments WHERE id = 30000002;
  INSERT INTO users (id, org, email) VALUES (50000001, 'Hooli', 'h@hooli.test');
  INSERT INTO accounts (id, org, name, parent_id, owner_id) VALUES (50000001, 'Hooli', 'H', NULL, 50000001)"
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --dry-run --json
eq "$(jq -r 'select(.action == "would_write") | "\(.tenant).\(.table)"' "$T/out" | sort | xargs)" "globex.contacts initech.attachments" "what would be written"
eq "$(grep -c '"tenant":"hooli".*"action":"would_create"' "$T/out")" 13 "a new tenant would be made"
eq "$(ntenants)" 4 "the dry run made no tenant"
eq "$(tenant_sql "${TID[Globex]}" crmimp "SELECT email FROM $(tbl contacts) WHERE src_id = '20000003'")" c3@x.test "the dry run wrote nothing"
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --json
eq "$(jq -r 'select(.action == "written") | "\(.tenant).\(.table)"' "$T/out" | grep -v '^hooli' | sort | xargs)" "globex.contacts initech.attachments" "only what changed is written"
eq "$(grep -c '"match":true' "$T/out")" 65 "every checksum matches"
eq "$(tenant_sql "${TID[Globex]}" crmimp "SELECT coalesce(email, 'NULL') || ' ' || meta FROM $(tbl contacts) WHERE src_id = '20000003'")" 'NULL {"x":1}' "the changed row"
eq "$(tenant_sql "${TID[Initech]}" crmimp "SELECT count(*) FROM $(tbl attachments) WHERE src_id = '30000002'")" 0 "the deleted row"
dump >"$T/after"
cmp -s "$T/before" "$T/after" || fail "a tenant whose rows did not change was written"; pass

# ---- --map names the tenants ----
echo '{"Acme Corp": "acme-corp", "Globex": "globex", "Initech": "initech", "42": "t-42", "Hooli": "hooli"}' >"$T/map.json"
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --map "$T/map.json" --json
eq "$(grep -c '"action":"unchanged"' "$T/out")" 65 "a map onto the same tenants changes nothing"
echo '{"Acme Corp": "acme", "Globex": "globex", "Initech": "initech", "42": "answer", "Hooli": "hooli"}' >"$T/map2.json"
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --map "$T/map2.json" --dry-run --json
eq "$(jq -r 'select(.action == "would_create") | .tenant' "$T/out" | sort -u | xargs)" "acme answer" "mapped slugs"

# ---- a table report on a terminal-less run, exit 1 on a mismatch ----
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp
expect_contains "$T/out" "5 tenants (0 created, 0 written), 2159 source rows, 0 mismatches"
expect_contains "$T/out" "CHECKSUM"

# ---- a target that does not keep what was written: a mismatch, exit 1 ----
I=${TID[Initech]}
if [ "$BACKEND" = postgres ]; then
  tenant_exec "$I" crmimp 'CREATE FUNCTION @s.mangle() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN NEW.body := NULL; RETURN NEW; END $$;
    CREATE TRIGGER mangle BEFORE INSERT ON @s.notes FOR EACH ROW EXECUTE FUNCTION @s.mangle()'
else
  tenant_exec "$I" crmimp "CREATE TRIGGER mangle AFTER INSERT ON notes BEGIN
    UPDATE notes SET body = NULL WHERE id = NEW.id; END"
fi
sqlite3 "$SRC" "UPDATE notes SET body = 'changed' WHERE id = 30000001"
expect_rc 1 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --json
eq "$(jq -r 'select(.match == false) | "\(.tenant).\(.table) \(.action)"' "$T/out")" "initech.notes written" "the mismatch reported"
eq "$(tail -n 1 "$T/out" | jq .mismatches)" 1 "counted"
if [ "$BACKEND" = postgres ]; then tenant_exec "$I" crmimp 'DROP TRIGGER mangle ON @s.notes'
else tenant_exec "$I" crmimp 'DROP TRIGGER mangle'; fi
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --json
eq "$(jq -r 'select(.action == "written") | "\(.tenant).\(.table)"' "$T/out")" "initech.notes" "written again"
eq "$(grep -c '"match":true' "$T/out")" 65 "every checksum matches again"

# ---- kill -9 in the middle, then run again: the same rows ----
sqlite3 "$SRC" "INSERT INTO users (id, org, email) VALUES (60000001, 'Zeta', 'z@zeta.test'), (60000002, 'Zeta', 'y@zeta.test');
  INSERT INTO accounts (id, org, name, parent_id, owner_id) VALUES (60000001, 'Zeta', 'Z', 60000002, 60000001),
    (60000002, 'Zeta', 'Y', NULL, NULL)"
expect_rc 137 env TENANTD_FAULT=import_before_commit TENANTD_SERVICES_DIR="$SVC" "$TD_BIN" import \
  --from "sqlite:$SRC" --tenant-column org --service crmimp --data "$DATA"
Z=$(td tenant show zeta --json | jq -r .id)
eq "$(tenant_sql "$Z" crmimp "SELECT count(*) FROM $(tbl accounts)")" 0 "killed before its commit: nothing of it"
expect_rc 137 env TENANTD_FAULT=import_after_commit TENANTD_SERVICES_DIR="$SVC" "$TD_BIN" import \
  --from "sqlite:$SRC" --tenant-column org --service crmimp --data "$DATA"
eq "$(tenant_sql "$Z" crmimp "SELECT count(*) FROM $(tbl accounts)")" 2 "killed after its commit: all of it"
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --json
eq "$(grep -c '"match":true' "$T/out")" 78 "every checksum matches after the kills"
eq "$(grep -c '"action":"unchanged"' "$T/out")" 78 "the run after the kills had nothing left to do"
eq "$(tenant_sql "$Z" crmimp "SELECT c.src_id || '>' || p.src_id FROM $(tbl accounts) c JOIN $(tbl accounts) p ON p.id = c.parent_id")" \
   "60000001>60000002" "a reference to a later row, after the kills"

# ---- as a job: its worker killed before a tenant's commit, the next one finishes ----
sqlite3 "$SRC" "INSERT INTO users (id, org, email) VALUES (70000001, 'Kappa', 'k@kappa.test');
  INSERT INTO products (id, org, sku) VALUES (70000001, 'Kappa', 'K-1')"
expect_rc 2 imp --from "postgres://u:pw@127.0.0.1:1/x" --tenant-column org --service crmimp --async
expect_contains "$T/err" import_secret_in_url
expect_rc 2 imp --from "sqlite:$SRC" --tenant-column nosuch --service crmimp --async
expect_contains "$T/err" import_tenant_column_missing
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --async --json
JOB=$(jq -r .job.id "$T/out")
eq "$(jq -r .job.kind "$T/out")" tenants.import "the job's kind"
! td tenant show kappa >/dev/null 2>&1 || fail "queuing the job made the tenant"; pass
set +e
env TENANTD_FAULT=import_before_commit TENANTD_JOB_LEASE_MS=300 TENANTD_SERVICES_DIR="$SVC" \
  "$TD_BIN" jobs run --once --data "$DATA" >/dev/null 2>&1
rc=$?
set -e
eq "$rc" 137 "the job's worker killed before kappa's commit"
K=$(td tenant show kappa --json | jq -r .id)
eq "$(tenant_sql "$K" crmimp "SELECT count(*) FROM $(tbl users)")" 0 "nothing of kappa's rows yet"
sleep 0.5 # its lease ends
expect_rc 0 env TENANTD_JOB_LEASE_MS=300 TENANTD_SERVICES_DIR="$SVC" "$TD_BIN" jobs run --once --data "$DATA"
expect_rc 0 td jobs show "$JOB" --json
eq "$(jq -r .state "$T/out")" succeeded "the next worker finishes the job"
eq "$(jq -r .progress.message "$T/out")" "7 of 7 tenants (last zeta), 2165 rows" "its progress"
eq "$(tenant_sql "$K" crmimp "SELECT src_id FROM $(tbl products)")" 70000001 "kappa's rows"
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --json
eq "$(grep -c '"action":"unchanged"' "$T/out")" 91 "nothing left after the job"

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
