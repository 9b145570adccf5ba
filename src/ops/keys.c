/* keys.c — the platform's keys as operations: rotating the token signing
 * key (POST /v1/admin/signing-keys/rotate, `tenantd key rotate-signing`)
 * and the master key (`tenantd key rotate`). The work is tenancy's
 * (platform.c, masterkey.c); here it gets its access check and its audit
 * record in the platform's chain. */
#include <stdio.h>

#include "audit/audit.h"
#include "ops/ops.h"

static int may(td_op_t *op) {
    if (td_actor_platform(&op->actor))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only platform operators rotate keys");
    return 0;
}

td_status td_op_signing_rotate(td_op_t *op, int64_t grace) {
    char err[256] = "";
    if (!may(op))
        return op->err.st;
    td_status st = td_platform_rotate_signing(op->platform, grace, err, sizeof(err));
    if (st)
        return td_op_fail_status(op, st, err[0] ? err : NULL);
    const char *kid = td_platform_keys(op->platform)->keys[0].kid;
    return td_audit_record(op, NULL, NULL, "signingkey.rotate", "system_config", kid, "ok", NULL);
}

td_status td_op_master_rotate(td_op_t *op, const td_key_t *new_key,
                              char new_id[TD_KEY_ID_LEN + 1], size_t *rewrapped) {
    char err[512] = "";
    if (!may(op))
        return op->err.st;
    td_status st =
        td_platform_rotate_key(op->platform, op->arena, new_key, new_id, rewrapped, err, sizeof(err));
    if (st)
        return td_op_fail_status(op, st, err[0] ? err : NULL);
    char n[32];
    snprintf(n, sizeof(n), "%zu tenant keys re-wrapped", *rewrapped);
    return td_audit_record(op, NULL, NULL, "masterkey.rotate", "system_config", new_id, "ok", n);
}
