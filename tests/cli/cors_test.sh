#!/usr/bin/env bash
# CORS (TENANTD_CORS_ORIGINS): off by default — a preflight from another
# origin is 403 cors_origin_not_allowed and no answer carries
# Access-Control-Allow-Origin; with a list, a listed origin's preflight is
# 204 with the path's methods and the headers the API reads, its answers
# (errors included) carry the origin, others get nothing; "*" allows any
# origin; credentials (cookies) are never allowed. A bad list stops the
# server at start. On SQLite a real browser (chromium) on one origin calls
# the API on another: refused without CORS, working with it.
. "$(dirname "$0")/lib.sh"
td_init
hdrs() { curl -sS -D "$T/head" -o "$T/body" -w '%{http_code}' "$@"; }
hdr() { grep -i "^$1:" "$T/head" | cut -d' ' -f2- | tr -d '\r'; }
preflight() { hdrs -X OPTIONS -H "Origin: $1" -H "Access-Control-Request-Method: $2" "${@:3}"; }

# ---- off (the default) ------------------------------------------------------------
start_server
eq "$(preflight https://app.example.com POST "$BASE/v1/auth/login")" 403 "no CORS: preflight refused"
eq "$(jq -r .code "$T/body")" cors_origin_not_allowed "its code"
eq "$(hdr Access-Control-Allow-Origin)" "" "no allowed origin"
eq "$(hdrs -H 'Origin: https://app.example.com' "$BASE/health")" 200 "a simple request is answered"
eq "$(hdr Access-Control-Allow-Origin)$(hdr Vary)" "" "but not readable by that origin"
eq "$(hdrs -X OPTIONS "$BASE/v1/tenants")" 204 "a plain OPTIONS"
eq "$(hdr Allow)" "GET, POST, HEAD" "names the path's methods"
eq "$(hdrs -X OPTIONS "$BASE/v1/nope")" 404 "OPTIONS on no route"
if [ "$BACKEND" = sqlite ]; then
  CORS_PART=refused browser_run cors.mjs
fi
stop_server

# ---- a list of origins ------------------------------------------------------------
TENANTD_CORS_ORIGINS='https://app.example.com, http://localhost:5173 http://[::1]:8080' start_server
eq "$(preflight https://app.example.com POST -H 'Access-Control-Request-Headers: content-type, authorization' "$BASE/v1/auth/login")" 204 "listed origin"
eq "$(hdr Access-Control-Allow-Origin)" https://app.example.com "the origin, echoed"
eq "$(hdr Access-Control-Allow-Methods)" POST "login's methods"
[[ "$(hdr Access-Control-Allow-Headers)" == *Authorization*Content-Type*X-Tenant*Idempotency-Key*If-Match* ]] || fail "allowed headers: $(hdr Access-Control-Allow-Headers)"; pass
eq "$(hdr Access-Control-Max-Age)" 600 "cached 10 minutes"
eq "$(hdr Vary)" Origin "Vary: Origin"
eq "$(hdr Access-Control-Allow-Credentials)" "" "never credentials"
eq "$(preflight http://localhost:5173 DELETE "$BASE/v1/tenants/acme")" 204 "the second origin"
eq "$(hdr Access-Control-Allow-Methods)" "GET, PATCH, DELETE, HEAD" "a tenant's methods"
eq "$(preflight 'http://[::1]:8080' GET "$BASE/v1/tenants")" 204 "an IPv6 origin"
for o in https://evil.example https://app.example.com.evil.example http://app.example.com https://APP.example.com null; do
  eq "$(preflight "$o" POST "$BASE/v1/auth/login")" 403 "origin $o refused"
  eq "$(hdr Access-Control-Allow-Origin)" "" "nothing for $o"
done
eq "$(hdrs -H 'Origin: https://app.example.com' "$BASE/v1/tenants")" 401 "an error"
eq "$(hdr Access-Control-Allow-Origin)" https://app.example.com "is readable by the page too"
[[ "$(hdr Access-Control-Expose-Headers)" == *ETag*Location*Retry-After*X-Request-Id*Idempotent-Replayed*WWW-Authenticate* ]] || fail "exposed: $(hdr Access-Control-Expose-Headers)"; pass
eq "$(hdrs -H 'Origin: https://evil.example' "$BASE/health")" 200 "another origin's request"
eq "$(hdr Access-Control-Allow-Origin)|$(hdr Vary)" "|Origin" "is not readable"
stop_server

# ---- any origin, and a bad list ---------------------------------------------------
TENANTD_CORS_ORIGINS='*' start_server
eq "$(preflight https://anything.example PATCH "$BASE/v1/crm/contacts/x")" 204 "any origin"
eq "$(hdr Access-Control-Allow-Origin)" '*' "as *"
eq "$(hdr Access-Control-Allow-Credentials)" "" "never credentials with *"
if [ "$BACKEND" = sqlite ]; then
  CORS_PART=allowed browser_run cors.mjs
fi
stop_server
for bad in 'https://app.example.com/' 'app.example.com' 'https://app.example.com/path' 'ftp://x.example' \
           'https://App.example.com' 'https://a.example:' 'https://a.example:123456' 'https://[::1' \
           'https://a:b.example' 'https://a]b.example' 'https://.example' 'https://user@a.example'; do
  TENANTD_CORS_ORIGINS="$bad" expect_rc 1 "$TD_BIN" serve --data "$DATA" --listen "127.0.0.1:$(free_port)"
  expect_contains "$T/err" "TENANTD_CORS_ORIGINS"
done
done_ok
