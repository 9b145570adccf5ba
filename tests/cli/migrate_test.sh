#!/usr/bin/env bash
# Fleet migrations (issue 12 §1), with an operator's service
# (TENANTD_SERVICES_DIR) that gains migrations between server starts:
#  1. a tenant behind the code is never served a missing column (the
#     request migrates it first, not a 500), and `tenantd check` flags it;
#  2. enabling a service again runs its pending migrations and records the
#     version the database has;
#  3. migrate --dry-run changes nothing; migrate --all migrates and fills
#     the ledger (name, checksum, duration); a no-op run opens no tenant
#     database (it succeeds with every tenant database out of reach);
#  4. a migration edited after it was applied is refused;
#  5. a migration failing on one tenant leaves it as it was, quarantined,
#     and the others migrate; later runs report it; --retry-failed retries;
#  6. kill -9 in the middle of a wave (and between a tenant's commit and
#     its ledger record): running again finishes the same way;
#  7. bad input: clear errors with stable codes;
#  8. POST /v1/admin/migrations: 202 with a tenants.migrate job whose
#     progress is the report; GET /v1/admin/migrations.
. "$(dirname "$0")/lib.sh"
export TENANTD_JOB_WORKERS=0
SVC=$T/services
mkdir -p "$SVC/notes/migrations/sqlite" "$SVC/notes/migrations/postgres"
export TENANTD_SERVICES_DIR=$SVC

# decl FIELDS: the notes service declaration with these extra fields
decl() {
  cat >"$SVC/notes/service.json" <<EOF
{"name": "notes", "description": "Operator notes (test)",
 "resources": [{"name": "notes", "table": "notes", "description": "Notes",
   "fields": [{"name": "title", "type": "text", "required": true, "max": 100}$1],
   "filter": ["title"], "sort": ["title"], "methods": ["list", "get", "create", "update", "delete"]}]}
EOF
}
# mig N NAME SQLITE_SQL [POSTGRES_SQL]: adds migration N to both dialects
mig() {
  printf '%s\n' "$3" >"$SVC/notes/migrations/sqlite/$(printf %04d "$1")_$2.sql"
  printf '%s\n' "${4:-$3}" >"$SVC/notes/migrations/postgres/$(printf %04d "$1")_$2.sql"
}
decl ''
mig 1 init "CREATE TABLE notes (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);" \
  "CREATE SCHEMA notes; CREATE TABLE notes.notes (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
# has_col TID COL: 1 when the notes table has that column
has_col() {
  if [ "$BACKEND" = postgres ]; then
    tenant_sql "$1" notes "SELECT count(*) FROM information_schema.columns WHERE table_schema='notes' AND table_name='notes' AND column_name='$2'"
  else
    tenant_sql "$1" notes "SELECT count(*) FROM pragma_table_info('notes') WHERE name='$2'"
  fi
}
version_of() { catalog_sql "SELECT version FROM schema_versions WHERE tenant_id='$1' AND service='notes'"; }
db_version_of() {
  if [ "$BACKEND" = postgres ]; then tenant_sql "$1" notes "SELECT max(version) FROM public.td_migrations WHERE scope='notes'"
  else tenant_sql "$1" notes "SELECT max(version) FROM td_migrations WHERE scope='notes'"; fi
}
id_of() { td tenant show "$1" --json | jq -r .id; }

td_init
echo 'admin-password-1' | td tenant create n1 --services notes --admin-email admin@n1.test \
  --admin-password-stdin >/dev/null
for s in n2 n3 n4; do td tenant create "$s" --services notes >/dev/null; done
N1=$(id_of n1) N2=$(id_of n2) N3=$(id_of n3) N4=$(id_of n4)
eq "$(catalog_sql "SELECT count(*) FROM tenant_migrations WHERE tenant_id='$N1' AND service='notes' AND checksum IS NOT NULL")" 1 "a new tenant's ledger has its migration with a checksum"

# ---- 1. the service gains a column between two server starts ----------------
mig 2 color "ALTER TABLE notes ADD COLUMN color TEXT; CREATE INDEX notes_color ON notes (color);" \
  "ALTER TABLE notes.notes ADD COLUMN color TEXT; CREATE INDEX notes_color ON notes.notes (color);"
decl ', {"name": "color", "type": "text", "max": 20}'
expect_rc 1 td check --json
eq "$(jq -r '.checks[]|select(.name=="n3")|.status' "$T/out")" fail "check flags a tenant behind the code"
expect_contains "$T/out" "schema behind the code: notes at version 1 of 2"
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
N1A=(-H "Authorization: Bearer $(login '{"tenant":"n1","email":"admin@n1.test","password":"admin-password-1"}')")
eq "$(post "${N1A[@]}" --data '{"title":"t","color":"red"}' "$BASE/v1/notes/notes")" 201 "a tenant behind is migrated before it is served, never a 500"
eq "$(jq -r .color "$T/body")" red "the new column holds the value"
eq "$(has_col "$N1" color)" 1 "n1 has the column"
eq "$(version_of "$N1")" 2 "n1 recorded at version 2"
eq "$(catalog_sql "SELECT count(*) FROM tenant_migrations WHERE tenant_id='$N1' AND service='notes' AND version=2 AND duration_ms IS NOT NULL")" 1 "the lazy migration is in the ledger with its duration"

# ---- 2. enabling the service again runs its pending migration ---------------
SA=(-H "Authorization: Bearer $ROOT")
eq "$(post "${SA[@]}" --data '{"service":"notes"}' "$BASE/v1/tenants/n2/services")" 200 "enable notes on n2 again"
eq "$(has_col "$N2" color)" 1 "enabling added the column"
eq "$(version_of "$N2")" "$(db_version_of "$N2")" "the recorded version is the database's"
stop_server

# ---- 3. dry run, a run, a no-op run -----------------------------------------
expect_rc 0 td migrate --all --dry-run --json
eq "$(tail -1 "$T/out" | jq -c '[.behind, .migrated, ([.items[].slug]|sort)]')" '[2,0,["n3","n4"]]' "the dry run lists n3 and n4"
eq "$(has_col "$N3" color)$(version_of "$N3")" 01 "the dry run changed nothing"
expect_rc 0 td migrate --all --json
eq "$(tail -1 "$T/out" | jq -c '[.behind, .migrated, .failed]')" '[2,2,0]' "n3 and n4 migrated"
eq "$(grep -c '"state":"migrated"' "$T/out")" 2 "one JSON line per tenant migrated"
eq "$(has_col "$N3" color)$(version_of "$N3")$(has_col "$N4" color)" 121 "n3 and n4 have the column"
eq "$(catalog_sql "SELECT count(*) FROM tenant_migrations WHERE service='notes' AND version=2 AND length(checksum)=64 AND name='0002_color.sql'")" 4 "every tenant's ledger has migration 2"
expect_rc 0 td check --json
# no-op: every tenant database out of reach, and the run still succeeds
if [ "$BACKEND" = postgres ]; then
  for id in $N1 $N2 $N3 $N4; do pg "ALTER DATABASE td_${id//-/} RENAME TO away_${id//-/}"; done
else
  mv "$DATA/tenants" "$DATA/tenants.away"
fi
expect_rc 0 td migrate --all --json
eq "$(tail -1 "$T/out" | jq -c '[.total, .current, .behind]')" '[8,8,0]' "a no-op run skips every tenant unopened"
if [ "$BACKEND" = postgres ]; then
  for id in $N1 $N2 $N3 $N4; do pg "ALTER DATABASE away_${id//-/} RENAME TO td_${id//-/}"; done
else
  mv "$DATA/tenants.away" "$DATA/tenants"
fi

# tenants from before the ledger (catalog 0012 fills their rows from their
# recorded versions, without name or checksum): the next run stamps them
catalog_exec "UPDATE tenant_migrations SET name = NULL, checksum = NULL, dialect = NULL, duration_ms = NULL WHERE tenant_id = '$N4'"
expect_rc 0 td migrate --all --dry-run
expect_rc 0 td migrate --all
eq "$(catalog_sql "SELECT count(*) FROM tenant_migrations WHERE tenant_id = '$N4' AND (checksum IS NULL OR name IS NULL OR dialect IS NULL)")" 0 "adopted ledger rows are named and stamped"

# ---- 4. an applied migration edited -----------------------------------------
cp "$SVC/notes/migrations/sqlite/0001_init.sql" "$T/m1.sqlite"; cp "$SVC/notes/migrations/postgres/0001_init.sql" "$T/m1.pg"
echo "-- edited" >>"$SVC/notes/migrations/sqlite/0001_init.sql"; echo "-- edited" >>"$SVC/notes/migrations/postgres/0001_init.sql"
mig 3 more "ALTER TABLE notes ADD COLUMN more TEXT;" "ALTER TABLE notes.notes ADD COLUMN more TEXT;"
expect_rc 1 td migrate --all
expect_contains "$T/err" "migration_checksum_mismatch"
expect_contains "$T/err" "notes migration 1"
eq "$(has_col "$N1" more)" 0 "nothing migrated after a checksum mismatch"
expect_rc 1 td migrate --tenant n2
expect_contains "$T/err" "migration_checksum_mismatch"
cp "$T/m1.sqlite" "$SVC/notes/migrations/sqlite/0001_init.sql"; cp "$T/m1.pg" "$SVC/notes/migrations/postgres/0001_init.sql"
rm "$SVC"/notes/migrations/*/0003_more.sql

# ---- 5. a migration that fails on one tenant ---------------------------------
if [ "$BACKEND" = postgres ]; then
  tenant_exec "$N2" notes "INSERT INTO notes.notes VALUES ('a','dup','x','x'), ('b','dup','x','x')"
else
  sqlite3 "$DATA/tenants/$N2/notes.db" "INSERT INTO notes VALUES ('a','dup','x','x',NULL), ('b','dup','x','x',NULL)"
fi
mig 3 unique "ALTER TABLE notes ADD COLUMN pinned INTEGER; CREATE UNIQUE INDEX notes_title ON notes (title);" \
  "ALTER TABLE notes.notes ADD COLUMN pinned INTEGER; CREATE UNIQUE INDEX notes_title ON notes.notes (title);"
expect_rc 1 td migrate --all --canary 0 --jobs 2 --json
eq "$(tail -1 "$T/out" | jq -c '[.migrated, .failed, [.failures[].slug]]')" '[3,1,["n2"]]' "n2 failed, the others migrated"
eq "$(has_col "$N2" pinned)$(version_of "$N2")$(db_version_of "$N2")" 022 "n2 is left exactly as it was"
eq "$(has_col "$N3" pinned)$(version_of "$N3")" 13 "n3 migrated"
expect_rc 1 td migrate --all --json
eq "$(tail -1 "$T/out" | jq -c '[.migrated, .quarantined, [.failures[].state]]')" '[0,1,["quarantined"]]' "a later run skips the quarantined tenant and reports it"
expect_contains "$T/out" "notes migration 0003_unique.sql failed"
expect_rc 1 td check --json
expect_contains "$T/out" "quarantined"
# its requests: 503 tenant_migrating with the reason, never a 500
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(get -H "Authorization: Bearer $ROOT" -H "X-Tenant: n2" "$BASE/v1/notes/notes")" 503 "a quarantined tenant answers 503"
eq "$(jq -r .code "$T/body")" tenant_migrating "its code"
expect_contains "$T/body" "notes migration 0003_unique.sql failed"
eq "$(get -H "Authorization: Bearer $ROOT" -H "X-Tenant: n3" "$BASE/v1/notes/notes")" 200 "the other tenants are served"
stop_server
if [ "$BACKEND" = postgres ]; then tenant_exec "$N2" notes "DELETE FROM notes.notes WHERE id='b'"
else sqlite3 "$DATA/tenants/$N2/notes.db" "DELETE FROM notes WHERE id='b'"; fi
expect_rc 0 td migrate --all --retry-failed --json
eq "$(tail -1 "$T/out" | jq -c '[.migrated, .failed, .quarantined]')" '[1,0,0]' "--retry-failed migrates the fixed tenant"
eq "$(version_of "$N2")$(has_col "$N2" pinned)" 31 "n2 at version 3"

# ---- 6. kill -9 in the middle of a wave --------------------------------------
for i in 1 2 3 4 5 6; do td tenant create "k$i" --services notes >/dev/null; done
mig 4 tag "ALTER TABLE notes ADD COLUMN tag TEXT; CREATE INDEX notes_tag ON notes (tag);" \
  "ALTER TABLE notes.notes ADD COLUMN tag TEXT; CREATE INDEX notes_tag ON notes.notes (tag);"
set +e
TENANTD_FAULT=migrate.wave TENANTD_FAULT_AT=4 "$TD_BIN" migrate --all --jobs 2 --data "$DATA" >/dev/null 2>&1
rc=$?
set -e
eq "$rc" 137 "migrate killed in the middle of a wave"
done4=0
for s in n1 n2 n3 n4 k1 k2 k3 k4 k5 k6; do
  [ "$(db_version_of "$(id_of "$s")")" = 4 ] && done4=$((done4 + 1))
done
[ "$done4" -ge 4 ] && [ "$done4" -lt 10 ] || fail "killed mid-wave: $done4 of 10 tenants at 4"; pass
set +e
TENANTD_FAULT=migrate.applied "$TD_BIN" migrate --all --jobs 1 --canary 1 --data "$DATA" >/dev/null 2>&1
rc=$?
set -e
eq "$rc" 137 "migrate killed between a tenant's commit and its ledger record"
expect_rc 0 td migrate --all --json
eq "$(catalog_sql "SELECT count(*) FROM schema_versions WHERE service='notes' AND version=4")" 10 "the run after the kills finishes every tenant"
eq "$(catalog_sql "SELECT count(*) FROM tenant_migrations WHERE service='notes' AND version=4 AND length(checksum)=64")" 10 "one ledger row per tenant for migration 4"
for s in n1 n2 n3 n4 k1 k2 k3 k4 k5 k6; do
  id=$(id_of "$s"); eq "$(has_col "$id" tag)$(db_version_of "$id")" 14 "$s migrated once, to 4"
done
expect_rc 0 td check --json

# the same as a job: its worker killed mid-wave, the next worker finishes it
mig 5 due "ALTER TABLE notes ADD COLUMN due TEXT;" "ALTER TABLE notes.notes ADD COLUMN due TEXT;"
expect_rc 0 td jobs add tenants.migrate --payload '{"all":true,"jobs":2}' --json
JOB=$(jq -r .id "$T/out")
set +e
TENANTD_FAULT=migrate.wave TENANTD_FAULT_AT=3 TENANTD_JOB_LEASE_MS=300 "$TD_BIN" jobs run --once --data "$DATA" >/dev/null 2>&1
rc=$?
set -e
eq "$rc" 137 "the job's worker killed in the middle of a wave"
sleep 0.5 # its lease ends
expect_rc 0 env TENANTD_JOB_LEASE_MS=300 "$TD_BIN" jobs run --once --data "$DATA"
expect_rc 0 td jobs show "$JOB" --json
eq "$(jq -r .state "$T/out")" succeeded "the next worker finishes the job"
eq "$(jq -r .progress.message "$T/out")" "10 of 10 migrated, 0 failed, 0 quarantined" "its report counts the tenants of both attempts"
eq "$(catalog_sql "SELECT count(*) FROM schema_versions WHERE service='notes' AND version=5")" 10 "every tenant at 5 after the job"

# ---- 7. bad input -------------------------------------------------------------
expect_rc 2 td migrate
expect_contains "$T/err" "give either --tenant SLUG or --all"
expect_rc 2 td migrate --tenant n1 --all
expect_rc 1 td migrate --tenant nosuch
expect_contains "$T/err" "tenant_not_found"
expect_rc 2 td migrate --all --service nosuch
expect_contains "$T/err" "unknown_service"
expect_rc 2 td migrate --all --jobs 0
expect_contains "$T/err" "invalid_request: jobs must be 1 to 64"
expect_rc 2 td migrate --all --canary -1
expect_contains "$T/err" "invalid_request: canary must be 0 or more"
expect_rc 2 td migrate --all --jobs x

# ---- 8. over HTTP: a tenants.migrate job ----------------------------------------
mig 6 done "ALTER TABLE notes ADD COLUMN done INTEGER;" "ALTER TABLE notes.notes ADD COLUMN done INTEGER;"
export TENANTD_JOB_WORKERS=1
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
SA=(-H "Authorization: Bearer $ROOT")
eq "$(get "$BASE/openapi.json")" 200 "the OpenAPI document"
eq "$(jq -c '.paths["/v1/admin/migrations"] | keys' "$T/body")" '["get","post"]' "OpenAPI lists the migration routes"
eq "$(post "${SA[@]}" --data '{"all":true,"jobs":0}' "$BASE/v1/admin/migrations")" 400 "jobs 0 over HTTP"
eq "$(jq -r .code "$T/body")" invalid_request "jobs 0: invalid_request"
eq "$(post "${SA[@]}" --data '{"tenant":"nosuch"}' "$BASE/v1/admin/migrations")" 404 "an unknown tenant over HTTP"
eq "$(jq -r .code "$T/body")" tenant_not_found "unknown tenant: tenant_not_found"
eq "$(post "${SA[@]}" --data '{"all":true,"service":"nosuch"}' "$BASE/v1/admin/migrations")" 400 "an unknown service over HTTP"
eq "$(jq -r .code "$T/body")" unknown_service "unknown service: unknown_service"
eq "$(post "${SA[@]}" --data '{"all":true,"jobs":2}' "$BASE/v1/admin/migrations")" 202 "a migration run is queued"
JOB=$(jq -r .job.id "$T/body")
eq "$(jq -r .job.kind "$T/body")" tenants.migrate "its job kind"
for _ in $(seq 1 100); do
  get "${SA[@]}" "$BASE/v1/admin/jobs/$JOB" >/dev/null
  [ "$(jq -r .state "$T/body")" = succeeded ] && break
  sleep 0.2
done
eq "$(jq -r .state "$T/body")" succeeded "the run's job succeeds"
eq "$(jq -r '.progress.message' "$T/body")" "10 of 10 migrated, 0 failed, 0 quarantined" "the job's report"
eq "$(get "${SA[@]}" "$BASE/v1/admin/migrations")" 200 "migration status"
eq "$(jq -c '[.behind, (.quarantined|length)]' "$T/body")" '[0,0]' "nothing behind, nothing quarantined"
eq "$(catalog_sql "SELECT count(*) FROM tenant_migrations WHERE service='notes' AND version=6 AND run_id='$JOB'")" 10 "the ledger names the run"
stop_server

# ---- 9. on a terminal: a progress bar on stderr, then the summary ----------------
mig 7 seen "ALTER TABLE notes ADD COLUMN seen INTEGER;" "ALTER TABLE notes.notes ADD COLUMN seen INTEGER;"
script -qec "\"$TD_BIN\" migrate --all --jobs 2 --data \"$DATA\"" /dev/null >"$T/tty" </dev/null
tr '\r' '\n' <"$T/tty" >"$T/tty.lines"
expect_contains "$T/tty.lines" "[########################################] 10/10 migrated 10 failed 0"
grep -qE '^\[#*\s+\] [0-9]+/10 migrated' "$T/tty.lines" || fail "no bar on the way"; pass
expect_contains "$T/tty.lines" "10 migrated"
script -qec "\"$TD_BIN\" migrate --all --jobs 2 --json --data \"$DATA\"" /dev/null >"$T/tty2" </dev/null
expect_not_contains "$T/tty2" "[#"
echo "ok ($PASSES checks)"
