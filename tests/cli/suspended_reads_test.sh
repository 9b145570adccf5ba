#!/usr/bin/env bash
# A suspended tenant (SPEC §3): operators still read everything of it —
# its record, users, sessions and rows, as a superadmin or with a platform
# key — but nobody writes: every write answers 403 tenant_suspended and
# changes nothing, the superadmin's included; the tenant's own users get
# 403 tenant_suspended on reads too. A suspension by another process
# (`tenantd tenant suspend`) reaches the running server within a second or
# so; after resume everything works again.
. "$(dirname "$0")/lib.sh"
td_init
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"acme","services":["crm","billing"],"admin":{"email":"ada@acme.test","password":"ada-password-1"}}' "$BASE/v1/tenants")" 201 "acme"
ADA=$(login '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}')
A=(-H "Authorization: Bearer $ADA")
R=(-H "Authorization: Bearer $ROOT" -H 'X-Tenant: acme')
eq "$(post "${A[@]}" --data '{"name":"Globex"}' "$BASE/v1/crm/customers")" 201 "a customer"
CUST=$(jq -r .id "$T/body")
eq "$(post "${R[@]}" --data '{"number":"INV-1"}' "$BASE/v1/billing/invoices")" 201 "an invoice"
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"name":"ops"}' "$BASE/v1/admin/api-keys")" 201 "a platform key"
P=(-H "X-API-Key: $(jq -r .key "$T/body")" -H 'X-Tenant: acme')

eq "$(post -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/acme/suspend")" 200 "suspend"

# operators read
for who in R P; do
  declare -n H=$who
  eq "$(get "${H[@]}" "$BASE/v1/tenants/acme")" 200 "$who reads the tenant's record"
  eq "$(jq -r .status "$T/body")" suspended "$who sees it suspended"
  eq "$(get "${H[@]}" "$BASE/v1/crm/customers")" 200 "$who lists the rows"
  eq "$(jq -r '[.items[].name] | join(",")' "$T/body")" Globex "$who sees the row"
  eq "$(get "${H[@]}" "$BASE/v1/crm/customers/$CUST")" 200 "$who reads one row"
  eq "$(get "${H[@]}" "$BASE/v1/billing/invoices")" 200 "$who reads billing"
  eq "$(get "${H[@]}" "$BASE/v1/auth/users")" 200 "$who reads the users"
  eq "$(jq -r '[.items[].email] | join(",")' "$T/body")" ada@acme.test "$who sees the admin"
  eq "$(get "${H[@]}" "$BASE/v1/auth/sessions")" 200 "$who reads the sessions"
  eq "$(get "${H[@]}" "$BASE/v1/tenants/acme/services")" 200 "$who reads the services"
  unset -n H
done

# nobody writes, the operators included, and nothing changes
for who in R P A; do
  declare -n H=$who
  for w in "POST /v1/crm/customers {\"name\":\"New\"}" "PATCH /v1/crm/customers/$CUST {\"name\":\"Changed\"}" \
           "DELETE /v1/crm/customers/$CUST -" "POST /v1/auth/users {\"email\":\"n@acme.test\",\"password\":\"new-password-1\",\"role\":\"client\"}" \
           "POST /v1/auth/api-keys {\"name\":\"k\",\"role\":\"client\"}"; do
    read -r m path body <<<"$w"
    if [ "$body" = - ]; then code=$(call "$m" "${H[@]}" "$BASE$path"); else code=$(call "$m" "${H[@]}" --data "$body" "$BASE$path"); fi
    eq "$code:$(jq -r .code "$T/body")" 403:tenant_suspended "$who: $m $path on a suspended tenant"
  done
  unset -n H
done
# … and the tenant's own users do not read either
eq "$(get "${A[@]}" "$BASE/v1/crm/customers")" 403 "the tenant's admin reads"
eq "$(jq -r .code "$T/body")" tenant_suspended "the tenant's admin: code"
eq "$(get "${R[@]}" "$BASE/v1/crm/customers")" 200 "after the refused writes"
eq "$(jq -c '[.items[] | [.id, .name]]' "$T/body")" "[[\"$CUST\",\"Globex\"]]" "the refused writes changed nothing"
eq "$(get "${R[@]}" "$BASE/v1/auth/users")" 200 "users after the refused writes"
eq "$(jq '.items | length' "$T/body")" 1 "no user was added"

# resume: the admin works again
eq "$(post -H "Authorization: Bearer $ROOT" "$BASE/v1/tenants/acme/resume")" 200 "resume"
eq "$(call PATCH "${A[@]}" --data '{"name":"Globex 2"}' "$BASE/v1/crm/customers/$CUST")" 200 "the admin writes after resume"

# a suspension by another process reaches the running server
expect_rc 0 td tenant suspend acme
code=200
for _ in $(seq 1 50); do
  code=$(get "${A[@]}" "$BASE/v1/crm/customers")
  [ "$code" = 403 ] && break
  sleep 0.1
done
eq "$code" 403 "the CLI's suspension applies in the server within 5 s"
eq "$(get "${R[@]}" "$BASE/v1/crm/customers/$CUST")" 200 "and the operator still reads"
done_ok
