#!/usr/bin/env bash
# Spare tenant databases on PostgreSQL (pg_spares.sh) when things go wrong
# or are turned off (how they are made and taken: pg_spares_test.sh):
#  - a filler killed (kill -9) after cloning, and after closing, a spare
#    leaves a _tmp database that no provisioning takes, and the next run
#    drops it and completes the spares;
#  - pg_spares = 0: the job drops the spares and provisioning clones;
#  - the spares of a template that is dropped, and of a server that is no
#    longer active, are dropped.
. "$(dirname "$0")/pg_spares.sh"

# -- the first tenant builds the template; the job makes the three spares
td tenant create first --services crm >/dev/null
CLONE_ACL=$(acl_of first)
eq "$CLONE_ACL" "postgres {postgres=CTc/postgres,X=Tc/postgres}" "a clone's owner and grants"
fill
eq "$(spares)" 3 "spares made by the job"

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
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
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
