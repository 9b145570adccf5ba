#!/usr/bin/env bash
# Event batches read in one pass store what the engine stores and refuse
# what it refuses. Each accepted event is sent twice: in a batch
# (POST /v1/analytics/events:batch, read straight from its text) and alone
# (POST /v1/analytics/events, parsed by jansson and validated by the
# engine); the stored texts (name, ts, value, props, session_id) must be
# the same, byte for byte — escapes (\" \\ \/ \u00e9, surrogate pairs),
# raw UTF-8, numbers (-0, reals, exponents, past 2^53, underflow), JSON
# values kept as jansson writes them (key order, white space, escapes,
# reals), white space anywhere. Each refused body gets the status, code
# and field the general path has always given, and keeps nothing: bad
# JSON (duplicate keys at any depth, trailing garbage, a truncated body,
# \u0000, a lone surrogate, bad UTF-8, numbers out of range), a bad batch,
# wrong types, bounds, unknown and system fields.
. "$(dirname "$0")/lib.sh"

td_init
start_server
ROOT=$(login '{"email":"root@example.com","password":"root-password-1"}')
eq "$(post -H "Authorization: Bearer $ROOT" --data '{"slug":"ev","services":["analytics"]}' "$BASE/v1/tenants")" 201 "tenant"
TID=$(jq -r .id "$T/body")
H=(-H "Authorization: Bearer $ROOT" -H "X-Tenant: ev")
api() { local m=$1 p=$2; shift 2; call "$m" "${H[@]}" "$@" "$BASE$p"; }
TABLE=events
[ "$BACKEND" = postgres ] && TABLE=analytics.events
# rows SESSION: the stored texts of the events of that session
rows() {
  tenant_sql "$TID" analytics "SELECT name || '|' || ts || '|' || coalesce(CAST(value AS TEXT), 'NULL') || '|' || coalesce(props, 'NULL') || '|' || owner_id FROM $TABLE WHERE session_id = '$1' ORDER BY id"
}
total() { tenant_sql "$TID" analytics "SELECT count(*) FROM $TABLE"; }

# ---- accepted: the batch stores what the engine stores ----
# Each line is one event; @ stands for its session id.
cat >"$T/events.txt" <<'EOF'
{"name":"q\"uote\\back\/slash","ts":"2026-11-01T10:00:00Z","session_id":"@"}
{"name":"caf\u00e9 \ud83d\ude00 \uD83D\uDE00 \u20AC","ts":"2026-11-01T10:00:00+02:00","session_id":"@"}
{"name":"café € 😀 \u007f","ts":"2026-11-01T23:59:59.999-05:30","session_id":"@"}
{"name":"ctl\b\f\n\r\t","ts":"2026-11-01 10:00:00Z","session_id":"@"}
{"ts":"2026-11-01T10:00:00Z","name":"key order","value":0,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":-0,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":-0.0,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":1.5,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":1e2,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":-2.5E-3,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":0.1,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":123456789012345,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":9007199254740993,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":-9223372036854775808,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":1e-400,"session_id":"@"}
{"name":"n","ts":"2026-11-01T10:00:00Z","value":null,"props":null,"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":{"path":"/x"},"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":{"b":1,"a":[1,{"z":null,"y":true}],"c":"\u00e9\n\"","d":{}},"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":{ "spaced" : [ 1 , 2 ] },"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":{"r":1.0,"e":1E2,"z":-0,"big":123456789012345678},"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":"just text \/ \u0041","session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":[],"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":-0.5,"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":false,"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":{"\u0061":1,"b\u00e9":2},"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18},"session_id":"@"}
{"name":"p","ts":"2026-11-01T10:00:00Z","props":[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"session_id":"@"}
{"name":"s","ts":"2026-11-01T10:00:00Z","session_id":"@","value":7}
{"\u006eame":"escaped key","ts":"2026-11-01T10:00:00Z","session_id":"@"}
EOF
i=0
while IFS= read -r ev; do
  i=$((i + 1))
  eq "$(api POST /v1/analytics/events --data "${ev//\"@\"/\"s$i\"}")" 201 "event $i alone"
  eq "$(api POST /v1/analytics/events:batch --data "{\"events\":[${ev//\"@\"/\"b$i\"}]}")" 202 "event $i in a batch"
  single=$(rows "s$i"); batch=$(rows "b$i")
  [ -n "$single" ] || fail "event $i: nothing stored alone"
  eq "$batch" "$single" "event $i stored the same"
done <"$T/events.txt"
N=$i
# all of them in one batch, pretty-printed with white space everywhere, each
# event twice in a row (values repeat from one event to the next, or
# change keeping their length: m1 m1 m2 m2 …). The one event the one-pass
# reader leaves to the general path (its key is escaped: the last line)
# stays out, so that this batch is read in one pass.
{ printf ' \n{ "events" :\t[\n'
  i=0
  while IFS= read -r ev; do
    i=$((i + 1))
    [ "$i" = 1 ] || printf ' ,\r\n'
    printf '  %s ,\n  %s' "${ev//\"@\"/\"m$i\"}" "${ev//\"@\"/\"m$i\"}"
  done < <(head -n -1 "$T/events.txt")
  printf '\n ] } \n'; } >"$T/all.json"
eq "$(api POST /v1/analytics/events:batch --data-binary @"$T/all.json")" 202 "every event in one batch"
eq "$(jq .accepted "$T/body")" $((2 * (N - 1))) "all accepted"
for i in $(seq 1 $((N - 1))); do
  eq "$(rows "m$i")" "$(printf '%s\n%s' "$(rows "s$i")" "$(rows "s$i")")" "event $i twice in the big batch"
done
# a few stored texts spelled out (not only "as the engine")
eq "$(rows b1 | cut -d'|' -f1)" 'q"uote\back/slash' "escapes decoded"
eq "$(rows b2 | cut -d'|' -f1-2)" 'café 😀 😀 €|2026-11-01T08:00:00.000Z' "\\u escapes and pairs, offset time"
eq "$(rows b17 | cut -d'|' -f4)" '{"path":"/x"}' "props kept as written"
eq "$(rows b19 | cut -d'|' -f4)" '{"spaced":[1,2]}' "props re-written compact"

# ---- refused: the same status, code and field as the general path ----
before=$(total)
# refuse STATUS CODE FIELD BODY (FIELD "-": no errors list)
refuse() {
  local want=$1 code=$2 field=$3 body=$4
  eq "$(api POST /v1/analytics/events:batch --data-binary "$body")" "$want" "refused: $body"
  eq "$(jq -r .code "$T/body")" "$code" "code for: $body"
  [ "$field" = - ] || eq "$(jq -r '.errors[0].field + " " + .errors[0].code' "$T/body")" "$field" "field for: $body"
}
E='"name":"a","ts":"2026-11-01T00:00:00Z"'
refuse 400 malformed_json - "{\"events\":[{$E,\"name\":\"b\"}]}"
refuse 400 malformed_json - "{\"events\":[{$E}],\"events\":[{$E}]}"
refuse 400 malformed_json - "{\"events\":[{$E,\"props\":{\"k\":1,\"k\":2}}]}"
refuse 400 malformed_json - "{\"events\":[{$E,\"props\":{\"\\u006b\":1,\"k\":2}}]}"
refuse 400 malformed_json - "{\"events\":[{$E,\"props\":[{\"x\":{\"k\":1,\"k\":2}}]}]}"
refuse 400 malformed_json - "{\"events\":[{$E}]} x"
refuse 400 malformed_json - "{\"events\":[{$E}]}}"
refuse 400 malformed_json - "{\"events\":[{$E}]"
refuse 400 malformed_json - "{\"events\":[{$E}"
refuse 400 malformed_json - "{\"events\":[{\"name\":\"a"
refuse 400 malformed_json - "{\"events\":[{$E},]}"
refuse 400 malformed_json - "{\"events\":[{$E,}]}"
refuse 400 malformed_json - "{\"events\":[{\"name\":\"a\\u0000b\",\"ts\":\"2026-11-01T00:00:00Z\"}]}"
refuse 400 malformed_json - "{\"events\":[{\"name\":\"\\ud83d\",\"ts\":\"2026-11-01T00:00:00Z\"}]}"
refuse 400 malformed_json - "{\"events\":[{\"name\":\"\\ude00\\ud83d\",\"ts\":\"2026-11-01T00:00:00Z\"}]}"
refuse 400 malformed_json - "{\"events\":[{\"name\":\"\\x41\",\"ts\":\"2026-11-01T00:00:00Z\"}]}"
refuse 400 malformed_json - "$(printf '{"events":[{"name":"\xc3(","ts":"2026-11-01T00:00:00Z"}]}')"
refuse 400 malformed_json - "$(printf '{"events":[{"name":"\xed\xa0\x80","ts":"2026-11-01T00:00:00Z"}]}')"
refuse 400 malformed_json - "$(printf '{"events":[{"name":"tab\there","ts":"2026-11-01T00:00:00Z"}]}')"
refuse 400 malformed_json - "{\"events\":[{$E,\"value\":1e400}]}"
refuse 400 malformed_json - "{\"events\":[{$E,\"value\":99999999999999999999}]}"
refuse 400 malformed_json - "{\"events\":[{$E,\"value\":01}]}"
refuse 400 malformed_json - "{\"events\":[{$E,\"value\":1.}]}"
refuse 400 malformed_json - "{\"events\":[{$E,\"value\":-}]}"
refuse 400 malformed_json - "{\"events\":[{$E,\"value\":NaN}]}"
refuse 400 malformed_json - "{\"events\":[{$E,\"props\":nul}]}"
refuse 400 too_deep - "{\"events\":[{$E,\"props\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}"
refuse 400 not_an_object - "[{$E}]"
refuse 400 invalid_batch - '{"events":[]}'
refuse 400 invalid_batch - '{"events":{}}'
refuse 400 invalid_batch - '{}'
refuse 400 invalid_batch - "{\"events\":[{$E}],\"more\":1}"
refuse 400 invalid_batch - "{\"\\u0065vents\":[{$E}],\"more\":1}"
refuse 400 validation_failed "events invalid_type" "{\"events\":[1]}"
refuse 400 validation_failed "events[0].value invalid_type" "{\"events\":[{$E,\"value\":\"1\"}]}"
refuse 400 validation_failed "events[0].value invalid_type" "{\"events\":[{$E,\"value\":true}]}"
refuse 400 validation_failed "events[0].name invalid_type" "{\"events\":[{\"name\":7,\"ts\":\"2026-11-01T00:00:00Z\"}]}"
refuse 400 validation_failed "events[0].session_id invalid_type" "{\"events\":[{$E,\"session_id\":[\"x\"]}]}"
refuse 400 validation_failed "events[0].name required" "{\"events\":[{\"name\":null,\"ts\":\"2026-11-01T00:00:00Z\"}]}"
refuse 400 validation_failed "events[0].ts required" "{\"events\":[{\"name\":\"a\"}]}"
refuse 400 validation_failed "events[0].name required" "{\"events\":[{}]}"
refuse 400 validation_failed "events[0].ts invalid_time" "{\"events\":[{\"name\":\"a\",\"ts\":\"2026-13-01T00:00:00Z\"}]}"
refuse 400 validation_failed "events[0].name too_long" "{\"events\":[{\"name\":\"$(printf '\\u00e9%.0s' $(seq 1 51))\",\"ts\":\"2026-11-01T00:00:00Z\"}]}"
refuse 400 validation_failed "events[0].foo unknown_field" "{\"events\":[{$E,\"foo\":1}]}"
refuse 400 validation_failed "events[0].id read_only" "{\"events\":[{$E,\"id\":\"x\"}]}"
refuse 400 validation_failed "events[0].created_at read_only" "{\"events\":[{$E,\"created_at\":\"2026-11-01T00:00:00Z\"}]}"
refuse 400 validation_failed "events[2].ts invalid_time" "{\"events\":[{$E},{$E},{\"name\":\"a\",\"ts\":\"yesterday\"}]}"
eq "$(total)" "$before" "no refused batch kept an event"
# exactly 100 of the name's 2-byte characters fit its 100 bytes
eq "$(api POST /v1/analytics/events:batch --data "{\"events\":[{\"name\":\"$(printf '\\u00e9%.0s' $(seq 1 50))\",\"ts\":\"2026-11-01T00:00:00Z\"}]}")" 202 "100 bytes of escapes"
done_ok
