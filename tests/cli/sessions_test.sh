#!/usr/bin/env bash
# What ends a session, over HTTP on the current backend: a password change
# (own or by an admin), a disable and a deletion end every refresh token
# and access token of the user, a superadmin's own password change ends
# its; logout ends its session (the refresh token stops too) and
# logout?all=true ends every one; a reused refresh token ends everything;
# a token issued right after a revocation lives (generations, not seconds);
# a superadmin removed or disabled in the catalog loses its tokens at once.
. "$(dirname "$0")/lib.sh"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
A=(-H "Authorization: Bearer $ADA")

# user U: logs in twice (two sessions)
user() { # EMAIL: creates a client with crm, prints its id
  call POST "${A[@]}" --data "{\"email\":\"$1\",\"password\":\"u-secret-pw-1\",\"role\":\"client\",\"services\":[\"crm\"]}" "$BASE/v1/auth/users" >/dev/null
  jq -r .id "$T/body"
}
session() { # EMAIL [PASSWORD]: logs in; sets TOK and REF
  TOK=$(login "{\"tenant\":\"acme\",\"email\":\"$1\",\"password\":\"${2:-u-secret-pw-1}\"}")
  REF=$(jq -r .refresh_token "$T/login")
  [ "$TOK" != null ] || { cat "$T/login"; fail "login $1"; }
}
refresh() { post --data "{\"refresh_token\":\"$1\"}" "$BASE/v1/auth/refresh"; }
me() { get -H "Authorization: Bearer $1" "$BASE/v1/auth/me"; }
claims() { # TOKEN: its payload
  local p; p=$(echo "$1" | cut -d. -f2 | tr '_-' '/+')
  while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done
  echo "$p" | base64 -d
}

# --- logout ends its session; the other session lives
U1=$(user u1@acme.test)
session u1@acme.test; T1=$TOK R1=$REF
session u1@acme.test; T2=$TOK R2=$REF
eq "$(call POST -H "Authorization: Bearer $T1" "$BASE/v1/auth/logout")" 204 "logout"
eq "$(me "$T1")" 401 "the logged-out access token stops"
eq "$(refresh "$R1")" 401 "the logged-out session's refresh token stops"
eq "$(jq -r .code "$T/body")" invalid_grant "an ended session is an invalid grant, not a reuse"
eq "$(me "$T2")" 200 "the other session's access token lives"
eq "$(refresh "$R2")" 200 "the other session still refreshes"
T2=$(jq -r .access_token "$T/body"); R2=$(jq -r .refresh_token "$T/body")
eq "$(claims "$T2" | jq -r '.sid|length')" 36 "tokens name their session"
[ "$(claims "$T2" | jq -r .gen)" -gt 0 ] || fail "tokens carry their generation"; pass

# --- logout?all=true ends every session of the caller
session u1@acme.test; T3=$TOK R3=$REF
eq "$(call POST -H "Authorization: Bearer $T3" "$BASE/v1/auth/logout?all=maybe")" 400 "all must be true or false"
eq "$(call POST -H "Authorization: Bearer $T3" "$BASE/v1/auth/logout?all=true")" 204 "logout everywhere"
for t in "$T2" "$T3"; do eq "$(me "$t")" 401 "every access token ends"; done
for r in "$R2" "$R3"; do eq "$(refresh "$r")" 401 "every refresh token ends"; done
session u1@acme.test
eq "$(me "$TOK")" 200 "a new login after logout everywhere works"

# --- own password change: every session and token of the user ends
session u1@acme.test; TA=$TOK RA=$REF
session u1@acme.test; TB=$TOK RB=$REF
eq "$(call POST -H "Authorization: Bearer $TA" --data '{"current_password":"u-secret-pw-1","new_password":"u-secret-pw-2"}' "$BASE/v1/auth/password")" 204 "password change"
for t in "$TA" "$TB"; do eq "$(me "$t")" 401 "access tokens end with the password"; done
for r in "$RA" "$RB"; do eq "$(refresh "$r")" 401 "refresh tokens end with the password"; done
# a login right after a change is never killed by it (same second, same millisecond)
for i in 1 2 3 4 5; do
  new="u-secret-pw-$((i + 2))"; old="u-secret-pw-$((i + 1))"
  session u1@acme.test "$old"
  call POST -H "Authorization: Bearer $TOK" --data "{\"current_password\":\"$old\",\"new_password\":\"$new\"}" "$BASE/v1/auth/password" >/dev/null
  session u1@acme.test "$new"
  eq "$(me "$TOK")" 200 "a token issued right after a password change lives ($i)"
  eq "$(refresh "$REF")" 200 "and so does its session ($i)"
done

# --- an admin's password reset, a disable, a deletion: the same
for how in password disable delete; do
  id=$(user "$how@acme.test")
  session "$how@acme.test"; TA=$TOK RA=$REF
  case $how in
    password) eq "$(call PATCH "${A[@]}" --data '{"password":"reset-secret-pw-1"}' "$BASE/v1/auth/users/$id")" 200 "admin resets a password" ;;
    disable) eq "$(call PATCH "${A[@]}" --data '{"disabled":true}' "$BASE/v1/auth/users/$id")" 200 "admin disables" ;;
    delete) eq "$(call DELETE "${A[@]}" "$BASE/v1/auth/users/$id")" 204 "admin deletes" ;;
  esac
  eq "$(me "$TA")" 401 "$how: the access token ends"
  eq "$(refresh "$RA")" 401 "$how: the refresh token ends"
done
# the CLI's disable ends sessions too
id=$(user cli@acme.test)
session cli@acme.test; TA=$TOK RA=$REF
expect_rc 0 td user disable cli@acme.test --tenant acme
# another process: the server reads the catalog's revocations every 2 s
for _ in $(seq 1 100); do [ "$(me "$TA")" = 401 ] && break; sleep 0.1; done
eq "$(me "$TA")" 401 "cli disable: the access token ends (within seconds)"
eq "$(refresh "$RA")" 401 "cli disable: the refresh token ends"
# a rename ends nothing
id=$(user keep@acme.test)
session keep@acme.test
eq "$(call PATCH "${A[@]}" --data '{"name":"Keep"}' "$BASE/v1/auth/users/$id")" 200 "rename"
eq "$(me "$TOK")" 200 "a rename keeps the user's tokens"
eq "$(refresh "$REF")" 200 "and its sessions"

# --- a reused refresh token ends every session of its user
id=$(user reuse@acme.test)
session reuse@acme.test; TA=$TOK RA=$REF
session reuse@acme.test; TB=$TOK RB=$REF
eq "$(refresh "$RA")" 200 "first use"
TC=$(jq -r .access_token "$T/body")
eq "$(refresh "$RA")" 401 "second use"
eq "$(jq -r .code "$T/body")" refresh_reused "a reuse is named"
for t in "$TA" "$TB" "$TC"; do eq "$(me "$t")" 401 "after a reuse every access token ends"; done
eq "$(refresh "$RB")" 401 "after a reuse every session ends"

# --- superadmins: own password change, removal and disable
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}'); R_ROOT=$(jq -r .refresh_token "$T/login")
ROOT2=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(call POST -H "Authorization: Bearer $ROOT" --data '{"current_password":"root-password-1","new_password":"root-password-2"}' "$BASE/v1/auth/password")" 204 "superadmin password change"
for t in "$ROOT" "$ROOT2"; do eq "$(me "$t")" 401 "superadmin tokens end with its password"; done
eq "$(refresh "$R_ROOT")" 401 "superadmin refresh token ends with its password"
ROOT=$(login '{"email":"root@example.com","password":"root-password-2"}')
eq "$(me "$ROOT")" 200 "the new password works at once"
catalog_exec "UPDATE platform_admins SET disabled = 1"
eq "$(me "$ROOT")" 401 "a disabled superadmin's token ends at once"
catalog_exec "UPDATE platform_admins SET disabled = 0"
eq "$(me "$ROOT")" 200 "enabled again (the token was never revoked)"
catalog_exec "DELETE FROM platform_sessions; DELETE FROM platform_admins"
eq "$(me "$ROOT")" 401 "a superadmin that no longer exists loses its token"
eq "$(jq -r .code "$T/body")" token_revoked "named token_revoked"
done_ok
