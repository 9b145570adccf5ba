#!/usr/bin/env bash
# The console's pages for a tenant's admin (tests/browser/data.mjs): users
# (a weak password refused, one added, edited, disabled), API keys (one
# created and shown once, working, revoked), the data browser (a crm
# resource paged, filtered, a row created, edited, a conflict with a change
# made behind the page's back, deleted); a client sees only what its
# grants allow; acme's admin sees nothing of globex. Then curl checks that
# what the browser did reached the API. SQLite only, as console_test.sh.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = sqlite ] || skip "the console tests run on SQLite only"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"acme","name":"Acme Corp","services":["crm","commerce"],"admin":{"email":"admin@acme.test","password":"admin-password-1"}}' "$BASE/v1/tenants")" 201 "acme"
tenants_with_admins globex
ADMIN=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
eq "$(post -H "Authorization: Bearer $ADMIN" --data '{"email":"cy@acme.test","password":"cy-password-1","role":"client","services":["crm"]}' "$BASE/v1/auth/users")" 201 "a client held to crm"
CY=$(login '{"tenant":"acme","email":"cy@acme.test","password":"cy-password-1"}')
eq "$(post -H "Authorization: Bearer $CY" --data '{"name":"Cy lead"}' "$BASE/v1/crm/leads")" 201 "the client's own lead"
# 26 leads of the admin: one more than the console's page of 25
lead() {
  local n; n=$(printf %02d "$1")
  [ "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" --data "{\"name\":\"Lead $n\",\"source\":\"seed\"}" "$BASE/v1/crm/leads")" = 201 ] || fail "lead $n"
}
four_at_a_time 26 lead
eq "$(get -H "Authorization: Bearer $ADMIN" --get --data-urlencode "filter=source eq 'seed'" --data-urlencode limit=200 "$BASE/v1/crm/leads")" 200 "the leads"
eq "$(jq '.items | length' "$T/body")" 26 "26 leads"
GLOBEX=$(login '{"tenant":"globex","email":"admin@globex.test","password":"admin-password-1"}')
eq "$(post -H "Authorization: Bearer $GLOBEX" --data '{"name":"Globex secret lead"}' "$BASE/v1/crm/leads")" 201 "globex's lead"

# ---- the browser ----------------------------------------------------------------
browser_run data.mjs
for s in users api-key-created data-browser data-edit-conflict data-phone; do
  [ -s "$T/screens/$s.png" ] || fail "no screenshot $s"; pass
done

# ---- what the browser did reached the API ---------------------------------------
ADMIN=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
eq "$(get -H "Authorization: Bearer $ADMIN" "$BASE/v1/auth/users")" 200 "users"
eq "$(jq -r '.items[] | select(.email == "dee@acme.test") | "\(.role) \(.disabled) \(.services | join(","))"' "$T/body")" "manager true crm" \
  "the user added, made a manager and disabled by the console"
# the key read from the page worked (data.mjs checked it) and is revoked now
KEY=$(cat "$T/screens/api-key.txt")
[[ $KEY == tdk_* ]] || fail "no key written by the browser: '$KEY'"; pass
eq "$(get -H "Authorization: Bearer $KEY" "$BASE/v1/auth/me")" 401 "the revoked key"
eq "$(get -H "Authorization: Bearer $ADMIN" "$BASE/v1/auth/api-keys")" 200 "keys"
eq "$(jq -r '.items[] | select(.name == "ci") | .revoked_at != null' "$T/body")" true "the key revoked by the console"
# the row the console created, edited through a conflict and deleted
eq "$(get -H "Authorization: Bearer $ADMIN" --get --data-urlencode "filter=name eq 'Console lead'" "$BASE/v1/crm/leads")" 200 "leads"
eq "$(jq '.items | length' "$T/body")" 0 "the console's lead is deleted"
# isolation: acme's admin token naming globex is refused
eq "$(get -H "Authorization: Bearer $ADMIN" -H 'X-Tenant: globex' "$BASE/v1/crm/leads")" 403 "acme's token on globex"
eq "$(jq -r .code "$T/body")" tenant_mismatch "refused as another tenant"
eq "$(get -H "Authorization: Bearer $ADMIN" -H 'X-Tenant: globex' "$BASE/v1/auth/users")" 403 "acme's token on globex's users"
done_ok
