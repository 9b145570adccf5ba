#!/usr/bin/env bash
# Interoperability: npm's `jose` verifies our access tokens with nothing
# but /.well-known/jwks.json, and refuses a tampered one. jose is installed
# from the npm registry into the build tree once.
. "$(dirname "$0")/lib.sh"
mods="$(dirname "$TD_BIN")/npm"
if [ ! -d "$mods/node_modules/jose" ]; then
  mkdir -p "$mods"
  (cd "$mods" && npm install --no-audit --no-fund --silent jose@5 >/dev/null 2>&1) ||
    fail "cannot install jose from the npm registry"
fi
cp "$TD_SRC/tests/interop/verify.mjs" "$mods/verify.mjs"
td_init
echo 'ada-password-1' | td tenant create acme --services crm --admin-email ada@acme.test --admin-password-stdin >/dev/null
start_server
tok() { curl -sS -X POST "$BASE/v1/auth/login" --data "$1" | jq -r .access_token; }
ROOT=$(tok '{"email":"root@example.com","password":"root-password-1"}')
ADA=$(tok '{"tenant":"acme","email":"ada@acme.test","password":"ada-password-1"}')
node "$mods/verify.mjs" "$BASE" "$ROOT" > "$T/root.json" || fail "jose refused a superadmin token"
eq "$(jq -r '.alg + " " + .role + " " + (.tid|tostring) + " " + (.forgedAccepted|tostring)' "$T/root.json")" "EdDSA superadmin null false" "superadmin token"
node "$mods/verify.mjs" "$BASE" "$ADA" > "$T/ada.json" || fail "jose refused a tenant token"
eq "$(jq -r '.role + " " + (.forgedAccepted|tostring)' "$T/ada.json")" "admin false" "tenant token"
[ "$(jq -r .tid "$T/ada.json")" = "$(td tenant show acme --json | jq -r .id)" ] || fail "tid claim"; pass
done_ok
