#!/usr/bin/env bash
# The master key: a wrong or missing key stops every command with a clear
# message; `key rotate` re-wraps every tenant key (tenants stay readable,
# also on PostgreSQL where opening a tenant needs its sealed role password);
# TENANTD_MASTER_KEY works instead of the file, and rotating it takes the
# new key from standard input; secrets are not at rest in clear.
# (Servers running across a rotation: key_rotation_live_test.sh.)
. "$(dirname "$0")/lib.sh"
td_init
expect_rc 0 td tenant create acme --services crm --json
acme=$(jq -r .id "$T/out")

orig=$(cat "$DATA/master.key")
# wrong key file
head -c 32 /dev/urandom | base64 > "$DATA/master.key"
expect_rc 1 td tenant list
expect_contains "$T/err" "does not match"
expect_rc 1 td serve --listen 127.0.0.1:1
expect_contains "$T/err" "does not match"
# malformed key file
echo "not base64!" > "$DATA/master.key"
expect_rc 1 td tenant list
expect_contains "$T/err" "32 bytes"
# missing key file
rm "$DATA/master.key"
expect_rc 1 td tenant list
expect_contains "$T/err" "no master key"
# group-readable key file
echo "$orig" > "$DATA/master.key"; chmod 640 "$DATA/master.key"
expect_rc 1 td tenant list
expect_contains "$T/err" "chmod 600"
chmod 600 "$DATA/master.key"
expect_rc 0 td tenant list
# the same key from the environment
mv "$DATA/master.key" "$T/key.saved"
TENANTD_MASTER_KEY="$orig" expect_rc 0 td check --json
eq "$(jq .failed "$T/out")" 0 "check with TENANTD_MASTER_KEY"
TENANTD_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" expect_rc 1 td tenant list
expect_contains "$T/err" "does not match"
mv "$T/key.saved" "$DATA/master.key"

# rotation with the key file
expect_rc 0 td key rotate
expect_contains "$T/out" "1 tenant keys re-wrapped"
new=$(cat "$DATA/master.key")
[ "$new" != "$orig" ] || fail "the key file did not change"; pass
[ "$(stat -c %a "$DATA/master.key")" = 600 ] || fail "rotated key file mode"; pass
expect_rc 0 td check --json
eq "$(jq .failed "$T/out")" 0 "tenants readable after rotation"
expect_rc 0 td tenant create globex --json   # new tenants under the new key
expect_rc 0 td check --json
eq "$(jq .failed "$T/out")" 0 "new tenant after rotation"
# the old key no longer opens the catalog
echo "$orig" > "$T/old.key"
TENANTD_MASTER_KEY="$orig" expect_rc 1 td tenant list

# A tenant whose key does not unwrap (sealed under a key nobody has any
# more) stops a rotation, which names it; it can still be deleted (its
# database and role go without its key), and then the rotation goes through.
expect_rc 0 td tenant create lost --json
lost=$(jq -r .id "$T/out")
swap="UPDATE tenants SET wrapped_key = (SELECT wrapped_key FROM tenants WHERE slug = 'acme') WHERE id = '$lost'"
if [ "$BACKEND" = postgres ]; then
  psql "$TENANTD_CATALOG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$swap"
else
  sqlite3 "$DATA/catalog.db" "$swap"
fi
expect_rc 1 td key rotate
expect_contains "$T/err" "$lost"
expect_rc 0 td tenant delete lost --yes
assert_tenant_gone "$lost"
expect_rc 0 td key rotate
expect_contains "$T/out" "2 tenant keys re-wrapped"
new=$(cat "$DATA/master.key")

# With TENANTD_MASTER_KEY, rotation wants the new key given (a key printed
# once could be lost with every tenant) and writes no key file.
mv "$DATA/master.key" "$T/key.saved"
TENANTD_MASTER_KEY="$new" expect_rc 2 td key rotate --json
expect_contains "$T/err" "--new-key-stdin"
TENANTD_MASTER_KEY="$new" expect_rc 0 td check --json   # nothing changed
eq "$(jq .failed "$T/out")" 0 "refused rotation changed nothing"
TENANTD_MASTER_KEY="$new" expect_rc 2 td key rotate --new-key-stdin <<<"not a key"
expect_contains "$T/err" "32 bytes of base64"
TENANTD_MASTER_KEY="$new" expect_rc 2 td key rotate --new-key-stdin <<<"$new"
expect_contains "$T/err" "the key in force"
newer=$(head -c 32 /dev/urandom | base64)
TENANTD_MASTER_KEY="$new" expect_rc 0 td key rotate --new-key-stdin --json <<<"$newer"
eq "$(jq .rewrapped "$T/out")" 2 "two tenant keys re-wrapped"
expect_not_contains "$T/out" "$newer"
[ ! -e "$DATA/master.key" ] && [ ! -e "$DATA/master.key.new" ] || fail "a key file was written"; pass
TENANTD_MASTER_KEY="$newer" expect_rc 0 td check --json
eq "$(jq .failed "$T/out")" 0 "check with the given key"
TENANTD_MASTER_KEY="$new" expect_rc 1 td tenant list

# A running server keeps serving across a rotation made by another process.
echo "$newer" > "$DATA/master.key"; chmod 600 "$DATA/master.key"
start_server
expect_rc 0 td key rotate
curl -fsS "$BASE/ready" >/dev/null || fail "server not ready after rotation"; pass

# No plaintext secrets at rest: the master key never appears in the catalog.
if [ "$BACKEND" = sqlite ]; then
  key_now=$(cat "$DATA/master.key")
  ! grep -rqF "$key_now" "$DATA/catalog.db" "$DATA/tenants" || fail "master key found at rest"; pass
else
  # the tenant role password is stored sealed, never in clear (psql must
  # answer: a failed query stops the test, an empty answer fails it)
  secrets=$(psql "$TENANTD_CATALOG_URL" -XAtq -v ON_ERROR_STOP=1 -c "SELECT secret_enc FROM tenant_databases")
  [ -n "$secrets" ] || fail "no sealed secret to look at"; pass
  ! grep -qv '^v[12]\.' <<<"$secrets" || fail "unsealed secret"; pass
  urls=$(psql "$TENANTD_CATALOG_URL" -XAtq -v ON_ERROR_STOP=1 -c "SELECT url_enc FROM db_servers")
  [ -n "$urls" ] || fail "no server URL to look at"; pass
  ! grep -q 'postgres://' <<<"$urls" || fail "server URL in clear"; pass
fi
done_ok
