/* op.c — the operation context's small helpers. */
#include "ops/op.h"

#include <stdio.h>

td_status td_op_fail(td_op_t *op, td_status st, int status, const char *code, const char *fmt,
                     ...) {
    if (op->err.st)
        return st;
    op->err.st = st;
    op->err.status = status;
    snprintf(op->err.code, sizeof(op->err.code), "%s", code ? code : td_status_code(st));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op->err.detail, sizeof(op->err.detail), fmt, ap);
    va_end(ap);
    return st;
}

const char *td_actor_kind_name(td_actor_kind k) {
    static const char *const names[] = {"system", "superadmin", "user", "api_key", "cli", "job"};
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "system";
}
