#!/usr/bin/env bash
# Login, tokens and logout over HTTP (SPEC §11): a superadmin and a tenant
# admin log in; the token works for /v1/auth/me until logout, and keeps not
# working after a restart; wrong and unknown accounts get the same 401;
# forged, tampered and malformed tokens get 401 invalid_token; a suspended
# tenant's users get 403 tenant_suspended; bad bodies get 400; no password
# reaches the log.
. "$(dirname "$0")/lib.sh"
td_init
echo 'ada-password-1' | td tenant create acme --services crm --admin-email ada@acme.test --admin-password-stdin >/dev/null
start_server --log info


eq "$(post --data '{"email":"root@example.com","password":"root-password-1"}' "$BASE/v1/auth/login")" 200 "superadmin login"
eq "$(jq -r '.token_type + " " + (.expires_in|tostring) + " " + .user.role + " " + (.services|length|tostring)' "$T/body")" "Bearer 900 superadmin 0" "superadmin login shape"
eq "$(jq -r .user.email "$T/body")" root@example.com "login email"
jq -e '.refresh_token|startswith("tdr_")' "$T/body" >/dev/null || fail "refresh token"; pass
jq -e 'has("tenant")|not' "$T/body" >/dev/null || fail "superadmin login has no tenant"; pass
ROOT=$(jq -r .access_token "$T/body")

# the token's header pins EdDSA and names a published key
hdr=$(echo "$ROOT" | cut -d. -f1 | tr '_-' '/+'); while [ $(( ${#hdr} % 4 )) -ne 0 ]; do hdr="$hdr="; done
eq "$(echo "$hdr" | base64 -d | jq -r .alg)" EdDSA "alg"
kid=$(echo "$hdr" | base64 -d | jq -r .kid)
eq "$(get "$BASE/.well-known/jwks.json")" 200 "jwks"
eq "$(jq -r --arg k "$kid" '[.keys[]|select(.kid==$k)]|length' "$T/body")" 1 "kid published"

eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/auth/me")" 200 "me"
eq "$(jq -r '.role + " " + (.tenant_id|tostring)' "$T/body")" "superadmin null" "me shape"

# wrong password and unknown account: same answer
eq "$(post --data '{"email":"root@example.com","password":"wrong-password"}' "$BASE/v1/auth/login")" 401 "wrong password"
eq "$(jq -r .code "$T/body")" invalid_credentials "wrong password code"
eq "$(post --data '{"email":"nobody@example.com","password":"wrong-password"}' "$BASE/v1/auth/login")" 401 "unknown account"
eq "$(jq -r .code "$T/body")" invalid_credentials "unknown account code"

# tenant login (tenant in the body, or X-Tenant)
eq "$(post --data '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 200 "tenant login"
eq "$(jq -r '.user.role + " " + .tenant.slug + " " + (.services|join(","))' "$T/body")" "admin acme auth,crm" "tenant login shape"
ADA=$(jq -r .access_token "$T/body")
eq "$(post -H 'X-Tenant: acme' --data '{"email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 200 "tenant login by X-Tenant"
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/auth/me")" 200 "tenant me"
eq "$(jq -r .role "$T/body")" admin "tenant me role"
[ "$(jq -r .tenant_id "$T/body")" != null ] || fail "tenant me has a tenant"; pass
# the tenant admin is not a superadmin in another tenant or without one
eq "$(post --data '{"tenant":"nosuch","email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 401 "unknown tenant"
eq "$(post --data '{"email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 401 "tenant user without a tenant"
# the password is stored hashed in the session table, never the refresh token
if [ "$BACKEND" = sqlite ]; then
  id=$(td tenant show acme --json | jq -r .id)
  eq "$(sqlite3 "$DATA/tenants/$id/auth.db" "SELECT count(*) FROM sessions WHERE refresh_hash LIKE 'tdr_%'")" 0 "refresh tokens stored hashed"
fi

# refresh: rotation, and reuse revoking the family
RT=$(curl -sS -X POST "$BASE/v1/auth/login" --data '{"email":"root@example.com","password":"root-password-1"}' | jq -r .refresh_token)
eq "$(post --data "{\"refresh_token\":\"$RT\"}" "$BASE/v1/auth/refresh")" 200 "refresh"
RT2=$(jq -r .refresh_token "$T/body"); AT2=$(jq -r .access_token "$T/body")
[ "$RT2" != "$RT" ] || fail "refresh token not rotated"; pass
eq "$(jq -r .user.role "$T/body")" superadmin "refresh keeps the role"
eq "$(get -H "Authorization: Bearer $AT2" "$BASE/v1/auth/me")" 200 "refreshed access token works"
eq "$(post --data "{\"refresh_token\":\"$RT\"}" "$BASE/v1/auth/refresh")" 401 "reuse of a spent refresh token"
eq "$(jq -r .code "$T/body")" refresh_reused "reuse code"
eq "$(post --data "{\"refresh_token\":\"$RT2\"}" "$BASE/v1/auth/refresh")" 401 "the family is revoked"
eq "$(get -H "Authorization: Bearer $AT2" "$BASE/v1/auth/me")" 401 "the user's access tokens are revoked"
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/auth/me")" 200 "a login right after the revocation works (generations, not clocks)"
TRT=$(curl -sS -X POST "$BASE/v1/auth/login" --data '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}' | jq -r .refresh_token)
eq "$(post --data "{\"refresh_token\":\"$TRT\"}" "$BASE/v1/auth/refresh")" 200 "tenant refresh"
eq "$(jq -r '.user.role + " " + .tenant.slug + " " + (.services|join(","))' "$T/body")" "admin acme auth,crm" "tenant refresh shape"
for bad in '{"refresh_token":"nope"}' '{"refresh_token":"tdr_p_short"}' '{}' '{"refresh_token":"tdr_../../x_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}'; do
  code=$(post --data "$bad" "$BASE/v1/auth/refresh"); [ "$code" = 400 ] || fail "refresh $bad: $code"; pass
done
eq "$(post --data '{"refresh_token":"tdr_p_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}' "$BASE/v1/auth/refresh")" 401 "unknown refresh token"
eq "$(jq -r .code "$T/body")" invalid_grant "unknown refresh code"

# changing one's password ends every token held
post -H "Authorization: Bearer $ADA" --data '{"email":"pw@acme.test","password":"pw-password-1","role":"client"}' "$BASE/v1/auth/users" >/dev/null
PW=$(curl -sS -X POST "$BASE/v1/auth/login" --data '{"tenant":"acme","email":"pw@acme.test","password":"pw-password-1"}' | jq -r .access_token)
eq "$(post -H "Authorization: Bearer $PW" --data '{"current_password":"not-it-at-all","new_password":"pw-password-2"}' "$BASE/v1/auth/password")" 403 "wrong current password"
eq "$(post -H "Authorization: Bearer $PW" --data '{"current_password":"pw-password-1","new_password":"short"}' "$BASE/v1/auth/password")" 400 "weak new password"
eq "$(post -H "Authorization: Bearer $PW" --data '{"current_password":"pw-password-1","new_password":"pw-password-2"}' "$BASE/v1/auth/password")" 204 "password changed"
eq "$(get -H "Authorization: Bearer $PW" "$BASE/v1/auth/me")" 401 "old token ends"
eq "$(post --data '{"tenant":"acme","email":"pw@acme.test","password":"pw-password-2"}' "$BASE/v1/auth/login")" 200 "new password works"
if [ "$BACKEND" = sqlite ]; then
  id=$(td tenant show acme --json | jq -r .id)
  ! grep -q 'pw-password-2' "$DATA/tenants/$id/auth.db" || fail "plaintext password at rest"; pass
fi

# the tenant's auth.events keep logins, failures and password changes
if [ "$BACKEND" = sqlite ]; then
  id=$(td tenant show acme --json | jq -r .id)
  ev() { sqlite3 "$DATA/tenants/$id/auth.db" "SELECT count(*) FROM events e JOIN users u ON u.id = e.user_id WHERE u.email = '$1' AND e.kind = '$2'"; }
else
  ev() { psql "${TD_TEST_PG_URL%/*}/td_$(td tenant show acme --json | jq -r .id | tr -d -)" -XAtq -c "SELECT count(*) FROM auth.events e JOIN auth.users u ON u.id = e.user_id WHERE u.email = '$1' AND e.kind = '$2'"; }
fi
[ "$(ev ada@acme.test login)" -ge 2 ] || fail "logins recorded"; pass
eq "$(ev pw@acme.test password_changed)" 1 "password change recorded"
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/auth/users")" 200 "users"
[ "$(jq -r '.items[]|select(.email=="ada@acme.test")|.last_login_at' "$T/body")" != null ] || fail "last_login_at"; pass

# bad tokens: 401 invalid_token, never 200
forge() { eq "$(get -H "Authorization: Bearer $1" "$BASE/v1/auth/me")" 401 "$2"; }
b64u() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
payload=$(echo "$ADA" | cut -d. -f2); sig=$(echo "$ADA" | cut -d. -f3)
forge "$(b64u '{"alg":"none","typ":"JWT"}').$payload." "alg none"
forge "$(b64u "{\"alg\":\"HS256\",\"kid\":\"$kid\"}").$payload.$sig" "HS256"
forge "$(b64u '{"alg":"EdDSA","kid":"ffffffffffffffff"}').$payload.$sig" "unknown kid"
forge "$(echo "$ADA" | cut -d. -f1).$(b64u '{"iss":"tenantd","sub":"x","role":"superadmin","jti":"j","iat":1,"exp":9999999999}').$sig" "tampered payload"
mid=$(( ${#sig} / 2 )); c=${sig:$mid:1}; [ "$c" = A ] && n=B || n=A
forge "$(echo "$ADA" | cut -d. -f1-2).${sig:0:$mid}$n${sig:$((mid + 1))}" "flipped signature"
last=${sig: -1}; [ "$last" = A ] && n=B || n=A
forge "$(echo "$ADA" | cut -d. -f1-2).${sig%?}$n" "another spelling of the last character"
forge "not.a.token" "garbage"
forge "$(head -c 10240 /dev/zero | tr '\0' 'a').b.c" "10 KB token"
forge "$(echo "$ADA" | cut -d. -f1)=.$payload.$sig" "padding"
eq "$(jq -r .code "$T/body")" invalid_token "bad token code"
eq "$(get "$BASE/v1/auth/me")" 401 "no token"
eq "$(jq -r .code "$T/body")" unauthorized "no token code"

# bad bodies
eq "$(post --data '{"email":"a@b.c","email":"x@y.z","password":"12345678"}' "$BASE/v1/auth/login")" 400 "duplicate keys"
eq "$(jq -r .code "$T/body")" malformed_json "duplicate keys code"
eq "$(post --data '{"email":' "$BASE/v1/auth/login")" 400 "truncated JSON"
eq "$(post --data '[1,2]' "$BASE/v1/auth/login")" 400 "array body"
eq "$(jq -r .code "$T/body")" not_an_object "array code"
deep=$(printf '{"a":%.0s' $(seq 1 40))1$(printf '}%.0s' $(seq 1 40))
eq "$(post --data "$deep" "$BASE/v1/auth/login")" 400 "deep nesting"
eq "$(jq -r .code "$T/body")" too_deep "deep code"
printf '{"email":"\xff\xfe","password":"12345678"}' > "$T/badutf8"
eq "$(post --data-binary @"$T/badutf8" "$BASE/v1/auth/login")" 400 "invalid UTF-8"
eq "$(post --data '{"email":"root@example.com","password":"root-password-1","role":"superadmin"}' "$BASE/v1/auth/login")" 400 "unknown field"
eq "$(post --data '{"email":"root@example.com","password":"x-secret-x"' "$BASE/v1/auth/login")" 400 "secret in a broken body"
! grep -q 'x-secret-x' "$T/body" || fail "the error quoted the body"; pass

# logout: the token stops working at once, and after a restart
eq "$(post -H "Authorization: Bearer $ADA" "$BASE/v1/auth/logout")" 204 "logout"
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/auth/me")" 401 "after logout"
eq "$(jq -r .code "$T/body")" token_revoked "revoked code"
eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/auth/me")" 200 "other tokens unaffected"
stop_server
start_server --log info
eq "$(get -H "Authorization: Bearer $ADA" "$BASE/v1/auth/me")" 401 "revocation survives a restart"
eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/auth/me")" 200 "tokens survive a restart (keys in the catalog)"

# brute force: after 5 free failures an account is locked with growing
# delays; while locked even the right password gets 429 with Retry-After
# (8 failures: the lock is then 4 s, long enough for a slow sanitizer build)
# (attempts refused while locked do not count: keep failing, on a slow or
# busy machine too, until a lock of 4 s or more is in force)
for i in $(seq 1 40); do
  curl -sS -o /dev/null -D "$T/hdr" -X POST --data '{"tenant":"acme","email":"ada@acme.test","password":"guess-number-x"}' "$BASE/v1/auth/login"
  [ "$(grep -i '^Retry-After:' "$T/hdr" | tr -dc 0-9)" -ge 3 ] 2>/dev/null && break
  grep -qi '^Retry-After:' "$T/hdr" && sleep 0.5
done
code=$(curl -sS -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X POST --data '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")
eq "$code" 429 "locked account"
eq "$(jq -r .code "$T/body")" too_many_attempts "429 code"
[ "$(ev ada@acme.test login_failed)" -ge 6 ] || fail "failed logins recorded"; pass
grep -qi '^Retry-After: [1-9]' "$T/hdr" || fail "no Retry-After"; pass
eq "$(post --data '{"email":"root@example.com","password":"root-password-1"}' "$BASE/v1/auth/login")" 200 "other accounts unaffected"
wait_s=$(grep -i '^Retry-After:' "$T/hdr" | tr -dc 0-9)
for _ in $(seq 1 $(( (wait_s + 3) * 10 ))); do  # until unlocked, at most Retry-After + 3 s
  code=$(post --data '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")
  [ "$code" = 200 ] && break
  sleep 0.1
done
eq "$code" 200 "unlocked after the delay"

# the tenant from the Host name (TENANTD_BASE_DOMAIN)
stop_server
TENANTD_BASE_DOMAIN=apps.example.test start_server --log info
ADA2=$(curl -sS -X POST "$BASE/v1/auth/login" --data '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}' | jq -r .access_token)
eq "$(post -H 'Host: acme.apps.example.test' --data '{"email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 200 "login by Host"
eq "$(jq -r .tenant.slug "$T/body")" acme "tenant from Host"
HOSTTOK=$(jq -r .access_token "$T/body")
eq "$(post -H 'Host: ACME.apps.example.test:8080' --data '{"email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 200 "Host is case-insensitive, port ignored"
eq "$(post -H 'Host: x.acme.apps.example.test' --data '{"email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 401 "two labels name no tenant"
eq "$(get -H 'Host: beta.apps.example.test' -H "Authorization: Bearer $HOSTTOK" "$BASE/v1/auth/users")" 200 "a tenant user's token names the tenant; Host does not override it"
! grep -q 'beta' "$T/body" || fail "Host switched the tenant"; pass
eq "$(get -H "Authorization: Bearer $ROOT" -H 'Host: acme.apps.example.test' "$BASE/v1/auth/users")" 200 "a superadmin acts in the Host's tenant"

# signing key rotation: new tokens carry the new kid, old ones still verify
kid_of() { local h; h=$(echo "$1" | cut -d. -f1 | tr '_-' '/+'); while [ $(( ${#h} % 4 )) -ne 0 ]; do h="$h="; done; echo "$h" | base64 -d | jq -r .kid; }
OLDKID=$(kid_of "$ROOT")
eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $ADA2" "$BASE/v1/admin/signing-keys/rotate")" 403 "a tenant admin cannot rotate"
eq "$(post -H "Authorization: Bearer $ROOT" "$BASE/v1/admin/signing-keys/rotate")" 200 "rotate"
eq "$(jq '.keys|length' "$T/body")" 2 "both keys published"
NEW=$(curl -sS -X POST "$BASE/v1/auth/login" --data '{"email":"root@example.com","password":"root-password-1"}' | jq -r .access_token)
[ "$(kid_of "$NEW")" != "$OLDKID" ] || fail "new tokens still use the old key"; pass
eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/auth/me")" 200 "a token of the old key still verifies"
eq "$(get -H "Authorization: Bearer $NEW" "$BASE/v1/auth/me")" 200 "a token of the new key verifies"
expect_rc 0 td key rotate-signing --json
[ "$(jq -r .kid "$T/out")" != "$(kid_of "$NEW")" ] || fail "CLI rotation"; pass
eq "$(get -H "Authorization: Bearer $NEW" "$BASE/v1/auth/me")" 200 "still verifies after a CLI rotation"

# a suspended tenant's users cannot log in
td tenant suspend acme >/dev/null
eq "$(post --data '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}' "$BASE/v1/auth/login")" 403 "suspended tenant"
eq "$(jq -r .code "$T/body")" tenant_suspended "suspended code"

! grep -q 'password-1' "$T"/server*.log || fail "a password reached the log"; pass
! grep -qF "$ROOT" "$T"/server*.log || fail "a token reached the log"; pass
done_ok
