#!/usr/bin/env bash
# Onboarding after sign-up (issue 13 part 5), against docs/api.md
# "Onboarding": GET /v1/onboarding lists the five steps in order (store,
# database, payments, credits, profile) with which are done, required or
# skippable and which comes next; each step is one call of the tenant's
# admin: the store renamed, the database kept embedded or brought (on
# PostgreSQL: a database of the tenant's own, checked by connecting, its
# URL sealed, the data moved there by a job), the payment keys sealed and
# shown only as a hint, credits bought with the test provider (done even
# after a skip), the profile with a cms image as avatar. Bad input gets a
# stable code and changes nothing, passwords and keys are never echoed nor
# stored in clear, the state survives a restart, only the tenant's admins
# may (managers, superadmins and anonymous callers may not), and every
# change is audited.
. "$(dirname "$0")/lib.sh"

OWN_DBS=() OWN_ROLES=()
# the databases and roles brought by the test go with it, however it ends
end_onboarding_test() {
  local rc=$1 d r
  for d in "${OWN_DBS[@]}"; do pg "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  for r in "${OWN_ROLES[@]}"; do pg "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true; done
  td_cleanup "$rc"
}
trap 'end_onboarding_test $?' EXIT

td_init
export TENANTD_REGISTRATION=1 TENANTD_BRING_DATABASE=1 # bringing a database is off by default
start_server

key() { echo "k-$$-$(date +%s%N)-$RANDOM"; }
# onb: GET /v1/onboarding with the admin's token (A); the status is printed
onb() { call GET "${A[@]}" "$@" "$BASE/v1/onboarding"; }
# step_field STEP JQ: a field of STEP in the document in $T/body
step_field() { jq -r --arg s "$1" ".steps[] | select(.step == \$s) | $2" "$T/body"; }
status_of() { onb >/dev/null; step_field "$1" .status; }
# bad WANT CODE METHOD PATH BODY [curl args…]: the status and problem code
bad() {
  local want=$1 code=$2 m=$3 path=$4 body=$5 got d=(); shift 5
  [ -z "$body" ] || d=(--data "$body")
  got=$(call "$m" "$@" "${d[@]}" "$BASE$path")
  [ "$got" = "$want" ] || { cat "$T/body" >&2; fail "$m $path $body: $got, not $want"; }; pass
  eq "$(jq -r .code "$T/body")" "$code" "$m $path $body: code"
}
# bad_each METHOD PATH [curl args…] <<<"STATUS CODE BODY" lines: bad on each
bad_each() {
  local m=$1 path=$2 want code body; shift 2
  while read -r want code body <&3; do bad "$want" "$code" "$m" "$path" "$body" "$@"; done 3<&0 </dev/null
}

# ---- sign-up: the tenant and its admin ----------------------------------------
eq "$(post --data '{"slug":"shop","name":"My Shop","email":"owner@shop.test","password":"shop-password-1","services":["crm","cms"]}' "$BASE/v1/auth/register")" 201 "sign-up"
SHOP=$(jq -r .tenant.id "$T/body")
A=(-H "Authorization: Bearer $(jq -r .access_token "$T/body")")

# ---- 1. the document right after sign-up -----------------------------------------
eq "$(onb)" 200 "GET /v1/onboarding"
cp "$T/body" "$T/first"
eq "$(jq -r '[.steps[] | "\(.n):\(.step)"] | join(",")' "$T/body")" "1:store,2:database,3:payments,4:credits,5:profile" "five steps in order"
eq "$(jq -r '[.steps[] | "\(.step)=\(.required)/\(.skippable)"] | join(",")' "$T/body")" \
  "store=true/false,database=true/false,payments=false/true,credits=false/true,profile=true/false" "required and skippable"
eq "$(jq -r '[.steps[] | .status] | join(",")' "$T/body")" "done,pending,pending,pending,pending" "only the store is done"
eq "$(jq -r '"\(.complete) \(.next)"' "$T/body")" "false database" "not complete, the database next"
eq "$(jq -r '.tenant.id + " " + .tenant.slug + " " + .tenant.name' "$T/body")" "$SHOP shop My Shop" "the tenant"
eq "$(step_field store '.store.slug + " " + .store.name')" "shop My Shop" "the store step"
eq "$(step_field database '.database.kind + " " + .database.backend')" "embedded $BACKEND" "the database the platform gave"
BAL=$(step_field credits .credits.balance)
eq "$(call GET "${A[@]}" "$BASE/v1/credits")" 200 "the credits"
eq "$BAL" "$(jq -r .balance "$T/body")" "the step shows the balance of /v1/credits"

# ---- 2. store ----------------------------------------------------------------------
eq "$(call PUT "${A[@]}" --data '{"name":"New Name"}' "$BASE/v1/onboarding/store")" 200 "rename the store"
eq "$(jq -r '.tenant.name + "|" + (.steps[0].store.name) + "|" + .steps[0].status' "$T/body")" "New Name|New Name|done" "the answer is the document"
eq "$(onb)" 200 "read back"
eq "$(jq -r '.tenant.name + " " + .tenant.slug' "$T/body")" "New Name shop" "renamed, the slug kept"
expect_rc 0 td tenant show shop --json
eq "$(jq -r .name "$T/out")" "New Name" "the catalog has the new name"
LONG=$(printf 'n%.0s' $(seq 1000))
bad_each PUT /v1/onboarding/store "${A[@]}" <<EOF
400 invalid_request {"slug":"x"}
400 invalid_request {"name":"Other","slug":"other"}
400 unknown_field {"name":"Other","colour":"red"}
400 invalid_request {"name":""}
400 invalid_request {"name":"$LONG"}
400 invalid_request {"name":7}
400 invalid_request {}
400 malformed_json {"name":
EOF
eq "$(onb)" 200 "read back after bad input"
eq "$(jq -r '.tenant.name + " " + .tenant.slug' "$T/body")" "New Name shop" "bad input changed nothing"
expect_rc 0 td tenant show shop --json
eq "$(jq -r '.name + " " + .slug' "$T/out")" "New Name shop" "nor in the catalog"

# ---- 3. database: bad input first (the step stays pending) ---------------------------
bad 400 invalid_request PUT /v1/onboarding/database '{"kind":"nope"}' "${A[@]}"
bad 400 invalid_request PUT /v1/onboarding/database '{}' "${A[@]}"
bad 400 unknown_field PUT /v1/onboarding/database '{"kind":"embedded","x":1}' "${A[@]}"
bad 400 invalid_database_url PUT /v1/onboarding/database '{"kind":"postgres","url":"mysql://x"}' "${A[@]}"
# only a host by name or address, a user and a password: no local socket,
# no stored credentials, no host list, no libpq settings
for u in 'postgres://u:p@/db?host=/var/run/postgresql' 'postgres://u@127.0.0.1:1/db' \
         'postgres://u:p@127.0.0.1:1/db?connect_timeout=0' 'postgres://u:p@h1,h2/db' \
         'postgres://u:p@127.0.0.1:1/db?service=ops' 'postgres://u:p@127.0.0.1:1/db?passfile=/root/.pgpass' \
         'postgres://:p@127.0.0.1:1/db' 'postgres://u:p@127.0.0.1:1/db?options=-c%20x%3Dy'; do
  bad 400 invalid_database_url PUT /v1/onboarding/database "{\"kind\":\"postgres\",\"url\":\"$u\"}" "${A[@]}"
done
bad 400 invalid_database_url PUT /v1/onboarding/database '{"kind":"postgres","url":"postgres://u:secretpw@[nope/db"}' "${A[@]}"
expect_not_contains "$T/body" secretpw
bad 400 database_unreachable PUT /v1/onboarding/database '{"kind":"postgres","url":"postgres://u:secretpw@127.0.0.1:1/db"}' "${A[@]}"
expect_not_contains "$T/body" secretpw
eq "$(status_of database)" pending "bad input changed nothing"
eq "$(step_field database .database.kind)" embedded "still embedded"
eq "$(call PUT "${A[@]}" --data '{"kind":"embedded"}' "$BASE/v1/onboarding/database")" 200 "keep the embedded database"
eq "$(step_field database '.status + " " + .database.kind + " " + .database.backend')" "done embedded $BACKEND" "the database step is done"
eq "$(jq -r .next "$T/body")" payments "the payments next"
eq "$(call PUT "${A[@]}" --data '{"kind":"embedded"}' "$BASE/v1/onboarding/database")" 200 "a step taken again"
eq "$(step_field database .status)" done "still done"

# ---- 4. payments ----------------------------------------------------------------------
SK=sk_test_abcdefgh12345678
eq "$(call PUT "${A[@]}" --data "{\"provider\":\"stripe\",\"secret_key\":\"$SK\",\"public_key\":\"pk_test_x\"}" "$BASE/v1/onboarding/payments")" 200 "payment keys"
expect_not_contains "$T/body" "$SK"
eq "$(step_field payments .status)" done "the payments step is done"
eq "$(step_field payments '[.. | objects | .secret_key_hint? // empty][0] | endswith("5678")')" true "the key's last four as a hint"
eq "$(step_field payments '[.. | objects | .provider? // empty][0] + " " + [.. | objects | .public_key? // empty][0]')" "stripe pk_test_x" "provider and public key shown"
eq "$(onb)" 200 "read back"
expect_not_contains "$T/body" "$SK"
expect_not_contains "$T/body" "abcdefgh1234"
eq "$(step_field payments '[.. | objects | .secret_key_hint? // empty][0] | endswith("5678")')" true "the hint read back"
bad_each PUT /v1/onboarding/payments "${A[@]}" <<EOF
400 invalid_request {"provider":"stripe","secret_key":"sk_1"}
400 invalid_request {"provider":"stripe","secret_key":"sk_$(printf 'x%.0s' $(seq 300))"}
400 invalid_request {"provider":"stripe","secret_key":"sk_test_zzzz\u0001zzzz9999"}
400 invalid_request {"provider":"stripe","secret_key":12345678901}
400 invalid_request {"provider":"stripe","secret_key":"sk_test_zzzzzzzz9999","webhook_secret":"short"}
400 invalid_request {"secret_key":"sk_test_zzzzzzzz9999"}
400 invalid_request {"provider":"","secret_key":"sk_test_zzzzzzzz9999"}
400 unknown_field {"provider":"stripe","secret_key":"sk_test_zzzzzzzz9999","currency":"eur"}
EOF
eq "$(onb)" 200 "read back after bad keys"
eq "$(step_field payments '[.. | objects | .secret_key_hint? // empty][0] | endswith("5678")')" true "bad keys changed nothing"
WH=whsec_0123456789abcdef0123
eq "$(call PUT "${A[@]}" --data "{\"provider\":\"stripe\",\"secret_key\":\"$SK\",\"public_key\":\"pk_test_x\",\"webhook_secret\":\"$WH\"}" "$BASE/v1/onboarding/payments")" 200 "keys with a webhook secret"
expect_not_contains "$T/body" "$WH"
if [ "$BACKEND" = sqlite ]; then
  for f in "$DATA"/catalog.db*; do
    ! grep -aqF "$SK" "$f" || fail "the secret key is in $f in clear"; pass
    ! grep -aqF "$WH" "$f" || fail "the webhook secret is in $f in clear"; pass
  done
else
  pg_dump -a "$TENANTD_CATALOG_URL" >"$T/catalog.sql"
  expect_not_contains "$T/catalog.sql" "$SK"
  expect_not_contains "$T/catalog.sql" "$WH"
  rm -f "$T/catalog.sql"
fi

# ---- 5. skip ---------------------------------------------------------------------------
eq "$(call POST "${A[@]}" "$BASE/v1/onboarding/credits/skip")" 200 "skip the credits"
eq "$(step_field credits .status)" skipped "credits skipped"
eq "$(call POST "${A[@]}" "$BASE/v1/onboarding/payments/skip")" 200 "skip the payments, done already"
eq "$(step_field payments .status)" done "a done step stays done"
bad 409 step_not_skippable POST /v1/onboarding/profile/skip '' "${A[@]}"
bad 409 step_not_skippable POST /v1/onboarding/database/skip '' "${A[@]}"
bad 409 step_not_skippable POST /v1/onboarding/store/skip '' "${A[@]}"
bad 404 step_not_found POST /v1/onboarding/nosuch/skip '' "${A[@]}"
eq "$(status_of profile)" pending "a refused skip changed nothing"
eq "$(jq -r '"\(.complete) \(.next)"' "$T/body")" "false profile" "the profile next"

# ---- 6. credits: a paid checkout makes the step done, even after a skip ---------------
B0=$(call GET "${A[@]}" "$BASE/v1/credits" >/dev/null; jq -r .balance "$T/body")
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(key)" --data '{"credits":25,"provider":"test"}' "$BASE/v1/credits/purchase")" 201 "a test checkout"
CO=$(jq -r .id "$T/body")
eq "$(status_of credits)" skipped "a pending checkout is not a purchase"
eq "$(call POST "${A[@]}" -H "Idempotency-Key: $(key)" --data '{"card":"4242424242424242"}' "$BASE/v1/credits/checkouts/$CO/complete")" 200 "the good card pays"
eq "$(status_of credits)" done "the credits step is done"
eq "$(step_field credits .credits.balance)" $((B0 + 25)) "its balance"

# ---- 7. profile ---------------------------------------------------------------------------
PH='+44 20 7946 0958'
bad_each PUT /v1/onboarding/profile "${A[@]}" <<EOF
400 invalid_request {"company":"Acme","phone":"call me"}
400 invalid_request {"company":"Acme","phone":"1234"}
400 invalid_request {"company":"Acme","phone":"$(printf '1%.0s' $(seq 40))"}
400 invalid_request {"company":"Acme","phone":5551234}
400 invalid_request {"company":"","phone":"$PH"}
400 invalid_request {"phone":"$PH"}
400 invalid_request {"company":"Acme"}
400 invalid_request {"company":"$LONG","phone":"$PH"}
400 unknown_field {"company":"Acme","phone":"$PH","fax":"1"}
EOF
eq "$(status_of profile)" pending "bad profiles changed nothing"
eq "$(call PUT "${A[@]}" --data "{\"company\":\"Acme\",\"phone\":\"$PH\"}" "$BASE/v1/onboarding/profile")" 200 "the profile"
eq "$(step_field profile .status)" done "the profile step is done"
step_field profile . >"$T/profile"
expect_contains "$T/profile" Acme
expect_contains "$T/profile" "$PH"
# an avatar: a cms media row of the tenant with image bytes
upload() { curl -sS -o "$T/body" -w '%{http_code}' -X PUT "${A[@]}" -H "Content-Type: $1" --data-binary "$2" "$BASE/v1/cms/media/$3/content"; }
eq "$(post "${A[@]}" --data '{"filename":"me.png","content_type":"image/png"}' "$BASE/v1/cms/media")" 201 "a media row"
IMG=$(jq -r .id "$T/body")
printf '\x89PNG\r\n\x1a\n-avatar-bytes-' >"$T/me.png"
eq "$(upload image/png @"$T/me.png" "$IMG")" 200 "its bytes"
eq "$(post "${A[@]}" --data '{"filename":"empty.png","content_type":"image/png"}' "$BASE/v1/cms/media")" 201 "a media row without bytes"
EMPTY=$(jq -r .id "$T/body")
eq "$(post "${A[@]}" --data '{"filename":"notes.txt","content_type":"text/plain"}' "$BASE/v1/cms/media")" 201 "a text media row"
TXT=$(jq -r .id "$T/body")
eq "$(upload text/plain 'just words' "$TXT")" 200 "its text"
bad 400 invalid_avatar PUT /v1/onboarding/profile "{\"company\":\"Acme\",\"phone\":\"$PH\",\"avatar\":\"00000000-0000-4000-8000-000000000000\"}" "${A[@]}"
bad 400 invalid_avatar PUT /v1/onboarding/profile "{\"company\":\"Acme\",\"phone\":\"$PH\",\"avatar\":\"$EMPTY\"}" "${A[@]}"
bad 400 invalid_avatar PUT /v1/onboarding/profile "{\"company\":\"Acme\",\"phone\":\"$PH\",\"avatar\":\"$TXT\"}" "${A[@]}"
eq "$(onb)" 200 "read back"
step_field profile . >"$T/profile"
expect_not_contains "$T/profile" "$EMPTY"
expect_not_contains "$T/profile" "$TXT"
eq "$(call PUT "${A[@]}" --data "{\"company\":\"Acme Ltd\",\"phone\":\"$PH\",\"avatar\":\"$IMG\"}" "$BASE/v1/onboarding/profile")" 200 "the profile with an avatar"
eq "$(onb)" 200 "read back"
step_field profile . >"$T/profile"
expect_contains "$T/profile" "$IMG"
expect_contains "$T/profile" "Acme Ltd"

# ---- 8. complete ------------------------------------------------------------------------------
eq "$(jq -r '"\(.complete) \(.next)"' "$T/body")" "true null" "complete, nothing next"
eq "$(jq -r '[.steps[] | .status] | join(",")' "$T/body")" "done,done,done,done,done" "every step done"
cp "$T/body" "$T/shop.before"

# a tenant without cms has no avatar to give; an account owner switches in first
eq "$(post --data '{"slug":"plain","email":"owner@plain.test","password":"plain-password-1","services":[]}' "$BASE/v1/auth/register")" 201 "a tenant without cms"
P=(-H "Authorization: Bearer $(jq -r .access_token "$T/body")")
bad 400 invalid_avatar PUT /v1/onboarding/profile "{\"company\":\"Plain\",\"phone\":\"$PH\",\"avatar\":\"$IMG\"}" "${P[@]}"
eq "$(call POST "${P[@]}" "$BASE/v1/onboarding/payments/skip")" 200 "skip payments"
OWN=$(login '{"email":"owner@plain.test","password":"plain-password-1"}')
eq "$(post -H "Authorization: Bearer $OWN" "$BASE/v1/account/tenants/plain/session")" 200 "the owner switches into plain"
SW=(-H "Authorization: Bearer $(jq -r .access_token "$T/body")")
eq "$(call GET "${SW[@]}" "$BASE/v1/onboarding")" 200 "the switched-in owner reads"
eq "$(jq -r '.tenant.slug + " " + (.steps[2].status)' "$T/body")" "plain skipped" "its own tenant's steps"
eq "$(call GET -H "Authorization: Bearer $OWN" "$BASE/v1/onboarding")" 403 "an owner token without switching"

# ---- 10. who may ---------------------------------------------------------------------------------
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post "${A[@]}" --data '{"email":"mo@shop.test","password":"mo-password-123","role":"manager","services":["crm","cms"]}' "$BASE/v1/auth/users")" 201 "a manager"
MO=(-H "Authorization: Bearer $(login '{"tenant":"shop","email":"mo@shop.test","password":"mo-password-123"}')")
eq "$(post "${A[@]}" --data '{"email":"cy@shop.test","password":"cy-password-123","role":"client","services":["crm"]}' "$BASE/v1/auth/users")" 201 "a client"
CY=(-H "Authorization: Bearer $(login '{"tenant":"shop","email":"cy@shop.test","password":"cy-password-123"}')")
bad 403 forbidden GET /v1/onboarding '' "${MO[@]}"
bad 403 forbidden PUT /v1/onboarding/store '{"name":"Mo Shop"}' "${MO[@]}"
bad 403 forbidden POST /v1/onboarding/credits/skip '' "${MO[@]}"
bad 403 forbidden GET /v1/onboarding '' "${CY[@]}"
bad 403 forbidden PUT /v1/onboarding/profile "{\"company\":\"Cy\",\"phone\":\"$PH\"}" "${CY[@]}"
bad 403 forbidden GET /v1/onboarding '' -H "Authorization: Bearer $ROOT" -H 'X-Tenant: shop'
bad 403 forbidden PUT /v1/onboarding/store '{"name":"Root Shop"}' -H "Authorization: Bearer $ROOT" -H 'X-Tenant: shop'
# without X-Tenant the front door asks which tenant first, as on every tenant route
bad 400 tenant_required GET /v1/onboarding '' -H "Authorization: Bearer $ROOT"
eq "$(call GET "$BASE/v1/onboarding")" 401 "no token"
eq "$(call PUT --data '{"name":"Anon"}' "$BASE/v1/onboarding/store")" 401 "no token, no rename"
eq "$(post "${A[@]}" --data '{"name":"onb","role":"admin"}' "$BASE/v1/auth/api-keys")" 201 "an admin API key"
eq "$(call GET -H "X-API-Key: $(jq -r .key "$T/body")" "$BASE/v1/onboarding")" 200 "an admin key reads"
eq "$(jq -r .tenant.slug "$T/body")" shop "its tenant"
eq "$(post "${A[@]}" --data '{"name":"onb-ro","role":"admin","read_only":true}' "$BASE/v1/auth/api-keys")" 201 "a read-only admin key"
RO_KEY=$(jq -r .key "$T/body")
eq "$(call GET -H "X-API-Key: $RO_KEY" "$BASE/v1/onboarding")" 200 "a read-only admin key reads"
bad 403 read_only_key PUT /v1/onboarding/store '{"name":"RO Shop"}' -H "X-API-Key: $RO_KEY"
eq "$(onb)" 200 "read back"
eq "$(jq -r '.tenant.name + " " + ([.steps[] | .status] | join(","))' "$T/body")" "New Name done,done,done,done,done" "refused callers changed nothing"

# ---- 3b. bring your own PostgreSQL database (PostgreSQL only) -----------------------
if [ "$BACKEND" = postgres ]; then
  sfx=$(basename "$T" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
  rest=${TD_TEST_PG_URL#*://}; HOSTPORT=${rest#*@}; HOSTPORT=${HOSTPORT%%/*}
  OWNER=onb_own_$sfx OTHER=onb_other_$sfx
  OPW=own-pw-$RANDOM$RANDOM XPW=other-pw-$RANDOM$RANDOM
  OWN_ROLES+=("$OTHER" "$OWNER")
  pg "CREATE ROLE $OWNER LOGIN PASSWORD '$OPW'"
  pg "CREATE ROLE $OTHER LOGIN PASSWORD '$XPW'"
  OWNDB=onb_own_$sfx FULLDB=onb_full_$sfx
  OWN_DBS+=("$OWNDB" "$FULLDB")
  pg "CREATE DATABASE $OWNDB OWNER $OWNER"
  pg "CREATE DATABASE $FULLDB OWNER $OWNER"
  OWN_URL="postgres://$OWNER:$OPW@$HOSTPORT/$OWNDB"
  FULL_URL="postgres://$OWNER:$OPW@$HOSTPORT/$FULLDB"
  psql "$FULL_URL" -XAtq -v ON_ERROR_STOP=1 -c "CREATE SCHEMA auth; CREATE SCHEMA crm; CREATE TABLE crm.customers (id TEXT)"
  eq "$(post --data '{"slug":"byo","email":"owner@byo.test","password":"byo-password-1","services":["crm"]}' "$BASE/v1/auth/register")" 201 "a second tenant"
  BYO=$(jq -r .tenant.id "$T/body")
  B=(-H "Authorization: Bearer $(jq -r .access_token "$T/body")")
  for i in 1 2 3 4 5; do
    eq "$(post "${B[@]}" --data "{\"name\":\"Customer $i\"}" "$BASE/v1/crm/customers")" 201 "a crm row $i"
  done
  bring() { call PUT "${B[@]}" --data "{\"kind\":\"postgres\",\"url\":\"$1\"}" "$BASE/v1/onboarding/database"; }
  no_secrets() { # no_secrets WHAT: the body names no password
    local w
    for w in "$OPW" "$XPW" wrong-pw-; do grep -qF -- "$w" "$T/body" && { cat "$T/body" >&2; fail "$1: the body shows a password"; }; done
    pass
  }
  bad 400 database_auth_failed PUT /v1/onboarding/database "{\"kind\":\"postgres\",\"url\":\"postgres://$OWNER:wrong-pw-$$@$HOSTPORT/$OWNDB\"}" "${B[@]}"
  no_secrets "wrong password"
  bad 400 database_not_found PUT /v1/onboarding/database "{\"kind\":\"postgres\",\"url\":\"postgres://$OWNER:$OPW@$HOSTPORT/onb_none_$sfx\"}" "${B[@]}"
  no_secrets "no such database"
  bad 400 database_not_permitted PUT /v1/onboarding/database "{\"kind\":\"postgres\",\"url\":\"postgres://$OTHER:$XPW@$HOSTPORT/$OWNDB\"}" "${B[@]}"
  no_secrets "no right to create schemas"
  bad 409 database_not_empty PUT /v1/onboarding/database "{\"kind\":\"postgres\",\"url\":\"$FULL_URL\"}" "${B[@]}"
  no_secrets "the tenant's schemas there already"
  eq "$(call GET "${B[@]}" "$BASE/v1/onboarding")" 200 "read back"
  eq "$(step_field database '.status + " " + .database.kind')" "pending embedded" "refused databases changed nothing"
  eq "$(psql "$OWN_URL" -XAtq -c "SELECT count(*) FROM information_schema.schemata WHERE schema_name IN ('auth','crm')")" 0 "nothing made in the brought database"

  eq "$(bring "$OWN_URL")" 202 "bring the tenant's own database"
  no_secrets "the 202"
  JOB=$(jq -r .job.id "$T/body")
  [ -n "$JOB" ] && [ "$JOB" != null ] || { cat "$T/body" >&2; fail "no job id"; }; pass
  eq "$(jq -r .job.kind "$T/body")" tenant.move "a move job"
  eq "$(jq -r '.onboarding.steps[] | select(.step == "database") | .status' "$T/body")" in_progress "the step is in progress"
  # a second bring while the first runs (or once it is done) is refused
  code=$(bring "$OWN_URL")
  [ "$code" = 409 ] || { cat "$T/body" >&2; fail "a second bring: $code"; }; pass
  case "$(jq -r .code "$T/body")" in move_in_progress | database_already_brought) pass ;; *) cat "$T/body" >&2; fail "a second bring's code" ;; esac
  st=
  for _ in $(seq 1 600); do
    call GET "${B[@]}" "$BASE/v1/onboarding" >/dev/null
    st=$(step_field database .status)
    [ "$st" = in_progress ] || break
    sleep 0.1
  done
  [ "$st" = done ] || { cat "$T/body" >&2; fail "the database step ended $st"; }; pass
  no_secrets "the document after the move"
  eq "$(step_field database .database.kind)" postgres "the tenant's data is on its own database"
  eq "$(call GET "${B[@]}" "$BASE/v1/crm/customers?limit=100")" 200 "the rows through the API"
  eq "$(jq -r '[.items[].name] | sort | join(",")' "$T/body")" "Customer 1,Customer 2,Customer 3,Customer 4,Customer 5" "every row moved"
  eq "$(post "${B[@]}" --data '{"name":"Customer 6"}' "$BASE/v1/crm/customers")" 201 "a write after the move"
  eq "$(psql "$OWN_URL" -XAtq -c "SELECT count(*) FROM crm.customers")" 6 "the rows are in the brought database"
  for _ in $(seq 1 100); do
    [ "$(pg "SELECT count(*) FROM pg_database WHERE datname = 'td_${BYO//-/}'")" = 0 ] && break
    sleep 0.1
  done
  eq "$(pg "SELECT count(*) FROM pg_database WHERE datname = 'td_${BYO//-/}'")" 0 "the platform's copy is gone"
  catalog_sql "SELECT secret_enc FROM tenant_databases WHERE tenant_id = '$BYO'" >"$T/sealed"
  grep -q '^v1\.' "$T/sealed" || { cat "$T/sealed" >&2; fail "the URL is not sealed"; }; pass
  expect_not_contains "$T/sealed" "$OPW"
  expect_not_contains "$T/sealed" "$OWNDB"
  pg_dump -a "$TENANTD_CATALOG_URL" >"$T/catalog.sql"
  expect_not_contains "$T/catalog.sql" "$OPW"
  rm -f "$T/catalog.sql"
  bad 409 database_already_brought PUT /v1/onboarding/database "{\"kind\":\"postgres\",\"url\":\"$OWN_URL\"}" "${B[@]}"
  no_secrets "brought already"
  # another tenant cannot bring the database the first one lives in
  eq "$(post --data '{"slug":"byo2","email":"owner@byo2.test","password":"byo2-password-1","services":["crm"]}' "$BASE/v1/auth/register")" 201 "a third tenant"
  bad 409 database_not_empty PUT /v1/onboarding/database "{\"kind\":\"postgres\",\"url\":\"$OWN_URL\"}" -H "Authorization: Bearer $(jq -r .access_token "$T/body")"
  no_secrets "another tenant's database"
  eq "$(psql "$OWN_URL" -XAtq -c "SELECT count(*) FROM crm.customers")" 6 "the first tenant's rows untouched"
  # the brought database is the tenant's to write: a role it gives a user
  # there is never more than a tenant's
  psql "$OWN_URL" -XAtq -c "INSERT INTO auth.roles (name, description) VALUES ('superadmin', 'x'); UPDATE auth.users SET role = 'superadmin' WHERE email = 'owner@byo.test'" >/dev/null
  eq "$(post --data '{"tenant":"byo","email":"owner@byo.test","password":"byo-password-1"}' "$BASE/v1/auth/login")" 403 "a user the brought database calls superadmin is refused"
  eq "$(call GET "${B[@]}" -H 'X-Tenant: shop' "$BASE/v1/crm/customers")" 403 "its token from before opens no other tenant"
  psql "$OWN_URL" -XAtq -c "UPDATE auth.users SET role = 'admin' WHERE email = 'owner@byo.test'" >/dev/null
  # an unscoped admin only: a key held to crm cannot move the data elsewhere
  eq "$(post "${B[@]}" --data '{"name":"crm only","role":"admin","services":["crm"]}' "$BASE/v1/auth/api-keys")" 201 "a crm-only admin key"
  bad 403 forbidden PUT /v1/onboarding/database "{\"kind\":\"postgres\",\"url\":\"$FULL_URL\"}" -H "X-API-Key: $(jq -r .key "$T/body")"
  for w in "$OPW" "$XPW" wrong-pw- secretpw; do expect_not_contains "$T/server.log" "$w"; done
fi

# ---- the switch off: TENANTD_BRING_DATABASE=0 --------------------------------------------------
stop_server
TENANTD_BRING_DATABASE=0 start_server
A=(-H "Authorization: Bearer $(login '{"tenant":"shop","email":"owner@shop.test","password":"shop-password-1"}')")
bad 403 bring_database_disabled PUT /v1/onboarding/database '{"kind":"postgres","url":"postgres://u:secretpw@127.0.0.1:1/db"}' "${A[@]}"
expect_not_contains "$T/body" secretpw
eq "$(status_of database)" done "the embedded database stays"

# ---- 9. the state survives a restart ------------------------------------------------------------
stop_server
start_server
A=(-H "Authorization: Bearer $(login '{"tenant":"shop","email":"owner@shop.test","password":"shop-password-1"}')")
eq "$(onb)" 200 "after a restart"
for f in '.complete' '.next' '.tenant' '[.steps[] | {step, status}]' '.steps[4]' '.steps[2]'; do
  eq "$(jq -c "$f" "$T/body")" "$(jq -c "$f" "$T/shop.before")" "after a restart: $f"
done
if [ "$BACKEND" = postgres ]; then
  B=(-H "Authorization: Bearer $(login '{"tenant":"byo","email":"owner@byo.test","password":"byo-password-1"}')")
  eq "$(call GET "${B[@]}" "$BASE/v1/onboarding")" 200 "byo after a restart"
  eq "$(step_field database '.status + " " + .database.kind')" "done postgres" "still on its own database"
  eq "$(call GET "${B[@]}" "$BASE/v1/crm/customers?limit=100")" 200 "its rows after a restart"
  eq "$(jq -r '.items | length' "$T/body")" 6 "all six"
  ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
  eq "$(call DELETE -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/byo")" 204 "delete byo"
  eq "$(psql "$OWN_URL" -XAtq -c "SELECT count(*) FROM information_schema.schemata WHERE schema_name IN ('auth','crm')")" 0 "its schemas are gone, the database stays"
  pg "DROP DATABASE $OWNDB WITH (FORCE)"
  pg "DROP DATABASE $FULLDB WITH (FORCE)"
  pg "DROP ROLE $OWNER"
  pg "DROP ROLE $OTHER"
  OWN_DBS=() OWN_ROLES=()
fi

# ---- audit: the changes recorded with their actor -------------------------------------------------
for _ in $(seq 1 50); do
  [ "$(catalog_sql "SELECT count(*) FROM audit_log WHERE tenant_id = '$SHOP' AND action LIKE 'onboarding.%'")" -ge 5 ] && break
  sleep 0.2
done
N=$(catalog_sql "SELECT count(*) FROM audit_log WHERE tenant_id = '$SHOP' AND action LIKE 'onboarding.%'")
[ "$N" -ge 5 ] || { catalog_sql "SELECT action FROM audit_log WHERE tenant_id = '$SHOP'" >&2; fail "onboarding changes audited: $N"; }; pass
eq "$(catalog_sql "SELECT count(*) FROM audit_log WHERE tenant_id = '$SHOP' AND action LIKE 'onboarding.%' AND actor_kind NOT IN ('user', 'apikey', 'api_key')")" 0 "by the tenant's admin"
catalog_sql "SELECT * FROM audit_log WHERE tenant_id = '$SHOP'" >"$T/audit"
expect_not_contains "$T/audit" "$SK"
expect_not_contains "$T/audit" "$WH"
expect_rc 0 td audit verify
for w in "$SK" "$WH" secretpw; do expect_not_contains "$T/server.log" "$w"; done
stop_server
for f in "$T"/server.*.log; do
  for w in "$SK" "$WH" secretpw; do expect_not_contains "$f" "$w"; done
done
done_ok
