/* decl.c — parsing and validating service.json (format: README.md).
 *
 * Validation is strict: an unknown key is an error (a typo must not turn a
 * restriction into nothing), every name is an identifier, and the rules of
 * the README are checked here so that the engine can trust a declaration
 * without re-checking it on each request. */
#include "services/decl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_types[] = {"text",      "email", "integer", "number",
                                      "boolean",   "timestamp", "json", "ref"};
static const char *const k_roles[] = {"admin", "manager", "client"};
static const char *const k_ops[] = {"read", "create", "update", "delete"};
static const char *const k_methods[] = {"list", "get", "create", "update", "delete"};

const char *td_ftype_name(td_ftype t) {
    return (size_t)t < sizeof(k_types) / sizeof(k_types[0]) ? k_types[t] : "?";
}

static int fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* [a-z][a-z0-9_]{0,62} */
static int ident_ok(const char *s) {
    if (!s || !(*s >= 'a' && *s <= 'z'))
        return 0;
    size_t n = 0;
    for (; *s; s++, n++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return n <= 63;
}

static int index_of(const char *s, const char *const *list, size_t n) {
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return (int)i;
    return -1;
}
#define INDEX_OF(s, arr) index_of(s, arr, sizeof(arr) / sizeof(arr[0]))

/* 0 when every key of o is in allowed (NULL-terminated). */
static int keys_ok(json_t *o, const char *const *allowed, const char *where, char *err,
                   size_t errlen) {
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], k))
            i++;
        if (!allowed[i])
            return fail(err, errlen, "%s: unknown key \"%.64s\"", where, k);
    }
    return 0;
}

static int value_fits(const td_field_t *f, json_t *v) {
    switch (f->type) {
    case TD_F_INTEGER:
        return json_is_integer(v) && json_integer_value(v) >= f->imin &&
               json_integer_value(v) <= f->imax;
    case TD_F_NUMBER: return json_is_number(v);
    case TD_F_BOOLEAN: return json_is_boolean(v) || (json_is_integer(v) &&
                                                     (json_integer_value(v) & ~1) == 0);
    case TD_F_JSON: return 1;
    default: break;
    }
    if (!json_is_string(v))
        return 0;
    if (f->enums && index_of(json_string_value(v), f->enums, f->nenums) < 0)
        return 0;
    return 1;
}

/* The exact bounds of an integer field: declared ones must be integers
 * within +/-TD_INT_SAFE; missing ones are that limit. -1 when wrong. */
static int int_bounds(td_field_t *f, json_t *mn, json_t *mx) {
    if ((mn && !json_is_integer(mn)) || (mx && !json_is_integer(mx)))
        return -1;
    f->imin = mn ? json_integer_value(mn) : -TD_INT_SAFE;
    f->imax = mx ? json_integer_value(mx) : TD_INT_SAFE;
    return f->imin < -TD_INT_SAFE || f->imax > TD_INT_SAFE ? -1 : 0;
}

/* A JSON array of text as a malloc'd array of borrowed strings (an
 * allocation failure counts as bad: the declaration does not load). -1
 * when an element is not text. */
static int text_list(json_t *arr, const char ***out, size_t *n) {
    *n = json_array_size(arr);
    *out = calloc(*n, sizeof(char *));
    for (size_t i = 0; *out && i < *n; i++)
        if (!((*out)[i] = json_string_value(json_array_get(arr, i))))
            return -1;
    return *out ? 0 : -1;
}

static int parse_field(json_t *j, td_field_t *f, const char *where, char *err, size_t errlen) {
    static const char *const keys[] = {"name", "type", "required", "max", "min", "enum",
                                       "default", "read_only", "write", "ref", "description",
                                       "server_values", NULL};
    if (!json_is_object(j))
        return fail(err, errlen, "%s: a field must be an object", where);
    if (keys_ok(j, keys, where, err, errlen))
        return -1;
    f->name = json_string_value(json_object_get(j, "name"));
    if (!ident_ok(f->name))
        return fail(err, errlen, "%s: field name must match [a-z][a-z0-9_]*", where);
    int t = INDEX_OF(json_string_value(json_object_get(j, "type")), k_types);
    if (t < 0)
        return fail(err, errlen, "%s.%s: unknown type (text email integer number boolean "
                                 "timestamp json ref)", where, f->name);
    f->type = (td_ftype)t;
    f->required = json_is_true(json_object_get(j, "required"));
    f->read_only = json_is_true(json_object_get(j, "read_only"));
    json_t *mn = json_object_get(j, "min"), *mx = json_object_get(j, "max");
    if ((mn && !json_is_number(mn)) || (mx && !json_is_number(mx)))
        return fail(err, errlen, "%s.%s: min and max are numbers", where, f->name);
    if (mn && f->type != TD_F_INTEGER && f->type != TD_F_NUMBER)
        return fail(err, errlen, "%s.%s: min applies to integer and number", where, f->name);
    if (mx && (f->type == TD_F_BOOLEAN || f->type == TD_F_TIMESTAMP || f->type == TD_F_REF))
        return fail(err, errlen, "%s.%s: max does not apply to %s", where, f->name,
                    k_types[f->type]);
    f->has_min = mn != NULL;
    f->has_max = mx != NULL;
    f->min = mn ? json_number_value(mn) : 0;
    f->max = mx ? json_number_value(mx) : 0;
    if (f->has_min && f->has_max && f->min > f->max)
        return fail(err, errlen, "%s.%s: min above max", where, f->name);
    if (f->type == TD_F_INTEGER && int_bounds(f, mn, mx))
        return fail(err, errlen, "%s.%s: integer bounds are integers within +/-%lld", where,
                    f->name, (long long)TD_INT_SAFE);
    json_t *en = json_object_get(j, "enum");
    if (en) {
        if (f->type != TD_F_TEXT || !json_is_array(en) || !json_array_size(en))
            return fail(err, errlen, "%s.%s: enum is a non-empty list of text values", where,
                        f->name);
        if (text_list(en, &f->enums, &f->nenums))
            return fail(err, errlen, "%s.%s: enum values are text", where, f->name);
    }
    json_t *sv = json_object_get(j, "server_values");
    if (sv) {
        int bad = !f->enums || !json_is_array(sv) || !json_array_size(sv) ||
                  text_list(sv, &f->server_values, &f->nserver_values);
        for (size_t i = 0; !bad && i < f->nserver_values; i++)
            bad = index_of(f->server_values[i], f->enums, f->nenums) < 0;
        if (bad)
            return fail(err, errlen, "%s.%s: server_values is a non-empty list of the enum's "
                                     "values", where, f->name);
    }
    f->def = json_object_get(j, "default");
    if (f->def && (json_is_null(f->def) || !value_fits(f, f->def)))
        return fail(err, errlen, "%s.%s: default does not fit the field", where, f->name);
    json_t *w = json_object_get(j, "write");
    if (w) {
        if (!json_is_array(w))
            return fail(err, errlen, "%s.%s: write is a list of roles", where, f->name);
        size_t i;
        json_t *r;
        json_array_foreach(w, i, r) {
            int ri = INDEX_OF(json_string_value(r), k_roles);
            if (ri < 0)
                return fail(err, errlen, "%s.%s: write names admin, manager or client", where,
                            f->name);
            f->write_roles |= 1u << ri;
        }
        f->write_roles |= TD_ROLE_SUPER;
    }
    f->ref = json_string_value(json_object_get(j, "ref"));
    if ((f->ref != NULL) != (f->type == TD_F_REF))
        return fail(err, errlen, "%s.%s: a ref field names its resource in \"ref\"", where,
                    f->name);
    json_t *desc = json_object_get(j, "description");
    if (desc && !json_is_string(desc))
        return fail(err, errlen, "%s.%s: description is text", where, f->name);
    return 0;
}

static td_field_t sys_field(const char *name, td_ftype t) {
    return (td_field_t){.name = name, .type = t, .read_only = 1, .system = 1};
}

/* Marks the fields named in list (filter or sort) via the member at off. */
static int mark(td_resource_t *r, json_t *list, size_t off, const char *what, char *err,
                size_t errlen) {
    if (!list)
        return 0;
    if (!json_is_array(list))
        return fail(err, errlen, "%s.%s: %s is a list of field names", r->service, r->name, what);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        const td_field_t *f = td_resource_field(r, json_string_value(v));
        if (!f)
            return fail(err, errlen, "%s.%s: %s names an unknown field", r->service, r->name,
                        what);
        if (f->type == TD_F_JSON)
            return fail(err, errlen, "%s.%s: %s cannot use the json field %s", r->service,
                        r->name, what, f->name);
        *(int *)((char *)f + off) = 1;
    }
    return 0;
}

static int parse_access(json_t *a, td_resource_t *r, char *err, size_t errlen) {
    for (int i = 0; i < 3; i++)
        for (int o = 0; o < TD_OP_N; o++)
            r->access[i][o] = TD_ACCESS_DEFAULT;
    if (!a)
        return 0;
    if (!json_is_object(a))
        return fail(err, errlen, "%s.%s: access is an object of roles", r->service, r->name);
    const char *role;
    json_t *ops;
    json_object_foreach(a, role, ops) {
        int ri = INDEX_OF(role, k_roles);
        if (ri < 0 || !json_is_object(ops))
            return fail(err, errlen, "%s.%s: access names admin, manager or client", r->service,
                        r->name);
        const char *op;
        json_t *sc;
        json_object_foreach(ops, op, sc) {
            int oi = INDEX_OF(op, k_ops);
            const char *s = json_string_value(sc);
            int scope = !s ? -1 : !strcmp(s, "none") ? TD_SCOPE_NONE
                                 : !strcmp(s, "own")  ? TD_SCOPE_OWN
                                 : !strcmp(s, "tenant") ? TD_SCOPE_TENANT : -1;
            if (oi < 0 || scope < 0)
                return fail(err, errlen, "%s.%s: access.%s: read|create|update|delete → "
                                         "none|own|tenant", r->service, r->name, role);
            if (scope == TD_SCOPE_OWN && !r->owner)
                return fail(err, errlen, "%s.%s: access.%s.%s is own but the resource has no "
                                         "owner", r->service, r->name, role, op);
            r->access[ri][oi] = scope;
        }
    }
    return 0;
}

static int parse_resource(json_t *j, const char *service, td_resource_t *r, char *err,
                          size_t errlen) {
    static const char *const keys[] = {"name", "table", "description", "owner", "fields",
                                       "filter", "sort", "methods", "access", NULL};
    if (!json_is_object(j))
        return fail(err, errlen, "%s: a resource must be an object", service);
    r->service = service;
    r->name = json_string_value(json_object_get(j, "name"));
    if (!ident_ok(r->name))
        return fail(err, errlen, "%s: resource name must match [a-z][a-z0-9_]*", service);
    char where[160];
    snprintf(where, sizeof(where), "%s.%s", service, r->name);
    if (keys_ok(j, keys, where, err, errlen))
        return -1;
    json_t *tbl = json_object_get(j, "table");
    r->table = tbl ? json_string_value(tbl) : r->name;
    if (!ident_ok(r->table) || !strncmp(r->table, "td_", 3))
        return fail(err, errlen, "%s: table must be an identifier not starting with td_", where);
    r->description = json_string_value(json_object_get(j, "description"));
    json_t *own = json_object_get(j, "owner");
    r->owner = json_string_value(own);
    if (own && !ident_ok(r->owner))
        return fail(err, errlen, "%s: owner must be a column name", where);
    json_t *fields = json_object_get(j, "fields");
    if (!json_is_array(fields) || !json_array_size(fields))
        return fail(err, errlen, "%s: fields is a non-empty list", where);
    size_t nd = json_array_size(fields);
    r->fields = calloc(nd + 4, sizeof(td_field_t));
    if (!r->fields)
        return fail(err, errlen, "out of memory");
    r->fields[r->nfields++] = sys_field("id", TD_F_TEXT); /* first in every row */
    for (size_t i = 0; i < nd; i++) {
        td_field_t *f = &r->fields[r->nfields++]; /* counted now: freed on failure */
        if (parse_field(json_array_get(fields, i), f, where, err, errlen))
            return -1;
        static const char *const reserved[] = {"id", "created_at", "updated_at"};
        if (INDEX_OF(f->name, reserved) >= 0 || (r->owner && !strcmp(f->name, r->owner)))
            return fail(err, errlen, "%s.%s: system columns are not declared", where, f->name);
        for (size_t k = 1; k <= i; k++)
            if (!strcmp(r->fields[k].name, f->name))
                return fail(err, errlen, "%s.%s: declared twice", where, f->name);
    }
    r->fields[r->nfields++] = sys_field("created_at", TD_F_TIMESTAMP);
    r->fields[r->nfields++] = sys_field("updated_at", TD_F_TIMESTAMP);
    if (r->owner)
        r->fields[r->nfields++] = sys_field(r->owner, TD_F_TEXT);
    if (mark(r, json_object_get(j, "filter"), offsetof(td_field_t, filter), "filter", err,
             errlen) ||
        mark(r, json_object_get(j, "sort"), offsetof(td_field_t, sort), "sort", err, errlen))
        return -1;
    for (size_t i = 0; i < r->nfields; i++) {
        const td_field_t *f = &r->fields[i];
        if (f->sort && !f->system && !f->required && !f->def)
            return fail(err, errlen, "%s.%s: a sortable field must be required or have a "
                                     "default (it is never NULL)", where, f->name);
    }
    json_t *m = json_object_get(j, "methods");
    r->methods = m ? 0 : TD_M_ALL;
    if (m && !json_is_array(m))
        return fail(err, errlen, "%s: methods is a list", where);
    size_t i;
    json_t *v;
    json_array_foreach(m, i, v) {
        int mi = INDEX_OF(json_string_value(v), k_methods);
        if (mi < 0)
            return fail(err, errlen, "%s: methods are list, get, create, update, delete", where);
        r->methods |= 1u << mi;
    }
    return parse_access(json_object_get(j, "access"), r, err, errlen);
}

void td_decl_free(td_service_decl_t *d) {
    if (!d)
        return;
    for (size_t i = 0; i < d->nres; i++) {
        for (size_t k = 0; k < d->res[i].nfields; k++) {
            free(d->res[i].fields[k].enums);
            free(d->res[i].fields[k].server_values);
        }
        free(d->res[i].fields);
    }
    free(d->res);
    json_decref(d->root);
    free(d);
}

td_status td_decl_parse(const char *text, const char *expect_name, td_service_decl_t **out,
                        char *err, size_t errlen) {
    static const char *const keys[] = {"name", "description", "resources", NULL};
    *out = NULL;
    td_service_decl_t *d = calloc(1, sizeof(*d));
    if (!d)
        return TD_E_NOMEM;
    json_error_t je;
    d->root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    int bad = 0;
    if (!json_is_object(d->root))
        bad = fail(err, errlen, "not a JSON object (line %d: %s)", je.line, je.text);
    if (!bad)
        bad = keys_ok(d->root, keys, "service", err, errlen);
    if (!bad) {
        d->name = json_string_value(json_object_get(d->root, "name"));
        d->description = json_string_value(json_object_get(d->root, "description"));
        if (!ident_ok(d->name) || strlen(d->name) > 30)
            bad = fail(err, errlen, "name must match [a-z][a-z0-9_]{0,29}");
        else if (expect_name && strcmp(expect_name, d->name))
            bad = fail(err, errlen, "name \"%s\" is not the folder's name \"%s\"", d->name,
                       expect_name);
    }
    json_t *res = bad ? NULL : json_object_get(d->root, "resources");
    if (!bad && (!json_is_array(res) || !json_array_size(res)))
        bad = fail(err, errlen, "%s: resources is a non-empty list", d->name);
    if (!bad) {
        d->res = calloc(json_array_size(res), sizeof(td_resource_t));
        bad = d->res ? 0 : fail(err, errlen, "out of memory");
    }
    for (size_t i = 0; !bad && i < json_array_size(res); i++) {
        td_resource_t *r = &d->res[i];
        d->nres++;
        bad = parse_resource(json_array_get(res, i), d->name, r, err, errlen);
        for (size_t k = 0; !bad && k < i; k++)
            if (!strcmp(d->res[k].name, r->name))
                bad = fail(err, errlen, "%s.%s: declared twice", d->name, r->name);
    }
    for (size_t i = 0; !bad && i < d->nres; i++) /* refs need every resource */
        for (size_t k = 0; !bad && k < d->res[i].nfields; k++) {
            const td_field_t *f = &d->res[i].fields[k];
            if (f->ref && !td_decl_resource(d, f->ref))
                bad = fail(err, errlen, "%s.%s.%s: ref names no resource of %s", d->name,
                           d->res[i].name, f->name, d->name);
        }
    if (bad) {
        td_decl_free(d);
        return TD_E_INVALID;
    }
    *out = d;
    return TD_OK;
}

const td_resource_t *td_decl_resource(const td_service_decl_t *d, const char *name) {
    for (size_t i = 0; d && name && i < d->nres; i++)
        if (!strcmp(d->res[i].name, name))
            return &d->res[i];
    return NULL;
}

const td_field_t *td_resource_field(const td_resource_t *r, const char *name) {
    for (size_t i = 0; name && i < r->nfields; i++)
        if (!strcmp(r->fields[i].name, name))
            return &r->fields[i];
    return NULL;
}

td_scope td_resource_scope(const td_resource_t *r, const char *role, td_op op) {
    td_scope s;
    int ri = INDEX_OF(role, k_roles);
    if (ri >= 0 && r->access[ri][op] != TD_ACCESS_DEFAULT)
        s = (td_scope)r->access[ri][op];
    else
        s = td_policy(role, r->service, op == TD_OP_READ ? TD_ACT_READ : TD_ACT_WRITE);
    if (s == TD_SCOPE_OWN && !r->owner)
        return TD_SCOPE_NONE;
    return s;
}
