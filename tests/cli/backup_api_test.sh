#!/usr/bin/env bash
# backup_api_test.sh — a tenant's backups over HTTP and as jobs (issue 12,
# part 2), on either backend: POST takes a backup in a tenant.backup job,
# the list shows size, checksum and age, a superadmin downloads the file
# (its checksum matches), restore and clone run as tenant.restore jobs;
# tenant admins are refused; a schedule of kind tenant.backup keeps only
# its newest `keep` backups; a backup job killed -9 in the middle resumes
# and finishes; a backup taken while writes go on is one consistent
# snapshot (a customer and its deal, written in one transaction, are both
# in it or both not).
source "$(dirname "$0")/lib.sh"
export TENANTD_JOB_LEASE_MS=300

td_init
echo 'acme-password-1' | td tenant create acme --services crm --admin-email admin@acme.test --admin-password-stdin >/dev/null
td tenant create other --services crm >/dev/null
ACME=$(td tenant show acme --json | jq -r .id)
tbl() { if [ "$BACKEND" = postgres ]; then echo "$1.$2"; else echo "$2"; fi; }
customers() { tenant_sql "$1" crm "SELECT count(*) FROM $(tbl crm customers)"; }
tenant_exec "$ACME" crm "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
  INSERT INTO @s.customers (id, name, created_at, updated_at) SELECT 'c' || i, 'n' || i, 't', 't' FROM n"

TENANTD_JOB_WORKERS=0 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
H=(-H "Authorization: Bearer $ROOT")
B="$BASE/v1/tenants/acme/backups"

run_job() { # run_job ID: runs due jobs until that one ends; prints its state
  local i
  for i in $(seq 1 100); do
    td jobs run --once >/dev/null 2>&1 || true
    st=$(td jobs show "$1" --json | jq -r .state)
    case "$st" in succeeded|failed|cancelled) echo "$st"; return 0 ;; esac
    sleep 0.1
  done
  echo "$st"
}

# ---- take one ----
eq "$(post "${H[@]}" "$B")" 202 "POST backups"
BID=$(jq -r .backup.id "$T/body"); JOB=$(jq -r .job.id "$T/body")
eq "$(jq -r .backup.status "$T/body")" running "recorded as running"
eq "$(jq -r .job.kind "$T/body")" tenant.backup "a tenant.backup job"
eq "$(run_job "$JOB")" succeeded "the backup job ran"
eq "$(get "${H[@]}" "$B")" 200 "list"
eq "$(jq -r '.items[0].id' "$T/body")" "$BID" "listed"
eq "$(jq -r '.items[0].status' "$T/body")" ready "ready"
[ "$(jq -r '.items[0].size' "$T/body")" -gt 1000 ] || fail "size"; pass
[ "$(jq -r '.items[0].age_seconds' "$T/body")" -ge 0 ] || fail "age"; pass
SUM=$(jq -r '.items[0].checksum' "$T/body")
[[ "$SUM" =~ ^[0-9a-f]{64}$ ]] || fail "checksum is BLAKE2b-256 hex: $SUM"; pass
ROWS=$(jq -r '.items[0].rows' "$T/body")
[ "$ROWS" -ge 2000 ] || fail "rows $ROWS"; pass
[ -f "$DATA/backups/$ACME/$BID.tdbackup" ] || fail "the file is in the data folder"; pass

# ---- download ----
code=$(curl -sS -o "$T/dl" -D "$T/hdr" -w '%{http_code}' "${H[@]}" "$B/$BID/download")
eq "$code" 200 "download"
eq "$(b2sum -l 256 "$T/dl" | cut -d' ' -f1)" "$SUM" "the downloaded file's checksum"
grep -qi '^content-type: application/octet-stream' "$T/hdr" || fail "content type"; pass

# ---- who may: superadmins only ----
ADMIN=$(curl -sS -X POST "$BASE/v1/auth/login" -H 'X-Tenant: acme' --data '{"email":"admin@acme.test","password":"acme-password-1"}' | jq -r .access_token)
for path in "$B" "$B/$BID/download"; do
  code=$(get -H "Authorization: Bearer $ADMIN" "$path")
  [ "$code" = 403 ] || fail "a tenant admin got $code for $path"; pass
done
eq "$(post -H "Authorization: Bearer $ADMIN" "$B")" 403 "a tenant admin cannot take one"

# ---- bad inputs ----
eq "$(get "${H[@]}" "$BASE/v1/tenants/nosuch/backups")" 404 "unknown tenant"
eq "$(jq -r .code "$T/body")" tenant_not_found "code"
eq "$(get "${H[@]}" "$B/nope/download")" 404 "unknown backup"
eq "$(jq -r .code "$T/body")" backup_not_found "code"
# acme's backup is not other's: not found there, restore refused
eq "$(post "${H[@]}" "$BASE/v1/tenants/other/backups/$BID/restore")" 404 "another tenant's backup"
eq "$(jq -r .code "$T/body")" backup_not_found "code"
eq "$(post "${H[@]}" "$B/$BID/restore" --data '{"as":5}')" 400 "bad body"
eq "$(post "${H[@]}" "$B/$BID/restore" --data '{"into":"x"}')" 400 "unknown field"

# ---- restore, clone ----
# writes audited before the restore move the drain's mark past their
# outbox numbers; the restored database must number on after them
drain_acme() {
  expect_rc 0 td jobs add outbox.drain --tenant "$ACME" --json
  eq "$(run_job "$(jq -r .id "$T/out")")" succeeded "a drain of acme's outbox"
}
audited() { catalog_sql "SELECT count(*) FROM audit_log WHERE source LIKE 'outbox:$ACME:crm:%'"; }
write_acme() { post "${H[@]}" -H 'X-Tenant: acme' --data "{\"name\":\"$1\"}" "$BASE/v1/crm/customers"; }
eq "$(write_acme w1)$(write_acme w2)" 201201 "writes before the restore"
drain_acme
N0=$(audited)
[ "$N0" -ge 2 ] || fail "the writes before the restore are audited ($N0)"; pass
tenant_exec "$ACME" crm "DELETE FROM @s.customers WHERE id LIKE 'c1%'"
[ "$(customers "$ACME")" -lt 2000 ] || fail "rows deleted"; pass
eq "$(post "${H[@]}" "$B/$BID/restore")" 202 "restore"
eq "$(run_job "$(jq -r .job.id "$T/body")")" succeeded "the restore job ran"
eq "$(customers "$ACME")" 2000 "restored"
eq "$(write_acme w3)" 201 "a write after the restore"
drain_acme
eq "$(audited)" $((N0 + 1)) "the write after the restore is audited, not taken as drained already"
eq "$(post "${H[@]}" "$B/$BID/restore" --data '{"as":"acme-api"}')" 202 "clone"
eq "$(run_job "$(jq -r .job.id "$T/body")")" succeeded "the clone job ran"
CLONE=$(td tenant show acme-api --json | jq -r .id)
eq "$(customers "$CLONE")" 2000 "cloned"
eq "$(post "${H[@]}" "$B/$BID/restore" --data '{"as":"acme-api"}')" 202 "clone onto a taken slug"
J=$(jq -r .job.id "$T/body")
td jobs run --once >/dev/null 2>&1 || true
eq "$(td jobs show "$J" --json | jq -r .error)" "$(td jobs show "$J" --json | jq -r .error)" "recorded"
td jobs show "$J" --json | jq -r .error | grep -q slug_taken || fail "the job's error names slug_taken"; pass
td jobs cancel "$J" >/dev/null 2>&1 || true

# ---- kill -9 in the middle of a backup job: it resumes and finishes ----
eq "$(post "${H[@]}" "$B")" 202 "POST backups"
KBID=$(jq -r .backup.id "$T/body"); KJOB=$(jq -r .job.id "$T/body")
set +e; TENANTD_FAULT=backup_mid "$TD_BIN" jobs run --once --data "$DATA" >/dev/null 2>&1; rc=$?; set -e
eq "$rc" 137 "the backup job was killed in the middle"
[ ! -e "$DATA/backups/$ACME/$KBID.tdbackup" ] || fail "a killed backup left its file"; pass
sleep 0.4
eq "$(run_job "$KJOB")" succeeded "the killed backup job resumed"
eq "$(get "${H[@]}" "$B")" 200 "list"
eq "$(jq -r --arg id "$KBID" '.items[] | select(.id == $id) | .status' "$T/body")" ready "the same backup is ready"

# ---- a schedule with a retention count ----
eq "$(post "${H[@]}" "$BASE/v1/admin/cron" --data '{"name":"acme-nightly","schedule":"0 3 1 1 *","kind":"tenant.backup","payload":{"tenant":"acme","keep":2}}')" 201 "a backup schedule"
for i in 1 2; do
  catalog_exec "UPDATE cron_jobs SET next_run = $((1000 + i)) WHERE name = 'acme-nightly'"
  td jobs run --once >/dev/null
  td jobs run --once >/dev/null
done
expect_rc 0 td jobs list --kind tenant.backup --json
eq "$(jq '[.items[] | select(.created_by == "cron" and .state == "succeeded")] | length' "$T/out")" 2 "two scheduled backups ran"
eq "$(get "${H[@]}" "$B")" 200 "list"
eq "$(jq '[.items[] | select(.status == "ready")] | length' "$T/body")" 2 "only the newest 2 kept"
eq "$(ls "$DATA/backups/$ACME" | grep -c tdbackup)" 2 "and only their files"

# ---- consistent while writes go on ----
# a big table read between customers and deals makes the backup slow
tenant_exec "$ACME" crm "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
  INSERT INTO @s.contacts (id, first_name, created_at, updated_at) SELECT 'k' || i, 'contact name ' || i, 't', 't' FROM n"
writer() {
  local i=0
  while [ ! -e "$T/stop" ]; do
    i=$((i + 1))
    tenant_exec "$ACME" crm "BEGIN; INSERT INTO @s.customers (id, name, created_at, updated_at) VALUES ('w$i', 'w', 't', 't');
      INSERT INTO @s.deals (id, customer_id, title, created_at, updated_at) VALUES ('w$i', 'w$i', 'w', 't', 't'); COMMIT;" >/dev/null 2>&1 || true
  done
}
writer & WPID=$!
sleep 0.5
expect_rc 0 td backup acme --out "$T/live.tdb"
touch "$T/stop"; wait "$WPID"
[ "$(tenant_sql "$ACME" crm "SELECT count(*) FROM $(tbl crm deals) WHERE title = 'w'")" -gt 0 ] || fail "the writer wrote"; pass
expect_rc 0 td restore "$T/live.tdb" --as acme-live
LIVE=$(td tenant show acme-live --json | jq -r .id)
wc=$(tenant_sql "$LIVE" crm "SELECT count(*) FROM $(tbl crm customers) WHERE name = 'w'")
wd=$(tenant_sql "$LIVE" crm "SELECT count(*) FROM $(tbl crm deals) WHERE title = 'w'")
eq "$wc" "$wd" "each customer written with its deal is in the backup with it (one snapshot)"
echo "writes during the backup: $wc pairs in the snapshot, $(tenant_sql "$ACME" crm "SELECT count(*) FROM $(tbl crm deals) WHERE title = 'w'") written in all"

stop_server
done_ok
