#!/usr/bin/env bash
# The isolation suite: every route × every kind of caller, as a table of
# expected statuses (SPEC §6), on the current backend. Callers: a
# superadmin, tenant A's admin, manager and client, tenant B's admin, a
# suspended tenant's admin, an API key of each kind, and nobody. Besides the
# status, no answer to a caller outside tenant A may carry A's tenant id or
# any of A's users.
. "$(dirname "$0")/lib.sh"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme beta susp
A_ID=$(call GET -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/acme" >/dev/null; jq -r .id "$T/body")
A_ADMIN=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
for u in manager client victim; do
  role=$u; [ $u = victim ] && role=client
  call POST -H "Authorization: Bearer $A_ADMIN" --data "{\"email\":\"$u@acme.test\",\"password\":\"$u-password-1\",\"role\":\"$role\",\"services\":[\"crm\"]}" "$BASE/v1/auth/users" >/dev/null
done
CLIENT_ID=$(call GET -H "Authorization: Bearer $A_ADMIN" "$BASE/v1/auth/users" >/dev/null; jq -r '.items[]|select(.email=="client@acme.test")|.id' "$T/body")
VICTIM_ID=$(jq -r '.items[]|select(.email=="victim@acme.test")|.id' "$T/body")
A_MANAGER=$(login '{"tenant":"acme","email":"manager@acme.test","password":"manager-password-1"}')
A_CLIENT=$(login '{"tenant":"acme","email":"client@acme.test","password":"client-password-1"}')
B_ADMIN=$(login '{"tenant":"beta","email":"admin@beta.test","password":"admin-password-1"}')
S_ADMIN=$(login '{"tenant":"susp","email":"admin@susp.test","password":"admin-password-1"}')
call POST -H "Authorization: Bearer $A_ADMIN" --data '{"name":"k","role":"manager","services":["crm"]}' "$BASE/v1/auth/api-keys" >/dev/null
A_KEY=$(jq -r .key "$T/body")
call POST -H "Authorization: Bearer $ROOT" --data '{"name":"p"}' "$BASE/v1/admin/api-keys" >/dev/null
P_KEY=$(jq -r .key "$T/body")
call POST -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/susp/suspend" >/dev/null

callers=(root a_admin a_manager a_client b_admin s_admin a_key p_key none)
auth_for() {
  case $1 in
    root) echo "Authorization: Bearer $ROOT" ;;   a_admin) echo "Authorization: Bearer $A_ADMIN" ;;
    a_manager) echo "Authorization: Bearer $A_MANAGER" ;; a_client) echo "Authorization: Bearer $A_CLIENT" ;;
    b_admin) echo "Authorization: Bearer $B_ADMIN" ;; s_admin) echo "Authorization: Bearer $S_ADMIN" ;;
    a_key) echo "X-API-Key: $A_KEY" ;; p_key) echo "X-API-Key: $P_KEY" ;; none) echo "X-None: 1" ;;
  esac
}

# method path body | expected: root a_admin a_manager a_client b_admin s_admin a_key p_key none
cases=(
  "GET /health -|200 200 200 200 200 200 200 200 200"
  "GET /ready -|200 200 200 200 200 200 200 200 200"
  "GET /openapi.json -|200 200 200 200 200 200 200 200 200"
  "GET /.well-known/jwks.json -|200 200 200 200 200 200 200 200 200"
  "GET /v1/auth/me -|200 200 200 200 200 200 200 200 401"
  "GET /v1/auth/users -|400 200 200 200 200 403 200 400 401"
  "GET /v1/auth/users/$CLIENT_ID -|400 200 404 200 404 403 404 400 401"
  "PATCH /v1/auth/users/$CLIENT_ID {\"name\":\"n\"}|400 200 403 403 404 403 403 400 401"
  "POST /v1/auth/users {\"email\":\"new-\$C@new.test\",\"password\":\"new-password-1\",\"role\":\"client\"}|400 201 403 403 201 403 403 400 401"
  "DELETE /v1/auth/users/$VICTIM_ID -|400 SKIP 403 403 404 403 403 400 401"
  "GET /v1/auth/api-keys -|400 200 403 403 200 403 403 400 401"
  "GET /v1/admin/api-keys -|200 403 403 403 403 403 403 200 401"
  "POST /v1/admin/api-keys {\"name\":\"x\"}|201 403 403 403 403 403 403 201 401"
  "GET /v1/tenants -|200 200 403 403 200 200 403 200 401"
  "GET /v1/tenants/acme -|200 200 403 403 404 404 403 200 401"
  "GET /v1/tenants/acme/services -|200 200 403 403 404 404 403 200 401"
  "PATCH /v1/tenants/acme {\"name\":\"Acme\"}|200 403 403 403 404 404 403 200 401"
  "POST /v1/tenants/acme/retry -|409 403 403 403 404 404 403 409 401"
  "POST /v1/tenants {\"slug\":\"t-\$C\"}|201 403 403 403 403 403 403 201 401"
  "DELETE /v1/tenants/acme -|SKIP 403 403 403 404 404 403 SKIP 401"
)

for c in "${cases[@]}"; do
  req=${c%%|*}; want=(${c#*|})
  method=${req%% *}; rest=${req#* }; path=${rest%% *}; body=${rest#* }
  for i in "${!callers[@]}"; do
    C=${callers[$i]}; w=${want[$i]}
    [ "$w" = SKIP ] && continue
    b=${body//\$C/${C//_/-}}
    args=(-H "$(auth_for "$C")")
    [ "$b" != - ] && args+=(--data "$b")
    got=$(call "$method" "${args[@]}" "$BASE$path")
    [ "$got" = "$w" ] || { cat "$T/body" >&2; echo >&2; fail "$method $path as $C: $got, want $w"; }
    pass
    # nobody outside tenant A sees A's tenant id or A's users
    case $C in
      b_admin|s_admin|none)
        ! grep -q -e "$A_ID" -e 'acme.test' "$T/body" || { cat "$T/body" >&2; fail "$method $path as $C leaked tenant A"; }
        pass ;;
    esac
  done
done
# the one destructive case left, as the tenant's admin
eq "$(call DELETE -H "Authorization: Bearer $A_ADMIN" "$BASE/v1/auth/users/$VICTIM_ID")" 204 "admin deletes a user"
done_ok
