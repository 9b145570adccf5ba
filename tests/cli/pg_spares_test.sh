#!/usr/bin/env bash
# Spare tenant databases on PostgreSQL (pg_spares.sh), as they are made
# and taken:
#  - the job makes exactly pg_spares complete spares, closed to PUBLIC, and
#    a second run changes nothing;
#  - five tenants created at once with three spares ready and no job
#    running: each gets a database of its own (five distinct databases,
#    three of them the spares — same OIDs — and two clones), every one
#    owned and granted exactly as a clone is, reachable by its own role
#    only, and each tenant's data its own;
#  - a running server refills the spares after a provisioning takes one.
# What goes wrong and what turns them off: pg_spares_faults_test.sh.
. "$(dirname "$0")/pg_spares.sh"

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
done_ok
