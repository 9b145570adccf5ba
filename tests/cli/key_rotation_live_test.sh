#!/usr/bin/env bash
# Master key rotation reaches running servers. After `tenantd key rotate`
# from another process, two servers sharing the catalog (and the data
# folder) keep serving every tenant, create new ones, and retry and delete
# old ones; nothing is ever sealed under a key no longer in force (a server
# creating a tenant while the rotation runs waits for it, then seals under
# the new key); a rotation killed at any step leaves every process working
# and the next start finishes it; a server whose key came from
# TENANTD_MASTER_KEY cannot follow: it refuses clearly, writes nothing, and
# works again once restarted with the new key.
. "$(dirname "$0")/lib.sh"
td_init


# Every live tenant key and every server URL names the key the catalog
# records as in force.
assert_sealed_under_key_in_force() {
  local id
  id=$(catalog_sql "SELECT value FROM system_config WHERE key = 'master_key_id'")
  [ "${#id}" = 16 ] || fail "catalog key id '$id' ($1)"; pass
  eq "$(catalog_sql "SELECT count(*) FROM tenants WHERE wrapped_key IS NOT NULL
                     AND substr(wrapped_key, 1, 20) <> 'v2.$id.'")" 0 "tenant keys under the key in force ($1)"
  eq "$(catalog_sql "SELECT count(*) FROM db_servers WHERE substr(url_enc, 1, 20) <> 'v2.$id.'")" \
    0 "server URLs under the key in force ($1)"
}

# waits_for SQL WHAT: until SQL (on the catalog) answers 1, at most 20 s.
waits_for() {
  local i
  for i in $(seq 200); do
    [ "$(catalog_sql "$1")" = 1 ] && { pass; return; }
    sleep 0.1
  done
  fail "waited in vain for $2"
}

# A fresh process reads every tenant with the key file.
assert_all_healthy() {
  expect_rc 0 td check --json
  eq "$(jq .failed "$T/out")" 0 "check after $1"
}

# serves URL SLUG WHAT: the tenant's admin logs in on that server and reads crm.
serves() {
  local tok code
  tok=$(curl -sS "$1/v1/auth/login" -d "{\"tenant\":\"$2\",\"email\":\"admin@$2.test\",\"password\":\"admin-password-1\"}" | jq -r '.access_token // empty')
  [ -n "$tok" ] || fail "$2 cannot log in on $1 ($3)"; pass
  code=$(get -H "Authorization: Bearer $tok" "$1/v1/crm/customers")
  eq "$code" 200 "$2 reads crm on $1 ($3)"
}

# creates URL SLUG: a new tenant with crm and an admin, through that server.
creates() {
  local root code
  root=$(curl -sS "$1/v1/auth/login" -d '{"email":"root@example.com","password":"root-password-1"}' | jq -r .access_token)
  code=$(post -H "Authorization: Bearer $root" "$1/v1/tenants" \
    --data "{\"slug\":\"$2\",\"services\":[\"crm\"],\"admin\":{\"email\":\"admin@$2.test\",\"password\":\"admin-password-1\"}}")
  [ "$code" = 201 ] || { cat "$T/body" >&2; fail "creating $2 on $1 gave $code"; }; pass
}

# call_as_root URL METHOD PATH: prints the status.
call_as_root() {
  local root
  root=$(curl -sS "$1/v1/auth/login" -d '{"email":"root@example.com","password":"root-password-1"}' | jq -r .access_token)
  call "$2" -H "Authorization: Bearer $root" "$1$3"
}

# Tenants made before the servers start, so the servers open their
# databases for the first time after the rotation.
for s in acme oldco; do
  expect_rc 0 td tenant create "$s" --services crm --admin-email "admin@$s.test" --admin-password-stdin <<<admin-password-1
done
# one left half-made (killed after its record)
set +e
TENANTD_FAULT=create.recorded td tenant create halfway --services crm \
  --admin-email admin@halfway.test --admin-password-stdin <<<admin-password-1 >/dev/null 2>&1
eq "$?" 137 "create killed after its record"
set -e

start_server; A=$BASE; A_PID=$SERVER_PID
start_server; B=$BASE
# server A must exit cleanly too (B is the lib's SERVER_PID)
trap 'st=$?; a=0; if kill -TERM "$A_PID" 2>/dev/null; then wait "$A_PID" 2>/dev/null; a=$?; fi
      if [ "$a" -ne 0 ]; then echo "server A exited with status $a" >&2; [ "$st" -ne 0 ] || st=1; fi
      td_cleanup "$st"; exit "$st"' EXIT
assert_sealed_under_key_in_force "before"

expect_rc 0 td key rotate --json
eq "$(jq .rewrapped "$T/out")" 3 "three tenant keys re-wrapped"
assert_sealed_under_key_in_force "after the rotation"

serves "$A" acme "server A after the rotation"
serves "$B" acme "server B after the rotation"
creates "$A" globex
creates "$B" initech
serves "$A" globex "server A's new tenant"
serves "$B" globex "server A's new tenant on server B"
eq "$(call_as_root "$A" POST /v1/tenants/halfway/retry)" 200 "server A retries an old tenant"
eq "$(jq -r .status "$T/body")" active "retried tenant active"
serves "$B" halfway "retried tenant"
eq "$(call_as_root "$B" DELETE /v1/tenants/oldco)" 204 "server B deletes an old tenant"
assert_sealed_under_key_in_force "tenants made by the servers"
assert_all_healthy "servers made tenants after the rotation"

# The tenants the servers made rotate again like any other.
expect_rc 0 td key rotate --json
eq "$(jq .rewrapped "$T/out")" 4 "second rotation re-wraps every live tenant key"
creates "$B" hooli
serves "$A" hooli "after the second rotation"
serves "$A" initech "after the second rotation"
assert_sealed_under_key_in_force "after the second rotation"
assert_all_healthy "the second rotation"

# A tenant created while the rotation runs. PostgreSQL: the rotation is held
# mid-transaction (another session locks acme's row, which it re-wraps
# first); the server's create waits for it and then seals under the new key.
# (SQLite runs one write transaction at a time: nothing to interleave.)
if [ "$BACKEND" = postgres ]; then
  psql "$TENANTD_CATALOG_URL" -XAtq -v ON_ERROR_STOP=1 >/dev/null <<'SQL' &
BEGIN;
SELECT 1 FROM tenants WHERE slug = 'acme' AND status <> 'deleted' FOR UPDATE;
SELECT pg_sleep(8);
COMMIT;
SQL
  locker=$!
  waits_for "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
             AND query LIKE 'SELECT pg_sleep(8)%'" "the row lock"
  td key rotate >"$T/rot.out" 2>&1 &
  rotation=$!
  waits_for "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
             AND wait_event_type = 'Lock' AND query LIKE 'UPDATE tenants SET wrapped_key%'" \
    "the rotation to wait on acme's row"
  key_before=$(catalog_sql "SELECT value FROM system_config WHERE key = 'master_key_id'")
  creates "$A" racer
  key_after=$(catalog_sql "SELECT value FROM system_config WHERE key = 'master_key_id'")
  [ "$key_after" != "$key_before" ] || fail "the create did not wait for the rotation"; pass
  wait "$rotation" || { cat "$T/rot.out" >&2; fail "rotation during a create"; }; pass
  wait "$locker"
  assert_sealed_under_key_in_force "a tenant created during the rotation"
  serves "$B" racer "created during the rotation"
  assert_all_healthy "a create during the rotation"
fi

# A rotation killed at each step: the servers go on, a later start or
# rotation finishes it.
for point in rotate.key-written rotate.rewrapped rotate.committed; do
  before=$(cat "$DATA/master.key")
  set +e
  TENANTD_FAULT=$point "$TD_BIN" key rotate --data "$DATA" >/dev/null 2>&1
  rc=$?
  set -e
  eq "$rc" 137 "rotation killed at $point"
  if [ "$point" = rotate.committed ]; then
    [ -e "$DATA/master.key.new" ] || fail "no master.key.new after a kill at $point"; pass
  else
    eq "$(cat "$DATA/master.key")" "$before" "key file unchanged by a kill at $point"
  fi
  serves "$A" acme "after a kill at $point"
  creates "$B" "crash-${point#rotate.}"
  serves "$A" "crash-${point#rotate.}" "after a kill at $point"
  assert_sealed_under_key_in_force "after a kill at $point"
  assert_all_healthy "a kill at $point"   # a start: finishes the rename
  [ ! -e "$DATA/master.key.new" ] || [ "$point" != rotate.committed ] || fail "master.key.new left after a start"; pass
  eq "$(stat -c %a "$DATA/master.key")" 600 "key file mode after a kill at $point"
done
expect_rc 0 td key rotate
serves "$B" acme "after the kills"

# A server whose key came from TENANTD_MASTER_KEY cannot re-read it: after a
# rotation it refuses what needs the new key and creates nothing under the
# old one; restarted with the new key it works.
stop_server
TENANTD_MASTER_KEY=$(cat "$DATA/master.key") start_server; C=$BASE
serves "$C" globex "the environment's key, before the rotation"
expect_rc 0 td key rotate
serves "$A" initech "server A, key file, after the rotation"
# PostgreSQL tenants need their sealed role password: 503 until the
# restart; SQLite tenants' files need no key, so they go on being served.
code=$(post "$C/v1/auth/login" --data '{"tenant":"initech","email":"admin@initech.test","password":"admin-password-1"}')
eq "$code" "$([ "$BACKEND" = postgres ] && echo 503 || echo 200)" "initech on the environment's old key"
root=$(curl -sS "$C/v1/auth/login" -d '{"email":"root@example.com","password":"root-password-1"}' | jq -r .access_token)
code=$(post -H "Authorization: Bearer $root" "$C/v1/tenants" \
  --data '{"slug":"stale","services":["crm"],"admin":{"email":"admin@stale.test","password":"admin-password-1"}}')
eq "$code" 500 "no tenant created under a key no longer in force"
expect_contains "$T/body" "TENANTD_MASTER_KEY"
eq "$(catalog_sql "SELECT count(*) FROM tenants WHERE slug = 'stale'")" 0 "nothing recorded"
stop_server
TENANTD_MASTER_KEY=$(cat "$DATA/master.key") start_server; C=$BASE
serves "$C" initech "restarted with the new key"
creates "$C" stale
assert_sealed_under_key_in_force "the end"
assert_all_healthy "the end"
done_ok
