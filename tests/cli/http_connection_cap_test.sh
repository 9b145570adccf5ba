#!/usr/bin/env bash
# One client address may hold at most connections_per_address connections
# at once (default 256; 4 here): more are closed as soon as they are
# accepted and counted in tenantd_http_connections_aborted_total{reason=
# "refused"}, while other addresses are served, and a freed place is taken
# again at once.
. "$(dirname "$0")/lib.sh"
td_init
TENANTD_CONNECTIONS_PER_ADDRESS=4 start_server --log info

code() { set +e; curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$@" 2>/dev/null; set -e; }

# four keep-alive connections, each answered once (so surely accepted), held open
for fd in 4 5 6 7; do
  eval "exec $fd<>/dev/tcp/127.0.0.1/$PORT"
  printf 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' >&"$fd"
  read -r -t 10 -u "$fd" status || fail "connection $fd: no answer"
  [[ "$status" == "HTTP/1.1 200 "* ]] || fail "connection $fd: $status"; pass
done
eq "$(code "$BASE/health")" 000 "a fifth connection from 127.0.0.1 is closed"
eq "$(code --interface 127.0.0.2 "$BASE/health")" 200 "another address is served"
exec 4<&-
sleep 0.3
eq "$(code "$BASE/health")" 200 "a freed place is taken again"
curl -s --max-time 10 "$BASE/metrics" > "$T/metrics"
grep -q '^tenantd_http_connections_aborted_total{reason="refused"} [1-9]' "$T/metrics" \
  || { grep aborted "$T/metrics"; fail "the refused connection is not counted"; }; pass
for fd in 5 6 7; do eval "exec $fd<&-"; done
expect_not_contains "$T/server.log" libmicrohttpd
done_ok
