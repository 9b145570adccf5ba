#!/usr/bin/env bash
# The layer rules of the one front door (ARCHITECTURE.md §1): HTTP
# handlers (src/api) and CLI commands (src/cli) parse, call one domain
# operation and render — they hold no SQL and call no catalog (td_cat_*)
# or storage (td_db_*) function; and SQL that differs by dialect (DDL)
# lives in src/store only. Each rule is a grep over the sources that must
# find nothing; what it finds is printed.
. "$(dirname "$0")/lib.sh"
SRC=$TD_SRC/src

# finds PATTERN in FILES…: prints the matching lines, fails on any
check_none() {
  local what=$1 pat=$2; shift 2
  local hits
  hits=$(grep -nE "$pat" "$@" || true)
  [ -z "$hits" ] || { echo "$hits" >&2; fail "$what"; }
  pass
}

check_none "catalog or storage calls in src/api or src/cli" \
  '\btd_(cat|db)_[a-z0-9_]+[[:space:]]*\(' "$SRC"/api/*.c "$SRC"/api/*.h "$SRC"/cli/*.c "$SRC"/cli/*.h
# nor do they hold a database themselves: a catalog lease, a tenant's
# database or a session store is the operation's (ops/, auth/, tenancy/)
HOLD='\btd_(catalog|tenant)_lease[[:space:]]*\(|\btd_tenant_open_db[[:space:]]*\(|\btd_sessions_t\b|\btd_session_(start|rotate|end|end_all)[[:space:]]*\(|\btd_(user|admin)_end_sessions[[:space:]]*\(|\btd_admin_end_all[[:space:]]*\('
check_none "catalog leases, tenant databases or session stores in src/api or src/cli" \
  "$HOLD" "$SRC"/api/*.c "$SRC"/api/*.h "$SRC"/cli/*.c "$SRC"/cli/*.h
check_none "SQL in src/api or src/cli" \
  '"[^"]*\b(SELECT|INSERT INTO|DELETE FROM|CREATE TABLE|ALTER TABLE|DROP TABLE)\b|"[^"]*\bUPDATE [a-z_."]+ SET\b' \
  "$SRC"/api/*.c "$SRC"/cli/*.c
check_none "DDL outside src/store (dialect differences live there)" \
  '"[^"]*\b(CREATE TABLE|GENERATED ALWAYS|AUTOINCREMENT)\b' \
  $(find "$SRC" -name '*.c' -not -path "$SRC/store/*")

# the rules can fail: a planted call and a planted query are found
plant=$T/planted.c
printf 'static void f(void) { td_cat_apikey_get(db, a, id, &k); }\n' >"$plant"
if grep -qE '\btd_(cat|db)_[a-z0-9_]+[[:space:]]*\(' "$plant"; then pass; else fail "the call rule finds a call"; fi
for line in 'st = td_catalog_lease(app->platform->catalog, req->arena, &db);' \
            'st = td_tenant_lease(app->platform, req->arena, id, "auth", &tdb, err, n);' \
            'td_sessions_t ss = {tdb, 0, scope};' 'st = td_session_rotate (&ss, a, token, ip, &o, &f, r);'; do
  printf '%s\n' "$line" >"$plant"
  if grep -qE "$HOLD" "$plant"; then pass; else fail "the holding rule finds: $line"; fi
done
printf 'static const char *q = "SELECT id FROM auth.users WHERE email = ?";\n' >"$plant"
if grep -qE '"[^"]*\b(SELECT|INSERT INTO|DELETE FROM|CREATE TABLE)\b' "$plant"; then pass; else fail "the SQL rule finds a query"; fi
done_ok
