#!/usr/bin/env bash
# tenantd version / --version (the version, the commit built, the linked
# libraries' run-time versions) and tenantd admin reset-password EMAIL
# (a lost superadmin password reset from the machine): the new password
# signs in, the old one does not, the superadmin's refresh and access
# tokens end (in a running server too), weak passwords and unknown emails
# are refused and change nothing, the reset is audited.
. "$(dirname "$0")/lib.sh"

# ---- version --------------------------------------------------------------------
"$TD_BIN" version >"$T/v1"; "$TD_BIN" --version >"$T/v2"
cmp -s "$T/v1" "$T/v2" || fail "--version differs from version"; pass
head -1 "$T/v1" | grep -Eq '^tenantd [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)$' ||
  fail "first line: $(head -1 "$T/v1")"; pass
"$TD_BIN" version --json >"$T/vj"
for lib in libmicrohttpd jansson libsodium sqlite libpq zstd; do
  v=$(jq -r ".libraries.$lib" "$T/vj")
  [[ $v =~ ^[0-9]+\.[0-9]+ ]] || fail "$lib version '$v'"; pass
done
eq "$(jq -r .libraries.sqlite "$T/vj")" "$(sqlite3 --version | cut -d' ' -f1)" "SQLite's own version"

# ---- reset-password ---------------------------------------------------------------
td_init
start_server
login_as() { curl -sS -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data "{\"email\":\"root@example.com\",\"password\":\"$1\"}" "$BASE/v1/auth/login"; }
eq "$(login_as root-password-1)" 200 "the first password"
OLD=$(jq -r .access_token "$T/body"); REF=$(jq -r .refresh_token "$T/body")
eq "$(get -H "Authorization: Bearer $OLD" "$BASE/v1/auth/me")" 200 "its token works"

echo 'short' | expect_rc 2 td admin reset-password root@example.com
expect_contains "$T/err" "8 to 1024"
echo 'password' | expect_rc 2 td admin reset-password root@example.com
echo 'new-root-password-1' | expect_rc 1 td admin reset-password nobody@example.com
expect_contains "$T/err" "no superadmin has this email"
expect_rc 2 td admin reset-password not-an-email </dev/null
expect_rc 2 td admin reset-password
expect_rc 2 td admin rename root@example.com
eq "$(login_as root-password-1)" 200 "refusals changed nothing"

echo 'new-root-password-1' | expect_rc 0 td admin reset-password ROOT@example.com
expect_contains "$T/out" "is reset"
eq "$(login_as root-password-1)" 401 "the old password is refused"
eq "$(login_as new-root-password-1)" 200 "the new one signs in"
NEW=$(jq -r .access_token "$T/body")
eq "$(post --data "{\"refresh_token\":\"$REF\"}" "$BASE/v1/auth/refresh")" 401 "the old refresh token ended"
code=0
for _ in $(seq 1 50); do # the server reads the catalog's revocations every second or so
  code=$(get -H "Authorization: Bearer $OLD" "$BASE/v1/auth/me"); [ "$code" = 401 ] && break; sleep 0.2
done
eq "$code" 401 "the old access token ended in the running server"
eq "$(get -H "Authorization: Bearer $NEW" "$BASE/v1/admin/audit?action=admin.password_reset")" 200 "audit"
eq "$(jq -r '.items[0].actor_kind + " " + .items[0].outcome' "$T/body")" "cli ok" "the reset, by the CLI"
expect_not_contains "$T/body" "new-root-password-1"
eq "$(jq '.items | length' "$T/body")" 1 "one reset recorded"
stop_server
done_ok
