/* postgres_limits.c — what the tenant pool needs to know about a
 * PostgreSQL server to stay within its connection limit: the limit itself
 * (td_db_server_limits), whether two URLs name the same server
 * (td_db_same_server), and a close that returns only once the server has
 * let the connection's slot go (pg_finish_wait). */
#include <poll.h>
#include <strings.h>
#include <unistd.h>

#include "store/postgres_int.h"

#define FINISH_WAIT_MS 200 /* longest wait for the server to end a closed session */

/* Closes c and waits (at most FINISH_WAIT_MS) until the server has ended
 * the session. PQfinish only sends Terminate: the backend releases its
 * connection slot while it exits, before it closes its end of the socket.
 * A copy of the socket sees that close as end of file, so a caller that
 * opens the next connection right after is never refused for a slot the
 * server has not given back yet. */
void pg_finish_wait(PGconn *c) {
    if (!c)
        return;
    int fd = PQstatus(c) == CONNECTION_OK && PQsocket(c) >= 0 ? dup(PQsocket(c)) : -1;
    PQfinish(c);
    if (fd < 0)
        return;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[256];
    for (int i = 0; i < 4 && poll(&p, 1, FINISH_WAIT_MS) > 0; i++)
        if (read(fd, buf, sizeof(buf)) <= 0) /* 0: the server closed its end */
            break;
    close(fd);
}

/* One setting as a number, or -1 when the server has no such setting
 * (reserved_connections is PostgreSQL 16's). */
static long setting(const PGresult *res, const char *name) {
    for (int i = 0; i < PQntuples(res); i++)
        if (strcmp(PQgetvalue(res, i, 0), name) == 0)
            return strtol(PQgetvalue(res, i, 1), NULL, 10);
    return -1;
}

td_status td_db_server_limits(const char *url, td_db_limits_t *out, char *err, size_t errlen) {
    PGconn *c = NULL;
    memset(out, 0, sizeof(*out));
    if (!td_db_url_is_postgres(url)) {
        pg_seterr(err, errlen, "not a PostgreSQL server");
        return TD_E_INVALID;
    }
    td_status st = pg_connect(url, NULL, NULL, NULL, NULL, &c, err, errlen);
    if (st)
        return st;
    PGresult *res = PQexec(c, "SELECT name, setting FROM pg_settings WHERE name IN"
                              " ('max_connections', 'superuser_reserved_connections',"
                              " 'reserved_connections')");
    char msg[PG_ERR_MAX];
    if ((st = pg_check(c, res, msg, sizeof(msg)))) {
        pg_seterr(err, errlen, "reading max_connections: %s", msg);
    } else {
        out->max_connections = setting(res, "max_connections");
        out->superuser_reserved = setting(res, "superuser_reserved_connections");
        out->reserved = setting(res, "reserved_connections");
        if (out->max_connections < 1) {
            pg_seterr(err, errlen, "the server reports no max_connections");
            st = TD_E_UNAVAILABLE;
        }
        out->superuser_reserved = out->superuser_reserved < 0 ? 0 : out->superuser_reserved;
        out->reserved = out->reserved < 0 ? 0 : out->reserved;
    }
    PQclear(res);
    pg_finish_wait(c);
    return st;
}

/* host and port of a PostgreSQL URL, the loopback names made one. */
static int host_port(const char *url, char *host, size_t hn, char *port, size_t pn) {
    char *perr = NULL;
    PQconninfoOption *opts = url && td_db_url_is_postgres(url) ? PQconninfoParse(url, &perr) : NULL;
    PQfreemem(perr); /* it may quote the password */
    if (!opts)
        return -1;
    snprintf(host, hn, "local");
    snprintf(port, pn, "5432");
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !o->val[0])
            continue;
        if (strcmp(o->keyword, "host") == 0 && strcmp(o->val, "localhost") &&
            strcmp(o->val, "127.0.0.1") && strcmp(o->val, "::1") && o->val[0] != '/')
            snprintf(host, hn, "%s", o->val);
        else if (strcmp(o->keyword, "port") == 0)
            snprintf(port, pn, "%s", o->val);
    }
    PQconninfoFree(opts);
    return 0;
}

int td_db_same_server(const char *url_a, const char *url_b) {
    char ha[256], pa[16], hb[256], pb[16];
    if (host_port(url_a, ha, sizeof(ha), pa, sizeof(pa)) ||
        host_port(url_b, hb, sizeof(hb), pb, sizeof(pb)))
        return 0;
    return strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
}
