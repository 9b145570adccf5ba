# shellcheck shell=bash
# import.sh — set-up and helpers of the tests of tenantd import (sourced by
# import_test.sh and import_rerun_test.sh, which ctest runs in parallel):
# a fresh data folder, the source (tests/cli/fixtures/crm_source.sh) in
# $SRC, the services folder $SVC, and the checks both use.
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"

td_init
SRC=$T/crm.db
"$TD_SRC/tests/cli/fixtures/crm_source.sh" "$SRC"
SVC=$T/services
mkdir -p "$SVC"
imp() { env TENANTD_SERVICES_DIR="$SVC" "$TD_BIN" import "$@" --data "$DATA"; }
ntenants() { td tenant list --json | jq length; }
TABLES=$(sqlite3 "$SRC" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
eq "$(echo "$TABLES" | wc -l)" 13 "source tables"

tbl() { if [ "$BACKEND" = postgres ]; then echo "${2:-crmimp}.$1"; else echo "$1"; fi; }
declare -A TID SLUG=([Acme Corp]=acme-corp [Globex]=globex [Initech]=initech [42]=t-42)
# 0 rows lost: per tenant per table, the target's own count is the
# source's, and so is the report's (one query per tenant on each side)
counts() { # counts SVC DB VALUE|dst: rows per table of the source or the tenant
  local svc=$1 db=$2 v=$3 q="" t
  for t in $TABLES; do
    if [ "$db" != dst ]; then q="$q${q:+ UNION ALL }SELECT '$t', count(*) FROM $t WHERE org = '$v'"
    else q="$q${q:+ UNION ALL }SELECT '$t', count(*) FROM $(tbl "$t" "$svc")"; fi
  done
  if [ "$db" != dst ]; then sqlite3 -separator ' ' "$db" "$q"; else tenant_sql "${TID[$v]}" "$svc" "$q" | tr '|' ' '; fi
}
check_rows() { # check_rows SVC SOURCE_FILE REPORT
  local v
  for v in "Acme Corp" Globex Initech 42; do
    counts "$1" "$2" "$v" >"$T/want"
    counts "$1" dst "$v" >"$T/got"
    diff "$T/want" "$T/got" >&2 || fail "$v: rows lost (source, then target above)"
    jq -r --arg s "${SLUG[$v]}" 'select(.tenant == $s) | "\(.table) \(.source_rows)\n\(.table) \(.imported_rows)"' \
      "$3" | sort -u >"$T/rep"
    sort "$T/want" | diff - "$T/rep" >&2 || fail "$v: the report's counts are not the source's"
  done
  pass
}
# every foreign key resolved, and as many set as in the source
check_refs() { # check_refs SVC SOURCE_FILE
  local v t col ref qs qd
  jq -r '.resources[] | .name as $r | .fields[] | select(.type == "ref") | "\($r) \(.name) \(.ref)"' \
    "$SVC/$1/service.json" >"$T/refs"
  eq "$(wc -l <"$T/refs")" 21 "foreign keys in the target"
  for v in "Acme Corp" Globex Initech 42; do
    qs="" qd=""
    while read -r t col ref; do
      qs="$qs${qs:+ UNION ALL }SELECT '$t.$col', 0, count($col) FROM $t WHERE org = '$v'"
      qd="$qd${qd:+ UNION ALL }SELECT '$t.$col', (SELECT count(*) FROM $(tbl "$t" "$1") c WHERE c.$col IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM $(tbl "$ref" "$1") p WHERE p.id = c.$col)), (SELECT count($col) FROM $(tbl "$t" "$1"))"
    done <"$T/refs"
    sqlite3 -separator ' ' "$2" "$qs" >"$T/want"
    tenant_sql "${TID[$v]}" "$1" "$qd" | tr '|' ' ' >"$T/got"
    diff "$T/want" "$T/got" >&2 || fail "$v: references lost or pointing nowhere (table.column dangling set)"
  done
  pass
}
# tenant_ids: TID[value] is the id of the tenant made for that value of
# org; A is Acme Corp's.
tenant_ids() {
  local v
  for v in "Acme Corp" Globex Initech 42; do TID[$v]=$(td tenant show "${SLUG[$v]}" --json | jq -r .id); done
  A=${TID[Acme Corp]}
}
