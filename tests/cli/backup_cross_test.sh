#!/usr/bin/env bash
# backup_cross_test.sh — a backup taken on SQLite restores onto PostgreSQL
# and the reverse (issue 12, part 2): the same rows, ids, timestamps,
# integers (up to 2^63 − 1), doubles (exactly), bytes and NULLs, compared
# with one query per table on each side. Needs both backends: skipped on
# SQLite alone.
source "$(dirname "$0")/lib.sh"
[ "$BACKEND" = postgres ] || skip "cross-backend restore needs PostgreSQL"

td_init
td tenant create lite --backend sqlite --services crm,cms,analytics >/dev/null
td tenant create pg --backend postgres --services crm,cms,analytics >/dev/null

id_of() { td tenant show "$1" --json | jq -r .id; }
backend_of() { td tenant show "$1" --json | jq -r .backend; }
# q SLUG SERVICE SQL: SQL in the tenant's service database, whatever its
# backend; @s. stands for the schema (PostgreSQL) or nothing (SQLite)
q() {
  local id; id=$(id_of "$1")
  if [ "$(backend_of "$1")" = postgres ]; then
    psql "${TD_TEST_PG_URL%/*}/td_${id//-/}" -XAtq -v ON_ERROR_STOP=1 -c "${3//@s./$2.}"
  else
    sqlite3 -bail -cmd '.timeout 5000' "$DATA/tenants/$id/$2.db" "${3//@s./}"
  fi
}
hexof() { if [ "$(backend_of "$1")" = postgres ]; then echo "encode($2, 'hex')"; else echo "lower(hex($2))"; fi; }

fill() {
  q "$1" crm "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
    INSERT INTO @s.customers (id, name, email, created_at, updated_at)
    SELECT 'c' || i, 'Name ' || i || ' é€😀', CASE WHEN i % 3 = 0 THEN NULL ELSE 'e' || i END,
           '2026-01-01T00:00:00.' || i || 'Z', '2026-02-01T00:00:00Z' FROM n"
  q "$1" crm "INSERT INTO @s.deals (id, customer_id, title, amount, created_at, updated_at)
    VALUES ('d1', 'c1', 'big', 9223372036854775807, 't1', 't2'), ('d2', NULL, 'neg', -42, 't1', 't2')"
  q "$1" analytics "INSERT INTO @s.events (id, name, ts, value, created_at, updated_at)
    VALUES ('e1', 'pi', 't', 3.141592653589793, 't', 't'), ('e2', 'tiny', 't', 1e-300, 't', 't'),
           ('e3', 'null', 't', NULL, 't', 't'), ('e4', 'third', 't', 0.30000000000000004, 't', 't')"
  q "$1" cms "INSERT INTO @s.media (id, filename, content_type, created_at, updated_at)
    VALUES ('m1', 'a.bin', 'application/octet-stream', 't', 't')"
  if [ "$(backend_of "$1")" = postgres ]; then
    q "$1" cms "INSERT INTO cms.media_content (media_id, bytes) VALUES ('m1', '\\x00ff00107f80'::bytea)"
  else
    q "$1" cms "INSERT INTO media_content (media_id, bytes) VALUES ('m1', x'00ff00107f80')"
  fi
}

# dump SLUG: the rows, printed the same way by either backend
dump() {
  q "$1" crm "SELECT * FROM @s.customers ORDER BY id"
  q "$1" crm "SELECT * FROM @s.deals ORDER BY id"
  q "$1" analytics "SELECT id, name, CASE WHEN value IS NULL THEN 'null'
      WHEN value = 3.141592653589793 THEN 'pi' WHEN value = 1e-300 THEN 'tiny'
      WHEN value = 0.30000000000000004 THEN 'third' ELSE 'other' END FROM @s.events ORDER BY id"
  q "$1" cms "SELECT media_id, $(hexof "$1" bytes) FROM @s.media_content ORDER BY media_id"
  q "$1" auth "SELECT id, email, password_hash, created_at FROM @s.users ORDER BY id"
}

fill lite
fill pg

# SQLite → PostgreSQL
expect_rc 0 td backup lite --out "$T/lite.tdb"
expect_rc 0 td restore "$T/lite.tdb" --as lite-on-pg --backend postgres
eq "$(backend_of lite-on-pg)" postgres "the clone is on PostgreSQL"
dump lite >"$T/a"; dump lite-on-pg >"$T/b"
[ "$(wc -l <"$T/a")" -gt 500 ] || fail "rows to compare"; pass
diff "$T/a" "$T/b" >&2 || fail "SQLite → PostgreSQL changed rows"; pass

# PostgreSQL → SQLite
expect_rc 0 td backup pg --out "$T/pg.tdb"
expect_rc 0 td restore "$T/pg.tdb" --as pg-on-lite --backend sqlite
eq "$(backend_of pg-on-lite)" sqlite "the clone is on SQLite"
dump pg >"$T/c"; dump pg-on-lite >"$T/d"
diff "$T/c" "$T/d" >&2 || fail "PostgreSQL → SQLite changed rows"; pass

# and back again: SQLite → PostgreSQL → SQLite
expect_rc 0 td backup lite-on-pg --out "$T/back.tdb"
expect_rc 0 td restore "$T/back.tdb" --as lite-back --backend sqlite
dump lite-back >"$T/e"
diff "$T/a" "$T/e" >&2 || fail "the round trip through PostgreSQL changed rows"; pass
expect_rc 0 td check

done_ok
