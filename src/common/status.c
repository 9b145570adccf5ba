/* status.c — names and messages for td_status, from the X-macro. */
#include "common/status.h"

const char *td_status_code(td_status st) {
    switch (st) {
#define TD_X(name, value, code, msg)                                           \
    case name:                                                                 \
        return code;
        TD_STATUS_LIST(TD_X)
#undef TD_X
    }
    return "unknown";
}

const char *td_status_msg(td_status st) {
    switch (st) {
#define TD_X(name, value, code, msg)                                           \
    case name:                                                                 \
        return msg;
        TD_STATUS_LIST(TD_X)
#undef TD_X
    }
    return "unknown status";
}
