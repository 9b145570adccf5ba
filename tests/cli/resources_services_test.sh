#!/usr/bin/env bash
# The resource engine over HTTP (resources.sh): an operator's
# service from TENANTD_SERVICES_DIR, and bad declarations stopping
# start-up with the file and the reason.
. "$(dirname "$0")/resources.sh"

# ---- 8. an operator's service (TENANTD_SERVICES_DIR) --------------------------
stop_server
export TENANTD_SERVICES_DIR=$FIX
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
set +e
echo 'admin-password-1' | td tenant create desk --services helpdesk,crm \
  --admin-email admin@desk.test --admin-password-stdin --json >"$T/desk.json" 2>"$T/err"
rc=$?
set -e
[ $rc -eq 0 ] || { cat "$T/err" >&2; fail "tenant create desk --services helpdesk,crm: exit $rc"; }; pass
eq "$(jq -r '.services | join(",")' "$T/desk.json")" "auth,crm,helpdesk" "a tenant with the operator's service"
TEN=desk TID=$(jq -r .id "$T/desk.json")
SA=(-H "Authorization: Bearer $ROOT" -H "X-Tenant: desk")
load_plan "$FIX/helpdesk/service.json"
for res in queues tickets audit; do crud helpdesk "$res"; done
# queues: create, update, delete; tickets: a queue to point at, then the same
eq "$(osql helpdesk "SELECT action || ' ' || resource FROM @ob ORDER BY seq" | tr '\n' ',')" \
   "create queues,update queues,delete queues,create queues,create tickets,update tickets,delete tickets," \
   "the operator's service has its outbox"
# its declaration is enforced like a built-in one
ensure_row helpdesk queues; QUEUE=$ROWID
st 400 "$(callh POST "${SA[@]}" --data '{"subject":"s","priority":"asap","resolution":"done","hours":1001}' "$BASE/v1/helpdesk/tickets")" "a bad ticket"
errors_are 'queue_id required,priority invalid_value,resolution read_only,hours out_of_range' "a bad ticket"
st 201 "$(callh POST "${SA[@]}" --data "{\"queue_id\":\"$QUEUE\",\"subject\":\"Printer\",\"due_at\":\"2026-07-01T12:00:00+00:00\"}" "$BASE/v1/helpdesk/tickets")" "a ticket"
jqe '.priority == "normal" and .reopened == 0 and .due_at == "2026-07-01T12:00:00.000Z" and .resolution == null' "a ticket's defaults"
st 200 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=subject eq 'Printer' and priority in ('normal', 'urgent') and hours eq null" --data-urlencode sort=-priority,subject "$BASE/v1/helpdesk/tickets")" "filter tickets"
jqe '[.items[].subject] == ["Printer"]' "filter tickets finds the ticket"
st 201 "$(callh POST "${SA[@]}" --data "{\"queue_id\":\"$QUEUE\",\"subject\":\"Toner\",\"hours\":2.5}" "$BASE/v1/helpdesk/tickets")" "a ticket with hours"
st 200 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=hours eq 2.5 and hours gt 2 and hours le 2.5" "$BASE/v1/helpdesk/tickets")" "number comparisons"
jqe '[.items[].subject] == ["Toner"]' "number comparisons find the ticket"
# its access overrides: clients create and read their own, change nothing
DESK_ADMIN=(-H "Authorization: Bearer $(login '{"tenant":"desk","email":"admin@desk.test","password":"admin-password-1"}')")
st 201 "$(callh POST "${DESK_ADMIN[@]}" --data '{"email":"cl@desk.test","password":"user-password-1","role":"client","services":["helpdesk"]}' "$BASE/v1/auth/users")" "a helpdesk client"
CL=(-H "Authorization: Bearer $(login '{"tenant":"desk","email":"cl@desk.test","password":"user-password-1"}')")
st 201 "$(callh POST "${CL[@]}" --data "{\"queue_id\":\"$QUEUE\",\"subject\":\"Mine\"}" "$BASE/v1/helpdesk/tickets")" "a client opens a ticket"
CLT=$(jq -r .id "$T/body")
st 200 "$(callh GET "${CL[@]}" "$BASE/v1/helpdesk/tickets")" "the client lists tickets"
jqe '[.items[].id] == [$t]' "the client sees its own ticket only" --arg t "$CLT"
st 403 "$(callh PATCH "${CL[@]}" --data '{"subject":"x"}' "$BASE/v1/helpdesk/tickets/$CLT")" "update is none for clients"
st 403 "$(callh DELETE "${CL[@]}" "$BASE/v1/helpdesk/tickets/$CLT")" "delete is none for clients"
st 403 "$(callh GET "${CL[@]}" "$BASE/v1/crm/customers")" "the client has no crm grant"
# a tenant without the service: refused; built-in services unchanged
st 403 "$(callh GET -H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme' "$BASE/v1/helpdesk/tickets")" "acme has no helpdesk"
code_is service_not_enabled "acme has no helpdesk"
st 200 "$(callh GET -H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme' "$BASE/v1/crm/customers")" "acme's crm after the restart"
st 404 "$(callh GET "${SA[@]}" "$BASE/v1/helpdesk/nosuch")" "an undeclared resource"

# bad declarations stop start-up (and other commands) with the file and why
stop_server
n=0
bad_decl() { # bad_decl FOLDER-NAME JQ-EDIT REASON: a copy of the fixture, edited
  n=$((n + 1))
  local dir=$T/bad$n
  mkdir -p "$dir"; cp -r "$FIX/helpdesk" "$dir/$1"
  if [ "$2" = not-json ]; then echo '{"name": "helpdesk", "resources": [' >"$dir/$1/service.json"
  else jq "$2" "$FIX/helpdesk/service.json" >"$dir/$1/service.json"; fi
  set +e
  TENANTD_SERVICES_DIR=$dir timeout 20 "$TD_BIN" serve --data "$DATA" --listen "127.0.0.1:$(free_port)" >"$T/out" 2>"$T/err"
  local rc=$?
  set -e
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || { cat "$T/err" >&2; fail "serve with a bad service ($3): exit $rc"; }; pass
  expect_contains "$T/err" "$dir/$1/service.json"
  expect_contains "$T/err" "$3"
}
bad_decl helpdesk '.resources[1].fields[1].type = "string"' "unknown type"
bad_decl helpdesk '.resources[1].fields[0].ref = "nosuch"' "ref names no resource"
bad_decl helpdesk '.resources[1].sort += ["requester"]' "sortable field must be required or have a default"
bad_decl helpdesk '.resources[1].filter += ["nosuch"]' "names an unknown field"
bad_decl helpdesk '.resources[1].filter += ["meta"]' "cannot use the json field"
bad_decl helpdesk '.resources[1].fields[5].max = 9007199254740992' "integer bounds are integers within"
bad_decl helpdesk '.resources[1].fields[5].min = 0.5' "integer bounds are integers within"
bad_decl helpdesk '.resources[1].fields[3].server_values = ["asap"]' "server_values is a non-empty list of the enum's values"
bad_decl helpdesk '.resources[1].fields[1].server_values = ["x"]' "server_values is a non-empty list of the enum's values"
bad_decl helpdesk '.resources[1].fields[3].default = "someday"' "default does not fit"
bad_decl helpdesk '.resources[1].fields[1].requird = true' "unknown key"
bad_decl helpdesk '.resources[0].table = "td_queues"' "not starting with td_"
bad_decl helpdesk '.resources[0].fields += [{"name": "owner_id", "type": "text"}]' "system columns are not declared"
bad_decl helpdesk '.resources[1].access = {"client": {"read": "everyone"}}' "access"
bad_decl helpdesk '.resources[2].access = {"client": {"read": "own"}}' "has no owner"
bad_decl helpdesk '.resources[1].methods = ["list", "patch"]' "methods are"
bad_decl desk2 '.' "is not the folder's name"
bad_decl crm '.name = "crm"' "exists already"
bad_decl helpdesk not-json "not a JSON object"
# another command refuses the same way
set +e; TENANTD_SERVICES_DIR=$T/bad1 "$TD_BIN" tenant list --data "$DATA" >"$T/out" 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] || fail "tenant list with a bad service: exit 0"; pass
expect_contains "$T/err" "$T/bad1/helpdesk/service.json"
# a service without migrations, or with a gap in them
mkdir -p "$T/nomig/helpdesk"; cp "$FIX/helpdesk/service.json" "$T/nomig/helpdesk/"
set +e; TENANTD_SERVICES_DIR=$T/nomig timeout 20 "$TD_BIN" serve --data "$DATA" --listen "127.0.0.1:$(free_port)" >"$T/out" 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "serve with a service without migrations: exit $rc"; pass
expect_contains "$T/err" "$T/nomig/helpdesk"
mkdir -p "$T/gap"; cp -r "$FIX/helpdesk" "$T/gap/"; mv "$T/gap/helpdesk/migrations/sqlite/0001_init.sql" "$T/gap/helpdesk/migrations/sqlite/0002_init.sql"
set +e; TENANTD_SERVICES_DIR=$T/gap timeout 20 "$TD_BIN" serve --data "$DATA" --listen "127.0.0.1:$(free_port)" >"$T/out" 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "serve with a gap in the migrations: exit $rc"; pass
expect_contains "$T/err" "0002_init.sql"
# and the good folder still starts
start_server
resources_done
