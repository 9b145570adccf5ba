/* wellknown.c — GET /.well-known/jwks.json: the public halves of the token
 * signing keys, so any service can verify tenantd's tokens with a standard
 * JWT library. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/tokens.h"
#include "common/timeutil.h"

void td_api_jwks(td_req_t *req, void *app) {
    td_app_t *a = app;
    td_platform_reload_keys(a->platform, 10); /* another process may have rotated them */
    json_t *jwks = td_jwt_jwks(td_platform_keys(a->platform), td_now_ms() / 1000);
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

/* POST /v1/admin/signing-keys/rotate: a new signing key at once; the old
 * ones verify until the tokens they signed have expired. */
void td_api_rotate_signing(td_req_t *req, void *app) {
    td_app_t *a = app;
    td_op_t op = td_api_op(req, a);
    if (td_op_signing_rotate(&op, TD_ACCESS_TTL + 60)) {
        td_api_op_fail(req, &op);
        return;
    }
    td_api_send_json(req, 200, td_jwt_jwks(td_platform_keys(a->platform), td_now_ms() / 1000));
}
