#!/usr/bin/env bash
# Every page of the console for every kind of user (tests/browser/
# pages.mjs): each header link and each tab loads with no API error, no
# request to another origin, no console error and no CSP violation — in
# Debian's chromium at 1280 and 390 px (no sideways scroll), then in
# Debian's firefox-esr. SQLite only: the console reads the API, whose
# answers the other tests check on both backends.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = sqlite ] || skip "the console test runs on SQLite only"
td_init
TENANTD_REGISTRATION=1 start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"acme","name":"Acme Corp","services":["crm","cms"],"admin":{"email":"admin@acme.test","password":"admin-password-1"}}' "$BASE/v1/tenants")" 201 "acme"
ADMIN=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
eq "$(post -H "Authorization: Bearer $ADMIN" --data '{"first_name":"Ada","email":"ada@example.com"}' "$BASE/v1/crm/contacts")" 201 "a row to show"
eq "$(post --data '{"slug":"shop","name":"My Shop","email":"owner@shop.test","password":"owner-password-1"}' "$BASE/v1/auth/register")" 201 "an account owner"

s0=$SECONDS; browser_run pages.mjs chromium; echo "chromium: $((SECONDS - s0)) s"
s0=$SECONDS; browser_run pages.mjs firefox; echo "firefox: $((SECONDS - s0)) s"
done_ok
