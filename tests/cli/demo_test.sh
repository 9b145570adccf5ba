#!/usr/bin/env bash
# serve --demo (what `make run` starts): a superadmin and a demo tenant
# whose admin can log in with the password printed once, and believable
# rows in every service, written through the engine (outbox included).
. "$(dirname "$0")/lib.sh"
start_server --demo
# the banner (stderr): the passwords made by this first start, shown even
# by a start that could not take its port (start_server kept that log)
PW=$(cat "$T/server.earlier.log" "$T/server.log" | sed -n 's/^    demo tenant   admin@demo.test    password: \([^ ]*\) .*/\1/p')
[ -n "$PW" ] || { cat "$T/server.log" >&2; fail "demo password printed"; }; pass
ROOT_PW=$(cat "$T/server.earlier.log" "$T/server.log" | sed -n 's/^    superadmin    root@example.com   password: \([^ ]*\)$/\1/p')
[ -n "$ROOT_PW" ] || fail "superadmin password printed"; pass
# what make run shows a newcomer: the URLs, the data folder, next steps
expect_contains "$T/server.log" "tenantd is serving http://127.0.0.1:$PORT   (Ctrl-C stops it)"
expect_contains "$T/server.log" "console   http://127.0.0.1:$PORT/console"
expect_contains "$T/server.log" "data      $(realpath "$DATA")"
expect_contains "$T/server.log" "tenantd --help"
# never in the JSON log: every line of stdout is JSON without them (a
# first start of its own: on SQLite, where a new data folder is a new
# catalog)
stop_server
if [ "$BACKEND" = sqlite ]; then
"$TD_BIN" serve --demo --data "$T/d2" --listen "127.0.0.1:$(free_port)" >"$T/stdout" 2>"$T/stderr" &
pid=$!
for _ in $(seq 1 300); do grep -q "tenantd --help" "$T/stderr" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid; wait $pid || fail "the second demo server did not stop cleanly"
P2=$(sed -n 's/^    superadmin    root@example.com   password: \([^ ]*\)$/\1/p' "$T/stderr")
[ -n "$P2" ] || { cat "$T/stderr"; fail "banner on stderr"; }; pass
jq -e . "$T/stdout" >/dev/null || fail "stdout is not only JSON lines"; pass
expect_not_contains "$T/stdout" "$P2"
expect_not_contains "$T/stdout" "password:"
fi
start_server --demo
eq "$(login "{\"email\":\"root@example.com\",\"password\":\"$ROOT_PW\"}" | cut -c1-3)" eyJ "the superadmin signs in with it"
! grep -q "password:" "$T/server.log" || fail "a second start shows no password"; pass
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
