#!/usr/bin/env bash
# The tenant lifecycle through the CLI: init, create (with a first admin),
# list/show, check, suspend/resume, delete leaving nothing behind, and a
# second tenant unaffected by the first one's deletion.
. "$(dirname "$0")/lib.sh"

# Before init, commands refuse with a clear message.
expect_rc 1 td tenant list
expect_contains "$T/err" "master key"

expect_rc 0 bash -c "echo 'root-password-1' | '$TD_BIN' init --data '$DATA' --admin-password-stdin"
expect_contains "$T/out" "superadmin: root@example.com"
expect_not_contains "$T/out" "root-password-1"
[ "$(stat -c %a "$DATA/master.key")" = 600 ] || fail "master.key is not mode 600"; pass
# init again changes nothing
expect_rc 0 td init
expect_contains "$T/out" "already initialised"

expect_rc 0 bash -c "echo 'ada-password-1' | '$TD_BIN' tenant create acme --data '$DATA' --name 'Acme Inc' --services crm --admin-email ada@acme.test --admin-password-stdin --json"
acme=$(jq -r .id "$T/out")
eq "$(jq -r .status "$T/out")" active "acme status"
eq "$(jq -r '.services|join(",")' "$T/out")" "auth,crm" "acme services"
eq "$(jq -r .name "$T/out")" "Acme Inc" "acme name"
eq "$(jq -r .backend "$T/out")" "$BACKEND" "acme backend follows TENANTD_TENANT_DB_URL"
assert_tenant_present "$acme" "$BACKEND"

expect_rc 0 td tenant create globex --services crm --json
globex=$(jq -r .id "$T/out")

# A taken slug is refused and creates nothing new.
expect_rc 1 td tenant create acme
expect_contains "$T/err" "already taken"

expect_rc 0 td tenant list --json
eq "$(jq length "$T/out")" 2 "two tenants listed"
eq "$(jq -r '[.[].slug]|sort|join(",")' "$T/out")" "acme,globex" "slugs listed"
expect_rc 0 td tenant list
expect_contains "$T/out" "SLUG"
expect_contains "$T/out" "acme"
expect_rc 0 td tenant show acme --json
eq "$(jq -r .id "$T/out")" "$acme" "show by slug"
expect_rc 0 td tenant show "$acme" --json
eq "$(jq -r .slug "$T/out")" acme "show by id"
expect_rc 1 td tenant show nosuch
expect_contains "$T/err" "no tenant"

# The first admin's password is stored hashed (argon2id), never in clear.
if [ "$BACKEND" = sqlite ]; then
  eq "$(sqlite3 "$DATA/tenants/$acme/auth.db" "SELECT email || ' ' || role FROM users")" "ada@acme.test admin" "first admin"
  sqlite3 "$DATA/tenants/$acme/auth.db" "SELECT password_hash FROM users" | grep -q '^\$argon2id\$' || fail "hash is not argon2id"; pass
  ! grep -rq 'ada-password-1' "$DATA" || fail "plaintext password at rest"; pass
fi

expect_rc 0 td check --json
eq "$(jq .failed "$T/out")" 0 "check: nothing failed"
eq "$(jq .tenants "$T/out")" 2 "check: two tenants"
expect_rc 0 td check
expect_contains "$T/out" "acme"

expect_rc 0 td tenant suspend acme --json
eq "$(jq -r .status "$T/out")" suspended "suspended"
expect_rc 0 td tenant suspend acme   # idempotent
expect_rc 1 td tenant retry acme     # only provisioning/failed
expect_rc 0 td tenant resume acme --json
eq "$(jq -r .status "$T/out")" active "resumed"

expect_rc 0 td tenant delete acme --yes
expect_contains "$T/out" "deleted acme"
assert_tenant_gone "$acme"
expect_rc 1 td tenant show acme
expect_rc 0 td tenant show "$acme" --json   # the tombstone, by id
eq "$(jq -r .status "$T/out")" deleted "tombstone kept"
if [ "$BACKEND" = sqlite ]; then
  eq "$(sqlite3 "$DATA/catalog.db" "SELECT count(*) FROM tenants WHERE id='$acme' AND wrapped_key IS NULL")" 1 "key shredded"
  eq "$(sqlite3 "$DATA/catalog.db" "SELECT count(*) FROM tenant_databases WHERE tenant_id='$acme'")" 0 "placement removed"
else
  catq() { psql "$TENANTD_CATALOG_URL" -XAtq -c "$1"; }
  eq "$(catq "SELECT count(*) FROM tenants WHERE id='$acme' AND wrapped_key IS NULL")" 1 "key shredded"
  eq "$(catq "SELECT count(*) FROM tenant_databases WHERE tenant_id='$acme'")" 0 "placement removed"
fi

# The slug is free again; the other tenant is untouched.
expect_rc 0 td tenant create acme --json
acme2=$(jq -r .id "$T/out")
[ "$acme2" != "$acme" ] || fail "a new tenant must get a new id"; pass
expect_rc 0 td check --json
eq "$(jq .failed "$T/out")" 0 "check after delete"
expect_rc 0 td tenant list --json
eq "$(jq length "$T/out")" 2 "deleted tenants are not listed"
expect_rc 0 td tenant list --status deleted --json
eq "$(jq length "$T/out")" 1 "deleted tenants listed on request"

# A corrupted tenant database is reported by check, and only that one.
if [ "$BACKEND" = sqlite ]; then
  head -c 4096 /dev/urandom > "$DATA/tenants/$globex/crm.db"
  expect_rc 1 td check --json
  eq "$(jq .failed "$T/out")" 1 "one failure"
  eq "$(jq -r '.checks[]|select(.status=="fail")|.name' "$T/out")" globex "the corrupted tenant"
fi

# Both deletes leave nothing.
expect_rc 0 td tenant delete acme --yes
expect_rc 0 td tenant delete globex --yes
assert_tenant_gone "$acme2"
assert_tenant_gone "$globex"
done_ok
