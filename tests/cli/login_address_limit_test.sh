#!/usr/bin/env bash
# Brute force from one client address (SPEC §6, docs/api.md "Brute
# force"): failed logins spread over many accounts — each failing once, so
# no account limit applies — are counted per address; the first 50 are
# free, then the address is locked with growing delays: every login from
# it, the right password of an account that never failed included,
# answers 429 too_many_attempts with Retry-After, and a forged
# X-Forwarded-For does not get around it. Another address (127.0.0.2) logs
# in meanwhile; after the delay the first address does too.
. "$(dirname "$0")/lib.sh"
td_init
echo 'ada-password-1' | td tenant create acme --services crm --admin-email ada@acme.test --admin-password-stdin >/dev/null
start_server
try() { # try ADDRESS BODY [CURL ARGS…]: a login from ADDRESS; status printed, headers in $T/hdr
  local a=$1 b=$2; shift 2
  curl -sS -o "$T/body" -D "$T/hdr" -w '%{http_code}' --interface "$a" "$@" -X POST --data "$b" "$BASE/v1/auth/login"
}
retry_after() { grep -i '^Retry-After:' "$T/hdr" | tr -dc 0-9; }

# 50 failures from 127.0.0.1, each on another account (tenant and platform
# accounts, known and unknown): all answered 401, none locks anything
args=()
for i in $(seq 1 50); do
  case $i in
    1) b='{"tenant":"acme","email":"ada@acme.test","password":"wrong-password-1"}' ;;
    2) b='{"email":"root@example.com","password":"wrong-password-1"}' ;;
    *[02468]) b="{\"email\":\"nobody-$i@example.com\",\"password\":\"wrong-password-$i\"}" ;;
    *) b="{\"tenant\":\"acme\",\"email\":\"nobody-$i@acme.test\",\"password\":\"wrong-password-$i\"}" ;;
  esac
  [ "$i" -eq 1 ] || args+=(--next)
  args+=(-sS -o /dev/null -w '%{http_code}\n' --interface 127.0.0.1 -X POST --data "$b" "$BASE/v1/auth/login")
done
codes=$(curl "${args[@]}" | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
case $codes in
  *429*) fail "locked before 50 failures from one address: $codes" ;;
esac
pass
# from now on the address is locked: keep failing (refusals while locked do
# not count) until a lock of 3 s or more is in force, at most 40 tries
for i in $(seq 1 40); do
  code=$(try 127.0.0.1 "{\"email\":\"more-$i@example.com\",\"password\":\"wrong-password-1\"}")
  [ "$code" = 429 ] && [ "$(retry_after)" -ge 3 ] && break
  [ "$code" = 429 ] && sleep 0.5
done
eq "$code" 429 "the address is locked"
wait_s=$(retry_after)
eq "$(try 127.0.0.1 '{"email":"root@example.com","password":"root-password-1"}')" 429 "the right password of an account that never failed, from the locked address"
eq "$(jq -r .code "$T/body")" too_many_attempts "429 code"
[ "$(retry_after)" -ge 1 ] || fail "no Retry-After"; pass
eq "$(try 127.0.0.1 '{"email":"root@example.com","password":"root-password-1"}' -H 'X-Forwarded-For: 10.9.8.7' -H 'X-Real-IP: 10.9.8.7' -H 'Forwarded: for=10.9.8.7')" 429 "forwarding headers do not change the address"
eq "$(try 127.0.0.2 '{"email":"root@example.com","password":"root-password-1"}')" 200 "another address logs in"
eq "$(try 127.0.0.2 '{"email":"nobody-x@example.com","password":"wrong-password-1"}')" 401 "another address's failure is its own"

# after the delay, the address logs in again (waiting for the condition, at
# most Retry-After + 3 s)
for _ in $(seq 1 $(( (wait_s + 3) * 10 ))); do
  code=$(try 127.0.0.1 '{"email":"root@example.com","password":"root-password-1"}')
  [ "$code" = 200 ] && break
  sleep 0.1
done
eq "$code" 200 "the address logs in after the delay"
done_ok
