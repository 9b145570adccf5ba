/* outbox.c — the DDL of a service's outbox table (td_outbox), per
 * dialect: the services' registry appends it to each service's first
 * migration, so writes record their outbox row in the same file (SQLite)
 * or schema (PostgreSQL) as the row itself. The text is part of that
 * migration and of its checksum: change it only with a new migration. */
#include <stdio.h>
#include <string.h>

#include "store/store.h"

static const char k_outbox_sqlite[] =
    "\nCREATE TABLE td_outbox (\n"
    "    seq         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    at          TEXT NOT NULL,\n"
    "    actor       TEXT,\n"
    "    action      TEXT NOT NULL,\n"
    "    resource    TEXT NOT NULL,\n"
    "    row_id      TEXT,\n"
    "    request_id  TEXT,\n"
    "    rows_delta  BIGINT NOT NULL,\n"
    "    bytes_delta BIGINT NOT NULL\n"
    ");\n";
static const char k_outbox_postgres[] =
    "\nCREATE TABLE %s.td_outbox (\n"
    "    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "    at          TEXT NOT NULL,\n"
    "    actor       TEXT,\n"
    "    action      TEXT NOT NULL,\n"
    "    resource    TEXT NOT NULL,\n"
    "    row_id      TEXT,\n"
    "    request_id  TEXT,\n"
    "    rows_delta  BIGINT NOT NULL,\n"
    "    bytes_delta BIGINT NOT NULL\n"
    ");\n";

size_t td_store_outbox_ddl_max(void) { return sizeof(k_outbox_postgres) + 64; }

td_status td_store_outbox_ddl(const char *dialect, const char *service, char *out, size_t n) {
    int k;
    if (strcmp(dialect, "postgres") == 0) {
        if (strlen(service) > 64)
            return TD_E_INVALID;
        k = snprintf(out, n, k_outbox_postgres, service);
    } else if (strcmp(dialect, "sqlite") == 0)
        k = snprintf(out, n, "%s", k_outbox_sqlite);
    else
        return TD_E_INVALID;
    return k < 0 || (size_t)k >= n ? TD_E_TOOBIG : TD_OK;
}
