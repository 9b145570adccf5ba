#!/usr/bin/env bash
# The resource engine over HTTP (resources.sh): validation:
# every bad field listed at once, nothing written; a refused patch changes
# nothing; every integer field refuses values past 2^53 - 1.
. "$(dirname "$0")/resources.sh"

# ---- 2. validation -----------------------------------------------------------
load_plans
ensure_row crm deals # the deal a refused patch leaves alone, made before the counts
n_deals=$(count_rows crm deals) n_tasks=$(count_rows crm tasks) n_media=$(count_rows cms media)
n_products=$(count_rows commerce products) n_customers=$(count_rows crm customers)
ob_crm=$(osql crm "SELECT count(*) FROM @ob") ob_cms=$(osql cms "SELECT count(*) FROM @ob")
ob_commerce=$(osql commerce "SELECT count(*) FROM @ob")
st 400 "$(callh POST "${SA[@]}" --data '{"title":12,"amount":-1,"currency":"EURO","closed_at":"yesterday","customer_id":"nope","stage":null,"bogus":true,"created_at":"2026-01-01T00:00:00Z","id":"x"}' "$BASE/v1/crm/deals")" "a deal with nine bad fields"
errors_are 'title invalid_type,amount out_of_range,currency too_long,closed_at invalid_time,customer_id invalid_reference,stage required,bogus unknown_field,created_at read_only,id read_only' "a deal with nine bad fields"
st 400 "$(callh POST "${SA[@]}" --data '{"amount":1.5}' "$BASE/v1/crm/deals")" "a fractional integer"
errors_are 'amount invalid_type,title required' "a fractional integer and a missing title"
st 400 "$(callh POST "${SA[@]}" --data '{"amount":"abc","title":"t"}' "$BASE/v1/crm/deals")" "text for an integer"
errors_are 'amount invalid_type' "text for an integer"
st 400 "$(callh POST "${SA[@]}" --data '{"priority":"urgent","status":5,"due_at":"2026-13-45T00:00:00Z"}' "$BASE/v1/crm/tasks")" "a task with four bad fields"
errors_are 'title required,priority invalid_value,status invalid_type,due_at invalid_time' "a task with four bad fields"
st 400 "$(callh POST "${SA[@]}" --data "{\"name\":\"$(printf 'n%.0s' $(seq 201))\",\"email\":\"not-an-email\"}" "$BASE/v1/crm/customers")" "too long, not an email"
errors_are 'name too_long,email invalid_email' "too long, not an email"
st 400 "$(callh POST "${SA[@]}" --data '{"filename":"a.png","content_type":"image/png","size":10,"sha256":"ab","status":"stored"}' "$BASE/v1/cms/media")" "media with read-only fields"
errors_are 'size read_only,sha256 read_only,status read_only' "media with read-only fields"
st 400 "$(callh POST "${SA[@]}" --data '{"name":"n","sku":"s","price":-5,"active":"yes","currency":null}' "$BASE/v1/commerce/products")" "a product with bad values"
errors_are 'price out_of_range,active invalid_type' "a product with bad values"
st 400 "$(callh POST "${SA[@]}" --data '{"name":"n","sku":"s","price":2.5}' "$BASE/v1/commerce/products")" "a price that is not whole cents"
errors_are 'price invalid_type' "money is an integer of minor units"
st 400 "$(callh POST "${SA[@]}" --data '[{"name":"x"}]' "$BASE/v1/crm/customers")" "a body that is not an object"
st 400 "$(callh POST "${SA[@]}" --data '{"name":"x"' "$BASE/v1/crm/customers")" "a body that is not JSON"
# a reference must name an existing row of its resource (docs/api.md: 409)
st 409 "$(callh POST "${SA[@]}" --data '{"title":"t","customer_id":"01a20000-0000-7000-8000-000000000000"}' "$BASE/v1/crm/deals")" "a deal for a customer that does not exist"
code_is invalid_reference "a deal for a customer that does not exist"
# a patch is validated the same way and changes nothing when refused
ensure_row crm deals; DEAL=$ROWID
st 200 "$(callh GET "${SA[@]}" "$BASE/v1/crm/deals/$DEAL")" "a deal"; cp "$T/body" "$T/deal"
st 400 "$(callh PATCH "${SA[@]}" --data '{"title":null,"amount":-5,"bogus":1,"updated_at":"2020-01-01T00:00:00Z","owner_id":7}' "$BASE/v1/crm/deals/$DEAL")" "a patch with five bad fields"
errors_are 'title required,amount out_of_range,bogus unknown_field,updated_at read_only,owner_id invalid_type' "a patch with five bad fields"
st 200 "$(callh GET "${SA[@]}" "$BASE/v1/crm/deals/$DEAL")" "the deal after a refused patch"
cmp -s "$T/body" "$T/deal" || fail "a refused patch changed the deal"; pass
eq "$(count_rows crm deals)" "$n_deals" "no deal written"
eq "$(count_rows crm tasks)" "$n_tasks" "no task written"
eq "$(count_rows crm customers)" "$n_customers" "no customer written"
eq "$(count_rows cms media)" "$n_media" "no media written"
eq "$(count_rows commerce products)" "$n_products" "no product written"
eq "$(osql crm "SELECT count(*) FROM @ob")" "$ob_crm" "no crm outbox row for refused writes"
eq "$(osql cms "SELECT count(*) FROM @ob")" "$ob_cms" "no cms outbox row for refused writes"
eq "$(osql commerce "SELECT count(*) FROM @ob")" "$ob_commerce" "no commerce outbox row for refused writes"

# every integer field of every resource refuses values past 2^53 - 1 (or
# its declared bounds), so money and quantities never reach sums or
# products that overflow; the limit itself is accepted
nint=0
for file in "$TD_SRC"/src/services/*/service.json; do
  load_plan "$file"
  svc=$(jq -r .name "$file")
  for res in "${RESOURCES[@]}"; do
    [[ ${P_METHODS[$svc.$res]} == *,create,* ]] && [ "$svc.$res" != commerce.orders ] || continue
    for f in $(jq -r '.fields[] | select(.type == "integer" and (.read_only | not)) | .name' <<<"${P_DECL[$svc.$res]}"); do
      make_body "$svc" "$res"
      for v in 9007199254740992 -9007199254740992 4611686018427387904; do
        st 400 "$(callh POST "${SA[@]}" --data "$(jq -c --arg f "$f" --argjson v "$v" '.[$f] = $v' <<<"$BODY")" "$BASE/v1/$svc/$res")" "$svc.$res.$f = $v"
        errors_are "$f out_of_range" "$svc.$res.$f = $v"
      done
      max=$(jq -r --arg f "$f" '.fields[] | select(.name == $f) | .max // 9007199254740991' <<<"${P_DECL[$svc.$res]}")
      make_body "$svc" "$res" # the others at their least, so no product of them overflows
      st 201 "$(callh POST "${SA[@]}" --data "$(jq -c --arg f "$f" --argjson v "$max" --argjson r "${P_DECL[$svc.$res]}" \
        'reduce ($r.fields[] | select(.type == "integer" and (.read_only | not) and .name != $f)) as $o
           (.; if has($o.name) then .[$o.name] = ($o.min // 0) else . end) | .[$f] = $v' <<<"$BODY")" \
        "$BASE/v1/$svc/$res")" "$svc.$res.$f = $max"
      jqe '.[$f] == $v' "$svc.$res.$f keeps $max exactly" --arg f "$f" --argjson v "$max"
      nint=$((nint + 1))
    done
  done
done
[ "$nint" -ge 8 ] || fail "only $nint integer fields checked"; pass
resources_done
