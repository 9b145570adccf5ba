#!/usr/bin/env bash
# bench/lists.sh — a list of 20 with an `eq` filter against nginx serving the
# same bytes from a file (issue 11: "list of 20 with an eq filter, c64 ≥ 0.4×").
#
#   bench/lists.sh                 the working tree only
#   BASE=23ca699 bench/lists.sh    also that commit, in the same run, alternating
#
# Environment: DURATION (each wrk run, default 10s), ROUNDS (default 2),
# CONNS (default 64), PERF=1 (one extra run of the working tree's server
# under perf record -g, its top symbols printed; not counted), KEEP=1 (keep
# the temp folder).
#
# For each server (the working tree, and BASE when given): a Release build,
# `tenantd init` + one SQLite tenant (crm) with its admin on a fresh folder,
# 300 customers named "Acme 00" … "Acme 14" (20 of each), the answer to
# GET /v1/crm/customers?filter=name eq 'Acme 07'&limit=20 saved for nginx
# (bench/nginx.conf.in, /static/). Every server runs the whole time; only
# the one measured gets load. Each round measures, per server, nginx on
# that server's file then the server itself; the ratio is per pair, the
# figure is the mean over rounds. Prints one line per pair, the means, the
# load average, and `target list_eq_c64_ratio >= 0.4: met/NOT met (x)`
# for the working tree.
set -euo pipefail
export TENANTD_RATE_LIMITS=${TENANTD_RATE_LIMITS:-0} # the plans' request limits would refuse the load
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-2}
CONNS=${CONNS:-64}
BASE=${BASE:-}
EQ_PATH="/v1/crm/customers?filter=name%20eq%20'Acme%2007'&limit=20"
for t in nginx wrk curl cmake ninja; do
  command -v "$t" >/dev/null || { echo "lists: $t missing (scripts/install-deps bench)" >&2; exit 1; }
done

W=$(mktemp -d /tmp/tdlists.XXXXXX)
PIDS=()
cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[i]}" 2>/dev/null || true
    wait "${PIDS[i]}" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "lists: kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
die() { echo "lists: $*" >&2; exit 1; }

# build LABEL SRC: a Release tenantd of SRC into $W/build-LABEL; echoes its path.
build() {
  cmake -S "$2" -B "$W/build-$1" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$W/cmake-$1.log" 2>&1 ||
    { tail -n 20 "$W/cmake-$1.log" >&2; die "cmake failed for $1"; }
  ninja -j2 -C "$W/build-$1" tenantd >"$W/ninja-$1.log" 2>&1 ||
    { tail -n 20 "$W/ninja-$1.log" >&2; die "build failed for $1"; }
  echo "$W/build-$1/tenantd"
}

free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
wait_http() {
  local i
  for ((i = 0; i < 150; i++)); do
    curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# CPU ticks (user+system) of PID and its children so far.
cpu_ticks() {
  local p t=0 f
  for p in "$1" $(pgrep -P "$1" || true); do
    for f in /proc/"$p"/task/*/stat; do
      [ -r "$f" ] && t=$(( t + $(sed 's/.*) //' "$f" | awk '{ print $12 + $13 }') ))
    done
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)

# wrk_rps PID URL [WRK ARGS]: sets RPS, P99 (wrk's text) and CPU_US (server
# CPU µs per request).
wrk_rps() {
  local pid=$1 url=$2 out=$W/wrk.txt t0 t1 n
  shift 2
  t0=$(cpu_ticks "$pid")
  wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" "$url" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed on $url"; }
  t1=$(cpu_ticks "$pid")
  RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  P99=$(awk '$1 == "99%" { print $2 }' "$out")
  n=$(awk '/ requests in / { print $1 }' "$out")
  ! grep -q 'Non-2xx' "$out" || die "non-2xx answers from $url: $(grep Non-2xx "$out")"
  CPU_US=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.1f", n ? t / hz * 1e6 / n : 0 }')
}

# nginx on the bench's config, static files in $W/nginx/static.
NG=$W/nginx
mkdir -p "$NG/tmp" "$NG/static"
chmod a+x "$W" "$NG" "$NG/static"
NG_PORT=$(free_port)
sed -e "s|@PREFIX@|$NG|g" -e "s|@PORT@|$NG_PORT|g" "$ROOT/bench/nginx.conf.in" >"$NG/nginx.conf"
nginx -p "$NG" -c "$NG/nginx.conf" -g 'daemon off;' >"$NG/stdout.log" 2>&1 &
PIDS+=($!)
NG_PID=$!
wait_http "http://127.0.0.1:$NG_PORT/health" || die "nginx did not start: $(tail -n 3 "$NG/error.log")"

# setup LABEL BIN: a data folder, a server, a token, 300 customers and the
# saved answer; sets PORT_<LABEL>, PID_<LABEL>, TOK_<LABEL>.
setup() {
  local label=$1 bin=$2 data=$W/data-$1 port tok n
  { echo bench-admin-password | TENANTD_LOG=warn "$bin" init --data "$data" --admin-password-stdin &&
    echo bench-tenant-password | TENANTD_LOG=warn "$bin" tenant create acme --data "$data" \
      --services crm --admin-email admin@acme.test --admin-password-stdin; } >"$W/init-$label.log" 2>&1 ||
    { cat "$W/init-$label.log" >&2; die "setup failed for $label"; }
  port=$(free_port)
  TENANTD_LOG=warn TENANTD_CONNECTIONS_PER_ADDRESS=4096 TENANTD_CATALOG_URL="" TENANTD_TENANT_DB_URL="" \
    "$bin" serve --data "$data" --listen "127.0.0.1:$port" >"$W/serve-$label.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$label" %s "$!"
  wait_http "http://127.0.0.1:$port/health" || die "$label did not start: $(tail -n 3 "$W/serve-$label.log")"
  tok=$(curl -sS "http://127.0.0.1:$port/v1/auth/login" -H 'Content-Type: application/json' \
          -d '{"tenant":"acme","email":"admin@acme.test","password":"bench-tenant-password"}' |
        sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  [ -n "$tok" ] || die "login failed on $label"
  awk -v base="http://127.0.0.1:$port" -v tok="$tok" 'BEGIN {
    for (i = 0; i < 300; i++) {
      if (i) print "next"
      printf "url = \"%s/v1/crm/customers\"\nheader = \"Authorization: Bearer %s\"\n", base, tok
      print "header = \"Content-Type: application/json\""
      printf "data = \"{\\\"name\\\":\\\"Acme %02d\\\",\\\"email\\\":\\\"c%03d@acme.test\\\"}\"\n", i % 15, i
      print "output = \"/dev/null\""
      print "write-out = \"%{http_code}\\n\""
    } }' >"$W/customers-$label.curl"
  n=$(curl -sS -K "$W/customers-$label.curl" | grep -c '^201$' || true)
  [ "$n" = 300 ] || die "$label: created $n of 300 customers"
  curl -fsS -H "Authorization: Bearer $tok" "http://127.0.0.1:$port$EQ_PATH" -o "$NG/static/list-$label.json" ||
    die "$label: the list failed"
  n=$(grep -o '"owner_id"' "$NG/static/list-$label.json" | wc -l)
  [ "$n" = 20 ] || die "$label: $n items, not 20"
  curl -fsS "http://127.0.0.1:$NG_PORT/static/list-$label.json" | cmp -s - "$NG/static/list-$label.json" ||
    die "nginx does not serve list-$label.json as is"
  printf -v "PORT_$label" %s "$port"
  printf -v "TOK_$label" %s "$tok"
}

LABELS=(tree)
echo "== source: working tree at $(git -C "$ROOT" rev-parse --short HEAD)," \
     "$(git -C "$ROOT" status --porcelain -- src | wc -l) uncommitted change(s) in src/"
BIN_tree=$(build tree "$ROOT")
if [ -n "$BASE" ]; then
  rev=$(git -C "$ROOT" rev-parse --short "$BASE^{commit}") || die "unknown BASE $BASE"
  mkdir -p "$W/src-base"
  git -C "$ROOT" archive "$rev" | tar -x -C "$W/src-base"
  echo "== base: commit $rev (exported)"
  BIN_base=$(build base "$W/src-base")
  LABELS=(base tree)
fi
for l in "${LABELS[@]}"; do
  bin=BIN_$l
  setup "$l" "${!bin}"
done
echo "== lists: GET $EQ_PATH, one SQLite tenant, 300 customers;" \
     "wrk -t2 -c$CONNS -d$DURATION; $(nproc) cores; body $(stat -c %s "$NG/static/list-tree.json") bytes"

for l in "${LABELS[@]}"; do # warm-up, not counted
  port=PORT_$l tok=TOK_$l
  wrk -t2 -c"$CONNS" -d2s -H "Authorization: Bearer ${!tok}" "http://127.0.0.1:${!port}$EQ_PATH" >/dev/null 2>&1
done
wrk -t2 -c"$CONNS" -d2s "http://127.0.0.1:$NG_PORT/static/list-tree.json" >/dev/null 2>&1

declare -A SUM CPU
for ((r = 1; r <= ROUNDS; r++)); do
  for l in "${LABELS[@]}"; do
    port=PORT_$l tok=TOK_$l pid=PID_$l
    wrk_rps "$NG_PID" "http://127.0.0.1:$NG_PORT/static/list-$l.json"
    ng=$RPS ngp=$P99
    wrk_rps "${!pid}" "http://127.0.0.1:${!port}$EQ_PATH" -H "Authorization: Bearer ${!tok}"
    ratio=$(awk -v a="$RPS" -v b="$ng" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
    SUM[$l]=$(awk -v a="${SUM[$l]:-0}" -v b="$ratio" 'BEGIN { print a + b }')
    CPU[$l]=$(awk -v a="${CPU[$l]:-0}" -v b="$CPU_US" 'BEGIN { print a + b }')
    echo "round=$r server=$l nginx_rps=$ng nginx_p99=$ngp tenantd_rps=$RPS tenantd_p99=$P99" \
         "tenantd_cpu_us_per_req=$CPU_US ratio=$ratio load=$(cut -d' ' -f1 /proc/loadavg)"
  done
done
for l in "${LABELS[@]}"; do
  echo "mean server=$l ratio=$(awk -v s="${SUM[$l]}" -v n="$ROUNDS" 'BEGIN { printf "%.3f", s / n }')" \
       "tenantd_cpu_us_per_req=$(awk -v s="${CPU[$l]}" -v n="$ROUNDS" 'BEGIN { printf "%.1f", s / n }')"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
  perf record -q -g -F 999 -p "$PID_tree" -o "$W/perf.data" >"$W/perf.log" 2>&1 &
  PIDS+=($!)
  sleep 0.5
  wrk -t2 -c"$CONNS" -d"$DURATION" -H "Authorization: Bearer $TOK_tree" \
    "http://127.0.0.1:$PORT_tree$EQ_PATH" >/dev/null 2>&1 || true
  kill -INT "${PIDS[-1]}" 2>/dev/null || true
  wait "${PIDS[-1]}" 2>/dev/null || true
  unset 'PIDS[-1]'
  echo "perf: the working tree's top symbols (self time) during the list at c=$CONNS:"
  perf report -i "$W/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null |
    grep -v '^#' | grep '%' | head -n 25 | sed 's/^/    /' || true
fi

awk -v v="$(awk -v s="${SUM[tree]}" -v n="$ROUNDS" 'BEGIN { printf "%.3f", s / n }')" -v c="$CONNS" 'BEGIN {
  printf "target list_eq_c%s_ratio >= 0.4: %s (%s)\n", c, (v + 0 >= 0.4) ? "met" : "NOT met", v }'
