#!/usr/bin/env bash
# The HTTP layer against a real server on loopback: health, ready, metrics,
# X-Request-Id everywhere, problem+json errors with stable codes, 404 vs
# 405, limits (413, 431), ambiguous message lengths (400), and readiness
# following the catalog.
. "$(dirname "$0")/lib.sh"
td_init
# 300 concurrent connections from 127.0.0.1 below: over the default cap of
# 256 per address
TENANTD_CONNECTIONS_PER_ADDRESS=1024 start_server --log debug

req() { curl -sS -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@"; }
hdr() { grep -i "^$1:" "$T/hdr" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }

eq "$(req "$BASE/health")" 200 "health"
eq "$(jq -r .status "$T/body")" ok "health body"
[ -n "$(hdr X-Request-Id)" ] || fail "no X-Request-Id on /health"; pass
eq "$(hdr Content-Type)" application/json "health content type"

eq "$(req -H 'X-Request-Id: abc-123.x_y' "$BASE/health")" 200 "health with id"
eq "$(hdr X-Request-Id)" abc-123.x_y "a sane client request id is kept"
eq "$(req -H 'X-Request-Id: bad id<>' "$BASE/health")" 200 "health with bad id"
[ "$(hdr X-Request-Id)" != 'bad id<>' ] || fail "an unsafe request id was echoed"; pass
a=$(req "$BASE/health" >/dev/null; hdr X-Request-Id); b=$(req "$BASE/health" >/dev/null; hdr X-Request-Id)
[ "$a" != "$b" ] || fail "request ids repeat"; pass

eq "$(req "$BASE/ready")" 200 "ready"
eq "$(jq -r .catalog "$T/body")" ok "ready body"

eq "$(req "$BASE/nope")" 404 "unknown path"
eq "$(hdr Content-Type)" application/problem+json "problem content type"
eq "$(jq -r .code "$T/body")" not_found "404 code"
eq "$(jq -r .status "$T/body")" 404 "problem status"
eq "$(jq -r .request_id "$T/body")" "$(hdr X-Request-Id)" "problem carries the request id"
eq "$(jq -r .type "$T/body")" /problems/not-found "problem type"

eq "$(req -X POST "$BASE/health")" 405 "wrong method"
eq "$(jq -r .code "$T/body")" method_not_allowed "405 code"
eq "$(jq -r '.detail | type' "$T/body")" string "a problem's detail is never null"
hdr Allow | grep -q GET || fail "405 without Allow: GET"; pass
[ -n "$(hdr X-Request-Id)" ] || fail "no X-Request-Id on 405"; pass

eq "$(req -X BREW "$BASE/health")" 501 "unknown method"

# body over the limit (default 1 MiB; upload routes 16 MiB) → 413, before the body is read
head -c 1100000 /dev/zero | tr '\0' 'a' > "$T/big"
eq "$(req -X POST -H 'Content-Type: application/json' --data-binary @"$T/big" "$BASE/health")" 413 "413"
eq "$(jq -r .code "$T/body")" payload_too_large "413 code"

# nesting past the limit is too_deep however deep (past jansson's own 2048 too)
for d in 40 3000; do
  printf '{"a":%s%s}' "$(head -c $d /dev/zero | tr '\0' '[')" "$(head -c $d /dev/zero | tr '\0' ']')" > "$T/deep"
  eq "$(req -X POST --data-binary @"$T/deep" "$BASE/v1/auth/login")" 400 "nested $d deep"
  eq "$(jq -r .code "$T/body")" too_deep "nested $d deep: code"
done

# too many headers → 431
args=(); for i in $(seq 1 80); do args+=(-H "X-H$i: v"); done
eq "$(req "${args[@]}" "$BASE/health")" 431 "431"
eq "$(jq -r .code "$T/body")" too_many_headers "431 code"

# request smuggling shapes → 400 ambiguous_length (raw requests)
raw() { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; (trap "" PIPE; printf "$1" >&3) 2>/dev/null || true; timeout 5 cat <&3 > "$T/raw" || true; exec 3<&-; }
raw 'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello!'
head -n1 "$T/raw" | grep -q ' 400 ' || { cat "$T/raw"; fail "duplicate Content-Length not refused"; }; pass
grep -q ambiguous_length "$T/raw" || fail "no ambiguous_length code"; pass
grep -qi '^X-Request-Id:' "$T/raw" || fail "no request id on 400"; pass
raw 'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n'
head -n1 "$T/raw" | grep -q ' 400 ' || { cat "$T/raw"; fail "CL + TE not refused"; }; pass

# the token signing keys are published, public halves only
eq "$(req "$BASE/.well-known/jwks.json")" 200 "jwks"
eq "$(jq -r '.keys[0].kty + " " + .keys[0].crv + " " + .keys[0].alg' "$T/body")" "OKP Ed25519 EdDSA" "jwks key"
eq "$(jq -r '.keys[0].d // "none"' "$T/body")" none "no private half in jwks"
[ "$(jq -r '.keys[0].kid' "$T/body" | wc -c)" -gt 8 ] || fail "jwks kid"; pass

# metrics count what happened
eq "$(req "$BASE/metrics")" 200 "metrics"
grep -q '^tenantd_http_requests_total{route="/health",status="200"} [1-9]' "$T/body" || fail "health not counted"; pass
grep -q 'status="404"' "$T/body" || fail "404 not counted"; pass
grep -q '^tenantd_http_request_duration_seconds_bucket{le="+Inf"}' "$T/body" || fail "no latency histogram"; pass
grep -q '^tenantd_tenant_db_open ' "$T/body" || fail "no open tenant databases gauge"; pass
grep -q '^tenantd_pool_evictions_total ' "$T/body" || fail "no eviction counter"; pass

# 300 concurrent connections keep being answered (the single-epoll-thread trap)
seq 1 300 | xargs -P 300 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 "$BASE/health" > "$T/codes"
eq "$(grep -c '^200$' "$T/codes")" 300 "300 concurrent requests answered"

# readiness follows the catalog: on PostgreSQL, cut the catalog off
if [ "$BACKEND" = postgres ]; then
  pg "ALTER DATABASE $CATDB CONNECTION LIMIT 0"
  pg "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$CATDB'" >/dev/null
  code=""
  for _ in 1 2 3; do code=$(req "$BASE/ready"); [ "$code" = 503 ] && break; done
  eq "$code" 503 "ready is 503 without a catalog"
  eq "$(jq -r .code "$T/body")" catalog_unavailable "503 code"
  eq "$(req "$BASE/health")" 200 "health does not depend on the catalog"
  pg "ALTER DATABASE $CATDB CONNECTION LIMIT -1"
  code=""
  for _ in 1 2 3; do code=$(req "$BASE/ready"); [ "$code" = 200 ] && break; done
  eq "$code" 200 "ready again once the catalog is back"
fi

# logins at debug level: a superadmin, a tenant user, a refresh; every
# secret they carried is kept to be looked for in the log
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
[ -n "$ROOT" ] && [ "$ROOT" != null ] || fail "superadmin login"; pass
secrets=("root-password-1" "$ROOT" "$(jq -r .refresh_token "$T/login")")
tenants_with_admins acme
ADA=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
[ -n "$ADA" ] && [ "$ADA" != null ] || fail "tenant user login"; pass
RT=$(jq -r .refresh_token "$T/login")
secrets+=("admin-password-1" "$ADA" "$RT")
eq "$(req -X POST --data "{\"refresh_token\":\"$RT\"}" "$BASE/v1/auth/refresh")" 200 "refresh"
secrets+=("$(jq -r .access_token "$T/body")" "$(jq -r .refresh_token "$T/body")")
eq "$(req -H "Authorization: Bearer $ADA" "$BASE/v1/auth/me")" 200 "the tenant user's token works"
eq "$(req -X POST --data '{"email":"root@example.com","password":"wrong-password-9"}' "$BASE/v1/auth/login")" 401 "wrong password"
secrets+=("wrong-password-9")

# the server stops cleanly on SIGTERM
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; rc=$?; SERVER_PID=
eq "$rc" 0 "clean exit on SIGTERM"
grep -q '"msg":"tenantd stopping"' "$T/server.log" || fail "no stop log line"; pass
# the log did see those requests (debug lines), and none of their secrets
grep -q '"route":"/v1/auth/login","status":"200"' "$T/server.log" || fail "no debug line for the logins"; pass
grep -q '"route":"/v1/auth/refresh","status":"200"' "$T/server.log" || fail "no debug line for the refresh"; pass
for s in "${secrets[@]}"; do
  [ ${#s} -ge 8 ] || fail "a secret to look for is missing"
  ! grep -qF -- "$s" "$T/server.log" || fail "a secret reached the log: ${s:0:12}…"; pass
  if [ ${#s} -gt 32 ]; then # a token's tail (the signature) alone is a leak too
    ! grep -qF -- "${s: -16}" "$T/server.log" || fail "part of a secret reached the log: …${s: -8}"; pass
  fi
done
done_ok
