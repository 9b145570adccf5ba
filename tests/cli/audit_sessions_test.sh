#!/usr/bin/env bash
# Sessions are audited, once each, with who did it: a tenant user's and a
# superadmin's login, refresh, logout, logout everywhere and password
# change each leave one record (session.login, session.refresh,
# session.logout, session.logout_all, password.change — admin.password for
# the superadmin) carrying the request id the server answered, the
# signed-in principal as actor, its tenant (the platform's chain for the
# superadmin), the session as row id and the client address; a reused
# refresh token's "end everything" is session.logout_all by the system. A
# failed login stays a login_failed refusal and records no session. The
# tenant's admin sees its users' records in GET /v1/audit and none of the
# platform's. No password, token or password hash is anywhere in the log.
. "$(dirname "$0")/lib.sh"
td_init
start_server

SECRETS=(root-password-1 root-password-2 admin-password-1 cy-secret-pw-1 cy-secret-pw-2)
# req METHOD URL [curl args…]: prints the status; the answer in $T/body,
# its headers in $T/headers (rid: the request id it answered)
req() { local m=$1 url=$2; shift 2; call "$m" -D "$T/headers" "$@" "$BASE$url"; }
rid() { tr -d '\r' <"$T/headers" | awk -F': ' 'tolower($1) == "x-request-id" {print $2}'; }
# keep: the tokens of the last answer become secrets to look for; TOK, REF
keep() {
  TOK=$(jq -r .access_token "$T/body"); REF=$(jq -r .refresh_token "$T/body")
  [ "$TOK" != null ] && [ "$REF" != null ] || { cat "$T/body" >&2; fail "no tokens"; }
  SECRETS+=("$TOK" "$REF")
}
sid() { # TOKEN: its session (claim sid)
  local p; p=$(echo "$1" | cut -d. -f2 | tr '_-' '/+')
  while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done
  echo "$p" | base64 -d | jq -r .sid
}
# expect ACTION KIND ACTOR TENANT ROW: what the last request must have
# recorded (TENANT and ROW "null" for none); kept in $T/expected
: >"$T/expected"
expect() { echo "$(rid) $*" >>"$T/expected"; }
login_as() { # JSON: a login that must succeed
  eq "$(req POST /v1/auth/login --data "$1")" 200 "login $1"
  keep
}
refresh() { eq "$(req POST /v1/auth/refresh --data "{\"refresh_token\":\"$1\"}")" 200 "refresh"; keep; }

# ---- the superadmin ----
login_as '{"email":"root@example.com","password":"root-password-1"}'
ROOT_ID=$(jq -r .user.id "$T/body"); S1=$(sid "$TOK"); R1=$REF
expect session.login superadmin "$ROOT_ID" null "$S1"
refresh "$R1"; RT1=$TOK
eq "$(sid "$RT1")" "$S1" "a refresh stays in its session"
expect session.refresh superadmin "$ROOT_ID" null "$S1"
login_as '{"email":"root@example.com","password":"root-password-1"}'; RT2=$TOK
expect session.login superadmin "$ROOT_ID" null "$(sid "$RT2")"
eq "$(req POST /v1/auth/logout -H "Authorization: Bearer $RT2")" 204 "superadmin logout"
expect session.logout superadmin "$ROOT_ID" null "$(sid "$RT2")"
ROOT=$RT1; tenants_with_admins acme   # with the refreshed token, before it ends
ACME=$(td tenant show acme --json | jq -r .id)
eq "$(req POST '/v1/auth/logout?all=true' -H "Authorization: Bearer $RT1")" 204 "superadmin logout everywhere"
expect session.logout_all superadmin "$ROOT_ID" null "$ROOT_ID"
login_as '{"email":"root@example.com","password":"root-password-1"}'; RT3=$TOK
expect session.login superadmin "$ROOT_ID" null "$(sid "$RT3")"
eq "$(req POST /v1/auth/password -H "Authorization: Bearer $RT3" --data '{"current_password":"root-password-1","new_password":"root-password-2"}')" 204 "superadmin password change"
expect admin.password superadmin "$ROOT_ID" null "$ROOT_ID"

# ---- a tenant user ----
login_as '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}'
ADA=$TOK; ADA_ID=$(jq -r .user.id "$T/body")
expect session.login user "$ADA_ID" "$ACME" "$(sid "$ADA")"
eq "$(call POST -H "Authorization: Bearer $ADA" --data '{"email":"cy@acme.test","password":"cy-secret-pw-1","role":"client","services":["crm"]}' "$BASE/v1/auth/users")" 201 "a client"
CY_ID=$(jq -r .id "$T/body")
CY='{"tenant":"acme","email":"cy@acme.test","password":"cy-secret-pw-1"}'
login_as "$CY"; C1=$(sid "$TOK")
expect session.login user "$CY_ID" "$ACME" "$C1"
refresh "$REF"; CT1=$TOK
expect session.refresh user "$CY_ID" "$ACME" "$C1"
login_as "$CY"; CT2=$TOK
expect session.login user "$CY_ID" "$ACME" "$(sid "$CT2")"
eq "$(req POST /v1/auth/logout -H "Authorization: Bearer $CT2")" 204 "user logout"
expect session.logout user "$CY_ID" "$ACME" "$(sid "$CT2")"
eq "$(req POST '/v1/auth/logout?all=true' -H "Authorization: Bearer $CT1")" 204 "user logout everywhere"
expect session.logout_all user "$CY_ID" "$ACME" "$CY_ID"
login_as "$CY"; CT3=$TOK
expect session.login user "$CY_ID" "$ACME" "$(sid "$CT3")"
eq "$(req POST /v1/auth/password -H "Authorization: Bearer $CT3" --data '{"current_password":"cy-secret-pw-1","new_password":"cy-secret-pw-2"}')" 204 "user password change"
expect password.change user "$CY_ID" "$ACME" "$CY_ID"
PW_RID=$(rid)
login_as '{"tenant":"acme","email":"cy@acme.test","password":"cy-secret-pw-2"}'; C4=$(sid "$TOK"); R4=$REF
expect session.login user "$CY_ID" "$ACME" "$C4"
refresh "$R4"
expect session.refresh user "$CY_ID" "$ACME" "$C4"
# a reused refresh token: the server ends every session of its owner
eq "$(req POST /v1/auth/refresh --data "{\"refresh_token\":\"$R4\"}")" 401 "a reused refresh token"
eq "$(jq -r .code "$T/body")" refresh_reused "its code"
expect session.logout_all system null "$ACME" "$CY_ID"
# refused requests record no session
eq "$(req POST /v1/auth/login --data '{"tenant":"acme","email":"cy@acme.test","password":"cy-secret-pw-1"}')" 401 "a wrong password"
FAILED_RID=$(rid)
eq "$(req POST /v1/auth/password -H "Authorization: Bearer $ADA" --data '{"current_password":"wrong-password-9","new_password":"cy-secret-pw-3"}')" 403 "a wrong current password"
eq "$(jq -r .code "$T/body")" wrong_password "its code"
REFUSED_RID=$(rid)

# ---- what the log holds (the superadmin reads it all) ----
login_as '{"email":"root@example.com","password":"root-password-2"}'; ROOT=$TOK
expect session.login superadmin "$ROOT_ID" null "$(sid "$ROOT")"
# the failed login (a buffered refusal) and the password's users row
# (the outbox) arrive with the next drain tick
all() { eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/admin/audit?limit=1000")" 200 "the log"; jq .items "$T/body" >"$T/log"; }
for _ in $(seq 1 100); do
  all
  [ "$(jq --arg r "$FAILED_RID" '[.[] | select(.request_id == $r and .action == "login_failed")] | length' "$T/log")" = 1 ] &&
    [ "$(jq --arg r "$PW_RID" '[.[] | select(.request_id == $r and .action == "update")] | length' "$T/log")" = 1 ] && break
  sleep 0.1
done
eq "$(jq --arg r "$FAILED_RID" -c '[.[] | select(.request_id == $r) | [.action, .outcome, .tenant_id]]' "$T/log")" "[[\"login_failed\",\"refused\",\"$ACME\"]]" "a failed login: one refusal, no session"
eq "$(jq --arg r "$REFUSED_RID" '[.[] | select(.request_id == $r)] | length' "$T/log")" 0 "a refused password change records nothing"
eq "$(jq --arg r "$PW_RID" -c '[.[] | select(.request_id == $r) | .action] | sort' "$T/log")" '["password.change","update"]' "a password change: its record and its users row"

# each request: one record of its action, with the expected actor, tenant, row and address
sess='^(session\.|password\.change$|admin\.password$)'
while read -r r action kind actor tenant row; do
  got=$(jq -c --arg r "$r" --arg re "$sess" '[.[] | select(.request_id == $r and (.action | test($re)))
          | [.action, .actor_kind, (.actor_id // "null"), (.tenant_id // "null"), .row_id, .client_addr, .outcome]]' "$T/log")
  eq "$got" "[[\"$action\",\"$kind\",\"$actor\",\"$tenant\",\"$row\",\"127.0.0.1\",\"ok\"]]" "$action by $kind (request $r)"
done <"$T/expected"
# and nothing more: as many records of each action as requests made them
want=$(awk '{print $2}' "$T/expected" | sort | uniq -c | awk '{print $2 "=" $1}' | sort | paste -sd' ')
got=$(jq -r --arg re "$sess" '[.[] | select(.action | test($re)) | .action] | group_by(.) | map("\(.[0])=\(length)") | .[]' "$T/log" | sort | paste -sd' ')
eq "$got" "$want" "no session action recorded twice"
[ "$(jq -r --arg re "$sess" '[.[] | select(.action | test($re)) | .action] | length' "$T/log")" -ge 16 ] || fail "too few records"; pass

# the tenant's admin sees its users' sessions, not the platform's
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/audit?limit=1000")" 200 "the tenant's log"
jq .items "$T/body" >"$T/tlog"
want=$(awk -v t="$ACME" '$5 == t {print $1}' "$T/expected" | sort | paste -sd' ')
got=$(jq -r --arg re "$sess" '.[] | select(.action | test($re)) | .request_id' "$T/tlog" | sort | paste -sd' ')
eq "$got" "$want" "its users' session records, each once"
eq "$(jq -r '[.[] | select(.tenant_id != "'"$ACME"'")] | length' "$T/tlog")" 0 "only its tenant's chain"
eq "$(jq -r '[.[] | select(.actor_kind == "superadmin" and (.action | startswith("session.")))] | length' "$T/tlog")" 0 "no superadmin session"
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/audit?action=session.refresh&actor=$CY_ID")" 200 "filter by action and actor"
eq "$(jq -r '.items | length' "$T/body")" 2 "the user's two refreshes"

# no password, token or hash anywhere
for f in "$T/log" "$T/tlog"; do
  for s in "${SECRETS[@]}"; do
    ! grep -qF -- "$s" "$f" || fail "a secret in the audit log ($f): ${s:0:12}…"
    pass
  done
  ! grep -qF '$argon2' "$f" || fail "a password hash in the audit log"
  pass
done
stop_server
expect_rc 0 td audit verify
done_ok
