#!/usr/bin/env bash
# The resource engine over HTTP (resources.sh): CRUD for every
# resource of crm, cms and auth, driven by their service.json files (the
# other services: resources_crud_more_test.sh); a time in another offset;
# cms publishing and an item's data checked against its type.
. "$(dirname "$0")/resources.sh"

# ---- 1. CRUD for every resource of every built-in service --------------------
crud_services first
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
resources_done
