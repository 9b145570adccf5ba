#!/usr/bin/env bash
# A manager over HTTP (SPEC §6): reads and writes every row of the
# services granted to it, whoever owns them; reads billing and analytics
# (all rows) but writes neither, except appending analytics events; sees
# only its own profile in auth and manages no user or key; has no platform
# access; is refused a service not granted (403 service_not_granted) until
# an admin grants it, which ends its tokens at once.
. "$(dirname "$0")/lib.sh"
td_init
echo 'ada-password-1' | td tenant create acme --services crm,cms,billing,analytics \
  --admin-email ada@acme.test --admin-password-stdin >/dev/null
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
ADA=$(login '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}')
ADA_ID=$(jq -r .user.id "$T/login")
A=(-H "Authorization: Bearer $ADA")
R=(-H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme')
eq "$(post "${A[@]}" --data '{"email":"max@acme.test","password":"max-password-1","role":"manager","services":["crm","billing","analytics"]}' "$BASE/v1/auth/users")" 201 "a manager"
MAX_ID=$(jq -r .id "$T/body")
eq "$(post "${A[@]}" --data '{"email":"cy@acme.test","password":"cy-password-12","role":"client","services":["crm"]}' "$BASE/v1/auth/users")" 201 "a client"
CY_ID=$(jq -r .id "$T/body")
CY=$(login '{"tenant":"acme","email":"cy@acme.test","password":"cy-password-12"}')
MAX=$(login '{"tenant":"acme","email":"max@acme.test","password":"max-password-1"}')
eq "$(jq -c '[.user.role, .services]' "$T/login")" '["manager",["analytics","billing","crm"]]' "the manager's login"
M=(-H "Authorization: Bearer $MAX")

# rows of others, in a granted service: read, change, delete
eq "$(post "${A[@]}" --data '{"name":"Admin Co"}' "$BASE/v1/crm/customers")" 201 "the admin's row"
C1=$(jq -r .id "$T/body")
eq "$(post -H "Authorization: Bearer $CY" --data '{"name":"Client Co"}' "$BASE/v1/crm/customers")" 201 "the client's row"
C2=$(jq -r .id "$T/body")
eq "$(get "${M[@]}" "$BASE/v1/crm/customers?sort=name")" 200 "the manager lists customers"
eq "$(jq -r '[.items[].name] | join(",")' "$T/body")" "Admin Co,Client Co" "every owner's rows"
eq "$(get "${M[@]}" "$BASE/v1/crm/customers/$C2")" 200 "reads the client's row"
eq "$(call PATCH "${M[@]}" --data '{"name":"Admin Co 2"}' "$BASE/v1/crm/customers/$C1")" 200 "changes the admin's row"
eq "$(get "${A[@]}" "$BASE/v1/crm/customers/$C1")" 200 "the admin reads it"
eq "$(jq -r .name "$T/body")" "Admin Co 2" "the change is there"
eq "$(call DELETE "${M[@]}" "$BASE/v1/crm/customers/$C2")" 204 "deletes the client's row"
eq "$(get "${A[@]}" "$BASE/v1/crm/customers/$C2")" 404 "it is gone"
eq "$(post "${M[@]}" --data '{"name":"Max Co"}' "$BASE/v1/crm/customers")" 201 "creates a row"
eq "$(jq -r .owner_id "$T/body")" "$MAX_ID" "owned by the manager"
eq "$(post "${M[@]}" --data "{\"name\":\"For Cy\",\"owner_id\":\"$CY_ID\"}" "$BASE/v1/crm/customers")" 201 "creates a row for the client"
eq "$(jq -r .owner_id "$T/body")" "$CY_ID" "a manager may choose the owner"

# billing and analytics: read every row, write nothing but events
eq "$(post "${R[@]}" --data "{\"number\":\"INV-1\",\"owner_id\":\"$CY_ID\"}" "$BASE/v1/billing/invoices")" 201 "an invoice of the client"
INV=$(jq -r .id "$T/body")
eq "$(get "${M[@]}" "$BASE/v1/billing/invoices")" 200 "the manager lists invoices"
eq "$(jq -r '[.items[].number] | join(",")' "$T/body")" INV-1 "the client's invoice too"
for w in "POST /v1/billing/invoices {\"number\":\"INV-2\"}" "PATCH /v1/billing/invoices/$INV {\"number\":\"X\"}" \
         "DELETE /v1/billing/invoices/$INV -" "POST /v1/analytics/dashboards {\"name\":\"d\"}"; do
  read -r m path body <<<"$w"
  if [ "$body" = - ]; then code=$(call "$m" "${M[@]}" "$BASE$path"); else code=$(call "$m" "${M[@]}" --data "$body" "$BASE$path"); fi
  eq "$code:$(jq -r .code "$T/body")" 403:forbidden "the manager: $m $path"
done
eq "$(post "${R[@]}" --data '{"name":"Sales"}' "$BASE/v1/analytics/dashboards")" 201 "a dashboard"
eq "$(get "${M[@]}" "$BASE/v1/analytics/dashboards")" 200 "the manager reads dashboards"
eq "$(jq '.items | length' "$T/body")" 1 "the operator's dashboard"
eq "$(post "${M[@]}" --data '{"name":"page_view","ts":"2026-01-01T10:00:00Z"}' "$BASE/v1/analytics/events")" 201 "the manager appends an event"
eq "$(jq -r .owner_id "$T/body")" "$MAX_ID" "the event is the manager's"
eq "$(post "${M[@]}" --data '{"events":[{"name":"page_view","ts":"2026-01-01T11:00:00Z"}]}' "$BASE/v1/analytics/events:batch")" 202 "and a batch"

# auth: its own profile only; no user or key management
eq "$(get "${M[@]}" "$BASE/v1/auth/me")" 200 "me"
eq "$(jq -c '[.role, .services]' "$T/body")" '["manager",["analytics","billing","crm"]]' "me: role and services"
eq "$(get "${M[@]}" "$BASE/v1/auth/users")" 200 "users"
eq "$(jq -r '[.items[].email] | join(",")' "$T/body")" max@acme.test "only itself"
eq "$(get "${M[@]}" "$BASE/v1/auth/users/$MAX_ID")" 200 "its own profile"
eq "$(get "${M[@]}" "$BASE/v1/auth/users/$ADA_ID")" 404 "another user's profile"
eq "$(post "${M[@]}" --data '{"email":"z@acme.test","password":"zz-password-1","role":"client"}' "$BASE/v1/auth/users")" 403 "adds a user"
eq "$(call PATCH "${M[@]}" --data '{"role":"admin"}' "$BASE/v1/auth/users/$MAX_ID")" 403 "makes itself admin"
eq "$(call PATCH "${M[@]}" --data '{"services":["crm","cms"]}' "$BASE/v1/auth/users/$MAX_ID")" 403 "grants itself a service"
eq "$(call DELETE "${M[@]}" "$BASE/v1/auth/users/$CY_ID")" 403 "removes a user"
eq "$(get "${M[@]}" "$BASE/v1/auth/api-keys")" 403 "lists API keys"
eq "$(post "${M[@]}" --data '{"name":"k","role":"manager"}' "$BASE/v1/auth/api-keys")" 403 "creates an API key"
eq "$(get "${M[@]}" "$BASE/v1/tenants")" 403 "the platform's tenants"
eq "$(get "${M[@]}" "$BASE/v1/tenants/acme")" 403 "its tenant's record"
eq "$(get "${A[@]}" "$BASE/v1/auth/users/$MAX_ID")" 200 "after the refused changes"
eq "$(jq -c '[.role, .services]' "$T/body")" '["manager",["analytics","billing","crm"]]' "the refused changes changed nothing"

# a service not granted, until the admin grants it
eq "$(post "${A[@]}" --data '{"title":"Home","slug":"home"}' "$BASE/v1/cms/pages")" 201 "a page"
eq "$(get "${M[@]}" "$BASE/v1/cms/pages")" 403 "cms, not granted"
eq "$(jq -r .code "$T/body")" service_not_granted "not granted: code"
eq "$(call PATCH "${A[@]}" --data '{"services":["crm","billing","analytics","cms"]}' "$BASE/v1/auth/users/$MAX_ID")" 200 "the admin grants cms"
eq "$(get "${M[@]}" "$BASE/v1/crm/customers")" 401 "the manager's token ended with the change"
MAX=$(login '{"tenant":"acme","email":"max@acme.test","password":"max-password-1"}')
eq "$(get -H "Authorization: Bearer $MAX" "$BASE/v1/cms/pages")" 200 "cms, granted"
eq "$(jq -r '[.items[].slug] | join(",")' "$T/body")" home "the admin's page"
done_ok
