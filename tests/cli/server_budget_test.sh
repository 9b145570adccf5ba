#!/usr/bin/env bash
# Many tenants on one PostgreSQL server never run it out of connections
# (issue 11): a cluster of the test's own with max_connections = 40 holds
# the catalog and 200 tenants; a mixed load (lists, creates, reads by id, a
# few logins) from 32 concurrent clients over all of them for 15 s gets no
# error — no 503 but tenant_busy, and preferably none of those — the
# server's log shows no connection refused for want of slots, and the
# connections to the tenants' databases, sampled from pg_stat_activity
# every 200 ms, never exceed the budget the server computed and exposes
# (max_connections − superuser_reserved_connections − pool_server_reserve
# − the catalog's 16, all on this server). Then again for 8 s with a
# budget of 2 (pool_server_reserve 19), so that leases wait in line: still
# no error. Needs PostgreSQL: skipped on SQLite.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = postgres ] || skip "needs a PostgreSQL server of its own"
command -v node >/dev/null || fail "node is needed for the load (scripts/install-deps test)"

PGD=$(mktemp -d /tmp/tdbud.XXXXXX)
rmdir "$PGD"
OWN_URL=$(PG_CLUSTER_OPTIONS="-c max_connections=40" "$TD_SRC/scripts/pg-cluster" start "$PGD")
# the server first (td_cleanup), then the cluster; its log is kept with
# the test's folder
trap '_rc=$?; server_end || _rc=1; cp "$PGD/server.log" "$T/pg.log" 2>/dev/null || true; "$TD_SRC/scripts/pg-cluster" stop "$PGD"; td_cleanup $_rc' EXIT
own() { psql "$OWN_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
eq "$(own "SHOW max_connections")" 40 "the cluster's max_connections"
own "CREATE DATABASE tdcat"
export TENANTD_CATALOG_URL="${OWN_URL%/*}/tdcat" TENANTD_TENANT_DB_URL="$OWN_URL"
export TENANTD_LOG=info
td_init
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
N=200
ADMINS=8 # tenants whose admin logs in during the load

# 200 tenants, 3 at a time (more concurrent creates exhaust the catalog's 16
# connections: each holds several), the first ADMINS with an admin
mk() {
  local i=$1 body
  body="{\"slug\":\"bt$i\",\"services\":[\"crm\"]"
  [ "$i" -le "$ADMINS" ] && body="$body,\"admin\":{\"email\":\"a@bt$i.test\",\"password\":\"admin-password-1\"}"
  curl -sS -o /dev/null -w "%{http_code}\n" -H "Authorization: Bearer $ROOT" \
    -H 'Content-Type: application/json' --data "$body}" "$BASE/v1/tenants"
}
export -f mk
export ROOT BASE ADMINS
seq 1 "$N" | xargs -P 3 -I{} bash -c 'mk {}' >"$T/created"
eq "$(grep -c '^201$' "$T/created")" "$N" "tenants created"
eq "$(own "SELECT count(*) FROM pg_database WHERE datname LIKE 'td\\_%' AND NOT datistemplate AND datname NOT LIKE 'td\\_tpl%'" | tr -d ' ')" "$N" "one database each on the cluster"

# what this server holds on the cluster: connections to the tenants'
# databases, and to the catalog
sample_sql="SELECT count(*) FILTER (WHERE datname LIKE 'td\\_%'), count(*) FILTER (WHERE datname = 'tdcat') FROM pg_stat_activity WHERE backend_type = 'client backend';"
cat >"$T/load.js" <<'EOF'
// 32 clients, each a keep-alive connection, for SECONDS: a random tenant
// per request; 55% list, 30% create, 14% read back a row it created, 1%
// log in (tenants 1..ADMINS). Prints the tally of statuses and codes.
const http = require('http');
const [port, token, n, admins, seconds] = process.argv.slice(2).map((v, i) => i === 1 ? v : +v);
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const made = new Map(); // slug -> ids created
const tally = {};
let requests = 0;
function call(method, path, slug, body, auth) {
  return new Promise((resolve) => {
    const headers = { 'Content-Type': 'application/json', 'X-Tenant': slug };
    if (auth) headers.Authorization = 'Bearer ' + token;
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, data, retry: res.headers['retry-after'] }));
    });
    req.on('error', (e) => resolve({ status: 0, data: String(e) }));
    req.setTimeout(60000, () => req.destroy(new Error('timeout')));
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}
function note(r, what) {
  requests++;
  let key = String(r.status);
  if (r.status >= 300 || r.status === 0) {
    let code = '';
    try { code = JSON.parse(r.data).code || ''; } catch (e) { code = r.data.slice(0, 60); }
    key += ' ' + code + (r.retry ? ' retry-after=' + r.retry : '') + ' (' + what + ')';
  }
  tally[key] = (tally[key] || 0) + 1;
}
async function client(end) {
  while (Date.now() < end) {
    const i = 1 + Math.floor(Math.random() * n), slug = 'bt' + i, x = Math.random();
    if (x < 0.01 && i <= admins) {
      note(await call('POST', '/v1/auth/login', slug,
        { tenant: slug, email: 'a@' + slug + '.test', password: 'admin-password-1' }, false), 'login');
    } else if (x < 0.56) {
      note(await call('GET', '/v1/crm/customers?limit=5', slug, null, true), 'list');
    } else if (x < 0.86 || !made.has(slug)) {
      const r = await call('POST', '/v1/crm/customers', slug, { name: 'c' + requests }, true);
      note(r, 'create');
      if (r.status === 201) (made.get(slug) || made.set(slug, []).get(slug)).push(JSON.parse(r.data).id);
    } else {
      const ids = made.get(slug);
      note(await call('GET', '/v1/crm/customers/' + ids[Math.floor(Math.random() * ids.length)], slug, null, true), 'read');
    }
  }
}
const end = Date.now() + seconds * 1000;
Promise.all(Array.from({ length: 32 }, () => client(end))).then(() => {
  console.log(JSON.stringify({ requests, tenants: made.size, tally }));
});
EOF

# load SECONDS BUDGET: the mixed load with pg_stat_activity sampled; checks
# everything the header says against BUDGET. Sets WAITS.
load() {
  local secs=$1 want=$2 sampler metrics bad busy line budget sid open nsamples max_t max_all
  (while :; do echo "$sample_sql"; sleep 0.2; done) | psql "$OWN_URL" -XAtq -F ' ' >"$T/samples" 2>&1 &
  sampler=$!
  node "$T/load.js" "$PORT" "$ROOT" "$N" "$ADMINS" "$secs" >"$T/load.json"
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  cat "$T/load.json"
  metrics=$(curl -sS "$BASE/metrics")

  # no error: every answer a 200 or 201, or at worst 503 tenant_busy
  bad=$(jq -r '.tally | to_entries[] | select(.key | test("^(200|201)$|^503 tenant_busy retry-after=") | not) | "\(.value)× \(.key)"' "$T/load.json")
  [ -z "$bad" ] || fail "errors under load: $bad"; pass
  busy=$(jq '[.tally | to_entries[] | select(.key | startswith("503 tenant_busy")) | .value] | add // 0' "$T/load.json")
  [ "$(jq .requests "$T/load.json")" -ge $((secs * 5)) ] || fail "too few requests to say anything: $(jq .requests "$T/load.json")"; pass
  [ "$(jq .tenants "$T/load.json")" -ge $((secs * 2)) ] || fail "the load reached only $(jq .tenants "$T/load.json") tenants"; pass

  # the cluster refused nobody for want of a slot
  cp "$PGD/server.log" "$T/pg.log"
  expect_not_contains "$T/pg.log" "too many clients"
  expect_not_contains "$T/pg.log" "remaining connection slots"
  expect_not_contains "$T/server.log" "tenant database unavailable"

  # the budget: in the log once, and in /metrics with the connections held
  line=$(grep '"database server connection budget"' "$T/server.log" || true)
  [ -n "$line" ] || fail "no budget in the server's log"; pass
  eq "$(echo "$line" | wc -l)" 1 "the budget is logged once"
  expect_not_contains "$T/server.log" "$PGPW"
  budget=$(echo "$line" | jq -r .budget)
  eq "$(echo "$line" | jq -r .max_connections)" 40 "max_connections read from the server"
  eq "$(echo "$line" | jq -r .catalog)" 16 "the catalog lives there: its connections are set aside"
  eq "$budget" "$want" "the budget"
  sid=$(echo "$line" | jq -r .server_id)
  eq "$(echo "$metrics" | sed -n "s/^tenantd_db_server_connection_budget{server=\"$sid\"} //p")" "$budget" "the budget in /metrics"
  open=$(echo "$metrics" | sed -n "s/^tenantd_db_server_connections{server=\"$sid\"} //p")
  [ "$open" -le "$budget" ] || fail "$open connections held, budget $budget"; pass
  WAITS=$(echo "$metrics" | sed -n "s/^tenantd_db_server_waits_total{server=\"$sid\"} //p")

  # what the cluster saw: never more tenant connections than the budget
  nsamples=$(grep -c '^[0-9]* [0-9]*$' "$T/samples" || true)
  [ "$nsamples" -ge $((secs * 3)) ] || { cat "$T/samples" >&2; fail "only $nsamples samples of pg_stat_activity"; }; pass
  max_t=$(awk '$1>m{m=$1} END{print m+0}' "$T/samples")
  max_all=$(awk '$1+$2>m{m=$1+$2} END{print m+0}' "$T/samples")
  echo "budget $budget: most tenant connections seen $max_t (with the catalog's $max_all) in $nsamples samples; 503 tenant_busy: $busy; waits: $WAITS"
  [ "$max_t" -le "$budget" ] || fail "$max_t connections to tenant databases seen, budget $budget"; pass
  [ "$max_t" -ge 1 ] || fail "the sampler saw no tenant connection: it measures nothing"; pass
  [ "$max_all" -le $((40 - 3 - 10)) ] || fail "$max_all connections with the catalog's"; pass
}
PGPW=$(echo "$OWN_URL" | sed 's#.*://[^:]*:\([^@]*\)@.*#\1#')

load 15 $((40 - 3 - 10 - 16)) # 40 − 3 superuser slots − reserve 10 − catalog 16
stop_server
# a budget of 2: the HTTP threads, the login workers and the drain's own
# connections want more at once, so leases wait in line
TENANTD_POOL_SERVER_RESERVE=19 start_server
load 8 2
[ "$WAITS" -ge 1 ] || fail "no lease waited with a budget of 2: the line was not tested"; pass
stop_server
done_ok
