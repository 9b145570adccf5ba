/* json.h — parsing untrusted JSON.
 *
 * Every request body goes through td_json_parse: duplicate keys are
 * rejected (jansson's JSON_REJECT_DUPLICATES), invalid UTF-8 is rejected
 * (jansson always checks), nesting deeper than max_depth is rejected
 * (counted on the text before parsing, so any depth, even past jansson's
 * own limit, is "too_deep"), and the top level must be an object. Errors
 * carry a stable code and a short message chosen by the error's kind: it
 * never echoes the input nor names a library flag. */
#ifndef TD_JSON_H
#define TD_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"

#define TD_JSON_MAX_DEPTH 32

typedef struct {
    const char *code; /* "malformed_json", "too_deep", "not_an_object", "empty_body" */
    char message[160];
} td_json_error_t;

/* On success *out is a new reference (caller decrefs). */
td_status td_json_parse(const char *body, size_t len, int max_depth, json_t **out,
                        td_json_error_t *err);

#endif
