#!/usr/bin/env bash
# Every stored password is an argon2id hash with at least OWASP's
# parameters (SPEC §5: 19 MiB of memory, 2 passes, 1 lane; 16-byte salt,
# 32-byte hash), whichever way it was set: `tenantd init`, `tenant create
# --admin-email`, `user add`, POST /v1/tenants with an admin, POST
# /v1/auth/users, PATCH /v1/auth/users/{id} with a password, POST
# /v1/auth/password, and sign-up. A hash made with lower parameters is
# replaced at the next successful login (docs/api.md "Brute force"), for a
# tenant user and for a superadmin.
. "$(dirname "$0")/lib.sh"
td_init
echo 'cli-admin-pw-1' | td tenant create cli --services crm --admin-email admin@cli.test --admin-password-stdin >/dev/null
echo 'cli-user-pw-1' | td user add cy@cli.test --tenant cli --role client --password-stdin >/dev/null
TENANTD_REGISTRATION=1 start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"web","services":["crm"],"admin":{"email":"admin@web.test","password":"web-admin-pw-1"}}' "$BASE/v1/tenants")" 201 "tenant with an admin"
ADMIN=$(login '{"tenant":"web","email":"admin@web.test","password":"web-admin-pw-1"}')
A=(-H "Authorization: Bearer $ADMIN")
eq "$(post "${A[@]}" --data '{"email":"u1@web.test","password":"web-user-pw-1","role":"client"}' "$BASE/v1/auth/users")" 201 "user"
eq "$(post "${A[@]}" --data '{"email":"u2@web.test","password":"web-user-pw-2","role":"manager"}' "$BASE/v1/auth/users")" 201 "user 2"
U2=$(jq -r .id "$T/body")
eq "$(call PATCH "${A[@]}" --data '{"password":"web-user-pw-22"}' "$BASE/v1/auth/users/$U2")" 200 "password set by an admin"
U1=$(login '{"tenant":"web","email":"u1@web.test","password":"web-user-pw-1"}')
eq "$(post -H "Authorization: Bearer $U1" --data '{"current_password":"web-user-pw-1","new_password":"web-user-pw-11"}' "$BASE/v1/auth/password")" 204 "password changed by its user"
eq "$(post --data '{"slug":"signed","email":"me@signed.test","password":"signed-pw-1"}' "$BASE/v1/auth/register")" 201 "sign-up"

tid() { td tenant show "$1" --json | jq -r .id; }
USERS=auth.users; [ "$BACKEND" = postgres ] || USERS=users   # SQLite: auth.db alone
# hashes: every stored hash, one a line: "<where> <hash>"
{
  catalog_sql "SELECT 'catalog:' || email || ' ' || password_hash FROM platform_admins"
  for t in cli web signed; do
    tenant_sql "$(tid $t)" auth "SELECT '$t:' || email || ' ' || password_hash FROM $USERS"
  done
} >"$T/hashes"
eq "$(wc -l <"$T/hashes")" 7 "seven stored passwords"
while read -r who hash; do
  [[ $hash =~ ^\$argon2id\$v=19\$m=([0-9]+),t=([0-9]+),p=([0-9]+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$ ]] ||
    fail "$who: not an argon2id hash: $hash"
  m=${BASH_REMATCH[1]} t=${BASH_REMATCH[2]} p=${BASH_REMATCH[3]} salt=${BASH_REMATCH[4]} h=${BASH_REMATCH[5]}
  [ "$m" -ge 19456 ] && [ "$t" -ge 2 ] && [ "$p" -ge 1 ] || fail "$who: m=$m KiB, t=$t, p=$p is below OWASP's argon2id minimum"
  [ ${#salt} -ge 22 ] && [ ${#h} -ge 43 ] || fail "$who: salt or hash too short"
  pass
done <"$T/hashes"
! grep -q -e 'pw-1' -e 'password-1' "$T/hashes" || fail "a password in clear"; pass

# an old hash (argon2id, 8 MiB, one pass) of "old-params-pw-1"
OLD='$argon2id$v=19$m=8192,t=1,p=1$c3AA4g7Mkz2Oz/ZJImOBJw$03BvrFm+cI8eVCtPj8E6p+2uSDa07q8uIhsaVdTFBXk'
WEB=$(tid web)
tenant_exec "$WEB" auth "UPDATE @s.users SET password_hash = '$OLD' WHERE email = 'u1@web.test'"
catalog_exec "UPDATE platform_admins SET password_hash = '$OLD'"
hash_of() { # hash_of TENANT-SLUG EMAIL
  if [ "$1" = - ]; then catalog_sql "SELECT password_hash FROM platform_admins WHERE email = '$2'"
  else tenant_sql "$WEB" auth "SELECT password_hash FROM $USERS WHERE email = '$2'"; fi
}
eq "$(post --data '{"tenant":"web","email":"u1@web.test","password":"old-params-pw-1"}' "$BASE/v1/auth/login")" 200 "login with an old hash"
[[ $(hash_of web u1@web.test) =~ ^\$argon2id\$v=19\$m=([0-9]+),t=([0-9]+), ]] && [ "${BASH_REMATCH[1]}" -ge 19456 ] && [ "${BASH_REMATCH[2]}" -ge 2 ] ||
  fail "the tenant user's old hash was not replaced: $(hash_of web u1@web.test)"; pass
eq "$(post --data '{"tenant":"web","email":"u1@web.test","password":"old-params-pw-1"}' "$BASE/v1/auth/login")" 200 "login with the new hash"
eq "$(post --data '{"email":"root@example.com","password":"old-params-pw-1"}' "$BASE/v1/auth/login")" 200 "superadmin login with an old hash"
[[ $(hash_of - root@example.com) =~ ^\$argon2id\$v=19\$m=([0-9]+),t=([0-9]+), ]] && [ "${BASH_REMATCH[1]}" -ge 19456 ] && [ "${BASH_REMATCH[2]}" -ge 2 ] ||
  fail "the superadmin's old hash was not replaced: $(hash_of - root@example.com)"; pass
done_ok
