#!/usr/bin/env bash
# Service behaviour beyond CRUD, over HTTP on the real server: orders take
# stock atomically (100 concurrent orders for 50 units → exactly 50), lead
# conversion is all or nothing, a deal's stage change records an
# interaction, event batches and metric series, media bytes round-trip with
# type and size checks, content items follow their content type.
. "$(dirname "$0")/lib.sh"

td_init
TENANTD_MEDIA_MAX=4096 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"shop","services":["crm","cms","analytics","commerce"]}' "$BASE/v1/tenants")" 201 "tenant"
TID=$(jq -r .id "$T/body")
H=(-H "Authorization: Bearer $ROOT" -H "X-Tenant: shop")
api() { local m=$1 p=$2; shift 2; call "$m" "${H[@]}" "$@" "$BASE$p"; }
upload() { curl -sS -o "$T/body" -w '%{http_code}' -X PUT "${H[@]}" -H "Content-Type: $1" --data-binary "$2" "$BASE/v1/cms/media/$3/content"; }
count() { api GET "$1?limit=200&fields=id" >/dev/null; jq '.items | length' "$T/body"; }

# ---- commerce: 100 concurrent orders for 50 units ----
eq "$(api POST /v1/commerce/products --data '{"name":"Widget","sku":"W-1","price":10}')" 201 "product"
P=$(jq -r .id "$T/body")
eq "$(api POST /v1/commerce/inventory --data "{\"product_id\":\"$P\",\"quantity\":50}")" 201 "inventory"
INV=$(jq -r .id "$T/body")
mkdir "$T/orders"
pids=()
for i in $(seq 1 100); do
  curl -sS -o /dev/null -w '%{http_code}\n' -X POST "${H[@]}" -H 'Content-Type: application/json' \
    --data "{\"items\":[{\"product_id\":\"$P\",\"quantity\":1}]}" "$BASE/v1/commerce/orders" > "$T/orders/$i" &
  pids+=($!)
done
wait "${pids[@]}" # not the server
eq "$(cat "$T"/orders/* | grep -c '^201$')" 50 "exactly 50 orders placed"
eq "$(cat "$T"/orders/* | grep -c '^409$')" 50 "exactly 50 refused out of stock"
eq "$(api GET "/v1/commerce/inventory/$INV")" 200 "inventory read"
eq "$(jq .quantity "$T/body")" 0 "stock never below zero"
eq "$(count /v1/commerce/orders)" 50 "50 orders recorded"
eq "$(count /v1/commerce/order_items)" 50 "50 order lines recorded"
eq "$(api POST /v1/commerce/orders --data "{\"items\":[{\"product_id\":\"$P\",\"quantity\":1}]}")" 409 "sold out"
eq "$(jq -r .code "$T/body")" out_of_stock "out_of_stock code"
# an order of two lines where the second cannot be served leaves the first's stock
eq "$(api POST /v1/commerce/products --data '{"name":"Gadget","sku":"G-1","price":250}')" 201 "product 2"
P2=$(jq -r .id "$T/body")
eq "$(api POST /v1/commerce/inventory --data "{\"product_id\":\"$P2\",\"quantity\":3}")" 201 "inventory 2"
INV2=$(jq -r .id "$T/body")
eq "$(api POST /v1/commerce/orders --data "{\"items\":[{\"product_id\":\"$P2\",\"quantity\":2},{\"product_id\":\"$P\",\"quantity\":1}]}")" 409 "partly unservable"
api GET "/v1/commerce/inventory/$INV2" >/dev/null
eq "$(jq .quantity "$T/body")" 3 "nothing taken by a refused order"
eq "$(api POST /v1/commerce/orders --data "{\"items\":[{\"product_id\":\"$P2\",\"quantity\":2}]}")" 201 "order of 2"
eq "$(jq .total "$T/body")" 500 "total at the product's price, in cents"
eq "$(jq '.items | length' "$T/body")" 1 "order with its line"
eq "$(api POST /v1/commerce/orders --data '{"items":[{"product_id":"nope","quantity":0}],"x":1}')" 400 "bad order"
eq "$(jq '.errors | length' "$T/body")" 3 "every bad field listed"
eq "$(api POST /v1/commerce/orders --data "{\"items\":[{\"product_id\":\"$P2\",\"quantity\":1}],\"total\":0}")" 400 "total is not the caller's"

# paging on the total visits every order once (ties between equal totals)
eq "$(api POST /v1/commerce/products --data '{"name":"Dime","sku":"D-1","price":10}')" 201 "cheap product"
P3=$(jq -r .id "$T/body")
eq "$(api POST /v1/commerce/inventory --data "{\"product_id\":\"$P3\",\"quantity\":100}")" 201 "inventory 3"
for q in 3 3 7; do
  eq "$(api POST /v1/commerce/orders --data "{\"items\":[{\"product_id\":\"$P3\",\"quantity\":$q}]}")" 201 "order of dimes"
done
seen=0 cur=
for _ in $(seq 1 60); do
  api GET "/v1/commerce/orders?sort=total&limit=7&fields=id,total${cur:+&cursor=$cur}" >/dev/null
  seen=$((seen + $(jq '.items | length' "$T/body")))
  cur=$(jq -r '.next_cursor // empty' "$T/body")
  [ -n "$cur" ] || break
done
eq "$seen" 54 "every order once when paging by total"
# a client may not mark its own order paid
eq "$(api POST /v1/auth/users --data '{"email":"buyer@shop.test","password":"buyer-password-1","role":"client","services":["commerce"]}')" 201 "client"
CL=$(login '{"tenant":"shop","email":"buyer@shop.test","password":"buyer-password-1"}')
eq "$(call POST -H "Authorization: Bearer $CL" --data "{\"items\":[{\"product_id\":\"$P3\",\"quantity\":1}]}" "$BASE/v1/commerce/orders")" 201 "client orders"
CO=$(jq -r .id "$T/body")
eq "$(call PATCH -H "Authorization: Bearer $CL" --data '{"status":"paid"}' "$BASE/v1/commerce/orders/$CO")" 400 "client marks its order paid"
eq "$(jq -r '.errors[0].code' "$T/body")" not_writable "status is the shop's to set"
# times in filters are compared in the stored form, whatever their notation
api GET "/v1/commerce/orders?limit=1&fields=created_at" >/dev/null
day=$(jq -r '.items[0].created_at[0:10]' "$T/body")
eq "$(api GET "/v1/commerce/orders?limit=200&fields=id&filter=created_at%20ge%20'$day'")" 200 "date filter"
eq "$(jq '.items | length' "$T/body")" 55 "a date covers the day's rows"
eq "$(api GET "/v1/commerce/orders?limit=200&fields=id&filter=created_at%20lt%20'${day}T00:00:00%2B14:00'")" 200 "offset filter"
eq "$(jq '.items | length' "$T/body")" 0 "an offset time is converted"
eq "$(api GET "/v1/commerce/orders?filter=created_at%20ge%20'yesterday'")" 400 "not a time"

# ---- crm: lead conversion is all or nothing ----
eq "$(api POST /v1/crm/leads --data '{"name":"Dana Scully","email":"dana@fbi.test","company":"FBI"}')" 201 "lead"
L=$(jq -r .id "$T/body")
eq "$(api POST "/v1/crm/leads/$L/convert" --data '{"amount":-5}')" 400 "bad conversion"
eq "$(count /v1/crm/customers)" 0 "no customer left by a failed conversion"
eq "$(count /v1/crm/deals)" 0 "no deal left by a failed conversion"
api GET "/v1/crm/leads/$L" >/dev/null
eq "$(jq -r .status "$T/body")" new "lead unchanged"
eq "$(api POST "/v1/crm/leads/$L/convert" --data '{"amount":120000}')" 201 "conversion"
C=$(jq -r .customer.id "$T/body"); D=$(jq -r .deal.id "$T/body")
eq "$(jq -r .customer.name "$T/body")" FBI "customer named after the company"
eq "$(jq -r .deal.customer_id "$T/body")" "$C" "deal of the customer"
eq "$(jq -r .lead.status "$T/body")" converted "lead converted"
eq "$(jq -r .lead.converted_deal_id "$T/body")" "$D" "lead points at its deal"
eq "$(api POST "/v1/crm/leads/$L/convert")" 409 "converted twice"
eq "$(jq -r .code "$T/body")" already_converted "already_converted code"

# ---- crm: a stage change records an interaction ----
eq "$(api PATCH "/v1/crm/deals/$D" --data '{"stage":"won"}')" 200 "stage change"
api GET "/v1/crm/interactions?filter=deal_id%20eq%20'$D'" >/dev/null
eq "$(jq -r '.items[0].kind' "$T/body")" stage_change "interaction recorded"
expect_contains "$T/body" "new -> won"
eq "$(api PATCH "/v1/crm/deals/$D" --data '{"title":"renamed"}')" 200 "other change"
api GET "/v1/crm/interactions?filter=deal_id%20eq%20'$D'" >/dev/null
eq "$(jq '.items | length' "$T/body")" 1 "no interaction without a stage change"

# ---- analytics: batches and series ----
jq -n '{events: [range(0; 10000) | {name: "page_view", ts: ("2026-11-01T" + ((. % 24) | tostring | if length == 1 then "0" + . else . end) + ":15:00Z"), value: 1}]}' > "$T/batch.json"
eq "$(api POST /v1/analytics/events:batch --data-binary @"$T/batch.json")" 202 "10,000 events"
eq "$(jq .accepted "$T/body")" 10000 "all accepted"
eq "$(api GET "/v1/analytics/metrics:query?name=page_view&bucket=day&from=2026-11-01&to=2026-11-02")" 200 "day series"
eq "$(jq -c '.points' "$T/body")" '[{"t":"2026-11-01T00:00:00Z","value":10000}]' "one day of 10,000"
api GET "/v1/analytics/metrics:query?name=page_view&bucket=hour&from=2026-11-01T00:00:00Z&to=2026-11-01T02:00:00Z" >/dev/null
eq "$(jq -c '[.points[].value]' "$T/body")" '[417,417]' "hourly counts"
eq "$(api POST /v1/analytics/metrics --data '{"name":"views","event":"page_view","aggregation":"sum"}')" 201 "declared metric"
api GET "/v1/analytics/metrics:query?name=views&bucket=day&from=2026-11-01&to=2026-11-02" >/dev/null
eq "$(jq -r '.aggregation' "$T/body")" sum "metric's aggregation"
eq "$(jq '.points[0].value' "$T/body")" 10000 "summed values"
eq "$(api POST /v1/analytics/events:batch --data '{"events":[{"name":"ok","ts":"2026-11-01T00:00:00Z"},{"name":"bad","ts":"yesterday"}]}')" 400 "a bad event"
eq "$(jq -r '.errors[0].field' "$T/body")" 'events[1].ts' "the bad event is named"
eq "$(api GET "/v1/analytics/metrics:query?name=ok&bucket=day&from=2026-11-01&to=2026-11-02")" 200 "series"
eq "$(jq '.points | length' "$T/body")" 0 "nothing of a refused batch was kept"
# upload routes take bodies past body_max (1 MiB); other routes do not
jq -n '{events: [range(0; 3000) | {name: "wide", ts: "2026-11-01T00:00:00Z", props: {pad: ("x" * 500)}}]}' > "$T/wide.json"
[ "$(stat -c %s "$T/wide.json")" -gt 1100000 ] || fail "a batch over 1 MiB"; pass
eq "$(api POST /v1/analytics/events:batch --data-binary @"$T/wide.json")" 202 "a 1.6 MB batch"
jq -n '{name: ("x" * 1200000)}' > "$T/wide-row.json"
eq "$(api POST /v1/crm/customers --data-binary @"$T/wide-row.json")" 413 "1.2 MB to an ordinary route"
jq -n '{events: [range(0; 10001) | {name: "x", ts: "2026-11-01T00:00:00Z"}]}' > "$T/big.json"
eq "$(api POST /v1/analytics/events:batch --data-binary @"$T/big.json")" 413 "more than 10,000"
eq "$(api GET "/v1/analytics/metrics:query?name=x&bucket=week")" 400 "bad bucket"

# ---- cms: media bytes ----
eq "$(api POST /v1/cms/media --data '{"filename":"logo.png","content_type":"image/png"}')" 201 "media row"
M=$(jq -r .id "$T/body")
printf '\x89PNG\r\n\x1a\n-not-really-an-image-' > "$T/logo.png"
eq "$(upload image/png @"$T/logo.png" "$M")" 200 "upload"
eq "$(jq .size "$T/body")" "$(stat -c %s "$T/logo.png")" "size recorded"
eq "$(jq -r .sha256 "$T/body")" "$(sha256sum "$T/logo.png" | cut -d' ' -f1)" "sha256 recorded"
curl -sS "${H[@]}" -D "$T/hdr" -o "$T/down" "$BASE/v1/cms/media/$M/content"
cmp -s "$T/down" "$T/logo.png" || fail "downloaded bytes differ"; pass
grep -qi '^Content-Type: image/png' "$T/hdr" || fail "download content type"; pass
eq "$(upload image/png '<html>' "$M")" 415 "not a PNG"
eq "$(upload text/html @"$T/logo.png" "$M")" 415 "another type than declared"
head -c 5000 /dev/zero | sed 's/^/\x89PNG\r\n\x1a\n/' > "$T/huge.png"
eq "$(upload image/png @"$T/huge.png" "$M")" 413 "over TENANTD_MEDIA_MAX"
curl -sS "${H[@]}" -o "$T/down" "$BASE/v1/cms/media/$M/content"
cmp -s "$T/down" "$T/logo.png" || fail "a refused upload changed the bytes"; pass
SHA=$(sha256sum "$T/logo.png" | cut -d' ' -f1)
if [ "$BACKEND" = sqlite ]; then
  [ -f "$DATA/tenants/$TID/media/$M.$SHA" ] || fail "media file under the tenant folder"; pass
fi
eq "$(api PATCH "/v1/cms/media/$M" --data '{"content_type":"text/html"}')" 400 "stored bytes keep their type"
eq "$(jq -r '.errors[0].field + " " + .errors[0].code' "$T/body")" "content_type read_only" "type change refused"
eq "$(api PATCH "/v1/cms/media/$M" --data '{"alt":"our logo"}')" 200 "other fields change"
# a second upload replaces the bytes; the old file goes once the row names the new one
printf '\x89PNG\r\n\x1a\n-version-2-' > "$T/logo2.png"
eq "$(upload image/png @"$T/logo2.png" "$M")" 200 "second upload"
curl -sS "${H[@]}" -o "$T/down" "$BASE/v1/cms/media/$M/content"
cmp -s "$T/down" "$T/logo2.png" || fail "the new bytes are served"; pass
if [ "$BACKEND" = sqlite ]; then
  eq "$(ls "$DATA/tenants/$TID/media" | tr '\n' ' ')" "$M.$(sha256sum "$T/logo2.png" | cut -d' ' -f1) " "only the new file remains"
fi
eq "$(upload image/png @"$T/logo2.png" "$M")" 200 "the same bytes again"
if [ "$BACKEND" = sqlite ]; then
  eq "$(ls "$DATA/tenants/$TID/media" | wc -l)" 1 "one file for the same bytes"
  eq "$(tenant_sql "$TID" cms "SELECT count(*) FROM media_content")" 0 "no bytes in the SQLite database"
fi
cp "$T/logo2.png" "$T/logo.png"
eq "$(api DELETE "/v1/cms/media/$M")" 204 "media deleted"
eq "$(get "${H[@]}" "$BASE/v1/cms/media/$M/content")" 404 "bytes gone with the row"
if [ "$BACKEND" = sqlite ]; then
  eq "$(ls "$DATA/tenants/$TID/media" | wc -l)" 0 "no media file left behind"
fi

# ---- cms: content items follow their content type ----
eq "$(api POST /v1/cms/content_types --data '{"name":"article","fields":[{"name":"headline","type":"text","required":true},{"name":"words","type":"integer"}]}')" 201 "content type"
CT=$(jq -r .id "$T/body")
eq "$(api POST /v1/cms/content_items --data "{\"content_type_id\":\"$CT\",\"title\":\"t\",\"data\":{\"words\":\"many\",\"extra\":1}}")" 400 "item against its type"
eq "$(jq -r '[.errors[].field] | sort | join(",")' "$T/body")" "data.extra,data.headline,data.words" "every data error"
eq "$(api POST /v1/cms/content_items --data "{\"content_type_id\":\"$CT\",\"title\":\"t\",\"data\":{\"headline\":\"Hi\",\"words\":3}}")" 201 "valid item"
I=$(jq -r .id "$T/body")
eq "$(jq -r .published_at "$T/body")" null "a draft is not published"
eq "$(api PATCH "/v1/cms/content_items/$I" --data '{"status":"published"}')" 200 "publish"
[ "$(jq -r .published_at "$T/body")" != null ] || fail "published_at stamped"; pass
eq "$(api PATCH "/v1/cms/content_items/$I" --data '{"published_at":"2020-01-01T00:00:00Z"}')" 400 "published_at is the server's"

done_ok
