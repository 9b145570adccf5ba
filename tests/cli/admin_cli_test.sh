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
# at a terminal: asked for, and what is typed after the prompt is not
# echoed (the password is written once the prompt is shown)
mkfifo "$T/keys"
script -qec "$(printf '%q ' "$TD_BIN" admin reset-password root@example.com --data "$DATA")" /dev/null <"$T/keys" >"$T/tty" 2>&1 &
tty_pid=$!
exec 7>"$T/keys"
for _ in $(seq 1 300); do grep -q "typed text is not shown" "$T/tty" 2>/dev/null && break; sleep 0.1; done
expect_contains "$T/tty" "typed text is not shown"
printf 'tty-root-password-2\n' >&7
exec 7>&-
wait $tty_pid || { cat "$T/tty"; fail "reset at a terminal"; }; pass
expect_contains "$T/tty" "is reset"
expect_not_contains "$T/tty" "tty-root-password-2"
eq "$(login_as tty-root-password-2)" 200 "the password typed at the terminal"
NEW=$(jq -r .access_token "$T/body")
eq "$(get -H "Authorization: Bearer $NEW" "$BASE/v1/admin/audit?action=admin.password_reset")" 200 "audit"
eq "$(jq -r '.items[0].actor_kind + " " + .items[0].outcome' "$T/body")" "cli ok" "the reset, by the CLI"
expect_not_contains "$T/body" "new-root-password-1"
eq "$(jq '.items | length' "$T/body")" 2 "two resets recorded"
stop_server
done_ok
