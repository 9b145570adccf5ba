#!/usr/bin/env bash
# Bad input on the command line: every bad argument gets a clear error and
# the right exit code (2 usage, 1 failure), and creates nothing.
. "$(dirname "$0")/lib.sh"
td_init

long=$(printf 'a%.0s' $(seq 1 64))
for slug in '../x' 'a;drop table t' 'ACME' 'héllo' 'admin' 'www' 'api' "$long" 'a' '' \
            '-x' '1abc' 'ab-' 'a--b' 'a b' $'a\nb' 'tenants' '%2e%2e' 'a/b' 'ﬁle'; do
  set +e; "$TD_BIN" tenant create "$slug" --data "$DATA" >"$T/out" 2>"$T/err"; rc=$?; set -e
  [ $rc -eq 2 ] || { cat "$T/err"; fail "slug '$slug': exit $rc, want 2"; }
  pass
  grep -q '^tenantd: ' "$T/err" || fail "slug '$slug': no clear error"; pass
done
expect_rc 2 td tenant create okslug --services crm,nosuch
expect_contains "$T/err" "unknown service"
expect_rc 2 td tenant create okslug --backend oracle
expect_contains "$T/err" "backend"
expect_rc 2 td tenant create okslug --name ''
expect_rc 2 td tenant create okslug --name $'bad\x01name'
expect_rc 2 bash -c "echo 'short' | '$TD_BIN' tenant create okslug --data '$DATA' --admin-email a@b.test --admin-password-stdin"
expect_contains "$T/err" "password"
expect_rc 2 bash -c "echo 'long-enough-1' | '$TD_BIN' tenant create okslug --data '$DATA' --admin-email 'not an email' --admin-password-stdin"
expect_rc 2 td tenant create okslug --admin-email a@b.test   # without the password flag
expect_rc 2 td tenant create okslug --bogus
expect_rc 2 td tenant create okslug extra
expect_rc 2 td tenant create
expect_rc 2 td tenant frobnicate
expect_rc 2 td tenant
expect_rc 2 td tenant show
expect_rc 2 td tenant show a b
expect_rc 2 td key turn
expect_rc 2 td check extra
expect_rc 2 "$TD_BIN" nosuchcommand
expect_contains "$T/err" "unknown command"
expect_rc 2 "$TD_BIN"
expect_rc 2 "$TD_BIN" tenant list --data
TENANTD_POOL_MAX=abc expect_rc 2 td tenant list
expect_contains "$T/err" "pool_max"
TENANTD_LOG=loud expect_rc 2 td tenant list
TENANTD_HEADER_TIMEOUT=0 expect_rc 2 td tenant list
expect_contains "$T/err" "header_timeout"
TENANTD_CONNECTIONS_PER_ADDRESS=many expect_rc 2 td tenant list
expect_contains "$T/err" "connections_per_address"
printf 'bogus_key = 1\n' > "$T/bad.ini"
expect_rc 2 td tenant list --config "$T/bad.ini"
expect_contains "$T/err" "unknown configuration key"
expect_rc 2 td tenant list --config "$T/missing.ini"
# unknown or bad tenant keys for the other subcommands
for sub in show suspend resume retry delete; do
  yes=(); [ "$sub" = delete ] && yes=(--yes)
  expect_rc 1 td tenant "$sub" '../../etc/passwd' "${yes[@]}"
  expect_rc 1 td tenant "$sub" "x'; DROP TABLE tenants; --" "${yes[@]}"
done

# Nothing was created by any of it.
expect_rc 0 td tenant list --json
eq "$(jq length "$T/out")" 0 "no tenant created"
eq "$(ls "$DATA/tenants" 2>/dev/null | wc -l)" 0 "no tenant folder created"
if [ "$BACKEND" = postgres ]; then
  # the cluster is shared with tests running in parallel, whose tenants
  # pass through "database made, role not yet" (or the reverse while being
  # deleted) for a moment, and on a busy machine there is nearly always one
  # in flight: a stray of ours would be in every sample, theirs come and go
  stray() { pg "SELECT datname FROM pg_database d WHERE datname LIKE 'td\\_%' AND datname NOT LIKE 'td\\_tpl\\_%' AND datname NOT LIKE 'td\\_cat\\_%' AND NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = d.datname)" | LC_ALL=C sort; }
  stayed=$(stray)
  for _ in $(seq 1 50); do
    [ -z "$stayed" ] && break
    sleep 0.2
    stayed=$(LC_ALL=C comm -12 <(echo "$stayed") <(stray))
  done
  eq "$stayed" "" "no stray database"
fi

# Help for every command, exit 0.
for c in serve init tenant user apikey check key version; do
  expect_rc 0 "$TD_BIN" "$c" --help
  expect_contains "$T/out" "usage: tenantd $c"
done
expect_rc 0 "$TD_BIN" --help
expect_rc 0 "$TD_BIN" help tenant
expect_contains "$T/out" "usage: tenantd tenant"
expect_rc 0 "$TD_BIN" version
expect_contains "$T/out" "tenantd "
done_ok
