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
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --service crmimp --json
cp "$T/out" "$T/report1"
eq "$(grep -c '"table"' "$T/report1")" 52 "a line per tenant per table"
eq "$(grep -c '"match":true' "$T/report1")" 52 "every checksum matches"
eq "$(tail -n 1 "$T/report1" | jq -c '[.tenants, .created, .changed, .mismatches]')" '[4,4,4,0]' "summary"
eq "$(td tenant list --json | jq -r 'map(.slug) | sort | join(" ")')" "acme-corp globex initech t-42" "slugs by the rule"
eq "$(td tenant show acme-corp --json | jq -r .name)" "Acme Corp" "the value names the tenant"

tbl() { if [ "$BACKEND" = postgres ]; then echo "crmimp.$1"; else echo "$1"; fi; }
declare -A TID SLUG=([Acme Corp]=acme-corp [Globex]=globex [Initech]=initech [42]=t-42)
for v in "Acme Corp" Globex Initech 42; do TID[$v]=$(td tenant show "${SLUG[$v]}" --json | jq -r .id); done
# 0 rows lost: per tenant per table, the target's own count is the source's
for v in "Acme Corp" Globex Initech 42; do
  for t in $TABLES; do
    want=$(sqlite3 "$SRC" "SELECT count(*) FROM $t WHERE org = '$v'")
    got=$(tenant_sql "${TID[$v]}" crmimp "SELECT count(*) FROM $(tbl "$t")")
    [ "$got" = "$want" ] || fail "$v.$t: $got rows imported of $want"
    rep=$(jq -r --arg s "${SLUG[$v]}" --arg t "$t" 'select(.tenant == $s and .table == $t) | "\(.source_rows) \(.imported_rows)"' "$T/report1")
    [ "$rep" = "$want $want" ] || fail "$v.$t: the report says $rep, the source has $want"
  done
done
pass
# every foreign key resolved, and as many set as in the source
jq -r '.resources[] | .name as $r | .fields[] | select(.type == "ref") | "\($r) \(.name) \(.ref)"' \
  "$SVC/crmimp/service.json" >"$T/refs"
eq "$(wc -l <"$T/refs")" 21 "foreign keys in the target"
while read -r t col ref; do
  for v in "Acme Corp" Globex Initech 42; do
    dangling=$(tenant_sql "${TID[$v]}" crmimp "SELECT count(*) FROM $(tbl "$t") c WHERE c.$col IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM $(tbl "$ref") p WHERE p.id = c.$col)")
    [ "$dangling" = 0 ] || fail "$v: $dangling rows of $t.$col point nowhere"
    want=$(sqlite3 "$SRC" "SELECT count($col) FROM $t WHERE org = '$v'")
    got=$(tenant_sql "${TID[$v]}" crmimp "SELECT count($col) FROM $(tbl "$t")")
    [ "$got" = "$want" ] || fail "$v: $t.$col set in $got rows, $want in the source"
  done
done <"$T/refs"
pass
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

done_ok
