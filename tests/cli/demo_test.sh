#!/usr/bin/env bash
# serve --demo (what `make run` starts): a superadmin and a demo tenant
# whose admin can log in with the password printed once, and believable
# rows in every service, written through the engine (outbox included).
. "$(dirname "$0")/lib.sh"
start_server --demo
PW=$(cat "$T/server.earlier.log" "$T/server.log" | sed -n "s/^demo tenant 'demo' created; its admin: admin@demo.test  password: \([^ ]*\) .*/\1/p")
[ -n "$PW" ] || { cat "$T/server.log" >&2; fail "demo password printed"; }; pass
# what make run shows a newcomer: the URL and the data folder
expect_contains "$T/server.log" "tenantd is serving http://127.0.0.1:$PORT   data: $(realpath "$DATA")"
TOK=$(login "{\"tenant\":\"demo\",\"email\":\"admin@demo.test\",\"password\":\"$PW\"}")
[ "$TOK" != null ] || fail "demo admin logs in"; pass
eq "$(jq -c .services "$T/login")" '["analytics","auth","billing","cms","commerce","crm","projects"]' "demo services"
for r in crm/customers crm/contacts crm/deals crm/leads crm/pipelines crm/tasks crm/notes crm/interactions \
         cms/content_types cms/content_items cms/pages billing/subscriptions billing/invoices \
         billing/invoice_lines billing/payments billing/usage_records analytics/events analytics/metrics \
         analytics/dashboards projects/teams projects/projects projects/tasks projects/messages \
         commerce/products commerce/inventory commerce/customers commerce/orders commerce/order_items; do
  eq "$(get -H "Authorization: Bearer $TOK" "$BASE/v1/$r?limit=1")" 200 "$r"
  eq "$(jq '.items | length' "$T/body")" 1 "$r has sample rows"
done
eq "$(get -H "Authorization: Bearer $TOK" "$BASE/v1/commerce/inventory?filter=quantity%20eq%20497")" 200 "stock"
eq "$(jq '.items | length' "$T/body")" 1 "the sample order took 3 widgets"
done_ok
