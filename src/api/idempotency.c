/* idempotency.c — the Idempotency-Key header for any mutation route
 * (ops/idempotency.c keeps the answers): td_api_idem_run reads the key,
 * names the request by a BLAKE2b-256 of its caller, method, path and body,
 * and
 * either replays the first answer (same status and body, with
 * Idempotent-Replayed: true), refuses (400 idempotency_key_required or
 * invalid_idempotency_key, 409 idempotency_key_in_use, 422
 * idempotency_key_reused), or runs the route's work and keeps its answer.
 * A route adopts it by wrapping its handler body in a td_api_idem_fn. */
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "ops/credits.h"

/* hex(BLAKE2b-256(caller ‖ '\n' ‖ method ‖ '\n' ‖ path ‖ '\n' ‖ body))
 * into out: another principal of the tenant reusing a key sends another
 * request (422), so no caller ever sees another's answer. */
static void request_hash(const td_req_t *req, const char *caller, char out[65]) {
    unsigned char h[32];
    crypto_generichash_state s;
    crypto_generichash_init(&s, NULL, 0, sizeof(h));
    crypto_generichash_update(&s, (const unsigned char *)caller, strlen(caller));
    crypto_generichash_update(&s, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&s, (const unsigned char *)req->method_name,
                              strlen(req->method_name));
    crypto_generichash_update(&s, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&s, (const unsigned char *)req->path, strlen(req->path));
    crypto_generichash_update(&s, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&s, (const unsigned char *)req->body, req->body_len);
    crypto_generichash_final(&s, h, sizeof(h));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

void td_api_idem_run(td_req_t *req, td_app_t *app, const char *scope, td_api_idem_fn fn) {
    const char *key = td_req_header(req, "Idempotency-Key");
    if (!key) {
        td_resp_problem(req, 400, "idempotency_key_required", "Idempotency key required",
                        "send an Idempotency-Key header (a unique text per change)");
        return;
    }
    td_op_t op = td_api_op(req, app);
    td_idem_t idem;
    char hash[65];
    request_hash(req, op.actor.id ? op.actor.id : "", hash);
    if (td_op_idem_begin(&op, scope ? scope : "platform", key, hash, &idem)) {
        td_api_op_fail(req, &op);
        return;
    }
    if (idem.replay) {
        td_resp_header(req, "Idempotent-Replayed", "true");
        td_resp_bytes(req, idem.status,
                      idem.status >= 400 ? "application/problem+json" : "application/json",
                      idem.body, strlen(idem.body));
        return;
    }
    fn(req, app, key);
    td_op_idem_end(&op, &idem, req->status, req->resp_body, req->resp_len);
}
