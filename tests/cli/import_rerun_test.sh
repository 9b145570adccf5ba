#!/usr/bin/env bash
# tenantd import (import.sh) after the first run: the imported rows
# through the API, a second run changes nothing, a changed source
# rewrites only what changed (a dry run first writes nothing), --map
# names the tenants, a table report, a target that does not keep what was
# written is a mismatch (exit 1), a run killed (kill -9) before or after a
# tenant's commit is finished by the next, and so is an import job whose
# worker was killed. (The first run itself: import_test.sh.)
. "$(dirname "$0")/import.sh"

# ---- the first run (checked by import_test.sh) ----
expect_rc 0 imp --from "sqlite:$SRC" --tenant-column org --generate-service crmimp --out "$SVC"
expect_rc 0 env TENANTD_CATALOG_CONNECTIONS=4 TENANTD_SERVICES_DIR="$SVC" "$TD_BIN" import \
  --from "sqlite:$SRC" --tenant-column org --service crmimp --json --data "$DATA"
tenant_ids

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

done_ok
