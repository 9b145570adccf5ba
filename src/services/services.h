/* services.h — the registry of service modules.
 *
 * A service is a folder src/services/<name>/ with numbered migrations per
 * dialect (compiled into the binary by cmake/embed.cmake). This module
 * answers which services exist and hands out their schemas for a dialect.
 * `auth` is always enabled for a tenant: it holds the tenant's users. */
#ifndef TD_SERVICES_H
#define TD_SERVICES_H

#include <stddef.h>

#include "services/decl.h"
#include "store/store.h"

#define TD_SERVICES_MAX 16

/* Validates the built-in declarations and adds the operators' services
 * found in dir (each a folder <name>/ with service.json and
 * migrations/<dialect>/NNNN_*.sql; NULL or "" = none). Call once at start,
 * before threads read the registry. On error err names the file and the
 * reason. */
td_status td_services_load(const char *dir, char *err, size_t errlen);
/* The declaration of a service (NULL when unknown). */
const td_service_decl_t *td_service_decl(const char *name);
/* A declared resource of a service, or NULL. */
const td_resource_t *td_service_resource(const char *service, const char *resource);

/* Names of the known services, sorted; *n receives the count. Static. */
const char *const *td_services_names(size_t *n);
/* 1 when name is a known service. */
int td_service_known(const char *name);
/* The schema of service name in dialect ("sqlite"|"postgres"): migrations
 * in version order; the arrays are static. TD_E_NOTFOUND when unknown. */
td_status td_service_schema(const char *name, const char *dialect, td_schema_t *out);
/* Latest migration version of a service (0 when unknown). */
int td_service_latest_version(const char *name, const char *dialect);

/* Fills a tenant's services with sample rows (the demo tenant), through
 * the engine as c's caller. */
struct td_res_ctx;
td_status td_services_demo_fill(const struct td_res_ctx *c);

#endif
