#!/usr/bin/env bash
# The resource engine over HTTP (resources.sh): clients see and
# change only their own rows; filter attacks; keyset pagination while rows
# are inserted; ETags; the outbox, one row per acknowledged write.
. "$(dirname "$0")/resources.sh"

# ---- 3. clients: own rows only; billing read-only; analytics events ---------
load_plans
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
resources_done
