#!/usr/bin/env bash
# Data a caller cannot make inconsistent, over HTTP on the real server:
#  1. a lead becomes "converted" only through its convert action, and
#     stays converted;
#  2. an owner_id a caller chooses names a user of the same tenant (409
#     invalid_reference otherwise); rows an API key creates are the key's;
#  3. money is integer minor units: an order whose price × quantity (or
#     total) goes past what an amount holds is refused whole with 422,
#     never stored as a float; the same for an invoice line.
. "$(dirname "$0")/lib.sh"

td_init
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"acme","services":["crm","commerce","billing"],"admin":{"email":"ada@acme.test","password":"ada-password-12"}}' "$BASE/v1/tenants")" 201 "acme"
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"other","services":["crm"],"admin":{"email":"oz@other.test","password":"oz-password-123"}}' "$BASE/v1/tenants")" 201 "another tenant"
ADA=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-12"}')")
ADA_ID=$(jq -r .user.id "$T/login")
login '{"tenant":"other","email":"oz@other.test","password":"oz-password-123"}' >/dev/null
OZ_ID=$(jq -r .user.id "$T/login")
SA=(-H "Authorization: Bearer $ROOT" -H "X-Tenant: acme")
ROOT_ID=$(curl -sS -H "Authorization: Bearer $ROOT" "$BASE/v1/auth/me" | jq -r .id)
user() { # user EMAIL ROLE → the new user's id
  eq "$(post "${ADA[@]}" --data "{\"email\":\"$1\",\"password\":\"user-password-12\",\"role\":\"$2\",\"services\":[\"crm\",\"commerce\"]}" "$BASE/v1/auth/users")" 201 "user $1"
  jq -r .id "$T/body"
}
CY_ID=$(user cy@acme.test client)
MO_ID=$(user mo@acme.test manager)
CY=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"cy@acme.test","password":"user-password-12"}')")
MO=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"mo@acme.test","password":"user-password-12"}')")
# errors_are 'field code,…' WHAT: the last answer lists exactly these
errors_are() { eq "$(jq -r '[.errors[] | "\(.field) \(.code)"] | sort | join(",")' "$T/body")" "$1" "$2"; }
count() { call GET "${SA[@]}" "$BASE$1?limit=200&fields=id" >/dev/null; jq '.items | length' "$T/body"; }

# ---- 1. converted only by the convert action ---------------------------------
for who in CY ADA MO SA; do
  declare -n auth=$who
  eq "$(post "${auth[@]}" --data '{"name":"Lead","status":"converted"}' "$BASE/v1/crm/leads")" 400 "$who creates a converted lead"
  eq "$(jq -r .code "$T/body")" validation_failed "$who: validation_failed"
  errors_are "status read_only" "$who: status converted is the server's"
  unset -n auth
done
eq "$(count /v1/crm/leads)" 0 "no converted lead written"
eq "$(post "${CY[@]}" --data '{"name":"Lead","status":"qualified"}' "$BASE/v1/crm/leads")" 201 "a client's qualified lead"
LEAD=$(jq -r .id "$T/body")
eq "$(call PATCH "${CY[@]}" --data '{"status":"converted"}' "$BASE/v1/crm/leads/$LEAD")" 400 "the client marks it converted"
errors_are "status read_only" "a patch cannot convert"
eq "$(call PATCH "${ADA[@]}" --data '{"status":"converted"}' "$BASE/v1/crm/leads/$LEAD")" 400 "the admin marks it converted"
call GET "${CY[@]}" "$BASE/v1/crm/leads/$LEAD" >/dev/null
eq "$(jq -r '.status + " " + (.converted_customer_id // "none")' "$T/body")" "qualified none" "the lead unchanged"
eq "$(post "${CY[@]}" "$BASE/v1/crm/leads/$LEAD/convert")" 201 "the convert action"
eq "$(jq -r .lead.status "$T/body")" converted "converted by the action"
eq "$(call PATCH "${CY[@]}" --data '{"status":"new"}' "$BASE/v1/crm/leads/$LEAD")" 409 "a converted lead back to new"
eq "$(jq -r .code "$T/body")" invalid_state "invalid_state"
eq "$(call PATCH "${ADA[@]}" --data '{"status":"lost"}' "$BASE/v1/crm/leads/$LEAD")" 409 "the admin too"
eq "$(call PATCH "${CY[@]}" --data '{"source":"fair"}' "$BASE/v1/crm/leads/$LEAD")" 200 "other fields of a converted lead change"
eq "$(jq -r .status "$T/body")" converted "and it stays converted"
eq "$(post "${CY[@]}" "$BASE/v1/crm/leads/$LEAD/convert")" 409 "a second conversion"

# ---- 2. owner_id names a user of the tenant ----------------------------------
n=$(count /v1/crm/customers)
eq "$(post "${ADA[@]}" --data "{\"name\":\"For Cy\",\"owner_id\":\"$CY_ID\"}" "$BASE/v1/crm/customers")" 201 "the admin gives a row to a client"
FOR_CY=$(jq -r .id "$T/body")
eq "$(jq -r .owner_id "$T/body")" "$CY_ID" "owned by the client"
eq "$(call GET "${CY[@]}" "$BASE/v1/crm/customers/$FOR_CY")" 200 "the client sees it"
eq "$(post "${MO[@]}" --data "{\"name\":\"For Ada\",\"owner_id\":\"$ADA_ID\"}" "$BASE/v1/crm/customers")" 201 "a manager names the admin"
eq "$(post "${SA[@]}" --data "{\"name\":\"For Mo\",\"owner_id\":\"$MO_ID\"}" "$BASE/v1/crm/customers")" 201 "the superadmin names a user of the tenant"
eq "$(post "${ADA[@]}" --data "{\"name\":\"Mine\",\"owner_id\":\"$ADA_ID\"}" "$BASE/v1/crm/customers")" 201 "the admin names itself"
n=$((n + 4))
for o in "$OZ_ID" "01a20000-0000-7000-8000-000000000000" "$ROOT_ID"; do
  eq "$(post "${ADA[@]}" --data "{\"name\":\"Stray\",\"owner_id\":\"$o\"}" "$BASE/v1/crm/customers")" 409 "the admin names $o"
  eq "$(jq -r .code "$T/body")" invalid_reference "no user of this tenant: invalid_reference"
done
eq "$(post "${ADA[@]}" --data '{"name":"Stray","owner_id":"nobody"}' "$BASE/v1/crm/customers")" 400 "an owner that is no id"
errors_are "owner_id invalid_reference" "an owner that is no id"
eq "$(post "${ADA[@]}" --data '{"name":"Stray","owner_id":42}' "$BASE/v1/crm/customers")" 400 "an owner that is no text"
errors_are "owner_id invalid_type" "an owner that is no text"
eq "$(post "${CY[@]}" --data "{\"name\":\"Stray\",\"owner_id\":\"$ADA_ID\"}" "$BASE/v1/crm/customers")" 400 "a client names an owner"
errors_are "owner_id not_writable" "clients do not choose owners"
eq "$(call PATCH "${ADA[@]}" --data "{\"owner_id\":\"$OZ_ID\"}" "$BASE/v1/crm/customers/$FOR_CY")" 409 "a row given to another tenant's user"
eq "$(call GET "${ADA[@]}" "$BASE/v1/crm/customers/$FOR_CY")" 200 "the row"
eq "$(jq -r .owner_id "$T/body")" "$CY_ID" "keeps its owner"
eq "$(call PATCH "${ADA[@]}" --data "{\"owner_id\":\"$MO_ID\"}" "$BASE/v1/crm/customers/$FOR_CY")" 200 "a row given to the manager"
eq "$(count /v1/crm/customers)" "$n" "no row written by the refusals"
# an API key owns what it creates, may name itself, is named by nobody else
eq "$(post "${ADA[@]}" --data '{"name":"ci","role":"manager","services":["crm"]}' "$BASE/v1/auth/api-keys")" 201 "an API key"
KEY=$(jq -r .key "$T/body") KEY_ID=$(jq -r .id "$T/body")
eq "$(post -H "X-API-Key: $KEY" --data '{"name":"By key"}' "$BASE/v1/crm/customers")" 201 "the key creates a row"
eq "$(jq -r .owner_id "$T/body")" "$KEY_ID" "owned by the key"
eq "$(post -H "X-API-Key: $KEY" --data "{\"name\":\"By key 2\",\"owner_id\":\"$KEY_ID\"}" "$BASE/v1/crm/customers")" 201 "the key names itself"
eq "$(post -H "X-API-Key: $KEY" --data "{\"name\":\"By key 3\",\"owner_id\":\"$CY_ID\"}" "$BASE/v1/crm/customers")" 201 "the key names a user"
eq "$(post "${ADA[@]}" --data "{\"name\":\"For the key\",\"owner_id\":\"$KEY_ID\"}" "$BASE/v1/crm/customers")" 409 "the admin names the key"

# ---- 3. money: integer minor units, overflow refused -------------------------
SAFE=9007199254740991 # 2^53 - 1: the most an integer field holds
product() { # product SKU PRICE STOCK → the product's id
  eq "$(post "${ADA[@]}" --data "{\"name\":\"$1\",\"sku\":\"$1\",\"price\":$2}" "$BASE/v1/commerce/products")" 201 "product $1"
  local id; id=$(jq -r .id "$T/body")
  eq "$(post "${ADA[@]}" --data "{\"product_id\":\"$id\",\"quantity\":$3}" "$BASE/v1/commerce/inventory")" 201 "stock of $1"
  echo "$id"
}
eq "$(post "${ADA[@]}" --data '{"name":"Dear","sku":"D","price":9007199254740992}' "$BASE/v1/commerce/products")" 400 "a price past 2^53 - 1"
errors_are "price out_of_range" "a price past 2^53 - 1"
eq "$(post "${ADA[@]}" --data '{"name":"Dear","sku":"D","price":1e300}' "$BASE/v1/commerce/products")" 400 "a price as a float"
errors_are "price invalid_type" "a price as a float"
BIG=$(product BIG $SAFE 5000)
HALF=$(product HALF 4503599627370496 10) # 2^52
n_orders=$(count /v1/commerce/orders)
overflow() { # overflow BODY WHAT: 422, the item named, nothing taken or written
  eq "$(post "${CY[@]}" --data "$1" "$BASE/v1/commerce/orders")" 422 "$2"
  eq "$(jq -r '.code + " " + ([.errors[] | "\(.field) \(.code)"] | join(","))' "$T/body")" "validation_failed $3" "$2: the item named"
  grep -qi '^content-type: application/problem+json' <(curl -sS -D - -o /dev/null -X POST "${CY[@]}" -H 'Content-Type: application/json' --data "$1" "$BASE/v1/commerce/orders") || fail "$2: not problem+json"
  pass
}
overflow "{\"items\":[{\"product_id\":\"$BIG\",\"quantity\":2}]}" "price × 2 past 2^53 - 1" "items[0].quantity out_of_range"
overflow "{\"items\":[{\"product_id\":\"$BIG\",\"quantity\":1025}]}" "price × quantity past int64" "items[0].quantity out_of_range"
overflow "{\"items\":[{\"product_id\":\"$HALF\",\"quantity\":1},{\"product_id\":\"$HALF\",\"quantity\":1}]}" "a sum past 2^53 - 1" "items[1].quantity out_of_range"
eq "$(count /v1/commerce/orders)" "$n_orders" "no order written"
call GET "${ADA[@]}" "$BASE/v1/commerce/inventory?filter=product_id%20eq%20'$BIG'" >/dev/null
eq "$(jq '.items[0].quantity' "$T/body")" 5000 "no stock taken"
eq "$(post "${CY[@]}" --data "{\"items\":[{\"product_id\":\"$BIG\",\"quantity\":1}]}" "$BASE/v1/commerce/orders")" 201 "an order at the limit"
jq -e ".total == $SAFE and (.total | type) == \"number\"" "$T/body" >/dev/null || fail "total $(jq .total "$T/body")"; pass
grep -q "\"total\":$SAFE," "$T/body" || fail "the total is not the exact integer: $(cat "$T/body")"; pass
grep -q "\"unit_price\":$SAFE," "$T/body" || fail "the unit price is not the exact integer"; pass
SMALL=$(product SMALL 250 10)
eq "$(post "${CY[@]}" --data "{\"items\":[{\"product_id\":\"$SMALL\",\"quantity\":3},{\"product_id\":\"$HALF\",\"quantity\":1}]}" "$BASE/v1/commerce/orders")" 201 "an order of two lines"
eq "$(jq .total "$T/body")" 4503599627371246 "the exact sum of the lines"
# invoice lines: quantity × unit_amount must fit an amount
eq "$(post "${SA[@]}" --data '{"number":"INV-1"}' "$BASE/v1/billing/invoices")" 201 "an invoice"
INV=$(jq -r .id "$T/body")
eq "$(post "${SA[@]}" --data "{\"invoice_id\":\"$INV\",\"description\":\"seats\",\"quantity\":1000000,\"unit_amount\":$SAFE}" "$BASE/v1/billing/invoice_lines")" 422 "a line past what an amount holds"
errors_are "unit_amount out_of_range" "the line's unit_amount named"
eq "$(post "${SA[@]}" --data "{\"invoice_id\":\"$INV\",\"description\":\"seats\",\"quantity\":12,\"unit_amount\":4900,\"amount\":58800}" "$BASE/v1/billing/invoice_lines")" 201 "a line"
LINE=$(jq -r .id "$T/body")
eq "$(call PATCH "${SA[@]}" --data "{\"quantity\":$SAFE}" "$BASE/v1/billing/invoice_lines/$LINE")" 422 "a patch past what an amount holds"
errors_are "quantity out_of_range" "the patched quantity named"
call GET "${SA[@]}" "$BASE/v1/billing/invoice_lines/$LINE" >/dev/null
eq "$(jq .quantity "$T/body")" 12 "the line unchanged"
# a JSON number past int64 is not even a body
eq "$(post "${ADA[@]}" --data '{"title":"D","amount":92233720368547758070}' "$BASE/v1/crm/deals")" 400 "an integer past int64"
eq "$(jq -r .code "$T/body")" malformed_json "malformed_json"
done_ok
