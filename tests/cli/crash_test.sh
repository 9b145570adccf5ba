#!/usr/bin/env bash
# kill -9 in the middle of `tenant create` and `tenant delete`, at every
# step (TENANTD_FAULT points, compiled into the test build): the tenant is
# never active with a missing database; `retry` finishes a create and a
# second `delete` finishes a delete. Then kill -9 of the server during a
# burst of concurrent creates on one tenant (writes that share their
# commit's sync): every create answered 201 is there after the restart,
# and every row there is whole — each field as sent, with its outbox row.
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

# ---- kill -9 during a burst of concurrent creates (group commit)
# The fields of create I: every row can be checked against what was sent.
fields_of() { printf '%s|gc%s@burst.test|+1 555 %s|https://gc%s.example' "gc $1" "$1" "$1" "$1"; }

# burst_kill TAG N CLIENTS: N creates, CLIENTS at a time (curl's parallel
# mode), and kill -9 of the server once at least N/8 were answered. Leaves
# $T/acked.TAG: "I ID" for each create answered 201 with its row.
burst_kill() {
  local tag=$1 n=$2 clients=$3
  mkdir -p "$T/$tag"
  # the same fields as fields_of
  awk -v n="$n" -v base="$BASE" -v tok="$TOK" -v out="$T/$tag" 'BEGIN {
    for (i = 1; i <= n; i++) {
      if (i > 1) print "next"
      printf "url = \"%s/v1/crm/customers\"\nheader = \"Authorization: Bearer %s\"\n", base, tok
      print "header = \"Content-Type: application/json\""
      printf "data = \"{\\\"name\\\":\\\"gc %d\\\",\\\"email\\\":\\\"gc%d@burst.test\\\",", i, i
      printf "\\\"phone\\\":\\\"+1 555 %d\\\",\\\"website\\\":\\\"https://gc%d.example\\\"}\"\n", i, i
      printf "write-out = \"%%{http_code} %d\\n\"\noutput = \"%s/%d\"\n", i, out, i
    }
  }' >"$T/$tag.cfg"
  curl -sS --parallel --parallel-immediate --parallel-max "$clients" -K "$T/$tag.cfg" \
    >"$T/$tag.codes" 2>/dev/null &
  local cpid=$!
  for _ in $(seq 1 600); do
    # (curl writes the codes at its end; a row's answer makes its file)
    [ "$(find "$T/$tag" -type f -size +0 | wc -l)" -ge $((n / 8)) ] && break
    kill -0 "$cpid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  wait "$cpid" || true
  local done201
  done201=$(grep -c '^201 ' "$T/$tag.codes" || true)
  [ "$done201" -lt "$n" ] || fail "$tag: all $n creates finished before the kill: not a kill mid-burst"
  pass
  # a 201 was read whole: its file holds the row
  awk '$1 == 201 { print $2 }' "$T/$tag.codes" | sort -n >"$T/acked.$tag.i"
  (cd "$T/$tag" && xargs -r jq -r '(input_filename) + " " + (.id // "none")' <"$T/acked.$tag.i") >"$T/acked.$tag"
  eq "$(grep -c ' none$' "$T/acked.$tag" || true)" 0 "$tag: every 201 carries its row's id"
  echo "$tag: $(grep -c . "$T/acked.$tag") of $n creates acknowledged before kill -9 ($clients clients)"
}

# check_whole TAG: what the killed server left, read from the database
# itself: each acknowledged create is there with every field as sent; each
# row there (acknowledged or not) is whole — a create of this burst with
# each of its fields, and its outbox row, written in the same transaction.
check_whole() {
  local tag=$1 i id name email phone website want
  tenant_sql "$GC_ID" crm "SELECT id, name, coalesce(email,''), coalesce(phone,''), coalesce(website,'') FROM $CUSTOMERS WHERE name LIKE 'gc %' ORDER BY id" >"$T/rows.$tag"
  tenant_sql "$GC_ID" crm "SELECT row_id FROM @ob WHERE action = 'create' AND resource = 'customers' ORDER BY row_id" >"$T/ob.$tag"
  declare -A have=()
  while IFS='|' read -r id name email phone website; do
    i=${name#gc }
    want=$(fields_of "$i")
    [ "$name|$email|$phone|$website" = "$want" ] ||
      fail "$tag: row $id is not whole: '$name|$email|$phone|$website', sent '$want'"
    have[$id]=$i
  done <"$T/rows.$tag"
  pass
  while read -r i id; do
    [ -n "${have[$id]:-}" ] || fail "$tag: create $i was answered 201 (id $id) and is gone after kill -9"
    eq "${have[$id]}" "$i" "$tag: row $id is create $i"
  done <"$T/acked.$tag"
  # the row and its outbox row commit together, or neither does
  eq "$(cut -d'|' -f1 "$T/rows.$tag" | sort | comm -3 - <(sort "$T/ob.$tag") | grep -c . || true)" 0 \
    "$tag: every row has its outbox row and every outbox row its row"
}

td tenant create gcburst --services crm --admin-email admin@gcburst.test --admin-password-stdin \
  <<<'admin-password-1' >/dev/null
GC_ID=$(td tenant show gcburst --json | jq -r .id)
CUSTOMERS=customers
[ "$BACKEND" = sqlite ] || CUSTOMERS=crm.customers
login_gc() { login '{"tenant":"gcburst","email":"admin@gcburst.test","password":"admin-password-1"}'; }
# no job workers: the outbox stays undrained, so rows and outbox rows can
# be matched after the kill
for round in 1 2; do
  TENANTD_JOB_WORKERS=0 start_server
  TOK=$(login_gc)
  burst_kill "burst$round" 2000 $((32 + 16 * round))
  check_whole "burst$round"
done
# after the restart the acknowledged creates are served, and writes go on
TENANTD_JOB_WORKERS=0 start_server
TOK=$(login_gc)
cat "$T/acked.burst1" "$T/acked.burst2" >"$T/acked"
mkdir -p "$T/after"
awk -v base="$BASE" -v tok="$TOK" -v out="$T/after" '{
  if (NR > 1) print "next"
  printf "url = \"%s/v1/crm/customers/%s\"\nheader = \"Authorization: Bearer %s\"\n", base, $2, tok
  printf "write-out = \"%%{http_code}\\n\"\noutput = \"%s/%d\"\n", out, NR
}' "$T/acked" >"$T/after.cfg"
curl -sS -K "$T/after.cfg" >"$T/after.codes"
eq "$(grep -vc '^200$' "$T/after.codes" || true)" 0 "the $(grep -c . "$T/acked") acknowledged creates are served after the restart"
while read -r i id; do echo "$id|$(fields_of "$i")"; done <"$T/acked" >"$T/after.want"
seq -f "$T/after/%g" 1 "$(grep -c . "$T/acked")" | xargs jq -r '[.id, .name, .email, .phone, .website] | join("|")' >"$T/after.got"
diff "$T/after.want" "$T/after.got" >&2 || fail "an acknowledged create is not served as it was sent"
pass
eq "$(post -H "Authorization: Bearer $TOK" --data '{"name":"after"}' "$BASE/v1/crm/customers")" 201 "a create after the restarts"
stop_server
done_ok
