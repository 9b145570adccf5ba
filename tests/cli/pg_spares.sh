# shellcheck shell=bash
# pg_spares.sh — spare tenant databases on PostgreSQL (issue 11), set-up
# and helpers shared by pg_spares_test.sh and pg_spares_faults_test.sh
# (ctest runs them in parallel). The pg.spares job keeps pg_spares
# clones of each template ready, and provisioning renames one instead of
# cloning while the caller waits. Each test runs on a cluster of its own
# (so that no other test's server fills or takes spares meanwhile), with
# a catalog and pg_spares = 3. Needs PostgreSQL: skipped on SQLite.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = postgres ] || skip "spare databases are PostgreSQL's"

PGD=$(mktemp -d /tmp/tdspare.XXXXXX)
rmdir "$PGD"
OWN_URL=$("$TD_SRC/scripts/pg-cluster" start "$PGD")
trap '_rc=$?; server_end || _rc=1; cp "$PGD/server.log" "$T/pg.log" 2>/dev/null || true; "$TD_SRC/scripts/pg-cluster" stop "$PGD"; td_cleanup $_rc' EXIT
own() { psql "$OWN_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
own "CREATE DATABASE tdcat"
export TENANTD_CATALOG_URL="${OWN_URL%/*}/tdcat" TENANTD_TENANT_DB_URL="$OWN_URL"
export TENANTD_PG_SPARES=3

SPARE_RE='^td_tpl_[0-9a-f]{16}_spare_[0-9]+$'
TMP_RE='^td_tpl_[0-9a-f]{16}_spare_[0-9]+_tmp$'
spares() { own "SELECT count(*) FROM pg_database WHERE datname ~ '$SPARE_RE'"; }
tmps() { own "SELECT count(*) FROM pg_database WHERE datname ~ '$TMP_RE'"; }
oids_of() { own "SELECT coalesce(string_agg(oid::text, ' ' ORDER BY oid), '') FROM pg_database WHERE datname ~ '$1'"; }
# wait_spares N: until the cluster has N complete spares (60 s at most)
wait_spares() {
  for _ in $(seq 1 600); do [ "$(spares)" = "$1" ] && { pass; return 0; }; sleep 0.1; done
  fail "expected $1 spares, have $(spares)"
}
# fill: queues a pg.spares job and runs it in a worker process of its own
fill() { td jobs add pg.spares >/dev/null; td jobs run --once >/dev/null; }
db_of() { echo "td_$(td tenant show "$1" --json | jq -r .id | tr -d -)"; }
# acl_of SLUG: the database's owner and ACL, with its own name made X
acl_of() {
  local db
  db=$(db_of "$1")
  own "SELECT pg_get_userbyid(datdba) || ' ' || datacl::text FROM pg_database WHERE datname = '$db'" |
    sed "s/$db/X/g"
}
# mk SLUG: creates tenant SLUG with crm and an admin through the server,
# as the superadmin (ROOT); prints the status
mk() {
  curl -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $ROOT" \
    -H 'Content-Type: application/json' "$BASE/v1/tenants" \
    --data "{\"slug\":\"$1\",\"services\":[\"crm\"],\"admin\":{\"email\":\"admin@$1.test\",\"password\":\"admin-password-1\"}}"
}

td_init
