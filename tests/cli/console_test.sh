#!/usr/bin/env bash
# The admin console (/console): its files are served from the binary with
# a strict Content-Security-Policy, ETags and 304s, and nothing else is
# reachable under /console; then Debian's chromium, driven by npm's
# playwright-core (installed into the build tree once), signs in as a
# superadmin, a tenant admin and an account owner (tests/browser/
# console.mjs): every page loads with no request to another origin, no
# console error and no CSP violation. Screenshots land in $T/screens and
# in the build tree (console-screenshots/). SQLite only: the console reads
# the API, whose answers the other tests check on both backends.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = sqlite ] || skip "the console test runs on SQLite only"
td_init
# short-lived access tokens: the browser sees the console renew them
TENANTD_REGISTRATION=1 TENANTD_ACCESS_TTL=70 start_server

# ---- the files, over plain HTTP -----------------------------------------------
CSP="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
head_of() { curl -sS -D "$T/head" -o "$T/body" -w '%{http_code}' "$@"; }
hdr() { grep -i "^$1:" "$T/head" | cut -d' ' -f2- | tr -d '\r'; }
eq "$(head_of "$BASE/console")" 200 "the shell"
eq "$(hdr Content-Type)" "text/html; charset=utf-8" "shell type"
eq "$(hdr Cache-Control)" "no-cache" "the shell is revalidated"
expect_contains "$T/body" '<script type="module" src="/console/app.js"></script>'
cmp -s "$T/body" "$TD_SRC/src/console/index.html" || fail "the shell is not src/console/index.html"; pass
for path in "$TD_SRC"/src/console/*; do
  f=${path##*/}; [ "$f" != README.md ] || continue
  eq "$(head_of "$BASE/console/$f")" 200 "$f"
  cmp -s "$T/body" "$TD_SRC/src/console/$f" || fail "$f differs from src/console/$f"; pass
  eq "$(hdr Content-Security-Policy)" "$CSP" "$f CSP"
  eq "$(hdr X-Content-Type-Options)" nosniff "$f nosniff"
  eq "$(hdr Referrer-Policy)" no-referrer "$f referrer policy"
  tag=$(hdr ETag)
  [[ $tag =~ ^\"[0-9a-f]{32}\"$ ]] || fail "$f ETag '$tag'"; pass
  eq "$(head_of -H "If-None-Match: $tag" "$BASE/console/$f")" 304 "$f unchanged"
  eq "$(head_of -H "If-None-Match: \"x\", W/$tag" "$BASE/console/$f")" 304 "$f in a list, weak"
  eq "$(head_of -H 'If-None-Match: "0123"' "$BASE/console/$f")" 200 "$f another tag"
done
eq "$(head_of "$BASE/console/app.js")" 200 "module"; eq "$(hdr Content-Type)" "text/javascript; charset=utf-8" "module type"
eq "$(head_of "$BASE/console/style.css")" 200 "css"; eq "$(hdr Content-Type)" "text/css; charset=utf-8" "css type"
# nothing else: names it does not have (answered by console.c, with its
# headers), and escapes or paths into the tree (the router's 404 or 400)
for p in nope.js README.md index.htm app.JS; do
  eq "$(head_of "$BASE/console/$p")" 404 "/console/$p"
  eq "$(hdr Content-Security-Policy)" "$CSP" "/console/$p 404 CSP"
done
for p in ..%2fapi%2fconsole.c %2e%2e ../health %2e%2e%2fhealth app.js/ sub/app.js %00 .. . ''; do
  code=$(curl -sS --path-as-is -o "$T/body" -w '%{http_code}' "$BASE/console/$p")
  [ "$code" = 404 ] || [ "$code" = 400 ] || fail "/console/$p answered $code"; pass
  expect_not_contains "$T/body" "#include"
done
# no inline script or style anywhere in the console's files
for f in "$TD_SRC"/src/console/*; do
  [ "${f##*/}" != README.md ] || continue
  ! grep -nE '<script>|<script [^>]*>[^<]|<style|style=|\.innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function' "$f" ||
    fail "$f: inline code or HTML from strings"; pass
done

# ---- the users the browser signs in as -----------------------------------------
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"acme","name":"Acme Corp","services":["crm"],"admin":{"email":"admin@acme.test","password":"admin-password-1"}}' "$BASE/v1/tenants")" 201 "acme"
tenants_with_admins globex
ADMIN=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
eq "$(post -H "Authorization: Bearer $ADMIN" --data '{"email":"cy@acme.test","password":"cy-password-1","role":"client","services":["crm"]}' "$BASE/v1/auth/users")" 201 "a second user"
eq "$(post --data '{"slug":"shop","name":"My Shop","email":"owner@shop.test","password":"owner-password-1"}' "$BASE/v1/auth/register")" 201 "an account owner signs up"
OWNER=$(login '{"email":"owner@shop.test","password":"owner-password-1"}')
eq "$(post -H "Authorization: Bearer $OWNER" --data '{"slug":"shop2","name":"Second Shop"}' "$BASE/v1/account/tenants")" 201 "its second tenant"

# ---- the browser ----------------------------------------------------------------
browser_run console.mjs
for s in login-error tenants tenant-detail tenant-users tenant-users-phone account-tenants; do
  [ -s "$T/screens/$s.png" ] || fail "no screenshot $s"; pass
done
# what the browser did went through the API: the suspension and the resume
# (a new token: the server's live 70 s, the browser may take longer)
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/acme")" 200 "acme"
eq "$(jq -r .status "$T/body")" active "acme resumed by the console"
eq "$(get -H "Authorization: Bearer $ROOT" "$BASE/v1/admin/audit?tenant=acme&limit=200")" 200 "audit"
eq "$(jq '[.items[] | select(.action | test("suspend|resume"))] | length' "$T/body")" 2 "suspend and resume audited"
done_ok
