/* fault.h — fault-injection points for crash tests.
 *
 * In builds configured with TD_FAULTS (the test build), TD_FAULT("name")
 * kills the process with SIGKILL when the environment variable
 * TENANTD_FAULT equals "name", so a test can prove that a crash at that
 * exact step leaves recoverable state. In every other build it is nothing. */
#ifndef TD_FAULT_H
#define TD_FAULT_H

#ifdef TD_FAULTS
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#define TD_FAULT(name)                                                                   \
    do {                                                                                 \
        const char *td_f_ = getenv("TENANTD_FAULT");                                     \
        if (td_f_ && strcmp(td_f_, name) == 0)                                           \
            raise(SIGKILL);                                                              \
    } while (0)
#else
#define TD_FAULT(name) ((void)0)
#endif

#endif
