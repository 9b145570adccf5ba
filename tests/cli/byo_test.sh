#!/usr/bin/env bash
# Bring your own PostgreSQL database, the refusals (on every backend): a URL
# that is not PostgreSQL or does not answer creates nothing and never shows
# its password. byo_postgres_test.sh places tenants on a real one.
. "$(dirname "$0")/lib.sh"
td_init
start_server
ROOT=$(curl -sS -X POST "$BASE/v1/auth/login" --data '{"email":"root@example.com","password":"root-password-1"}' | jq -r .access_token)
R=(-H "Authorization: Bearer $ROOT")

# refused before anything is made: not PostgreSQL, or not answering
eq "$(call POST "${R[@]}" --data '{"slug":"byo-bad","database_url":"mysql://x"}' "$BASE/v1/tenants")" 400 "not postgres"
eq "$(call POST "${R[@]}" --data '{"slug":"byo-bad","database_url":"postgres://u:sekret-pw@127.0.0.1:1/db"}' "$BASE/v1/tenants")" 400 "unreachable"
! grep -q 'sekret-pw' "$T/body" || fail "the password is in the error"; pass
eq "$(call GET "${R[@]}" "$BASE/v1/tenants/byo-bad")" 404 "nothing created"
eq "$(call POST "${R[@]}" --data '{"slug":"plain"}' "$BASE/v1/tenants")" 201 "a plain tenant"
eq "$(call PUT "${R[@]}" --data '{"url":"postgres://u:p@127.0.0.1:1/db"}' "$BASE/v1/tenants/plain/database")" 400 "PUT checks the URL first"
done_ok
