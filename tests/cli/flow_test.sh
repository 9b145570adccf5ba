#!/usr/bin/env bash
# SPEC §11, the main flows exactly, with curl alone: a superadmin logs in
# and creates tenant acme with its first admin; the admin logs in and adds
# a client who may use crm only (and an API key); the client logs in, is
# told services ["crm"], works in crm, is refused on billing, and its token
# stops working after logout. Tenant data, event batches and an order
# follow the shapes of §11.
. "$(dirname "$0")/lib.sh"
td_init
start_server

eq "$(post --data '{"email":"root@example.com","password":"root-password-1"}' "$BASE/v1/auth/login")" 200 "superadmin login"
eq "$(jq -c '[.user.role, .services]' "$T/body")" '["superadmin",[]]' "superadmin answer"
ROOT=$(jq -r .access_token "$T/body")

eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"acme","name":"Acme Inc","services":["crm","billing","analytics","commerce"],"admin":{"email":"ada@acme.test","password":"ada-password-1"}}' "$BASE/v1/tenants")" 201 "create acme"
eq "$(jq -c '[.slug, .name, .status, .services]' "$T/body")" '["acme","Acme Inc","active",["analytics","auth","billing","commerce","crm"]]' "tenant answer"

eq "$(post --data '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 200 "admin login"
eq "$(jq -c '[.user.role, .tenant.slug, .services]' "$T/body")" '["admin","acme",["analytics","auth","billing","commerce","crm"]]' "admin answer"
ADA=$(jq -r .access_token "$T/body")

eq "$(post -H "Authorization: Bearer $ADA" --data '{"email":"cy@acme.test","password":"cy-password-12","role":"client","services":["crm"]}' "$BASE/v1/auth/users")" 201 "add client"
eq "$(jq -c '[.email, .role, .services]' "$T/body")" '["cy@acme.test","client",["crm"]]' "client answer"
eq "$(post -H "Authorization: Bearer $ADA" --data '{"name":"ci","role":"manager","services":["crm"]}' "$BASE/v1/auth/api-keys")" 201 "api key"
KEY=$(jq -r .key "$T/body")
case "$KEY" in tdk_*) pass ;; *) fail "key shape" ;; esac

eq "$(post --data '{"tenant":"acme","email":"cy@acme.test","password":"cy-password-12"}' "$BASE/v1/auth/login")" 200 "client login"
eq "$(jq -c .services "$T/body")" '["crm"]' "client is told crm"
CY=$(jq -r .access_token "$T/body")

# tenant data (the client's own rows)
eq "$(post -H "Authorization: Bearer $CY" --data '{"name":"Globex","email":"info@globex.test"}' "$BASE/v1/crm/customers")" 201 "client creates a customer"
eq "$(jq -c '[.name, .email]' "$T/body")" '["Globex","info@globex.test"]' "row answer"
CYID=$(jq -r .owner_id "$T/body")
for k in id created_at updated_at; do jq -e --arg k "$k" 'has($k)' "$T/body" >/dev/null || fail "row has $k"; pass; done
eq "$(get -H "Authorization: Bearer $CY" "$BASE/v1/crm/customers?filter=name%20eq%20'Globex'&limit=20")" 200 "filtered list"
eq "$(jq -c '[(.items | length), .next_cursor]' "$T/body")" '[1,null]' "list answer"

# another tenant never sees acme's rows: not by id, not in lists, not by
# naming acme in X-Tenant
GLOBEX=$(jq -r '.items[0].id' "$T/body")
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"beta","services":["crm"],"admin":{"email":"bo@beta.test","password":"bo-password-12"}}' "$BASE/v1/tenants")" 201 "tenant beta"
BO=$(login '{"tenant":"beta","email":"bo@beta.test","password":"bo-password-12"}')
eq "$(get -H "Authorization: Bearer $BO" "$BASE/v1/crm/customers/$GLOBEX")" 404 "beta reads acme's row by id"
eq "$(get -H "Authorization: Bearer $BO" "$BASE/v1/crm/customers")" 200 "beta lists its customers"
eq "$(jq '.items | length' "$T/body")" 0 "none of acme's"
eq "$(call PATCH -H "Authorization: Bearer $BO" --data '{"name":"x"}' "$BASE/v1/crm/customers/$GLOBEX")" 404 "beta changes acme's row"
eq "$(get -H "Authorization: Bearer $BO" -H 'X-Tenant: acme' "$BASE/v1/crm/customers")" 403 "beta names acme"
eq "$(jq -r .code "$T/body")" tenant_mismatch "tenant_mismatch"
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/crm/customers/$GLOBEX")" 200 "acme's row untouched"
eq "$(jq -r .name "$T/body")" Globex "still Globex"

# refused on billing: not granted (403 service_not_granted)
eq "$(get -H "Authorization: Bearer $CY" "$BASE/v1/billing/invoices")" 403 "client refused on billing"
eq "$(jq -r .code "$T/body")" service_not_granted "refusal code"
eq "$(jq -r .type "$T/body")" /problems/service-not-granted "problem type"
# the manager key may not use billing either; the admin reads it (no writes)
eq "$(get -H "X-API-Key: $KEY" "$BASE/v1/billing/invoices")" 403 "key refused on billing"
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/billing/invoices")" 200 "admin reads billing"
eq "$(post -H "Authorization: Bearer $ADA" --data '{"number":"INV-1"}' "$BASE/v1/billing/invoices")" 403 "billing is written by the platform"
eq "$(post -H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme' --data "{\"number\":\"INV-1\",\"owner_id\":\"$CYID\"}" "$BASE/v1/billing/invoices")" 201 "the platform writes billing"

# analytics and commerce, as the admin
jq -n '{events: [range(0; 2000) | {name: "page_view", ts: "2026-11-01T10:00:00Z", props: {path: "/"}}]}' > "$T/events.json"
eq "$(post -H "Authorization: Bearer $ADA" --data-binary @"$T/events.json" "$BASE/v1/analytics/events:batch")" 202 "event batch"
eq "$(jq -c . "$T/body")" '{"accepted":2000}' "batch answer"
eq "$(post -H "Authorization: Bearer $ADA" --data '{"name":"Widget","sku":"W-1","price":10}' "$BASE/v1/commerce/products")" 201 "product"
P=$(jq -r .id "$T/body")
eq "$(post -H "Authorization: Bearer $ADA" --data "{\"product_id\":\"$P\",\"quantity\":50}" "$BASE/v1/commerce/inventory")" 201 "inventory"
eq "$(post -H "Authorization: Bearer $ADA" --data "{\"items\":[{\"product_id\":\"$P\",\"quantity\":1}]}" "$BASE/v1/commerce/orders")" 201 "order"
eq "$(post -H "Authorization: Bearer $ADA" --data "{\"items\":[{\"product_id\":\"$P\",\"quantity\":50}]}" "$BASE/v1/commerce/orders")" 409 "out of stock"
eq "$(jq -r .code "$T/body")" out_of_stock "out_of_stock"

# logout: the client's token stops working at once
eq "$(post -H "Authorization: Bearer $CY" "$BASE/v1/auth/logout")" 204 "logout"
eq "$(get -H "Authorization: Bearer $CY" "$BASE/v1/crm/customers")" 401 "token dead after logout"
eq "$(get "$BASE/.well-known/jwks.json")" 200 "jwks"

# errors are problem+json with a code and the request id
eq "$(post -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/acme/suspend")" 200 "suspend"
curl -sS -D "$T/hdr" -o "$T/body" -H "Authorization: Bearer $ADA" "$BASE/v1/crm/customers" >/dev/null
grep -qi '^content-type: application/problem+json' "$T/hdr" || fail "problem content type"; pass
eq "$(jq -c '[.type, .title, .status, .code]' "$T/body")" '["/problems/tenant-suspended","Tenant suspended",403,"tenant_suspended"]' "problem shape"
eq "$(jq -r .request_id "$T/body")" "$(grep -i '^x-request-id:' "$T/hdr" | cut -d' ' -f2 | tr -d '\r')" "request id in the problem"

done_ok
