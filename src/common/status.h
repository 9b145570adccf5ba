/* status.h — the one status type of tenantd.
 *
 * Every fallible function returns td_status: 0 is success, negative values
 * are errors. The list lives in one X-macro so that the enum, the stable
 * machine-readable code and the human message can never drift apart. */
#ifndef TD_STATUS_H
#define TD_STATUS_H

/* X(name, value, code, message) */
#define TD_STATUS_LIST(X)                                                      \
    X(TD_OK, 0, "ok", "success")                                               \
    X(TD_E_NOMEM, -1, "out_of_memory", "out of memory")                        \
    X(TD_E_INVALID, -2, "invalid", "invalid argument")                         \
    X(TD_E_NOTFOUND, -3, "not_found", "not found")                             \
    X(TD_E_EXISTS, -4, "already_exists", "already exists")                     \
    X(TD_E_CONFLICT, -5, "conflict", "conflicting state")                      \
    X(TD_E_IO, -6, "io_error", "input/output error")                           \
    X(TD_E_DB, -7, "database_error", "database error")                         \
    X(TD_E_CRYPTO, -8, "crypto_error", "cryptographic failure")                \
    X(TD_E_UNAVAILABLE, -9, "unavailable", "temporarily unavailable")          \
    X(TD_E_TOOBIG, -10, "too_large", "size limit exceeded")                    \
    X(TD_E_STATE, -11, "invalid_state", "operation not allowed in this state") \
    X(TD_E_AUTH, -12, "unauthorized", "authentication required")               \
    X(TD_E_FORBIDDEN, -13, "forbidden", "forbidden")                           \
    X(TD_E_BUSY, -14, "busy", "resource busy")                                 \
    X(TD_E_KEY, -15, "bad_master_key", "master key missing or wrong")          \
    X(TD_E_CONFIG, -16, "bad_config", "bad configuration")                     \
    X(TD_E_INTERNAL, -17, "internal", "internal error")                        \
    X(TD_E_LAST_ADMIN, -18, "last_admin", "the tenant's last active admin")    \
    X(TD_E_RANGE, -19, "out_of_range", "result beyond what can be represented")

typedef enum {
#define TD_X(name, value, code, msg) name = value,
    TD_STATUS_LIST(TD_X)
#undef TD_X
} td_status;

/* Stable machine-readable code ("not_found"); never NULL. */
const char *td_status_code(td_status st);
/* Human-readable message; never NULL. */
const char *td_status_msg(td_status st);

#endif
