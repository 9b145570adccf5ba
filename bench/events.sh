#!/usr/bin/env bash
# bench/events.sh — batched analytics ingestion (POST /v1/analytics/events:batch).
#
#   bench/events.sh                   the working tree, ROUNDS rounds
#   BASE=23ca699 bench/events.sh      also that commit, rounds alternating
#                                     (A/B: compare only figures of one run)
#
# Environment:
#   DURATION   length of each wrk run (default 10s)
#   ROUNDS     measurements per binary (default 2)
#   BASE       a commit to compare against: exported (git archive) into the
#              temp folder and built there
#   BASE_BIN   a tenantd binary to compare against (instead of BASE)
#   PERF=1     perf record the working tree's server during its first round
#              and print its top symbols
#
# Each binary serves a fresh data folder with one SQLite tenant (crm,
# analytics) and its admin; wrk -t2 -c4 POSTs bench/run's body (10 000
# events of ~90 bytes) with bench/post.lua; events/s = non-2xx-free
# requests × 10 000 / seconds. Prints one line per round and, for the
# working tree's best round, `target events_per_s >= 250000: met/NOT met (N)`.
# Everything lives in a /tmp/tdevents.* folder removed on exit.
set -euo pipefail
export TENANTD_RATE_LIMITS=${TENANTD_RATE_LIMITS:-0} # the plans' request limits would refuse the load
cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
BASE=${BASE:-}
BASE_BIN=${BASE_BIN:-}
PERF=${PERF:-0}
W=$(mktemp -d /tmp/tdevents.XXXXXX)
SERVER=
cleanup() {
  [ -z "$SERVER" ] || { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  rm -rf "$W"
}
trap cleanup EXIT
unset TENANTD_CATALOG_URL TENANTD_TENANT_DB_URL

build() { # build SRC_DIR BUILD_DIR
  cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C "$2" -j2 tenantd >/dev/null
}
build "$ROOT" "$ROOT/build/release"
BINS=("$ROOT/build/release/tenantd")
NAMES=(tree)
if [ -n "$BASE" ] && [ -z "$BASE_BIN" ]; then
  mkdir "$W/base"
  git -C "$ROOT" archive "$BASE" | tar -x -C "$W/base"
  build "$W/base" "$W/base/build"
  BASE_BIN=$W/base/build/tenantd
fi
if [ -n "$BASE_BIN" ]; then BINS+=("$BASE_BIN"); NAMES+=("base${BASE:+ $BASE}"); fi

awk 'BEGIN {
  printf "{\"events\":["
  for (i = 0; i < 10000; i++)
    printf "%s{\"name\":\"page_view\",\"ts\":\"2026-11-01T10:00:00Z\",\"value\":1,\"props\":{\"path\":\"/x\"}}", i ? "," : ""
  printf "]}" }' >"$W/events.json"

cpu_ticks() { # CPU ticks (user + system) of process $1's threads
  local t=0 f
  for f in /proc/"$1"/task/*/stat; do
    t=$(( t + $(sed 's/.*) //' "$f" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0) ))
  done
  echo "$t"
}

# round BIN NAME: one fresh server, one wrk run; prints a line, sets EPS.
round() {
  local bin=$1 name=$2 data=$W/data port tok code t0 t1 perf=
  rm -rf "$data"
  { echo "bench-admin-password" | TENANTD_LOG=warn "$bin" init --data "$data" --admin-password-stdin &&
    echo "bench-tenant-password" | TENANTD_LOG=warn "$bin" tenant create acme --data "$data" \
      --services crm,analytics --admin-email admin@acme.test --admin-password-stdin
  } >"$W/init.log" 2>&1 || { cat "$W/init.log" >&2; exit 1; }
  port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40001 ))
  TENANTD_LOG=warn "$bin" serve --data "$data" --listen "127.0.0.1:$port" >"$W/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "127.0.0.1:$port/health" 2>/dev/null && break; sleep 0.1; done
  tok=$(curl -sS "127.0.0.1:$port/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"tenant":"acme","email":"admin@acme.test","password":"bench-tenant-password"}' | jq -r .access_token)
  code=$(curl -sS -o "$W/answer.json" -w '%{http_code}' -H "Authorization: Bearer $tok" \
         -H 'Content-Type: application/json' --data-binary @"$W/events.json" \
         "127.0.0.1:$port/v1/analytics/events:batch")
  [ "$code" = 202 ] && grep -q '"accepted":10000' "$W/answer.json" ||
    { echo "events:batch answered $code $(head -c 300 "$W/answer.json")" >&2; exit 1; }
  if [ "$PERF" = 1 ] && [ "$name" = tree ] && [ ! -e "$W/perf.data" ]; then
    perf record -q -g -F 999 -p "$SERVER" -o "$W/perf.data" >"$W/perf.log" 2>&1 &
    perf=$!
    sleep 0.3
  fi
  t0=$(cpu_ticks "$SERVER")
  wrk -t2 -c4 -d"$DURATION" --timeout 60s --latency -H "Authorization: Bearer $tok" \
    -s "$ROOT/bench/post.lua" "http://127.0.0.1:$port/v1/analytics/events:batch" -- "$W/events.json" \
    >"$W/wrk.txt" 2>&1
  t1=$(cpu_ticks "$SERVER")
  if [ -n "$perf" ]; then kill -INT "$perf"; wait "$perf" 2>/dev/null || true; fi
  local nreq secs bad p50 p99
  nreq=$(awk '/requests in/ { print $1 }' "$W/wrk.txt")
  secs=$(awk '/requests in/ { v = $4; sub(/,$/, "", v); if (v ~ /ms$/) { sub(/ms$/, "", v); v /= 1000 } else if (v ~ /m$/) { sub(/m$/, "", v); v *= 60 } else sub(/s$/, "", v); print v }' "$W/wrk.txt")
  bad=$(awk '/Non-2xx/ { print $NF }' "$W/wrk.txt"); bad=${bad:-0}
  p50=$(awk '$1 == "50%" { print $2 }' "$W/wrk.txt")
  p99=$(awk '$1 == "99%" { print $2 }' "$W/wrk.txt")
  EPS=$(awk -v n="$nreq" -v b="$bad" -v s="$secs" 'BEGIN { printf "%.0f", s ? (n - b) * 10000 / s : 0 }')
  local cpu_us
  cpu_us=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$nreq" \
           'BEGIN { printf "%.2f", n ? t / hz * 1e6 / (n * 10000) : 0 }')
  echo "events $name: requests=$nreq non2xx=$bad events_per_s=$EPS p50=$p50 p99=$p99" \
       "cpu_us_per_event=$cpu_us load=$(cut -d' ' -f1-3 /proc/loadavg)"
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
}

best=0
for ((r = 1; r <= ROUNDS; r++)); do
  for i in "${!BINS[@]}"; do
    round "${BINS[$i]}" "${NAMES[$i]}"
    if [ "${NAMES[$i]}" = tree ] && [ "$EPS" -gt "$best" ]; then best=$EPS; fi
  done
done
if [ -e "$W/perf.data" ]; then
  echo "perf: the working tree's top symbols (self time):"
  perf report -i "$W/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null |
    grep -v '^#' | grep '%' | head -n 25 | sed 's/^/    /' || true
fi
echo "target events_per_s >= 250000: $([ "$best" -ge 250000 ] && echo met || echo 'NOT met') ($best)"
