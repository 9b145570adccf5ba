#!/usr/bin/env bash
# Impersonation (issue 13 part 6): a superadmin acts as a tenant's user for
# a bounded time with a stated reason; the token is the user's (its role,
# its tenant) marked with the superadmin (act); what it writes and reads is audited
# with both identities; the tenant's admins see it and revoke it at once;
# it ends by itself; nothing that outlives it (an API key, a password) can
# be made with it; bad requests are refused and change nothing.
. "$(dirname "$0")/lib.sh"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
tenants_with_admins acme beta
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
A=(-H "Authorization: Bearer $ADA")
eq "$(call POST "${A[@]}" --data '{"email":"mia@acme.test","password":"mia-password-12","role":"manager","services":["crm"]}' "$BASE/v1/auth/users")" 201 "a manager"
MIA=$(jq -r .id "$T/body")
ROOT_ID=$(curl -sS "${R[@]}" "$BASE/v1/auth/me" | jq -r .id)

# ---- bad requests: refused, nothing recorded
imp() { call POST "$@" "$BASE/v1/tenants/acme/impersonate"; }
eq "$(imp "${R[@]}" --data '{"user":"mia@acme.test"}')" 400 "no reason"
expect_contains "$T/body" "reason"
eq "$(imp "${R[@]}" --data '{"user":"mia@acme.test","reason":""}')" 400 "an empty reason"
eq "$(imp "${R[@]}" --data '{"user":"mia@acme.test","reason":"x","minutes":61}')" 400 "more than an hour"
eq "$(imp "${R[@]}" --data '{"user":"mia@acme.test","reason":"x","minutes":0}')" 400 "no time"
eq "$(imp "${R[@]}" --data '{"user":"mia@acme.test","reason":"x","minutes":"5"}')" 400 "minutes as text"
eq "$(imp "${R[@]}" --data '{"user":"mia@acme.test","reason":"x","as":"admin"}')" 400 "an unknown field"
eq "$(imp "${R[@]}" --data '{"user":"nobody@acme.test","reason":"x"}')" 404 "an unknown user"
eq "$(jq -r .code "$T/body")" user_not_found "its code"
eq "$(imp "${R[@]}" --data '{"user":"admin@beta.test","reason":"x"}')" 404 "another tenant's user"
eq "$(imp "${A[@]}" --data '{"user":"mia@acme.test","reason":"x"}')" 403 "a tenant admin may not"
eq "$(call POST "${R[@]}" --data '{"user":"mia@acme.test","reason":"x"}' "$BASE/v1/tenants/nosuch/impersonate")" 404 "no such tenant"
eq "$(catalog_sql "SELECT count(*) FROM impersonations")" 0 "nothing recorded"

# ---- acting as the manager
eq "$(imp "${R[@]}" --data '{"user":"mia@acme.test","reason":"ticket 4711: her list is empty","minutes":10}')" 201 "impersonate"
IMP=$(jq -r .access_token "$T/body"); IID=$(jq -r .impersonation.id "$T/body")
eq "$(jq -r .expires_in "$T/body")" 600 "ten minutes"
eq "$(jq -r .impersonation.state "$T/body")" active "active"
CREATED=$(jq -r .impersonation.created_at "$T/body")
[[ $CREATED =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T ]] || fail "created_at '$CREATED'"; pass
eq "$(jq -r .user.email "$T/body")" mia@acme.test "the user"
[ "$(jq -r 'has("refresh_token")' "$T/body")" = false ] || fail "a refresh token was handed out"; pass
I=(-H "Authorization: Bearer $IMP")
eq "$(get "${I[@]}" "$BASE/v1/auth/me")" 200 "me"
eq "$(jq -r '.id + " " + .role + " " + .impersonation.by + " " + .impersonation.id' "$T/body")" "$MIA manager $ROOT_ID $IID" "the user's identity, marked"
eq "$(call POST "${I[@]}" --data '{"name":"Written while impersonating"}' "$BASE/v1/crm/customers")" 201 "a write as the user"
CID=$(jq -r .id "$T/body")
eq "$(get "${I[@]}" "$BASE/v1/tenants/acme")" 403 "with the user's rights only"
eq "$(get "${I[@]}" -H 'X-Tenant: beta' "$BASE/v1/crm/customers")" 403 "in the user's tenant only"
# nothing that outlives the impersonation
eq "$(call POST "${I[@]}" --data '{"current_password":"mia-password-12","new_password":"another-password-9"}' "$BASE/v1/auth/password")" 403 "no password change"
eq "$(jq -r .code "$T/body")" impersonation_forbidden "its code"
eq "$(call POST "${I[@]}" "$BASE/v1/auth/logout?all=true")" 403 "no ending the user's sessions"

# ---- audited with both identities
for _ in $(seq 1 50); do # the job workers drain the outbox every second
  get "${A[@]}" "$BASE/v1/audit?limit=100" >/dev/null
  jq -e --arg c "$CID" '.items[] | select(.row_id == $c)' "$T/body" >/dev/null && break
  sleep 0.2
done
jq --arg c "$CID" '.items[] | select(.row_id == $c)' "$T/body" >"$T/rec"
eq "$(jq -r '.actor_kind + " " + .actor_id' "$T/rec")" "user $MIA" "the write's actor is the user"
expect_contains "$T/rec" "impersonated by superadmin $ROOT_ID (impersonation $IID)"
jq --arg i "$IID" '.items[] | select(.action == "tenant.impersonate" and .row_id == $i)' "$T/body" >"$T/start"
eq "$(jq -r '.actor_kind + " " + .actor_id' "$T/start")" "superadmin $ROOT_ID" "the start's actor"
expect_contains "$T/start" "ticket 4711"
# its reads too: what the superadmin looked at, as the user
jq '[.items[] | select(.action == "impersonation.read" and .resource == "/v1/auth/me")][0]' "$T/body" >"$T/read"
eq "$(jq -r '.actor_kind + " " + .actor_id + " " + .outcome' "$T/read")" "user $MIA ok" "a read while impersonating is audited"
expect_contains "$T/read" "GET /v1/auth/me: 200; impersonated by superadmin $ROOT_ID (impersonation $IID)"
eq "$(jq '[.items[] | select(.action == "impersonation.read" and .outcome == "failed")] | length >= 2' "$T/body")" true "the refused reads too"

# ---- the tenant's admins see it, revoke it at once
eq "$(get "${A[@]}" "$BASE/v1/auth/impersonations")" 200 "admins list"
eq "$(jq -r '.items[0] | .id + " " + .user_id + " " + .admin_id + " " + .state' "$T/body")" "$IID $MIA $ROOT_ID active" "what they see"
expect_contains "$T/body" "ticket 4711"
MANAGER=$(login '{"tenant":"acme","email":"mia@acme.test","password":"mia-password-12"}')
eq "$(get -H "Authorization: Bearer $MANAGER" "$BASE/v1/auth/impersonations")" 403 "not managers"
BDA=$(login '{"tenant":"beta","email":"admin@beta.test","password":"admin-password-1"}')
eq "$(call DELETE -H "Authorization: Bearer $BDA" "$BASE/v1/auth/impersonations/$IID")" 404 "not another tenant's admin"
eq "$(get "${I[@]}" "$BASE/v1/auth/me")" 200 "still on"
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/impersonations/$IID")" 204 "revoked by the tenant's admin"
eq "$(get "${I[@]}" "$BASE/v1/auth/me")" 401 "ended at once"
eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/impersonations/$IID")" 404 "not twice"
eq "$(get "${R[@]}" "$BASE/v1/tenants/acme/impersonations")" 200 "superadmins list"
ADMIN_ID=$(curl -sS "${A[@]}" "$BASE/v1/auth/me" | jq -r .id)
eq "$(jq -r '.items[0].state + " " + .items[0].revoked_by' "$T/body")" "revoked $ADMIN_ID" "revoked, by whom"
eq "$(jq -r --arg id "$IID" '.items[] | select(.id == $id) | .created_at' "$T/body")" "$CREATED" "created_at as the 201 said"

# ---- by the superadmin; and by itself, when its time is up
eq "$(imp "${R[@]}" --data '{"user":"admin@acme.test","reason":"check billing","minutes":0.1}')" 201 "six seconds"
SHORT=$(jq -r .access_token "$T/body")
eq "$(jq -r .expires_in "$T/body")" 6 "six"
eq "$(get -H "Authorization: Bearer $SHORT" "$BASE/v1/auth/users")" 200 "as the admin"
eq "$(call POST -H "Authorization: Bearer $SHORT" --data '{"name":"k","role":"client"}' "$BASE/v1/auth/api-keys")" 403 "no API key"
eq "$(jq -r .code "$T/body")" impersonation_forbidden "its code"
eq "$(call GET "${A[@]}" "$BASE/v1/auth/api-keys")" 200 "keys"
eq "$(jq '.items | length' "$T/body")" 0 "none made"
# nor a login of its own: no user added, no password set
eq "$(call POST -H "Authorization: Bearer $SHORT" --data '{"email":"back@acme.test","password":"back-door-pass-1","role":"admin"}' "$BASE/v1/auth/users")" 403 "no user added"
eq "$(jq -r .code "$T/body")" impersonation_forbidden "its code"
eq "$(call PATCH -H "Authorization: Bearer $SHORT" --data '{"password":"back-door-pass-1"}' "$BASE/v1/auth/users/$MIA")" 403 "no password set"
eq "$(call PATCH -H "Authorization: Bearer $SHORT" --data '{"name":"Mia M."}' "$BASE/v1/auth/users/$MIA")" 200 "other changes are the user's to make"
sleep 7
eq "$(get -H "Authorization: Bearer $SHORT" "$BASE/v1/auth/users")" 401 "expired"
eq "$(get "${R[@]}" "$BASE/v1/tenants/acme/impersonations")" 200 "list"
eq "$(jq -r '.items[0].state' "$T/body")" expired "shown expired"
eq "$(imp "${R[@]}" --data '{"user":"'"$MIA"'","reason":"by id"}')" 201 "by the user's id, 15 minutes"
eq "$(jq -r .expires_in "$T/body")" 900 "the default"
LAST=$(jq -r .access_token "$T/body"); LID=$(jq -r .impersonation.id "$T/body")
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/acme/impersonations/$LID")" 204 "revoked by the superadmin"
eq "$(get -H "Authorization: Bearer $LAST" "$BASE/v1/auth/me")" 401 "ended"
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/beta/impersonations/$IID")" 404 "through another tenant: not found"
# an impersonation lives only while its superadmin does: ending the
# superadmin's sessions ends it
sleep 1.1 # (generations are compared to the second the token was issued)
eq "$(imp "${R[@]}" --data '{"user":"mia@acme.test","reason":"one more"}')" 201 "another"
ONE=$(jq -r .access_token "$T/body")
eq "$(get -H "Authorization: Bearer $ONE" "$BASE/v1/auth/me")" 200 "on"
sleep 1.1
eq "$(call POST "${R[@]}" "$BASE/v1/auth/logout?all=true")" 204 "the superadmin ends its sessions"
eq "$(get -H "Authorization: Bearer $ONE" "$BASE/v1/auth/me")" 401 "its impersonation ends with them"
stop_server
done_ok
