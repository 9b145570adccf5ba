# lib.sh — shared set-up for the CLI and HTTP tests (sourced).
#
# Gives each test a fresh data folder and, when TD_TEST_BACKEND=postgres, a
# fresh catalog database on the test cluster with new tenants placed there
# too. Provides assertions that print what failed and stop the test.
#
# A server started with start_server is stopped with stop_server (or at
# exit): it must exit with status 0 on SIGTERM. A leak (LeakSanitizer), a
# sanitizer report or a crash makes the status nonzero, and the test fails
# with the report shown. A failed test keeps its folder ($T: data, server
# logs) and says where; `skip REASON` ends a test that does not apply
# (ctest shows it as skipped, not passed).
set -euo pipefail

: "${TD_BIN:?TD_BIN must point at the tenantd binary}"
: "${TD_SRC:?TD_SRC must point at the source tree}"
BACKEND=${TD_TEST_BACKEND:-sqlite}
T=$(mktemp -d /tmp/tdtest.XXXXXX)
DATA=$T/data
export TENANTD_LOG=warn
# The plans' request limits (free: 600 a minute) would refuse the load some
# tests make on one tenant on purpose: off unless a test turns them on
# (rate_limit_test, plan tests).
export TENANTD_RATE_LIMITS=${TENANTD_RATE_LIMITS:-0}
# the test payment provider (off by default: credits_test checks that too)
export TENANTD_PAYMENTS_TEST=${TENANTD_PAYMENTS_TEST:-1}
# as scripts/test runs them: a leak or undefined behaviour ends the process
# with a nonzero status (by hand too)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
unset TENANTD_MASTER_KEY TENANTD_CATALOG_URL TENANTD_TENANT_DB_URL TENANTD_CONFIG
PASSES=0
SERVER_PID=
SERVER_RUNS=0   # servers stopped so far; each one's log is kept as $T/server.N.log

td() { "$TD_BIN" "$@" --data "$DATA"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
# skip REASON: the test does not apply here (exit 77: SKIP_RETURN_CODE).
skip() { echo "skip: $*"; exit 77; }
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

# server_end: stops the server (SIGTERM, then SIGKILL after 60 s) and
# returns 0 when it exited with status 0; otherwise prints its sanitizer
# report or the end of its log and returns 1. Without a server, returns 0.
server_end() {
  [ -n "$SERVER_PID" ] || return 0
  local pid=$SERVER_PID rc _
  SERVER_PID=
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && { echo "the server did not stop within 60 s of SIGTERM: killed" >&2; kill -KILL "$pid" 2>/dev/null; }
  set +e; wait "$pid" 2>/dev/null; rc=$?; set -e
  SERVER_RUNS=$((SERVER_RUNS + 1))
  cp "$T/server.log" "$T/server.$SERVER_RUNS.log" 2>/dev/null || true
  [ "$rc" -eq 0 ] && return 0
  echo "---- the server (run $SERVER_RUNS) exited with status $rc; its log: $T/server.$SERVER_RUNS.log" >&2
  if grep -qE '^==[0-9]+==|runtime error:|^SUMMARY: ' "$T/server.log" 2>/dev/null; then
    sed -n '/^==[0-9]*==\|runtime error:/,$p' "$T/server.log" | head -n 200 >&2
  else
    tail -n 40 "$T/server.log" >&2 2>/dev/null || true
  fi
  echo "----" >&2
  return 1
}

# stop_server: ends the running server; the test fails unless it exited
# cleanly (status 0: no leak, no sanitizer report, no crash).
stop_server() { server_end || fail "the server did not exit cleanly (status above)"; }

# td_cleanup STATUS: the EXIT trap (STATUS is the test's exit status).
# Stops the server (a bad exit fails a test that passed), then removes the
# test's folder and catalog database, or keeps both when the test failed
# and says where they are.
td_cleanup() {
  local rc=${1:-$?} bad=0
  server_end || bad=1
  if [ "$bad" -eq 0 ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; }; then
    if [ "$BACKEND" = postgres ]; then
      pg "DROP DATABASE IF EXISTS $CATDB WITH (FORCE)" || true
    fi
    rm -rf "$T"
  else
    echo "kept for inspection: $T (data folder $DATA, server logs $T/server*.log)${CATDB:+; catalog database $CATDB}" >&2
  fi
  # the test's own status stands, unless only the server's exit was bad
  if [ "$bad" -eq 1 ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; }; then exit 1; fi
}
trap 'td_cleanup $?' EXIT
# a command that fails under set -e ends the test: say which one
trap '_st=$?; [[ $- != *e* ]] || echo "FAIL: line $LINENO: $BASH_COMMAND (status $_st)" >&2' ERR

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
# A port taken between free_port and the bind makes the server exit, and
# start_server tries again on the same data folder: what the failed
# attempts logged (a --demo server prints its tenant's password once,
# before it binds) is kept in $T/server.earlier.log.
start_server() {
  local attempt
  : >"$T/server.earlier.log"
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
    wait "$SERVER_PID" 2>/dev/null || true   # it could not bind: exit status 1 expected
    cat "$T/server.log" >>"$T/server.earlier.log"
    SERVER_PID=
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

# catalog_sql SQL: runs SQL in the catalog (read-only on SQLite).
catalog_sql() {
  if [ "$BACKEND" = postgres ]; then
    psql "$TENANTD_CATALOG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"
  else
    sqlite3 -readonly "$DATA/catalog.db" "$1"
  fi
}

# catalog_exec SQL: changes the catalog behind the server's back (damage,
# time travel); fails the test when the SQL fails.
catalog_exec() {
  if [ "$BACKEND" = postgres ]; then
    psql "$TENANTD_CATALOG_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"
  else
    sqlite3 -bail -cmd '.timeout 5000' "$DATA/catalog.db" "$1"
  fi
}

# tenant_exec TENANT_ID SERVICE SQL: changes a tenant's service database;
# "@s." stands for the service's schema ("auth." on PostgreSQL, nothing in
# SQLite's file of the service).
tenant_exec() {
  local tid=$1 svc=$2 sql=$3
  if [ "$BACKEND" = postgres ]; then
    psql "${TD_TEST_PG_URL%/*}/td_${tid//-/}" -XAtq -v ON_ERROR_STOP=1 -c "${sql//@s./$svc.}"
  else
    sqlite3 -bail -cmd '.timeout 5000' "$DATA/tenants/$tid/$svc.db" "${sql//@s./}"
  fi
}

# four_at_a_time N FN: runs FN 1 … FN N in the background, four at a time
# (a bare `wait` would wait for the server too).
four_at_a_time() {
  local n=$1 fn=$2 i pids=()
  for i in $(seq 1 "$n"); do
    "$fn" "$i" &
    pids+=($!)
    if [ ${#pids[@]} -eq 4 ] || [ "$i" -eq "$n" ]; then wait "${pids[@]}"; pids=(); fi
  done
}

done_ok() { echo "ok: $PASSES assertions ($BACKEND)"; }

# browser_run SCRIPT [BROWSER]: runs tests/browser/SCRIPT (Node.js,
# playwright-core driving Debian's chromium, or with BROWSER=firefox
# Debian's firefox-esr, headless) against the running server ($BASE).
# playwright-core is installed into the build tree once, under a lock (the
# console tests run side by side). Screenshots land in $T/screens and are
# copied to the build tree's console-screenshots/.
# 1.61: the last playwright-core that runs on Debian 12's Node.js 18 (1.62
# wants Node 20); a tree with another version is installed again.
TD_PLAYWRIGHT=1.61
browser_run() {
  local browser=${2:-chromium} exe=chromium
  [ "$browser" != firefox ] || exe=firefox-esr
  command -v $exe >/dev/null || fail "$exe is not installed (scripts/install-deps test)"
  local mods have
  mods="$(dirname "$TD_BIN")/npm-browser"
  mkdir -p "$mods"
  (
    flock 9
    have=$(node -p "require('$mods/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
    if [ "${have%.*}" != "$TD_PLAYWRIGHT" ]; then
      rm -rf "$mods/node_modules" "$mods/package.json" "$mods/package-lock.json"
      (cd "$mods" && npm install --no-audit --no-fund --silent "playwright-core@$TD_PLAYWRIGHT" >/dev/null 2>&1) ||
        fail "cannot install playwright-core from the npm registry"
    fi
  ) 9>"$mods/.lock"
  # the scripts import playwright-core: they run from beside node_modules
  local run="$mods/run.$(basename "$T")"
  mkdir -p "$run" "$T/screens"
  cp "$TD_SRC"/tests/browser/*.mjs "$run/"
  ln -sfn ../node_modules "$run/node_modules"
  node "$run/$1" "$BASE" "$T/screens" "$browser" || { rm -rf "$run"; fail "the browser test $1 failed (screenshots: $T/screens)"; }
  rm -rf "$run"
  mkdir -p "$(dirname "$TD_BIN")/console-screenshots"
  cp "$T/screens"/*.png "$(dirname "$TD_BIN")/console-screenshots/" 2>/dev/null || true
  pass
}
