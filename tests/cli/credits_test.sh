#!/usr/bin/env bash
# Credits over HTTP (issue 13 part 3): a superadmin grants, a tenant's
# principals spend — 200 concurrent spends of 1 on a balance of 100 give
# exactly 100 successes and 100 × 402 insufficient_credits, and the ledger
# sums to the balance; every mutation takes an Idempotency-Key (a repeat
# replays the first answer and changes nothing; the key with another body
# is 422 idempotency_key_reused); the test provider's checkout pays with
# its good card and fails with its bad one; a manual invoice is marked
# paid; bad inputs get stable codes and change nothing; every change is
# audited with its actor.
. "$(dirname "$0")/lib.sh"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme beta
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
R=(-H "Authorization: Bearer $ROOT")
A=(-H "Authorization: Bearer $ADA")
ACME=$(catalog_sql "SELECT id FROM tenants WHERE slug = 'acme'")

key() { echo "k-$$-$(date +%s%N)-$RANDOM"; }
balance() { call GET "${A[@]}" "$BASE/v1/credits" >/dev/null; jq -r .balance "$T/body"; }
ledger_sum() { catalog_sql "SELECT COALESCE(SUM(delta), 0) FROM credit_transactions WHERE tenant_id = '$ACME'"; }
ledger_rows() { catalog_sql "SELECT count(*) FROM credit_transactions WHERE tenant_id = '$ACME'"; }

# ---- a new tenant has nothing; a superadmin grants --------------------------
eq "$(call GET "${A[@]}" "$BASE/v1/credits")" 200 "the admin reads its credits"
eq "$(jq -r '.balance, (.items|length)' "$T/body" | tr '\n' ' ')" "0 0 " "nothing yet"
eq "$(call POST "${R[@]}" --data '{"credits":100}' "$BASE/v1/admin/credits/acme/grant")" 400 "a grant without a key"
eq "$(jq -r .code "$T/body")" idempotency_key_required "the key is required"
G1=$(key)
eq "$(call POST "${R[@]}" -H "Idempotency-Key: $G1" --data '{"credits":100,"reference":"invoice 7"}' "$BASE/v1/admin/credits/acme/grant")" 201 "grant 100"
cp "$T/body" "$T/grant1"
eq "$(jq -r '.balance, .transaction.reason, .transaction.actor_kind' "$T/body" | tr '\n' ' ')" "100 grant superadmin " "granted"

# ---- idempotent replays --------------------------------------------------------
eq "$(call POST "${R[@]}" -H "Idempotency-Key: $G1" --data '{"credits":100,"reference":"invoice 7"}' "$BASE/v1/admin/credits/acme/grant")" 201 "the same grant again"
cmp -s "$T/body" "$T/grant1" || { diff "$T/body" "$T/grant1"; fail "a replay answers the first body"; }; pass
eq "$(balance)" 100 "a replay changes nothing"
eq "$(ledger_rows)" 1 "one ledger row"
eq "$(call POST "${R[@]}" -H "Idempotency-Key: $G1" --data '{"credits":900,"reference":"invoice 7"}' "$BASE/v1/admin/credits/acme/grant")" 422 "the key with another body"
eq "$(jq -r .code "$T/body")" idempotency_key_reused "reused key code"
eq "$(balance)" 100 "a reused key changes nothing"

# ---- 200 concurrent spends of 1 on a balance of 100 ----------------------------
SP=spend-$$
spend_n() { # spend_n I: spend 1 with key $SP-I; prints "I STATUS"
  curl -sS -o /dev/null -w "$1 %{http_code}\n" -X POST \
    -H "Authorization: Bearer $ADA" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: $SP-$1" --data '{"credits":1,"reference":"api call"}' \
    "$BASE/v1/credits/spend"
}
export -f spend_n; export ADA BASE SP
seq 1 200 | xargs -P 32 -I{} bash -c 'spend_n {}' >"$T/tries"
# a 503 (a wait in line ran out on a loaded machine) is retried with the
# same key, as a client would: its key was given back, so it runs again
for _ in 1 2 3 4 5; do
  awk '$2 >= 500 { print $1 }' "$T/tries" >"$T/retry"
  [ -s "$T/retry" ] || break
  awk '$2 < 500' "$T/tries" >"$T/tries.ok"
  while read -r i; do spend_n "$i"; done <"$T/retry" >>"$T/tries.ok"
  mv "$T/tries.ok" "$T/tries"
done
sort -n "$T/tries" | cut -d' ' -f2 >"$T/codes"
eq "$(grep -c '^200$' "$T/codes")" 100 "exactly 100 spends succeed"
eq "$(grep -c '^402$' "$T/codes")" 100 "the other 100 are 402"
eq "$(balance)" 0 "the balance is zero, never below"
eq "$(ledger_sum)" 0 "the ledger sums to the balance"
eq "$(ledger_rows)" 101 "one ledger row per success"
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":1}' "$BASE/v1/credits/spend")" 402 "one more spend"
eq "$(jq -r .code "$T/body")" insufficient_credits "insufficient code"
# a spend replayed after the balance ran out still answers its first success
eq "$(call POST "${A[@]}" -H "Idempotency-Key: spend-$$-7" --data '{"credits":1,"reference":"api call"}' "$BASE/v1/credits/spend")" "$(sed -n 7p "$T/codes")" "a replayed spend answers as it first did"
eq "$(ledger_rows)" 101 "and changes nothing"

# ---- bad inputs: stable codes, nothing changed ----------------------------------
badreq() { # badreq WANT CODE METHOD PATH BODY [token args…]
  local want=$1 code=$2 m=$3 path=$4 body=$5; shift 5
  local got; got=$(call "$m" "$@" -H "Idempotency-Key: $(key)" --data "$body" "$BASE$path")
  [ "$got" = "$want" ] || { cat "$T/body"; fail "$m $path $body: $got, not $want"; }; pass
  eq "$(jq -r .code "$T/body")" "$code" "$m $path $body"
}
badreq 400 invalid_credits POST /v1/credits/spend '{"credits":0}' "${A[@]}"
badreq 400 invalid_credits POST /v1/credits/spend '{"credits":-5}' "${A[@]}"
badreq 400 invalid_credits POST /v1/credits/spend '{"credits":"1"}' "${A[@]}"
badreq 400 invalid_credits POST /v1/credits/spend '{"credits":1.5}' "${A[@]}"
badreq 400 invalid_credits POST /v1/credits/spend '{}' "${A[@]}"
badreq 400 invalid_credits POST /v1/credits/spend '{"credits":1000000000001}' "${A[@]}"
badreq 400 unknown_field POST /v1/credits/spend '{"credits":1,"tenant_id":"x"}' "${A[@]}"
badreq 400 malformed_json POST /v1/credits/spend '{"credits":' "${A[@]}"
badreq 400 invalid_request POST /v1/credits/spend '{"credits":1,"reference":7}' "${A[@]}"
badreq 400 invalid_credits POST /v1/admin/credits/acme/grant '{"credits":0}' "${R[@]}"
badreq 400 invalid_period POST /v1/admin/credits/acme/grant '{"credits":5,"period":"2026-13"}' "${R[@]}"
badreq 400 invalid_credits POST /v1/admin/credits/acme/adjust '{"delta":0,"note":"x"}' "${R[@]}"
badreq 400 invalid_request POST /v1/admin/credits/acme/adjust '{"delta":5}' "${R[@]}"
badreq 402 insufficient_credits POST /v1/admin/credits/acme/adjust '{"delta":-1,"note":"too much"}' "${R[@]}"
badreq 404 tenant_not_found POST /v1/admin/credits/nope/grant '{"credits":5}' "${R[@]}"
badreq 403 forbidden POST /v1/admin/credits/acme/grant '{"credits":5}' "${A[@]}"
badreq 400 invalid_provider POST /v1/credits/purchase '{"credits":5,"provider":"paypal"}' "${A[@]}"
badreq 400 invalid_credits POST /v1/credits/purchase '{"credits":0,"provider":"test"}' "${A[@]}"
badreq 404 checkout_not_found POST /v1/credits/checkouts/nope/complete '{"card":"4242424242424242"}' "${A[@]}"
badreq 400 invalid_action PUT /v1/admin/credits/costs/Bad%20Name '{"credits":1}' "${R[@]}"
badreq 400 invalid_credits PUT /v1/admin/credits/costs/analytics.events '{"credits":-1}' "${R[@]}"
badreq 400 invalid_secret PUT /v1/credits/providers/test/secret '{"secret":"short"}' "${A[@]}"
eq "$(call POST "${A[@]}" -H 'Idempotency-Key: ' --data '{"credits":1}' "$BASE/v1/credits/spend")" 400 "an empty key"
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(printf 'k%.0s' $(seq 300))" --data '{"credits":1}' "$BASE/v1/credits/spend")" 400 "a key too long"
eq "$(jq -r .code "$T/body")" invalid_idempotency_key "bad key code"
eq "$(call GET "${A[@]}" "$BASE/v1/credits?limit=0")" 400 "limit 0"
eq "$(call GET "${A[@]}" "$BASE/v1/credits?cursor=x')--")" 400 "a bad cursor"
eq "$(ledger_rows)" 101 "bad inputs changed nothing"
eq "$(balance)" 0 "nor the balance"

# ---- who may: another tenant, a manager, a read-only key -------------------------
BEA=$(login '{"tenant":"beta","email":"admin@beta.test","password":"admin-password-1"}')
eq "$(call GET -H "Authorization: Bearer $BEA" -H 'X-Tenant: acme' "$BASE/v1/credits")" 403 "beta cannot read acme's credits"
eq "$(call GET "${A[@]}" "$BASE/v1/admin/credits")" 403 "a tenant admin cannot list every balance"
eq "$(call POST "${A[@]}" --data '{"name":"ro","role":"admin","read_only":true}' "$BASE/v1/auth/api-keys")" 201 "a read-only key"
RO=$(jq -r .key "$T/body")
eq "$(call POST -H "X-API-Key: $RO" -H "Idempotency-Key: $(key)" --data '{"credits":1}' "$BASE/v1/credits/spend")" 403 "a read-only key cannot spend"
eq "$(call POST "${A[@]}" --data '{"email":"cy@acme.test","password":"cy-secret-pw-1","role":"client","services":["crm"]}' "$BASE/v1/auth/users")" 201 "a client"
CY=$(login '{"tenant":"acme","email":"cy@acme.test","password":"cy-secret-pw-1"}')
eq "$(call GET -H "Authorization: Bearer $CY" "$BASE/v1/credits")" 403 "a client does not read the ledger"
eq "$(call POST -H "Authorization: Bearer $CY" -H "Idempotency-Key: spend-$$-7" --data '{"credits":1,"reference":"api call"}' "$BASE/v1/credits/spend")" 422 "another principal cannot replay a key it did not use"

# ---- adjust, paging, the balances of all tenants -------------------------------------
eq "$(call POST "${R[@]}" -H "Idempotency-Key: $(key)" --data '{"delta":5,"note":"goodwill"}' "$BASE/v1/admin/credits/acme/adjust")" 201 "adjust up"
eq "$(call POST -H "Authorization: Bearer $CY" -H "Idempotency-Key: $(key)" --data '{"credits":2}' "$BASE/v1/credits/spend")" 200 "a client spends"
eq "$(jq -r '.balance, .transaction.actor_kind' "$T/body" | tr '\n' ' ')" "3 user " "spent by the client"
eq "$(call GET "${A[@]}" "$BASE/v1/credits?limit=2")" 200 "a page"
eq "$(jq -r '.items|length' "$T/body")" 2 "two rows"
CUR=$(jq -r .next_cursor "$T/body")
eq "$(call GET "${A[@]}" "$BASE/v1/credits?limit=2&cursor=$CUR")" 200 "the next page"
eq "$(jq -r '.items[0].reason' "$T/body")" spend "older rows"
eq "$(call GET "${R[@]}" "$BASE/v1/admin/credits")" 200 "every balance"
eq "$(jq -r '[.items[]|select(.slug=="acme")|.balance][0]' "$T/body")" 3 "acme's balance"
eq "$(jq -r '[.items[]|select(.slug=="beta")|.balance][0]' "$T/body")" 0 "beta's balance"

# ---- included credits: once per tenant and month ---------------------------------------
eq "$(call POST "${R[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":50,"period":"2026-12"}' "$BASE/v1/admin/credits/acme/grant")" 201 "included credits"
eq "$(jq -r .granted "$T/body")" true "granted"
eq "$(call POST "${R[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":50,"period":"2026-12"}' "$BASE/v1/admin/credits/acme/grant")" 200 "the same month, another key"
eq "$(jq -r .granted "$T/body")" false "not granted twice"
eq "$(balance)" 53 "one month's credits once"
expect_rc 0 td credits grant acme 50 --period 2026-12
eq "$(balance)" 53 "the CLI neither"
expect_rc 0 td credits grant acme 50 --period 2027-01
eq "$(balance)" 103 "the next month"

# ---- the test provider's checkout ---------------------------------------------------------
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":40,"provider":"test"}' "$BASE/v1/credits/purchase")" 201 "a test checkout"
CO=$(jq -r .id "$T/body")
eq "$(jq -r .status "$T/body")" pending "pending"
badreq 400 invalid_card POST "/v1/credits/checkouts/$CO/complete" '{"card":"1111"}' "${A[@]}"
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(key)" --data '{"card":"4242424242424242"}' "$BASE/v1/credits/checkouts/$CO/complete")" 200 "the good card pays"
eq "$(jq -r .status "$T/body")" paid "paid"
eq "$(balance)" 143 "the credits are there"
badreq 409 invalid_state POST "/v1/credits/checkouts/$CO/complete" '{"card":"4242424242424242"}' "${A[@]}"
eq "$(balance)" 143 "paid once"
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":40,"provider":"test"}' "$BASE/v1/credits/purchase")" 201 "another checkout"
CO2=$(jq -r .id "$T/body")
badreq 402 card_declined POST "/v1/credits/checkouts/$CO2/complete" '{"card":"4000000000000002"}' "${A[@]}"
eq "$(call GET "${A[@]}" "$BASE/v1/credits/checkouts/$CO2")" 200 "the declined checkout"
eq "$(jq -r '.status + " " + .error' "$T/body")" "failed card_declined" "failed"
eq "$(balance)" 143 "a declined card grants nothing"
eq "$(call GET -H "Authorization: Bearer $BEA" "$BASE/v1/credits/checkouts/$CO")" 404 "another tenant's checkout"

# a purchase replayed is the same checkout, not a second one
PKEY=$(key)
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $PKEY" --data '{"credits":3,"provider":"test"}' "$BASE/v1/credits/purchase")" 201 "a purchase"
P1=$(jq -r .id "$T/body"); NCO=$(catalog_sql "SELECT count(*) FROM credit_checkouts")
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $PKEY" --data '{"credits":3,"provider":"test"}' "$BASE/v1/credits/purchase")" 201 "the purchase again"
eq "$(jq -r .id "$T/body")" "$P1" "the same checkout"
eq "$(catalog_sql "SELECT count(*) FROM credit_checkouts")" "$NCO" "no second checkout"

# a key whose first request never answered (its server died after the
# claim): 409 while it may still run, claimable again after a minute
ADA_ID=$(jq -r .sub <<<"$(cut -d. -f2 <<<"$ADA" | tr '_-' '/+' | base64 -d 2>/dev/null || true)")
SBODY='{"credits":1,"reference":"stuck"}'
HASH=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b("\n".join(sys.argv[1:]).encode(), digest_size=32).hexdigest())' "$ADA_ID" POST /v1/credits/spend "$SBODY")
NOW=$(($(date +%s) * 1000))
catalog_exec "INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at) VALUES ('$ACME', 'stuck-$$', '$HASH', 0, $NOW)"
eq "$(call POST "${A[@]}" -H "Idempotency-Key: stuck-$$" --data "$SBODY" "$BASE/v1/credits/spend")" 409 "a claim still running"
eq "$(jq -r .code "$T/body")" idempotency_key_in_use "in-use code"
catalog_exec "UPDATE idempotency_keys SET created_at = $((NOW - 120000)) WHERE key = 'stuck-$$'"
B0=$(balance)
eq "$(call POST "${A[@]}" -H "Idempotency-Key: stuck-$$" --data "$SBODY" "$BASE/v1/credits/spend")" 200 "a dead claim is taken over"
eq "$(balance)" $((B0 - 1)) "and the spend is made once"

# ---- a manual invoice marked paid ------------------------------------------------------------
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":7,"provider":"manual"}' "$BASE/v1/credits/purchase")" 201 "an invoice"
INV=$(jq -r .id "$T/body")
badreq 409 invalid_state POST "/v1/credits/checkouts/$INV/complete" '{"card":"4242424242424242"}' "${A[@]}"
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(key)" "$BASE/v1/admin/credits/checkouts/$INV/paid")" 403 "a tenant admin cannot mark it paid"
PK=$(key)
eq "$(call POST "${R[@]}" -H "Idempotency-Key: $PK" "$BASE/v1/admin/credits/checkouts/$INV/paid")" 200 "marked paid"
eq "$(call POST "${R[@]}" -H "Idempotency-Key: $PK" "$BASE/v1/admin/credits/checkouts/$INV/paid")" 200 "replayed"
badreq 409 invalid_state POST "/v1/admin/credits/checkouts/$INV/paid" '' "${R[@]}"
eq "$(balance)" 149 "the invoice's credits, once"

# ---- webhooks: signed with the tenant's sealed secret ---------------------------------------
SECRET=whsec-acme-0123456789abcdef
eq "$(call PUT "${A[@]}" -H "Idempotency-Key: $(key)" --data "{\"secret\":\"$SECRET\"}" "$BASE/v1/credits/providers/test/secret")" 204 "store the webhook secret"
if [ "$BACKEND" = sqlite ]; then
  ! grep -qF "$SECRET" "$DATA/catalog.db" || fail "the secret is stored in clear"; pass
else
  eq "$(catalog_sql "SELECT count(*) FROM payment_provider_secrets WHERE secret_enc LIKE '%$SECRET%'")" 0 "sealed"
fi
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":9,"provider":"test"}' "$BASE/v1/credits/purchase")" 201 "a checkout paid by webhook"
CO3=$(jq -r .id "$T/body")
HOOK="{\"checkout\":\"$CO3\",\"status\":\"paid\"}"
SIG=sha256=$(printf '%s' "$HOOK" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
eq "$(call POST -H "Webhook-Signature: sha256=$(printf '0%.0s' $(seq 64))" --data "$HOOK" "$BASE/v1/credits/webhooks/test/acme")" 401 "a forged signature"
eq "$(jq -r .code "$T/body")" invalid_signature "forged code"
eq "$(balance)" 149 "a forged webhook grants nothing"
eq "$(call POST -H "Webhook-Signature: $SIG" --data "$HOOK" "$BASE/v1/credits/webhooks/test/acme")" 200 "a signed webhook"
eq "$(jq -r .status "$T/body")" paid "paid by webhook"
eq "$(call POST -H "Webhook-Signature: $SIG" --data "$HOOK" "$BASE/v1/credits/webhooks/test/acme")" 200 "the provider retries"
eq "$(balance)" 158 "paid once"
eq "$(call POST -H "Webhook-Signature: $SIG" --data "$HOOK" "$BASE/v1/credits/webhooks/test/beta")" 404 "another tenant has no secret"
for f in "$DATA"/../server.log; do ! grep -qF "$SECRET" "$f" || fail "the secret is in the log"; pass; done

# ---- a metered action: analytics events, priced per 1000 -----------------------------------
eq "$(call POST "${R[@]}" --data '{"slug":"shop","services":["analytics"],"admin":{"email":"admin@shop.test","password":"admin-password-1"}}' "$BASE/v1/tenants")" 201 "a tenant with analytics"
SHOP=$(login '{"tenant":"shop","email":"admin@shop.test","password":"admin-password-1"}')
S=(-H "Authorization: Bearer $SHOP")
EV='{"events":[{"name":"view","ts":"2026-11-01T00:00:00Z"},{"name":"view","ts":"2026-11-01T00:00:01Z"},{"name":"buy","ts":"2026-11-01T00:00:02Z"}]}'
eq "$(call POST "${S[@]}" --data "$EV" "$BASE/v1/analytics/events:batch")" 202 "events are free without a price"
eq "$(call PUT "${R[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":2,"per_units":1000,"description":"events ingested"}' "$BASE/v1/admin/credits/costs/analytics.events")" 200 "price events"
eq "$(call POST "${S[@]}" --data "$EV" "$BASE/v1/analytics/events:batch")" 402 "no credits, no ingest"
eq "$(jq -r .code "$T/body")" insufficient_credits "metered refusal code"
eq "$(call POST "${R[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":1}' "$BASE/v1/admin/credits/shop/grant")" 201 "credits for shop"
eq "$(call POST "${S[@]}" --data "$EV" "$BASE/v1/analytics/events:batch")" 202 "charged ingest"
eq "$(call GET "${S[@]}" "$BASE/v1/credits")" 200 "shop's ledger"
eq "$(jq -r '.balance, .items[0].reason, .items[0].reference, .items[0].delta' "$T/body" | tr '\n' ' ')" "0 charge analytics.events -1 " "3 events at 2 per 1000: 1 credit (rounded up)"
eq "$(call POST "${S[@]}" --data "$EV" "$BASE/v1/analytics/events:batch")" 402 "the balance does not cover the next batch"
eq "$(call GET "${R[@]}" "$BASE/v1/admin/credits/costs")" 200 "prices"
eq "$(jq -r '.items[0].action + " " + (.items[0].credits|tostring)' "$T/body")" "analytics.events 2" "the price"
eq "$(call DELETE "${R[@]}" -H "Idempotency-Key: $(key)" "$BASE/v1/admin/credits/costs/analytics.events")" 204 "free again"
eq "$(call POST "${S[@]}" --data "$EV" "$BASE/v1/analytics/events:batch")" 202 "free ingest"

# ---- the CLI ----------------------------------------------------------------------------------
expect_rc 0 td credits show acme --json
eq "$(jq -r .balance "$T/out")" 158 "credits show --json"
expect_rc 0 td credits grant beta 12 --reference "welcome"
expect_contains "$T/out" "12"
expect_rc 0 td credits show beta
expect_contains "$T/out" "welcome"
expect_rc 2 td credits grant beta
expect_rc 2 td credits grant beta ten
expect_rc 1 td credits grant nope 5
expect_rc 2 td credits grant beta 5 --period 2026-1

# ---- audit: every change with its actor ---------------------------------------------------------
A_N=$(catalog_sql "SELECT count(*) FROM audit_log WHERE tenant_id = '$ACME' AND action LIKE 'credits.%'")
[ "$A_N" -ge 110 ] || fail "credit changes audited: $A_N"; pass
eq "$(catalog_sql "SELECT actor_kind FROM audit_log WHERE tenant_id = '$ACME' AND action = 'credits.grant' ORDER BY at LIMIT 1")" superadmin "a grant's actor"
eq "$(catalog_sql "SELECT count(*) FROM audit_log WHERE tenant_id = '$ACME' AND action = 'credits.spend'")" 102 "every spend"
eq "$(ledger_sum)" "$(balance)" "the ledger still sums to the balance"
eq "$(call POST "${R[@]}" -D "$T/headers" -H "Idempotency-Key: $(key)" --data '{"credits":1}' "$BASE/v1/admin/credits/acme/grant")" 201 "one more grant"
RID=$(tr -d '\r' <"$T/headers" | sed -n 's/^X-Request-Id: //Ip')
TXID=$(jq -r .transaction.id "$T/body")
eq "$(catalog_sql "SELECT action || ' ' || actor_kind || ' ' || request_id FROM audit_log WHERE row_id = '$TXID'")" "credits.grant superadmin $RID" "the grant's record names its request"
expect_rc 0 td audit verify

# ---- without TENANTD_PAYMENTS_TEST (production) the test provider is not offered
stop_server
TENANTD_PAYMENTS_TEST=0 start_server
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
before=$(balance)
eq "$(call POST -H "Authorization: Bearer $ADA" -H "Idempotency-Key: $(key)" --data '{"credits":1000000,"provider":"test"}' "$BASE/v1/credits/purchase")" 400 "no test checkout"
eq "$(jq -r .code "$T/body")" invalid_provider "its code"
eq "$(call POST -H "Authorization: Bearer $ADA" -H "Idempotency-Key: $(key)" --data '{"credits":5,"provider":"manual"}' "$BASE/v1/credits/purchase")" 201 "an invoice still"
eq "$(balance)" "$before" "no credits for nothing"
stop_server
done_ok
