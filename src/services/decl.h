/* decl.h — service declarations: the resources a service exposes, loaded
 * from its service.json (format in services/README.md) and validated.
 *
 * A declaration lives for the whole process once loaded (the registry owns
 * it). Every resource carries its fields in output order: id, the
 * declared ones, then created_at, updated_at and the owner column when
 * there is one. */
#ifndef TD_DECL_H
#define TD_DECL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/policy.h"
#include "common/status.h"

typedef enum {
    TD_F_TEXT,
    TD_F_EMAIL,
    TD_F_INTEGER,
    TD_F_NUMBER,
    TD_F_BOOLEAN,
    TD_F_TIMESTAMP,
    TD_F_JSON,
    TD_F_REF,
} td_ftype;

/* The widest integer a field accepts unless its declaration narrows it
 * (2^53 - 1): exact in every JSON reader, and a sum of up to 1024 such
 * values cannot overflow int64. Declared bounds must lie within it. */
#define TD_INT_SAFE INT64_C(9007199254740991)

/* Roles a field's "write" list may name (bit per role). */
enum { TD_ROLE_ADMIN = 1, TD_ROLE_MANAGER = 2, TD_ROLE_CLIENT = 4, TD_ROLE_SUPER = 8 };

typedef struct {
    const char *name;
    td_ftype type;
    int required, read_only, filter, sort;
    int has_min, has_max;
    double min, max;         /* number bounds; text: max bytes (max) */
    int64_t imin, imax;      /* integer bounds: declared, else -/+TD_INT_SAFE */
    const char **enums;      /* text: allowed values, or NULL */
    size_t nenums;
    const char **server_values; /* enum values only the server's own actions
                                   write ("converted"), or NULL */
    size_t nserver_values;
    json_t *def;             /* default (borrowed from the declaration), or NULL */
    unsigned write_roles;    /* 0 = any role that may write the resource */
    const char *ref;         /* TD_F_REF: the resource it points to, or NULL */
    int system;              /* id, created_at, updated_at, owner column */
} td_field_t;

/* Methods a resource answers. */
enum {
    TD_M_LIST = 1,
    TD_M_GET = 2,
    TD_M_CREATE = 4,
    TD_M_UPDATE = 8,
    TD_M_DELETE = 16,
    TD_M_ALL = 31,
};

/* What a request does to a resource, for the access table. */
typedef enum { TD_OP_READ, TD_OP_CREATE, TD_OP_UPDATE, TD_OP_DELETE, TD_OP_N } td_op;

#define TD_ACCESS_DEFAULT (-1)

typedef struct {
    const char *service;     /* "crm" */
    const char *name;        /* "customers", the URL segment */
    const char *table;       /* table inside the service */
    const char *description;
    const char *owner;       /* owner column or NULL */
    td_field_t *fields;      /* declared, then system columns */
    size_t nfields;
    unsigned methods;        /* TD_M_* */
    int access[3][TD_OP_N];  /* [admin, manager, client][op]: td_scope or TD_ACCESS_DEFAULT */
} td_resource_t;

typedef struct {
    const char *name;
    const char *description;
    td_resource_t *res;
    size_t nres;
    json_t *root;            /* the parsed file; strings above point into it */
} td_service_decl_t;

/* Parses and validates a declaration (text of service.json). expect_name,
 * when not NULL, must equal its "name". On error returns TD_E_INVALID and
 * a reason in err (naming the resource and field). *out is malloc'd; free
 * with td_decl_free. */
td_status td_decl_parse(const char *text, const char *expect_name, td_service_decl_t **out,
                        char *err, size_t errlen);
void td_decl_free(td_service_decl_t *d);

/* The resource called name, or NULL. */
const td_resource_t *td_decl_resource(const td_service_decl_t *d, const char *name);
/* The field called name (declared or system), or NULL. */
const td_field_t *td_resource_field(const td_resource_t *r, const char *name);

/* What role may do with op on r: the resource's declared access, else the
 * SPEC §6 table for its service (TD_OP_READ → read, the rest → write).
 * An "own" scope on a resource without an owner column is refused. */
td_scope td_resource_scope(const td_resource_t *r, const char *role, td_op op);

/* Field type names ("text"…), for documents. */
const char *td_ftype_name(td_ftype t);

#endif
