#!/usr/bin/env bash
# kill -9 in the middle of `tenant create` and `tenant delete`, at every
# step (TENANTD_FAULT points, compiled into the test build): the tenant is
# never active with a missing database; `retry` finishes a create and a
# second `delete` finishes a delete.
. "$(dirname "$0")/lib.sh"
td_init

n=0
for point in create.recorded create.databases create.admin; do
  n=$((n + 1)); slug="crash$n"
  set +e
  echo 'admin-password-1' | TENANTD_FAULT=$point "$TD_BIN" tenant create "$slug" --data "$DATA" \
    --services crm --admin-email "a@$slug.test" --admin-password-stdin >"$T/out" 2>"$T/err"
  rc=$?
  set -e
  eq "$rc" 137 "create killed at $point"
  expect_rc 0 td tenant show "$slug" --json
  eq "$(jq -r .status "$T/out")" provisioning "status after a kill at $point"
  id=$(jq -r .id "$T/out")
  # check must not call it healthy
  expect_rc 1 td check --json
  eq "$(jq -r --arg s "$slug" '.checks[]|select(.name==$s)|.status' "$T/out")" fail "check flags $slug"
  expect_rc 0 td tenant retry "$slug" --json
  eq "$(jq -r .status "$T/out")" active "retry finishes $point"
  assert_tenant_present "$id" "$BACKEND"
  expect_rc 0 td check --json
  eq "$(jq .failed "$T/out")" 0 "healthy after retry at $point"
  if [ "$BACKEND" = sqlite ]; then
    eq "$(sqlite3 "$DATA/tenants/$id/auth.db" "SELECT count(*) FROM users WHERE role='admin'")" 1 "one admin after retry at $point"
  fi
done

# A kill after activation: the tenant is complete.
set +e
TENANTD_FAULT=create.activated "$TD_BIN" tenant create late --data "$DATA" >/dev/null 2>&1
eq "$?" 137 "killed after activation"
set -e
expect_rc 0 td tenant show late --json
eq "$(jq -r .status "$T/out")" active "active after a kill past activation"

# A kill in the middle of delete: the second delete finishes it.
expect_rc 0 td tenant show crash1 --json
id=$(jq -r .id "$T/out")
set +e
TENANTD_FAULT=delete.dropped "$TD_BIN" tenant delete crash1 --yes --data "$DATA" >/dev/null 2>&1
eq "$?" 137 "delete killed"
set -e
expect_rc 0 td tenant show "$id" --json
eq "$(jq -r .status "$T/out")" deleting "status after a kill during delete"
expect_rc 0 td tenant delete "$id" --yes
expect_rc 0 td tenant show "$id" --json
eq "$(jq -r .status "$T/out")" deleted "second delete finishes"
assert_tenant_gone "$id"

# Repeated kills at random moments: whatever state results, the tenant is
# either active with all its databases (check passes) or not active.
for i in 1 2 3 4 5 6; do
  slug="rand$i"
  "$TD_BIN" tenant create "$slug" --data "$DATA" --services crm >/dev/null 2>&1 &
  pid=$!
  sleep "0.0$((RANDOM % 9))"
  kill -9 "$pid" 2>/dev/null || true
  set +e; wait "$pid" 2>/dev/null; rc=$?; set -e
  # killed (137), or finished before the kill: then cleanly (a leak or a
  # sanitizer report would make it nonzero)
  [ $rc -eq 137 ] || [ $rc -eq 0 ] || fail "tenant create $slug ended with status $rc"
  set +e; td tenant show "$slug" --json >"$T/out" 2>/dev/null; rc=$?; set -e
  [ $rc -eq 0 ] || { pass; continue; }   # killed before the record: nothing exists
  st=$(jq -r .status "$T/out")
  if [ "$st" != active ]; then
    expect_rc 0 td tenant retry "$slug"
  fi
done
expect_rc 0 td check --json
eq "$(jq .failed "$T/out")" 0 "every tenant healthy after random kills and retries"
done_ok
