# shellcheck shell=bash
# resources.sh — the resource engine over HTTP, on the current backend
# (sourced by its five parts, which ctest runs in parallel): a tenant acme
# with every built-in service, a server without job workers, the
# superadmin (ROOT, SA) and acme's admin (AD) logged in, and the helpers
# the parts share. What they check, section by section (1: resources_crud
# and resources_crud_more, 2: resources_validation, 3 to 7:
# resources_access, 8: resources_services):
#  1. CRUD for every resource of every built-in service, driven by the
#     service.json files (bodies generated from the declared fields);
#  2. validation: every bad field listed at once, nothing written;
#  3. clients see and change only their own rows; billing is read-only for
#     the tenant; analytics events are appended by anyone granted analytics;
#  4. filter attacks answer 400 and touch nothing; quoted text stays text;
#  5. keyset pagination visits every row once while rows are inserted;
#  6. ETags: If-Match (412 when stale) and If-None-Match (304);
#  7. the outbox: one row per acknowledged write, with actor and request id;
#  8. an operator's service from TENANTD_SERVICES_DIR (fixtures/ext_service),
#     and bad declarations stopping start-up with the file and the reason.
# TD_KEEP_GOING=1 reports every failed assertion instead of stopping at the
# first (the exit status is still 1).
. "$(dirname "$0")/lib.sh"
# the outbox is read here as writes leave it: no job workers, so no drain
export TENANTD_JOB_WORKERS=0
if [ -n "${TD_KEEP_GOING:-}" ]; then
  FAILS=0
  fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
fi
FIX=$(cd "$(dirname "$0")" && pwd)/fixtures/ext_service
BG=
trap 'rc=$?; [ -z "$BG" ] || kill "$BG" 2>/dev/null || true; td_cleanup $rc' EXIT
ALL=crm,cms,billing,analytics,projects,commerce

td_init
echo 'admin-password-1' | td tenant create acme --services "$ALL" \
  --admin-email admin@acme.test --admin-password-stdin >/dev/null
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
ROOT_ID=$(jq -r .user.id "$T/login")
[ -n "$ROOT_ID" ] && [ "$ROOT_ID" != null ] || fail "no superadmin id in the login answer"
ACME_ID=$(call GET -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/acme" >/dev/null; jq -r .id "$T/body")
TEN=acme TID=$ACME_ID
SA=(-H "Authorization: Bearer $ROOT" -H "X-Tenant: acme")

ADMIN=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
AD=(-H "Authorization: Bearer $ADMIN")

# ---- helpers ----------------------------------------------------------------
# Starting curl or jq costs ~20 ms, more than the server takes to answer:
# requests that do not depend on each other run in one curl (q … run_q), and
# the checks of a row are batched into one jq run.

# callh METHOD ARGS…: like call, also keeping the response headers in $T/hdr.
callh() { local m=$1; shift; curl -sS -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" -H 'Content-Type: application/json' "$@"; }
# hdr NAME [FILE]: a header of the last callh answer (or of FILE).
hdr() {
  local line k want=${1,,} v=
  while IFS= read -r line; do
    line=${line%$'\r'}
    k=${line%%:*}
    [ "${k,,}" = "$want" ] && v=${line#*: }
  done <"${2:-$T/hdr}"
  printf '%s' "$v"
}
# st WANT GOT WHAT: asserts an HTTP status, showing the body when wrong.
st() { [ "$2" = "$1" ] || { cat "$T/body" >&2; echo >&2; fail "$3: HTTP $2, want $1"; return 0; }; pass; }
# code_is CODE WHAT [FILE]: the problem code of the last answer (or of FILE).
code_is() { [[ $(<"${3:-$T/body}") == *"\"code\":\"$1\""* ]] || { cat "${3:-$T/body}" >&2; echo >&2; fail "$2: problem code is not $1"; return 0; }; pass; }
# jqe FILTER WHAT [jq args…]: asserts a jq condition on the last body.
jqe() { local f=$1 w=$2; shift 2; jq -e "$@" "$f" "$T/body" >/dev/null || { cat "$T/body" >&2; echo >&2; fail "$w: body fails $f"; return 0; }; pass; }
# errors_are 'field code,field code…' WHAT: a 400 validation_failed listing
# exactly these fields with these codes (any order), each with a message.
errors_are() {
  code_is validation_failed "$2"
  jqe '([.errors[] | "\(.field) \(.code)"] | sort) == ($w | split(",") | sort)
       and all(.errors[]; .message | type == "string" and length > 0)' "$2: errors" --arg w "$1"
}
# q METHOD ARGS… URL: queues a request; run_q runs the queue in one curl,
# in order: CODES[i] is the status of request i, $T/b<i> its body, $T/h<i>
# its headers. qst I WANT WHAT asserts a status.
Q=() QN=0
q() { local m=$1; shift; Q+=(-sS -o "$T/b$QN" -D "$T/h$QN" -w '%{http_code}\n' -X "$m" -H 'Content-Type: application/json' "$@" --next); QN=$((QN + 1)); }
run_q() { rm -f "$T"/b[0-9]* "$T"/h[0-9]*; mapfile -t CODES < <(curl "${Q[@]}" -sS -o /dev/null "$BASE/health"); Q=() QN=0; }
qst() { [ "${CODES[$1]:-none}" = "$2" ] || { cat "$T/b$1" >&2 2>/dev/null; echo >&2; fail "$3: HTTP ${CODES[$1]:-none}, want $2"; return 0; }; pass; }
# ids FILE: the ids of the items of a list answer (no jq: the ids are the
# only "id" keys there), one a line; first_id FILE: the first.
ids() { local b; b=$(<"$1"); while [[ $b =~ \"id\":\"([^\"]+)\" ]]; do echo "${BASH_REMATCH[1]}"; b=${b#*"${BASH_REMATCH[0]}"}; done; }

# osql SERVICE SQL: runs SQL in the tenant's (TID) database of SERVICE; @ob
# stands for the service's outbox table.
osql() { tenant_sql "$TID" "$@"; }

# count_rows SVC RES [AUTH…]: how many rows a list has, paged (limit 200).
count_rows() {
  local svc=$1 res=$2 n=0 cur="" code b s; shift 2
  local auth=("$@"); [ ${#auth[@]} -gt 0 ] || auth=("${SA[@]}")
  while :; do
    local a=(-G --data-urlencode limit=200)
    [ -n "$cur" ] && a+=(--data-urlencode "cursor=$cur")
    code=$(callh GET "${auth[@]}" "${a[@]}" "$BASE/v1/$svc/$res")
    [ "$code" = 200 ] || { cat "$T/body" >&2; fail "count $svc.$res: HTTP $code"; echo -1; return; }
    b=$(<"$T/body"); s=${b//\"id\":\"/}
    n=$((n + (${#b} - ${#s}) / 6))
    cur=; [[ $b =~ \"next_cursor\":\"([^\"]+)\" ]] && cur=${BASH_REMATCH[1]}
    [ -n "$cur" ] || break
  done
  echo "$n"
}

# The plan of every resource of a service.json, one line each (fields
# separated by \x1f): name, ",methods,", the resources its writable refs
# point to, its first sort field, a create body (refs as @REF:<resource>@,
# @SEED@ for a unique part) and the declaration. Read-only fields and fields
# with a role restriction are left out of the body; $special holds the
# values some fields need.
PLAN='
def val($key; $f):
  if $special[$key + "." + $f.name] != null then $special[$key + "." + $f.name]
  elif $f.enum then ([$f.enum[] | select(. != $f.default)][0] // $f.enum[0])
  elif $f.type == "email" then "c@SEED@@example.com"
  elif $f.type == "text" then ("c-\($f.name)-@SEED@")[0:($f.max // 200)]
  elif $f.type == "integer" then ([(($f.min // 0) + 2), ($f.max // 1000000000)] | min)
  elif $f.type == "number" then ([(($f.min // 0) + 2.5), ($f.max // 1000000000)] | min)
  elif $f.type == "boolean" then ($f.default != true)
  elif $f.type == "timestamp" then "2026-03-04T05:06:07.000Z"
  else {"k": [1, "two", true], "n": null} end;
.name as $svc | .resources[] | . as $r
| [ .fields[] | select((.read_only | not) and (.write | not)) ] as $w
| [ .name,
    ("," + ((.methods // ["list", "get", "create", "update", "delete"]) | join(",")) + ","),
    ([ $w[] | select(.type == "ref") | .ref ] | unique | join(" ")),
    (.sort[0] // ""),
    (reduce $w[] as $f ({}; .[$f.name] = (if $f.type == "ref" then "@REF:\($f.ref)@" else val($svc + "." + $r.name; $f) end)) | tojson),
    tojson ] | join("\u001f")'
SPECIAL='{"cms.content_types.fields": [{"name": "headline", "type": "text", "required": true},
                                     {"name": "views", "type": "integer"}],
          "cms.content_items.data": {"headline": "Hello", "views": 3}}'
declare -A P_METHODS P_REFS P_SORT P_TPL P_DECL
# load_plan FILE: fills the P_* tables (keyed svc.res) from a service.json;
# RESOURCES lists its resources.
load_plan() {
  local svc res m refs sortf tpl decl
  svc=$(jq -r .name "$1")
  RESOURCES=()
  while IFS=$'\x1f' read -r res m refs sortf tpl decl; do
    P_METHODS[$svc.$res]=$m P_REFS[$svc.$res]=$refs P_SORT[$svc.$res]=$sortf
    P_TPL[$svc.$res]=$tpl P_DECL[$svc.$res]=$decl
    RESOURCES+=("$res")
  done < <(jq -r --argjson special "$SPECIAL" "$PLAN" "$1")
}

declare -A REFROW
# make_body SVC RES: sets BODY to a valid create body for RES, making the
# rows its references point to first (once per tenant and resource).
make_body() {
  local svc=$1 res=$2 b target
  b=${P_TPL[$svc.$res]}
  for target in ${P_REFS[$svc.$res]}; do
    ensure_row "$svc" "$target"
    b=${b//@REF:$target@/$ROWID}
  done
  BODY=${b//@SEED@/$RANDOM$RANDOM}
}
# ensure_row SVC RES: sets ROWID to a row of RES (in TEN) others may point to.
ensure_row() {
  local key="$TEN.$1.$2"
  if [ -z "${REFROW[$key]:-}" ]; then
    make_body "$1" "$2"
    st 201 "$(callh POST "${SA[@]}" --data "$BODY" "$BASE/v1/$1/$2")" "create $1.$2 (to refer to) with $BODY"
    REFROW[$key]=$(ids "$T/body" | head -n 1)
  fi
  ROWID=${REFROW[$key]}
}

# After a create: checks the row (input) against the body sent and the
# declaration ($r); prints shell assignments: bad (what is wrong, or empty),
# id, patch (a PATCH body changing one writable non-ref field, when the
# resource may be updated: $upd), pf (that field), flt / nflt (filters
# matching / excluding the row as it will be after the patch).
CHECK_CREATE='
def lit: if type == "string" then "\u0027" + gsub("\u0027"; "\u0027\u0027") + "\u0027" else tostring end;
. as $row
| ([ $r.fields[] | select((.read_only | not) and (.write | not) and .type != "ref" and .type != "json") ]) as $c
| (if $upd then ([ $c[] | select((.type == "text" or .type == "email") and (.enum | not)) ] + $c)[0] else null end) as $f
| (if $f == null then {} else {($f.name): (
    if $f.enum then [$f.enum[] | select(. != $row[$f.name])][0]
    elif $f.type == "email" then "p\($seed)@example.org"
    elif $f.type == "text" then ("p-\($f.name)-\($seed)")[0:($f.max // 200)]
    elif $f.type == "integer" then (if $f.max != null and $row[$f.name] + 1 > $f.max then $row[$f.name] - 1 else $row[$f.name] + 1 end)
    elif $f.type == "number" then (if $f.max != null and $row[$f.name] + 1.25 > $f.max then $row[$f.name] - 1.25 else $row[$f.name] + 1.25 end)
    elif $f.type == "boolean" then ($row[$f.name] | not)
    else "2027-01-02T03:04:05.000Z" end)} end) as $patch
| ($row + $patch) as $after | ($f.name // "") as $pf | ($r.filter // []) as $fl
| (if ($fl | length) == 0 then ["", ""]
   else (if ($fl | index($pf)) != null then $pf
         else ([ $fl[] | . as $n | select(([$r.fields[] | select(.name == $n)] | length) > 0 and $after[$n] != null) ][0]
               // "created_at") end) as $ff
   | ["\($ff) eq \($after[$ff] | lit)", "\($ff) ne \($after[$ff] | lit)"] end) as $fs
| ([ if ($body | to_entries | all(.value == $row[.key])) | not then "values sent do not come back" else empty end,
     if (keys | sort) != ([$r.fields[].name, "id", "created_at", "updated_at"] + (if $r.owner then [$r.owner] else [] end) | sort)
       then "keys are not the declared fields and the system columns" else empty end,
     if (.id | test("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")) | not then "id is not a UUIDv7" else empty end,
     if (.created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")) | not then "created_at format" else empty end,
     if .updated_at != .created_at then "updated_at differs from created_at" else empty end,
     if $r.owner and $row[$r.owner] != $me then "owner is not the creator" else empty end ] | join("; ")) as $bad
| @sh "bad=\($bad) id=\(.id) patch=\($patch | tojson) pf=\($pf) flt=\($fs[0]) nflt=\($fs[1])"'
# After the rest: the patched row ($new, as PATCH answered it) against the
# row before ($old) and the patch ($p); the list with the matching filter
# ($l1) has the row as it is now ($now, from GET); the list with
# fields=id,$f ($l3) answers only those keys. Prints what is wrong.
CHECK_REST='
$old[0] as $old | $new[0] as $new | $now[0] as $now
| [ if $p != {} then
      ($p | keys[0]) as $pf
      | (if $new[$pf] != $p[$pf] then "patch: the new value is not there" else empty end,
         if ($new | del(.[$pf], .updated_at)) != ($old | del(.[$pf], .updated_at)) then "patch: other fields changed" else empty end,
         if ($new.updated_at > $old.updated_at) | not then "patch: updated_at did not move" else empty end)
    else empty end,
    if ([$l1[0].items[] | select(.id == $now.id)] != [$now]) then "the filter [\($flt)] does not find the row as it is" else empty end,
    if ($l3[0].items | length == 0 or any(.[]; keys != ([$f, "id"] | sort))) then "fields=id,\($f) answers other keys" else empty end ]
| join("; ")'

# crud SVC RES: the whole life of one row of RES, as the superadmin in TEN:
# create; then in one curl run: get (and 304), patch, get, list with a
# filter (and its negation, and fields), a stale delete, delete, 404s.
crud() {
  local svc=$1 res=$2 methods url what body id etag etag2 patch pf flt nflt bad fid i upd=false
  methods=${P_METHODS[$svc.$res]}
  url="$BASE/v1/$svc/$res"
  what="$svc.$res"
  if [[ $methods != *,create,* ]]; then
    q GET "${SA[@]}" "$url"; q POST "${SA[@]}" --data '{}' "$url"; run_q
    qst 0 200 "list $what"
    [[ $(<"$T/b0") == '{"items":['*'"next_cursor":'* ]] || fail "list $what: $(<"$T/b0")"; pass
    qst 1 405 "create on $what (not in its methods)"
    fid=$(ids "$T/b0" | head -n 1)
    if [ -n "$fid" ]; then
      q GET "${SA[@]}" "$url/$fid"
      [[ $methods == *,update,* ]] || q PATCH "${SA[@]}" --data '{}' "$url/$fid"
      [[ $methods == *,delete,* ]] || q DELETE "${SA[@]}" "$url/$fid"
      run_q
      qst 0 200 "get an item of $what"
      i=1
      [[ $methods == *,update,* ]] || { qst $i 405 "update on $what (not in its methods)"; i=$((i + 1)); }
      [[ $methods == *,delete,* ]] || qst $i 405 "delete on $what (not in its methods)"
    fi
    return 0
  fi

  make_body "$svc" "$res"; body=$BODY
  st 201 "$(callh POST "${SA[@]}" --data "$body" "$url")" "create $what with $body"
  cp "$T/body" "$T/row"
  [[ $methods == *,update,* ]] && upd=true
  eval "$(jq -r --argjson r "${P_DECL[$what]}" --argjson body "$body" --arg me "$ROOT_ID" \
    --arg seed "$RANDOM" --argjson upd "$upd" "$CHECK_CREATE" "$T/row")"
  [ -z "$bad" ] || { cat "$T/row" >&2; echo >&2; fail "create $what with $body: $bad"; }; pass
  etag=$(hdr ETag)
  eq "$(hdr Location)" "/v1/$svc/$res/$id" "Location of a new $what"
  [[ $etag =~ ^\"[0-9a-f]{16}\"$ ]] || fail "create $what: ETag '$etag'"; pass

  local la=(-G --data-urlencode limit=200)
  [ -n "${P_SORT[$what]}" ] && la+=(--data-urlencode "sort=-${P_SORT[$what]}")
  sleep 0.002 # updated_at has millisecond precision
  q GET "${SA[@]}" "$url/$id"                                   # 0
  q GET "${SA[@]}" -H "If-None-Match: $etag" "$url/$id"         # 1
  q PATCH "${SA[@]}" --data "$patch" "$url/$id"                 # 2
  q GET "${SA[@]}" "$url/$id"                                   # 3
  q GET "${SA[@]}" "${la[@]}" --data-urlencode "filter=$flt" "$url"              # 4
  q GET "${SA[@]}" "${la[@]}" --data-urlencode "filter=${nflt:-$flt}" "$url"     # 5
  q GET "${SA[@]}" "${la[@]}" --data-urlencode "filter=$flt" --data-urlencode "fields=id,${pf:-created_at}" "$url" # 6
  if [[ $methods == *,delete,* ]]; then
    q DELETE "${SA[@]}" -H 'If-Match: "0000000000000000"' "$url/$id"          # 7
    q DELETE "${SA[@]}" "$url/$id"                              # 8
    q GET "${SA[@]}" "$url/$id"                                 # 9
    q DELETE "${SA[@]}" "$url/$id"                              # 10
    q PATCH "${SA[@]}" --data "$patch" "$url/$id"               # 11
  else
    q DELETE "${SA[@]}" "$url/$id"                              # 7
  fi
  run_q
  qst 0 200 "get $what"
  cmp -s "$T/b0" "$T/row" || { cat "$T/b0" "$T/row" >&2; fail "get $what differs from what create answered"; }; pass
  eq "$(hdr ETag "$T/h0")" "$etag" "get $what: the same ETag as create"
  qst 1 304 "get $what with If-None-Match"
  qst 3 200 "get $what after the patch"
  if $upd; then
    qst 2 200 "patch $what with $patch"
    etag2=$(hdr ETag "$T/h2")
    [ -n "$etag2" ] && [ "$etag2" != "$etag" ] || fail "patch $what: ETag '$etag2' (before: $etag)"; pass
    cmp -s "$T/b3" "$T/b2" || { cat "$T/b3" "$T/b2" >&2; fail "get $what after patch differs from what patch answered"; }; pass
    eq "$(hdr ETag "$T/h3")" "$etag2" "get $what after patch: the ETag of the patch"
  else
    qst 2 405 "update on $what (not in its methods)"
    cp "$T/row" "$T/b2"
  fi
  qst 4 200 "list $what with filter [$flt]"
  qst 5 200 "list $what with filter [$nflt]"
  qst 6 200 "list $what with fields=id,${pf:-created_at}"
  bad=$(jq -nr --slurpfile old "$T/row" --slurpfile new "$T/b2" --slurpfile now "$T/b3" \
    --slurpfile l1 "$T/b4" --slurpfile l3 "$T/b6" --argjson p "$patch" --arg flt "$flt" \
    --arg f "${pf:-created_at}" "$CHECK_REST" 2>&1)
  [ -z "$bad" ] || { cat "$T/row" "$T/b2" "$T/b4" "$T/b6" >&2; echo >&2; fail "$what: $bad"; }; pass
  [ -z "$nflt" ] || [[ $(<"$T/b5") != *"$id"* ]] || fail "list $what with filter [$nflt] has the row"; pass
  if [[ $methods == *,delete,* ]]; then
    qst 7 412 "delete $what with a stale If-Match"
    code_is precondition_failed "delete $what with a stale If-Match" "$T/b7"
    qst 8 204 "delete $what"
    qst 9 404 "get a deleted $what"
    code_is not_found "get a deleted $what" "$T/b9"
    qst 10 404 "delete a deleted $what"
    if $upd; then qst 11 404 "patch a deleted $what"; else qst 11 405 "patch on $what"; fi
  else
    qst 7 405 "delete on $what (not in its methods)"
  fi
}

# load_plans: the plans of every built-in service (make_body, ensure_row).
load_plans() {
  local file
  for file in "$TD_SRC"/src/services/*/service.json; do load_plan "$file"; done
}
# crud_services first|rest: crud for every resource of the built-in
# services in CRUD_FIRST (resources_crud_test.sh), or of all the others
# (resources_crud_more_test.sh: a service added later lands there), but
# commerce.orders (placed from an "items" array: behaviour of their own).
# The loop walks every service.json, and checks it saw them all.
CRUD_FIRST=" crm cms auth "
crud_services() {
  local file svc res nsvc=0 nres=0 mine
  for file in "$TD_SRC"/src/services/*/service.json; do
    nsvc=$((nsvc + 1))
    load_plan "$file"
    svc=$(jq -r .name "$file")
    mine=rest
    [[ $CRUD_FIRST != *" $svc "* ]] || mine=first
    for res in "${RESOURCES[@]}"; do
      [ "$svc.$res" != commerce.orders ] || continue
      nres=$((nres + 1))
      if [ "$mine" = "$1" ]; then crud "$svc" "$res"; fi
    done
  done
  [ "$nsvc" -ge 7 ] && [ "$nres" -ge 30 ] || fail "the loop saw $nsvc services and $nres resources"; pass
}

# resources_done: the end of a part (with TD_KEEP_GOING, fails when an
# assertion did).
resources_done() {
  [ -z "${FAILS:-}" ] || [ "$FAILS" -eq 0 ] || { echo "$FAILS failed assertions" >&2; exit 1; }
  done_ok
}
