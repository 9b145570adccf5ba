#!/usr/bin/env bash
# A client that does not send its whole request head within header_timeout
# (slowloris: a byte every now and then keeps an idle timeout from ever
# firing) is closed, and the server goes on answering others. Connections
# that end mid-request are counted in tenantd_http_connections_aborted_total
# by reason, not logged one line each. The deadline is set to 1 s here; no
# duration is asserted beyond "closed within a few seconds".
. "$(dirname "$0")/lib.sh"
td_init
TENANTD_HEADER_TIMEOUT=1 start_server --log info

# open_head: a new connection on fd 3 with a request line and one header sent
open_head() { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf 'GET /health HTTP/1.1\r\nHost: x\r\n' >&3; }
# dribble N: sends a header byte every 0.3 s, at most N times; prints how
# many were sent before the server closed the connection ("open" if never)
dribble() {
  local i c rc
  for i in $(seq 1 "$1"); do
    (trap '' PIPE; printf 'X' >&3) 2>/dev/null || { echo "$i"; return; }
    set +e; read -r -t 0.3 -N 1 -u 3 c; rc=$?; set -e
    [ "$rc" -gt 128 ] || { echo "$i"; return; } # not a timeout: end of input (or an answer)
  done
  echo open
}

open_head
sent=$(dribble 30) # up to 9 s against a 1 s deadline
exec 3<&-
[ "$sent" != open ] || fail "a dribbling head was never cut off"; pass
eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health")" 200 "still serving others"

# a connection that sends nothing at all is closed too
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
set +e; read -r -t 8 -N 1 -u 3 c; rc=$?; set -e
exec 3<&-
[ "$rc" -le 128 ] || fail "a silent connection was kept"; pass

# a head that arrives in two pieces in time is answered as usual
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /health HTTP/1.1\r\nHost: x\r\n' >&3
sleep 0.1
printf 'Connection: close\r\n\r\n' >&3
timeout 5 cat <&3 > "$T/raw" || true
exec 3<&-
head -n1 "$T/raw" | grep -q '^HTTP/1.1 200 ' || { cat "$T/raw"; fail "a timely head in two pieces"; }; pass

# a client that gives up in the middle of its body
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"email":' >&3
sleep 0.3
exec 3<&-
sleep 0.3

curl -s "$BASE/metrics" > "$T/metrics"
grep -q '^tenantd_http_connections_aborted_total{reason="header_timeout"} [1-9]' "$T/metrics" \
  || { grep aborted "$T/metrics"; fail "the cut-off head is not counted"; }; pass
grep -q '^tenantd_http_connections_aborted_total{reason="client"} [1-9]' "$T/metrics" \
  || { grep aborted "$T/metrics"; fail "the abandoned body is not counted"; }; pass
# counted, not logged
expect_not_contains "$T/server.log" libmicrohttpd
expect_not_contains "$T/server.log" '"level":"warn"'
done_ok
