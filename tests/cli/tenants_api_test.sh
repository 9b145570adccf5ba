#!/usr/bin/env bash
# The platform's tenant routes with curl alone (SPEC §11): a superadmin
# creates, lists (with a cursor), reads, renames, suspends, resumes and
# deletes tenants; bad and mass-assigned bodies change nothing; a tenant
# admin reads only its own record and cannot act on the platform.
. "$(dirname "$0")/lib.sh"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
R=(-H "Authorization: Bearer $ROOT")

eq "$(call POST "${R[@]}" --data '{"slug":"acme","name":"Acme Inc","services":["crm"],"admin":{"email":"ada@acme.test","password":"ada-password-1"}}' "$BASE/v1/tenants")" 201 "create"
eq "$(jq -r '.slug + " " + .name + " " + .status + " " + (.services|join(",")) + " " + .backend' "$T/body")" "acme Acme Inc active auth,crm $BACKEND" "create shape"
ACME=$(jq -r .id "$T/body")
jq -e 'has("created_at")' "$T/body" >/dev/null || fail "created_at"; pass

# refusals that create nothing
eq "$(call POST "${R[@]}" --data '{"slug":"acme"}' "$BASE/v1/tenants")" 409 "slug taken"
eq "$(jq -r .code "$T/body")" slug_taken "409 code"
for body in '{"slug":"../x"}' '{"slug":"ACME"}' '{"slug":"admin"}' '{"slug":"ok-one","services":["nosuch"]}' \
            '{"slug":"ok-one","services":"crm"}' '{"slug":"ok-one","backend":"oracle"}' \
            '{"slug":"ok-one","admin":{"email":"bad","password":"long-enough-1"}}' \
            '{"slug":"ok-one","admin":{"email":"a@b.test","password":"short"}}' \
            '{"slug":"ok-one","admin":{"email":"a@b.test"}}' '{"slug":1}' '{"name":"no slug"}' \
            '{"slug":"ok-one","status":"active"}' '{"slug":"ok-one","id":"01a205e5-5006-7f08-a0f1-41e4fbf5c4a1"}' \
            '{"slug":"ok-one","admin":{"email":"a@b.test","password":"long-enough-1","role":"superadmin"}}' \
            "{\"slug\":\"ok-one\",\"name\":\"x'; DROP TABLE tenants; --\",\"services\":[\"crm'--\"]}"; do
  code=$(call POST "${R[@]}" --data "$body" "$BASE/v1/tenants")
  [ "$code" = 400 ] || { cat "$T/body"; fail "body $body: $code, want 400"; }; pass
done
eq "$(call POST "${R[@]}" --data '{"slug":"ok-one","name":"x'"'"'; DROP TABLE tenants; --"}' "$BASE/v1/tenants")" 201 "SQL-looking names are just text"
eq "$(jq -r .name "$T/body")" "x'; DROP TABLE tenants; --" "name kept verbatim"
OK1=$(jq -r .id "$T/body")

for s in beta gamma delta; do call POST "${R[@]}" --data "{\"slug\":\"$s\"}" "$BASE/v1/tenants" >/dev/null; done
# pagination visits every tenant once
seen=""; cursor=""
for _ in 1 2 3 4 5 6; do
  eq "$(call GET "${R[@]}" "$BASE/v1/tenants?limit=2${cursor:+&cursor=$cursor}")" 200 "page"
  seen="$seen $(jq -r '[.items[].slug]|join(" ")' "$T/body")"
  cursor=$(jq -r '.next_cursor // empty' "$T/body")
  [ -n "$cursor" ] || break
done
eq "$(echo $seen | tr ' ' '\n' | sort | tr '\n' ' ')" "acme beta delta gamma ok-one " "every tenant once"
for q in 'limit=0' 'limit=201' 'limit=x' 'status=bogus' 'cursor=../x'; do
  eq "$(call GET "${R[@]}" "$BASE/v1/tenants?$q")" 400 "bad query $q"
done
eq "$(call GET "${R[@]}" "$BASE/v1/tenants?status=active&limit=200")" 200 "filter by status"
eq "$(jq '.items|length' "$T/body")" 5 "five active"
# q: a part of the slug or the name, letters without case; % and _ are
# plain characters, and q pages with the cursor like the rest
slugs_for() { eq "$(call GET "${R[@]}" "$BASE/v1/tenants?$1")" 200 "search $1"; jq -r '[.items[].slug]|join(" ")' "$T/body"; }
eq "$(slugs_for 'q=ta')" "ok-one beta delta" "q in slugs (beta, delta) and a name (DROP TABLE)"
eq "$(slugs_for 'q=DROP%20TABLE')" "ok-one" "q in a name, another case"
eq "$(slugs_for 'q=%25')" "" "% is a plain character"
eq "$(slugs_for 'q=_')" "" "_ is a plain character"
eq "$(slugs_for 'q=x%27%3B')" "ok-one" "a quote is a plain character"
eq "$(slugs_for 'q=a&status=suspended')" "" "with a status"
eq "$(slugs_for 'q=ta&limit=2')" "ok-one beta" "a page of two"
eq "$(slugs_for "q=ta&limit=2&cursor=$(jq -r .next_cursor "$T/body")")" "delta" "the next page"
eq "$(call POST "${R[@]}" --data '{"slug":"ecole","name":"ÉCOLE Zürich"}' "$BASE/v1/tenants")" 201 "a name beyond ASCII"
eq "$(slugs_for 'q=Z%C3%BCr')" "ecole" "q beyond ASCII, as stored"
eq "$(slugs_for "q=$(printf '%%C3%%A9%.0s' {1..100})")" "" "100 characters of two bytes each"
for q in 'q=' "q=$(printf 'a%.0s' {1..101})" "q=$(printf '%%C3%%A9%.0s' {1..101})"; do
  eq "$(call GET "${R[@]}" "$BASE/v1/tenants?$q")" 400 "bad search ${q:0:12}"
done
eq "$(td tenant list --search LTA --json | jq -r '[.[].slug]|join(" ")')" "delta" "the CLI's --search"

eq "$(call GET "${R[@]}" "$BASE/v1/tenants/acme")" 200 "get by slug"
eq "$(jq -r .id "$T/body")" "$ACME" "get by slug id"
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/$ACME")" 200 "get by id"
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/nosuch")" 404 "unknown tenant"
eq "$(jq -r .code "$T/body")" tenant_not_found "404 code"
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/..%2F..%2Fetc")" 404 "path trick"
eq "$(call PATCH "${R[@]}" --data '{"name":"Acme Corporation"}' "$BASE/v1/tenants/acme")" 200 "rename"
eq "$(jq -r .name "$T/body")" "Acme Corporation" "renamed"
eq "$(call PATCH "${R[@]}" --data '{"slug":"evil"}' "$BASE/v1/tenants/acme")" 400 "slug is not writable"
eq "$(call PATCH "${R[@]}" --data '{"name":""}' "$BASE/v1/tenants/acme")" 400 "empty name"
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/acme")" 200 "after bad patches"
eq "$(jq -r '.slug + " " + .name' "$T/body")" "acme Acme Corporation" "bad patches changed nothing"

# a tenant admin: own record only, no platform writes
ADA=$(login '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}')
A=(-H "Authorization: Bearer $ADA")
eq "$(call GET "${A[@]}" "$BASE/v1/tenants/acme")" 200 "admin reads own tenant"
eq "$(call GET "${A[@]}" "$BASE/v1/tenants/beta")" 404 "admin cannot see another tenant"
eq "$(call GET "${A[@]}" "$BASE/v1/tenants")" 200 "admin lists"
eq "$(jq -r '[.items[].slug]|join(",")' "$T/body")" acme "admin lists only its own tenant"
eq "$(call POST "${A[@]}" --data '{"slug":"mine"}' "$BASE/v1/tenants")" 403 "admin cannot create tenants"
eq "$(call POST "${A[@]}" "$BASE/v1/tenants/acme/suspend")" 403 "admin cannot suspend"
eq "$(call DELETE "${A[@]}" "$BASE/v1/tenants/beta")" 404 "admin cannot delete another tenant"
eq "$(call GET -H "X-Tenant: beta" "${A[@]}" "$BASE/v1/tenants/acme")" 403 "X-Tenant switching"
eq "$(jq -r .code "$T/body")" tenant_mismatch "mismatch code"
eq "$(call GET "$BASE/v1/tenants")" 401 "no credentials"

# services: enable runs migrations, disable keeps the data
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/beta/services")" 200 "services"
eq "$(jq -r '[.items[].name]|join(",")' "$T/body")" auth "beta has auth only"
eq "$(call POST "${R[@]}" --data '{"service":"crm"}' "$BASE/v1/tenants/beta/services")" 200 "enable crm"
eq "$(jq -r '.services|join(",")' "$T/body")" "auth,crm" "crm enabled"
BETA=$(jq -r .id "$T/body")
eq "$(call POST "${R[@]}" --data '{"service":"crm"}' "$BASE/v1/tenants/beta/services")" 200 "enable again: no-op"
expect_rc 0 td check --json
eq "$(jq '[.checks[]|select(.name=="beta")][0].status' -r "$T/out")" ok "beta healthy with crm"
sql_beta() {
  if [ "$BACKEND" = sqlite ]; then sqlite3 "$DATA/tenants/$BETA/crm.db" "$1"
  else psql "${TD_TEST_PG_URL%/*}/td_$(echo "$BETA" | tr -d -)" -XAtq -c "$(echo "$1" | sed 's/ customers/ crm.customers/')"; fi
}
sql_beta "INSERT INTO customers (id, name, created_at, updated_at) VALUES ('c1', 'Kept', 'x', 'x')"
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/beta/services/crm")" 200 "disable crm"
eq "$(jq -r '.services|join(",")' "$T/body")" auth "crm disabled"
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/beta/services/auth")" 400 "auth stays"
eq "$(call POST "${R[@]}" --data '{"service":"nosuch"}' "$BASE/v1/tenants/beta/services")" 400 "unknown service"
eq "$(call POST "${R[@]}" --data '{"service":"crm","extra":1}' "$BASE/v1/tenants/beta/services")" 400 "unknown field"
eq "$(call POST "${R[@]}" --data '{"service":"crm"}' "$BASE/v1/tenants/beta/services")" 200 "enable crm again"
eq "$(sql_beta "SELECT name FROM customers WHERE id = 'c1'")" Kept "data kept across disable/enable"

# custom hostnames
eq "$(call POST "${R[@]}" --data '{"hostname":"crm.acme-corp.example"}' "$BASE/v1/tenants/acme/hostnames")" 201 "add hostname"
eq "$(call POST "${R[@]}" --data '{"hostname":"crm.acme-corp.example"}' "$BASE/v1/tenants/beta/hostnames")" 409 "hostname taken"
for h in 'nodots' 'UPPER.example' 'a..b' '-a.example' 'a-.example' 'x y.example' '../etc.example'; do
  eq "$(call POST "${R[@]}" --data "{\"hostname\":\"$h\"}" "$BASE/v1/tenants/acme/hostnames")" 400 "bad hostname $h"
done
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/acme/hostnames")" 200 "list hostnames"
eq "$(jq -r '[.items[].hostname]|join(",")' "$T/body")" crm.acme-corp.example "one hostname"
eq "$(curl -sS -o "$T/body" -w '%{http_code}' -X POST -H 'Host: crm.acme-corp.example' --data '{"email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 200 "login by custom hostname"
eq "$(jq -r .tenant.slug "$T/body")" acme "custom hostname resolves the tenant"
eq "$(call GET "${R[@]}" -H 'Host: crm.acme-corp.example' "$BASE/v1/auth/users")" 200 "superadmin in the Host's tenant"
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/acme/hostnames/crm.acme-corp.example")" 204 "remove hostname"
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/acme/hostnames/crm.acme-corp.example")" 404 "removed twice"

# lifecycle over HTTP
eq "$(call POST "${R[@]}" "$BASE/v1/tenants/acme/suspend")" 200 "suspend"
eq "$(jq -r .status "$T/body")" suspended "suspended"
eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/auth/login" --data '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}')" 403 "suspended tenant login"
eq "$(call POST "${R[@]}" "$BASE/v1/tenants/acme/retry")" 409 "retry of an active tenant"
eq "$(call POST "${R[@]}" "$BASE/v1/tenants/acme/resume")" 200 "resume"
eq "$(jq -r .status "$T/body")" active "resumed"
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/acme")" 204 "delete"
assert_tenant_gone "$ACME"
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/acme")" 404 "deleted tenant"
eq "$(call DELETE "${R[@]}" "$BASE/v1/tenants/$OK1")" 204 "delete by id"
eq "$(call GET -H "Authorization: Bearer $ADA" "$BASE/v1/tenants/acme")" 401 "a deleted tenant's admin token is revoked"
done_ok
