#!/usr/bin/env bash
# move_test.sh — tenantd tenant move (issue 12, part 3): a tenant's data
# goes from SQLite to PostgreSQL, from one PostgreSQL server to another and
# back to SQLite while a client writes to it; every write answered 201 is
# there afterwards, media bytes included; the old copy is gone; a move
# killed before or after its switch leaves the tenant serving from exactly
# one place and finishes when run again; bad targets change nothing.
# Needs PostgreSQL: skipped on SQLite alone.
source "$(dirname "$0")/lib.sh"
[ "$BACKEND" = postgres ] || skip "moves need a PostgreSQL server"
export TENANTD_JOB_LEASE_MS=2000 # a killed mover's job is taken again soon

WPID= PG2=
# the writer and the second server go with the test, however it ends
end_move_test() {
  local rc=$1
  touch "$T/stop"; [ -z "$WPID" ] || kill "$WPID" 2>/dev/null || true
  [ -z "$PG2" ] || "$TD_SRC/scripts/pg-cluster" stop "$PG2" >/dev/null 2>&1 || true
  td_cleanup "$rc"
}
trap 'end_move_test $?' EXIT

td_init
echo 'acme-password-1' | td tenant create acme --backend sqlite --services crm,cms \
  --admin-email a@acme.test --admin-password-stdin >/dev/null
ID=$(td tenant show acme --json | jq -r .id)
backend() { td tenant show acme --json | jq -r .backend; }
eq "$(backend)" sqlite "starts on SQLite"

# ---- bad input changes nothing
expect_rc() { local want=$1; shift; set +e; "$@" >"$T/out" 2>&1; local rc=$?; set -e
  [ "$rc" = "$want" ] || { cat "$T/out" >&2; fail "exit $rc, expected $want: $*"; }; pass; }
expect_rc 2 td tenant move acme
expect_contains "$T/out" "name where the tenant goes"
expect_rc 1 td tenant move acme --to sqlite
expect_contains "$T/out" "there already"
expect_rc 1 td tenant move acme --to no-such-server
expect_contains "$T/out" "no database server"
expect_rc 1 td tenant move nobody --to postgres
expect_contains "$T/out" "no such tenant"
expect_rc 1 td tenant move acme --to "postgres://nobody:secret-pw@127.0.0.1:1/x"
expect_contains "$T/out" "does not answer"
expect_not_contains "$T/out" "secret-pw"
eq "$(catalog_sql "SELECT count(*) FROM tenant_moves")" 0 "no move recorded"
eq "$(catalog_sql "SELECT count(*) FROM job_queue WHERE kind = 'tenant.move'")" 0 "no move queued"
eq "$(backend)" sqlite "still on SQLite"

# ---- data: rows through the API, a media file
start_server
TOKEN=$(login '{"email":"a@acme.test","password":"acme-password-1","tenant":"acme"}')
H=(-H "Authorization: Bearer $TOKEN")
for i in $(seq 1 120); do
  [ "$(post "${H[@]}" "$BASE/v1/crm/customers" -d "{\"name\":\"before $i\"}")" = 201 ] || fail "create $i"
done
eq "$(post "${H[@]}" "$BASE/v1/cms/media" -d '{"filename":"logo.png","content_type":"image/png"}')" 201 "media row"
MID=$(jq -r .id "$T/body")
{ printf '\x89PNG\r\n\x1a\n'; head -c 70000 /dev/urandom; } >"$T/logo.bin"
eq "$(curl -sS -o "$T/body" -w '%{http_code}' -X PUT "${H[@]}" -H 'Content-Type: image/png' \
  --data-binary @"$T/logo.bin" "$BASE/v1/cms/media/$MID/content")" 200 "media bytes"

# a client writing the whole time: each 201's id kept
writer() {
  local n=0 code
  while [ ! -e "$T/stop" ]; do
    code=$(curl -sS -o "$T/w.body" -w '%{http_code}' -X POST "${H[@]}" -H 'Content-Type: application/json' \
      "$BASE/v1/crm/customers" -d "{\"name\":\"during $n\"}" 2>/dev/null) || code=000
    [ "$code" = 201 ] && jq -r .id "$T/w.body" >>"$T/acked"
    [ "$code" = 201 ] || [ "$code" = 000 ] || echo "$code" >>"$T/refused"
    n=$((n + 1))
  done
}
: >"$T/acked"; : >"$T/refused"
writer & WPID=$!

# every acknowledged id is in the tenant, and the media bytes are the same
check_all() {
  local what=$1 got
  eq "$(get "${H[@]}" "$BASE/v1/crm/customers?limit=1&fields=id")" 200 "$what: list"
  sort -u "$T/acked" >"$T/acked.s"
  : >"$T/have"
  local cursor=""
  while :; do
    get "${H[@]}" "$BASE/v1/crm/customers?limit=200&fields=id${cursor:+&cursor=$cursor}" >/dev/null
    jq -r '.items[].id' "$T/body" >>"$T/have"
    cursor=$(jq -r '.next_cursor // empty' "$T/body")
    [ -n "$cursor" ] || break
  done
  sort -u "$T/have" >"$T/have.s"
  got=$(comm -23 "$T/acked.s" "$T/have.s" | wc -l)
  eq "$got" 0 "$what: every acknowledged write is there"
  eq "$(curl -sS "${H[@]}" "$BASE/v1/cms/media/$MID/content" | cmp - "$T/logo.bin" && echo same)" same "$what: media bytes"
}

# ---- SQLite → PostgreSQL, while serving
sleep 1
td tenant move acme --to postgres --json >"$T/move1" 2>"$T/move1.err" || { cat "$T/move1.err"; fail "move to postgres"; }
eq "$(backend)" postgres "moved to PostgreSQL"
eq "$(jq -r '.tables | map(select(.match | not)) | length' "$T/move1")" 0 "every table verified"
eq "$(jq -r '.from' "$T/move1")" sqlite "report: from"
[ "$(jq -r '.held_ms' "$T/move1")" -ge 0 ] && pass
[ ! -e "$DATA/tenants/$ID" ] || fail "the SQLite copy is still there"
pass
eq "$(catalog_sql "SELECT count(*) FROM tenant_moves")" 0 "no move left"
sleep 1
check_all "after the move to PostgreSQL"

# ---- PostgreSQL server → another server
PG2=$T/pg2
URL2=$("$TD_SRC/scripts/pg-cluster" start "$PG2")
td tenant move acme --to "$URL2" --json >"$T/move2" 2>"$T/move2.err" || { cat "$T/move2.err"; fail "move to server 2"; }
expect_not_contains "$T/move2" "${URL2#*:*:}"
[ "$(psql "$URL2" -XAtq -c "SELECT count(*) FROM pg_database WHERE datname = 'td_${ID//-/}'")" = 1 ] || fail "not on server 2"
pass
[ "$(pg "SELECT count(*) FROM pg_database WHERE datname = 'td_${ID//-/}'")" = 0 ] || fail "the first server still has it"
pass
sleep 1
check_all "after the move between servers"

# ---- killed before its switch: still served from server 2; run again: done
stop_server
touch "$T/stop"; wait "$WPID" || true; WPID=; rm -f "$T/stop"
set +e; TENANTD_FAULT=move.copied td tenant move acme --to sqlite >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "the fault did not stop the move"
pass
eq "$(backend)" postgres "killed before the switch: still on PostgreSQL"
eq "$(catalog_sql "SELECT state FROM tenant_moves")" copying "the move is recorded"
# meanwhile a row of a table keyed by its whole row changes: the resumed
# pass must delete the copy's old version before it inserts the new one
psql "${URL2%/*}/td_${ID//-/}" -XAtq -v ON_ERROR_STOP=1 \
  -c "UPDATE auth.roles SET description = 'changed meanwhile' WHERE name = 'client'"
start_server
check_all "served from the old place after the kill"
td tenant move acme --json >"$T/move3" 2>"$T/move3.err" || { cat "$T/move3.err"; fail "resume"; }
eq "$(backend)" sqlite "the resumed move ends on SQLite"
eq "$(sqlite3 -readonly -cmd '.timeout 5000' "$DATA/tenants/$ID/auth.db" "SELECT description FROM roles WHERE name = 'client'")" \
  "changed meanwhile" "a row changed after the copy"
eq "$(jq -r .resumed "$T/move3")" true "report: resumed"
[ "$(psql "$URL2" -XAtq -c "SELECT count(*) FROM pg_database WHERE datname = 'td_${ID//-/}'")" = 0 ] || fail "server 2 still has it"
pass
check_all "after the resumed move"

# ---- aborted: the copy goes, the tenant stays
stop_server
set +e; TENANTD_FAULT=move.copied td tenant move acme --to postgres >/dev/null 2>&1; set -e
JOB=$(catalog_sql "SELECT id FROM job_queue WHERE kind = 'tenant.move' AND state = 'running'")
# a tenant being moved is neither deleted nor restored meanwhile
expect_rc 1 td tenant delete acme --yes
expect_contains "$T/out" "being moved"
td backup acme --out "$T/acme.tdb" >/dev/null
expect_rc 1 td restore "$T/acme.tdb"
expect_contains "$T/out" "being moved"
expect_rc 1 td tenant move acme --abort
expect_contains "$T/out" "cancel it first"
td jobs cancel "$JOB" >/dev/null
expect_rc 2 td tenant move acme --abort --to sqlite
td tenant move acme --abort >"$T/out"
expect_contains "$T/out" "aborted"
eq "$(backend)" sqlite "after the abort: still on SQLite"
eq "$(catalog_sql "SELECT count(*) FROM tenant_moves")" 0 "no move left after the abort"
[ "$(pg "SELECT count(*) FROM pg_database WHERE datname = 'td_${ID//-/}'") $(psql "$URL2" -XAtq -c "SELECT count(*) FROM pg_database WHERE datname = 'td_${ID//-/}'")" = "0 0" ] ||
  fail "the aborted move's copy is still there"
pass
expect_rc 1 td tenant move acme --abort
expect_contains "$T/out" "not being moved"

# ---- killed right after its switch: served from the new place; run again: the old one goes
set +e; TENANTD_FAULT=move.switched td tenant move acme --to postgres >/dev/null 2>&1; rc=$?; set -e
[ "$rc" -ne 0 ] || fail "the fault did not stop the move"
pass
eq "$(backend)" postgres "killed after the switch: on PostgreSQL"
[ -e "$DATA/tenants/$ID" ] && pass || fail "the old copy went before the move finished"
start_server
writer & WPID=$!
sleep 1
check_all "served from the new place after the kill"
# the server's job worker takes the killed job up again and finishes it
for _ in $(seq 1 300); do [ -e "$DATA/tenants/$ID" ] || break; sleep 0.1; done
[ ! -e "$DATA/tenants/$ID" ] || fail "the old copy is still there"
pass
for _ in $(seq 1 100); do
  [ "$(catalog_sql "SELECT count(*) FROM job_queue WHERE kind = 'tenant.move' AND state NOT IN ('succeeded', 'cancelled')")" = 0 ] && break
  sleep 0.1
done
eq "$(catalog_sql "SELECT count(*) FROM job_queue WHERE kind = 'tenant.move' AND state NOT IN ('succeeded', 'cancelled')")" 0 "every move job succeeded"
eq "$(catalog_sql "SELECT count(*) FROM tenant_moves")" 0 "no move left"
touch "$T/stop"; wait "$WPID" || true; WPID=
check_all "at the end"
[ ! -s "$T/refused" ] || { cat "$T/refused"; fail "a write was refused during the moves"; }
pass

# ---- audit: each move recorded, writes after the moves audited
sleep 2
catalog_sql "SELECT count(*) FROM audit_log WHERE action = 'tenant.move' AND outcome = 'ok'" >"$T/n"
[ "$(cat "$T/n")" -ge 4 ] || fail "tenant.move records: $(cat "$T/n")"
pass
done_ok
