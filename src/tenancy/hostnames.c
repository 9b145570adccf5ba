/* hostnames.c — a tenant's custom hostnames as operations (list, add,
 * remove; platform actors), and the lookup request routing uses. A
 * hostname names one tenant; it must be a DNS name no address, loopback
 * name, listen host or base-domain name could be mistaken for. */
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "tenancy/tenancy.h"

/* A hostname a tenant may claim: lowercase labels of [a-z0-9-], at least
 * two of them, at most 253 characters. */
static int hostname_ok(const char *h) {
    size_t n = h ? strlen(h) : 0, label = 0;
    int dots = 0;
    if (n < 3 || n > 253 || h[0] == '.' || h[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (!label || h[i - 1] == '-')
                return 0;
            dots++;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && label)) {
            if (++label > 63)
                return 0;
        } else
            return 0;
    }
    return dots > 0;
}

/* 1 when h is name or a name under it (…".name"). */
static int at_or_under(const char *h, const char *name) {
    size_t hn = strlen(h), nn = name ? strlen(name) : 0;
    return nn && (strcmp(h, name) == 0 ||
                  (hn > nn && h[hn - nn - 1] == '.' && strcmp(h + hn - nn, name) == 0));
}

/* Why a well-formed hostname cannot name a tenant, or NULL. A name must
 * not be an address (its last label all digits: no top-level domain is),
 * a loopback name, the server's own listen host, or a name under
 * TENANTD_BASE_DOMAIN, whose one-label names are the tenants' slugs
 * (<slug>.<base>, resolved before custom hostnames). */
static const char *hostname_refused(const td_config_t *cfg, const char *h) {
    const char *last = strrchr(h, '.') + 1;
    if (strspn(last, "0123456789") == strlen(last))
        return "an IP address cannot name a tenant";
    if (at_or_under(h, "localhost"))
        return "a loopback name cannot name a tenant";
    const char *listen = cfg->listen;
    size_t ln = listen ? strcspn(listen, ":") : 0;
    if (ln && strlen(h) == ln && strncasecmp(h, listen, ln) == 0)
        return "the server's own listen address cannot name a tenant";
    if (at_or_under(h, cfg->base_domain))
        return "names under the base domain are the tenants' own <slug> names";
    return NULL;
}

/* The access check (reading: a platform actor or the tenant's admin;
 * changing: platform actors) and a catalog connection. */
static td_status begin(td_op_t *op, const char *tenant_id, int write, td_db_t **db) {
    if (write ? !td_actor_platform(&op->actor) : !td_op_tenant_admin(op, tenant_id))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                          "only platform operators manage hostnames");
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    return st ? td_op_fail_status(op, st, "the catalog does not answer") : TD_OK;
}

td_status td_tenant_hostnames(td_op_t *op, const char *tenant_id, const char ***names,
                              size_t *n) {
    td_db_t *db;
    *n = 0;
    if (begin(op, tenant_id, 0, &db))
        return op->err.st;
    td_status st = td_cat_hostname_list(db, op->arena, tenant_id, names, n);
    return st ? td_op_fail_status(op, st, NULL) : TD_OK;
}

td_status td_tenant_hostname_add(td_op_t *op, const char *tenant_id, const char *h) {
    td_db_t *db;
    if (!td_actor_platform(&op->actor))
        return begin(op, tenant_id, 1, &db);
    if (!hostname_ok(h))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_hostname",
                          "a lowercase DNS name like app.example.com");
    const char *why = hostname_refused(op->platform->cfg, h);
    if (why)
        return td_op_fail(op, TD_E_INVALID, 400, "hostname_reserved", "%s", why);
    if (begin(op, tenant_id, 1, &db))
        return op->err.st;
    td_status st = td_cat_hostname_add(db, tenant_id, h);
    if (st == TD_E_EXISTS)
        return td_op_fail(op, st, 409, "hostname_taken", "this hostname already names a tenant");
    if (st)
        return td_op_fail_status(op, st, NULL);
    return td_audit_record(op, tenant_id, NULL, "hostname.add", "hostnames", h, "ok", NULL);
}

td_status td_tenant_hostname_remove(td_op_t *op, const char *tenant_id, const char *h) {
    td_db_t *db;
    if (begin(op, tenant_id, 1, &db))
        return op->err.st;
    td_status st = td_cat_hostname_remove(db, tenant_id, h);
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "hostname_not_found", "this tenant has no such hostname");
    if (st)
        return td_op_fail_status(op, st, NULL);
    return td_audit_record(op, tenant_id, NULL, "hostname.remove", "hostnames", h, "ok", NULL);
}

/* A name no tenant could have registered (an address, a loopback name,
 * the listen host…) is answered without a catalog query: requests that
 * reach the server by its IP address cost no round trip for this. */
const char *td_hostname_tenant(td_platform_t *p, td_arena_t *a, const char *hostname) {
    td_db_t *db;
    const char *tid = NULL;
    if (!hostname_ok(hostname) || hostname_refused(p->cfg, hostname))
        return NULL;
    if (td_catalog_lease(p->catalog, a, &db) == TD_OK &&
        td_cat_hostname_tenant(db, a, hostname, &tid) == TD_OK)
        return tid;
    return NULL;
}
