/* wellknown.c — GET /.well-known/jwks.json: the public halves of the token
 * signing keys, so any service can verify tenantd's tokens with a standard
 * JWT library. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/timeutil.h"

void td_api_jwks(td_req_t *req, void *app) {
    td_app_t *a = app;
    json_t *jwks = td_jwt_jwks(&a->platform->jwt, td_now_ms() / 1000);
    char *s = json_dumps(jwks, JSON_COMPACT);
    json_decref(jwks);
    if (!s) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    td_resp_bytes(req, 200, "application/json", s, strlen(s));
    td_resp_header(req, "Cache-Control", "public, max-age=300");
    free(s);
}
