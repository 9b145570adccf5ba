#!/usr/bin/env bash
# Spare tenant databases on PostgreSQL (issue 11): the pg.spares job keeps
# pg_spares clones of each template ready, and provisioning renames one
# instead of cloning while the caller waits. On a cluster of the test's own
# (so that no other test's server fills or takes spares meanwhile):
#  - the job makes exactly pg_spares complete spares, closed to PUBLIC, and
#    a second run changes nothing;
#  - five tenants created at once with three spares ready and no job
#    running: each gets a database of its own (five distinct databases,
#    three of them the spares — same OIDs — and two clones), every one
#    owned and granted exactly as a clone is, reachable by its own role
#    only, and each tenant's data its own;
#  - a running server refills the spares after a provisioning takes one;
#  - a filler killed (kill -9) after cloning, and after closing, a spare
#    leaves a _tmp database that no provisioning takes, and the next run
#    drops it and completes the spares;
#  - pg_spares = 0: the job drops the spares and provisioning clones;
#  - the spares of a template that is dropped, and of a server that is no
#    longer active, are dropped.
# Needs PostgreSQL: skipped on SQLite.
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
td_init

# -- 1. the first tenant builds its template and clones it: no spare yet
td tenant create first --services crm >/dev/null
eq "$(spares)" 0 "no spare before the job ran"
CLONE_ACL=$(acl_of first)
eq "$CLONE_ACL" "postgres {postgres=CTc/postgres,X=Tc/postgres}" "a clone's owner and grants"

# -- 2. the job makes pg_spares spares, complete and closed to PUBLIC
fill
eq "$(spares)" 3 "spares made by the job"
eq "$(tmps)" 0 "no half-made spare left"
eq "$(own "SELECT count(*) FROM pg_database WHERE datname ~ '$SPARE_RE' AND (has_database_privilege('td_tenants', oid, 'CONNECT') OR has_database_privilege('public', oid, 'CONNECT'))")" 0 "spares closed to PUBLIC"
eq "$(own "SELECT count(*) FROM pg_stat_activity WHERE datname ~ '^td_tpl_'")" 0 "spares and templates hold no connection"
SPARE_OIDS=$(oids_of "$SPARE_RE")
fill
eq "$(oids_of "$SPARE_RE")" "$SPARE_OIDS" "a second run changes nothing"

# -- 3. five tenants at once, three spares ready, no job running
TENANTD_JOB_WORKERS=0 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
mk() {
  curl -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $ROOT" \
    -H 'Content-Type: application/json' "$BASE/v1/tenants" \
    --data "{\"slug\":\"$1\",\"services\":[\"crm\"],\"admin\":{\"email\":\"admin@$1.test\",\"password\":\"admin-password-1\"}}"
}
export -f mk
export ROOT BASE
printf '%s\n' sa sb sc sd se | xargs -P 5 -I{} bash -c 'mk {}' >"$T/created"
eq "$(grep -c '^201$' "$T/created")" 5 "five tenants created at once"
eq "$(spares)" 0 "the three spares were taken"
TENANT_OIDS=""
for s in sa sb sc sd se; do
  db=$(db_of "$s")
  TENANT_OIDS="$TENANT_OIDS $(own "SELECT oid FROM pg_database WHERE datname = '$db'")"
  eq "$(acl_of "$s")" "$CLONE_ACL" "tenant $s owned and granted as a clone is"
  eq "$(own "SELECT has_database_privilege('$db', '$db', 'CONNECT')")" t "tenant $s's role reaches its database"
  eq "$(own "SELECT has_database_privilege('$db', '$(db_of first)', 'CONNECT')")" f "tenant $s's role cannot reach another's"
done
eq "$(echo "$TENANT_OIDS" | tr ' ' '\n' | sed '/^$/d' | sort -u | wc -l)" 5 "five distinct databases"
taken=0
for o in $TENANT_OIDS; do case " $SPARE_OIDS " in *" $o "*) taken=$((taken + 1)) ;; esac; done
eq "$taken" 3 "each spare went to one tenant (the other two cloned)"
for s in sa sb sc sd se; do
  tok=$(login "{\"tenant\":\"$s\",\"email\":\"admin@$s.test\",\"password\":\"admin-password-1\"}")
  eq "$(post -H "Authorization: Bearer $tok" --data "{\"name\":\"only-$s\"}" "$BASE/v1/crm/customers")" 201 "a row in $s"
done
for s in sa sb sc sd se; do
  tok=$(login "{\"tenant\":\"$s\",\"email\":\"admin@$s.test\",\"password\":\"admin-password-1\"}")
  eq "$(get -H "Authorization: Bearer $tok" "$BASE/v1/crm/customers")" 200 "list in $s"
  eq "$(jq -r '[.items[].name] | join(",")' "$T/body")" "only-$s" "tenant $s sees its own row only"
done
stop_server

# -- 4. a running server refills after a provisioning takes a spare
start_server
wait_spares 3
BEFORE=$(oids_of "$SPARE_RE")
eq "$(mk sf)" 201 "a tenant while spares are ready"
case " $BEFORE " in
  *" $(own "SELECT oid FROM pg_database WHERE datname = '$(db_of sf)'") "*) pass ;;
  *) fail "tenant sf did not get a spare" ;;
esac
wait_spares 3
stop_server

# -- 5. a filler killed half-way: its _tmp database is never handed out
td tenant create sg --services crm >/dev/null # takes a spare: 2 left
eq "$(spares)" 2 "one spare taken by the command"
# killed_fill POINT WHY: a worker process runs the due spares job and is
# killed (SIGKILL) at fault point POINT; its lease is one second
killed_fill() {
  local rc
  set +e
  TENANTD_FAULT=$1 TENANTD_JOB_LEASE_MS=1000 td jobs run --once >/dev/null 2>&1
  rc=$?
  set -e
  eq "$rc" 137 "$2"
}
td jobs add pg.spares >/dev/null
killed_fill spares.cloned "the filler was killed after cloning"
eq "$(tmps)" 1 "a half-made spare is left"
TMP_OID=$(oids_of "$TMP_RE")
for s in sh si sj; do td tenant create "$s" --services crm >/dev/null; done
eq "$(tmps)" 1 "no provisioning took the half-made spare"
eq "$(oids_of "$TMP_RE")" "$TMP_OID" "it is the same one"
eq "$(spares)" 0 "the two complete spares were taken, the third tenant cloned"
for s in sg sh si sj; do eq "$(acl_of "$s")" "$CLONE_ACL" "tenant $s granted as a clone"; done
sleep 1.2 # the killed worker's lease ends
killed_fill spares.closed "the filler was killed after closing a spare, before naming it"
eq "$(tmps)" 1 "one half-made spare again (the earlier one dropped)"
eq "$(spares)" 0 "and no complete one"
td tenant create sk --services crm >/dev/null
eq "$(tmps)" 1 "not taken either"
sleep 1.2
td jobs run --once >/dev/null
eq "$(tmps)" 0 "the next run dropped the half-made spare"
eq "$(spares)" 3 "and made the spares"
eq "$(td jobs list --kind pg.spares --state running --json | jq '.items | length')" 0 "no spares job left running"

# -- 6. pg_spares = 0: the job drops the spares, provisioning clones
TENANTD_PG_SPARES=0 start_server
wait_spares 0
eq "$(mk sl)" 201 "a tenant with spares off"
eq "$(acl_of sl)" "$CLONE_ACL" "granted as a clone"
sleep 2
eq "$(spares)" 0 "no spare made with pg_spares = 0"
tok=$(login '{"tenant":"sl","email":"admin@sl.test","password":"admin-password-1"}')
eq "$(post -H "Authorization: Bearer $tok" --data '{"name":"only-sl"}' "$BASE/v1/crm/customers")" 201 "a row in sl"
stop_server

# -- 7. a template that is gone, or a server no longer active: no spares
fill
eq "$(spares)" 3 "spares again"
TPL=$(own "SELECT datname FROM pg_database WHERE datname ~ '^td_tpl_[0-9a-f]{16}$'")
own "DROP DATABASE $TPL"
fill
eq "$(spares)" 0 "the spares of a dropped template are dropped"
td tenant create sm --services crm >/dev/null # builds the template again, clones
eq "$(acl_of sm)" "$CLONE_ACL" "granted as a clone"
fill
eq "$(spares)" 3 "spares of the rebuilt template"
psql "$TENANTD_CATALOG_URL" -XAtq -v ON_ERROR_STOP=1 -c "UPDATE db_servers SET status = 'draining'"
fill
eq "$(spares)" 0 "a server no longer active keeps no spares"
done_ok
