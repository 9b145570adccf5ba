#!/usr/bin/env bash
# The resource engine over HTTP, on the current backend:
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

# ---- 1. CRUD for every resource of every built-in service --------------------
ADMIN=$(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')
AD=(-H "Authorization: Bearer $ADMIN")
nsvc=0 nres=0
for file in "$TD_SRC"/src/services/*/service.json; do
  nsvc=$((nsvc + 1))
  load_plan "$file"
  svc=$(jq -r .name "$file")
  for res in "${RESOURCES[@]}"; do
    # orders are placed from an "items" array (behaviour of their own)
    [ "$svc.$res" = commerce.orders ] && continue
    crud "$svc" "$res"
    nres=$((nres + 1))
  done
done
[ "$nsvc" -ge 7 ] && [ "$nres" -ge 30 ] || fail "the loop saw $nsvc services and $nres resources"; pass
# a time in another offset is stored in UTC with milliseconds
st 201 "$(callh POST "${SA[@]}" --data '{"title":"tz","closed_at":"2026-05-06T09:08:07+02:00"}' "$BASE/v1/crm/deals")" "a deal with an offset time"
jqe '.closed_at == "2026-05-06T07:08:07.000Z" and .stage == "new" and .amount == 0 and .currency == "EUR"' "offset time and defaults"
# cms: publishing stamps published_at (read-only); an item's data follows its type
st 201 "$(callh POST "${SA[@]}" --data '{"title":"About","slug":"about"}' "$BASE/v1/cms/pages")" "a draft page"
PAGE=$(ids "$T/body" | head -n 1)
jqe '.status == "draft" and .published_at == null' "a draft is not published"
st 200 "$(callh PATCH "${SA[@]}" --data '{"status":"published"}' "$BASE/v1/cms/pages/$PAGE")" "publish"
jqe '.published_at | type == "string"' "publishing stamps published_at"
ensure_row cms content_types; CT=$ROWID
st 400 "$(callh POST "${SA[@]}" --data "{\"content_type_id\":\"$CT\",\"title\":\"t\",\"data\":{\"views\":\"many\",\"extra\":1}}" "$BASE/v1/cms/content_items")" "item data against its type"
errors_are 'data.extra unknown_field,data.headline required,data.views invalid_type' "item data against its type"

# ---- 2. validation -----------------------------------------------------------
n_deals=$(count_rows crm deals) n_tasks=$(count_rows crm tasks) n_media=$(count_rows cms media)
n_products=$(count_rows commerce products) n_customers=$(count_rows crm customers)
ob_crm=$(osql crm "SELECT count(*) FROM @ob") ob_cms=$(osql cms "SELECT count(*) FROM @ob")
ob_commerce=$(osql commerce "SELECT count(*) FROM @ob")
st 400 "$(callh POST "${SA[@]}" --data '{"title":12,"amount":-1,"currency":"EURO","closed_at":"yesterday","customer_id":"nope","stage":null,"bogus":true,"created_at":"2026-01-01T00:00:00Z","id":"x"}' "$BASE/v1/crm/deals")" "a deal with nine bad fields"
errors_are 'title invalid_type,amount out_of_range,currency too_long,closed_at invalid_time,customer_id invalid_reference,stage required,bogus unknown_field,created_at read_only,id read_only' "a deal with nine bad fields"
st 400 "$(callh POST "${SA[@]}" --data '{"amount":1.5}' "$BASE/v1/crm/deals")" "a fractional integer"
errors_are 'amount invalid_type,title required' "a fractional integer and a missing title"
st 400 "$(callh POST "${SA[@]}" --data '{"amount":"abc","title":"t"}' "$BASE/v1/crm/deals")" "text for an integer"
errors_are 'amount invalid_type' "text for an integer"
st 400 "$(callh POST "${SA[@]}" --data '{"priority":"urgent","status":5,"due_at":"2026-13-45T00:00:00Z"}' "$BASE/v1/crm/tasks")" "a task with four bad fields"
errors_are 'title required,priority invalid_value,status invalid_type,due_at invalid_time' "a task with four bad fields"
st 400 "$(callh POST "${SA[@]}" --data "{\"name\":\"$(printf 'n%.0s' $(seq 201))\",\"email\":\"not-an-email\"}" "$BASE/v1/crm/customers")" "too long, not an email"
errors_are 'name too_long,email invalid_email' "too long, not an email"
st 400 "$(callh POST "${SA[@]}" --data '{"filename":"a.png","content_type":"image/png","size":10,"sha256":"ab","status":"stored"}' "$BASE/v1/cms/media")" "media with read-only fields"
errors_are 'size read_only,sha256 read_only,status read_only' "media with read-only fields"
st 400 "$(callh POST "${SA[@]}" --data '{"name":"n","sku":"s","price":-5,"active":"yes","currency":null}' "$BASE/v1/commerce/products")" "a product with bad values"
errors_are 'price out_of_range,active invalid_type' "a product with bad values"
st 400 "$(callh POST "${SA[@]}" --data '{"name":"n","sku":"s","price":2.5}' "$BASE/v1/commerce/products")" "a price that is not whole cents"
errors_are 'price invalid_type' "money is an integer of minor units"
st 400 "$(callh POST "${SA[@]}" --data '[{"name":"x"}]' "$BASE/v1/crm/customers")" "a body that is not an object"
st 400 "$(callh POST "${SA[@]}" --data '{"name":"x"' "$BASE/v1/crm/customers")" "a body that is not JSON"
# a reference must name an existing row of its resource (docs/api.md: 409)
st 409 "$(callh POST "${SA[@]}" --data '{"title":"t","customer_id":"01a20000-0000-7000-8000-000000000000"}' "$BASE/v1/crm/deals")" "a deal for a customer that does not exist"
code_is invalid_reference "a deal for a customer that does not exist"
# a patch is validated the same way and changes nothing when refused
ensure_row crm deals; DEAL=$ROWID
st 200 "$(callh GET "${SA[@]}" "$BASE/v1/crm/deals/$DEAL")" "a deal"; cp "$T/body" "$T/deal"
st 400 "$(callh PATCH "${SA[@]}" --data '{"title":null,"amount":-5,"bogus":1,"updated_at":"2020-01-01T00:00:00Z","owner_id":7}' "$BASE/v1/crm/deals/$DEAL")" "a patch with five bad fields"
errors_are 'title required,amount out_of_range,bogus unknown_field,updated_at read_only,owner_id invalid_type' "a patch with five bad fields"
st 200 "$(callh GET "${SA[@]}" "$BASE/v1/crm/deals/$DEAL")" "the deal after a refused patch"
cmp -s "$T/body" "$T/deal" || fail "a refused patch changed the deal"; pass
eq "$(count_rows crm deals)" "$n_deals" "no deal written"
eq "$(count_rows crm tasks)" "$n_tasks" "no task written"
eq "$(count_rows crm customers)" "$n_customers" "no customer written"
eq "$(count_rows cms media)" "$n_media" "no media written"
eq "$(count_rows commerce products)" "$n_products" "no product written"
eq "$(osql crm "SELECT count(*) FROM @ob")" "$ob_crm" "no crm outbox row for refused writes"
eq "$(osql cms "SELECT count(*) FROM @ob")" "$ob_cms" "no cms outbox row for refused writes"
eq "$(osql commerce "SELECT count(*) FROM @ob")" "$ob_commerce" "no commerce outbox row for refused writes"

# every integer field of every resource refuses values past 2^53 - 1 (or
# its declared bounds), so money and quantities never reach sums or
# products that overflow; the limit itself is accepted
nint=0
for file in "$TD_SRC"/src/services/*/service.json; do
  load_plan "$file"
  svc=$(jq -r .name "$file")
  for res in "${RESOURCES[@]}"; do
    [[ ${P_METHODS[$svc.$res]} == *,create,* ]] && [ "$svc.$res" != commerce.orders ] || continue
    for f in $(jq -r '.fields[] | select(.type == "integer" and (.read_only | not)) | .name' <<<"${P_DECL[$svc.$res]}"); do
      make_body "$svc" "$res"
      for v in 9007199254740992 -9007199254740992 4611686018427387904; do
        st 400 "$(callh POST "${SA[@]}" --data "$(jq -c --arg f "$f" --argjson v "$v" '.[$f] = $v' <<<"$BODY")" "$BASE/v1/$svc/$res")" "$svc.$res.$f = $v"
        errors_are "$f out_of_range" "$svc.$res.$f = $v"
      done
      max=$(jq -r --arg f "$f" '.fields[] | select(.name == $f) | .max // 9007199254740991' <<<"${P_DECL[$svc.$res]}")
      make_body "$svc" "$res" # the others at their least, so no product of them overflows
      st 201 "$(callh POST "${SA[@]}" --data "$(jq -c --arg f "$f" --argjson v "$max" --argjson r "${P_DECL[$svc.$res]}" \
        'reduce ($r.fields[] | select(.type == "integer" and (.read_only | not) and .name != $f)) as $o
           (.; if has($o.name) then .[$o.name] = ($o.min // 0) else . end) | .[$f] = $v' <<<"$BODY")" \
        "$BASE/v1/$svc/$res")" "$svc.$res.$f = $max"
      jqe '.[$f] == $v' "$svc.$res.$f keeps $max exactly" --arg f "$f" --argjson v "$max"
      nint=$((nint + 1))
    done
  done
done
[ "$nint" -ge 8 ] || fail "only $nint integer fields checked"; pass

# ---- 3. clients: own rows only; billing read-only; analytics events ---------
new_user() { # new_user EMAIL ROLE SERVICES-JSON → the user's id
  st 201 "$(callh POST "${AD[@]}" --data "{\"email\":\"$1\",\"password\":\"user-password-1\",\"role\":\"$2\",\"services\":$3}" "$BASE/v1/auth/users")" "add $1"
  jq -r .id "$T/body"
}
CY_ID=$(new_user cy@acme.test client '["crm"]')
DEE_ID=$(new_user dee@acme.test client '["crm"]')
BO_ID=$(new_user bo@acme.test client '["crm","billing","analytics"]')
CY=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"cy@acme.test","password":"user-password-1"}')")
DEE=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"dee@acme.test","password":"user-password-1"}')")
BO=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"bo@acme.test","password":"user-password-1"}')")
cy_rows=() dee_rows=()
for n in 1 2 3; do
  st 201 "$(callh POST "${CY[@]}" --data "{\"name\":\"cy-$n\"}" "$BASE/v1/crm/customers")" "cy creates a customer"
  jqe '.owner_id == $me' "cy owns what it creates" --arg me "$CY_ID"
  cy_rows+=("$(jq -r .id "$T/body")")
done
for n in 1 2; do
  st 201 "$(callh POST "${DEE[@]}" --data "{\"name\":\"dee-$n\"}" "$BASE/v1/crm/customers")" "dee creates a customer"
  dee_rows+=("$(jq -r .id "$T/body")")
done
st 200 "$(callh GET "${CY[@]}" "$BASE/v1/crm/customers")" "cy lists customers"
jqe '[.items[].id] | sort == ($ids | split(" ") | sort)' "cy sees its three customers only" --arg ids "${cy_rows[*]}"
st 200 "$(callh GET "${DEE[@]}" -G --data-urlencode 'sort=-name' "$BASE/v1/crm/customers")" "dee lists customers"
jqe '[.items[].id] == ($ids | split(" ") | reverse)' "dee sees its two customers only" --arg ids "${dee_rows[*]}"
st 200 "$(callh GET "${CY[@]}" -G --data-urlencode "filter=name eq 'dee-1' or name startswith 'dee'" "$BASE/v1/crm/customers")" "cy filters for dee's rows"
jqe '.items == []' "a filter does not widen a client's scope"
eq "$(count_rows crm customers "${AD[@]}")" "$(count_rows crm customers)" "the tenant admin sees the whole tenant"
st 200 "$(callh GET "${AD[@]}" "$BASE/v1/crm/customers/${cy_rows[0]}")" "the admin reads cy's row"
st 200 "$(callh GET "${AD[@]}" "$BASE/v1/crm/customers/${dee_rows[0]}")" "dee's row"; cp "$T/body" "$T/dee-before"
st 404 "$(callh GET "${CY[@]}" "$BASE/v1/crm/customers/${dee_rows[0]}")" "cy reads dee's row"
code_is not_found "cy reads dee's row"
st 404 "$(callh PATCH "${CY[@]}" --data '{"name":"mine now"}' "$BASE/v1/crm/customers/${dee_rows[0]}")" "cy changes dee's row"
st 404 "$(callh PATCH "${CY[@]}" -H 'If-Match: *' --data '{"name":"mine now"}' "$BASE/v1/crm/customers/${dee_rows[0]}")" "cy changes dee's row with If-Match: *"
st 404 "$(callh DELETE "${CY[@]}" "$BASE/v1/crm/customers/${dee_rows[0]}")" "cy deletes dee's row"
st 200 "$(callh GET "${AD[@]}" "$BASE/v1/crm/customers/${dee_rows[0]}")" "dee's row after cy's tries"
cmp -s "$T/body" "$T/dee-before" || fail "cy changed dee's row"; pass
st 200 "$(callh PATCH "${CY[@]}" --data '{"name":"cy-1b"}' "$BASE/v1/crm/customers/${cy_rows[0]}")" "cy changes its own row"
st 204 "$(callh DELETE "${CY[@]}" "$BASE/v1/crm/customers/${cy_rows[2]}")" "cy deletes its own row"
for o in "$DEE_ID" "$CY_ID"; do
  st 400 "$(callh POST "${CY[@]}" --data "{\"name\":\"cy-x\",\"owner_id\":\"$o\"}" "$BASE/v1/crm/customers")" "cy sets owner_id"
  errors_are 'owner_id not_writable' "a client cannot choose the owner"
done
st 400 "$(callh PATCH "${CY[@]}" --data "{\"owner_id\":\"$DEE_ID\"}" "$BASE/v1/crm/customers/${cy_rows[0]}")" "cy gives its row away"
errors_are 'owner_id not_writable' "a client cannot change the owner"
st 200 "$(callh GET "${CY[@]}" "$BASE/v1/crm/customers")" "cy lists customers again"
jqe '[.items[].id] | sort == ($ids | split(" ") | sort)' "cy has its two remaining rows" --arg ids "${cy_rows[0]} ${cy_rows[1]}"
# pipelines: read by the whole tenant, written by admins and managers only
st 201 "$(callh POST "${AD[@]}" --data '{"name":"Sales","stages":["new","won"],"is_default":true}' "$BASE/v1/crm/pipelines")" "the admin adds a pipeline"
PIPE=$(jq -r .id "$T/body")
st 200 "$(callh GET "${CY[@]}" -G --data-urlencode "filter=name eq 'Sales'" "$BASE/v1/crm/pipelines")" "cy lists pipelines"
jqe '[.items[].id] == [$p]' "clients read the tenant's pipelines" --arg p "$PIPE"
st 403 "$(callh POST "${CY[@]}" --data '{"name":"Mine"}' "$BASE/v1/crm/pipelines")" "cy adds a pipeline"
st 403 "$(callh PATCH "${CY[@]}" --data '{"name":"Mine"}' "$BASE/v1/crm/pipelines/$PIPE")" "cy renames a pipeline"
# billing: not granted → 403; granted → own rows, read only
st 403 "$(callh GET "${CY[@]}" "$BASE/v1/billing/invoices")" "cy lists invoices"
code_is service_not_granted "billing is not granted to cy"
bo_inv=()
for o in "$BO_ID" "$BO_ID" "$CY_ID" ""; do
  b="{\"number\":\"INV-$RANDOM\",\"total\":1200${o:+,\"owner_id\":\"$o\"}}"
  st 201 "$(callh POST "${SA[@]}" --data "$b" "$BASE/v1/billing/invoices")" "the superadmin writes an invoice"
  eq "$(jq -r .owner_id "$T/body")" "${o:-$ROOT_ID}" "the superadmin sets the owner of an invoice"
  [ "$o" = "$BO_ID" ] && bo_inv+=("$(jq -r .id "$T/body")")
  [ "$o" = "$CY_ID" ] && cy_inv=$(jq -r .id "$T/body")
done
st 200 "$(callh GET "${BO[@]}" -G --data-urlencode limit=200 "$BASE/v1/billing/invoices")" "bo lists invoices"
jqe '[.items[].id] | sort == ($ids | split(" ") | sort)' "bo sees its own invoices only" --arg ids "${bo_inv[*]}"
st 200 "$(callh GET "${BO[@]}" "$BASE/v1/billing/invoices/${bo_inv[0]}")" "bo reads its invoice"
st 404 "$(callh GET "${BO[@]}" "$BASE/v1/billing/invoices/$cy_inv")" "bo reads another's invoice"
st 403 "$(callh POST "${BO[@]}" --data '{"number":"INV-BO"}' "$BASE/v1/billing/invoices")" "bo writes an invoice"
st 403 "$(callh PATCH "${BO[@]}" --data '{"status":"paid"}' "$BASE/v1/billing/invoices/${bo_inv[0]}")" "bo pays its own invoice"
st 403 "$(callh DELETE "${BO[@]}" "$BASE/v1/billing/invoices/${bo_inv[0]}")" "bo deletes its own invoice"
st 403 "$(callh POST "${AD[@]}" --data '{"number":"INV-AD"}' "$BASE/v1/billing/invoices")" "the tenant admin writes an invoice"
st 403 "$(callh PATCH "${AD[@]}" --data '{"status":"void"}' "$BASE/v1/billing/invoices/${bo_inv[0]}")" "the tenant admin changes an invoice"
st 403 "$(callh DELETE "${AD[@]}" "$BASE/v1/billing/invoices/${bo_inv[0]}")" "the tenant admin deletes an invoice"
eq "$(count_rows billing invoices "${AD[@]}")" "$(count_rows billing invoices)" "the tenant admin reads every invoice"
st 200 "$(callh GET "${BO[@]}" "$BASE/v1/billing/invoices/${bo_inv[0]}")" "bo's invoice after the refusals"
jqe '.status == "draft"' "bo's invoice unchanged"
# analytics: events appended by any principal granted analytics, read own
st 201 "$(callh POST "${BO[@]}" --data '{"name":"click","ts":"2026-06-01T10:00:00Z","value":1.5,"props":{"b":1}}' "$BASE/v1/analytics/events")" "bo appends an event"
BO_EV=$(jq -r .id "$T/body")
jqe '.owner_id == $me' "bo owns its event" --arg me "$BO_ID"
st 201 "$(callh POST "${AD[@]}" --data '{"name":"click","ts":"2026-06-01T10:00:01Z"}' "$BASE/v1/analytics/events")" "the admin appends an event"
st 403 "$(callh POST "${CY[@]}" --data '{"name":"click","ts":"2026-06-01T10:00:02Z"}' "$BASE/v1/analytics/events")" "cy (no analytics) appends an event"
code_is service_not_granted "analytics is not granted to cy"
st 200 "$(callh GET "${BO[@]}" -G --data-urlencode "filter=name eq 'click'" "$BASE/v1/analytics/events")" "bo lists events"
jqe '[.items[].id] == [$e]' "bo reads its own events only" --arg e "$BO_EV"
st 403 "$(callh POST "${BO[@]}" --data '{"name":"m","event":"click"}' "$BASE/v1/analytics/metrics")" "bo defines a metric"
st 403 "$(callh POST "${AD[@]}" --data '{"name":"clicks","event":"click"}' "$BASE/v1/analytics/metrics")" "analytics is read-only for tenant admins (SPEC §6)"
st 201 "$(callh POST "${SA[@]}" --data '{"name":"clicks","event":"click"}' "$BASE/v1/analytics/metrics")" "the platform defines a metric"
st 405 "$(callh PATCH "${BO[@]}" --data '{"name":"x"}' "$BASE/v1/analytics/events/$BO_EV")" "events are append-only"

# ---- 4. filter attacks -------------------------------------------------------
n_customers=$(count_rows crm customers) n_deals=$(count_rows crm deals)
bad_filter() { # bad_filter RESOURCE FILTER WHAT
  st 400 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=$2" "$BASE/v1/crm/$1")" "$3"
  code_is invalid_filter "$3"
  [ "$(wc -c <"$T/body")" -lt 1024 ] || fail "$3: the answer echoes the filter ($(wc -c <"$T/body") bytes)"; pass
}
good_filter() { # good_filter RESOURCE FILTER WHAT → items in $T/body
  st 200 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=$2" --data-urlencode limit=200 "$BASE/v1/crm/$1")" "$3"
}
rep() { local i s=; for ((i = 0; i < $2; i++)); do s+=$1; done; printf '%s' "$s"; }
bad_filter customers "name eq 'x' or 1=1 --" "a classic injection"
bad_filter customers "name eq 'x'; DROP TABLE customers; --" "a stacked statement"
bad_filter customers "name eq 'x' or name eq 'y' union select * from customers" "a union"
bad_filter customers "$(rep '(' 500)name eq 'x'$(rep ')' 500)" "500 nested parentheses"
bad_filter customers "$(rep 'not ' 100)name eq 'x'" "100 nested nots"
bad_filter customers "name eq '$(head -c 3000 /dev/zero | tr '\0' a)'" "a filter over the 2048-byte cap"
# a 100 KB filter does not fit the HTTP layer's request-line budget (16 KiB
# per connection): libmicrohttpd refuses it itself, 414, before any routing
st 414 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=name eq '$(head -c 102400 /dev/zero | tr '\0' a)'" "$BASE/v1/crm/customers")" "a 100 KB filter"
bad_filter customers "nosuch eq 'x'" "an unknown field"
bad_filter customers "phone eq 'x'" "a field that is not filterable"
bad_filter customers "owner_id eq 'x'" "the owner column (not declared filterable)"
bad_filter deals "amount eq 'abc'" "text for an integer"
bad_filter deals "amount eq 1.5" "a fraction for an integer"
bad_filter deals "amount gt 99999999999999999999" "an integer past int64"
bad_filter customers "name gt 5" "a number for text"
bad_filter customers "name eq 'x" "an unterminated quote"
bad_filter customers "name eq x" "an unquoted value"
bad_filter customers "name lt null" "null with lt"
bad_filter deals "amount contains '1'" "contains on an integer"
bad_filter customers "name eq 'x' and" "a dangling and"
bad_filter customers "(name eq 'x'" "an unclosed parenthesis"
bad_filter customers "name in ($(rep "'a'," 100)'a')" "101 values in a list"
bad_filter customers "name eq 'x' $(rep "or name eq 'x' " 32)" "33 comparisons"
bad_filter customers "$(rep '(' 17)name eq 'x'$(rep ')' 17)" "17 levels"
bad_filter customers "$(printf "name eq '%s'" "$(rep b 2039)")" "2049 bytes"
good_filter customers "name eq 'x' $(rep "or name eq 'x' " 31)" "32 comparisons"
good_filter customers "$(rep '(' 15)name eq 'x'$(rep ')' 15)" "15 levels"
good_filter customers "$(printf "name eq '%s'" "$(rep b 2038)")" "2048 bytes"
good_filter customers "name in ($(rep "'a'," 99)'a')" "100 values in a list"
good_filter customers "name eq 'x'' or 1=1 --'" "a quote inside a value"
jqe '.items == []' "a quoted quote is text: nothing matches"
st 201 "$(callh POST "${SA[@]}" --data "{\"name\":\"x' or 1=1 --\"}" "$BASE/v1/crm/customers")" "a customer with a quote in its name"
QID=$(jq -r .id "$T/body")
good_filter customers "name eq 'x'' or 1=1 --'" "the quote filter again"
jqe '[.items[].id] == [$q]' "the quote filter finds exactly that row" --arg q "$QID"
st 201 "$(callh POST "${SA[@]}" --data '{"name":"100% juice_box"}' "$BASE/v1/crm/customers")" "a name with LIKE wildcards"
WID=$(jq -r .id "$T/body")
good_filter customers "name contains '%'" "contains a percent sign"
jqe '[.items[].id] == [$w]' "contains '%' is literal" --arg w "$WID"
good_filter customers "name contains '% juice_'" "contains an underscore"
jqe '[.items[].id] == [$w]' "contains '_' is literal" --arg w "$WID"
good_filter customers "name startswith '_' or name startswith '%'" "startswith a wildcard"
jqe '.items == []' "startswith '_' is literal"
good_filter customers "(name eq 'cy-1b' or name startswith 'dee-') and not (email ne null) and name in ('cy-1b', 'dee-2', 'zz')" "and, or, not, in, null"
jqe '[.items[].name] | sort == ["cy-1b", "dee-2"]' "and, or, not, in, null select the right rows"
good_filter deals "amount ge 0 and amount lt 1000000000000 and closed_at eq null" "integer and null comparisons"
ensure_row commerce products; PROD=$ROWID
st 200 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=price eq 2 and price gt 1 and price le 2 and active eq false" "$BASE/v1/commerce/products")" "integer and boolean comparisons"
jqe 'any(.items[]; .id == $p)' "integer and boolean comparisons find the product" --arg p "$PROD"
for f in "price eq 'abc'" "price eq 2.5" "active eq 1" "active gt false" "price contains '2'"; do
  st 400 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=$f" "$BASE/v1/commerce/products")" "[$f]"; code_is invalid_filter "[$f]"
done
# sort, limit, fields, cursor: the other parameters are checked too
for q in "sort=phone" "sort=name;DROP TABLE customers" "sort=-" "sort=created_at,phone" "sort=email"; do
  st 400 "$(callh GET "${SA[@]}" -G --data-urlencode "$q" "$BASE/v1/crm/customers")" "$q"; code_is invalid_sort "$q"
done
for q in "limit=0" "limit=201" "limit=abc" "limit=-1" "limit=5x"; do
  st 400 "$(callh GET "${SA[@]}" -G --data-urlencode "$q" "$BASE/v1/crm/customers")" "$q"; code_is invalid_limit "$q"
done
for q in "fields=id,nosuch" "fields=id,name FROM customers" "fields=password_hash"; do
  st 400 "$(callh GET "${SA[@]}" -G --data-urlencode "$q" "$BASE/v1/crm/customers")" "$q"; code_is invalid_fields "$q"
done
st 200 "$(callh GET "${SA[@]}" "$BASE/v1/crm/customers?limit=1&sort=name")" "a first page by name"
CUR=$(jq -r .next_cursor "$T/body")
st 400 "$(callh GET "${SA[@]}" -G --data-urlencode "cursor=$CUR" "$BASE/v1/crm/customers")" "a cursor of another sort"
code_is invalid_cursor "a cursor of another sort"
for c in garbage "$(printf '{"s":"name","v":["x"]}' | base64 | tr -d '=')" "${CUR}x"; do
  st 400 "$(callh GET "${SA[@]}" -G --data-urlencode "cursor=$c" --data-urlencode sort=name "$BASE/v1/crm/customers")" "a forged cursor"
  code_is invalid_cursor "a forged cursor"
done
eq "$(count_rows crm customers)" "$((n_customers + 2))" "customers intact after the attacks"
eq "$(count_rows crm deals)" "$n_deals" "deals intact after the attacks"

# ---- 5. pagination while rows are inserted ----------------------------------
# 120 customers in one curl run (names with ties: 50 names for 120 rows)
args=()
for i in $(seq 1 120); do
  args+=(-sS -X POST "${SA[@]}" -H 'Content-Type: application/json' -w '\n'
         --data "{\"name\":\"pg-$(printf %03d $(( (i * 37) % 50 )))\"}" "$BASE/v1/crm/customers" --next)
done
curl "${args[@]}" -sS -o /dev/null "$BASE/health" >"$T/made"
jq -r '.id // "none"' "$T/made" >"$T/orig"
eq "$(grep -c . "$T/orig")" 120 "120 customers made"
! grep -q none "$T/orig" || { grep -v '"id"' "$T/made" | head -3 >&2; fail "a customer was not made"; }; pass
sort -o "$T/orig" "$T/orig"
# inserter N TAG: N more customers, 15 a second, in the background (one curl)
inserter() {
  local j a=()
  for ((j = 1; j <= $1; j++)); do
    a+=(-sS -o /dev/null -w '%{http_code}\n' -X POST "${SA[@]}" -H 'Content-Type: application/json'
        --data "{\"name\":\"pg-$(printf %03d $(( (j * 13) % 50 )))$2\"}" "$BASE/v1/crm/customers" --next)
  done
  curl --rate 15/s "${a[@]}" -sS -o /dev/null "$BASE/health" >>"$T/bg.codes"
}
# page_all SORT TAG: every page of the list with limit=7 while 15 rows are
# inserted; "id<TAB>name" of the rows seen in $T/seen.
page_all() {
  local cursor="" pages=0 n b
  : >"$T/seen"
  inserter 15 "$2" & BG=$!
  while :; do
    local a=(-G --data-urlencode limit=7)
    [ -n "$1" ] && a+=(--data-urlencode "sort=$1")
    [ -n "$cursor" ] && a+=(--data-urlencode "cursor=$cursor")
    st 200 "$(callh GET "${SA[@]}" "${a[@]}" "$BASE/v1/crm/customers")" "page $pages of sort=$1"
    b=$(<"$T/body") n=0 cursor=
    [[ $b =~ \"next_cursor\":\"([^\"]+)\" ]] && cursor=${BASH_REMATCH[1]}
    while [[ $b =~ \"id\":\"([^\"]+)\",\"name\":\"([^\"]*)\" ]]; do
      printf '%s\t%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" >>"$T/seen"
      b=${b#*"${BASH_REMATCH[0]}"}
      n=$((n + 1))
    done
    pages=$((pages + 1))
    if [ -n "$cursor" ]; then [ "$n" = 7 ] || fail "sort=$1: page $pages has $n rows and a next cursor"; pass
    else [ "$n" -le 7 ] || fail "sort=$1: last page has $n rows"; pass; break; fi
    [ $pages -lt 200 ] || { fail "sort=$1: no end after 200 pages"; break; }
  done
  wait "$BG"; BG=
  cut -f1 "$T/seen" | sort | uniq -d >"$T/dups"
  [ ! -s "$T/dups" ] || fail "sort=$1: ids seen twice: $(head -3 "$T/dups" | tr '\n' ' ')"; pass
  cut -f1 "$T/seen" | sort | comm -23 "$T/orig" - >"$T/missed"
  [ ! -s "$T/missed" ] || fail "sort=$1: $(wc -l <"$T/missed") of the 120 rows never seen"; pass
  [ "$(wc -l <"$T/seen")" -ge "$((n_before + 120))" ] || fail "sort=$1: only $(wc -l <"$T/seen") rows seen"; pass
}
: >"$T/bg.codes"
n_before=$(count_rows crm customers); n_before=$((n_before - 120))
page_all "" a
page_all name b
grep $'\tpg-' "$T/seen" | cut -f2 | LC_ALL=C sort -c || fail "sort=name: pages out of order"; pass
page_all -name c
grep $'\tpg-' "$T/seen" | cut -f2 | LC_ALL=C sort -rc || fail "sort=-name: pages out of order"; pass
page_all -created_at,name d
eq "$(sort -u "$T/bg.codes" | tr '\n' ' ')" "201 " "every concurrent insert succeeded"
eq "$(grep -c . "$T/bg.codes")" 60 "60 rows inserted while paging"
eq "$(count_rows crm customers)" "$((n_before + 180))" "all rows there after paging"

# ---- 6. ETag, If-Match, If-None-Match ----------------------------------------
st 201 "$(callh POST "${SA[@]}" --data '{"name":"Etag Co","email":"e@etag.test"}' "$BASE/v1/crm/customers")" "a customer"
EID=$(jq -r .id "$T/body") E1=$(hdr ETag)
st 200 "$(callh PATCH "${SA[@]}" -H "If-Match: $E1" --data '{"name":"Etag Co 2"}' "$BASE/v1/crm/customers/$EID")" "patch with the current ETag"
E2=$(hdr ETag)
[ "$E2" != "$E1" ] || fail "the ETag did not change"; pass
st 412 "$(callh PATCH "${SA[@]}" -H "If-Match: $E1" --data '{"name":"lost update"}' "$BASE/v1/crm/customers/$EID")" "patch with a stale ETag"
code_is precondition_failed "patch with a stale ETag"
st 200 "$(callh GET "${SA[@]}" "$BASE/v1/crm/customers/$EID")" "the row after a refused patch"
jqe '.name == "Etag Co 2"' "a stale patch changes nothing"
eq "$(hdr ETag)" "$E2" "the ETag after a refused patch"
rm -f "$T/body" # curl leaves the file alone when no body comes
st 304 "$(callh GET "${SA[@]}" -H "If-None-Match: $E2" "$BASE/v1/crm/customers/$EID")" "If-None-Match, current"
eq "$(hdr ETag)" "$E2" "a 304 carries the ETag"
[ ! -s "$T/body" ] || fail "a 304 has a body"; pass
st 200 "$(callh GET "${SA[@]}" -H "If-None-Match: $E1" "$BASE/v1/crm/customers/$EID")" "If-None-Match, stale"
st 412 "$(callh DELETE "${SA[@]}" -H "If-Match: $E1" "$BASE/v1/crm/customers/$EID")" "delete with a stale ETag"
st 200 "$(callh GET "${SA[@]}" "$BASE/v1/crm/customers/$EID")" "still there"
st 200 "$(callh PATCH "${SA[@]}" -H 'If-Match: *' --data '{"phone":"+1 555"}' "$BASE/v1/crm/customers/$EID")" "patch with If-Match: *"
E3=$(hdr ETag)
st 204 "$(callh DELETE "${SA[@]}" -H "If-Match: $E3" "$BASE/v1/crm/customers/$EID")" "delete with the current ETag"

# ---- 7. the outbox: one row per acknowledged write ---------------------------
SEQ0=$(osql crm "SELECT coalesce(max(seq), 0) FROM @ob")
W=0
: >"$T/rids"
# wr METHOD ARGS…: a write; CODE is its status; an acknowledged one is
# counted and its request id kept (RID).
wr() {
  CODE=$(callh "$@")
  RID=$(hdr X-Request-Id)
  [ -n "$RID" ] || fail "no X-Request-Id on $*"
  if [[ $CODE == 2?? ]]; then W=$((W + 1)); echo "$RID" >>"$T/rids"; fi
}
wr POST "${SA[@]}" --data '{"name":"Outbox Co"}' "$BASE/v1/crm/customers"; st 201 "$CODE" "outbox: a customer"
OC=$(jq -r .id "$T/body") R_CREATE=$RID OC_ETAG=$(hdr ETag)
wr POST "${SA[@]}" --data "{\"first_name\":\"Ann\",\"customer_id\":\"$OC\"}" "$BASE/v1/crm/contacts"; st 201 "$CODE" "outbox: a contact"
OCT=$(jq -r .id "$T/body")
wr POST "${SA[@]}" --data '{"title":"Outbox deal","amount":5}' "$BASE/v1/crm/deals"; st 201 "$CODE" "outbox: a deal"
OD=$(jq -r .id "$T/body")
wr PATCH "${SA[@]}" --data '{"website":"https://outbox.test"}' "$BASE/v1/crm/customers/$OC"; st 200 "$CODE" "outbox: a patch"
R_PATCH=$RID
wr PATCH "${SA[@]}" -H "If-Match: $OC_ETAG" --data '{"name":"late"}' "$BASE/v1/crm/customers/$OC"; st 412 "$CODE" "outbox: a stale patch"
wr POST "${SA[@]}" --data '{"name":12}' "$BASE/v1/crm/customers"; st 400 "$CODE" "outbox: an invalid create"
wr PATCH "${SA[@]}" --data '{"name":"x"}' "$BASE/v1/crm/customers/01a20000-0000-7000-8000-000000000000"; st 404 "$CODE" "outbox: a patch of nothing"
wr DELETE "${SA[@]}" "$BASE/v1/crm/customers/01a20000-0000-7000-8000-000000000000"; st 404 "$CODE" "outbox: a delete of nothing"
wr POST "${SA[@]}" --data '{"title":"t","customer_id":"01a20000-0000-7000-8000-000000000000"}' "$BASE/v1/crm/deals"
[[ $CODE == 4?? ]] || fail "outbox: a dangling reference answered $CODE"; pass
wr POST "${CY[@]}" --data '{"name":"cy outbox"}' "$BASE/v1/crm/customers"; st 201 "$CODE" "outbox: a client's customer"
CYC=$(jq -r .id "$T/body") R_CLIENT=$RID
wr PATCH "${CY[@]}" --data '{"name":"x"}' "$BASE/v1/crm/customers/$OC"; st 404 "$CODE" "outbox: a client patches another's row"
wr POST "${CY[@]}" --data '{"name":"p"}' "$BASE/v1/crm/pipelines"; st 403 "$CODE" "outbox: a client adds a pipeline"
wr POST "${AD[@]}" --data '{"name":"Outbox pipe"}' "$BASE/v1/crm/pipelines"; st 201 "$CODE" "outbox: a pipeline (no owner)"
wr PATCH "${CY[@]}" --data '{"phone":"1"}' "$BASE/v1/crm/customers/$CYC"; st 200 "$CODE" "outbox: a client's patch"
wr DELETE "${SA[@]}" "$BASE/v1/crm/contacts/$OCT"; st 204 "$CODE" "outbox: delete the contact"
wr DELETE "${SA[@]}" "$BASE/v1/crm/customers/$OC"; st 204 "$CODE" "outbox: delete the customer"
R_DELETE=$RID
wr DELETE "${SA[@]}" "$BASE/v1/crm/deals/$OD"; st 204 "$CODE" "outbox: delete the deal"
st 200 "$(callh GET "${SA[@]}" "$BASE/v1/crm/customers/$CYC")" "outbox: a read (not a write)"
osql crm "SELECT request_id, actor, action, resource, row_id, rows_delta,
                CASE WHEN bytes_delta > 0 THEN '+' WHEN bytes_delta < 0 THEN '-' ELSE '0' END, at
           FROM @ob WHERE seq > $SEQ0 ORDER BY seq" >"$T/outbox.raw"
# the request id column carries the client address after a space, the
# actor its kind before a colon (src/audit/README.md)
grep -c ' 127\.0\.0\.1|' "$T/outbox.raw" >/dev/null || fail "outbox rows carry the client address"; pass
sed 's/ 127\.0\.0\.1|/|/' "$T/outbox.raw" >"$T/outbox"
eq "$(grep -c . "$T/outbox")" "$W" "one outbox row per acknowledged write ($W)"
eq "$(cut -d'|' -f1 "$T/outbox")" "$(cat "$T/rids")" "outbox rows carry the writes' request ids, in order"
eq "$(grep "^$R_CREATE|" "$T/outbox" | cut -d'|' -f2-7)" "superadmin:$ROOT_ID|create|customers|$OC|1|+" "the outbox row of a create"
eq "$(grep "^$R_PATCH|" "$T/outbox" | cut -d'|' -f2-6)" "superadmin:$ROOT_ID|update|customers|$OC|0" "the outbox row of a patch"
eq "$(grep "^$R_DELETE|" "$T/outbox" | cut -d'|' -f2-7)" "superadmin:$ROOT_ID|delete|customers|$OC|-1|-" "the outbox row of a delete"
eq "$(grep "^$R_CLIENT|" "$T/outbox" | cut -d'|' -f2-5)" "user:$CY_ID|create|customers|$CYC" "the outbox row of a client's create"
! cut -d'|' -f8 "$T/outbox" | grep -vqE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' ||
  fail "an outbox time is not ISO 8601 UTC"; pass
# a deal's stage change also records an interaction: two rows, one request
st 201 "$(callh POST "${SA[@]}" --data '{"title":"Stage deal"}' "$BASE/v1/crm/deals")" "a deal to move"
SD=$(jq -r .id "$T/body")
st 200 "$(callh PATCH "${SA[@]}" --data '{"stage":"won"}' "$BASE/v1/crm/deals/$SD")" "move the deal"
R_STAGE=$(hdr X-Request-Id)
eq "$(osql crm "SELECT action || ' ' || resource FROM @ob WHERE request_id = '$R_STAGE 127.0.0.1' ORDER BY resource")" \
   "$(printf 'update deals\ncreate interactions')" "a stage change: the deal's update and the interaction's create"
st 200 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=deal_id eq '$SD'" "$BASE/v1/crm/interactions")" "the deal's interactions"
jqe '[.items[] | .kind + " " + .summary] == ["stage_change stage: new -> won"]' "the stage change is recorded"

# ---- 8. an operator's service (TENANTD_SERVICES_DIR) --------------------------
stop_server
export TENANTD_SERVICES_DIR=$FIX
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
set +e
echo 'admin-password-1' | td tenant create desk --services helpdesk,crm \
  --admin-email admin@desk.test --admin-password-stdin --json >"$T/desk.json" 2>"$T/err"
rc=$?
set -e
[ $rc -eq 0 ] || { cat "$T/err" >&2; fail "tenant create desk --services helpdesk,crm: exit $rc"; }; pass
eq "$(jq -r '.services | join(",")' "$T/desk.json")" "auth,crm,helpdesk" "a tenant with the operator's service"
TEN=desk TID=$(jq -r .id "$T/desk.json")
SA=(-H "Authorization: Bearer $ROOT" -H "X-Tenant: desk")
load_plan "$FIX/helpdesk/service.json"
for res in queues tickets audit; do crud helpdesk "$res"; done
# queues: create, update, delete; tickets: a queue to point at, then the same
eq "$(osql helpdesk "SELECT action || ' ' || resource FROM @ob ORDER BY seq" | tr '\n' ',')" \
   "create queues,update queues,delete queues,create queues,create tickets,update tickets,delete tickets," \
   "the operator's service has its outbox"
# its declaration is enforced like a built-in one
ensure_row helpdesk queues; QUEUE=$ROWID
st 400 "$(callh POST "${SA[@]}" --data '{"subject":"s","priority":"asap","resolution":"done","hours":1001}' "$BASE/v1/helpdesk/tickets")" "a bad ticket"
errors_are 'queue_id required,priority invalid_value,resolution read_only,hours out_of_range' "a bad ticket"
st 201 "$(callh POST "${SA[@]}" --data "{\"queue_id\":\"$QUEUE\",\"subject\":\"Printer\",\"due_at\":\"2026-07-01T12:00:00+00:00\"}" "$BASE/v1/helpdesk/tickets")" "a ticket"
jqe '.priority == "normal" and .reopened == 0 and .due_at == "2026-07-01T12:00:00.000Z" and .resolution == null' "a ticket's defaults"
st 200 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=subject eq 'Printer' and priority in ('normal', 'urgent') and hours eq null" --data-urlencode sort=-priority,subject "$BASE/v1/helpdesk/tickets")" "filter tickets"
jqe '[.items[].subject] == ["Printer"]' "filter tickets finds the ticket"
st 201 "$(callh POST "${SA[@]}" --data "{\"queue_id\":\"$QUEUE\",\"subject\":\"Toner\",\"hours\":2.5}" "$BASE/v1/helpdesk/tickets")" "a ticket with hours"
st 200 "$(callh GET "${SA[@]}" -G --data-urlencode "filter=hours eq 2.5 and hours gt 2 and hours le 2.5" "$BASE/v1/helpdesk/tickets")" "number comparisons"
jqe '[.items[].subject] == ["Toner"]' "number comparisons find the ticket"
# its access overrides: clients create and read their own, change nothing
DESK_ADMIN=(-H "Authorization: Bearer $(login '{"tenant":"desk","email":"admin@desk.test","password":"admin-password-1"}')")
st 201 "$(callh POST "${DESK_ADMIN[@]}" --data '{"email":"cl@desk.test","password":"user-password-1","role":"client","services":["helpdesk"]}' "$BASE/v1/auth/users")" "a helpdesk client"
CL=(-H "Authorization: Bearer $(login '{"tenant":"desk","email":"cl@desk.test","password":"user-password-1"}')")
st 201 "$(callh POST "${CL[@]}" --data "{\"queue_id\":\"$QUEUE\",\"subject\":\"Mine\"}" "$BASE/v1/helpdesk/tickets")" "a client opens a ticket"
CLT=$(jq -r .id "$T/body")
st 200 "$(callh GET "${CL[@]}" "$BASE/v1/helpdesk/tickets")" "the client lists tickets"
jqe '[.items[].id] == [$t]' "the client sees its own ticket only" --arg t "$CLT"
st 403 "$(callh PATCH "${CL[@]}" --data '{"subject":"x"}' "$BASE/v1/helpdesk/tickets/$CLT")" "update is none for clients"
st 403 "$(callh DELETE "${CL[@]}" "$BASE/v1/helpdesk/tickets/$CLT")" "delete is none for clients"
st 403 "$(callh GET "${CL[@]}" "$BASE/v1/crm/customers")" "the client has no crm grant"
# a tenant without the service: refused; built-in services unchanged
st 403 "$(callh GET -H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme' "$BASE/v1/helpdesk/tickets")" "acme has no helpdesk"
code_is service_not_enabled "acme has no helpdesk"
st 200 "$(callh GET -H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme' "$BASE/v1/crm/customers")" "acme's crm after the restart"
st 404 "$(callh GET "${SA[@]}" "$BASE/v1/helpdesk/nosuch")" "an undeclared resource"

# bad declarations stop start-up (and other commands) with the file and why
stop_server
n=0
bad_decl() { # bad_decl FOLDER-NAME JQ-EDIT REASON: a copy of the fixture, edited
  n=$((n + 1))
  local dir=$T/bad$n
  mkdir -p "$dir"; cp -r "$FIX/helpdesk" "$dir/$1"
  if [ "$2" = not-json ]; then echo '{"name": "helpdesk", "resources": [' >"$dir/$1/service.json"
  else jq "$2" "$FIX/helpdesk/service.json" >"$dir/$1/service.json"; fi
  set +e
  TENANTD_SERVICES_DIR=$dir timeout 20 "$TD_BIN" serve --data "$DATA" --listen "127.0.0.1:$(free_port)" >"$T/out" 2>"$T/err"
  local rc=$?
  set -e
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || { cat "$T/err" >&2; fail "serve with a bad service ($3): exit $rc"; }; pass
  expect_contains "$T/err" "$dir/$1/service.json"
  expect_contains "$T/err" "$3"
}
bad_decl helpdesk '.resources[1].fields[1].type = "string"' "unknown type"
bad_decl helpdesk '.resources[1].fields[0].ref = "nosuch"' "ref names no resource"
bad_decl helpdesk '.resources[1].sort += ["requester"]' "sortable field must be required or have a default"
bad_decl helpdesk '.resources[1].filter += ["nosuch"]' "names an unknown field"
bad_decl helpdesk '.resources[1].filter += ["meta"]' "cannot use the json field"
bad_decl helpdesk '.resources[1].fields[5].max = 9007199254740992' "integer bounds are integers within"
bad_decl helpdesk '.resources[1].fields[5].min = 0.5' "integer bounds are integers within"
bad_decl helpdesk '.resources[1].fields[3].server_values = ["asap"]' "server_values is a non-empty list of the enum's values"
bad_decl helpdesk '.resources[1].fields[1].server_values = ["x"]' "server_values is a non-empty list of the enum's values"
bad_decl helpdesk '.resources[1].fields[3].default = "someday"' "default does not fit"
bad_decl helpdesk '.resources[1].fields[1].requird = true' "unknown key"
bad_decl helpdesk '.resources[0].table = "td_queues"' "not starting with td_"
bad_decl helpdesk '.resources[0].fields += [{"name": "owner_id", "type": "text"}]' "system columns are not declared"
bad_decl helpdesk '.resources[1].access = {"client": {"read": "everyone"}}' "access"
bad_decl helpdesk '.resources[2].access = {"client": {"read": "own"}}' "has no owner"
bad_decl helpdesk '.resources[1].methods = ["list", "patch"]' "methods are"
bad_decl desk2 '.' "is not the folder's name"
bad_decl crm '.name = "crm"' "exists already"
bad_decl helpdesk not-json "not a JSON object"
# another command refuses the same way
set +e; TENANTD_SERVICES_DIR=$T/bad1 "$TD_BIN" tenant list --data "$DATA" >"$T/out" 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] || fail "tenant list with a bad service: exit 0"; pass
expect_contains "$T/err" "$T/bad1/helpdesk/service.json"
# a service without migrations, or with a gap in them
mkdir -p "$T/nomig/helpdesk"; cp "$FIX/helpdesk/service.json" "$T/nomig/helpdesk/"
set +e; TENANTD_SERVICES_DIR=$T/nomig timeout 20 "$TD_BIN" serve --data "$DATA" --listen "127.0.0.1:$(free_port)" >"$T/out" 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "serve with a service without migrations: exit $rc"; pass
expect_contains "$T/err" "$T/nomig/helpdesk"
mkdir -p "$T/gap"; cp -r "$FIX/helpdesk" "$T/gap/"; mv "$T/gap/helpdesk/migrations/sqlite/0001_init.sql" "$T/gap/helpdesk/migrations/sqlite/0002_init.sql"
set +e; TENANTD_SERVICES_DIR=$T/gap timeout 20 "$TD_BIN" serve --data "$DATA" --listen "127.0.0.1:$(free_port)" >"$T/out" 2>"$T/err"; rc=$?; set -e
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "serve with a gap in the migrations: exit $rc"; pass
expect_contains "$T/err" "0002_init.sql"
# and the good folder still starts
start_server
[ -z "${FAILS:-}" ] || [ "$FAILS" -eq 0 ] || { echo "$FAILS failed assertions" >&2; exit 1; }
done_ok
