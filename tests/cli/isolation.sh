# shellcheck shell=bash
# isolation.sh — the isolation suite (sourced by isolation_test.sh, the
# platform and auth routes, and isolation_data_test.sh, tenant data; they
# run in parallel): every route of the server × every kind of caller,
# with the expected answer of each pair held below as data (SPEC §6,
# docs/api.md "Access"). The routes come from the server itself
# (/openapi.json, generated from the route table): a route the server has
# that the table lacks fails the suite, and so does a table row for a route
# the server no longer has. The generic tenant-data routes are tried on
# concrete declared resources, at least one per service, and on the routes
# with behaviour (lead conversion, orders, event batches, media bytes).
#
# Tenant A (acme) has every service and holds the rows; its manager and
# client are granted every service but projects. Callers:
#   root     a superadmin (X-Tenant: acme)
#   p_key    a platform API key (X-Tenant: acme)
#   a_admin, a_manager, a_client   acme's users
#   a_key    an acme API key with role admin, held to crm (docs/api.md
#            "Scopes": it hands out and changes nothing beyond crm)
#   b_admin  tenant B's admin naming acme (X-Tenant: acme)
#   b_own    tenant B's admin in its own tenant (B has crm only), with A's ids
#   s_admin  a suspended tenant's admin (token from before the suspension)
#   d_admin  a deleted tenant's admin (token from before the deletion)
#   none     no credentials (X-Tenant: acme)
# Besides the status (and, where SPEC or docs name it, the problem code),
# no answer to a caller outside acme (b_admin, b_own, s_admin, d_admin,
# none) may contain acme's id, its users' ids or emails, or its rows' ids.
#
# Cells: STATUS, or STATUS:code; "-" where another row of the same route
# tries that caller (destructive routes: the superadmins act on a
# disposable tenant). KNOWN lists where today's server disagrees with the
# contract: such a cell is reported, not failed; an entry that no cell
# meets any more fails the suite, so that it is removed once the server is
# fixed. TD_ISO_SHOW=1 prints every cell; TD_KEEP_GOING=1 reports every
# wrong cell instead of stopping at the first.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
td_init
start_server

CALLERS=(root p_key a_admin a_manager a_client a_key b_admin b_own s_admin d_admin none)
OUTSIDE=" b_admin b_own s_admin d_admin none "
# KNOWN: "METHOD PATH CALLER ANSWER" (globs, PATH as in the table) # why
KNOWN=(
)

# ---- set-up (setup tokens SU and AU are never a caller's token) ------------
ALL=crm,cms,billing,analytics,projects,commerce
SU=$(login '{"email":"root@example.com","password":"root-password-1"}')
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
mk() { # mk TOKEN METHOD PATH BODY [X-Tenant]: a set-up request that must succeed; body in $T/body, its id in ID
  local code
  code=$(call "$2" -H "Authorization: Bearer $1" ${5:+-H "X-Tenant: $5"} --data "$4" "$BASE$3")
  case $code in 2??) ;; *) cat "$T/body" >&2; fail "set-up $2 $3: $code" ;; esac
  ID=; [[ $(<"$T/body") =~ \"id\":\"([0-9a-f-]+)\" ]] && ID=${BASH_REMATCH[1]}
  return 0
}
tenant() { # tenant SLUG SERVICES: with its admin admin@SLUG.test
  mk "$SU" POST /v1/tenants "{\"slug\":\"$1\",\"services\":[\"${2//,/\",\"}\"],\"admin\":{\"email\":\"admin@$1.test\",\"password\":\"admin-password-1\"}}"
}
tenant acme "$ALL"
A_ID=$(jq -r .id "$T/body")
for s in beta susp gone; do tenant $s crm; done
tlogin() { login "{\"tenant\":\"$1\",\"email\":\"$2@$1.test\",\"password\":\"$2-password-1\"}"; }
AU=$(tlogin acme admin)
A_ADMIN=$(tlogin acme admin)
ADMIN_ID=$(jq -r .user.id "$T/login")
for u in manager client; do
  mk "$AU" POST /v1/auth/users "{\"email\":\"$u@acme.test\",\"password\":\"$u-password-1\",\"role\":\"$u\",\"services\":[\"crm\",\"cms\",\"billing\",\"analytics\",\"commerce\"]}"
done
A_MANAGER=$(tlogin acme manager); MANAGER_ID=$(jq -r .user.id "$T/login")
A_CLIENT=$(tlogin acme client); CLIENT_ID=$(jq -r .user.id "$T/login")
mk "$AU" POST /v1/auth/api-keys '{"name":"iso","role":"admin","services":["crm"]}'
A_KEY=$(jq -r .key "$T/body"); A_KEY_ID=$(jq -r .id "$T/body")
mk "$SU" POST /v1/admin/api-keys '{"name":"iso"}'
P_KEY=$(jq -r .key "$T/body")
B_ADMIN=$(tlogin beta admin)
B_OWN=$(tlogin beta admin)
S_ADMIN=$(tlogin susp admin)
D_ADMIN=$(tlogin gone admin)
mk "$SU" POST /v1/tenants/susp/suspend '{}'
mk "$SU" DELETE /v1/tenants/gone ''

# acme's rows, and every id and email of acme an outsider must never see
PATTERNS=$T/acme-patterns
printf '%s\n' "$A_ID" "$ADMIN_ID" "$MANAGER_ID" "$CLIENT_ID" "$A_KEY_ID" \
  admin@acme.test manager@acme.test client@acme.test >"$PATTERNS"
declare -A V=([CLIENT]=$CLIENT_ID)
row() { # row NAME TOKEN PATH BODY [X-Tenant]: creates a row of acme, V[NAME] = its id
  mk "$2" POST "$3" "$4" "${5:-}"
  V[$1]=$ID
  echo "${V[$1]}" >>"$PATTERNS"
}
row CUST "$AU" /v1/crm/customers '{"name":"Globex"}'
row PAGE "$AU" /v1/cms/pages '{"title":"Home","slug":"home"}'
row MEDIA "$AU" /v1/cms/media '{"filename":"a.txt","content_type":"text/plain"}'
row PROJ "$AU" /v1/projects/projects '{"name":"Apollo"}'
row PROD "$AU" /v1/commerce/products '{"name":"Widget","sku":"W-1","price":10}'
row STOCK "$AU" /v1/commerce/inventory "{\"product_id\":\"${V[PROD]}\",\"quantity\":100000}"
row EVENT "$AU" /v1/analytics/events '{"name":"page_view","ts":"2026-01-01T10:00:00Z"}'
row INVOICE "$SU" /v1/billing/invoices "{\"number\":\"INV-1\",\"owner_id\":\"$CLIENT_ID\"}" acme
row DASH "$SU" /v1/analytics/dashboards '{"name":"Sales"}' acme
mk "$AU" GET /v1/auth/sessions ''
V[SESSION]=$(jq -r '.items[0].id' "$T/body"); echo "${V[SESSION]}" >>"$PATTERNS"
mk "$AU" GET /v1/auth/events ''
V[AEVENT]=$(jq -r '.items[0].id' "$T/body"); echo "${V[AEVENT]}" >>"$PATTERNS"
curl -sS -o "$T/body" -X POST -H "Authorization: Bearer $AU" -H 'Idempotency-Key: iso-checkout' \
  -H 'Content-Type: application/json' --data '{"credits":5,"provider":"manual"}' "$BASE/v1/credits/purchase"
V[CHECKOUT]=$(jq -r .id "$T/body"); echo "${V[CHECKOUT]}" >>"$PATTERNS"

# fresh KIND: something new for one destructive cell; sets FRESH.
N=0
fresh() {
  N=$((N + 1))
  case $1 in
    tenant|suspended)
      mk "$SU" POST /v1/tenants "{\"slug\":\"v-$N\"}"; FRESH=v-$N
      [ "$1" = tenant ] || mk "$SU" POST "/v1/tenants/v-$N/suspend" '{}' ;;
    user) mk "$AU" POST /v1/auth/users "{\"email\":\"v-$N@acme.test\",\"password\":\"user-password-1\",\"role\":\"client\"}"
          echo "v-$N@acme.test" >>"$PATTERNS"; FRESH=$ID ;;
    apikey) mk "$AU" POST /v1/auth/api-keys "{\"name\":\"v-$N\",\"role\":\"client\"}"; FRESH=$ID ;;
    pkey) mk "$SU" POST /v1/admin/api-keys "{\"name\":\"v-$N\"}"; FRESH=$ID ;;
    plan) mk "$SU" POST /v1/plans "{\"code\":\"v-$N\",\"name\":\"v\"}"; FRESH=v-$N ;;
    imp) mk "$SU" POST /v1/tenants/acme/impersonate '{"user":"client@acme.test","reason":"isolation"}'
         FRESH=$(jq -r .impersonation.id "$T/body") ;;
    crm/customers) mk "$AU" POST /v1/crm/customers "{\"name\":\"v-$N\"}"; FRESH=$ID ;;
    crm/leads) mk "$AU" POST /v1/crm/leads "{\"name\":\"v-$N\"}"; FRESH=$ID ;;
    cms/pages) mk "$AU" POST /v1/cms/pages "{\"title\":\"v\",\"slug\":\"v-$N\"}"; FRESH=$ID ;;
    projects/projects) mk "$AU" POST /v1/projects/projects "{\"name\":\"v-$N\"}"; FRESH=$ID ;;
    commerce/products) mk "$AU" POST /v1/commerce/products "{\"name\":\"v\",\"sku\":\"V-$N\",\"price\":1}"; FRESH=$ID ;;
    analytics/events) mk "$AU" POST /v1/analytics/events '{"name":"v","ts":"2026-01-01T10:00:00Z"}'; FRESH=$ID ;;
    billing/invoices) mk "$SU" POST /v1/billing/invoices "{\"number\":\"V-$N\"}" acme; FRESH=$ID ;;
    analytics/dashboards) mk "$SU" POST /v1/analytics/dashboards "{\"name\":\"v-$N\"}" acme; FRESH=$ID ;;
    *) fail "no fresh $1" ;;
  esac
  case $1 in tenant|suspended|pkey) ;; *) echo "$FRESH" >>"$PATTERNS" ;; esac
}

# fill TEXT CALLER: TEXT with %C% (the caller, as a slug), %N% (a counter),
# %NAME% (V[NAME]) and %fresh:KIND% replaced; sets OUT.
fill() {
  local s=$1 k
  s=${s//%C%/${2//_/-}}
  N=$((N + 1)); s=${s//%N%/$N}
  while [[ $s =~ %fresh:([a-z_/]+)% ]]; do
    k=${BASH_REMATCH[1]}; fresh "$k"; s=${s//%fresh:$k%/$FRESH}
  done
  for k in "${!V[@]}"; do s=${s//%$k%/${V[$k]}}; done
  OUT=$s
}

# as CALLER: the caller's headers in H.
as() {
  case $1 in
    root) H=(-H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme') ;;
    p_key) H=(-H "X-API-Key: $P_KEY" -H 'X-Tenant: acme') ;;
    a_admin) H=(-H "Authorization: Bearer $A_ADMIN" -H 'X-Tenant: acme') ;;
    a_manager) H=(-H "Authorization: Bearer $A_MANAGER" -H 'X-Tenant: acme') ;;
    a_client) H=(-H "Authorization: Bearer $A_CLIENT" -H 'X-Tenant: acme') ;;
    a_key) H=(-H "Authorization: Bearer $A_KEY" -H 'X-Tenant: acme') ;;
    b_admin) H=(-H "Authorization: Bearer $B_ADMIN" -H 'X-Tenant: acme') ;;
    b_own) H=(-H "Authorization: Bearer $B_OWN") ;;
    s_admin) H=(-H "Authorization: Bearer $S_ADMIN") ;;
    d_admin) H=(-H "Authorization: Bearer $D_ADMIN") ;;
    none) H=(-H 'X-Tenant: acme') ;;
  esac
}


# trim TEXT: TEXT without leading and trailing blanks, in OUT.
trim() { OUT=${1#"${1%%[![:space:]]*}"}; OUT=${OUT%"${OUT##*[![:space:]]}"}; }

# leaked PATH BODY: true when the answer names something of acme that the
# request itself did not name.
leaked() {
  local x
  while read -r x; do
    [[ $BODY == *"$x"* && "$1 $2" != *"$x"* ]] && return 0
  done <"$PATTERNS"
  return 1
}

# ---- the table ---------------------------------------------------------------
# METHOD ROUTE | PATH (= the route) | BODY (- none) | root p_key a_admin a_manager a_client a_key b_admin b_own s_admin d_admin none
TABLE=$(cat <<'EOF'
GET /health | = | - | 200 200 200 200 200 200 200 200 200 200 200
GET /ready | = | - | 200 200 200 200 200 200 200 200 200 200 200
GET /metrics | = | - | 200 200 200 200 200 200 200 200 200 200 200
GET /console | = | - | 200 200 200 200 200 200 200 200 200 200 200
GET /console/{path} | /console/app.js | - | 200 200 200 200 200 200 200 200 200 200 200
GET /openapi.json | = | - | 200 200 200 200 200 200 200 200 200 200 200
GET /.well-known/jwks.json | = | - | 200 200 200 200 200 200 200 200 200 200 200
POST /v1/auth/login | = | {"email":"nobody-%N%@x.test","password":"wrong-password-1"} | 401:invalid_credentials 401:invalid_credentials 401:invalid_credentials 401:invalid_credentials 401:invalid_credentials 401:invalid_credentials 401:invalid_credentials 401:invalid_credentials 401:invalid_credentials 401:invalid_credentials 401:invalid_credentials
POST /v1/auth/register | = | {"slug":"r-%N%","email":"r@r.test","password":"reg-password-1"} | 404:registration_closed 404:registration_closed 404:registration_closed 404:registration_closed 404:registration_closed 404:registration_closed 404:registration_closed 404:registration_closed 404:registration_closed 404:registration_closed 404:registration_closed
GET /v1/auth/register | = | - | 200 200 200 200 200 200 200 200 200 200 200
POST /v1/auth/refresh | = | {"refresh_token":"tdr_p_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} | 401:invalid_grant 401:invalid_grant 401:invalid_grant 401:invalid_grant 401:invalid_grant 401:invalid_grant 401:invalid_grant 401:invalid_grant 401:invalid_grant 401:invalid_grant 401:invalid_grant
GET /v1/auth/me | = | - | 200 200 200 200 200 200 403:tenant_mismatch 200 200 401 401:unauthorized
POST /v1/auth/password | = | {"current_password":"not-the-password","new_password":"new-password-123"} | 403:wrong_password 403:forbidden 403:wrong_password 403:wrong_password 403:wrong_password 403:forbidden 403:tenant_mismatch 403:wrong_password 403 401 401:unauthorized
POST /v1/auth/users | = | {"email":"u-%N%@new.test","password":"user-password-1","role":"client"} | 201 201 201 403:forbidden 403:forbidden 201 403:tenant_mismatch 201 403:tenant_suspended 401 401:unauthorized
GET /v1/auth/users | = | - | 200 200 200 200 200 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
GET /v1/auth/users/{id} | /v1/auth/users/%CLIENT% | - | 200 200 200 404 200 200 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
PATCH /v1/auth/users/{id} | /v1/auth/users/%CLIENT% | {"name":"Cy"} | 200 200 200 403:forbidden 403:forbidden 403:exceeds_scope 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
DELETE /v1/auth/users/{id} | /v1/auth/users/%fresh:user% | - | 204 204 204 403:forbidden 403:forbidden 204 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
POST /v1/auth/api-keys | = | {"name":"k-%N%","role":"client"} | 201 201 201 403:forbidden 403:forbidden 403:exceeds_scope 403:tenant_mismatch 201 403:tenant_suspended 401 401:unauthorized
GET /v1/auth/api-keys | = | - | 200 200 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
DELETE /v1/auth/api-keys/{id} | /v1/auth/api-keys/%fresh:apikey% | - | 204 204 204 403:forbidden 403:forbidden 403:exceeds_scope 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
POST /v1/admin/api-keys | = | {"name":"p-%N%"} | 201 201 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/api-keys | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
DELETE /v1/admin/api-keys/{id} | /v1/admin/api-keys/%fresh:pkey% | - | 204 204 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/usage | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/usage | = | - | 200 200 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 200 401 401:unauthorized
GET /v1/admin/jobs | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/jobs/{id} | /v1/admin/jobs/01a24d8c-2fc6-7543-81cc-91bfbc4fd994 | - | 404:job_not_found 404:job_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/admin/jobs/{id}/cancel | /v1/admin/jobs/01a24d8c-2fc6-7543-81cc-91bfbc4fd994/cancel | - | 404:job_not_found 404:job_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/admin/jobs/{id}/retry | /v1/admin/jobs/01a24d8c-2fc6-7543-81cc-91bfbc4fd994/retry | - | 404:job_not_found 404:job_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/account/tenants | = | - | 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/account/tenants | = | {"slug":"iso-owned"} | 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/account/tenants/{t}/session | /v1/account/tenants/acme/session | - | 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/accounts | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/accounts/{id} | /v1/admin/accounts/01a24d8c-2fc6-7543-81cc-91bfbc4fd994 | - | 404:account_not_found 404:account_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/admin/accounts/{id}/suspend | /v1/admin/accounts/01a24d8c-2fc6-7543-81cc-91bfbc4fd994/suspend | - | 404:account_not_found 404:account_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/admin/accounts/{id}/resume | /v1/admin/accounts/01a24d8c-2fc6-7543-81cc-91bfbc4fd994/resume | - | 404:account_not_found 404:account_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/migrations | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/admin/migrations | = | {"all":true,"dry_run":true} | 202 202 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/audit | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/audit | /v1/admin/audit?tenant=acme&limit=5 | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/audit | = | - | 200 200 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 200 401 401:unauthorized
GET /v1/audit | /v1/audit?tenant=acme | - | 200 200 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/admin/summary/services | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/summary/tenants | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/cron | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/admin/cron | = | {"name":"c-%N%","schedule":"0 3 * * *","kind":"sessions.cleanup"} | 201 201 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/cron/{name} | /v1/admin/cron/nope | - | 404:cron_not_found 404:cron_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
PATCH /v1/admin/cron/{name} | /v1/admin/cron/nope | {"enabled":false} | 404:cron_not_found 404:cron_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
DELETE /v1/admin/cron/{name} | /v1/admin/cron/nope | - | 404:cron_not_found 404:cron_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/admin/signing-keys/rotate | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/tenants | = | {"slug":"t-%N%"} | 201 201 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/tenants | = | - | 200 200 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 200 401 401:unauthorized
GET /v1/tenants/{tenant} | /v1/tenants/acme | - | 200 200 200 403:forbidden 403:forbidden 200 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
PATCH /v1/tenants/{tenant} | /v1/tenants/acme | {"name":"Acme"} | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
DELETE /v1/tenants/{tenant} | /v1/tenants/acme | - | - - 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
DELETE /v1/tenants/{tenant} | /v1/tenants/%fresh:tenant% | - | 204 204 - - - - - - - - -
POST /v1/tenants/{tenant}/suspend | /v1/tenants/acme/suspend | - | - - 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
POST /v1/tenants/{tenant}/suspend | /v1/tenants/%fresh:tenant%/suspend | - | 200 200 - - - - - - - - -
POST /v1/tenants/{tenant}/resume | /v1/tenants/acme/resume | - | - - 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
POST /v1/tenants/{tenant}/resume | /v1/tenants/%fresh:suspended%/resume | - | 200 200 - - - - - - - - -
POST /v1/tenants/{tenant}/retry | /v1/tenants/acme/retry | - | 409:invalid_state 409:invalid_state 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/tenants/{tenant}/services | /v1/tenants/acme/services | - | 200 200 200 403:forbidden 403:forbidden 200 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
POST /v1/tenants/{tenant}/services | /v1/tenants/acme/services | {"service":"crm"} | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
DELETE /v1/tenants/{tenant}/services/{service} | /v1/tenants/acme/services/auth | - | 400 400 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
PUT /v1/tenants/{tenant}/database | /v1/tenants/acme/database | {"url":"mysql://x"} | 400 400 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
POST /v1/tenants/{tenant}/move | /v1/tenants/acme/move | {"to":"no-such-server"} | 404:server_not_found 404:server_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/tenants/{tenant}/hostnames | /v1/tenants/acme/hostnames | - | 200 200 200 403:forbidden 403:forbidden 200 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
POST /v1/tenants/{tenant}/hostnames | /v1/tenants/acme/hostnames | {"hostname":"%C%.acme-host.example"} | 201 201 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
DELETE /v1/tenants/{tenant}/hostnames/{hostname} | /v1/tenants/acme/hostnames/%C%.acme-host.example | - | 204 204 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/tenants/{tenant}/subscription | /v1/tenants/acme/subscription | - | 200 200 200 403:forbidden 403:forbidden 200 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
PUT /v1/tenants/{tenant}/subscription | /v1/tenants/acme/subscription | {"plan":"pro"} | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/tenants/{tenant}/subscription/history | /v1/tenants/acme/subscription/history | - | 200 200 200 403:forbidden 403:forbidden 200 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/plans | = | - | 200 200 200 200 200 200 403:tenant_mismatch 200 200 401 401:unauthorized
POST /v1/plans | = | {"code":"p-%N%","name":"P"} | 201 201 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/plans/{code} | /v1/plans/pro | - | 200 200 200 200 200 200 403:tenant_mismatch 200 200 401 401:unauthorized
PATCH /v1/plans/{code} | /v1/plans/pro | {"name":"Pro"} | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
DELETE /v1/plans/{code} | /v1/plans/%fresh:plan% | - | 204 204 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/tenants/{tenant}/backups | /v1/tenants/acme/backups | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
POST /v1/tenants/{tenant}/backups | /v1/tenants/acme/backups | - | 202 202 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
POST /v1/tenants/{tenant}/backups/{id}/restore | /v1/tenants/acme/backups/none/restore | - | 404:backup_not_found 404:backup_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/tenants/{tenant}/backups/{id}/download | /v1/tenants/acme/backups/none/download | - | 404:backup_not_found 404:backup_not_found 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/{service}/{resource} | /v1/crm/customers | - | 200 200 200 200 200 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
POST /v1/{service}/{resource} | /v1/crm/customers | {"name":"c-%C%"} | 201 201 201 201 201 201 403:tenant_mismatch 201 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/crm/customers/%CUST% | - | 200 200 200 200 404 200 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
PATCH /v1/{service}/{resource}/{id} | /v1/crm/customers/%CUST% | {"name":"Globex 2"} | 200 200 200 200 404 200 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
DELETE /v1/{service}/{resource}/{id} | /v1/crm/customers/%fresh:crm/customers% | - | 204 204 204 204 404 204 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource} | /v1/cms/pages | - | 200 200 200 200 200 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
POST /v1/{service}/{resource} | /v1/cms/pages | {"title":"t","slug":"p-%N%"} | 201 201 201 201 201 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/cms/pages/%PAGE% | - | 200 200 200 200 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
PATCH /v1/{service}/{resource}/{id} | /v1/cms/pages/%PAGE% | {"title":"Home 2"} | 200 200 200 200 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
DELETE /v1/{service}/{resource}/{id} | /v1/cms/pages/%fresh:cms/pages% | - | 204 204 204 204 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource} | /v1/projects/projects | - | 200 200 200 403:service_not_granted 403:service_not_granted 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
POST /v1/{service}/{resource} | /v1/projects/projects | {"name":"p-%C%"} | 201 201 201 403:service_not_granted 403:service_not_granted 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/projects/projects/%PROJ% | - | 200 200 200 403:service_not_granted 403:service_not_granted 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
PATCH /v1/{service}/{resource}/{id} | /v1/projects/projects/%PROJ% | {"name":"Apollo 2"} | 200 200 200 403:service_not_granted 403:service_not_granted 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
DELETE /v1/{service}/{resource}/{id} | /v1/projects/projects/%fresh:projects/projects% | - | 204 204 204 403:service_not_granted 403:service_not_granted 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource} | /v1/commerce/products | - | 200 200 200 200 200 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
POST /v1/{service}/{resource} | /v1/commerce/products | {"name":"w","sku":"S-%N%","price":1} | 201 201 201 201 201 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/commerce/products/%PROD% | - | 200 200 200 200 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
PATCH /v1/{service}/{resource}/{id} | /v1/commerce/products/%PROD% | {"price":11} | 200 200 200 200 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
DELETE /v1/{service}/{resource}/{id} | /v1/commerce/products/%fresh:commerce/products% | - | 204 204 204 204 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/commerce/inventory/%STOCK% | - | 200 200 200 200 200 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
PATCH /v1/{service}/{resource}/{id} | /v1/commerce/inventory/%STOCK% | {"quantity":100000} | 200 200 200 200 403:forbidden 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource} | /v1/billing/invoices | - | 200 200 200 200 200 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
POST /v1/{service}/{resource} | /v1/billing/invoices | {"number":"I-%N%"} | 201 201 403:forbidden 403:forbidden 403:forbidden 403 403:tenant_mismatch 403 403 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/billing/invoices/%INVOICE% | - | 200 200 200 200 200 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
PATCH /v1/{service}/{resource}/{id} | /v1/billing/invoices/%INVOICE% | {"number":"INV-1"} | 200 200 403:forbidden 403:forbidden 403:forbidden 403 403:tenant_mismatch 403 403 401 401:unauthorized
DELETE /v1/{service}/{resource}/{id} | /v1/billing/invoices/%fresh:billing/invoices% | - | 204 204 403:forbidden 403:forbidden 403:forbidden 403 403:tenant_mismatch 403 403 401 401:unauthorized
GET /v1/{service}/{resource} | /v1/analytics/dashboards | - | 200 200 200 200 200 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
POST /v1/{service}/{resource} | /v1/analytics/dashboards | {"name":"d-%C%"} | 201 201 403:forbidden 403:forbidden 403:forbidden 403 403:tenant_mismatch 403 403 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/analytics/dashboards/%DASH% | - | 200 200 200 200 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
PATCH /v1/{service}/{resource}/{id} | /v1/analytics/dashboards/%DASH% | {"name":"Sales 2"} | 200 200 403:forbidden 403:forbidden 403:forbidden 403 403:tenant_mismatch 403 403 401 401:unauthorized
DELETE /v1/{service}/{resource}/{id} | /v1/analytics/dashboards/%fresh:analytics/dashboards% | - | 204 204 403:forbidden 403:forbidden 403:forbidden 403 403:tenant_mismatch 403 403 401 401:unauthorized
POST /v1/{service}/{resource} | /v1/analytics/events | {"name":"e-%C%","ts":"2026-01-01T11:00:00Z"} | 201 201 201 201 201 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/analytics/events/%EVENT% | - | 200 200 200 200 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
PATCH /v1/{service}/{resource}/{id} | /v1/analytics/events/%EVENT% | {"name":"x"} | 405 405 405 405 405 405 405 405 405 405 405
DELETE /v1/{service}/{resource}/{id} | /v1/analytics/events/%fresh:analytics/events% | - | 204 204 403:forbidden 403:forbidden 403:forbidden 403 403:tenant_mismatch 403 403 401 401:unauthorized
GET /v1/{service}/{resource} | /v1/auth/sessions | - | 200 200 200 200 200 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/auth/sessions/%SESSION% | - | 200 200 200 404 404 200 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
GET /v1/{service}/{resource}/{id} | /v1/auth/events/%AEVENT% | - | 200 200 200 404 404 200 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
POST /v1/crm/leads/{id}/convert | /v1/crm/leads/%fresh:crm/leads%/convert | {} | 201 201 201 201 404 201 403:tenant_mismatch 404 403:tenant_suspended 401 401:unauthorized
POST /v1/commerce/orders | = | {"items":[{"product_id":"%PROD%","quantity":1}]} | 201 201 201 201 201 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/commerce/orders | = | - | 200 200 200 200 200 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
POST /v1/analytics/events:batch | = | {"events":[{"name":"b-%C%","ts":"2026-01-01T12:00:00Z"}]} | 202 202 202 202 202 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/analytics/metrics:query | /v1/analytics/metrics:query?name=page_view&bucket=day&from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z | - | 200 200 200 200 200 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
PUT /v1/cms/media/{id}/content | /v1/cms/media/%MEDIA%/content | @text | 200 200 200 200 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/cms/media/{id}/content | /v1/cms/media/%MEDIA%/content | - | 200 200 200 200 404 403:service_not_granted 403:tenant_mismatch 403:service_not_enabled 403:tenant_suspended 401 401:unauthorized
GET /v1/auth/impersonations | = | - | 200 200 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
DELETE /v1/auth/impersonations/{id} | /v1/auth/impersonations/%fresh:imp% | - | 204 204 204 403:forbidden 403:forbidden 204 403:tenant_mismatch 404:impersonation_not_found 403:tenant_suspended 401 401:unauthorized
POST /v1/tenants/{tenant}/impersonate | /v1/tenants/acme/impersonate | {"user":"client@acme.test","reason":"isolation"} | 201 201 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/tenants/{tenant}/impersonations | /v1/tenants/acme/impersonations | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
DELETE /v1/tenants/{tenant}/impersonations/{id} | /v1/tenants/acme/impersonations/%fresh:imp% | - | 204 204 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
GET /v1/credits | = | - | 200 200 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 200 401 401:unauthorized
POST /v1/credits/spend | = | {"credits":1} | 400:idempotency_key_required 400:idempotency_key_required 400:idempotency_key_required 400:idempotency_key_required 400:idempotency_key_required 400:idempotency_key_required 403:tenant_mismatch 400:idempotency_key_required 403:tenant_suspended 401 401:unauthorized
POST /v1/credits/purchase | = | {"credits":1,"provider":"test"} | 400:idempotency_key_required 400:idempotency_key_required 400:idempotency_key_required 403:forbidden 403:forbidden 400:idempotency_key_required 403:tenant_mismatch 400:idempotency_key_required 403:tenant_suspended 401 401:unauthorized
GET /v1/credits/checkouts/{id} | /v1/credits/checkouts/%CHECKOUT% | - | 200 200 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 404:checkout_not_found 403:tenant_suspended 401 401:unauthorized
POST /v1/credits/checkouts/{id}/complete | /v1/credits/checkouts/%CHECKOUT%/complete | {"card":"4242424242424242"} | 400:idempotency_key_required 400:idempotency_key_required 400:idempotency_key_required 403:forbidden 403:forbidden 400:idempotency_key_required 403:tenant_mismatch 400:idempotency_key_required 403:tenant_suspended 401 401:unauthorized
PUT /v1/credits/providers/{provider}/secret | /v1/credits/providers/test/secret | {"secret":"0123456789abcdef"} | 400:idempotency_key_required 400:idempotency_key_required 400:idempotency_key_required 403:forbidden 403:forbidden 400:idempotency_key_required 403:tenant_mismatch 400:idempotency_key_required 403:tenant_suspended 401 401:unauthorized
POST /v1/credits/webhooks/{provider}/{tenant} | /v1/credits/webhooks/test/acme | {"checkout":"%CHECKOUT%","status":"paid"} | 404:provider_secret_not_set 404:provider_secret_not_set 404:provider_secret_not_set 404:provider_secret_not_set 404:provider_secret_not_set 404:provider_secret_not_set 404:provider_secret_not_set 404:provider_secret_not_set 404:provider_secret_not_set 404:provider_secret_not_set 404:provider_secret_not_set
GET /v1/onboarding | = | - | 403:forbidden 403:forbidden 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
PUT /v1/onboarding/store | = | {"name":"acme"} | 403:forbidden 403:forbidden 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
PUT /v1/onboarding/database | = | {"kind":"embedded"} | 403:forbidden 403:forbidden 200 403:forbidden 403:forbidden 403:forbidden 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
PUT /v1/onboarding/payments | = | {"provider":"iso","secret_key":"sk_iso_12345678"} | 403:forbidden 403:forbidden 200 403:forbidden 403:forbidden 403:forbidden 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
PUT /v1/onboarding/profile | = | {"company":"Iso","phone":"+1 555 0100"} | 403:forbidden 403:forbidden 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
POST /v1/onboarding/{step}/skip | /v1/onboarding/credits/skip | - | 403:forbidden 403:forbidden 200 403:forbidden 403:forbidden 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
GET /v1/services | = | - | 200 200 200 200 200 200 403:tenant_mismatch 200 403:tenant_suspended 401 401:unauthorized
GET /v1/admin/fleet/health | /v1/admin/fleet/health?sample=0 | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/audit/verify | /v1/admin/audit/verify?tenant=acme | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/account/owners | = | - | 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/account/owners | = | {"email":"iso-owner@x.test","password":"iso-password-1"} | 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 401 401:unauthorized
DELETE /v1/account/owners/{id} | /v1/account/owners/nope | - | 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/credits | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
GET /v1/admin/credits/costs | = | - | 200 200 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
PUT /v1/admin/credits/costs/{action} | /v1/admin/credits/costs/iso.test | {"credits":0} | 400:idempotency_key_required 400:idempotency_key_required 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
DELETE /v1/admin/credits/costs/{action} | /v1/admin/credits/costs/iso.test | - | 400:idempotency_key_required 400:idempotency_key_required 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/admin/credits/{tenant}/grant | /v1/admin/credits/acme/grant | {"credits":1} | 400:idempotency_key_required 400:idempotency_key_required 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
POST /v1/admin/credits/{tenant}/adjust | /v1/admin/credits/acme/adjust | {"delta":1,"note":"iso"} | 400:idempotency_key_required 400:idempotency_key_required 403:forbidden 403:forbidden 403:forbidden 403:forbidden 404:tenant_not_found 404:tenant_not_found 404:tenant_not_found 401 401:unauthorized
POST /v1/admin/credits/checkouts/{id}/paid | /v1/admin/credits/checkouts/%CHECKOUT%/paid | - | 400:idempotency_key_required 400:idempotency_key_required 403:forbidden 403:forbidden 403:forbidden 403:forbidden 403 403:forbidden 403:forbidden 401 401:unauthorized
POST /v1/auth/logout | = | - | 204 403:forbidden 204 204 204 403:forbidden 403:tenant_mismatch 204 204 401 401:unauthorized
EOF
)


# ---- the routes: the server's and the table's, both ways -----------------------
check_routes() {
  local missing gone s
  eq "$(get "$BASE/openapi.json")" 200 "openapi"
  jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[] | select(.value["x-route"] == null)
         | "\(.key | ascii_upcase) \($p)"' "$T/body" | sort -u >"$T/server-routes"
  jq -r '[.paths[][] | select(.["x-route"]) | .["x-access"].service] | unique[]' "$T/body" >"$T/server-services"
  echo "$TABLE" | cut -d'|' -f1 | sed 's/ *$//' | sort -u >"$T/table-routes"
  missing=$(comm -23 "$T/server-routes" "$T/table-routes")
  [ -z "$missing" ] || fail "routes the server has and the isolation table lacks: $missing"; pass
  gone=$(comm -13 "$T/server-routes" "$T/table-routes")
  [ -z "$gone" ] || fail "isolation table rows for routes the server no longer has: $gone"; pass
  # every service's data is tried through the generic routes
  for s in $(cat "$T/server-services"); do
    grep -q "^[A-Z]* /v1/{service}/{resource}[^|]*| /v1/$s/" <<<"$TABLE" || fail "no row tries a resource of service $s" # (no pipe: grep -q ending early would SIGPIPE echo under pipefail)
    pass
  done
  # every route is tried by every kind of caller (a cell other than "-")
  local untried
  echo "$TABLE" | awk -F'|' -v callers="${CALLERS[*]}" '
    { sub(/ +$/, "", $1); n = split($4, w, " "); split(callers, c, " ")
      for (i = 1; i <= n; i++) if (w[i] != "-") print $1 " as " c[i] }' | sort -u >"$T/tried"
  awk -v callers="${CALLERS[*]}" '
    { n = split(callers, c, " "); for (i = 1; i <= n; i++) print $0 " as " c[i] }' \
    "$T/server-routes" | sort -u >"$T/to-try"
  untried=$(comm -23 "$T/to-try" "$T/tried")
  [ -z "$untried" ] || fail "no row tries: $untried"; pass
}

# ---- the matrix ----------------------------------------------------------------
# is_data PATH: the row is about tenant data (isolation_data_test.sh).
is_data() { [[ $1 == "/v1/{service}"* || $1 =~ ^/v1/(crm|cms|commerce|analytics|billing|projects)/ ]]; }

FAILS=0
bad() { if [ -n "${TD_KEEP_GOING:-}" ]; then echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); else fail "$@"; fi; }
declare -A KNOWN_APPLIES

# run_row METHOD PATH BODY CELLS…: one row, every caller's request in one curl.
run_row() {
  local method=$1 path=$2 body=$3; shift 3
  local want=("$@") args=() idx=() P=() B=() i c w got e kn pat codes
  for i in "${!CALLERS[@]}"; do
    [ "${want[$i]}" = - ] && continue
    c=${CALLERS[$i]}
    fill "$path" "$c"; P[$i]=$OUT
    fill "$body" "$c"; B[$i]=$OUT
    as "$c"
    [ ${#args[@]} -eq 0 ] || args+=(--next)
    args+=(-sS -o "$T/cell.$i" -w '%{http_code}\n' -X "$method" "${H[@]}")
    case ${B[$i]} in
      -) ;;
      @text) args+=(-H 'Content-Type: text/plain' --data-binary 'hello, media') ;;
      *) args+=(-H 'Content-Type: application/json' --data-binary "${B[$i]}") ;;
    esac
    args+=("$BASE${P[$i]}")
    idx+=("$i")
  done
  mapfile -t codes < <(curl "${args[@]}")
  for i in "${!idx[@]}"; do
    c=${CALLERS[${idx[$i]}]} w=${want[${idx[$i]}]} got=${codes[$i]:-none}
    BODY=; read -r -d '' BODY <"$T/cell.${idx[$i]}" || true
    [[ $w == *:* && $got -ge 400 && $BODY =~ \"code\":\"([a-z_]+)\" ]] && got="$got:${BASH_REMATCH[1]}"
    [ -z "${TD_ISO_SHOW:-}" ] || echo "$method $path $c: $got (want $w)"
    kn=
    for e in "${KNOWN[@]}"; do
      pat=${e%% #*} # a glob
      # shellcheck disable=SC2053
      [[ "$method $path $c" == ${pat% *} ]] && KNOWN_APPLIES[$e]=${KNOWN_APPLIES[$e]:-0}
      # shellcheck disable=SC2053
      [[ "$method $path $c $got" == $pat ]] && kn=$e
    done
    if [ "$got" = "$w" ]; then
      pass
    elif [ -n "$kn" ]; then
      echo "known disagreement: $method $path as $c: $got, the contract says $w (${kn#*# })"
      KNOWN_APPLIES[$kn]=1
    else
      echo "$BODY" >&2
      bad "$method ${P[${idx[$i]}]} as $c: $got, want $w"
    fi
    if [[ $OUTSIDE == *" $c "* ]] && leaked "${P[${idx[$i]}]}" "${B[${idx[$i]}]}"; then
      echo "$BODY" >&2
      bad "$method ${P[${idx[$i]}]} as $c: the answer names something of acme"
    fi
  done
}

# run_matrix data|platform: the rows of that part.
run_matrix() {
  local route path body cells want
  while IFS='|' read -r route path body cells; do
    trim "$route"; route=$OUT; trim "$path"; path=$OUT; trim "$body"; body=$OUT
    read -r -a want <<<"$cells"
    [ "${#want[@]}" -eq "${#CALLERS[@]}" ] || fail "row '$route | $path' has ${#want[@]} cells"
    [ "$path" = = ] && path=${route#* }
    if is_data "${route#* }"; then [ "$1" = data ] || continue; else [ "$1" = platform ] || continue; fi
    run_row "${route%% *}" "$path" "$body" "${want[@]}"
  done <<<"$TABLE"
  # a KNOWN entry of this part that no cell met any more: the server was fixed
  for e in "${KNOWN[@]}"; do
    [ "${KNOWN_APPLIES[$e]:-1}" != 0 ] || bad "KNOWN entry met by no cell (fixed? remove it): $e"
  done
  [ "$FAILS" -eq 0 ] || fail "$FAILS cells wrong"
}
