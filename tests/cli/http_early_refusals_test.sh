#!/usr/bin/env bash
# Requests refused before routing get one answer each, problem+json with a
# stable code and an X-Request-Id, and the client reads it instead of a
# reset: an over-long target (414), an over-large head (431), a NUL byte in
# the request line or a header (400 nul_byte), a Content-Length that is
# not digits (one 400 bad_content_length, not libmicrohttpd's status line
# twice), a chunked body past the limit (413). Heads past libmicrohttpd's
# own 16 KiB still get their status, not a reset. None of it is logged one
# line per connection; it is counted in
# tenantd_http_connections_aborted_total.
. "$(dirname "$0")/lib.sh"
td_init
# small body limits keep the oversized uploads quick
TENANTD_BODY_MAX=100000 TENANTD_UPLOAD_MAX=200000 start_server --log info

hdr() { grep -i "^$1:" "$T/hdr" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }
# problem CODE STATUS WHAT: the last curl answer is that problem, with a request id
problem() {
  eq "$(cat "$T/code")" "$2" "$3: status"
  eq "$(cat "$T/rc")" 0 "$3: an answer, not a reset ($(cat "$T/cerr"))"
  eq "$(jq -r .code "$T/body")" "$1" "$3: code"
  eq "$(jq -r .status "$T/body")" "$2" "$3: status in the body"
  eq "$(hdr Content-Type)" application/problem+json "$3: content type"
  [ -n "$(hdr X-Request-Id)" ] || fail "$3: no X-Request-Id"; pass
  eq "$(jq -r .request_id "$T/body")" "$(hdr X-Request-Id)" "$3: request id in the body"
}
# req ARGS…: status in $T/code, curl's exit code in $T/rc (0 = an answer was read, no reset)
req() {
  set +e; curl -sS -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" >"$T/code" 2>"$T/cerr"; echo $? > "$T/rc"; set -e
}
# raw FILE: sends FILE's bytes on a new connection; the answer lands in
# $T/raw, and the reader's exit code in $T/rawrc (0: read to its end, no reset)
raw() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  (trap "" PIPE; cat "$1" >&3) 2>/dev/null || true
  set +e; timeout 5 cat <&3 > "$T/raw" 2>/dev/null; echo $? > "$T/rawrc"; set -e
  exec 3<&-
}
rawbody() { sed -n '/^\r$/,$p' "$T/raw" | tail -n +2; }
one_answer() { # CODE STATUS WHAT: $T/raw holds exactly one such problem answer
  eq "$(grep -c '^HTTP/1.1 ' "$T/raw")" 1 "$3: one status line"
  head -n1 "$T/raw" | grep -q "^HTTP/1.1 $2 " || { cat -v "$T/raw"; fail "$3: status"; }; pass
  grep -qi '^X-Request-Id: ' "$T/raw" || fail "$3: no X-Request-Id"; pass
  grep -qi '^Content-Type: application/problem+json' "$T/raw" || fail "$3: not problem+json"; pass
  eq "$(rawbody | jq -r .code)" "$1" "$3: code"
}
a() { head -c "$1" /dev/zero | tr '\0' a; }

# an over-long request target: 414
req "$BASE/health?q=$(a 9000)"
problem uri_too_long 414 "9 KB target"
# an over-large head: 431 (14 KiB, counting 64 bytes per header)
req -H "X-Big: $(a 15000)" "$BASE/health"
problem headers_too_large 431 "15 KB header"
args=(); for i in $(seq 1 60); do args+=(-H "X-H$i: v"); done
req "${args[@]}" -H "X-Big: $(a 10500)" "$BASE/health"
problem headers_too_large 431 "60 headers and 10.5 KB"
req -H "X-Big: $(a 10500)" "$BASE/health"
eq "$(cat "$T/code")" 200 "a 10.5 KB head with few headers is fine"
# a head just under libmicrohttpd's own 16 KiB (it used to close without a word)
req -H "X-Big: $(a 16000)" "$BASE/health"
problem headers_too_large 431 "16 KB header"
# too many headers
args=(); for i in $(seq 1 70); do args+=(-H "X-H$i: v"); done
req "${args[@]}" "$BASE/health"
problem too_many_headers 431 "70 headers"
# heads past the 16 KiB libmicrohttpd holds: its own 414/431, read in full, no reset
for n in 40000 400000; do
  printf 'X-Big: %s\r\n' "$(a "$n")" > "$T/hfile"
  req -H @"$T/hfile" "$BASE/health"
  eq "$(cat "$T/rc")" 0 "$n-byte header: an answer, not a reset ($(cat "$T/cerr"))"
  eq "$(cat "$T/code")" 431 "$n-byte header: 431"
  printf 'GET /health?%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$(a "$n")" > "$T/req"
  raw "$T/req"
  head -n1 "$T/raw" | grep -q '^HTTP/1.1 414 ' || { head -c 300 "$T/raw"; fail "$n-byte target: no 414"; }; pass
  eq "$(cat "$T/rawrc")" 0 "$n-byte target: the answer is followed by the end, not a reset"
done

# NUL bytes anywhere in the request line or a header value: 400 nul_byte
for shape in 'GET /hea\0lth HTTP/1.1' 'GET /health?a=\0 HTTP/1.1' 'GET\0X /health HTTP/1.1' \
             'GET /health\0 HTTP/1.1'; do
  printf "$shape\r\nHost: x\r\nConnection: close\r\n\r\n" > "$T/req"
  raw "$T/req"
  one_answer nul_byte 400 "NUL in '$shape'"
done
for shape in 'X-A: a\0b' 'X-A: b\0' 'X-A:\0 b' 'Connection: close\0x'; do
  printf "GET /health HTTP/1.1\r\nHost: x\r\n$shape\r\nConnection: close\r\n\r\n" > "$T/req"
  raw "$T/req"
  one_answer nul_byte 400 "NUL in header '$shape'"
done
# and the same requests without the NUL are fine (no false alarm)
printf 'GET /health?a=1&b&c= HTTP/1.1\nHost: x\r\nX-E:\r\nX-S:   spaced  \r\nConnection: close\r\n\r\n' > "$T/req"
raw "$T/req"
head -n1 "$T/raw" | grep -q '^HTTP/1.1 200 ' || { cat -v "$T/raw"; fail "a clean head was refused"; }; pass

# a Content-Length that is not digits: one 400, not the status line twice
for v in abc 12x -1 '1 2' 0x10; do
  printf 'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\nConnection: close\r\n\r\n{}' "$v" > "$T/req"
  raw "$T/req"
  one_answer bad_content_length 400 "Content-Length: $v"
done
printf 'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n' > "$T/req"
raw "$T/req"
one_answer payload_too_large 413 "Content-Length past 64 bits"

# a chunked body past the limit: 413 (ordinary route 100 kB here; upload route 200 kB),
# just past it and far past it
for n in 150000 3000000; do
  a "$n" > "$T/big"
  req -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary @"$T/big" "$BASE/v1/auth/login"
  problem payload_too_large 413 "chunked $n bytes"
done
a 300000 > "$T/big"
req -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" "$BASE/v1/analytics/events:batch"
problem payload_too_large 413 "chunked 300 kB upload"
rm -f "$T/big"

# the server goes on, counted what happened, and logged none of it
eq "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health")" 200 "still serving"
curl -s "$BASE/metrics" > "$T/metrics"
grep -q '^tenantd_http_connections_aborted_total{reason="body_too_large"} [3-9]' "$T/metrics" \
  || { grep aborted "$T/metrics"; fail "chunked cut-offs not counted"; }; pass
grep -q '^tenantd_http_connections_aborted_total{reason="malformed"} [1-9]' "$T/metrics" \
  || { grep aborted "$T/metrics"; fail "libmicrohttpd's own refusals not counted"; }; pass
grep -q 'tenantd_http_requests_total{route="unmatched",status="431"} [3-9]' "$T/metrics" \
  || fail "431 answers not counted as requests"; pass
expect_not_contains "$T/server.log" libmicrohttpd
done_ok
