#!/usr/bin/env bash
# Lists over HTTP, where reusing work between requests could go wrong: the
# same filter text on two tenants, for two callers of one tenant (each
# their own rows) and on two resources answers each its own rows; many
# distinct filters in a row (more than any cache would hold) each find
# exactly their rows, also when asked again; a bad filter stays bad
# however often it is asked, also when the same text is good on another
# resource. And the answer's text, now written row by row: fields named
# twice are answered once, in the order first named; items keep every
# key; a value that is not UTF-8 (a file edited by hand, SQLite only)
# answers null instead of the member vanishing.
. "$(dirname "$0")/lib.sh"
td_init
start_server

ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
tenants_with_admins acme beta
A=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"admin@acme.test","password":"admin-password-1"}')")
B=(-H "Authorization: Bearer $(login '{"tenant":"beta","email":"admin@beta.test","password":"admin-password-1"}')")

# list WHO RESOURCE FILTER [MORE CURL ARGS]: GET the list (status printed,
# body in $T/body).
list() {
  local -n who=$1
  curl -sS -o "$T/body" -w '%{http_code}' -G "${who[@]}" --data-urlencode "filter=$3" "${@:4}" \
    "$BASE/v1/crm/$2"
}
# names: the names of the items in $T/body, space-separated, sorted.
names() { jq -r '[.items[].name] | sort | join(" ")' "$T/body"; }
mk() { # mk WHO RESOURCE JSON → id
  local -n who=$1
  [ "$(call POST "${who[@]}" --data "$3" "$BASE/v1/crm/$2")" = 201 ] || fail "create $2: $(cat "$T/body")"
  jq -r .id "$T/body"
}

# --- the same text on two tenants: each answers its own rows
for n in 1 2; do
  mk A customers "{\"name\":\"Same $n\",\"email\":\"a$n@acme.test\"}" >/dev/null
  mk B customers "{\"name\":\"Same $n\",\"email\":\"b$n@beta.test\"}" >/dev/null
done
for round in 1 2; do
  for who in A B; do
    eq "$(list "$who" customers "name eq 'Same 1'")" 200 "$who lists Same 1 (round $round)"
    dom=$([ "$who" = A ] && echo acme || echo beta)
    eq "$(jq -r '[.items[].email] | join(" ")' "$T/body")" "${dom:0:1}1@$dom.test" \
      "$who's list of Same 1 holds its own row only (round $round)"
    eq "$(list "$who" customers "email eq '${dom:0:1}2@$dom.test'")" 200 "$who filters by its own e-mail"
    eq "$(names)" "Same 2" "$who finds its row by e-mail (round $round)"
    other=$([ "$who" = A ] && echo b2@beta.test || echo a2@acme.test)
    eq "$(list "$who" customers "email eq '$other'")" 200 "$who filters by the other tenant's e-mail"
    eq "$(names)" "" "$who never sees the other tenant's row (round $round)"
  done
done

# --- the same text for two clients of one tenant: each its own rows
for u in cy dee; do
  [ "$(call POST "${A[@]}" --data "{\"email\":\"$u@acme.test\",\"password\":\"user-password-1\",\"role\":\"client\",\"services\":[\"crm\"]}" "$BASE/v1/auth/users")" = 201 ] ||
    fail "add $u: $(cat "$T/body")"
done
CY=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"cy@acme.test","password":"user-password-1"}')")
DEE=(-H "Authorization: Bearer $(login '{"tenant":"acme","email":"dee@acme.test","password":"user-password-1"}')")
CY_ROW=$(mk CY customers '{"name":"Mine","email":"cy@acme.test"}')
DEE_ROW=$(mk DEE customers '{"name":"Mine","email":"dee@acme.test"}')
for round in 1 2; do
  eq "$(list CY customers "name eq 'Mine'")" 200 "cy lists Mine"
  eq "$(jq -r '[.items[].id] | join(" ")' "$T/body")" "$CY_ROW" "cy sees only its Mine (round $round)"
  eq "$(list DEE customers "name eq 'Mine'")" 200 "dee lists Mine"
  eq "$(jq -r '[.items[].id] | join(" ")' "$T/body")" "$DEE_ROW" "dee sees only its Mine (round $round)"
  eq "$(list A customers "name eq 'Mine'")" 200 "the admin lists Mine"
  eq "$(jq -r '[.items[].id] | sort | join(" ")' "$T/body")" "$(printf '%s\n' "$CY_ROW" "$DEE_ROW" | sort | paste -sd ' ')" \
    "the admin sees both (round $round)"
done

# --- the same text on two resources: each its own rows; where the field
# cannot be filtered the text is refused, before and after it was good
LEAD=$(mk A leads '{"name":"Same 1"}')
for round in 1 2; do
  eq "$(list A leads "name eq 'Same 1'")" 200 "leads with name Same 1"
  eq "$(jq -r '[.items[].id] | join(" ")' "$T/body")" "$LEAD" "the leads' list holds the lead (round $round)"
  eq "$(list A customers "name eq 'Same 1'")" 200 "customers with name Same 1"
  eq "$(jq -r '[.items[] | select(.id == $l)] | length' --arg l "$LEAD" "$T/body")" 0 \
    "the customers' list holds no lead (round $round)"
  eq "$(list A contacts "name eq 'Same 1'")" 400 "contacts have no name to filter (round $round)"
  eq "$(jq -r .code "$T/body")" invalid_filter "named invalid_filter (round $round)"
done

# --- a bad filter stays bad, however often it is asked
for round in 1 2 3; do
  eq "$(list A deals "amount eq 'abc'")" 400 "text for an integer (round $round)"
  eq "$(jq -r .code "$T/body")" invalid_filter "named invalid_filter (round $round)"
  eq "$(list A customers "name eq 'x' and")" 400 "a dangling and (round $round)"
done
eq "$(list A customers "name eq 'x'")" 200 "its good beginning alone is fine"

# --- 300 distinct filters in a row, then the first ones again: each finds
# exactly its rows (5 customers c-0 … c-4; filter N finds c-(N mod 5))
for k in 0 1 2 3 4; do mk A customers "{\"name\":\"c-$k\",\"email\":\"c$k@acme.test\"}" >/dev/null; done
TOKEN_A=${A[1]#Authorization: Bearer }
awk -v base="$BASE" -v tok="$TOKEN_A" -v out="$T/many" 'BEGIN {
  for (r = 0; r < 2; r++)
    for (i = 0; i < (r ? 20 : 300); i++) {
      k = i % 5
      f = sprintf("name eq %cc-%d%c and (email eq %cc%d@acme.test%c or email eq %cnobody%d@acme.test%c)", 39, k, 39, 39, k, 39, 39, i, 39)
      gsub(/ /, "%20", f); gsub(/@/, "%40", f); gsub(/\(/, "%28", f); gsub(/\)/, "%29", f)
      if (r || i) print "next"
      printf "url = \"%s/v1/crm/customers?filter=%s&fields=name\"\n", base, f
      printf "header = \"Authorization: Bearer %s\"\n", tok
      printf "output = \"%s.%d.%d\"\n", out, r, i
    } }' >"$T/many.curl"
curl -sS -K "$T/many.curl"
bad=0
for r in 0 1; do
  for ((i = 0; i < (r ? 20 : 300); i++)); do
    [ "$(jq -c . "$T/many.$r.$i")" = "{\"items\":[{\"name\":\"c-$((i % 5))\"}],\"next_cursor\":null}" ] ||
      { echo "filter $i (pass $r): $(cat "$T/many.$r.$i")" >&2; bad=$((bad + 1)); }
  done
done
eq "$bad" 0 "320 filters (300 distinct) each found exactly their row"

# --- the answer's text
eq "$(call GET "${A[@]}" -G --data-urlencode fields=name,id,name,email,id --data-urlencode limit=1 "$BASE/v1/crm/customers")" 200 "fields named twice"
eq "$(jq -c '.items[0] | keys_unsorted' "$T/body")" '["name","id","email"]' "each answered once, in the order first named"
eq "$(call GET "${A[@]}" -G --data-urlencode fields=, "$BASE/v1/crm/customers")" 200 "fields naming nothing"
eq "$(jq -c '[.items[] | keys | length] | unique' "$T/body")" '[0]' "items without keys"
eq "$(call GET "${A[@]}" -G --data-urlencode limit=2 "$BASE/v1/crm/customers")" 200 "two customers"
eq "$(jq -c '.items | map(keys) | unique' "$T/body")" \
  '[["created_at","email","id","name","owner_id","phone","updated_at","website"]]' "every key, null ones too"
CUR=$(jq -r .next_cursor "$T/body")
eq "$(call GET "${A[@]}" -G --data-urlencode limit=2 --data-urlencode "cursor=$CUR" "$BASE/v1/crm/customers")" 200 "the next page"
eq "$(jq '.items | length' "$T/body")" 2 "holds two more"

if [ "$BACKEND" = sqlite ]; then
  TID=$(td tenant show acme --json | jq -r .id)
  sqlite3 "$DATA/tenants/$TID/crm.db" "UPDATE customers SET email = CAST(X'6E6FFF40782E74657374' AS TEXT), phone = '+1 555' WHERE name = 'c-0'"
  eq "$(list A customers "name eq 'c-0'")" 200 "a row whose e-mail is not UTF-8"
  eq "$(jq -c '.items[0] | [.email, .phone, (keys | length)]' "$T/body")" '[null,"+1 555",8]' \
    "the e-mail answers null, the other keys as they are"
fi

stop_server
echo "lists_test: $PASSES checks passed"
