# lib.sh — shared set-up for the CLI and HTTP tests (sourced).
#
# Gives each test a fresh data folder and, when TD_TEST_BACKEND=postgres, a
# fresh catalog database on the test cluster with new tenants placed there
# too. Provides assertions that print what failed and stop the test.
set -euo pipefail

: "${TD_BIN:?TD_BIN must point at the tenantd binary}"
: "${TD_SRC:?TD_SRC must point at the source tree}"
BACKEND=${TD_TEST_BACKEND:-sqlite}
T=$(mktemp -d /tmp/tdtest.XXXXXX)
DATA=$T/data
export TENANTD_LOG=warn
unset TENANTD_MASTER_KEY TENANTD_CATALOG_URL TENANTD_TENANT_DB_URL TENANTD_CONFIG
PASSES=0
SERVER_PID=

td() { "$TD_BIN" "$@" --data "$DATA"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { PASSES=$((PASSES + 1)); }
# expect_rc N CMD…: runs CMD, asserts its exit code.
expect_rc() {
  local want=$1; shift
  set +e; "$@" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || { cat "$T/out" "$T/err" >&2; fail "expected exit $want, got $rc: $*"; }
  pass
}
# expect_contains FILE TEXT
expect_contains() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "'$2' not in $1"; }; pass; }
expect_not_contains() { ! grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "'$2' unexpectedly in $1"; }; pass; }
eq() { [ "$1" = "$2" ] || fail "expected '$2', got '$1' ($3)"; pass; }

# psql against the admin URL of the test cluster.
pg() { psql "$TD_TEST_PG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

if [ "$BACKEND" = postgres ]; then
  : "${TD_TEST_PG_URL:?TD_TEST_PG_URL must be set for the postgres backend}"
  CATDB="td_cat_$(basename "$T" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')"
  pg "CREATE DATABASE $CATDB"
  export TENANTD_CATALOG_URL="${TD_TEST_PG_URL%/*}/$CATDB"
  export TENANTD_TENANT_DB_URL="$TD_TEST_PG_URL"
fi

td_cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "$BACKEND" = postgres ]; then
    pg "DROP DATABASE IF EXISTS $CATDB WITH (FORCE)" || true
  fi
  rm -rf "$T"
}
trap td_cleanup EXIT

# Initialises the data folder with a known superadmin password.
td_init() { echo 'root-password-1' | td init --admin-password-stdin >/dev/null; }

# A free loopback port.
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# Starts the server in the background on a free port; sets PORT and BASE.
# Tests run in parallel, so a port found free may be taken before the
# server binds it: then another port is tried.
start_server() {
  local attempt
  for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    BASE="http://127.0.0.1:$PORT"
    "$TD_BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" "$@" >"$T/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do # up to 30 s: --demo writes a tenant first
      curl -fsS "$BASE/health" >/dev/null 2>&1 && return 0
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null || ! grep -q 'already in use' "$T/server.log"; then
      cat "$T/server.log" >&2
      fail "server did not answer /health"
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  done
  fail "no free port after 5 attempts"
}

# HTTP helpers (after start_server): the status code is printed, the body
# lands in $T/body.
call() { local m=$1; shift; curl -sS -o "$T/body" -w '%{http_code}' -X "$m" -H 'Content-Type: application/json' "$@"; }
post() { call POST "$@"; }
get() { curl -sS -o "$T/body" -w '%{http_code}' "$@"; }
# login JSON: prints an access token; the whole answer is kept in $T/login.
login() { curl -sS -X POST "$BASE/v1/auth/login" --data "$1" -o "$T/login"; jq -r .access_token "$T/login"; }

# tenants_with_admins SLUG…: as the superadmin (token in ROOT), creates each
# tenant with crm and an admin admin@SLUG.test / admin-password-1.
tenants_with_admins() {
  local s
  for s in "$@"; do
    call POST -H "Authorization: Bearer $ROOT" --data "{\"slug\":\"$s\",\"services\":[\"crm\"],\"admin\":{\"email\":\"admin@$s.test\",\"password\":\"admin-password-1\"}}" "$BASE/v1/tenants" >/dev/null
  done
}

# Asserts that nothing of tenant ID remains: files, database, role.
assert_tenant_gone() {
  local id=$1 compact
  compact=$(echo "$id" | tr -d -)
  [ ! -e "$DATA/tenants/$id" ] || fail "tenant folder $id still exists"
  pass
  if [ "$BACKEND" = postgres ]; then
    eq "$(pg "SELECT count(*) FROM pg_database WHERE datname = 'td_$compact'")" 0 "database of $id dropped"
    eq "$(pg "SELECT count(*) FROM pg_roles WHERE rolname = 'td_$compact'")" 0 "role of $id dropped"
  fi
}

# Asserts the tenant's databases exist.
assert_tenant_present() {
  local id=$1 backend=$2 compact
  compact=$(echo "$id" | tr -d -)
  if [ "$backend" = postgres ]; then
    eq "$(pg "SELECT count(*) FROM pg_database WHERE datname = 'td_$compact'")" 1 "database of $id"
  else
    [ -f "$DATA/tenants/$id/auth.db" ] || fail "no auth.db for $id"
    pass
  fi
}


# tenant_sql TENANT_ID SERVICE SQL: runs SQL in that service's tenant
# database (read-only on SQLite); @ob stands for the service's outbox table.
tenant_sql() {
  local tid=$1 svc=$2 sql=$3
  if [ "$BACKEND" = postgres ]; then
    psql "${TD_TEST_PG_URL%/*}/td_${tid//-/}" -XAtq -v ON_ERROR_STOP=1 -c "${sql//@ob/$svc.td_outbox}"
  else
    sqlite3 -readonly "$DATA/tenants/$tid/$svc.db" "${sql//@ob/td_outbox}"
  fi
}

done_ok() { echo "ok: $PASSES assertions ($BACKEND)"; }
