#!/usr/bin/env bash
# Self-service sign-up: closed unless TENANTD_REGISTRATION=1 (GET
# /v1/auth/register says which); then one call makes a tenant and its
# first admin and answers like a login.
. "$(dirname "$0")/lib.sh"
td_init
start_server
eq "$(post --data '{"slug":"shop","email":"me@shop.test","password":"shop-password-1"}' "$BASE/v1/auth/register")" 404 "closed by default"
eq "$(jq -r .code "$T/body")" registration_closed "closed code"
eq "$(get "$BASE/v1/auth/register")" 200 "is sign-up open? (public)"
eq "$(jq -c . "$T/body")" '{"open":false}' "closed, the server says"
stop_server
TENANTD_REGISTRATION=1 start_server
eq "$(get "$BASE/v1/auth/register")" 200 "is sign-up open?"
eq "$(jq -c . "$T/body")" '{"open":true}' "open, the server says"
eq "$(post --data '{"slug":"shop","name":"My Shop","email":"me@shop.test","password":"shop-password-1","services":["crm"]}' "$BASE/v1/auth/register")" 201 "sign-up"
eq "$(jq -r '.user.role + " " + .tenant.slug + " " + (.services|join(","))' "$T/body")" "admin shop auth,crm" "sign-up answer"
TOK=$(jq -r .access_token "$T/body")
eq "$(curl -sS -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" "$BASE/v1/auth/users")" 200 "the new admin manages users"
expect_rc 0 td tenant show shop --json
eq "$(jq -r '.name + " " + .status' "$T/out")" "My Shop active" "tenant recorded"
eq "$(post --data '{"slug":"shop","email":"x@shop.test","password":"shop-password-1"}' "$BASE/v1/auth/register")" 409 "slug taken"
for body in '{"slug":"../x","email":"a@b.test","password":"long-enough-1"}' \
            '{"slug":"fine","email":"bad","password":"long-enough-1"}' \
            '{"slug":"fine","email":"a@b.test","password":"short"}' \
            '{"slug":"fine","email":"a@b.test","password":"long-enough-1","role":"superadmin"}' \
            '{"slug":"fine","email":"a@b.test","password":"long-enough-1","services":["nosuch"]}' \
            '{"slug":"admin","email":"a@b.test","password":"long-enough-1"}'; do
  code=$(post --data "$body" "$BASE/v1/auth/register"); [ "$code" = 400 ] || { cat "$T/body"; fail "$body: $code"; }; pass
done
expect_rc 1 td tenant show fine
done_ok
