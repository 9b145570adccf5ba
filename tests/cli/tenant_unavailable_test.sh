#!/usr/bin/env bash
# A tenant whose database cannot be opened or read answers 503
# tenant_unavailable (problem+json) on every route that reaches its data —
# resources, behaviour, media, users, login, refresh — never 500; other
# tenants go on answering; once the database is repaired the same server
# serves the tenant again (the pool keeps no broken handle).
#   SQLite: corrupt files (server restarted on them), then, while the
#           server runs, emptied files and removed files, each repaired.
#   PostgreSQL: the tenant sits on a second cluster registered as a
#           database server; that server is stopped (then started again),
#           then the tenant's database is dropped. The catalog's cluster
#           stays up throughout.
. "$(dirname "$0")/lib.sh"

PG2=
trap '[ -z "$PG2" ] || "$TD_SRC/scripts/pg-cluster" stop "$PG2" >/dev/null 2>&1 || true; td_cleanup' EXIT

td_init
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"fine","services":["crm"],"admin":{"email":"admin@fine.test","password":"admin-password-1"}}' "$BASE/v1/tenants")" 201 "the healthy tenant"
if [ "$BACKEND" = postgres ]; then
  # a second cluster, registered by the CLI as a database server; being
  # the least loaded, it receives the next tenant
  PG2=$T/pg2
  URL2=$("$TD_SRC/scripts/pg-cluster" start "$PG2")
  echo 'admin-password-1' | TENANTD_TENANT_DB_URL=$URL2 td tenant create sick --backend postgres \
    --services crm,cms,commerce --admin-email admin@sick.test --admin-password-stdin >/dev/null
else
  echo 'admin-password-1' | td tenant create sick --services crm,cms,commerce \
    --admin-email admin@sick.test --admin-password-stdin >/dev/null
fi
SICK=$(call GET -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/sick" >/dev/null; jq -r .id "$T/body")
if [ "$BACKEND" = postgres ]; then
  eq "$(psql "$URL2" -XAtq -c "SELECT count(*) FROM pg_database WHERE datname = 'td_${SICK//-/}'")" 1 "the tenant lives on the second server"
fi

ADA=$(login '{"tenant":"sick","email":"admin@sick.test","password":"admin-password-1"}')
RT=$(jq -r .refresh_token "$T/login")
FINE=$(login '{"tenant":"fine","email":"admin@fine.test","password":"admin-password-1"}')
S=(-H "Authorization: Bearer $ADA")
eq "$(post "${S[@]}" --data '{"name":"Globex"}' "$BASE/v1/crm/customers")" 201 "a customer"
CUST=$(jq -r .id "$T/body")
eq "$(post "${S[@]}" --data '{"name":"Lead"}' "$BASE/v1/crm/leads")" 201 "a lead"
LEAD=$(jq -r .id "$T/body")
eq "$(post "${S[@]}" --data '{"name":"Widget","sku":"W-1","price":1000}' "$BASE/v1/commerce/products")" 201 "a product"
PROD=$(jq -r .id "$T/body")
eq "$(post "${S[@]}" --data "{\"product_id\":\"$PROD\",\"quantity\":5}" "$BASE/v1/commerce/inventory")" 201 "its stock"
eq "$(post "${S[@]}" --data '{"filename":"note.txt","content_type":"text/plain"}' "$BASE/v1/cms/media")" 201 "a media row"
MEDIA=$(jq -r .id "$T/body")
eq "$(curl -sS -o "$T/body" -w '%{http_code}' -X PUT "${S[@]}" -H 'Content-Type: text/plain' --data-binary 'hello' "$BASE/v1/cms/media/$MEDIA/content")" 200 "its bytes"

# unavailable WHAT: every route of the sick tenant answers 503
# tenant_unavailable as problem+json; the healthy tenant answers.
unavailable() {
  local what=$1 r m p b code
  local routes=(
    "GET /v1/crm/customers"
    "GET /v1/crm/customers/$CUST"
    "POST /v1/crm/customers {\"name\":\"Initech\"}"
    "PATCH /v1/crm/customers/$CUST {\"name\":\"Globex 2\"}"
    "DELETE /v1/crm/customers/$CUST"
    "POST /v1/crm/leads/$LEAD/convert {}"
    "POST /v1/commerce/orders {\"items\":[{\"product_id\":\"$PROD\",\"quantity\":1}]}"
    "GET /v1/cms/media/$MEDIA/content"
    "PUT /v1/cms/media/$MEDIA/content {}"
    "GET /v1/auth/users"
    "POST /v1/auth/users {\"email\":\"new@sick.test\",\"password\":\"new-password-12\",\"role\":\"client\"}"
    "GET /v1/auth/api-keys"
    "POST /v1/auth/api-keys {\"name\":\"k\",\"role\":\"client\"}"
    "DELETE /v1/auth/api-keys/01a20000-0000-7000-8000-000000000000"
  )
  for r in "${routes[@]}"; do
    read -r m p b <<<"$r"
    code=$(curl -sS -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "${S[@]}" \
      -H 'Content-Type: application/json' ${b:+--data "$b"} "$BASE$p")
    eq "$code $(jq -r .code "$T/body")" "503 tenant_unavailable" "$what: $m $p"
    grep -qi '^content-type: application/problem+json' "$T/hdr" || fail "$what: $m $p is not problem+json"
    pass
  done
  code=$(post --data '{"tenant":"sick","email":"admin@sick.test","password":"admin-password-1"}' "$BASE/v1/auth/login")
  eq "$code $(jq -r .code "$T/body")" "503 tenant_unavailable" "$what: login"
  code=$(post --data "{\"refresh_token\":\"$RT\"}" "$BASE/v1/auth/refresh")
  eq "$code $(jq -r .code "$T/body")" "503 tenant_unavailable" "$what: refresh"
  eq "$(get -H "Authorization: Bearer $FINE" "$BASE/v1/crm/customers")" 200 "$what: the other tenant reads"
  eq "$(post -H "Authorization: Bearer $FINE" --data '{"name":"Acme"}' "$BASE/v1/crm/customers")" 201 "$what: the other tenant writes"
  eq "$(post --data '{"tenant":"fine","email":"admin@fine.test","password":"admin-password-1"}' "$BASE/v1/auth/login")" 200 "$what: the other tenant logs in"
}

# available WHAT: the sick tenant is served again by the same server.
available() {
  local what=$1
  eq "$(get "${S[@]}" "$BASE/v1/crm/customers/$CUST")" 200 "$what: a row"
  eq "$(post "${S[@]}" --data '{"name":"Hooli"}' "$BASE/v1/crm/customers")" 201 "$what: a write"
  eq "$(get "${S[@]}" "$BASE/v1/cms/media/$MEDIA/content")" 200 "$what: media"
  eq "$(get "${S[@]}" "$BASE/v1/auth/users")" 200 "$what: users"
  eq "$(post --data '{"tenant":"sick","email":"admin@sick.test","password":"admin-password-1"}' "$BASE/v1/auth/login")" 200 "$what: login"
}

if [ "$BACKEND" = sqlite ]; then
  DIR=$DATA/tenants/$SICK
  stop_server
  mkdir "$T/backup"
  cp -p "$DIR"/*.db* "$T/backup/"
  # repair: the files as they were, without a -wal or -shm of the damage
  repair() { rm -f "$DIR"/*.db*; cp -p "$T/backup"/* "$DIR/"; }

  # corrupt files: a server started on them never serves the tenant
  for f in "$DIR"/*.db; do head -c "$(stat -c %s "$f")" /dev/urandom >"$f"; done
  rm -f "$DIR"/*-wal "$DIR"/*-shm
  start_server
  unavailable "corrupt files"
  repair
  available "repaired while running"

  # emptied files, under handles the pool holds
  for f in "$DIR"/*.db; do : >"$f"; done
  unavailable "zero-length files"
  repair
  available "refilled"

  # removed files
  rm -f "$DIR"/*.db
  unavailable "missing files"
  repair
  available "put back"
else
  as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  pgctl() { as_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$PG2/data" -l "$PG2/server.log" -w "$@" >/dev/null; }
  # the server of the tenant's database stops: the pool's connections die
  pgctl -m fast stop
  unavailable "server stopped"
  pgctl start
  available "server started again"
  # the tenant's database is dropped under live connections
  psql "$URL2" -XAtq -v ON_ERROR_STOP=1 -c "DROP DATABASE td_${SICK//-/} WITH (FORCE)"
  unavailable "database dropped"
fi
done_ok
