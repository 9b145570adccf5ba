#!/usr/bin/env bash
# Concurrent writes to one tenant: they queue in the server (no 503 busy,
# no SQLite busy-sleep), share their fsync (SQLite: group commit), and
# every acknowledged one survives kill -9 in the middle of a burst.
# SQLite also proves the order: with the process killed at the first
# shared sync (TENANTD_FAULT=group_sync: after a commit, before its
# fdatasync), no client was answered 201 — an answer never precedes the
# sync that makes it durable.
. "$(dirname "$0")/lib.sh"
td_init
login_acme() { login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}'; }

# burst N TAG: N creates at once (curl's parallel mode); each line of
# $T/burst.TAG is "<status> <id>".
burst() {
  local n=$1 tag=$2 i
  : >"$T/burst.$tag"
  for i in $(seq 1 "$n"); do
    [ "$i" = 1 ] || echo next # each transfer has its own options
    printf 'url = "%s/v1/crm/customers"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata = "{\\"name\\":\\"%s %s\\"}"\nwrite-out = "%%{http_code} "\noutput = "%s/b.%s.%s"\n' \
      "$BASE" "$TOK" "$tag" "$i" "$T" "$tag" "$i"
  done >"$T/burst.$tag.cfg"
  curl -sS --parallel --parallel-max 64 -K "$T/burst.$tag.cfg" >"$T/burst.$tag.codes" 2>/dev/null || true
  for i in $(seq 1 "$n"); do
    if [ -s "$T/b.$tag.$i" ]; then
      echo "$(jq -r '.id // empty' "$T/b.$tag.$i" 2>/dev/null)" >>"$T/burst.$tag"
    fi
  done
}

start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme
TOK=$(login_acme)
burst 200 a
eq "$(tr ' ' '\n' <"$T/burst.a.codes" | grep -c '^201$')" 200 "200 concurrent creates, all 201 (no busy)"
eq "$(sort -u "$T/burst.a" | grep -c .)" 200 "200 distinct rows"
eq "$(get -H "Authorization: Bearer $TOK" "$BASE/v1/crm/customers?limit=1")" 200 "the list"

# kill -9 in the middle of a burst: every 201 is there after a restart
burst 400 b &
bpid=$!
sleep 0.3
kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
wait "$bpid" || true
acked=$(grep -c . "$T/burst.b" || true)
start_server
TOK=$(login_acme)
missing=0
while read -r id; do
  [ -n "$id" ] || continue
  [ "$(get -H "Authorization: Bearer $TOK" "$BASE/v1/crm/customers/$id")" = 200 ] || missing=$((missing + 1))
done <"$T/burst.b"
eq "$missing" 0 "every one of the $acked acknowledged creates survived kill -9"

if [ "$BACKEND" = sqlite ]; then
  stop_server
  # no job workers: the start-up drain would write (and sync) first
  TENANTD_JOB_WORKERS=0 TENANTD_FAULT=group_sync start_server
  burst 32 c
  for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SERVER_PID" 2>/dev/null && fail "the server wrote without reaching a shared sync"
  set +e; wait "$SERVER_PID" 2>/dev/null; rc=$?; set -e
  SERVER_PID=
  eq "$rc" 137 "killed at the first shared sync"
  eq "$(tr ' ' '\n' <"$T/burst.c.codes" | grep -c '^201$' || true)" 0 "no 201 before the sync"
  start_server
  TOK=$(login_acme)
  burst 10 d
  eq "$(tr ' ' '\n' <"$T/burst.d.codes" | grep -c '^201$')" 10 "writes go on after the restart"
fi
done_ok
