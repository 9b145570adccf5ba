#!/usr/bin/env bash
# bench/idle.sh — the memory of a server idling over a large catalog
# (issue 11: idle RSS with 100 000 tenants in the catalog <= 100 MB).
#
#   bench/idle.sh                      N tenants (default 100000)
#   N=10000 bench/idle.sh              a smaller catalog, to see the slope
#   DATA=/tmp/idle100k KEEP=1 bench/idle.sh   keep (and next time reuse) the data
#
# Environment:
#   N       tenants in the catalog (SQLite, crm), default 100000
#   HITS    distinct tenants read once each after the idle figure (default 100);
#           with TENANTD_POOL_MAX=2 a large HITS (30000) shows what stays
#           after traffic touched many tenants, beside the pool's handles
#   SETTLE  seconds of no CPU use that count as idle (default 3)
#   DATA    data folder: provisioned when it holds no catalog, reused as is
#           when it does (kept then); default a temp folder, removed
#   BUILD   build tree (default build/bench; tenantd, td_bench_provision
#           and libtd_bench_nosync.so are built there, Release)
#   KEEP=1  keep a temp DATA folder
#
# Provisioning (td_bench_provision, fsync off through bench/nosync.c: the
# setup is not what is measured) takes about 6 ms a tenant on 2 cores. Then
# `tenantd serve` starts on the folder; once it used no CPU for SETTLE
# seconds (start-up jobs done) its VmRSS and VmHWM are read from /proc,
# HITS tenants are read once each (GET /v1/crm/customers, superadmin with
# X-Tenant), and RSS is read again. Prints
#   target idle_rss_mb_<N> <= 100: met|NOT met (x)
# (the target is for N = 100000; other N print the same line for the slope).
set -euo pipefail
export TENANTD_RATE_LIMITS=${TENANTD_RATE_LIMITS:-0} # the plans' request limits would refuse the load

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-100000}
HITS=${HITS:-100}
SETTLE=${SETTLE:-3}
KEEP=${KEEP:-0}
BUILD=${BUILD:-$ROOT/build/bench}
PASSWORD=bench-admin-password

say() { printf '%s\n' "$*"; }
die() { printf 'bench/idle: %s\n' "$*" >&2; exit 1; }

TMP=$(mktemp -d /tmp/tdidle.XXXXXX)
SERVER=
OWN_DATA=0
if [ -z "${DATA:-}" ]; then DATA=$TMP/data; OWN_DATA=1; fi
cleanup() {
  if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER" 2>/dev/null || true
  fi
  if [ "$OWN_DATA" = 1 ] && [ "$KEEP" = 1 ]; then
    mv "$DATA" "$TMP.data" && say "data kept in $TMP.data"
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

say "bench/idle: $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$TMP/cmake.log" 2>&1 ||
  { cat "$TMP/cmake.log" >&2; die "cmake failed"; }
ninja -C "$BUILD" tenantd td_bench_provision td_bench_nosync >"$TMP/ninja.log" 2>&1 ||
  { tail -n 30 "$TMP/ninja.log" >&2; die "build failed"; }
TENANTD=$BUILD/tenantd
export TENANTD_LOG=warn TENANTD_TENANT_DB_URL="" TENANTD_CATALOG_URL=""
unset TENANTD_MASTER_KEY TENANTD_CONFIG

# ----------------------------------------------------------- provisioning
if [ -f "$DATA/catalog.db" ]; then
  have=$(sqlite3 -readonly "$DATA/catalog.db" "SELECT count(*) FROM tenants WHERE status = 'active'")
  say "data: $DATA reused, $have active tenants"
  N=$have
else
  echo "$PASSWORD" | "$TENANTD" init --data "$DATA" --admin-password-stdin >"$TMP/init.log" 2>&1 ||
    { cat "$TMP/init.log" >&2; die "tenantd init failed"; }
  t0=$SECONDS
  LD_PRELOAD=$BUILD/bench/libtd_bench_nosync.so \
    "$BUILD/bench/td_bench_provision" "$N" sqlite "$DATA" >"$TMP/provision.log" ||
    die "provisioning failed: $(tail -n 3 "$TMP/provision.log")"
  say "provisioned $N SQLite tenants (crm) in $((SECONDS - t0)) s, fsync off (not a provisioning figure)"
fi
say "data folder: $(du -sh "$DATA" | cut -f1), catalog.db $(du -h "$DATA/catalog.db" | cut -f1)"

# ----------------------------------------------------------------- serve
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=
for _ in $(seq 1 100); do
  p=$((20000 + (RANDOM * 32768 + RANDOM) % 40001))
  if port_free "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || die "no free port"
BASE=http://127.0.0.1:$PORT
t0=$SECONDS
"$TENANTD" serve --data "$DATA" --listen "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null --max-time 1 "$BASE/health" 2>/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || die "tenantd stopped: $(tail -n 5 "$TMP/server.log")"
  sleep 0.1
done
curl -fsS -o /dev/null "$BASE/health" || die "tenantd did not answer within 60 s"
say "serving after $((SECONDS - t0)) s"

# cpu_ticks: user + system clock ticks the server used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER/stat"; }
# status KEY: a /proc/PID/status figure in MB (one decimal).
status() { awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$SERVER/status"; }
figures() {
  say "$1: VmRSS $(status VmRSS) MB (anon $(status RssAnon), file $(status RssFile)," \
      "shmem $(status RssShmem)), VmHWM $(status VmHWM) MB, VmSize $(status VmSize) MB," \
      "threads $(awk '$1 == "Threads:" { print $2 }' "/proc/$SERVER/status")," \
      "fds $(find "/proc/$SERVER/fd" -mindepth 1 -maxdepth 1 | wc -l)"
}

# idle: no CPU used for SETTLE seconds in a row (start-up jobs done), at most 10 minutes
quiet=0 last=$(cpu_ticks) t0=$SECONDS
while [ "$quiet" -lt "$SETTLE" ] && [ $((SECONDS - t0)) -lt 600 ]; do
  sleep 1
  now=$(cpu_ticks)
  # a tick or two a second is the drain's and the usage flush's timer
  if [ $((now - last)) -le 2 ]; then quiet=$((quiet + 1)); else quiet=0; fi
  last=$now
done
say "idle after $((SECONDS - t0)) s (cpu $(awk -v t="$(cpu_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }') s since start)"
figures "idle, $N tenants in the catalog"
jobs() {
  sqlite3 -readonly "$DATA/catalog.db" "SELECT kind || ' ' || state || ' ' || done || '/' || total
    FROM job_queue WHERE state IN ('queued', 'running')" 2>/dev/null | tr '\n' ';'
}
say "jobs queued or running: $(jobs)"
IDLE_KB=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$SERVER/status")

# a few tenants read once each
curl -sS -o "$TMP/login.json" "$BASE/v1/auth/login" -H 'Content-Type: application/json' \
  --data "{\"email\":\"root@example.com\",\"password\":\"$PASSWORD\"}" || true
TOKEN=$(jq -r '.access_token // empty' "$TMP/login.json" 2>/dev/null || true)
[ -n "$TOKEN" ] || say "NOTE: superadmin login failed: $(head -c 300 "$TMP/login.json")"
hits=$((HITS < N ? HITS : N))
for i in $(seq 1 "$hits"); do
  k=$(((i * 7919) % N + 1)) # distinct tenants (7919 is prime), spread over the catalog
  [ "$i" = 1 ] || echo next
  printf 'url = "%s/v1/crm/customers?limit=1"\nheader = "Authorization: Bearer %s"\nheader = "X-Tenant: t%06d"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
    "$BASE" "$TOKEN" "$k"
done >"$TMP/hits.cfg"
curl -sS -K "$TMP/hits.cfg" >"$TMP/hits.codes"
ok=$(grep -c '^200$' "$TMP/hits.codes" || true)
[ "$ok" = "$hits" ] || say "NOTE: $((hits - ok)) of $hits reads failed: $(sort "$TMP/hits.codes" | uniq -c | tr '\n' ' ')"
sleep 1
figures "after reading $hits tenants once each"
curl -sS "$BASE/metrics" | grep -E '^tenantd_(tenant_db_open|pool_(misses|evictions)_total) ' | tr '\n' ' '
echo

awk -v n="$N" -v kb="$IDLE_KB" 'BEGIN {
  mb = kb / 1024
  printf "target idle_rss_mb_%s <= 100: %s (%.1f)\n", (n == 100000 ? "100k" : n), (mb <= 100 ? "met" : "NOT met"), mb }'
