#!/usr/bin/env bash
# tenantd user add|list|disable and apikey create|list|revoke: what the CLI
# makes works over HTTP, what it revokes stops, bad arguments exit 2.
. "$(dirname "$0")/lib.sh"
td_init
td tenant create acme --services crm >/dev/null

expect_rc 0 bash -c "echo 'cy-password-1' | '$TD_BIN' user add cy@acme.test --tenant acme --role client --services crm --password-stdin --data '$DATA' --json"
eq "$(jq -r '.email + " " + .role + " " + (.services|join(","))' "$T/out")" "cy@acme.test client crm" "user add"
expect_rc 0 td user add boss@acme.test --tenant acme --role admin
expect_contains "$T/out" "shown once"
BOSS_PW=$(sed -n 's/^password: \([^ ]*\).*/\1/p' "$T/out")
expect_rc 0 td user list --tenant acme --json
eq "$(jq -r '[.[].email]|sort|join(",")' "$T/out")" "boss@acme.test,cy@acme.test" "user list"
expect_rc 0 td user list --tenant acme
expect_contains "$T/out" "EMAIL"
expect_rc 1 td user add cy@acme.test --tenant acme --role client
expect_contains "$T/err" "exists"
expect_rc 2 td user add x@acme.test --tenant acme --role superadmin
expect_rc 2 td user add x@acme.test --tenant acme --role client --services billing
expect_rc 2 td user add not-an-email --tenant acme --role client
expect_rc 2 td user add x@acme.test --role client
expect_rc 2 td user frob --tenant acme
expect_rc 1 td user list --tenant nosuch

start_server
login_code() { curl -sS -o "$T/body" -w '%{http_code}' -X POST "$BASE/v1/auth/login" --data "$1"; }
eq "$(login_code "{\"tenant\":\"acme\",\"email\":\"boss@acme.test\",\"password\":\"$BOSS_PW\"}")" 200 "generated password works"
eq "$(login_code '{"tenant":"acme","email":"cy@acme.test","password":"cy-password-1"}')" 200 "client logs in"
eq "$(jq -r '.services|join(",")' "$T/body")" crm "client services"
CY_TOKEN=$(jq -r .access_token "$T/body")
eq "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CY_TOKEN" "$BASE/v1/auth/me")" 200 "client token works"
expect_rc 0 td user disable cy@acme.test --tenant acme
eq "$(login_code '{"tenant":"acme","email":"cy@acme.test","password":"cy-password-1"}')" 401 "disabled user"
# the running server learns of the CLI's revocation within seconds
code=200
for _ in 1 2 3 4 5 6 7 8 9 10; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CY_TOKEN" "$BASE/v1/auth/me")
  [ "$code" = 401 ] && break
  sleep 0.5
done
eq "$code" 401 "a token of a user disabled by the CLI stops working in the server"

expect_rc 0 td apikey create --name ci --tenant acme --role manager --services crm --json
KEY=$(jq -r .key "$T/out"); KID=$(jq -r .id "$T/out")
eq "$(curl -sS -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY" "$BASE/v1/auth/me")" 200 "CLI tenant key works"
expect_rc 0 td apikey create --name ops --json
PKEY=$(jq -r .key "$T/out")
eq "$(curl -sS -o /dev/null -w '%{http_code}' -H "X-API-Key: $PKEY" "$BASE/v1/tenants")" 200 "CLI platform key works"
expect_rc 0 td apikey list --tenant acme --json
eq "$(jq -r '.[0].name' "$T/out")" ci "apikey list"
expect_not_contains "$T/out" "$KEY"
expect_rc 0 td apikey list
expect_contains "$T/out" "ops"
expect_rc 1 td apikey revoke "$KID"          # not a platform key
expect_rc 0 td apikey revoke "$KID" --tenant acme
eq "$(curl -sS -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY" "$BASE/v1/auth/me")" 401 "revoked by the CLI"
expect_rc 2 td apikey create --tenant acme --role manager
expect_rc 2 td apikey create --name x --tenant acme --role owner
expect_rc 2 td apikey create --name x --role admin
expect_rc 2 td apikey revoke
expect_rc 1 td apikey revoke ../x
done_ok
